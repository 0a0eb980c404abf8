"""A session's count does not hang on which sample it starts on, and a rest off the stance is
judged by the reps that come back to it (docs/detector.md, "A rest off the stance"), on
hand-built pitch traces (tests/test_rep_timing.py draws them).

A clip moved on the shoe more slowly than the turn-rate veto that forgets the stance leaves a
rest over 20 deg from it: the foot on its ball, or standing there now? Before, the detector
waited for the old rest or 5 s of stillness, and a brisk set that started sooner was lost whole;
whether it was depended on where the 40 ms blocks fell (hard seed 0 lost 14 reps by a 0-4
sample shift of its start).
"""

import json
from pathlib import Path

import numpy as np
import pytest

from calfraise.analyze import raw_samples
from calfraise.sim import plan_reps, render
from test_rep_timing import RATE_HZ, detect, pitch_samples, ramp_session

MP_SCRIPT = Path(__file__).parent / "mp" / "detect_locked.py"
STEADY = (25.0, 0.6, 0.3, 0.8, 0.8)  # straight ramps, not briskier: they would jolt at corners


def then(knots, more):
    """knots followed by `more` (knots from 0 s), from the last knot's time on."""
    t = knots[-1][0]
    return knots + [(t + dt, p) for dt, p in more]


def first_set(n=6):
    """n reps from the stance (0 deg): the stance is known."""
    knots, _ = ramp_session([STEADY] * n, lead_s=3.0, tail_s=3.0)
    return knots


def moved_clip(still_s):
    """The clip taken off and put back 25 deg from where it sat, turning at under 60 deg/s
    (far below the 450 deg/s that forgets the stance), then still_s still."""
    return [(1.0, 55.0), (1.5, 55.0), (2.1, 25.0), (2.1 + still_s, 25.0)]


def a_set_from(rest_deg, n):
    knots, _ = ramp_session([STEADY] * n, lead_s=0.0, rest_deg=rest_deg)
    return knots


def started_later(samples, k, rate_hz=RATE_HZ):
    """The same samples after k more still samples at the start."""
    t0, *raw = samples[0]
    lead = [(round(1000 * i / rate_hz), *raw) for i in range(k)]
    dt = round(1000 * k / rate_hz)
    return lead + [(t + dt, *rest) for t, *rest in samples]


def run(runner, samples, tmp_path, rate_hz=RATE_HZ):
    """The reps the detector finds, run by `runner` (CPython or MicroPython, heap locked)."""
    raw = tmp_path / "trace.raw"
    np.asarray(samples, dtype="<i4").tofile(raw)
    out = runner(script=MP_SCRIPT, args=[str(raw), str(rate_hz)], heapsize="8M")
    *lines, tail = out.strip().splitlines()
    assert tail == f"samples {len(samples)}"
    return [json.loads(line) for line in lines]


def test_a_slow_reclip_then_a_brisk_set_counts_whatever_sample_the_session_starts_on(
    both_interpreters, tmp_path
):
    """6 reps, the clip moved 25 deg slowly, 3 s still (under the 5 s that makes any still
    place the rest), 12 reps from there: all 18 count, started 0-4 samples later."""
    knots = then(then(first_set(), moved_clip(3.0)), a_set_from(25.0, 12))
    samples = pitch_samples(knots)
    for k in range(5):
        found = run(both_interpreters, started_later(samples, k), tmp_path)
        assert len(found) == 18, (k, [r["top_ms"] for r in found])


@pytest.mark.parametrize("lifts", [1, 4, 9])
def test_a_few_lifts_on_the_ball_of_the_foot_off_the_stance_count_nothing(lifts):
    """After a set the foot goes up on its ball (25 deg), stands there 3 s and lifts its heel
    15 deg further and back a few times (a lunge's rear foot), then comes back to the stance
    and makes a set there. Fewer than ten returns to one place off the stance do not make it
    the stance: only the two sets count."""
    ball, _ = ramp_session([(15.0, 0.6, 0.3, 0.8, 0.8)] * lifts, lead_s=0.0, rest_deg=25.0)
    knots = then(first_set(), [(1.0, 25.0), (4.0, 25.0)])
    knots = then(then(knots, ball), [(1.0, 0.0), (4.0, 0.0)])
    knots = then(knots, a_set_from(0.0, 6))
    found = detect(pitch_samples(knots))
    assert len(found) == 12, [r["top_ms"] for r in found]


def test_still_5_s_on_a_rest_off_the_stance_the_foot_stands_there():
    """The clip moved slowly, then 6 s still: the foot stands there, and a set of 6 (fewer than
    the ten returns that would show it otherwise) counts from its first rep."""
    knots = then(then(first_set(), moved_clip(6.0)), a_set_from(25.0, 6))
    found = detect(pitch_samples(knots))
    assert len(found) == 12, [r["top_ms"] for r in found]


def test_a_brisk_plank_set_counts_every_rep_whatever_sample_the_session_starts_on(
    both_interpreters, tmp_path
):
    """12 brisk 20 deg reps in a plank (0.3 s up, 0.3 s down) at 52 Hz. With the foot upright
    the heel accelerates across gravity and |a| stays near 1 g: the first block of a rise,
    after 200 ms steady, used to pull the tilt fast towards that acceleration (4-5 deg off and
    back), which spoiled the rise or cut its up phase under 150 ms, by where the blocks fell
    (hard seed 39 counted 14 or 9 of its first set). A block the gyro reads turning is not
    gravity alone: it is never pulled fast."""
    rate = 52
    plan = plan_reps(12, "plank", 20.0, up_s=0.3, hold_s=0.45, down_s=0.3, pause_s=1.1, seed=2)
    samples = raw_samples(render(plan, rate_hz=rate)).tolist()
    for k in range(5):
        found = run(both_interpreters, started_later(samples, k, rate), tmp_path, rate)
        assert len(found) == 12, (k, [r["top_ms"] for r in found])
