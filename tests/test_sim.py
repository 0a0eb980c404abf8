"""The trace simulator (calfraise.sim): physics, truth and the tiers' documented properties."""

import json
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from calfraise.sim import (
    TIERS,
    SensorConfig,
    build_session_plan,
    laces_mount,
    plan_reps,
    plan_still,
    plan_toe_raises,
    plan_walking,
    render,
    render_pose,
    simulate_session,
)
from calfraise.trace import read_trace, read_truth

SEED = 5


@pytest.fixture(scope="module")
def sessions():
    return {tier: simulate_session(tier, SEED) for tier in TIERS}


def unit_quaternions():
    comp = st.floats(-1, 1, allow_nan=False)
    return st.tuples(comp, comp, comp, comp).filter(lambda q: np.linalg.norm(q) > 0.1)


# ---------------------------------------------------------------------------------- physics


@settings(max_examples=25, deadline=None)
@given(q=unit_quaternions(), posture=st.sampled_from(["standing", "seated", "plank"]))
def test_at_rest_accel_reads_one_g_in_any_clip_orientation(q, posture):
    tr = render(plan_still(2.0, posture=posture, sensor=SensorConfig.ideal(100)), clip=q)
    norm = np.linalg.norm(tr.accel_g, axis=1)
    assert np.all(np.abs(norm - 1.0) < 0.003)
    assert np.abs(tr.gyro_dps).max() < 3.0  # postural sway only


def test_at_rest_a_real_sensor_reads_about_one_g(sessions):
    for tier, tr in sessions.items():
        first = tr.t_ms < 1500  # every session starts with 2-3 s of stillness
        norm = np.linalg.norm(tr.accel_g[first].mean(axis=0))
        assert abs(norm - 1.0) < 0.1, tier


def test_a_heel_raise_lifts_the_heel_and_a_toe_raise_lifts_the_toes():
    tl, quat, pos = render_pose(plan_reps(1, amplitude_deg=30, sway=False))
    rise = pos[:, 2].max() - pos[0, 2]
    assert 0.05 < rise < 0.10  # heel-clipped sensor, ~17 cm behind the ball of the foot
    # at the top the foot's long axis (x) points down towards the toes: pitch about +y
    top = np.argmax(tl.pitch_b)
    foot_x = Rotation.from_quat(quat[top]).apply(Rotation.from_quat(quat[0]).inv().apply([1, 0, 0]))
    assert foot_x[2] == pytest.approx(-np.sin(np.radians(30)), abs=0.01)

    tl, quat, pos = render_pose(plan_toe_raises(1, amplitude_deg=20))
    assert pos[:, 2].max() - pos[0, 2] < 0.01  # the heel is the pivot
    top = np.argmax(tl.pitch_h)
    foot_x = Rotation.from_quat(quat[top]).apply(Rotation.from_quat(quat[0]).inv().apply([1, 0, 0]))
    assert foot_x[2] == pytest.approx(np.sin(np.radians(20)), abs=0.02)

    plan = plan_reps(1, amplitude_deg=30, sway=False)
    plan.mounts[0] = laces_mount(x=-0.07, z=0.07)
    _, _, pos = render_pose(plan)
    assert 0.0 < pos[:, 2].max() - pos[0, 2] < 0.04  # the laces are near the pivot


def test_integrating_the_gyro_across_a_rep_recovers_its_amplitude(sessions):
    tr = sessions["clean"]
    dt = 1.0 / tr.rate_hz
    still = tr.t_ms < tr.truth["reps"][0]["start_ms"] - 1000
    bias = tr.gyro_dps[still].mean(axis=0)
    errors = []
    for rep in tr.truth["reps"]:
        mid = (rep["top_ms"] + rep["lower_ms"]) // 2
        span = (tr.t_ms >= rep["start_ms"] - 300) & (tr.t_ms < mid)
        angle = np.linalg.norm(((tr.gyro_dps[span] - bias) * dt).sum(axis=0))
        errors.append(angle - rep["amplitude_deg"])
    assert np.max(np.abs(errors)) < 3.0


def test_accelerometer_tilt_at_the_top_matches_the_amplitude():
    plan = plan_reps(1, amplitude_deg=25, up_s=1.5, hold_s=2.0, sensor=SensorConfig.ideal(100))
    tr = render(plan, clip=Rotation.random(random_state=1))
    rep = tr.truth["reps"][0]
    rest = tr.accel_g[tr.t_ms < rep["start_ms"] - 500].mean(axis=0)
    top = tr.accel_g[(tr.t_ms > rep["top_ms"] + 300) & (tr.t_ms < rep["lower_ms"] - 300)].mean(0)
    cos = rest @ top / np.linalg.norm(rest) / np.linalg.norm(top)
    assert np.degrees(np.arccos(cos)) == pytest.approx(rep["amplitude_deg"], abs=1.0)


def test_gyro_and_accelerometer_agree_on_the_rotation():
    """Turning the rest gravity vector by the integrated gyro predicts the accelerometer."""
    plan = plan_reps(1, amplitude_deg=30, up_s=1.5, hold_s=2.0, sensor=SensorConfig.ideal(200))
    tr = render(plan, clip=Rotation.random(random_state=7))
    rep = tr.truth["reps"][0]
    mid = (rep["top_ms"] + rep["lower_ms"]) // 2
    turn = Rotation.identity()
    for w in tr.gyro_dps[tr.t_ms < mid]:
        turn = turn * Rotation.from_rotvec(np.radians(w) / 200)
    predicted = turn.inv().apply(tr.accel_g[:200].mean(axis=0))
    measured = tr.accel_g[np.abs(tr.t_ms - mid) < 200].mean(axis=0)
    cos = predicted @ measured / np.linalg.norm(predicted) / np.linalg.norm(measured)
    assert np.degrees(np.arccos(min(cos, 1.0))) < 0.5


def test_walking_has_heel_strikes_and_a_stride_rhythm():
    tr = render(plan_walking(12.0, sensor=SensorConfig.ideal(200)))
    (walk,) = tr.truth["distractors"]
    assert walk["kind"] == "walking" and walk["end_ms"] - walk["start_ms"] >= 12000
    inside = (tr.t_ms >= walk["start_ms"]) & (tr.t_ms <= walk["end_ms"])
    norm = np.linalg.norm(tr.accel_g[inside], axis=1)
    peaks = np.flatnonzero((norm[1:-1] > 2.0) & (norm[1:-1] >= norm[:-2]) & (norm[1:-1] > norm[2:]))
    strikes = np.sum(np.diff(tr.t_ms[inside][peaks + 1]) > 400) + 1
    assert 9 <= strikes <= 14  # one per stride of 0.9-1.2 s
    assert np.linalg.norm(tr.gyro_dps[inside], axis=1).max() > 250  # the foot swings
    assert not tr.truth["reps"]


# ------------------------------------------------------------------- re-rendering one plan


def test_rerendering_with_another_clip_keeps_the_motion():
    plan = plan_reps(3, sensor=SensorConfig.ideal(104))
    a = render(plan, clip=Rotation.random(random_state=2))
    b = render(plan, clip=Rotation.random(random_state=3))
    assert a.truth["reps"] == b.truth["reps"]
    assert not np.allclose(a.accel_g, b.accel_g, atol=0.05)
    np.testing.assert_allclose(
        np.linalg.norm(a.accel_g, axis=1), np.linalg.norm(b.accel_g, axis=1), atol=1e-6
    )
    np.testing.assert_allclose(
        np.linalg.norm(a.gyro_dps, axis=1), np.linalg.norm(b.gyro_dps, axis=1), atol=1e-6
    )


def test_rerendering_at_another_rate_keeps_the_truth():
    plan = plan_reps(3, sensor=SensorConfig.ideal(104))
    a, b = render(plan, rate_hz=52), render(plan, rate_hz=208)
    assert a.truth["reps"] == b.truth["reps"]
    assert len(b) == pytest.approx(4 * len(a), rel=0.01)
    assert a.rate_hz == 52 and b.truth["rate_hz"] == 208


@pytest.mark.parametrize("k", [0.5, 2.0])
def test_time_scale_stretches_every_phase(k):
    plan = plan_reps(3, sensor=SensorConfig.ideal(104))
    a, b = render(plan), render(plan, time_scale=k)
    for ra, rb in zip(a.truth["reps"], b.truth["reps"], strict=True):
        for f in ("start_ms", "top_ms", "lower_ms", "end_ms", "up_ms", "hold_ms", "down_ms"):
            # the tremor at the top keeps its own frequency, so the peak (and the 95 % level)
            # moves by a hair
            assert rb[f] == pytest.approx(k * ra[f], abs=20)
        assert rb["amplitude_deg"] == pytest.approx(ra["amplitude_deg"], abs=0.3)


def test_a_whole_session_plan_rerenders_with_all_overrides():
    plan = build_session_plan("hard", SEED)
    tr = render(plan, rate_hz=50, clip=Rotation.random(random_state=4), time_scale=0.8)
    assert tr.rate_hz == 50
    assert len(tr.truth["reps"]) == sum(s["reps"] for s in tr.truth["sets"])


def test_small_plans_concatenate():
    plan = plan_reps(2) + plan_walking(6.0) + plan_reps(2, set_no=2)
    truth = render(plan, sensor=SensorConfig.ideal(100)).truth
    assert [(r["set"], r["rep"]) for r in truth["reps"]] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert [d["kind"] for d in truth["distractors"]] == ["walking"]


# --------------------------------------------------------------------------------- truth


def test_truth_timings_are_consistent(sessions):
    for tier, tr in sessions.items():
        reps = tr.truth["reps"]
        assert reps, tier
        for r in reps:
            assert r["start_ms"] < r["top_ms"] <= r["lower_ms"] < r["end_ms"]
            assert r["up_ms"] == r["top_ms"] - r["start_ms"]
            assert r["hold_ms"] == r["lower_ms"] - r["top_ms"]
            assert r["down_ms"] == r["end_ms"] - r["lower_ms"]
            assert 0 < r["amplitude_deg"] < 50
        for a, b in zip(reps, reps[1:], strict=False):
            assert a["end_ms"] < b["start_ms"]
        for s in tr.truth["sets"]:
            members = [r for r in reps if r["set"] == s["set"]]
            assert [r["rep"] for r in members] == list(range(1, s["reps"] + 1))
            assert s["start_ms"] == members[0]["start_ms"] and s["end_ms"] == members[-1]["end_ms"]
            assert 10 <= s["reps"] <= 15
            full = np.median([r["amplitude_deg"] for r in members if not r["partial"]])
            assert all(r["amplitude_deg"] < 0.65 * full for r in members if r["partial"])
        for d in tr.truth["distractors"]:
            assert d["start_ms"] < d["end_ms"] <= tr.truth["duration_ms"] + 5
            assert not any(
                d["start_ms"] < r["top_ms"] < d["end_ms"]
                for r in reps
                if d["kind"] not in ("bump", "weight_shift")
            )


def test_truth_has_the_documented_fields(sessions):
    truth = sessions["varied"].truth
    for key in ("version", "tier", "seed", "rate_hz", "duration_ms", "reps", "sets", "distractors"):
        assert key in truth
    assert set(truth["reps"][0]) == {
        "start_ms",
        "top_ms",
        "lower_ms",
        "end_ms",
        "up_ms",
        "hold_ms",
        "down_ms",
        "amplitude_deg",
        "set",
        "rep",
        "partial",
        "posture",
    }
    assert set(truth["sets"][0]) == {"set", "start_ms", "end_ms", "reps", "posture"}
    meta = truth["meta"]
    assert meta["sensor"]["chip"] and len(meta["clips"][0]["quat_wxyz"]) == 4
    assert 0.06 <= meta["clips"][0]["lever_m"] <= 0.23
    json.dumps(truth)  # plain JSON types only


def test_truth_is_in_the_trace_clock():
    """With a fast-running chip clock the same motion spans fewer stamped milliseconds."""
    plan = plan_reps(2, sensor=SensorConfig.ideal(100))
    skewed = SensorConfig(
        chip="ideal", rate_hz=100, accel_range_g=16, gyro_range_dps=2000, quantize=False, skew=0.02
    )
    a, b = render(plan), render(plan, sensor=skewed)
    assert b.truth["duration_ms"] == pytest.approx(a.truth["duration_ms"] / 1.02, abs=10)
    for ra, rb in zip(a.truth["reps"], b.truth["reps"], strict=True):
        assert rb["top_ms"] == pytest.approx(ra["top_ms"] / 1.02, abs=1)
        # the rep is where the truth says it is, in the skewed trace's own stamps
        i = np.searchsorted(b.t_ms, rb["lower_ms"])
        rest = b.accel_g[0]
        tilt = np.degrees(np.arccos(b.accel_g[i] @ rest / np.linalg.norm(b.accel_g[i])))
        assert tilt == pytest.approx(0.95 * rb["amplitude_deg"], abs=1.5)


# --------------------------------------------------------------------------------- tiers


def test_same_seed_same_session_and_other_seeds_differ(sessions):
    again = simulate_session("clean", SEED)
    ref = sessions["clean"]
    np.testing.assert_array_equal(again.t_ms, ref.t_ms)
    np.testing.assert_array_equal(again.accel_g, ref.accel_g)
    np.testing.assert_array_equal(again.gyro_dps, ref.gyro_dps)
    assert again.truth == ref.truth
    other = build_session_plan("clean", SEED + 1)
    assert other.segments != build_session_plan("clean", SEED).segments


def test_t_ms_strictly_increasing(sessions):
    for tr in sessions.values():
        assert tr.t_ms.dtype == np.int64
        assert np.all(np.diff(tr.t_ms) > 0)
        assert tr.accel_g.shape == tr.gyro_dps.shape == (len(tr.t_ms), 3)


def test_tiers_have_their_documented_properties(sessions):
    clean, varied, hard = sessions["clean"], sessions["varied"], sessions["hard"]
    assert clean.truth["distractors"] == []
    assert len(clean.truth["sets"]) == 3
    assert {r["posture"] for r in clean.truth["reps"]} == {"standing"}
    assert not any(r["partial"] for r in clean.truth["reps"])
    assert clean.rate_hz in (100, 104)
    assert np.diff(clean.t_ms).max() <= 1000 / clean.rate_hz + 2  # nothing dropped
    assert len(clean.truth["meta"]["clips"]) == 1

    assert 2 <= len(varied.truth["sets"]) <= 4
    assert varied.truth["distractors"]
    assert {d["kind"] for d in varied.truth["distractors"]} <= {"walking", "weight_shift", "bump"}

    kinds = {d["kind"] for d in hard.truth["distractors"]}
    assert {"toe_raise", "reclip", "walking"} <= kinds
    assert len(hard.truth["meta"]["clips"]) >= 2
    gaps = np.diff(hard.t_ms)
    assert gaps.max() >= 50  # a FIFO overflow


def test_tiers_over_several_seeds():
    for seed in range(6):
        for tier in TIERS:
            plan = build_session_plan(tier, seed)
            assert 2 <= len({s.set_no for s in plan.segments if hasattr(s, "set_no")}) <= 4
            kinds = {s.kind for s in plan.segments if s.kind}
            if tier == "clean":
                assert not kinds
            if tier == "hard":
                assert {"toe_raise", "reclip", "walking"} <= kinds
            if tier != "clean":
                walks = [s for s in plan.segments if s.kind == "walking"]
                lo, hi = (5, 21.5) if tier == "varied" else (10, 41.5)
                assert all(lo <= w.duration <= hi for w in walks)


def test_a_five_minute_hard_session_renders_fast():
    plan = build_session_plan("hard", 2)
    render(plan)  # warm up imports and caches
    t0 = time.process_time()  # CPU time: another process's load does not count
    tr = render(plan)
    elapsed = time.process_time() - t0
    minutes = tr.truth["duration_ms"] / 60000
    assert elapsed / max(minutes, 1) * 5 < 2.0  # well under 1 s on a desktop core


# ----------------------------------------------------------------------------------- CLI


def test_cli_writes_a_readable_trace_and_its_truth(tmp_path, capsys):
    from calfraise.cli import main

    out = tmp_path / "s.csv"
    argv = ["simulate", "--tier", "varied", "--seed", "3", "-o", str(out), "--rate", "52"]
    assert main(argv) == 0
    trace, truth = read_trace(out), read_truth(out)
    assert truth["rate_hz"] == 52 and truth["tier"] == "varied" and truth["seed"] == 3
    assert trace.t_ms[-1] == truth["duration_ms"]
    assert "reps" in capsys.readouterr().out


# ------------------------------------------------- conditions and other exercises (issue 10)


def _tilt_deg(trace, t0_ms, t1_ms):
    """Mean accelerometer direction over [t0, t1) ms, as a unit vector."""
    k = (trace.t_ms >= t0_ms) & (trace.t_ms < t1_ms)
    v = trace.accel_g[k].mean(axis=0)
    return v / np.linalg.norm(v)


@pytest.mark.parametrize("off_deg", [3.0, 10.0])
def test_a_rep_that_lands_elsewhere_moves_the_rest_by_that_much(off_deg):
    from calfraise.sim import Rep, Still
    from calfraise.sim.plan import Plan, heel_mount

    segs = [Still(2.0), Rep(30.0, 1.0, 0.3, 1.0, 2.0, land_deg=(off_deg, 0.0, 0.0)), Still(1.0)]
    tr = render(Plan(segs, [heel_mount()], sensor=SensorConfig.ideal(100)))
    before, after = _tilt_deg(tr, 500, 1900), _tilt_deg(tr, 5000, 6000)
    assert np.degrees(np.arccos(before @ after)) == pytest.approx(off_deg, abs=0.2)
    assert tr.truth["reps"][0]["amplitude_deg"] == pytest.approx(30.0, abs=0.5)  # + tremor


def test_a_board_switched_on_mid_rep_starts_its_clock_there_and_skips_that_rep():
    from dataclasses import replace

    plan = plan_reps(3, lead_s=1.0, up_s=1.0, hold_s=0.5, down_s=1.0, pause_s=1.0)
    whole = render(plan)
    late = render(replace(plan, skip_s=1.5))  # inside the first rep
    assert late.t_ms[0] == 0
    assert len(late.truth["reps"]) == 2
    shift = whole.truth["reps"][1]["start_ms"] - late.truth["reps"][0]["start_ms"]
    assert shift == pytest.approx(1500, abs=15)


@pytest.mark.parametrize("kind", ["walking", "stairs", "lunge", "step_up_down", "jump_hop"])
def test_other_exercises_stay_within_what_a_foot_imu_records(kind):
    """Impacts up to ~6 g on top of gravity and swings of several hundred deg/s, no more; the
    foot ends still (1 g) after the bout."""
    from calfraise.sim.catalog import build_plan

    tr = render(build_plan(kind, 3), sensor=SensorConfig.ideal(100))
    (first, *_) = [d for d in tr.truth["distractors"] if d["kind"] == kind]
    k = (tr.t_ms >= first["start_ms"]) & (tr.t_ms < first["end_ms"])
    peak_g = np.linalg.norm(tr.accel_g[k], axis=1).max()
    assert 1.3 < peak_g < 8.0
    assert 100 < np.abs(tr.gyro_dps[k]).max() < 1200
    assert np.linalg.norm(tr.accel_g[-50:].mean(axis=0)) == pytest.approx(1.0, abs=0.01)


def test_brisk_reps_match_the_recorded_ones():
    """38-55 deg, 0.3-0.45 s up, 0.3-0.5 s down, gyro peaks of ~160-260 deg/s (each set's
    typical rep; single reps vary by up to 8 %)."""
    from calfraise.sim.catalog import build_plan

    plan = build_plan("brisk", 2)
    reps = [s for s in plan.segments if type(s).__name__ == "Rep"]
    assert all(34 <= r.amplitude_deg <= 60 and 0.27 <= r.up_s <= 0.5 for r in reps)
    peaks = [1.875 * r.amplitude_deg / r.up_s for r in reps]
    assert 140 < min(peaks) and max(peaks) < 330


def test_bounced_reps_rise_as_the_heel_lands():
    """The bounce kind: no pause between a set's reps (each rises as the heel lands), in sets
    as long as the other kinds' (10-15 reps), brisk or steady."""
    from calfraise.sim.catalog import build_plan

    plan = build_plan("bounce", 1)
    reps = [s for s in plan.segments if type(s).__name__ == "Rep"]
    assert len(reps) >= 20 and all(r.pause_s == 0 for r in reps)
    assert all(r.up_s > 0.25 and r.down_s > 0.25 for r in reps)


@pytest.mark.parametrize("kind", ["lunge", "split_squat"])
@pytest.mark.parametrize("seed", range(6))
def test_a_foot_steps_into_a_lunge_or_split_stance_it_does_not_slide(kind, seed):
    """Between two key poses that are more than 5 cm apart, the foot is off the floor (or on
    a bench) at one of them: it is lifted and carried, as a real step is."""
    import itertools

    from calfraise.sim.exercises import bout

    (move,) = bout(np.random.default_rng([seed, 4]), kind)
    for a, b in itertools.pairwise(move.keys):
        (xa, ya, za), (xb, yb, zb) = a[4], b[4]
        if np.hypot(xb - xa, yb - ya) > 0.05:
            assert max(za, zb) > 0.03


@pytest.mark.parametrize("swing", [-20.0, -5.0, 5.0, 20.0])
def test_a_free_foot_swings_with_its_shank_not_about_its_ball(swing):
    """A foot held in the air (a single-leg squat's free foot) has nothing holding its ball:
    pitching `swing` deg from its lifted pose, it turns with the shank about the knee. Every
    point of the foot keeps its distance from the knee, and the ball moves ~0.43 m x the turn."""
    from calfraise.sim.exercises import _SHANK_M, _pitched, _swung_about_knee

    lift = (20.0, 0.05, 0.15)
    ball0 = np.array([lift[1], 0.0, lift[2]])
    knee = ball0 + _pitched(np.radians(lift[0]), (-0.13, 0, 0.08)) + (0, 0, _SHANK_M)
    ball = np.array(_swung_about_knee(lift, swing))
    assert np.linalg.norm(ball - knee) == pytest.approx(np.linalg.norm(ball0 - knee))
    moved = np.linalg.norm(ball - ball0)
    chord = 2 * np.linalg.norm(ball0 - knee) * np.sin(np.radians(abs(swing)) / 2)
    assert moved == pytest.approx(chord) and moved > 0.9 * _SHANK_M * np.radians(abs(swing))
