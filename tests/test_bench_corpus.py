"""The benchmark scores what a user of `calfraise analyze` gets: its corpus is read through the
same board (calfraise.boardview: the chip per rate, its counts, the Sampler's clock), so the
two cannot drift apart."""

import json

import pytest

from calfraise.bench.corpus import detect_as_booted
from calfraise.cli import main
from calfraise.sim import simulate_session
from calfraise.trace import write_trace


@pytest.mark.parametrize(
    ("kind", "seed"),
    [("hard", 0), ("hard", 5)],  # an MPU-6050 at 50 Hz, an LSM6DSOX at 104 Hz; both with gaps
)
def test_the_bench_counts_what_analyze_counts(tmp_path, capsys, kind, seed):
    trace = simulate_session(kind, seed)
    assert trace.truth["meta"]["saved_gyro_bias_dps"] is None  # analyze restores no bias
    csv = tmp_path / "session.csv"
    write_trace(csv, trace.t_ms, trace.accel_g, trace.gyro_dps)
    capsys.readouterr()
    assert main(["analyze", str(csv), "--json"]) == 0
    analyzed = json.loads(capsys.readouterr().out)["reps"]
    found = detect_as_booted(trace)
    assert len(found) > 30  # sets of reps, not an empty list twice
    assert found == analyzed
