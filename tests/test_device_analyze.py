"""`device run` reports exactly `analyze`'s reps, rep for rep, on the 64-bit and the 32-bit unix
port: for any trace the host accepts, and across a session timeout.

One board view (calfraise.boardview) decides what the detector sees of a trace: the IMU the sim
board carries for the trace's rate, the trace sampled on that chip's clock, the chip's counts,
the Sampler's stamps. A 104 Hz trace once reached the board's LSM6DSOX in its own counts and
`analyze` at the MPU-6886's; a jittered trace reached the board resampled and `analyze` as
stamped. Now both take the board view, so the detector sees the same integers either way.

A session that times out used to restart the detector: a fresh block alignment wherever the
drain that noticed the timeout ended (real elapsed time decides that), the gyro bias and the
rest learned again, the heel-raise direction forgotten. The reps after it then differed from
`analyze` (one detector over the whole trace) and between runs and ports. Now a timeout only
numbers the sets afresh (Sampler.new_session); the detector tracks on.

A gyro bias saved in the board's settings is restored by the one function both call
(sampler.restore_bias): `analyze --gyro-bias-mdps` with it finds the board's reps.
"""

import importlib.util
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from calfraise.analyze import analyze_trace
from calfraise.boardview import board_samples, raw_batches, trace_imu
from calfraise.device import PORT
from calfraise.device.runner import run_device
from calfraise.sim import SensorConfig, plan_reps, plan_toe_raises, render
from calfraise.trace import ACCEL_UNIT, GYRO_UNIT, TraceError, iter_trace, read_trace, write_trace
from conftest import require_mp32

RATE_HZ = 100  # an MPU-6886 at analyze's own scale: the board reads the trace sample for sample
SENSOR = SensorConfig(
    chip="MPU-6886",
    rate_hz=RATE_HZ,
    gyro_bias_dps=(0.8, -0.5, 0.4),
    accel_noise_g=0.004,
    gyro_noise_dps=0.07,
)
IDLE_END_S = 30
FIELDS = ("start_ms", "top_ms", "lower_ms", "end_ms", "amplitude_deg", "partial")
# every rate the boards' IMUs run at that the detector takes: MPU-6050/6886, LSM6DS*
BOARD_RATES = (40, 50, 52, 100, 104, 125, 200, 208, 250, 416)
RECORDED_RATES = (30, 60, 128, 400)  # recordings at rates no board takes: measured at the nearest
CHIP_OF_RATE = {52: "LSM6DSOX", 104: "LSM6DSOX", 208: "LSM6DSOX", 416: "LSM6DSOX"}


def rows(reps, fields=FIELDS):
    return [[r[k] for k in fields] for r in reps]


@pytest.fixture(scope="module")
def timeout_trace(tmp_path_factory):
    """A set, a pause past the session timeout, then toe raises (the direction learned in the
    first session rejects them) and another set. Regular timestamps: the board's clock."""
    first = plan_reps(5, tail_s=IDLE_END_S + 12.0, seed=21, sensor=SENSOR)
    toes = plan_toe_raises(3, lead_s=0.5, tail_s=2.0, seed=22, sensor=SENSOR)
    second = plan_reps(5, lead_s=0.5, tail_s=3.0, partial=(4,), seed=23, sensor=SENSOR)
    trace = render(first + toes + second)
    t_ms = np.rint(np.arange(len(trace.t_ms)) * 1000 / RATE_HZ).astype(np.int64)
    csv = tmp_path_factory.mktemp("timeout") / "session.csv"
    write_trace(csv, t_ms, trace.accel_g, trace.gyro_dps)
    return csv


@pytest.mark.parametrize("bits", [64, 32])
def test_device_run_reports_analyzes_reps_across_a_session_timeout(timeout_trace, bits):
    if bits == 32:
        require_mp32()
    expected = analyze_trace(timeout_trace)
    assert len(expected) == 10
    settings_json = {"settings.json": json.dumps({"idle_end_s": IDLE_END_S})}
    run = run_device(
        timeout_trace, bits=bits, files=settings_json, after_ms=IDLE_END_S * 1000 + 5000
    )
    assert run.returncode == 0, run.stderr
    ends = [e for e in run.of_type("state") if e["state"] == "idle"]
    assert [e["reason"] for e in ends] == ["timeout", "timeout"]  # two sessions
    reps = run.of_type("rep")
    assert rows(reps) == rows(expected)
    # each session numbers its sets from 1: the second starts with set 1 again
    assert [(r["set"], r["rep"]) for r in reps] == [(1, n) for n in range(1, 6)] * 2


# --- any trace: rates, jitter, gaps, clip orientations ----------------------------------------


@st.composite
def traces(draw):
    """A session as a recording brings it: a board's rate or another, a clock off by up to 1 %,
    stamps that jitter up to past half a period, lost samples and FIFO gaps, any clip
    orientation, partial reps, a second set, and the last rep close to the end of the trace."""
    rate = draw(st.sampled_from(BOARD_RATES + RECORDED_RATES))
    period_ms = 1000 / rate
    sensor = SensorConfig(
        chip=CHIP_OF_RATE.get(rate, "MPU-6886"),
        rate_hz=rate,
        gyro_bias_dps=(0.6, -0.4, 0.3),
        accel_noise_g=0.004,
        gyro_noise_dps=0.07,
        skew=draw(st.floats(-0.01, 0.01)),
        jitter_ms=draw(st.sampled_from((0.0, 0.3 * period_ms, 0.7 * period_ms, 3.0))),
        drop_rate=draw(st.sampled_from((0.0, 0.01))),
        gaps=draw(st.sampled_from(((), ((0.4, 3 * period_ms),), ((0.5, 1500.0),)))),
    )
    seed = draw(st.integers(0, 10_000))
    n = draw(st.integers(2, 4))
    partial = tuple(r for r in range(1, n + 1) if draw(st.booleans()))
    plan = plan_reps(n, partial=partial, tail_s=13.0, seed=seed, sensor=sensor)
    plan = plan + plan_reps(
        draw(st.integers(1, 3)),
        lead_s=0.5,
        tail_s=draw(st.sampled_from((0.4, 1.5))),
        seed=seed + 1,
        sensor=sensor,
    )
    clip = draw(st.one_of(st.none(), st.integers(0, 2**32 - 1)))
    return render(plan, clip=None if clip is None else Rotation.random(random_state=clip))


# a gyro bias saved in the board's settings (whole mdps, up to 5 deg/s), or none
SAVED_BIAS = st.one_of(st.none(), st.lists(st.integers(-5000, 5000), min_size=3, max_size=3))


def check_any_trace(tmp_path, trace, bits, bias):
    csv = tmp_path / "trace.csv"
    write_trace(csv, trace.t_ms, trace.accel_g, trace.gyro_dps)
    expected = analyze_trace(csv, bias)
    settings_json = json.dumps({} if bias is None else {"gyro_bias_mdps": bias})
    run = run_device(csv, bits=bits, files={"settings.json": settings_json}, after_ms=15_000)
    assert run.returncode == 0, run.stderr
    numbered = ("set", "rep", *FIELDS)  # one session: the sets too
    assert rows(run.of_type("rep"), numbered) == rows(expected, numbered)


PROPERTY = dict(
    deadline=None,
    derandomize=True,
    phases=(Phase.explicit, Phase.generate),  # shrinking would rerun the firmware for minutes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@settings(max_examples=10, **PROPERTY)
@given(trace=traces(), bias=SAVED_BIAS)
def test_device_run_reports_analyzes_reps_for_any_trace(tmp_path, trace, bias):
    check_any_trace(tmp_path, trace, 64, bias)


@settings(max_examples=4, **PROPERTY)
@given(trace=traces(), bias=SAVED_BIAS)
def test_device_run_on_32_bit_reports_analyzes_reps_for_any_trace(tmp_path, trace, bias):
    require_mp32()
    check_any_trace(tmp_path, trace, 32, bias)


def test_a_trace_past_the_boards_clock_is_refused_by_both(tmp_path):
    """Epoch stamps would have a board hold the first row for decades: a clear error instead."""
    csv = tmp_path / "epoch.csv"
    write_trace(csv, [1_733_490_000_000, 1_733_490_000_010], np.zeros((2, 3)), np.zeros((2, 3)))
    for path in (lambda: analyze_trace(csv), lambda: run_device(csv)):
        with pytest.raises(TraceError, match="t_ms reaches 1733490000010: a board counts ms"):
            path()


# --- the board view's parts, against the simulated chips ---------------------------------------


def _chip_base():
    """The simulated chips' conversion (port/simhw/chips/base.py), loaded apart from the port's
    own time and machine modules."""
    spec = importlib.util.spec_from_file_location("simhw_base", PORT / "simhw/chips/base.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# (rate, then the chip model's own to_counts arguments for accel and gyro: lsm6ds.push_xyz
# takes 10**9 // unit and its sensitivity in micro-units, mpu6xxx.produce LSB x 1000 and unit)
CHIP_CONVERSIONS = (
    (104, (10**9 // ACCEL_UNIT, 244), (10**9 // GYRO_UNIT, 35000)),
    (100, (4096000, ACCEL_UNIT), (32800, GYRO_UNIT)),
)


@pytest.mark.parametrize(("rate", "accel", "gyro"), CHIP_CONVERSIONS)
@settings(max_examples=30, deadline=None, derandomize=True)
@given(values=st.lists(st.integers(-2_000_000, 2_000_000), min_size=1, max_size=50))
def test_counts_are_the_chip_models_counts(rate, accel, gyro, values):
    """The driver's exact sensitivity, rounded as the chip models round (half away from zero:
    0.625 deg/s is 20.5 counts on an MPU-6886, 21 on the chip, 20 by numpy's rint) and
    saturated at full scale."""
    to_counts = _chip_base().to_counts
    imu = trace_imu(rate)
    ties = [625, -625, 1875]  # 0.625, -0.625, 1.875 deg/s: halves at 32.8 LSB/(deg/s)
    world = np.array(values + ties)
    assert imu.counts(world, imu.accel_lsb, ACCEL_UNIT).tolist() == [
        to_counts(v, *accel) for v in world.tolist()
    ]
    assert imu.counts(world, imu.gyro_lsb, GYRO_UNIT).tolist() == [
        to_counts(v, *gyro) for v in world.tolist()
    ]


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    rate=st.sampled_from(BOARD_RATES),
    jitter=st.floats(0, 0.45),
    chunk=st.integers(3, 400),
    start=st.integers(0, 5),
    seed=st.integers(0, 1000),
)
def test_board_samples_take_each_jittered_row_once_and_stream(
    tmp_path_factory, rate, jitter, chunk, start, seed
):
    """Rows stamped off the board's clock by less than half a period are its samples one for one,
    after the first row held from t_ms 0; read in chunks of any size, the same samples."""
    rng = np.random.default_rng(seed)
    n = 300
    exact = (start + np.arange(n)) * 1000 / rate  # the trace starts at the board's sample `start`
    t_ms = np.rint(exact + rng.uniform(-jitter, jitter, n) * 1000 / rate).astype(np.int64)
    t_ms = np.maximum.accumulate(t_ms)
    accel, gyro = rng.normal(0, 1, (n, 3)), rng.normal(0, 100, (n, 3))
    csv = tmp_path_factory.mktemp("jitter") / "t.csv"
    write_trace(csv, t_ms, accel, gyro)
    imu = trace_imu(rate)
    whole = np.concatenate(list(board_samples(read_trace(csv), imu.rate_hz, tail_ms=0)))
    streamed = list(board_samples(iter_trace(csv, rows_per_chunk=chunk), imu.rate_hz, tail_ms=0))
    assert np.array_equal(np.concatenate(streamed), whole)
    trace = read_trace(csv)
    world = np.hstack((np.rint(trace.accel_g * ACCEL_UNIT), np.rint(trace.gyro_dps * GYRO_UNIT)))
    lead = start  # the samples before the first row hold it
    assert (whole[:lead] == world[0]).all()
    assert np.array_equal(whole[lead : lead + n], world.astype(np.int64))
    assert len(whole) - lead - n <= 1 and (whole[lead + n :] == world[-1]).all()
    # and the detector's stamps are the Sampler's clock, whatever the rows' stamps
    batches = np.concatenate(list(raw_batches(imu, iter_trace(csv, rows_per_chunk=chunk))))
    k = np.arange(len(batches))
    assert np.array_equal(batches[:, 0], (k * 1000 + rate // 2) // rate)
