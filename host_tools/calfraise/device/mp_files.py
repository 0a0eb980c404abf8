"""Runs on the board (`calfraise device deploy` sends it with `mpremote exec`): what the board
holds under the paths a deploy manages, as one line the host parses.

The host appends a call, `report(("main.py", "config.json", "calfraise_fw", "boards"))`. The line
is MARKER and then JSON: the MicroPython version, its .mpy ABI (sys.implementation._mpy: mpy
version, sub-version and native architecture, which a build must match), every file's SHA-256
and every folder. Hashing the real content, rather than trusting a manifest, sees a file copied
by hand or a deploy cut short.
"""

import binascii
import hashlib
import json
import os
import sys

MARKER = "calfraise-files "
_DIR = 0x4000  # the folder bit of st_mode


def _sha256(path, buf):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(buf[:n])
    return binascii.hexlify(h.digest()).decode()


def _walk(path, files, dirs, buf):
    try:
        mode = os.stat(path)[0]
    except OSError:
        return  # not there
    if mode & _DIR:
        dirs.append(path)
        for name in os.listdir(path):
            _walk(path + "/" + name, files, dirs, buf)
    else:
        files[path] = _sha256(path, buf)


def report(paths):
    files = {}
    dirs = []
    buf = memoryview(bytearray(1024))
    for path in paths:
        _walk(path, files, dirs, buf)
    impl = sys.implementation
    state = {
        "version": list(impl.version[:3]),
        "mpy": getattr(impl, "_mpy", 0),
        "platform": sys.platform,
        "files": files,
        "dirs": dirs,
    }
    print(MARKER + json.dumps(state))
