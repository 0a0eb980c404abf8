"""Small brisk reps (docs/detector.md, 5): seated soleus push-ups done briskly tilt the foot
10-20 deg in 0.2 s. Their 5-95 % rise takes 120-145 ms, under the 150 ms a 45 deg raise takes
at least, and they were dropped as jolts; a calf turns a small tilt quicker (the bound goes
as the square root of the amplitude)."""

import math

from test_detector_knife import run, started_later
from test_rep_timing import pitch_samples

EASED_5 = math.acos(0.9) / math.pi  # a half cosine passes 5 % of its way at this share of it


def eased_reps(reps, lead_s=3.0):
    """Knots of reps (amp deg, up s, hold s, down s, rest s after) along half cosines from a
    still lead, and their exact 5 % and 95 % crossings."""
    knots, truth, t = [(0.0, 0.0), (lead_s, 0.0)], [], lead_s
    for amp, up, hold, down, rest in reps:
        knots += [(t + up, amp), (t + up + hold, amp), (t + up + hold + down, 0.0)]
        truth.append(
            {
                "start_ms": 1000 * (t + EASED_5 * up),
                "top_ms": 1000 * (t + (1 - EASED_5) * up),
                "lower_ms": 1000 * (t + up + hold + EASED_5 * down),
                "end_ms": 1000 * (t + up + hold + (1 - EASED_5) * down),
            }
        )
        t += up + hold + down + rest
        knots.append((t, 0.0))
    knots.append((t + 3.0, 0.0))
    return knots, truth


def small_brisk_set(n=12):
    """n reps of 10, 14 and 18 deg along half cosines, 0.2 s up, 0-0.15 s held, 0.3 s down,
    0.6 s rests (up at 79-141 deg/s and 22-39 rad/s^2 at most: a real brisk raise reaches
    260 deg/s and ~50 rad/s^2), and their exact 5 % and 95 % crossings."""
    return eased_reps([(10 + 8 * (k % 3) / 2, 0.2, 0.05 * (k % 4), 0.3, 0.6) for k in range(n)])


def test_small_brisk_reps_all_count_wherever_the_blocks_fall(both_interpreters, tmp_path):
    """12 small brisk reps, the clip on the heel 20 cm behind the ball, started 0-3 samples
    later: every rep counts, on CPython and MicroPython, each time within 60 ms of its exact
    crossing (the quick tilt is sampled by 40 ms blocks)."""
    counted_on_time(both_interpreters, *small_brisk_set(), range(4), tmp_path)


def counted_on_time(runner, knots, truth, shifts, tmp_path, within_ms=60):
    """The eased pitch through knots, started each of `shifts` samples later: the detector run
    by `runner` finds exactly the truth's reps, each phase within `within_ms` of its crossing."""
    samples = pitch_samples(knots, eased=True)
    for k in shifts:
        found = run(runner, started_later(samples, k), tmp_path)
        assert len(found) == len(truth), (k, [r["top_ms"] for r in found])
        shift = 1000 * k / 104
        for f, t in zip(found, truth, strict=True):
            for key, exact in t.items():
                assert abs(f[key] - shift - exact) <= within_ms, (k, key, f, t)
