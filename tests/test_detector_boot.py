"""A board switched on mid-movement learns its first rest where the foot stands, on hand-built
pitch traces (tests/test_rep_timing.py draws them: ramps about the ball, the accelerometer
reading gravity and the turn's own acceleration).

Each rule of docs/detector.md, 2 and 6 ("Switched on"), on its own:
- the first tilt is taken from a block that may be moving: the accelerometer's 1 g is learned
  at rest, not from that block, or the pull to the accelerometer never starts;
- a steady gyro is no bias while the tilt moves (the slow start of a smooth turn, a sway);
- a foot held on its ball trembles, and its top is no rest; a trembling foot held still for
  2 s is a rest all the same (a plank on the toes).
"""

import math

from calfraise_fw.detector import RepDetector
from test_rep_timing import detect, pitch_samples, ramp_session

TREMOR_HZ = 7.0


def trembling(t0, t1, deg, amp_deg=0.15):
    """Knots of a foot held at `deg` from t0 to t1, trembling by amp_deg at TREMOR_HZ (a
    triangle wave: four knots a period)."""
    knots = []
    n = int((t1 - t0) * TREMOR_HZ * 4)
    for k in range(n + 1):
        knots.append((t0 + k / (TREMOR_HZ * 4), deg + amp_deg * (0, 1, 0, -1)[k % 4]))
    return knots


def after(knots, t0):
    """The samples of `knots` from t0 on, as a board switched on at t0 reads them."""
    return [(t - round(1000 * t0), *rest) for t, *rest in pitch_samples(knots) if t >= 1000 * t0]


def reps_of(n, amp=25.0, up=0.6, hold=0.3, down=0.8, pause=1.2):
    """n reps of tests/test_rep_timing.py's brisk style (straight ramps: briskier ones would
    jolt at their corners)."""
    return [(amp, up, hold, down, pause)] * n


def shifted(knots, dt):
    return [(t + dt, p) for t, p in knots]


def test_switched_on_at_a_trembling_held_top_the_rest_is_where_the_foot_lands():
    """Switched on 0.3 s into a top held 1.7 s: the top trembles (the calf holds the body up on
    the ball), so it is no rest; the foot comes down, stands 1 s and raises 4 reps, and each
    counts. Before, the top's steady 0.6 s became the rest and each rest between reps was
    counted as an upside-down rep."""
    session, truth = ramp_session(reps_of(4), lead_s=1.0)
    knots = [(0.0, 0.0), (0.5, 40.0)] + trembling(0.5, 2.2, 40.0) + [(2.6, 0.0)]
    knots += shifted(session, 2.6)
    found = detect(after(knots, 0.8))
    assert len(found) == 4, [r["top_ms"] for r in found]
    for r, t in zip(found, truth, strict=True):
        assert abs(r["top_ms"] + 800 - 2600 - t["top_ms"]) < 40


def test_a_foot_trembling_still_for_2_s_is_a_rest_all_the_same():
    """Switched on in a plank, on the toes: the foot trembles the whole time it is held. After
    2 s steady it is the rest anyway (no lock-out), and reps from it count."""
    knots = trembling(0.0, 2.5, 0.0, amp_deg=0.1)
    session, truth = ramp_session(reps_of(3), lead_s=0.1)
    found = detect(pitch_samples(knots + shifted(session[1:], 2.5)))
    assert len(found) == 3
    for r, t in zip(found, truth, strict=True):
        assert abs(r["top_ms"] - 2500 - t["top_ms"]) < 40


def test_switched_on_as_the_foot_slows_the_pull_to_the_accelerometer_starts_at_once():
    """Switched on as the foot slows into its top: the first block, the tilt starts from, reads
    0.9 g (the foot decelerating) 12 deg off where the foot then stands. The accelerometer's
    1 g is learned at rest, not from that block: taken from it, every later block at 1 g read
    as linear acceleration, the tilt was never pulled to the accelerometer, and the rest was
    learned 12 deg off (reps read up to 30 % small, or not at all)."""
    session, truth = ramp_session(reps_of(4), lead_s=1.5)
    p = math.radians(12.0)
    first = [
        (i * 10, round(-0.9 * 4096 * math.sin(p)), 0, round(0.9 * 4096 * math.cos(p)), 0, 0, 0)
        for i in range(4)
    ]
    found = detect(first + [(t + 40, *rest) for t, *rest in pitch_samples(session)])
    assert len(found) == 4
    for r, t in zip(found, truth, strict=True):
        assert abs(r["amplitude_deg"] - t["amplitude_deg"]) < 1.0
        assert abs(r["top_ms"] - 40 - t["top_ms"]) < 40


def test_the_slow_start_of_a_smooth_turn_is_not_learned_as_the_gyro_bias():
    """Switched on while the foot turns at a steady 8 deg/s (the gyro reads steadily, as a bias
    does): the accelerometer sees the tilt move, so no bias is learned from it; once the foot
    stands, the bias learned is the gyro's own (zero here)."""
    knots = [(0.0, 0.0), (2.5, 20.0), (4.0, 20.0), (5.0, 0.0), (8.0, 0.0)]
    det = RepDetector(104, 4096, 32.8)
    for s in pitch_samples(knots):
        det.update(*s)
    bias = det.gyro_bias
    assert bias is not None
    assert max(abs(b) / 16 / 32.8 for b in bias) < 0.5, bias


def test_a_foot_swaying_from_power_on_does_not_teach_its_sway_as_the_gyro_bias():
    """Switched on swaying, with no still moment (1.5 deg at 0.7 Hz: mid-sway the gyro reads a
    steady 6.6 deg/s, as a bias does) and a gyro 2 deg/s off on each axis: the sway's turn is
    in the gyro and in the accelerometer alike, so the bias learned is the gyro's own."""
    half = 1 / 1.4  # s: from one side of the sway to the other, along half a cosine
    knots = [(k * half, 1.5 * (-1) ** k) for k in range(8)]
    off = round(2.0 * 32.8)  # the gyro's bias, raw counts
    det = RepDetector(104, 4096, 32.8)
    for t, ax, ay, az, gx, gy, gz in pitch_samples(knots, eased=True):
        det.update(t, ax, ay, az, gx + off, gy + off, gz + off)
    bias = det.gyro_bias
    assert bias is not None
    assert max(abs(b / 16 - off) for b in bias) / 32.8 < 0.5, bias


def test_a_rep_rising_before_the_first_rest_counts_once_the_rest_is_known():
    """Switched on 0.1-0.3 s before a rise, the foot at its rest: the first rest is learned
    only after 0.4 s steady, so the first rep rises with no rest to measure it from. Once the
    foot stands after it, the rest is known and the ring is judged again: the rep counts, timed
    as any other. Before, it was lost and its set came out one short."""
    for before_s in (0.1, 0.2, 0.3):
        lead_s = 1.0
        session, truth = ramp_session(reps_of(3), lead_s=lead_s)
        t0 = lead_s - before_s
        found = detect(after(session, t0))
        assert len(found) == 3, (before_s, [r["top_ms"] for r in found])
        for r, t in zip(found, truth, strict=True):
            assert abs(r["top_ms"] + 1000 * t0 - t["top_ms"]) < 40
            assert abs(r["start_ms"] + 1000 * t0 - t["start_ms"]) < 60


def test_a_rep_already_rising_at_power_on_is_not_judged_again():
    """Switched on 0.2 s into a rise: where it started is not seen (only the first tilt, which
    the oldest history reads as), so it is not counted from the rest learned after it; the
    reps after it count."""
    session, truth = ramp_session(reps_of(3), lead_s=1.0)
    found = detect(after(session, 1.2))
    assert len(found) == 2, [r["top_ms"] for r in found]
    for r, t in zip(found, truth[1:], strict=True):
        assert abs(r["top_ms"] + 1200 - t["top_ms"]) < 40
