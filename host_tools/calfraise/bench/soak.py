"""Hours of use in a small heap on the 32-bit unix port: sessions back to back with rests
between them, and a host that comes back over the virtual BLE link every VISIT_MIN minutes of
the board's clock (a live view, then a sync: two connections each time) until the hours have
passed. A recording board with no host keeps its radio quiet (power.py): a visit that finds
nothing on the air comes back next time, as an app does.

The firmware reports its heap once a simulated minute after its gc (mp_soak.py): used bytes
(no growth: the second half's peak is the first half's) and the largest free block
(fragmentation: a big allocation, such as a BLE bonding key store, still finds room).
"""

import asyncio
import contextlib
import re
import tempfile
from contextlib import closing
from pathlib import Path

import numpy as np

from calfraise.host.db import open_db
from calfraise.host.discovery import scan
from calfraise.host.link import ConnectFailed, DeviceLink, LinkLost
from calfraise.host.live import start_live
from calfraise.host.radio import virtual_radio
from calfraise.host.sync import Sync
from calfraise.sim import build_session_plan, render
from calfraise.trace import write_trace

MP_SOAK = Path(__file__).with_name("mp_soak.py")
RATE_HZ = 104
REST_S = 600  # lying still between sessions: longer than the session timeout, so each ends
BLOCK_BYTES = {32: 16, 64: 32}  # a GC block: four machine words
MEM_INFO = re.compile(r"GC: total: (\d+), used: (\d+), free: (\d+)")
MAX_FREE = re.compile(r"max free sz: (\d+)")
LIVE_NOTIFICATIONS = 5  # a live view lasts this many notifications (or LIVE_S)
LIVE_S = 2.0
VISIT_MIN = 5  # simulated minutes between the host's visits
MODULES_ARE = {
    "mpy_files": "as .mpy files",
    "romfs": "run from a ROMFS image",
    "frozen": "frozen into the interpreter",
}
LARGEST_FREE = 8192  # bytes the heap keeps in one free block, after every minute's gc
# The firmware heap (32-bit port) in which a soak keeps LARGEST_FREE: above runner.HEAP_32 /
# HEAP_ROMFS, what the firmware needs without MemoryError, because the heap fragments
# (docs/benchmark.md, "Soak"). The goal is both within 64K. The least block depends on where the
# host's visits fall on the board's clock, so on how fast the machine pairs: a slow CI machine
# kept 7,808 bytes at 160K where a quiet one kept 16,896, before s11-frag took away what a visit
# left alive above the free blocks. Each keeps 16K or more on a loaded machine: 8K of headroom.
# .mpy files: 144K kept 19,472-22,224 loaded, but 128K 7,840 (the loader splits the heap at
# boot), a cliff too near for CI's slower machine, so a step above it
SOAK_HEAP = "160K"  # the modules as .mpy files (30 min, loaded: 23,936)
SOAK_HEAP_ROMFS = "96K"  # ROMFS image (30 min, loaded: 25,488; 88K: 16,368, 72K: 5,568-8,928)
# frozen into the interpreter: issue 13's 64K itself (30 min, loaded: 20,320; 52K: 4,400-8,848,
# 48K: 4,320)
SOAK_HEAP_FROZEN = "64K"


def soak_trace(path, hours, rate_hz=RATE_HZ):
    """Varied sessions 0, 1, ..., each followed by REST_S still, until `hours` are filled."""
    accel, gyro = [], []
    n = seed = 0
    rest = int(REST_S * rate_hz)
    while n < hours * 3600 * rate_hz:
        trace = render(build_session_plan("varied", seed), rate_hz=rate_hz)
        accel += [trace.accel_g, np.repeat(trace.accel_g[-1:], rest, axis=0)]
        gyro += [trace.gyro_dps, np.zeros((rest, 3))]
        n += len(trace.t_ms) + rest
        seed += 1
    t_ms = np.rint(np.arange(n) * 1000 / rate_hz).astype(np.int64)
    write_trace(path, t_ms, np.concatenate(accel), np.concatenate(gyro))
    return seed


def heap_reports(output, bits=32):
    """[(used bytes, largest free block in bytes)] of every mem_info() the firmware printed."""
    text = "".join(output)
    used = [int(m.group(2)) for m in MEM_INFO.finditer(text)]
    largest = [int(m.group(1)) * BLOCK_BYTES[bits] for m in MAX_FREE.finditer(text)]
    return list(zip(used, largest, strict=False))


async def _advertising(radio):
    """The device if it advertises now, else None: a recording board with no host keeps its
    radio quiet, and may go quiet between two scans (a session began)."""
    found = await scan(radio, done=bool)
    return found[0].device if found else None


async def _visit(radio, db):
    """A live view for a few notifications, then a sync: two connections. None: nothing on
    the air."""
    device = await _advertising(radio)
    if device is None:
        return None
    link = await DeviceLink.connect(radio, device, ("rep", "event", "status"))
    async with link:
        await start_live(link)
        with contextlib.suppress(TimeoutError):
            for _ in range(LIVE_NOTIFICATIONS):
                await link.inbox.get(LIVE_S)
    device = await _advertising(radio)
    if device is None:
        return 0
    result = await Sync(radio, device, db, lambda _d: None, lambda _s: None).run()
    return len(result.stored)


async def _soak(trace, hours, heap, deployment, tmp):
    minutes = int(hours * 60)
    visits = synced = quiet = 0
    options = {"heap": heap, "bits": 32, "deployment": deployment, "script": MP_SOAK}
    async with virtual_radio(trace, lead_in_s=0, **options) as radio:
        device = radio.device
        with closing(open_db(tmp / "soak.db")) as db:
            while (now := len(heap_reports(device.output))) < minutes and not _replayed(device):
                try:
                    stored = await _visit(radio, db)
                    quiet += stored is None
                    synced += stored or 0
                except (LinkLost, ConnectFailed):
                    pass  # the device was busy, the link dropped or never came: come back later
                visits += 1
                # a report a minute, until the trace is over (then the board keeps real time)
                while len(heap_reports(device.output)) < now + VISIT_MIN and not _replayed(device):
                    await device.next_event(lambda e: True, timeout=60)
        reports = heap_reports(device.output)[:minutes]
        errors = [e for e in device.events if e["type"] == "error"]
        reps = len([e for e in device.events if e["type"] == "rep"])
        return {
            "reports": reports,
            "visits": visits,
            "quiet": quiet,
            "synced": synced,
            "reps": reps,
            "errors": errors,
            "memory_errors": "".join(device.output).count("MemoryError"),
            "returncodes": list(device.returncodes),
        }


def _replayed(device):
    """The whole trace was played: the board's clock keeps real time from now on (a report
    once a real minute)."""
    return any(e["type"] == "sim.replayed" for e in device.events)


def soak(hours, heap, deployment="mpy_files"):
    """The soak's figures: reports [(used, largest free block)] once a simulated minute (the
    simulated hardware's bytes included in used), visits by the host, sessions synced, reps,
    visits that found the radio quiet, error events, MemoryErrors printed, exit codes of
    firmware processes that ended (restarts). deployment: how the firmware's modules reach the
    interpreter (runner.DEPLOYMENTS: .mpy files, a ROMFS image, frozen into its image)."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sessions = soak_trace(tmp / "soak.csv", hours)
        figures = asyncio.run(_soak(tmp / "soak.csv", hours, heap, deployment, tmp))
    return {"hours": hours, "heap": heap, "deployment": deployment, "sessions": sessions, **figures}


def growth(reports):
    """(the peak used bytes of the soak's first half, of its second): no growth keeps them
    alike."""
    used = [u for u, _ in reports]
    half = len(used) // 2
    return max(used[:half]), max(used[half:])


def soak_table(figures):
    """Markdown rows of soak()'s figures."""
    reports = figures["reports"]
    first, second = growth(reports)
    largest = [free for _used, free in reports]
    codes = ", ".join(sorted({e["code"] for e in figures["errors"]}))
    return "\n".join(
        [
            f"{figures['hours']:g} simulated hours on the 32-bit unix port with a "
            f"{figures['heap']} firmware heap (the simulated hardware's own on top), the "
            f"modules {MODULES_ARE[figures['deployment']]}: "
            f"{figures['sessions']} sessions with {REST_S // 60}-minute rests, a host coming back "
            f"{figures['visits']} times (every {VISIT_MIN} minutes) for a live view and a sync "
            f"({figures['quiet']} found it recording with its radio quiet).",
            "",
            "| measure | value |",
            "|---|---|",
            f"| reps counted / sessions synced | {figures['reps']} / {figures['synced']} |",
            f"| MemoryErrors / error events (codes) / restarts | {figures['memory_errors']} / "
            f"{len(figures['errors'])} ({codes}) / {len(figures['returncodes'])} |",
            f"| heap used after the minute's gc, peak of the first / second half "
            f"(simulated hardware included) | {first:,} / {second:,} bytes |",
            f"| largest free block after the minute's gc, least / median | {min(largest):,} / "
            f"{sorted(largest)[len(largest) // 2]:,} bytes |",
        ]
    )
