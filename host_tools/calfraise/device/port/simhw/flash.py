"""The simulated board's flash: LittleFS (os.VfsLfs2, as on the ESP32) on a NOR flash image
file, mounted at /flash and made the current directory, so the firmware's relative paths
(config.json, settings.json, sessions/) land where they would on a board.

Only an erased image (a new chip) is formatted at boot. A damaged one is never formatted here:
the host refuses it before the firmware starts (check() below, calfraise.device.runner), and
`calfraise device format` erases one on request.

Sim config: "flash": {"image": path, "blocks": 512 (2 MiB, a 4 MB ESP32's partition)},
"files": {"config.json": "...", ...} written before the firmware starts (provisioning).
"""

import os
import sys

from simhw import config
from simhw.norflash import FileFlash

MOUNT = "/flash"
_CHECK_MOUNT = "/image"
_WHY = {84: "its metadata (superblock or a directory) is corrupt", 5: "a read failed"}


def mount():
    spec = config.get("flash")
    if spec is None:
        return
    device = FileFlash(spec["image"], spec.get("blocks", 512))
    try:
        vfs = os.VfsLfs2(device)
    except OSError:
        if not device.erased():
            raise  # damaged: left as it is
        os.VfsLfs2.mkfs(device)  # a new chip, as MicroPython formats on first boot
        vfs = os.VfsLfs2(device)
    os.mount(vfs, MOUNT)
    os.chdir(MOUNT)
    for name, text in config.get("files", {}).items():
        with open(name, "w") as f:
            f.write(text)


def check(path, blocks):
    """Exits 0 if the image at path is a LittleFS whose every directory and file reads back
    (or is erased), else prints why and exits 1. The file is opened read-only."""
    device = FileFlash(path, blocks, readonly=True)
    if device.erased():
        return
    try:
        os.mount(os.VfsLfs2(device), _CHECK_MOUNT, readonly=True)
        _read_tree(_CHECK_MOUNT, bytearray(512))
    except OSError as err:
        print(_WHY.get(err.errno, f"LittleFS cannot read it (error {err.errno})"))
        sys.exit(1)


def _read_tree(folder, buf):
    for entry in os.ilistdir(folder):
        path = f"{folder}/{entry[0]}"
        if entry[1] == 0x4000:  # a directory
            _read_tree(path, buf)
            continue
        with open(path, "rb") as f:
            while f.readinto(buf):
                pass
