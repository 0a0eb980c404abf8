"""Traces are read as a stream: iter_trace gives bounded chunks that add up to read_trace's
whole, and analyzing a trace four times as long takes no more memory (traced allocations)."""

import tracemalloc

import numpy as np

from calfraise.analyze import TraceTimes, detect, estimate_rate_hz
from calfraise.trace import TraceWriter, iter_trace, read_trace


def _repeated(path, rest_ms, copies):
    """A trace of `copies` stretches of 20 s of samples at 100 Hz: still, then a tilt."""
    t = np.arange(2000) * 10
    tilt = np.where((t > 5000) & (t < 7000), 0.4, 0.0)
    accel = np.column_stack((np.sin(tilt), np.zeros_like(t), np.cos(tilt)))
    gyro = np.zeros((len(t), 3))
    with TraceWriter(path) as out:
        for k in range(copies):
            out.write(t + k * (20_000 + rest_ms), accel, gyro)
    return path


def test_chunks_add_up_to_the_whole(tmp_path):
    path = _repeated(tmp_path / "t.csv", 0, 3)
    chunks = list(iter_trace(path, rows_per_chunk=1000))
    assert [len(c) for c in chunks] == [1000] * 6
    whole = read_trace(path)
    assert np.array_equal(np.concatenate([c.t_ms for c in chunks]), whole.t_ms)
    assert np.array_equal(np.concatenate([c.gyro_dps for c in chunks]), whole.gyro_dps)
    times = TraceTimes(iter_trace(path, rows_per_chunk=7))  # steps across chunk borders count
    assert (times.first_ms, times.last_ms) == (0, int(whole.t_ms[-1]))
    assert times.rate_hz() == estimate_rate_hz(whole) == 100.0


def _peak_bytes(path):
    tracemalloc.start()
    try:
        detect(iter_trace(path), estimate_rate_hz(iter_trace(path)))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_trace(tmp_path):
    short = _peak_bytes(_repeated(tmp_path / "short.csv", 10, 5))
    long = _peak_bytes(_repeated(tmp_path / "long.csv", 10, 20))
    assert long < 1.2 * short
