"""`calfraise analyze`: count and time the reps in a trace CSV with the firmware's own detector.

The trace is read as the board's IMU would measure it (calfraise.boardview: the chip's rate,
clock and counts, the firmware Sampler's stamps) and fed to calfraise_fw.detector sample by
sample, so `analyze`, `device run` and `live` give the same reps. It is read twice as a stream
(iter_trace), once for the sample rate, once for the reps: memory does not grow with the
trace's length (only --plot holds the whole trace). detect() feeds a trace's own rows at the
rate given (the detector's tests).
"""

import json
import sys
from collections import Counter
from os import PathLike
from pathlib import Path

from calfraise.boardview import raw_batches, trace_imu
from calfraise.errors import UserError
from calfraise.trace import TraceError, iter_trace, read_trace
from calfraise_fw.detector import RepDetector

ACCEL_LSB_PER_G = 4096  # +-8 g full scale
GYRO_LSB_PER_DPS = 32.8  # +-1000 dps full scale
INT16_MIN = -32768
INT16_MAX = 32767


def add_analyze_parser(subparsers):
    p = subparsers.add_parser("analyze", help="count and time the reps in a trace CSV")
    p.add_argument("trace", metavar="TRACE.csv", help="trace CSV (simulated or captured)")
    p.add_argument("--json", action="store_true", help="print reps and sets as JSON")
    p.add_argument(
        "--plot", metavar="FILE.png", help="also draw the signal with the reps detected in it"
    )
    p.add_argument(
        "--gyro-bias-mdps",
        metavar="X,Y,Z",
        help="the gyro bias the board restored at boot (its settings' gyro_bias_mdps): the reps "
        "`device run` finds with those settings",
    )
    p.set_defaults(func=run)


def parse_bias(text):
    """--gyro-bias-mdps X,Y,Z as three ints (a board keeps whole mdps), or None."""
    if text is None:
        return None
    try:
        bias = [int(v) for v in text.split(",")]
    except ValueError:
        bias = []
    if len(bias) != 3:
        raise UserError(f"--gyro-bias-mdps {text}: expected three whole mdps, X,Y,Z")
    return bias


def run(args):
    bias = parse_bias(args.gyro_bias_mdps)
    times = TraceTimes(iter_trace(args.trace))
    imu = trace_imu(times.rate_hz())
    rate_hz = imu.rate_hz
    reps = detect_as_board(iter_trace(args.trace), imu, bias)
    sets = summarize_sets(reps)
    if args.plot:
        from calfraise.trace_plot import render_trace_png

        try:
            Path(args.plot).write_bytes(render_trace_png(read_trace(args.trace), reps))
        except OSError as err:
            raise UserError(f"cannot write {args.plot}: {err.strerror}") from None
    if args.json:
        json.dump({"reps": reps, "sets": sets}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        from rich.console import Console

        print_summary(Console(), times, rate_hz, reps, sets)
    return 0


def to_raw(values, lsb_per_unit):
    """Physical units to the IMU's int16 counts, saturating like the chip does at full scale."""
    import numpy as np  # here, not at the top: the command line starts without it

    counts = np.rint(np.asarray(values) * lsb_per_unit)
    return np.clip(counts, INT16_MIN, INT16_MAX).astype(np.int64)


def _chunks(trace):
    """A trace in memory (Trace, SimTrace) as the one chunk it is; iter_trace's as they come."""
    return (trace,) if hasattr(trace, "t_ms") else trace


class TraceTimes:
    """What the timestamps of a trace (a Trace, or iter_trace's chunks, read once) tell: its
    path, first and last t_ms, and a histogram of the steps between samples (a handful of
    distinct values, whatever the length)."""

    def __init__(self, trace):
        import numpy as np  # here, not at the top: the command line starts without it

        self.steps = Counter()
        self.path = self.first_ms = self.last_ms = None
        for chunk in _chunks(trace):
            t = chunk.t_ms
            if self.last_ms is None:
                self.path, self.first_ms = chunk.path, int(t[0])
            else:
                self.steps[int(t[0]) - self.last_ms] += 1
            self.steps.update(np.diff(t).tolist())
            self.last_ms = int(t[-1])

    def rate_hz(self):
        """Output data rate from the timestamps.

        The median step finds the regular sampling interval (gaps and jitter do not move it);
        the mean over steps near it then undoes the rounding of integer-ms stamps (104 Hz steps
        are 9 or 10 ms).
        """
        n = self.steps.total()
        if n == 0:
            raise TraceError(self.path, None, "only one sample: cannot tell the sample rate")
        typical = (self._nth((n - 1) // 2) + self._nth(n // 2)) / 2  # the median
        if typical <= 0:
            raise TraceError(
                self.path, None, "timestamps do not advance: cannot tell the sample rate"
            )
        regular = {s: k for s, k in self.steps.items() if typical / 2 < s < typical * 3 / 2}
        mean = sum(s * k for s, k in regular.items()) / sum(regular.values())
        return round(1000.0 / mean, 1)

    def _nth(self, i):
        """The i-th smallest step (0-based)."""
        for step in sorted(self.steps):
            i -= self.steps[step]
            if i < 0:
                return step
        raise IndexError(i)


def estimate_rate_hz(trace):
    """Output data rate of a Trace (or of iter_trace's chunks): TraceTimes.rate_hz."""
    return TraceTimes(trace).rate_hz()


def raw_samples(trace):
    """The trace as the board would read it: an (N, 7) int array of t_ms and six raw counts."""
    import numpy as np

    return np.column_stack(
        (
            np.asarray(trace.t_ms, dtype=np.int64),
            to_raw(trace.accel_g, ACCEL_LSB_PER_G),
            to_raw(trace.gyro_dps, GYRO_LSB_PER_DPS),
        )
    )


def detect(trace, rate_hz):
    """Run the firmware detector over the trace (a Trace, or iter_trace's chunks); returns the
    reps as dicts, in order."""
    det = RepDetector(
        rate_hz=rate_hz, accel_lsb_per_g=ACCEL_LSB_PER_G, gyro_lsb_per_dps=GYRO_LSB_PER_DPS
    )
    reps = []
    for chunk in _chunks(trace):
        reps += detect_samples(det, raw_samples(chunk).tolist())  # Python ints, as on the board
    return reps


def analyze_trace(trace, gyro_bias_mdps=None):
    """The reps `calfraise analyze` reports for a trace (the sim board's detector finds the
    same): a CSV's path, read as a stream, or a Trace or SimTrace in memory (the benchmark);
    detect_as_board with the IMU the trace's rate calls for."""
    chunks = (lambda: iter_trace(trace)) if isinstance(trace, str | PathLike) else lambda: trace
    return detect_as_board(chunks(), trace_imu(estimate_rate_hz(chunks())), gyro_bias_mdps)


def detect_as_board(trace, imu, gyro_bias_mdps=None):
    """The reps the board's detector finds in the trace (a Trace, or iter_trace's chunks) as
    measured by imu (a boardview.BoardImu, e.g. trace_imu's), as dicts in order; with the gyro
    bias in mdps the board restored at boot (its settings' gyro_bias_mdps), if given."""
    det = RepDetector(
        rate_hz=imu.rate_hz,
        accel_lsb_per_g=imu.accel_lsb_per_g,
        gyro_lsb_per_dps=imu.gyro_lsb_per_dps,
    )
    if gyro_bias_mdps is not None:
        from calfraise_fw.sampler import restore_bias  # here: it brings asyncio, a slow import

        restore_bias(det, imu, gyro_bias_mdps)
    reps = []
    for batch in raw_batches(imu, trace):
        reps += detect_samples(det, batch.tolist())  # Python ints, as on the board
    return reps


def detect_samples(det, samples):
    """Feed det the raw samples (t_ms, ax, ay, az, gx, gy, gz); the reps it gives, as dicts."""
    reps = []
    for sample in samples:
        rep = det.update(*sample)
        if rep is not None:
            reps.append(rep.as_dict())  # the detector reuses its Rep object
    return reps


def summarize_sets(reps):
    """Per-set totals, in set order."""
    sets = []
    for set_no in sorted({r["set"] for r in reps}):
        members = [r for r in reps if r["set"] == set_no]
        sets.append(
            {
                "set": set_no,
                "reps": len(members),
                "start_ms": members[0]["start_ms"],
                "end_ms": members[-1]["end_ms"],
                "partial": sum(1 for r in members if r["partial"]),
                "mean_up_ms": round(sum(r["up_ms"] for r in members) / len(members)),
                "mean_down_ms": round(sum(r["down_ms"] for r in members) / len(members)),
            }
        )
    return sets


def _s(ms):
    return f"{ms / 1000:.2f}"


def _clock(ms):
    seconds = round(ms / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


def print_summary(console, times, rate_hz, reps, sets):
    """One table per set (tempo and range of every rep), then the session's totals; times: the
    trace's TraceTimes."""
    from rich.markup import escape
    from rich.table import Table

    for s in sets:
        table = Table(
            title=f"Set {s['set']}: {s['reps']} reps, {s['partial']} partial, "
            f"{_clock(s['end_ms'] - s['start_ms'])} long",
            title_justify="left",
        )
        for name in ("Rep", "Up s", "Hold s", "Down s", "Amplitude °", "Partial"):
            table.add_column(name, justify="left" if name == "Partial" else "right")
        for r in (r for r in reps if r["set"] == s["set"]):
            table.add_row(
                str(r["rep"]),
                _s(r["up_ms"]),
                _s(r["hold_ms"]),
                _s(r["down_ms"]),
                f"{r['amplitude_deg']:.1f}",
                "partial" if r["partial"] else "",
            )
        table.add_section()
        table.add_row("mean", _s(s["mean_up_ms"]), "", _s(s["mean_down_ms"]), "", "", style="bold")
        console.print(table)
    partial = sum(s["partial"] for s in sets)
    duration = times.last_ms - times.first_ms
    console.print(
        f"[bold]Session:[/] {len(sets)} sets, {len(reps)} reps ({partial} partial) "
        f"in {_clock(duration)} of trace at {rate_hz:g} Hz ({escape(str(times.path))})",
        highlight=False,
    )
