"""`calfraise device flash`: MicroPython onto a board, then the firmware (a deploy).

The image is the MicroPython release the firmware is tested on (the unix port, mpy-cross and the
type stubs are all 1.29), downloaded by the user from micropython.org into build/images/, one per
chip family. Before anything is erased the image is checked: an ESP image whose header names the
board's chip (esptool's own image parser and chip ids) and a whole-flash image (bootloader,
partition table, app) rather than an app alone. esptool is given the board's chip too, so it
refuses a board of another family.

Erasing deletes the sessions on the board, so the board is asked first (mp_sessions.py) which it
holds that the host has not synced: with any, the flash stops before the erase unless told
--erase-sessions. A board with no MicroPython to answer (a new one) holds none.
"""

import hashlib
import struct
import time
from pathlib import Path

from calfraise.device import BUILD_ROOT, mp_sessions
from calfraise.device.deploy import deploy
from calfraise.device.remote import Step, board_script, marked_json, mpremote, repo_path
from calfraise.device.runner import load_board
from calfraise.errors import UserError

MICROPYTHON = "v1.29.0"
RELEASED = "20260824"
# chip -> MicroPython board name on micropython.org/download/<name>/
DOWNLOADS = {"esp32": "ESP32_GENERIC", "esp32s3": "ESP32_GENERIC_S3", "esp32c3": "ESP32_GENERIC_C3"}
IMAGE_DIR = BUILD_ROOT / "images"
PARTITION_TABLE = 0x8000  # flash address of the partition table in MicroPython's ESP32 builds
PARTITION_MAGIC = b"\xaa\x50"  # first bytes of a partition table entry (ESP-IDF esp_partition)
BAUD = 460800
PORT_WAIT_S = 15  # for the board's USB port to come back after the reset that ends a flash
UNSYNCED_CODE = board_script(mp_sessions, 'report("sessions")', "list the sessions not synced")


def image_name(chip):
    return f"{DOWNLOADS[chip]}-{RELEASED}-{MICROPYTHON}.bin"


def download_hint(chip):
    name = DOWNLOADS[chip]
    return (
        f"download {image_name(chip)} from https://micropython.org/download/{name}/ "
        f"(MicroPython {MICROPYTHON}) into {repo_path(IMAGE_DIR)}/, or name it with IMAGE= "
        "(make flash) or --image"
    )


def default_image(chip):
    return IMAGE_DIR / image_name(chip)


def image_chip(path):
    """The chip family (esptool's name, e.g. "esp32s3") a whole-flash image is built for.

    UserError if the file is missing, is not an ESP image, or holds no partition table where
    a whole-flash image has one.
    """
    from esptool.bin_image import LoadFirmwareImage
    from esptool.targets import CHIP_DEFS
    from esptool.util import FatalError

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise UserError(f"cannot read the image {path}: {err.strerror}") from None
    try:
        image = LoadFirmwareImage("esp32", data)  # the header layout every ESP32 family shares
    except (FatalError, struct.error) as err:
        raise UserError(f"{path} is not an ESP32 firmware image ({err})") from None
    chips = {getattr(rom, "IMAGE_CHIP_ID", None): name for name, rom in CHIP_DEFS.items()}
    chip = chips.get(image.chip_id)
    if chip is None:
        raise UserError(f"{path}: unknown chip id {image.chip_id} in the image header")
    table = PARTITION_TABLE - CHIP_DEFS[chip].BOOTLOADER_FLASH_OFFSET
    if data[table : table + 2] != PARTITION_MAGIC:
        raise UserError(
            f"{path} is not a whole-flash image (no partition table at 0x{PARTITION_TABLE:x}): "
            "take the .bin from the download page, not the app-only file"
        )
    return chip


def check_image(path, chip):
    """UserError unless the image at path is a whole-flash image for `chip`."""
    from esptool.targets import CHIP_DEFS

    found = image_chip(path)
    if found != chip:
        raise UserError(
            f"{path} is built for {CHIP_DEFS[found].CHIP_NAME}, but the board is an "
            f"{CHIP_DEFS[chip].CHIP_NAME}: {download_hint(chip)}"
        )


def flash_steps(chip, port, image, baud=BAUD):
    """esptool: erase the whole chip, then write the image at the chip's bootloader address."""
    from esptool.targets import CHIP_DEFS

    common = ("esptool", "--chip", chip, "--port", port)
    offset = f"0x{CHIP_DEFS[chip].BOOTLOADER_FLASH_OFFSET:x}"
    return [
        Step("erase the flash", (*common, "erase-flash")),
        Step(
            "write MicroPython",
            (*common, "--baud", str(baud), "write-flash", offset, repo_path(image)),
        ),
    ]


def parse_unsynced(text):
    """The session ids mp_sessions.py listed; UserError if the board said something else."""
    unsynced = marked_json(text, mp_sessions.MARKER)
    if unsynced is not None:
        return unsynced
    raise UserError(
        "the board did not list its sessions, so the flash stopped before erasing them "
        f"(--erase-sessions erases them unread); it said: {' / '.join(text.strip().splitlines())}"
    )


def unsynced_sessions(port, *, dry_run=False, out=print):
    """The ids of the sessions on the board the host has not synced ([] on a board without
    MicroPython, which mpremote cannot reach: a new board holds none)."""
    query = mpremote("list the sessions not synced", port, ("exec", UNSYNCED_CODE))
    out(f"$ {query}")
    if dry_run:
        return []
    try:
        said = query.run(capture=True)
    except UserError:
        out(f"no MicroPython answered on {port}: the board holds no sessions to keep")
        return []
    return parse_unsynced(said)


def flash(
    board_name,
    port,
    image=None,
    *,
    baud=BAUD,
    dry_run=False,
    deployment="mpy_files",
    erase_sessions=False,
    out=print,
):
    """Checks the image and the board's unsynced sessions (refused unless erase_sessions),
    erases the board, writes MicroPython, then deploys the firmware (deployment: as
    deploy()'s)."""
    board = load_board(board_name)
    if board.chip not in DOWNLOADS:
        raise UserError(f"board {board.name} ({board.chip}) is not flashed: it has no ESP chip")
    image = Path(image) if image else default_image(board.chip)
    if not image.exists():
        raise UserError(f"no MicroPython image at {image}: {download_hint(board.chip)}")
    check_image(image, board.chip)
    digest = hashlib.sha256(image.read_bytes()).hexdigest()
    out(f"{repo_path(image)}: MicroPython for {board.chip}, sha256 {digest}")
    unsynced = unsynced_sessions(port, dry_run=dry_run, out=out)
    if unsynced and not erase_sessions:
        raise UserError(
            f"the board holds {len(unsynced)} session(s) not synced yet "
            f"({', '.join(map(str, unsynced))}), which erasing would lose: sync first "
            "(`calfraise sync`), or pass --erase-sessions (make flash ERASE_SESSIONS=1)"
        )
    out("erasing deletes everything on the board: settings and sessions too")
    for step in flash_steps(board.chip, port, image, baud):
        out(f"$ {step}")
        if not dry_run:
            step.run()
    if not dry_run:
        wait_for_port(port)
    return deploy(board_name, port, dry_run=dry_run, deployment=deployment, out=out)


def wait_for_port(port, timeout_s=PORT_WAIT_S):
    """Boards with native USB drop off the bus while they reset; wait for the port to return."""
    deadline = time.monotonic() + timeout_s
    while "/" in port and not Path(port).exists():  # a device path (not COM3)
        if time.monotonic() > deadline:
            raise UserError(f"{port} did not come back within {timeout_s} s after flashing")
        time.sleep(0.2)
    time.sleep(2)  # MicroPython's first boot creates its filesystem
