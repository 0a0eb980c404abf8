"""`calfraise device deploy`: the firmware onto a board, compiled for its chip; only what changed
is copied, then the board resets.

What a deploy puts on the board's filesystem (its root, where MicroPython looks first):
    main.py               as source: MicroPython runs main.py at boot, never main.mpy
    calfraise_fw/**.mpy   every firmware module, compiled with mpy-cross -march=<board's arch>
    boards/<board>.mpy    this board's file, and no other
    config.json           {"board": "<board>"}
Everything else (settings.json, the sessions) is the athlete's and is never touched.

Change detection: one mpremote session runs mp_files.py on the board, which prints the SHA-256 of
every file under those paths and the board's .mpy ABI. A file is copied when its hash differs;
a file under calfraise_fw/ or boards/ that the build does not have (a module since removed,
another board's file, a .py that would shadow its .mpy) is deleted. The board's real content is
what is compared, so a copy by hand or an interrupted deploy is put right by the next one.

--romfs: the modules go into a ROMFS image instead (calfraise_fw/ and boards/ at its root),
written by `mpremote romfs deploy` into the board's romfs partition, mounted at /rom at boot;
bytecode and constants then run in place from flash, not copied into the heap (docs/deploy.md).
Only main.py and config.json stay on the filesystem, and the filesystem's calfraise_fw/ and
boards/ are deleted: the filesystem comes first on sys.path and would shadow /rom. It needs a
MicroPython built with a romfs partition; stock ESP32 images have none.

--frozen: the modules are frozen into the board's MicroPython image (built with
tools/manifest.py, docs/deploy.md), so only main.py and config.json are copied, and the
filesystem's calfraise_fw/ and boards/ are deleted, as with --romfs.
"""

import hashlib
import json
import posixpath
from dataclasses import dataclass, field
from pathlib import Path

from calfraise.device import BOARDS, BUILD_ROOT, FIRMWARE, mp_files
from calfraise.device.mpy import build_romfs, compile_firmware
from calfraise.device.remote import board_script, marked_json, mpremote, repo_path
from calfraise.device.runner import load_board
from calfraise.errors import UserError

BUILD = BUILD_ROOT / "mpy"  # build/mpy/<arch>/{firmware, boards/boards, config}
MANAGED_DIRS = ("calfraise_fw", "boards")
MANAGED = ("main.py", "config.json", *MANAGED_DIRS)
FILES_CODE = board_script(mp_files, f"report({MANAGED!r})", "list the files")
# native architectures in .mpy headers and sys.implementation._mpy (py/persistentcode.h)
MPY_ARCHES = (
    "none",
    "x86",
    "x64",
    "armv6",
    "armv6m",
    "armv7m",
    "armv7em",
    "armv7emsp",
    "armv7emdp",
    "xtensa",
    "xtensawin",
    "rv32imc",
    "rv64imc",
)


@dataclass(frozen=True)
class Upload:
    local: Path
    remote: str  # path on the board, from its root

    def sha256(self):
        return hashlib.sha256(self.local.read_bytes()).hexdigest()


@dataclass
class BoardFiles:
    """What mp_files.py reported: the managed files (path -> SHA-256), folders, and ABI."""

    files: dict = field(default_factory=dict)
    dirs: set = field(default_factory=set)
    mpy: int = 0  # sys.implementation._mpy
    version: tuple = ()


@dataclass
class Changes:
    remove: list  # files
    rmdirs: list  # folders, deepest first
    mkdirs: list  # folders, parents first
    copy: list  # Uploads
    unchanged: int

    def commands(self):
        """The mpremote commands that make the board match the build, then reset it."""
        out = []
        if self.remove:
            out.append(("fs", "rm", *(":" + p for p in self.remove)))
        if self.rmdirs:
            out.append(("fs", "rmdir", *(":" + d for d in self.rmdirs)))
        if self.mkdirs:
            out.append(("fs", "mkdir", *(":" + d for d in self.mkdirs)))
        for upload in self.copy:
            out.append(("fs", "cp", "-f", repo_path(upload.local), ":" + upload.remote))
        out.append(("reset",))
        return out


@dataclass
class Plan:
    board: object  # the Board of boards/<name>.py
    uploads: list
    abi: bytes  # the build's .mpy header bytes 1..2: version, (arch << 2) | sub-version
    romfs: Path | None = None  # the ROMFS image of the modules, with --romfs


def build(board_name, deployment="mpy_files"):
    """Compiles the firmware for the board's architecture; returns the Plan of what it holds.
    deployment (runner.DEPLOYMENTS): mpy_files uploads the modules as files; romfs packs them
    into a ROMFS image (Plan.romfs); frozen leaves them to the board's MicroPython image."""
    board = load_board(board_name)
    out = BUILD / board.arch
    modules, _ = compile_firmware(FIRMWARE, BOARDS, out, board.arch)
    firmware = out / "firmware"
    uploads = [Upload(firmware / "main.py", "main.py")]
    image = build_romfs(out, out / "firmware.romfs") if deployment == "romfs" else None
    if deployment == "mpy_files":
        uploads += [Upload(m, m.relative_to(firmware).as_posix()) for m in modules]
        board_file = f"boards/{board.name}.mpy"
        uploads.append(Upload(out / "boards" / board_file, board_file))
    config = out / "config" / f"{board.name}.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({"board": board.name}))
    uploads.append(Upload(config, "config.json"))
    return Plan(board, uploads, _native_abi(modules), image)


def _native_abi(modules):
    """Version and flags of the build's native (viper) modules: what the board must load."""
    headers = {m.read_bytes()[1:3] for m in modules}
    native = {h for h in headers if h[1]}
    if len(native) != 1:
        raise UserError(f"expected one native .mpy ABI in the build, found {sorted(native)}")
    return native.pop()


def parse_files(text):
    state = marked_json(text, mp_files.MARKER)
    if state is None:
        raise UserError(f"the board did not list its files; it said:\n{text.strip()}")
    return BoardFiles(state["files"], set(state["dirs"]), state["mpy"], tuple(state["version"]))


def check_abi(abi, found):
    """UserError unless MicroPython on the board loads .mpy files of this ABI."""
    version, flags = abi[0], abi[1]
    board_version, board_flags = found.mpy & 0xFF, found.mpy >> 8
    if (board_version, board_flags) == (version, flags):
        return
    release = ".".join(str(v) for v in found.version) or "?"
    loads = _abi_name(board_version, board_flags)
    raise UserError(
        f"the board runs MicroPython {release}, which loads .mpy {loads}; this build is .mpy "
        f"{_abi_name(version, flags)}. Flash the MicroPython image the Makefile names "
        "(make flash), or check the board file's chip"
    )


def _abi_name(version, flags):
    arch = flags >> 2
    name = MPY_ARCHES[arch] if arch < len(MPY_ARCHES) else f"arch {arch}"
    return f"v{version}.{flags & 3} for {name}"


def plan_changes(uploads, found):
    """What to remove, create and copy so the board holds exactly `uploads` under MANAGED."""
    wanted = {u.remote for u in uploads}
    dirs = set()
    for remote in wanted:
        parent = posixpath.dirname(remote)
        while parent:
            dirs.add(parent)
            parent = posixpath.dirname(parent)
    remove = sorted(p for p in found.files if _managed(p) and p not in wanted)
    stray = {d for d in found.dirs if _managed(d)} - dirs
    rmdirs = sorted(stray, key=lambda d: (-d.count("/"), d))
    mkdirs = sorted(dirs - found.dirs, key=lambda d: (d.count("/"), d))
    copy = [u for u in uploads if found.files.get(u.remote) != u.sha256()]
    return Changes(remove, rmdirs, mkdirs, copy, len(uploads) - len(copy))


def _managed(path):
    """Whether a deploy owns this path: it lies in calfraise_fw/ or boards/."""
    return path.split("/")[0] in MANAGED_DIRS


def deploy(board_name, port, *, dry_run=False, deployment="mpy_files", out=print):
    """Compile, compare with the board, copy what changed, reset. dry_run: no board; every
    step is printed and every file counts as changed. deployment: as build()'s."""
    plan = build(board_name, deployment)
    board = plan.board
    out(
        f"{board.title}: {board.chip}, mpy-cross -march={board.arch} "
        f"into {repo_path(BUILD / board.arch)}/"
    )
    if plan.romfs is not None:
        out(f"  {'/rom (romfs partition)':<34} <- {repo_path(plan.romfs)}")
    for upload in plan.uploads:
        out(f"  {upload.remote:<34} <- {repo_path(upload.local)}")
    if plan.romfs is not None:
        write = mpremote("write the ROMFS", port, ("romfs", "deploy", repo_path(plan.romfs)))
        out(f"$ {write}")
        if not dry_run:
            write.run()
    query = mpremote("read the board's files", port, ("exec", FILES_CODE))
    out(f"$ {query}")
    if dry_run:
        found = BoardFiles()
    else:
        found = parse_files(query.run(capture=True))
        check_abi(plan.abi, found)
    changes = plan_changes(plan.uploads, found)
    step = mpremote("deploy", port, *changes.commands())
    out(f"$ {step}")
    if not dry_run:
        step.run()
    out(
        f"{len(changes.copy)} copied, {changes.unchanged} unchanged, "
        f"{len(changes.remove)} removed{' (dry run: nothing was sent)' if dry_run else ''}"
    )
    return changes
