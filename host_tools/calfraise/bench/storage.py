"""What storing sessions costs on the board's flash, measured on the unix port: LittleFS over a
simulated 2 MiB NOR flash (4096-byte blocks), fed the reps of simulated sessions.

An "hour of sessions" is simulated training (calfraise.sim plans of one tier, back to back,
with their sets and rests), so its rep rate is the simulator's, not a guess.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from calfraise.device import PORT
from calfraise.sim import Rep, build_session_plan
from calfraise_fw import records

REPO = Path(__file__).resolve().parents[3]
MP_STORAGE = Path(__file__).with_name("mp_storage.py")
MICROPYTHON = Path(sys.executable).with_name("micropython")
SET_GAP_MS = 12000  # the detector closes a set after this long without a rep
ERASE_CYCLES = 100_000  # NOR flash endurance per block (ESP32 module flash datasheets)
HOUR_MS = 3_600_000


def session_events(plan, set_offset=0):
    """A plan's reps and set ends as mp_storage.py events (ms from the plan's start)."""
    events = []
    sets = {}
    t = 0.0
    for seg in plan.segments:
        if isinstance(seg, Rep):
            top = t + seg.up_s
            lower = top + seg.hold_s
            times = [round(x * 1000) for x in (t, top, lower, lower + seg.down_s)]
            set_no = seg.set_no + set_offset
            events.append(
                ["r", *times, round(seg.amplitude_deg * 100), set_no, seg.rep_no, seg.partial]
            )
            first, _last, n = sets.get(set_no, (times[0], 0, 0))
            sets[set_no] = (first, times[3], n + 1)
        t += seg.duration
    for set_no, (first, last, n) in sets.items():
        events.append(["s", set_no, n, first, last + SET_GAP_MS])
    events.sort(key=lambda e: e[4])
    return events, round(t * 1000), max(sets, default=set_offset)


def _shift(event, t):
    if event[0] == "r":
        return ["r", *(x + t for x in event[1:5]), *event[5:]]
    return ["s", event[1], event[2], event[3] + t, event[4] + t]


def schedule(tier="varied", typical=20):
    """One hour of back-to-back simulated sessions as one session, and `typical` sessions."""
    hour, t, sets, seed = [], 0, 0, 0
    while t < HOUR_MS:
        events, duration, sets = session_events(build_session_plan(tier, seed), sets)
        hour += [_shift(e, t) for e in events]
        t += duration
        seed += 1
    hour.sort(key=lambda e: e[4])
    sessions = []
    for seed in range(typical):
        events, duration, _ = session_events(build_session_plan(tier, seed))
        sessions.append({"duration_ms": duration, "events": events})
    return {"hour": {"duration_ms": t, "events": hour}, "typical": sessions}


def _measure(sched, wear_hours):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "schedule.json"
        path.write_text(json.dumps(sched))
        env = {"MICROPYPATH": f"{PORT}:{REPO / 'firmware'}", "PATH": "/usr/bin:/bin"}
        cmd = [str(MICROPYTHON), "-X", "heapsize=64M", str(MP_STORAGE), str(path), str(wear_hours)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    return json.loads(proc.stdout)


def _wear(w, session_hours):
    """Wear figures of one mp_storage.py wear run."""
    hours = w["hours"] * session_hours
    half, whole = w["max_block_erases"]
    # the most-erased block's rate over the second half of the run (at least one erase)
    rate = max(whole - half, 1) / ((w["hours"] - w["hours"] // 2) * session_hours)
    return {
        "hours": hours,
        "erases_per_hour": w["erases"] / hours,
        "programs_per_hour": w["programs"] / hours,
        "max_block_erases": whole,
        "max_block_rate": rate,
        "lifetime_hours": ERASE_CYCLES / rate,
    }


def storage_figures(tier="varied", wear_hours=20):
    """The storage figures (docs/storage.md): bytes per rep, hours of sessions in 2 MiB,
    erases per hour of use and the flash lifetime they imply (on an empty flash, and on one
    kept full of synced sessions), time to recover a 1-hour log."""
    sched = schedule(tier)
    hour = sched["hour"]
    session_hours = hour["duration_ms"] / HOUR_MS
    m = _measure(sched, wear_hours)
    empty = _wear(m["empty"], session_hours)
    typical = m["fill_typical"]
    return {
        "tier": tier,
        "reps_per_hour": sum(e[0] == "r" for e in hour["events"]) / session_hours,
        "frame_bytes_per_rep": records.frame_size(records.REP),
        "file_bytes_per_hour": sum(m["empty"]["session_bytes"]) / empty["hours"],
        "hours_in_2mib_long": m["fill_hour"]["session_ms"] / HOUR_MS,
        "long_sessions": m["fill_hour"]["sessions"],
        "hours_in_2mib_typical": typical["session_ms"] / HOUR_MS,
        "typical_sessions": typical["sessions"],
        "typical_minutes": typical["session_ms"] / typical["sessions"] / 60000,
        "blocks": m["fill_hour"]["blocks"],
        "wear_empty": empty,
        "wear_full": _wear(m["full"], session_hours),
        "recover_ms_1h": m["recover_us"] / 1000,
        "recovered": m["recovered"],
    }


def storage_table(f):
    """Markdown rows of storage_figures()."""
    rows = [
        "| measure | value |",
        "|---|---|",
        f"| reps per hour of simulated training ({f['tier']} sessions back to back) "
        f"| {f['reps_per_hour']:.0f} |",
        f"| bytes per rep on flash (one REP frame) | {f['frame_bytes_per_rep']} |",
        f"| session file bytes per hour (reps, sets, header, end) "
        f"| {f['file_bytes_per_hour']:,.0f} |",
        f"| hours of sessions in 2 MiB, 1-hour sessions ({f['long_sessions']} fitted) "
        f"| {f['hours_in_2mib_long']:.0f} |",
        f"| hours of sessions in 2 MiB, typical {f['typical_minutes']:.1f}-min sessions "
        f"({f['typical_sessions']} fitted) | {f['hours_in_2mib_typical']:.0f} |",
    ]
    for name, w in (
        ("empty flash", f["wear_empty"]),
        ("flash full of synced sessions", f["wear_full"]),
    ):
        years = w["lifetime_hours"] / 365
        rows += [
            f"| {name}: block erases per hour of use (1-s commits) | {w['erases_per_hour']:.0f} |",
            f"| {name}: most-erased block after {w['hours']:.1f} h; its erases per hour in "
            f"the second half | {w['max_block_erases']}; {w['max_block_rate']:.2f} |",
            f"| {name}: flash lifetime at 100k cycles for that block "
            f"| {w['lifetime_hours']:,.0f} h of use ({years:,.0f} years at 1 h a day) |",
        ]
    rows.append(
        f"| recover a 1-hour log cut short, at boot (unix port, this machine) "
        f"| {f['recover_ms_1h']:.1f} ms |"
    )
    return "\n".join(rows)
