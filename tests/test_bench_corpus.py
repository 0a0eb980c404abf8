"""The benchmark scores what a user of `calfraise analyze` or `device run` gets: its corpus is
read through the same board (calfraise.boardview: the chip per rate, its counts, the Sampler's
clock), and a saved gyro bias is restored as the board restores it, so they cannot drift apart."""

import json

import pytest

from calfraise.analyze import analyze_trace
from calfraise.bench.corpus import detect_as_booted
from calfraise.cli import main
from calfraise.device.runner import run_device
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


def test_a_saved_gyro_bias_is_restored_as_the_board_restores_it(tmp_path):
    """A bias_off session (an LSM6DSOX at 52 Hz) on the sim board whose settings hold the
    bias in mdps: the bench's reps are the board's, and differ from those found without it."""
    trace = simulate_session("bias_off", 0)
    saved = trace.truth["meta"]["saved_gyro_bias_dps"]
    csv = tmp_path / "session.csv"
    write_trace(csv, trace.t_ms, trace.accel_g, trace.gyro_dps)
    settings = {"idle_end_s": 200, "gyro_bias_mdps": [round(b * 1000) for b in saved]}
    run = run_device(csv, files={"settings.json": json.dumps(settings)}, after_ms=210_000)
    assert run.returncode == 0, run.stderr
    found = detect_as_booted(trace)
    assert found != analyze_trace(trace)  # the bias matters to these reps
    assert [{k: e[k] for k in r} for e, r in zip(run.of_type("rep"), found, strict=True)] == found
