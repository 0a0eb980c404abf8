"""Partial reps under the 6 degree floor: counted as reps of a set, never on their own.

A tilt of 4-6 degrees about the ball is a partial heel raise when it is one of a set's reps (the
way its heel raises turned, after a rest like the set's own between its reps), and a heel lift
at seat-off, a weight shift or a squat's depth otherwise (docs/detector.md, "Partial reps"). The
traces are drawn as straight pitch ramps about the ball (test_rep_timing.pitch_samples), so
the answer is known without the simulator.
"""

import math

import pytest

from test_rep_timing import detect, pitch_samples, ramp_session

FULL = (20, 1.0, 0.5, 1.0, 1.5)  # amplitude deg, up s, hold s, down s, pause s
SMALL = (5, 1.0, 0.5, 1.0, 1.5)  # the same tempo, a quarter of the range
SEAT_OFF = (5, 0.5, 0.2, 0.7, 3.0)  # the heels lift about the ball as the seat unloads


@pytest.mark.parametrize("pause_s", [1.5, 0.5])
def test_a_5_degree_partial_rep_inside_a_set_is_counted_as_partial(pause_s):
    full, small = FULL[:4] + (pause_s,), SMALL[:4] + (pause_s,)
    knots, truth = ramp_session([full] * 4 + [small] + [full] * 2)
    found = detect(pitch_samples(knots))
    assert [r["partial"] for r in found] == [False] * 4 + [True] + [False] * 2
    assert [r["set"] for r in found] == [1] * 7
    assert abs(found[4]["amplitude_deg"] - 5) < 0.3
    assert abs(found[4]["top_ms"] - truth[4]["top_ms"]) < 60


def test_a_partial_rep_ending_the_set_is_counted():
    knots, _ = ramp_session([FULL] * 4 + [SMALL])
    assert [r["partial"] for r in detect(pitch_samples(knots))] == [False] * 4 + [True]


@pytest.mark.parametrize(
    "set_pause_s,lift_pause_s", [(1.5, 4.0), (1.5, 9.0), (0.5, 2.0)], ids=["4 s", "9 s", "2 s"]
)
def test_a_seat_off_heel_lift_after_the_set_rests_is_no_rep(set_pause_s, lift_pause_s):
    """The set's reps rest set_pause_s between them; then the athlete sits down and stands up
    again before the set closes (12 s): the lift rises after a rest more than twice the set's
    own (and, at 4 and 9 s, longer than any rest within a set), so it is no rep of it."""
    full = FULL[:4] + (set_pause_s,)
    knots, _ = ramp_session([full] * 3 + [FULL[:4] + (lift_pause_s,)] + [SEAT_OFF])
    found = detect(pitch_samples(knots))
    assert len(found) == 4 and not any(r["partial"] for r in found)


def test_a_heel_lift_right_after_a_small_tilt_is_no_rep():
    """Feet slid back under the chair with the heels a little up (a 10 degree tilt, which
    counts), and the heels lift at seat-off 0.2 s later: a rest under half the set's, so the
    lift is no rep of the set."""
    slide = (10, 0.6, 0.0, 0.4, 0.2)
    knots, _ = ramp_session([FULL] * 3 + [slide] + [SEAT_OFF])
    found = detect(pitch_samples(knots))
    assert len(found) == 4 and min(r["amplitude_deg"] for r in found) > 8


def test_a_heel_lift_without_a_set_is_no_rep():
    knots, _ = ramp_session([SEAT_OFF, SEAT_OFF])
    assert detect(pitch_samples(knots)) == []


def test_a_partial_rep_after_two_heel_raises_is_counted():
    """Two heel raises confirm the direction and give the set one rest to pace it by."""
    knots, _ = ramp_session([FULL] * 2 + [SMALL] + [FULL])
    assert [r["partial"] for r in detect(pitch_samples(knots))] == [False, False, True, False]


def test_a_small_tilt_the_other_way_inside_a_set_is_no_rep():
    """At the set's rhythm, but the foot tilts 5 degrees against its heel raises (toes up, a
    weight shift onto the heels): no heel raise at all."""
    knots, _ = ramp_session([FULL] * 4 + [(-5, *SMALL[1:])] + [FULL])
    found = detect(pitch_samples(knots))
    assert len(found) == 5 and not any(r["partial"] for r in found)


@pytest.mark.parametrize("angle_deg", [90, 45])
def test_a_small_tilt_across_the_heel_raises_inside_a_set_is_no_rep(angle_deg):
    """At the set's rhythm, but the foot tilts 5.9 degrees about an axis angle_deg off the
    heel raises' (a weight shift onto its outer edge): that rep's accelerometer and gyro
    vectors turned about the sensor's z axis. At 45 degrees 4.2 degrees of it lie along the
    heel raise, over the 4 degree minimum, but the tilt is more than 30 degrees off it."""
    knots, truth = ramp_session([FULL] * 4 + [(5.9, *SMALL[1:])] + [FULL])
    lo, hi = truth[4]["start_ms"] - 200, truth[4]["end_ms"] + 200  # at rest either side
    c, s = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
    turned = [
        (
            t,
            round(ax * c - ay * s),
            round(ax * s + ay * c),
            az,
            round(gx * c - gy * s),
            round(gx * s + gy * c),
            gz,
        )
        if lo <= t <= hi
        else (t, ax, ay, az, gx, gy, gz)
        for t, ax, ay, az, gx, gy, gz in pitch_samples(knots)
    ]
    found = detect(turned)
    assert len(found) == 5 and not any(r["partial"] for r in found)


@pytest.mark.parametrize(
    "held",
    [(8, 1.8, 3.5, 3.0, 1.5), (5, 1.0, 4.5, 2.0, 1.5), (20, 1.5, 4.5, 2.5, 1.5)],
    ids=["8 deg, slow", "5 deg", "20 deg"],
)
def test_a_rep_of_the_set_held_at_its_top_past_5_s_is_counted(held):
    """A controlled rep: a slow rise, its top held 3.5-4.5 s and a slow way down. Rises and
    ways down this slow fit the steadiness cone, so the foot is steady for over 5 s, which makes
    a new rest anywhere else (a re-clip without a fuss). At the set's rhythm and along its heel
    raises it is one of its reps: the top is not the rest, and the reps after it are measured
    from the rest they rise from (hard tier: the top became the rest, and the set was lost)."""
    knots, truth = ramp_session([FULL] * 4 + [held] + [FULL] * 2)
    found = detect(pitch_samples(knots))
    assert len(found) == 7 and [r["set"] for r in found] == [1] * 7
    assert abs(found[4]["amplitude_deg"] - held[0]) < 0.5
    assert abs(found[4]["top_ms"] - truth[4]["top_ms"]) < 120
    assert all(abs(r["amplitude_deg"] - 20) < 2.5 for r in found[5:])


def test_a_tilt_held_5_s_off_the_set_s_rhythm_is_a_new_rest():
    """The same held tilt after a rest four times the set's own is no rep of the set: held 5 s,
    it is where the foot now stands (the rule the held rep above is an exception to)."""
    knots, _ = ramp_session([FULL[:4] + (6.0,)] * 4 + [(8, 1.8, 3.5, 3.0, 1.5)])
    assert len(detect(pitch_samples(knots))) == 4
