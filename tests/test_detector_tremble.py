"""A plank entered shortly before its first set counts every rep, though the foot trembles on
its ball the whole time (docs/detector.md, "A foot that trembles on its ball"), on hand-built
pitch traces (tests/test_rep_timing.py draws them; tests/test_detector_boot.py's trembling).

The start-up gate (a rest from power-on only after 0.3 s calm or 2 s steady: a trembling
steadiness may be a rep's top) guards the first rest since power-on. Before, it held till a
rep counted, so each plank entry before the first set was a new boot: a trembling foot is never
calm, a plank held under 2 s before its set lost the set (plank_tremor seeds 0, 1, 5, 14).

A trembling rest gets only the tilt's slow pull towards the accelerometer and no gyro-bias
feedback (docs/detector.md, 2, "Not while the foot trembles"): its reps are timed as a calm
rest's, on simulated traces, and a calm rest that sways still learns a stale bias.
"""

from dataclasses import replace

import pytest

from calfraise.sim import Rep, Still, render
from calfraise_fw.detector import RepDetector
from test_detector_boot import after, reps_of, shifted, trembling
from test_detector_conditions import in_a_plank, reps_on, session
from test_detector_knife import run
from test_rep_timing import TIMES, pitch_samples, ramp_session

PLANK_DEG = 70.0  # past the 65 deg any rep reaches: a new posture, learned as after handling


def trembling_reps(n, rest_deg, t0, amp=20.0):
    """Knots of n brisk reps from rest_deg from t0 on, the foot trembling on its ball at rest
    and at each top (as a plank's does), and their exact tops (s). Straight ramps: from a 70 deg
    plank, reps of 40 deg and more jolt (4 g) where a corner falls on a sample (docs/detector.md,
    "40 deg trembling reps on hand-built traces")."""
    knots, tops = [], []
    t = t0
    for amp_, up, hold, down, pause in reps_of(n, amp=amp, pause=0.8):
        knots += trembling(t - pause, t, rest_deg)[1:]
        knots += [(t + up, rest_deg + amp_)]
        knots += trembling(t + up, t + up + hold, rest_deg + amp_)[1:]
        knots += [(t + up + hold + down, rest_deg)]
        tops.append(t + 0.95 * up)
        t += up + hold + down + pause
    return knots + trembling(t - 0.8, t + 2.0, rest_deg)[1:], tops


def plank_session(hold_s, n=8):
    """Standing still 2 s, down into a plank over 1.5 s, held trembling hold_s, n reps."""
    knots = [(0.0, 0.0), (2.0, 0.0)] + trembling(3.5, 3.5 + hold_s - 0.8, PLANK_DEG)
    reps, tops = trembling_reps(n, PLANK_DEG, 3.5 + hold_s)
    return knots + reps, tops


@pytest.mark.parametrize("hold_s", [1.0, 1.4, 1.8])
def test_a_plank_entered_under_2_s_before_its_first_set_counts_every_rep(
    both_interpreters, tmp_path, hold_s
):
    """The rest from power-on is the standing one; the plank is a new posture, learned after
    0.6 s steady as after any handling, trembling or not. Before, all 8 were lost."""
    knots, tops = plank_session(hold_s)
    found = run(both_interpreters, pitch_samples(knots), tmp_path)
    assert len(found) == len(tops), [r["top_ms"] for r in found]
    for r, top in zip(found, tops, strict=True):
        assert abs(r["top_ms"] - 1000 * top) < 40
        assert r["set"] == 1


def test_switched_on_at_a_trembling_top_the_gate_still_guards_the_first_rest(
    both_interpreters, tmp_path
):
    """Switched on 0.3 s into a top held 1.7 s: the trembling top is still no rest (the gate
    guards the first rest since power-on), the foot lands, stands 1 s and raises 4 reps, goes
    into a plank, holds it 1.3 s and raises 6 more: all 10 count, at their times. Without the
    gate, the top became the rest and 3 inverted reps counted."""
    session, truth = ramp_session(reps_of(4), lead_s=1.0, tail_s=0.0)
    knots = [(0.0, 0.0), (0.5, 40.0)] + trembling(0.5, 2.2, 40.0) + [(2.6, 0.0)]
    knots += shifted(session[1:], 2.6)
    t = knots[-1][0]
    knots += [(t + 1.0, 0.0)] + trembling(t + 2.5, t + 3.0, PLANK_DEG)
    reps, tops = trembling_reps(6, PLANK_DEG, t + 3.8)
    tops = [2.6 + r["top_ms"] / 1000 for r in truth] + tops
    found = run(both_interpreters, after(knots + reps, 0.8), tmp_path)
    assert len(found) == len(tops), [r["top_ms"] for r in found]
    for r, top in zip(found, tops, strict=True):
        assert abs(r["top_ms"] + 800 - 1000 * top) < 40


@pytest.mark.parametrize("lead_s", [1.0, 1.4, 1.8])
def test_a_foot_trembling_from_power_on_counts_its_first_set(both_interpreters, tmp_path, lead_s):
    """Switched on standing on a soft floor: the foot trembles from power-on and never calms,
    and the set starts lead_s later, its rests 0.8 s (soft_floor seeds 9, 16). The first rest,
    learned trembling after 0.4 s steady, is provisional (it may be a held top) and holds:
    nothing calm is found elsewhere, and the set's first two reps confirm it. Before, the
    start-up gate waited for 2 s steady and the set was lost."""
    reps, tops = trembling_reps(8, 0.0, lead_s)
    knots = trembling(0.0, lead_s - 0.8, 0.0) + reps
    found = run(both_interpreters, pitch_samples(knots), tmp_path)
    assert len(found) == len(tops), [r["top_ms"] for r in found]
    for r, top in zip(found, tops, strict=True):
        assert abs(r["top_ms"] - 1000 * top) < 40
        assert r["set"] == 1


@pytest.mark.parametrize(("calm", "lead_s"), [(True, 0.6), (False, 1.4)])
def test_switched_on_at_a_trembling_top_the_rest_gives_way_to_where_the_foot_lands(
    both_interpreters, tmp_path, calm, lead_s
):
    """Switched on 0.3 s into a top held 1.7 s, trembling: learned as a provisional rest. The
    foot lands and stands lead_s, calm (0.6 s) or trembling (1.4 s, 2.2 s steady with the
    pause before the first rep), then raises 6 reps trembling at every rest and top: the
    calm steadiness, or 2 s steady, elsewhere before any rep counted is where the foot
    stands, and all 6 count at their times (not the upside-down reps the top would give)."""
    knots = [(0.0, 0.0), (0.5, 40.0)] + trembling(0.5, 2.2, 40.0) + [(2.6, 0.0)]
    knots += [(2.6 + lead_s, 0.0)] if calm else trembling(2.6, 2.6 + lead_s, 0.0)[1:]
    reps, tops = trembling_reps(6, 0.0, 2.6 + lead_s + 0.8)
    found = run(both_interpreters, after(knots + reps, 0.8), tmp_path)
    assert len(found) == len(tops), [r["top_ms"] for r in found]
    for r, top in zip(found, tops, strict=True):
        assert abs(r["top_ms"] + 800 - 1000 * top) < 40


@pytest.mark.parametrize("hz", [6.0, 8.0])
def test_slow_plank_reps_from_a_trembling_rest_start_on_time(both_interpreters, tmp_path, hz):
    """A plank whose foot trembles 0.2 deg at 6-8 Hz the whole time (simulated: the heel's
    tremor acceleration is in the accelerometer, across gravity), 8 slow small reps (14 deg,
    1 s up and down): every rep counts, in one set, each phase within 120 ms. A trembling rest
    gets only the tilt's slow pull towards the accelerometer (docs/detector.md, 2); with the
    fast one the tilt wandered with the tremor and slow rises started 150-190 ms late."""
    reps = [
        Rep(14.0, 1.0, 0.2, 1.0, 0.8, rep_no=r + 1, roll_deg=1.5, yaw_deg=0.5, posture="plank")
        for r in range(8)
    ]
    segs = [Still(2.5), *in_a_plank(reps)]
    trace = render(replace(session(segs, 0), ball_tremor=(("plank", 0.2, hz),)))
    found = reps_on(both_interpreters, trace, tmp_path)
    truth = trace.truth["reps"]
    assert len(found) == len(truth), [r["top_ms"] for r in found]
    for r, t in zip(found, truth, strict=True):
        assert r["set"] == 1
        assert max(abs(r[k] - t[k]) for k in TIMES) < 120, (r, t)


def stale_bias_left(sway_deg, sway_hz):
    """The pitch-axis gyro bias (deg/s) still believed after 12 s standing, swaying sway_deg
    either side at sway_hz, from a saved bias 4 deg/s off."""
    half = 0.5 / sway_hz
    knots = [(0.0, 0.0), (1.0, 0.0)]
    for k in range(int(12 / half)):
        knots.append((1.0 + half * (k + 1), sway_deg if k % 2 == 0 else -sway_deg))
    det = RepDetector(104, 4096, 32.8)
    det.restore_gyro_bias([0, round(4 * 32.8 * 16), 0])
    for s in pitch_samples(knots, eased=True):
        det.update(*s)
    return det.gyro_bias[1] / 16 / 32.8


def test_a_calm_rest_learns_a_stale_bias_whatever_its_sway():
    """A foot standing on the floor does not tremble: postural sway (up to 1.5 deg at 0.5-1
    Hz) is no tremor, so its rest keeps the fast pull and the bias feedback, and a stale bias
    is learned as fast as when the foot stands still (4 deg/s off: about 1.1 left after 12 s).
    A gate on the turn's change from block to block (over 2 deg/s) took sway at 1 Hz for a
    tremor: 1.4 left."""
    still = stale_bias_left(0.0, 1.0)
    assert still < 1.25
    for deg, hz in ((1.5, 1.0), (1.5, 0.5), (1.0, 1.0)):
        assert abs(stale_bias_left(deg, hz) - still) < 0.1, (deg, hz)
