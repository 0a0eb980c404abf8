"""`device run` reports exactly `analyze`'s reps, rep for rep, on the 64-bit and the 32-bit unix
port, across a session timeout.

A session that times out used to restart the detector: a fresh block alignment wherever the
drain that noticed the timeout ended (real elapsed time decides that), the gyro bias and the
rest learned again, the heel-raise direction forgotten. The reps after it then differed from
`analyze` (one detector over the whole trace) and between runs and ports. Now a timeout only
numbers the sets afresh (Sampler.new_session); the detector tracks on.
"""

import json

import numpy as np
import pytest

from calfraise.analyze import detect
from calfraise.device.runner import run_device
from calfraise.sim import SensorConfig, plan_reps, plan_toe_raises, render
from calfraise.trace import read_trace, write_trace
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
    expected = detect(read_trace(timeout_trace), float(RATE_HZ))
    assert len(expected) == 10
    settings = {"settings.json": json.dumps({"idle_end_s": IDLE_END_S})}
    run = run_device(timeout_trace, bits=bits, files=settings, after_ms=IDLE_END_S * 1000 + 5000)
    assert run.returncode == 0, run.stderr
    ends = [e for e in run.of_type("state") if e["state"] == "idle"]
    assert [e["reason"] for e in ends] == ["timeout", "timeout"]  # two sessions
    reps = run.of_type("rep")
    assert [[r[k] for k in FIELDS] for r in reps] == [[r[k] for k in FIELDS] for r in expected]
    # each session numbers its sets from 1: the second starts with set 1 again
    assert [(r["set"], r["rep"]) for r in reps] == [(1, n) for n in range(1, 6)] * 2
