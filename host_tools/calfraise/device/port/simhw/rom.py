"""Boots from a ROMFS image, as a board with a romfs partition does: the image (unixrom maps it
outside the heap, as a board maps its flash) is mounted at /rom, which sys.path searches first,
so the firmware's modules run from it in place; then the script runs.

usage: micropython -m simhw.rom IMAGE SCRIPT.py [ARGS]   (runner.prepared(romfs=True))
"""

import sys

import unixrom
import vfs

vfs.mount(vfs.VfsRom(unixrom.map(sys.argv[1])), "/rom")
_script = sys.argv[2]
_folder, _, _name = _script.rpartition("/")
del sys.argv[:2]  # the script sees its own command line
sys.path.insert(0, "/rom")
sys.path.append(_folder)
__import__(_name[:-3])  # the script's body runs as it imports
