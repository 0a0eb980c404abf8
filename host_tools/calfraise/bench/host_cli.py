"""Host command-line figures: how long `calfraise` takes to start for --help and the database
commands, and the time and peak memory (RSS) of the trace commands on a 10-minute and a 2-hour
trace (they read traces as a stream: memory should not grow with the length).

Each command runs as its own process, as a person runs it; its peak RSS and CPU time come from
the kernel's accounting of that process and the ones it waited for (wait4), its time from the
wall clock. Run alone:
`python -m calfraise.bench.host_cli`.
"""

import statistics
import subprocess
import sys
import tempfile
from contextlib import closing
from pathlib import Path

from calfraise.bench.ble import session_file
from calfraise.bench.storage import session_events
from calfraise.host.db import open_db
from calfraise.host.importer import import_session
from calfraise.sim import build_session_plan, simulate_session
from calfraise.trace import TraceWriter

CALFRAISE = Path(sys.executable).parent / "calfraise"
START_RUNS = 7  # runs per start-up figure (the median is reported)
TRACE_MINUTES = (10, 120)
STARTS = (
    ("--help", ["--help"]),
    ("sessions", ["--db", "bench.db", "sessions"]),
    ("show 1", ["--db", "bench.db", "show", "1"]),
    ("progress", ["--db", "bench.db", "progress"]),
    ("plan", ["--db", "bench.db", "plan"]),
    ("export 1 (csv)", ["--db", "bench.db", "export", "1", "-o", "s.csv", "--force"]),
)


# Runs the command from a small process: a child forked from this (large) one would count this
# process's pages in its peak RSS.
MEASURE = """
import os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.execv(sys.argv[1], sys.argv[1:])
_pid, status, usage = os.wait4(pid, 0)
cpu = usage.ru_utime + usage.ru_stime
print(time.perf_counter() - t0, cpu, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def run(argv, cwd):
    """(wall seconds, CPU seconds, peak RSS in MiB) of one `calfraise ...` process; raises if it
    fails. The CPU time (user + system) says what the command costs on a busy machine too."""
    proc = subprocess.run(
        [sys.executable, "-S", "-c", MEASURE, str(CALFRAISE), *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, cpu, kib, code = proc.stdout.split()
    if code != "0":
        raise RuntimeError(f"calfraise {' '.join(argv)} failed: {proc.stderr}")
    return float(seconds), float(cpu), int(kib) / 1024


def bench_database(path, sessions=24):
    """A database of simulated sessions (varied tier) as a person's history might hold, their
    files made with the firmware's own record encoders (as sync receives them)."""
    with closing(open_db(path)) as db:
        for seed in range(sessions):
            events, duration_ms, _ = session_events(build_session_plan("varied", seed))
            import_session(db, "BENCH", session_file(seed + 1, events, duration_ms))


def long_trace(path, minutes):
    """A trace of `minutes`: a simulated clean session repeated end to end, written chunk by
    chunk (the bench itself stays small)."""
    one = simulate_session("clean", 7)
    step = int(one.t_ms[-1]) + 10
    copies = -(-minutes * 60_000 // step)
    with TraceWriter(path, (f"bench: {copies} x simulate --tier clean --seed 7",)) as out:
        for k in range(copies):
            keep = one.t_ms + k * step < minutes * 60_000
            out.write(one.t_ms[keep] + k * step, one.accel_g[keep], one.gyro_dps[keep])
    return path


def trace_commands(trace):
    return (
        ("analyze", ["analyze", str(trace), "--json"]),
        ("device run", ["device", "run", "--trace", str(trace)]),
        ("--sim live", ["--sim", str(trace), "live", "--until-end", "--json"]),
    )


def host_cli_figures(minutes=TRACE_MINUTES, with_device=True):
    """{"start": [(label, median wall s, median CPU s, peak MiB)],
    "traces": [(command, minutes, wall s, CPU s, peak MiB)]}."""
    with tempfile.TemporaryDirectory(prefix="calfraise-bench-") as tmp:
        tmp = Path(tmp)
        bench_database(tmp / "bench.db")
        start = []
        for label, argv in STARTS:
            runs = [run(argv, tmp) for _ in range(START_RUNS)]
            start.append(
                (
                    label,
                    statistics.median(r[0] for r in runs),
                    statistics.median(r[1] for r in runs),
                    max(r[2] for r in runs),
                )
            )
        traces = []
        for length in minutes:
            trace = long_trace(tmp / f"t{length}.csv", length)
            for label, argv in trace_commands(trace)[: None if with_device else 1]:
                traces.append((label, length, *run(argv, tmp)))
    return {"start": start, "traces": traces}


def host_cli_table(f):
    rows = [
        f"Start-up: the median of {START_RUNS} runs of each command, as its own process "
        "(the 0.5 s target), on a database of 24 sessions.",
        "",
        "| command | time (s) | CPU (s) | peak RSS (MiB) |",
        "|---|---|---|---|",
    ]
    rows += [
        f"| `calfraise {label}` | {s:.2f} | {cpu:.2f} | {mib:.0f} |"
        for label, s, cpu, mib in f["start"]
    ]
    rows += [
        "",
        "Traces read as a stream: time and peak RSS of the command (`device run`, `--sim`: CPU "
        "includes the firmware's process, the peak is the larger of the two).",
        "",
        "| command | trace | time (s) | CPU (s) | peak RSS (MiB) |",
        "|---|---|---|---|---|",
    ]
    rows += [
        f"| `calfraise {label}` | {length} min | {s:.1f} | {cpu:.1f} | {mib:.0f} |"
        for label, length, s, cpu, mib in f["traces"]
    ]
    return "\n".join(rows)


if __name__ == "__main__":
    print(host_cli_table(host_cli_figures()))
