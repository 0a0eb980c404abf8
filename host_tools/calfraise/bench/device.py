"""The whole firmware through a long session on the unix port, in the ESP32-like 100 KB heap:
peak heap use, the least free heap, the longest gc pause, the worst sampling-loop latency,
and how much faster than real time the simulation ran.

The session: simulated varied-tier sessions back to back until MINUTES are filled, replayed
by the sim board (LSM6DSOX model at 104 Hz).
"""

import tempfile
import time
from pathlib import Path

import numpy as np

from calfraise.device.runner import HEAP, run_device
from calfraise.sim import build_session_plan, render
from calfraise.trace import write_trace

MINUTES = 30
RATE_HZ = 104


def long_session(path, minutes=MINUTES, rate_hz=RATE_HZ):
    """Varied sessions 0, 1, ... back to back, stamped by a FIFO-driven clock."""
    accel, gyro = [], []
    n = 0
    seed = 0
    while n < minutes * 60 * rate_hz:
        trace = render(build_session_plan("varied", seed), rate_hz=rate_hz)
        accel.append(trace.accel_g)
        gyro.append(trace.gyro_dps)
        n += len(trace.t_ms)
        seed += 1
    t_ms = np.rint(np.arange(n) * 1000 / rate_hz).astype(np.int64)
    write_trace(path, t_ms, np.concatenate(accel), np.concatenate(gyro))
    return n / rate_hz / 60


def device_figures(minutes=MINUTES, heap=HEAP):
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "long.csv"
        simulated_min = long_session(csv, minutes)
        t0 = time.perf_counter()
        result = run_device(csv, heap=heap, after_ms=65_000)
        wall = time.perf_counter() - t0
    stats = result.of_type("stats")[-1]
    return {
        "sim_bytes": result.sim_bytes,
        "heap_bytes": result.heap_bytes,
        "minutes": simulated_min,
        "heap": heap,
        "exit": result.cause,
        "reps": len(result.of_type("rep")),
        "wall_s": wall,
        "speedup": (simulated_min * 60 + 65) / wall,
        "live_peak": stats["heap_total"] - stats["heap_free_min"] - result.sim_bytes,
        **{k: stats[k] for k in ("heap_peak", "heap_free_min", "gc_max_us", "worst_latency_ms")},
        **{k: stats[k] for k in ("samples", "fifo_overflows", "samples_lost", "events_dropped")},
    }


def device_table():
    d = device_figures()
    return "\n".join(
        [
            f"The firmware (firmware/main.py, sim board) through {d['minutes']:.1f} simulated "
            f"minutes ({d['reps']} reps) with `-X heapsize={d['heap']}` on the unix port "
            f"(64-bit: objects ~1.45 times their ESP32 size); it ended by {d['exit']}.",
            "",
            "| measure | value |",
            "|---|---|",
            f"| firmware heap budget + simulated hardware's own (measured) | {d['heap']} + "
            f"{d['sim_bytes']:,} = {d['heap_bytes']:,} bytes |",
            f"| most heap the firmware kept alive (seen after a gc) | {d['live_peak']:,} bytes |",
            f"| most heap the firmware used, garbage included (before the 1-s gc) | "
            f"{d['heap_peak'] - d['sim_bytes']:,} bytes |",
            f"| least free heap after a gc | {d['heap_free_min']:,} bytes |",
            f"| longest gc pause (gc.collect() once a second) | {d['gc_max_us']} µs |",
            f"| worst sampling-loop wake-up latency | {d['worst_latency_ms']} ms |",
            f"| samples / FIFO overflows / samples lost | {d['samples']:,} / "
            f"{d['fifo_overflows']} / {d['samples_lost']} |",
            f"| events dropped by the bus | {d['events_dropped']} |",
            f"| wall time / faster than real time | {d['wall_s']:.1f} s / {d['speedup']:.0f}x |",
        ]
    )
