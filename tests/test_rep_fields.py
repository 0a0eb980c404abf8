"""Every field of every rep against the simulator's truth, within stated tolerances.

The truth is computed from the rendered foot pitch (sim/truth.py), not from the detector's
tilt estimate, so a detector that reads amplitude 10 % low, or times a phase late, fails here.
Tolerances (docs/testing.md): phase times within 120 ms at the 95th percentile and 250 ms at
worst; amplitude within 5 % of the foot's pitch on every clean rep (10 % varied: the first rep
after a standing-to-plank change reads 8.5 % low, docs/detector.md) and its median within 2 %;
no time or phase systematically early or late (median within 40 ms); set, rep number
and the partial flag exactly as planned on clean sessions.

First the integer arithmetic a rep's fields go through, against exact floating-point maths.
"""

import json
import math
import random
import statistics

import pytest

from calfraise.bench.accuracy import match, percentile
from calfraise.bench.corpus import detect_as_booted
from calfraise.sim import Rep, Still, render, simulate_session
from calfraise_fw.detector import chord2_to_cdeg, crossing, isqrt
from test_detector_conditions import reps_on, session

TIMES = ("start_ms", "top_ms", "lower_ms", "end_ms")
PHASES = ("up_ms", "hold_ms", "down_ms")


def test_isqrt_is_the_floor_of_the_square_root():
    numbers = [*range(5000), 2**29 - 1, 2**29, 10**12 + 7, (2**31 - 1) ** 2]
    assert [isqrt(n) for n in numbers] == [math.isqrt(n) for n in numbers]
    assert isqrt(-5) == 0


def _chord2(degrees):
    """The squared chord, in (1/4096 g)^2, between two 1 g vectors `degrees` apart."""
    return round((2 * math.sin(math.radians(degrees) / 2) * 4096) ** 2)


@pytest.mark.parametrize("top_deg,tol_cdeg", [(10, 1.5), (55, 2.5)])
def test_chord_to_angle_within_its_resolution(top_deg, tol_cdeg):
    """A rise's amplitude from its squared chord, every 0.01 degree up to top_deg. The half
    chord is known to 1/8192 (0.014 degree of angle) and the series rounds four times:
    0.015 degree below 10 degrees, 0.025 degree up to 55 (a brisk calf raise on a shoe reaches
    38-55 degrees, docs/detector.md; the series' x^5 and x^7 terms matter there)."""
    for centi in range(top_deg * 100 + 1):
        s = _chord2(centi / 100)
        exact = 200 * math.degrees(math.asin(math.sqrt(s) / 8192))
        assert abs(chord2_to_cdeg(s) - exact) <= tol_cdeg, (centi, s)


HALF_CHORDS_55 = range(round(8192 * math.sin(math.radians(55) / 2)) + 1)  # 1/8192, to 55 deg


def test_the_half_chord_is_the_nearest_root():
    """The squared chord's root is rounded to the nearest 1/8192, not floored: every s from
    (x - 1/2)^2 to (x + 1/2)^2 reads as x, for every half chord up to 55 degrees."""
    for x in HALF_CHORDS_55[1:]:
        assert chord2_to_cdeg(x * x + x) == chord2_to_cdeg(x * x), x  # sqrt: x + 1/2 - 1/8x
        assert chord2_to_cdeg(x * x + x + 1) == chord2_to_cdeg((x + 1) ** 2), x


def _crossing_exact(t0, t1, s0, s1, level):
    """Where the line from (t0, s0) to (t1, s1) meets level, kept within [t0, t1]."""
    if s1 == s0:
        return t0
    return t0 + (t1 - t0) * min(max((level - s0) / (s1 - s0), 0), 1)


def test_crossing_is_the_linear_interpolation():
    """Blocks 10 ms to 1 s apart, the signal rising or falling by up to 10^7 (past the 15 bits
    it is scaled to): within a millisecond (floored) and 1/16384 of the block of the line."""
    rng = random.Random(7)
    for _ in range(20000):
        t0 = rng.randrange(10**7)
        t1 = t0 + rng.choice((10, 20, 96, 1000))
        big = rng.choice((100, 30000, 10**7))
        s0, s1 = rng.randrange(-big, big), rng.randrange(-big, big)
        level = rng.randrange(-big, big) if rng.random() < 0.5 else rng.randint(*sorted((s0, s1)))
        got = crossing(t0, t1, s0, s1, level)
        assert t0 <= got <= t1
        exact = _crossing_exact(t0, t1, s0, s1, level)
        assert abs(got - exact) <= 1 + (t1 - t0) / 16384, (t0, t1, s0, s1, level)


CROSSING_LOCKED = """
import micropython
from calfraise_fw.detector import crossing
cases = %r
got = [0] * len(cases)


def run(n):
    for k in range(n):
        c = cases[k]
        got[k] = crossing(c[0], c[1], c[2], c[3], c[4])


micropython.heap_lock()
run(len(cases))
micropython.heap_unlock()
print(got)
"""


def test_crossing_makes_no_heap_int_on_a_32_bit_port(micropython32):
    """The ESP32's small ints stop at 2^30: past that an int is a heap object, and
    heap_lock() turns that into a MemoryError. Signals up to the squared chord of a 180 degree
    turn (4 * 4096^2 = 2^26) over blocks up to 200 ms (8 samples at the slowest 40 Hz) must
    stay small, and give what CPython gives."""
    rng = random.Random(11)
    cases = []
    for _ in range(2000):
        t0 = rng.randrange(2**27)
        s0, s1 = rng.randrange(-(2**26), 2**26), rng.randrange(-(2**26), 2**26)
        level = rng.randint(*sorted((s0, s1)))
        cases.append((t0, t0 + rng.choice((20, 77, 160, 200)), s0, s1, level))
    got = micropython32(CROSSING_LOCKED % (cases,))
    assert json.loads(got) == [crossing(*c) for c in cases]


def matched(tier, seeds):
    """(truth rep, found rep) pairs over the given sessions, and the truth's rep count."""
    pairs, truth_count = [], 0
    for seed in seeds:
        trace = simulate_session(tier, seed)
        found = detect_as_booted(trace)  # with the saved gyro bias, if the session has one
        truth = trace.truth["reps"]
        truth_count += len(truth)
        pairs += [(truth[i], found[j]) for i, j in match(truth, found)]
    return pairs, truth_count


@pytest.fixture(scope="module")
def clean():
    return matched("clean", range(4))


@pytest.fixture(scope="module")
def varied():
    return matched("varied", range(4))


@pytest.mark.parametrize("tier,amp_tol", [("clean", 0.05), ("varied", 0.10)])
def test_amplitude_is_the_foots_pitch(request, tier, amp_tol):
    pairs, truth_count = request.getfixturevalue(tier)
    assert len(pairs) >= 0.95 * truth_count
    ratios = [f["amplitude_deg"] / t["amplitude_deg"] for t, f in pairs]
    assert abs(statistics.median(ratios) - 1) <= 0.02, statistics.median(ratios)
    worst = max(ratios, key=lambda r: abs(r - 1))
    assert abs(worst - 1) <= amp_tol, worst


@pytest.mark.parametrize("tier", ["clean", "varied"])
def test_every_time_and_phase_within_tolerance(request, tier):
    pairs, _ = request.getfixturevalue(tier)
    for key in TIMES + PHASES:
        errors = [abs(f[key] - t[key]) for t, f in pairs]
        assert percentile(errors, 95) <= 120, (key, percentile(errors, 95))
        assert max(errors) <= 250, (key, max(errors))


@pytest.mark.parametrize("tier", ["clean", "varied"])
def test_no_time_or_phase_is_read_systematically_early_or_late(request, tier):
    """The median signed error of every time and phase within 40 ms, a third of the
    tolerance: a time taken one block (8 samples, 77 ms at 104 Hz) off stays inside the
    tolerance on each rep but shifts them all."""
    pairs, _ = request.getfixturevalue(tier)
    for key in TIMES + PHASES:
        bias = statistics.median(f[key] - t[key] for t, f in pairs)
        assert abs(bias) <= 40, (key, bias)


@pytest.mark.parametrize("kind", ["rest_drift", "stance_offset", "bias_off"])
def test_a_rest_that_moves_keeps_the_phases_within_120_ms(kind):
    """Rests drift up to 5 deg between reps, the first stance is up to 10 deg off, or the saved
    gyro bias is up to 5 deg/s off: both phases keep the issue's 120 ms p95 (on the bench's 20
    rest-drift sessions the up phase was 1,237 ms at b29ad95; at f4fa13d the down phase was
    191 ms there and 190 ms with the stale bias, the end waiting for the accelerometer to pull
    the gyro's tilt back) and no top is off by more than 120 ms."""
    pairs, truth_count = matched(kind, range(6))
    assert len(pairs) == truth_count
    for phase in ("up_ms", "down_ms"):
        errors = [abs(f[phase] - t[phase]) for t, f in pairs]
        assert percentile(errors, 95) <= 120, (phase, percentile(errors, 95))
    assert max(abs(f["top_ms"] - t["top_ms"]) for t, f in pairs) <= 120


def test_a_brisk_way_down_ends_where_the_foot_landed(both_interpreters, tmp_path):
    """Brisk 45 deg reps (0.3 s down, ~280 deg/s) with the saved gyro bias 5 deg/s off on each
    axis: on the way down the gyro alone carries the tilt, which lands degrees off the rest
    until the accelerometer pulls it back. The end is where the foot stopped turning, so every
    down phase is within 60 ms of the foot's own; at f4fa13d three were 293-316 ms long."""
    reps = [
        Rep(45.0, 0.3, 0.05, 0.3, 0.6, rep_no=r, roll_deg=1.5, yaw_deg=0.5) for r in range(1, 9)
    ]
    plan = session([Still(2.5), *reps, Still(2.0)], 0)
    trace = render(plan)
    stale = [b + off for b, off in zip(plan.sensor.gyro_bias_dps, (5, -5, 5), strict=True)]
    found = reps_on(both_interpreters, trace, tmp_path, saved_bias_dps=stale)
    truth = trace.truth["reps"]
    pairs = match(truth, found)
    assert len(pairs) == len(found) == len(truth)
    for i, j in pairs:
        t, f = truth[i], found[j]
        assert abs((f["end_ms"] - f["lower_ms"]) - t["down_ms"]) <= 60, (t, f)


def test_phases_are_the_differences_of_the_times(clean):
    for _, f in clean[0]:
        assert f["start_ms"] < f["top_ms"] <= f["lower_ms"] < f["end_ms"]
        assert f["up_ms"] == f["top_ms"] - f["start_ms"]
        assert f["hold_ms"] == f["lower_ms"] - f["top_ms"]
        assert f["down_ms"] == f["end_ms"] - f["lower_ms"]


def test_set_rep_number_and_partial_flag_as_planned(clean):
    pairs, truth_count = clean
    assert len(pairs) == truth_count
    for t, f in pairs:
        assert (f["set"], f["rep"], f["partial"]) == (t["set"], t["rep"], t["partial"]), (t, f)
