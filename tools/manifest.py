# The firmware frozen into a MicroPython image (docs/deploy.md, "Frozen into the image"): its
# bytecode, constants and names are in the image's flash, only the objects its imports make are in
# the heap. A board's manifest includes the port's own, then this with its board file's name:
#     include("$(PORT_DIR)/boards/manifest.py")
#     include("/path/to/calfraise/tools/manifest.py", board="atom_matrix")
# Without board= every board file is frozen (the 32-bit unix port's `make mp32-frozen`).
# main.py stays on the filesystem: MicroPython runs it from there at boot.
package("calfraise_fw", base_path="../firmware")
if options.board:
    module(f"boards/{options.board}.py", base_path="..")
else:
    package("boards", base_path="..")
