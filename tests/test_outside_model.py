"""The detector on the second, independent model of heel raises (calfraise.bench.outside).

Its physics is checked first (gravity at rest, the gyro adding up to the pitch), then the case
it found: in a brisk rep with a long lever (24 cm, a large shoe) at a real 245 deg/s the heel
decelerates into its top at ~0.7 g, so the accelerometer reads under the 0.32 g the detector
takes for free fall. Such a rep counts, on both interpreters (docs/detector.md, 1).
"""

import json
from pathlib import Path

import numpy as np
import pytest

from calfraise.analyze import detect_samples, raw_samples
from calfraise.bench.outside import BRISK, RATE_HZ, session
from calfraise_fw.detector import RepDetector

LIGHT_TOP = (4, 30)  # (seed, rep index) of a brisk rep whose top reads under 0.32 g
BLOCK = 4  # samples a block at 100 Hz


@pytest.fixture(scope="module")
def brisk():
    return session(LIGHT_TOP[0], BRISK)


def test_the_model_reads_gravity_at_rest_and_its_gyro_adds_up_to_the_pitch(brisk):
    trace, truth = brisk
    still = trace.t_ms < 1500
    assert np.linalg.norm(trace.accel_g[still], axis=1).mean() == pytest.approx(1.0, abs=0.04)
    for rep in truth["reps"]:
        up = (trace.t_ms >= rep["start_ms"]) & (trace.t_ms < rep["top_ms"])
        turned = np.linalg.norm(trace.gyro_dps[up].sum(axis=0)) / RATE_HZ
        assert turned == pytest.approx(0.9 * rep["amplitude_deg"], rel=0.1), rep


def _block_g(trace, rep):
    """The least block mean of |a| over the rep, in g."""
    span = (trace.t_ms >= rep["start_ms"]) & (trace.t_ms <= rep["end_ms"])
    a = trace.accel_g[span]
    blocks = a[: len(a) // BLOCK * BLOCK].reshape(-1, BLOCK, 3).mean(axis=1)
    return np.linalg.norm(blocks, axis=1).min()


def test_a_brisk_rep_whose_top_reads_under_a_third_of_a_g_counts(brisk):
    trace, truth = brisk
    light = truth["reps"][LIGHT_TOP[1]]
    assert _block_g(trace, light) < 0.32
    found = detect_samples(RepDetector(RATE_HZ, 4096, 32.8), raw_samples(trace).tolist())
    assert len(found) == len(truth["reps"])
    assert any(f["start_ms"] < light["top_ms"] < f["end_ms"] for f in found)
    assert [sum(f["set"] == k for f in found) for k in (1, 2, 3)] == [
        s["reps"] for s in truth["sets"]
    ]


def test_micropython_counts_the_light_topped_rep_as_the_host_does(micropython, tmp_path, brisk):
    trace, _truth = brisk
    samples = raw_samples(trace)
    raw = tmp_path / "outside.raw"
    samples.astype("<i4").tofile(raw)
    script = Path(__file__).parent / "mp" / "detect_locked.py"
    out = micropython(script=script, args=(str(raw), str(RATE_HZ)), heapsize="8M")
    on_board = [json.loads(line) for line in out.strip().splitlines()[:-1]]
    on_host = detect_samples(RepDetector(RATE_HZ, 4096, 32.8), samples.tolist())
    keys = ("start_ms", "top_ms", "lower_ms", "end_ms", "set", "rep")
    assert [[r[k] for k in keys] for r in on_board] == [[r[k] for k in keys] for r in on_host]
