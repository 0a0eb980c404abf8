"""The firmware on this PC: the unix port of MicroPython running firmware/main.py over the
simulated hardware in port/ (`calfraise device run`), and onto boards (deploy, flash).

Where the firmware's sources are: in a checkout, the repository's firmware/ and boards/, with
builds in build/; installed from a wheel (the [sim] or [board] extra), the copies the wheel
carries beside this file (pyproject.toml maps them here), with builds in the user's cache.
"""

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
PORT = HERE / "port"  # the fake machine, time, select, simhw
if (HERE / "firmware").is_dir():  # installed from a wheel
    ROOT = HERE  # commands (mpremote, esptool) run here
    FIRMWARE, BOARDS = HERE / "firmware", HERE / "boards"
    _cache = os.environ.get("XDG_CACHE_HOME", "")
    BUILD_ROOT = (Path(_cache) if os.path.isabs(_cache) else Path.home() / ".cache") / "calfraise"
else:  # a checkout (an editable install too)
    ROOT = HERE.parents[2]
    FIRMWARE, BOARDS = ROOT / "firmware", ROOT / "boards"
    BUILD_ROOT = ROOT / "build"
