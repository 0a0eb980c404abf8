"""The simulated board's flash: LittleFS (os.VfsLfs2, as on the ESP32) on a NOR flash image
file, mounted at /flash and made the current directory, so the firmware's relative paths
(config.json, settings.json, sessions/) land where they would on a board.

Sim config: "flash": {"image": path, "blocks": 512 (2 MiB, a 4 MB ESP32's partition)},
"files": {"config.json": "...", ...} written before the firmware starts (provisioning).
"""

import os

from simhw import config
from simhw.norflash import FileFlash

MOUNT = "/flash"


def mount():
    spec = config.get("flash")
    if spec is None:
        return
    device = FileFlash(spec["image"], spec.get("blocks", 512))
    try:
        vfs = os.VfsLfs2(device)
    except OSError:  # a new (erased) image: format it, as MicroPython does on first boot
        os.VfsLfs2.mkfs(device)
        vfs = os.VfsLfs2(device)
    os.mount(vfs, MOUNT)
    os.chdir(MOUNT)
    for name, text in config.get("files", {}).items():
        with open(name, "w") as f:
            f.write(text)
