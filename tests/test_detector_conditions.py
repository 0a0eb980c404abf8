"""The detector cannot lock itself out: every rep counts under the conditions a real foot brings
(issue 10), on CPython and on MicroPython (the whole trace under heap_lock()).

Each property draws a short session of brisk or steady standing reps with one condition at up to
the strength the issue names: a first stance up to 10 deg off the later rests, rests drifting
by up to 5 deg, sway up to 1.5 deg at 0.2-1 Hz, no still moment before the first rep, a saved
gyro bias up to 5 deg/s off per axis; and, whatever the detector was doing, 2 s of stillness
and it counts again, the board just switched on (mid-walk, mid-rep, at a held top) included.
"""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from calfraise.analyze import GYRO_LSB_PER_DPS, raw_samples
from calfraise.sim import Handle, Plan, Rep, SensorConfig, Still, render
from calfraise.sim.exercises import bout
from calfraise.sim.plan import Shift, Transition, heel_mount
from calfraise.sim.scenario import random_walk

MP_SCRIPT = Path(__file__).parent / "mp" / "detect_locked.py"
# derandomized: CI runs the same draws every time; docs/detector.md lists draws that fail
PROPERTY = settings(
    derandomize=True,
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)  # the runner and tmp_path hold nothing between examples: each rewrites its trace file


def reps_on(runner, trace, tmp_path, saved_bias_dps=None):
    """The reps the detector finds in the trace, run by `runner` (CPython or MicroPython)."""
    raw = tmp_path / "trace.raw"
    raw_samples(trace).astype("<i4").tofile(raw)
    args = [str(raw), str(trace.rate_hz)]
    if saved_bias_dps is not None:
        args.append(",".join(str(round(b * GYRO_LSB_PER_DPS * 16)) for b in saved_bias_dps))
    *lines, tail = runner(script=MP_SCRIPT, args=args, heapsize="8M").strip().splitlines()
    assert tail == f"samples {len(trace)}"
    return [json.loads(line) for line in lines]


@st.composite
def rep_sets(draw, n_min=6, n_max=10):
    """Reps of one style: brisk (38-55 deg, 0.3-0.45 s up, 0.3-0.5 s down, gyro peaks of
    160-260 deg/s, 0.5-0.8 s rests) or steady (20-45 deg, 0.6-2 s up and down)."""
    brisk = draw(st.booleans())
    if brisk:  # minimum-jerk moves peak at 1.875 x amplitude / duration: 160-260 deg/s
        amp = draw(st.floats(38, 55))
        up = min(max(1.875 * amp / draw(st.floats(160, 260)), 0.3), 0.45)
        down = min(max(1.875 * amp / draw(st.floats(160, 260)), 0.3), 0.5)
        hold, pause = draw(st.floats(0, 0.1)), draw(st.floats(0.5, 0.8))
    else:
        amp = draw(st.floats(20, 45))
        up, hold, down = draw(st.floats(0.6, 2)), draw(st.floats(0, 1)), draw(st.floats(0.6, 2))
        pause = draw(st.floats(0.5, 1.5))
    n = draw(st.integers(n_min, n_max))
    return [
        Rep(amp, up, hold, down, pause, rep_no=r + 1, roll_deg=1.5, yaw_deg=0.5) for r in range(n)
    ]


def rotvecs(max_deg, min_deg=0.0):
    """A rotation vector (deg) of min_deg..max_deg about a random, mostly horizontal axis."""
    return (
        st.tuples(
            st.floats(-1, 1), st.floats(-1, 1), st.floats(-0.3, 0.3), st.floats(min_deg, max_deg)
        )
        .filter(lambda v: np.linalg.norm(v[:3]) > 0.2)
        .map(lambda v: tuple(float(x) for x in np.array(v[:3]) / np.linalg.norm(v[:3]) * v[3]))
    )


def sways(max_deg=1.5):
    """Sway terms (axis, deg, Hz, phase) at 0.2-1 Hz whose amplitudes add up to max_deg."""
    return st.lists(
        st.tuples(st.integers(0, 2), st.floats(0.1, 1.0), st.floats(0.2, 1.0), st.floats(0, 6.28)),
        min_size=1,
        max_size=4,
    ).map(
        lambda ts: tuple(
            (a, amp * max_deg / max(max_deg, sum(t[1] for t in ts)), f, ph) for a, amp, f, ph in ts
        )
    )


def session(segments, clip_seed, sway=(), rate=104.0, gyro_bias=(0.8, -1.2, 0.5), skip_s=0.0):
    """A plan of these segments: any clip orientation, a real sensor's noise and bias."""
    mount = heel_mount(np.random.default_rng(clip_seed))
    clip = Rotation.random(random_state=clip_seed)
    mount = type(mount)(tuple(float(q) for q in clip.as_quat()), mount.s_foot, mount.location)
    sensor = SensorConfig(
        chip="LSM6DS3",
        rate_hz=rate,
        gyro_bias_dps=gyro_bias,
        accel_noise_g=0.004,
        gyro_noise_dps=0.07,
    )
    return Plan(list(segments), [mount], sway=sway, sensor=sensor, seed=clip_seed, skip_s=skip_s)


def in_a_plank(reps):
    """Segments: from standing down into a plank, 2 s still there, the reps, and back up."""
    return [
        Transition(3.0, "standing", "plank", (-0.5, 0.0, 0.0)),
        Still(2.0, "plank"),
        *reps,
        Still(2.0, "plank"),
        Transition(3.0, "plank", "standing", (0.5, 0.0, 0.0)),
        Still(2.0),
    ]


def counted(found, truth):
    return len(found) == len(truth["reps"]), (len(found), len(truth["reps"]))


@PROPERTY
@given(reps=rep_sets(), off=rotvecs(10, 3), shift=st.booleans(), clip=st.integers(0, 2**31))
@example(  # a stance 8 deg against the raise: each raise passes its old rest, 12 deg beyond it
    reps=[
        Rep(20.0, 0.609375, 0.0, 1.0, 1.0, rep_no=r + 1, roll_deg=1.5, yaw_deg=0.5)
        for r in range(6)
    ],
    off=(0.0, -8.0, 0.0),
    shift=True,
    clip=0,
)
@example(  # 10 deg against the raise: the raise passes its old rest by as much as the stance
    reps=[Rep(20.0, 1.0, 0.0, 1.0, 1.0, rep_no=r + 1, roll_deg=1.5, yaw_deg=0.5) for r in range(6)],
    off=(0.0, -10.0, 0.0),
    shift=True,
    clip=0,
)
@example(  # ... slowly (2 s up): the stance is not confirmed as a rep while the raise is under way
    reps=[Rep(20.0, 2.0, 0.0, 1.0, 1.0, rep_no=r + 1, roll_deg=1.5, yaw_deg=0.5) for r in range(6)],
    off=(0.0, -10.0, 0.0),
    shift=True,
    clip=0,
)
def test_a_stance_up_to_10_degrees_off_the_rests_counts_every_rep(
    both_interpreters, tmp_path, reps, off, shift, clip
):
    if shift:  # the foot settles into the set's rest, then the set starts
        lead = [Still(2.5), Shift(0.6, off), Still(0.5)]
    else:  # the first rep comes down elsewhere
        lead = [Still(2.5)]
        reps = [Rep(**{**reps[0].__dict__, "land_deg": off})] + reps[1:]
    trace = render(session(lead + reps + [Still(2.0)], clip))
    ok, why = counted(reps_on(both_interpreters, trace, tmp_path), trace.truth)
    assert ok, why


@PROPERTY
@given(
    reps=rep_sets(),
    rests=st.lists(rotvecs(5), min_size=10, max_size=10),
    clip=st.integers(0, 2**31),
)
def test_rests_drifting_up_to_5_degrees_between_reps_count_every_rep(
    both_interpreters, tmp_path, reps, rests, clip
):
    """Each rep comes down on a rest up to 5 deg from where the set began (so up to 10 deg from
    the rest it rose from)."""
    rests = [np.zeros(3)] + [np.asarray(r) for r in rests]
    reps = [
        Rep(**{**r.__dict__, "land_deg": tuple(float(x) for x in rests[k + 1] - rests[k])})
        for k, r in enumerate(reps)
    ]
    trace = render(session([Still(2.5)] + reps + [Still(2.0)], clip))
    ok, why = counted(reps_on(both_interpreters, trace, tmp_path), trace.truth)
    assert ok, why


@PROPERTY
@given(reps=rep_sets(), sway=sways(1.5), lead=st.floats(1.0, 3.0), clip=st.integers(0, 2**31))
def test_a_swaying_foot_with_no_still_moment_counts_every_rep(
    both_interpreters, tmp_path, reps, sway, lead, clip
):
    trace = render(session([Still(lead)] + reps + [Still(2.0)], clip, sway=sway))
    ok, why = counted(reps_on(both_interpreters, trace, tmp_path), trace.truth)
    assert ok, why


@PROPERTY
@given(
    n=st.integers(10, 15),
    tremor=st.floats(0.1, 0.3),
    hz=st.floats(5, 9),
    clip=st.integers(0, 2**31),
)
@example(n=10, tremor=0.25, hz=8.90926819309107, clip=0)  # its first plank rep starts 466 ms early
def test_a_plank_set_trembling_on_the_ball_counts_every_rep(
    both_interpreters, tmp_path, n, tremor, hz, clip
):
    """A set standing, then a set of 10-15 in a plank whose foot trembles 0.1-0.3 deg at
    5-9 Hz the whole time, rests included (the calf holds the body up on the ball, as a split
    squat's rear foot): every rep counts, each one found where it is (overlapping it). A rule
    that dropped reps from a trembling rest failed this (docs/detector.md, Known limits,
    "Trembling feet"). (Not claimed: its phases; near 8.9 Hz, a third of the 26 Hz block rate,
    the plank's first rep can start ~0.5 s early (Known limits); no false rep as the foot
    settles into the trembling plank, nor brisk or varied plank reps, nor 0.25 deg at 10 Hz:
    docs/detector-history.md, "Trembling feet".)"""
    reps = [
        Rep(20.0, 1.0, 0.0, 1.0, 1.0, rep_no=r + 1, roll_deg=1.5, yaw_deg=0.5) for r in range(n)
    ]
    plank = [replace(r, posture="plank") for r in reps]
    segs = [Still(2.5), *reps[:4], Still(2.0), *in_a_plank([replace(r, set_no=2) for r in plank])]
    plan = replace(session(segs, clip), ball_tremor=(("plank", tremor, hz),))
    trace = render(plan)
    found = reps_on(both_interpreters, trace, tmp_path)
    truth = trace.truth["reps"]
    lost = [
        r
        for r in truth
        if not any(f["start_ms"] < r["end_ms"] and f["end_ms"] > r["start_ms"] for f in found)
    ]
    assert len(found) == len(truth) and not lost, (len(found), lost)


@PROPERTY
@given(
    reps=rep_sets(),
    error=st.tuples(*[st.floats(-5, 5)] * 3),
    bias=st.tuples(*[st.floats(-3, 3)] * 3),
    clip=st.integers(0, 2**31),
)
def test_a_saved_gyro_bias_up_to_5_dps_off_counts_every_rep(
    both_interpreters, tmp_path, reps, error, bias, clip
):
    trace = render(session([Still(2.5)] + reps + [Still(2.0)], clip, gyro_bias=bias))
    saved = [b + e for b, e in zip(bias, error, strict=True)]
    ok, why = counted(reps_on(both_interpreters, trace, tmp_path, saved), trace.truth)
    assert ok, why


@PROPERTY
@given(
    reps=rep_sets(4, 6),
    what=st.sampled_from(["handling", "walk", "half", "hops"]),
    clip=st.integers(0, 2**31),
)
@example(reps=[Rep(30.0, 0.5, 0.2, 0.5, 0.8, rep_no=r + 1) for r in range(4)], what="hops", clip=5)
def test_whatever_it_was_doing_it_counts_again_after_2_s_of_stillness(
    both_interpreters, tmp_path, reps, what, clip
):
    """A rep cut short and held, a walk, hops (vetoed by their landings), or the clip in the
    hand: then 2 s still, then reps."""
    rng = np.random.default_rng(clip)
    if what == "handling":
        keys = tuple(
            ((i + 1) / 5, tuple(float(x) for x in rng.normal(0, 60, 3)), (0.0, 0.0, 0.2))
            for i in range(4)
        )
        before = [Handle("handling", 5.0, 0, keys)]
    elif what == "walk":
        before = [random_walk(rng, 8.0)]
    elif what == "hops":
        before = bout(rng, "jump_hop")
    else:  # up and held high for longer than any rep's hold, then a new stance
        before = [Shift(1.0, (0.0, 25.0, 0.0))]
    segs = [Still(2.5)] + before + [Still(2.0)] + reps + [Still(2.0)]
    trace = render(session(segs, clip))
    still_from = trace.truth["reps"][0]["start_ms"] - 2000
    after = [r for r in reps_on(both_interpreters, trace, tmp_path) if r["start_ms"] >= still_from]
    assert len(after) == len(reps)


@PROPERTY
@given(
    reps=rep_sets(4, 6),
    what=st.sampled_from(["walk", "rep", "held top"]),
    at=st.floats(0.05, 0.95),
    clip=st.integers(0, 2**31),
)
def test_switched_on_at_any_moment_it_counts_after_2_s_of_stillness(
    both_interpreters, tmp_path, reps, what, at, clip
):
    """The board switched on at `at` of a walk, of a rep, or of a rep's top held 3 s (the calf
    trembles; a foot standing on the floor does not, docs/detector.md 6): then 2 s still, then
    reps. Before, a top held at boot became the rest and the set was counted inverted."""
    rng = np.random.default_rng(clip)
    if what == "walk":
        before = random_walk(rng, 8.0)
        skip = at * before.duration
    else:
        first = replace(reps[0], hold_s=3.0 if what == "held top" else reps[0].hold_s)
        before = replace(first, pause_s=0.0)
        skip = at * before.duration
        if what == "held top":
            skip = first.up_s + 0.2 + at * 2.6
    segs = [before, Still(2.0)] + reps + [Still(2.0)]
    trace = render(session(segs, clip, skip_s=skip))
    still_from = trace.truth["reps"][-len(reps)]["start_ms"] - 2000
    after = [r for r in reps_on(both_interpreters, trace, tmp_path) if r["start_ms"] >= still_from]
    assert len(after) == len(reps), (len(after), len(reps))


def test_a_fifo_gap_inside_a_brisk_rise_loses_no_rep(both_interpreters, tmp_path):
    """80 ms of samples lost (a FIFO overflow) a quarter of the way up a brisk 38 deg rep: the
    turn across the gap is one block's, but the rate checks use what the gyro read (not a turn
    too fast for a calf raise) and the ball-pivot test does not judge a rep whose angular
    acceleration is unknown (docs/detector.md, 7). Counted 3 of 4 before. Longer gaps early in
    a session still lose reps: docs/detector.md, known limits."""
    reps = [
        Rep(38.0, 0.445, 0.0, 0.445, 0.5, rep_no=r + 1, roll_deg=1.5, yaw_deg=0.5) for r in range(4)
    ]
    plan = session([Still(2.5), *reps, Still(2.0)], 0)
    first = render(plan).truth["reps"][0]
    at_ms = first["start_ms"] + first["up_ms"] / 4
    trace = render(plan, sensor=replace(plan.sensor, gaps=((at_ms / 1000 / plan.duration, 80.0),)))
    ok, why = counted(reps_on(both_interpreters, trace, tmp_path), trace.truth)
    assert ok, why


def test_an_imu_scale_given_as_a_float_is_taken():
    """The boards give their datasheet sensitivity (0.122 mg/LSB is 8196.7 LSB/g)."""
    from calfraise_fw.detector import RepDetector

    det = RepDetector(104, 1 / 0.122e-3, 1 / 8.75e-3)
    assert det.update(0, 0, 0, 8197, 0, 0, 0) is None
