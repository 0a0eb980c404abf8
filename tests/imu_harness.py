"""What the IMU driver tests share: a trace whose 1 ms rows are all distinct, and a driver run
on the MicroPython port over its register-level chip model (tests/mp/imu_run.py), on a clock
that only the plan's sleeps move (sim config "clock": "waits"): the real time a read takes on a
loaded machine does not make the chip produce more samples, so every count is the same each run.

The trace's gyro z is a steep ramp, so a decoded sample tells which trace row (simulated ms) it
came from; all six channels must then equal that row converted exactly as the chip converts it,
which shows misaligned frames, swapped sensors, wrong axes or scales, and how many samples
really went missing between two batches.
"""

import json
from fractions import Fraction
from pathlib import Path

import numpy as np

from calfraise.device import PORT
from calfraise.device.simconfig import write_sim_config
from calfraise.device.tracebin import write_tracebin
from calfraise.trace import ACCEL_UNIT, GYRO_UNIT

RUNNER = Path(__file__).parent / "mp" / "imu_run.py"
BUS = "I2C(0, scl=22, sda=21)"  # how the runner names the bus
AXES = "-y,x,z"  # board x = -chip y, board y = chip x
TRACE_MS = 20000


def write_trace(path):
    """A TRACE_MS trace, a row a ms: slow sines, and on gyro z a ramp of 2.6 to 3 counts a row."""
    t_ms = np.arange(TRACE_MS + 1)
    s = t_ms / 1000.0
    accel = np.stack(
        [
            0.7 * np.sin(2 * np.pi * s / 1.3),
            0.4 * np.cos(2 * np.pi * s / 0.7) - 0.2,
            1.0 + 0.3 * np.sin(2 * np.pi * s / 2.3),
        ],
        axis=1,
    )
    gyro = np.stack(
        [
            250 * np.sin(2 * np.pi * s / 0.9),
            -300 * np.cos(2 * np.pi * s / 1.7) + 40,
            -900 + 1800 * t_ms / TRACE_MS,
        ],
        axis=1,
    )
    return write_tracebin(path, t_ms, accel, gyro)


def to_counts(values, lsb, unit):
    """World values (ints, `unit` a g or deg/s) to counts at `lsb` counts per g or deg/s as the
    chip models convert them (simhw/chips/base.py to_counts): the exact ratio, rounded half away
    from zero, saturated. Datasheet sensitivities are ratios of small integers (4096, 32.8 =
    164/5, 1000/0.244 = 250000/61, 1000/35 = 200/7): limit_denominator recovers them."""
    ratio = Fraction(lsb).limit_denominator(1000)
    num = np.abs(values).astype(np.int64) * ratio.numerator
    den = unit * ratio.denominator
    return np.clip(np.sign(values) * ((2 * num + den) // (2 * den)), -32768, 32767)


def to_board(chip, axes):
    """Chip-axis columns (N, 3) in the board frame `axes` names, saturated as the drivers do."""
    columns = []
    for name in axes.split(","):
        sign = -1 if name.startswith("-") else 1
        columns.append(sign * chip[:, "xyz".index(name[-1])])
    return np.clip(np.stack(columns, axis=1), -32768, 32767)


def run(micropython, tmp_path, kind, addr, plan, *, rate=104, trace=None, faults=(), chips=None):
    """The driver of `kind` at `addr` follows `plan` (tests/mp/imu_run.py) over `chips`
    (default: that chip at that address), axes AXES; returns its JSON result."""
    config = {"chips": chips or [{"kind": kind, "addr": addr}], "faults": list(faults)}
    config["clock"] = "waits"  # the chips sample by the plan's sleeps, however loaded the machine
    if trace is not None:
        config["trace"] = str(trace.path)
    env = write_sim_config(tmp_path / "sim.json", **config)
    args = (kind, addr, rate, AXES, plan)
    return json.loads(micropython(script=RUNNER, args=args, path=[PORT], env=env))


class Trace:
    """A trace file and the counts a chip of the given sensitivity reports for each of its rows,
    in the board frame of `axes`."""

    def __init__(self, path, accel_lsb_per_g, gyro_lsb_per_dps, axes):
        self.path = path
        rows = np.fromfile(path, dtype="<i4", offset=4).reshape(-1, 7)
        self.t_ms = rows[:, 0]
        accel = to_board(to_counts(rows[:, 1:4], accel_lsb_per_g, ACCEL_UNIT), axes)
        gyro = to_board(to_counts(rows[:, 4:7], gyro_lsb_per_dps, GYRO_UNIT), axes)
        self.board = np.concatenate([accel, gyro], axis=1)
        # the board channel that carries the chip's gyro z ramp, and its sign
        [(at, name)] = [(i, name) for i, name in enumerate(axes.split(",")) if name[-1] == "z"]
        self.ramp = 3 + at
        self.sign = -1 if name.startswith("-") else 1
        self.key = self.sign * self.board[:, self.ramp]
        assert (np.diff(self.key) > 0).all(), "trace rows must convert to distinct samples"

    def rows(self, result):
        """The trace row (ms) of each decoded sample; fails on a sample that is no trace row."""
        samples = np.asarray(result["samples"], dtype=np.int64).reshape(-1, 6)
        at = np.searchsorted(self.key, self.sign * samples[:, self.ramp])
        at = np.minimum(at, len(self.key) - 1)
        wrong = np.flatnonzero((self.board[at] != samples).any(axis=1))
        if len(wrong):
            i = wrong[0]
            raise AssertionError(
                f"sample {i} {samples[i].tolist()} is no trace row: misaligned or misdecoded"
                f" (nearest: {self.t_ms[at[i]]} ms, {self.board[at[i]].tolist()})"
            )
        return self.t_ms[at]

    def losses(self, result):
        """[(sample index, samples truly missing before it, gap the driver reported)] wherever
        either is non-zero; a restart's first sample is left out (re-init starts a new clock)."""
        rows = self.rows(result)
        reported = {}
        for first, _, gap in result["batches"]:
            reported[first] = reported.get(first, 0) + gap
        restarted = {index for index, _ in result["raised"]}
        out = []
        for i in range(1, len(rows)):
            if i in restarted:
                continue
            periods = (rows[i] - rows[i - 1]) * result["rate_hz"] / 1000
            assert abs(periods - round(periods)) < 0.25 and periods > 0.5, f"sample {i}: {periods}"
            missing = round(periods) - 1
            if missing or reported.get(i, 0):
                out.append((i, missing, reported.get(i, 0)))
        return out
