"""The benchmark scores what a user of `calfraise analyze` or `device run` gets: its corpus is
read through the same board (calfraise.boardview: the chip per rate, its counts, the Sampler's
clock), and a saved gyro bias is restored as the board restores it, so they cannot drift apart.

The bench reads a simulated trace in memory, analyze and device run read its CSV: the CSV holds
calfraise.trace.world_units' integers, so both are the same samples (a 0.0175 dps/LSB gyro's
2.0825 was 2082 in memory but "2.083" in the CSV, and bias_off seed 3 moved 14 reps by 1 ms)."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calfraise.analyze import analyze_trace
from calfraise.bench.corpus import detect_as_booted
from calfraise.cli import main
from calfraise.device.runner import run_device
from calfraise.sim import simulate_session
from calfraise.trace import read_trace, world_units, write_trace


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


@pytest.mark.parametrize("seed", [0, 3])  # an LSM6DSOX at 52 Hz, one at 104 Hz (0.0175 dps/LSB)
def test_a_saved_gyro_bias_is_restored_as_the_board_restores_it(tmp_path, capsys, seed):
    """A bias_off session on the sim board whose settings hold the bias in mdps: the bench's
    reps are the board's and `analyze --gyro-bias-mdps`'s, and differ from those without it."""
    trace = simulate_session("bias_off", seed)
    saved = [round(b * 1000) for b in trace.truth["meta"]["saved_gyro_bias_dps"]]
    csv = tmp_path / "session.csv"
    write_trace(csv, trace.t_ms, trace.accel_g, trace.gyro_dps)
    settings = {"idle_end_s": 200, "gyro_bias_mdps": saved}
    run = run_device(csv, files={"settings.json": json.dumps(settings)}, after_ms=210_000)
    assert run.returncode == 0, run.stderr
    found = detect_as_booted(trace)
    assert found != analyze_trace(trace)  # the bias matters to these reps
    assert [{k: e[k] for k in r} for e, r in zip(run.of_type("rep"), found, strict=True)] == found
    capsys.readouterr()
    bias = ",".join(map(str, saved))
    assert main(["analyze", str(csv), f"--gyro-bias-mdps={bias}", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["reps"] == found


LSB_DPS = (0.0175, 0.035, 0.07, 1 / 32.8, 1 / 16.4)  # the sim's LSM6DS and MPU gyro ranges
LSB_G = (0.000061, 0.000122, 0.000244, 1 / 4096, 1 / 8192)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    lsb=st.tuples(st.sampled_from(LSB_G), st.sampled_from(LSB_DPS)),
    counts=st.lists(st.integers(-32768, 32767), min_size=6, max_size=60).filter(
        lambda c: len(c) % 6 == 0
    ),
    noise=st.lists(st.floats(-4, 4, allow_nan=False), min_size=6, max_size=6),
)
def test_a_trace_in_memory_and_its_csv_are_the_same_samples(tmp_path_factory, lsb, counts, noise):
    """What the bench reads (a trace in memory) and what analyze reads (its CSV) are the same
    integers for boardview: sim values in whole counts (half-LSB ties at 1e-3 dps) or not."""
    values = np.array(counts, dtype=np.float64).reshape(-1, 6) * np.repeat(lsb, 3)
    values = np.vstack((values, [noise]))
    csv = tmp_path_factory.mktemp("csv") / "t.csv"
    write_trace(csv, np.arange(len(values)) * 10, values[:, :3], values[:, 3:])
    back = read_trace(csv)
    assert np.array_equal(
        world_units(back.accel_g, back.gyro_dps), world_units(values[:, :3], values[:, 3:])
    )
