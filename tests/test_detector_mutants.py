"""Rep fields on inputs whose answer is exact, written for mutants the other rep-field tests let
live (docs/testing.md, "Mutation testing"): each checks what a rep reports, not a constant."""

import io
import math
from contextlib import redirect_stdout

import pytest

import test_detector
from calfraise.analyze import detect_samples
from calfraise_fw import detector as fw
from calfraise_fw.detector import _RI, RepDetector
from test_detector_knife import a_set_from, first_set, moved_clip, then
from test_rep_timing import (
    EARLY_MS,
    LATE_MS,
    RATE_HZ,
    STYLES,
    TIMES,
    detect,
    drifted_session,
    pitch_samples,
    ramp_session,
    turned,
)

CROSSINGS_OFF_THE_FLOOR = """
from calfraise_fw.detector import crossing
off = []
for den in (0x7FFF, 0x7FFE, 1):
    for sign in (1, -1):
        for num in range(0, den + 1, max(1, den // 4000)):
            got = crossing(0, 1000, 0, sign * den, sign * num)
            if got != 1000 * num // den:
                off.append((sign * den, sign * num, got))
print(off)
"""


def test_a_crossing_within_15_bits_is_the_exact_floor_rising_or_falling(micropython):
    """Blocks 1 s apart whose signal changes by at most 0x7FFF need no scaling: the time is the
    floor of the exact interpolation to the millisecond, whether the signal rises or falls
    (a falling change of exactly 0x7FFF scaled by half would read up to 1 ms late), on the
    host and on the device."""
    host = io.StringIO()
    with redirect_stdout(host):
        exec(CROSSINGS_OFF_THE_FLOOR, {})
    assert host.getvalue().strip() == "[]"
    assert micropython(CROSSINGS_OFF_THE_FLOOR).strip() == "[]"


def _settled_start_s(shift_deg, amp_deg, up_s):
    """When a rise of amp_deg over up_s from a rest shift_deg off the old rest (under the 2
    degree a rest may drift: still measured from the old rest) passes that rest's own 5 %
    above it: its squared chord from the old rest reaches the rest's plus 5 % of the rep's
    (1/400 of the squared top, docs/detector.md). Seconds after it leaves the rest."""
    rest = math.sin(math.radians(shift_deg) / 2) ** 2
    top = math.sin(math.radians(shift_deg + amp_deg) / 2) ** 2
    angle = 2 * math.degrees(math.asin(math.sqrt(rest + top / 400)))
    return (angle - shift_deg) / amp_deg * up_s


@pytest.mark.parametrize("phase", [0, 6])
@pytest.mark.parametrize("still_s", [0.3, 0.4])
def test_a_rise_from_a_rest_within_its_drift_starts_5_percent_above_that_rest(still_s, phase):
    """After a rep the foot settles 1.5 degrees up the raise (within the drift a rest follows,
    so the rep is measured from the old rest) and rises 20 degrees still_s later. Its start is
    the exact crossing of that rest's own 5 % above it, walking back block by block from the
    rise to the rest: not a block or two earlier, in the rest, where no rise has begun yet.
    The reps are shifted by 0 and 6 eighths of a block."""
    knots, _truth, leave = drifted_session(1.5, still_s, lead_s=3.0 + phase * 0.0385 / 8)
    amp, up = STYLES[0][:2]
    _first, rise = detect(pitch_samples(knots))
    exact = 1000 * (leave + _settled_start_s(1.5, amp, up))
    assert exact - EARLY_MS <= rise["start_ms"] <= exact + LATE_MS, (exact, rise)


BLOCK_S = 4 / 104  # the detector's block at 104 Hz


class _LandingSpy(RepDetector):
    """The detector, noting the ring slot of every landing it times an end from."""

    def __init__(self, *args):
        super().__init__(*args)
        self.landings = []

    def _landed(self, level5, k):
        self.landings.append(k)
        return super()._landed(level5, k)


def _landing_elsewhere(lead_s):
    """Two 20 degree reps: the first from a rest at 8 degrees down to 5, the second from 5 a
    second later (the landing is its rest: too soon for the rest to be learned again)."""
    t0, amp, land = lead_s, 20.0, 5.0
    knots = [(0, 8.0), (t0, 8.0), (t0 + 1, 28.0), (t0 + 1.5, 28.0), (t0 + 2.5, land)]
    knots += [(t0 + 3.5, land), (t0 + 4.5, land + amp), (t0 + 5, land + amp), (t0 + 6, land)]
    knots.append((t0 + 9, land))
    detector = _LandingSpy(RATE_HZ, 4096, 32.8)
    return detect_samples(detector, turned(pitch_samples(knots), 90)), detector.landings


def test_a_rep_is_timed_the_same_wherever_it_falls_in_the_ring():
    """The detector keeps its recent blocks in a ring of 256 slots; where a rep falls in it is
    an accident of when the session started. The same reps started whole blocks later, so that
    the first one's landing falls in slot 0, report the same times shifted by those blocks (to
    the millisecond the sample stamps round to) and the same amplitudes: slot 0 is a landing
    like any other, the first rep's end and the rest the second rises from."""
    base, landings = _landing_elsewhere(3.0)
    assert landings, "the first rep's end is timed from its landing"
    blocks = (256 - landings[0]) % 256
    shifted, _ = _landing_elsewhere(3.0 + blocks * BLOCK_S)
    assert len(shifted) == len(base) == 2
    for a, b in zip(shifted, base, strict=True):
        for key in TIMES:
            assert abs(a[key] - b[key] - 1000 * blocks * BLOCK_S) <= 1, (key, a, b)
        assert a["amplitude_deg"] == b["amplitude_deg"], (a, b)


def test_a_toe_raise_bout_right_after_clipping_on_counts_nothing():
    """One draw of test_detector's property, its clip at rotation seed 0 and 50 Hz: six toe
    raises turn the foot about the heel, right under the clip, and count nothing even before
    a heel raise has shown which way the heel goes up; the set of 10 after them counts in full.
    (The property's many draws cost minutes; this one keeps the toe flag in the mutation
    run's guards.)"""
    test_detector.test_toe_raises_right_after_clipping_on_do_not_count.hypothesis.inner_test(
        clip_seed=0, rate=50, seed=0
    )


@pytest.mark.parametrize("phase", [2, 4])
def test_a_shift_held_over_150_ms_is_a_rest(phase):
    """A 4.5 degree shift held 0.16 s before a 20 degree rise: longer than any stop the block
    grid may miss as a rest (100-150 ms held: either, docs/detector.md), so the rise is timed
    and measured from it, as after the 0.25 s hold of test_rep_timing: not from the old rest,
    0.4 s earlier and 24.3 degrees."""
    knots, _truth, leave = drifted_session(4.5, 0.16, lead_s=3.0 + phase * BLOCK_S / 8)
    amp, up = STYLES[0][:2]
    _first, rise = detect(pitch_samples(knots))
    exact = 1000 * (leave + 0.05 * up)
    assert exact - EARLY_MS <= rise["start_ms"] <= exact + LATE_MS, (exact, rise)
    assert abs(rise["amplitude_deg"] - amp) <= 0.01 * amp + 0.05, rise


@pytest.mark.parametrize("amp,at,pause_s", [(11.0, 0.52, 0.25), (10.0, 0.55, 0.15)])
def test_a_small_rise_that_hitches_above_half_its_tilt_is_one_rep(amp, at, pause_s):
    """A rise of 10-11 degrees that stops for 0.15-0.25 s a little over half way up, within the
    6 degrees a rest may drift from the last (test_rep_timing's hitches in 20 degree rises stop
    beyond it): above half the rep's tilt a stop is a hitch in the rise, not a new rest
    (docs/detector.md), so each rep is measured from the rest it left, starts before the
    hitch and tops out at the exact 95 % crossing of the whole rise."""
    knots, _ = ramp_session([(amp, 0.8, 0.3, 0.8, 1.2)])
    t = knots[-1][0]
    exact = []
    for n in range(4):  # rests 10 ms longer each: the hitches fall at four phases of a block
        top_at = t + 0.8 + pause_s
        exact.append((1000 * (t + at * 0.8), 1000 * (top_at - 0.04)))
        knots += [(t + at * 0.8, amp * at), (t + at * 0.8 + pause_s, amp * at), (top_at, amp)]
        knots += [(top_at + 0.3, amp), (top_at + 1.1, 0.0)]
        t = top_at + 1.1 + 1.2 + 0.01 * n
        knots.append((t, 0.0))
    knots.append((t + 3.0, 0.0))
    found = detect(pitch_samples(knots))
    assert len(found) == 1 + len(exact), found
    lag = amp / 0.8 * BLOCK_S / 2  # the accelerometer's pull, as in test_rep_timing
    for rep, (hitch, top) in zip(found[1:], exact, strict=True):
        assert rep["start_ms"] < hitch, (hitch, rep)
        assert top - EARLY_MS <= rep["top_ms"] <= top + LATE_MS, (top, rep)
        assert abs(rep["amplitude_deg"] - amp) <= lag + 0.01 * amp + 0.05, rep


def test_a_landing_far_from_a_rest_in_doubt_off_the_stance_is_no_heel_raise():
    """After a set from the stance the clip is moved slowly to 25 degrees (a rest in doubt:
    the foot on its ball, or standing there?), six lifts come back to it, then one rises to
    40 and comes down at 35, off the stance and 10 degrees from that rest, and six lifts
    follow from there. A heel raise comes back near where it started (docs/detector.md, "A
    rest off the stance"): the landing far from it is a foot on its ball (a lunge's rear
    foot), no rep, and neither place off the stance saw the ten returns that make it the
    stance, so only the first set counts."""
    knots = then(then(first_set(), moved_clip(3.0)), a_set_from(25.0, 6))
    t = knots[-1][0] - 3.0
    knots = [k for k in knots if k[0] <= t]
    knots += [(t + 0.6, 40.0), (t + 0.9, 40.0), (t + 1.7, 35.0), (t + 4.7, 35.0)]
    found = detect(pitch_samples(then(knots, a_set_from(35.0, 6))))
    assert len(found) == 6, [r["top_ms"] for r in found]


@pytest.mark.parametrize("phase", range(4))
@pytest.mark.parametrize("pause_s", [0.05, 0.1])
def test_a_rep_that_lands_elsewhere_and_rises_again_ends_5_percent_above_the_landing(
    pause_s, phase
):
    """A 20 degree rep comes down to 5 degrees, stops there pause_s (too short to land: its
    end is the way down's own crossing) and rises again. It ends where the way down passed
    5 % of the rep above that landing (0.75 degree, as a chord: the squared top over 400), to
    within half a sample, interpolated between the two blocks about it (over two blocks it
    read up to 10 ms late) at quarter-block phases."""
    t0 = 3.0 + phase * BLOCK_S / 4
    knots = [(0, 0.0), (t0, 0.0), (t0 + 1, 20.0), (t0 + 1.5, 20.0), (t0 + 2.5, 5.0)]
    knots += [(t0 + 2.5 + pause_s, 5.0), (t0 + 3.5 + pause_s, 25.0), (t0 + 4 + pause_s, 25.0)]
    knots += [(t0 + 5 + pause_s, 5.0), (t0 + 9, 5.0)]
    first = detect(pitch_samples(knots))[0]
    landing = 5.0 + 2 * math.degrees(math.asin(math.sin(math.radians(15.0) / 2) / 20))
    exact = 1000 * (t0 + 1.5 + (20.0 - landing) / 15.0)
    assert abs(first["end_ms"] - exact) <= 500 / RATE_HZ, (exact, first)


def test_a_rep_rising_6_s_after_a_lone_one_opens_the_set_with_it():
    """A set opens when its second rep rises within 6 s of the first one's end (docs/detector.md,
    10): two 20 degree reps whose start and end, as reported, are exactly 6,000 ms apart count
    both, then a third in rhythm; a millisecond further apart, the lone first one does not
    count and the other two open the set. (The pause is found by bisection, to 0.05 ms, where
    the reported gap reaches 6,000 ms: the reps start and end 5 % into their phases, so the
    gap is the pause and 100 ms.)"""
    rep = STYLES[0][:4]
    first_end = detect(pitch_samples(ramp_session([(*rep, 2.0), STYLES[0]])[0]))[0]["end_ms"]

    def reps_after(pause_s):
        found = detect(pitch_samples(ramp_session([(*rep, pause_s), (*rep, 2.0), STYLES[0]])[0]))
        return found, found[-2]["start_ms"] - first_end

    early, late = 5.85, 5.95  # pauses whose gap is under 6,000 ms, and at least that
    while late - early > 5e-5:
        mid = (early + late) / 2
        if reps_after(mid)[1] >= 6000:
            late = mid
        else:
            early = mid
    found, gap = reps_after(late)
    assert gap == 6000 and len(found) == 3, (gap, found)
    found, gap = reps_after(late + 0.001)
    assert gap > 6000 and len(found) == 2 and found[0]["start_ms"] > first_end, (gap, found)


@pytest.mark.parametrize("amp", [10, 50])
@pytest.mark.parametrize("phase", ["up", "down"])
def test_a_phase_quicker_than_a_calf_turns_the_foot_is_no_calf_raise(amp, phase):
    """A rise (5 % to 95 %) quicker than a calf pushes the foot through its amplitude, 150 ms x
    sqrt(amplitude / 45 deg) and 150 ms from 45 deg up, or a way down quicker than 150 ms (a
    heel let drop, not lowered), is no calf raise (docs/detector.md, 5). A rep of `amp`
    degrees between two steady ones turns ever quicker along half a cosine, the clip on the
    laces (7 cm from the ball: the ball-pivot test, judging the turn's acceleration, does not
    drop it sooner); where it stops counting (found by bisection, to 0.01 ms) its reported
    phase is the bound at its reported amplitude (a 10 deg rise 71 ms, a 50 deg one 150 ms),
    and 0.01 ms quicker the rep is gone. A test of `<` against `<=` at the rule's own bound,
    the square root's and the 150 ms's, on either phase."""

    def reps_after(phase_s):
        quick = (amp, phase_s, 0.3, 1.0, 1.5) if phase == "up" else (amp, 1.0, 0.3, phase_s, 1.5)
        knots = ramp_session([STYLES[0], quick, STYLES[0]])[0]
        found = detect(pitch_samples(knots, eased=True, lever=(0.07, 0.02)))
        if len(found) != 3:
            return found, None
        rep = found[1]
        if phase == "up":
            return found, rep["top_ms"] - rep["start_ms"]
        return found, rep["end_ms"] - rep["lower_ms"]

    early, late = 0.02, 0.3  # phase times whose rep is not counted, and counted
    assert reps_after(early)[1] is None and reps_after(late)[1] is not None
    while late - early > 1e-5:
        mid = (early + late) / 2
        if reps_after(mid)[1] is None:
            early = mid
        else:
            late = mid
    found, quickest = reps_after(late)
    deg = min(found[1]["amplitude_deg"], 45) if phase == "up" else 45
    # (2 ms: the detector's degrees are the chord's, 1.5 % short at 30 deg)
    assert abs(quickest - 150 * math.sqrt(deg / 45)) <= 2, (quickest, found[1])
    found, quickest = reps_after(late - 1e-5)
    assert quickest is None and len(found) == 2, found


def _levers_session(backs):
    """15 brisk 40 degree reps, each turning about a lever whose clip sits backs[n] m behind the
    ball (and 5 cm above it): sessions of each lever spliced in the still pauses between reps,
    400 ms after each end, where the lever moves nothing."""
    knots, ramps = ramp_session([(40, 0.35, 0.1, 0.4, 0.8)] * len(backs))
    per_lever = {b: pitch_samples(knots, eased=True, lever=(b, 0.05)) for b in set(backs)}
    cuts = [-1] + [r["end_ms"] + 400 for r in ramps[:-1]] + [math.inf]
    samples = []
    for n, back in enumerate(backs):
        samples += [s for s in per_lever[back] if cuts[n] <= s[0] < cuts[n + 1]]
    return samples


def test_a_set_whose_first_levers_read_short_keeps_counting():
    """The set's lever (docs/detector.md, 7) is a running estimate that follows its reps. Its
    first reps turned about a lever 15 % shorter (17 cm, the rest 20 cm: the clip slipped, or a
    poor fit): the estimate, seeded by the third, gives way to the set's own lever within a few
    reps, and all 15 count. An estimate that moved away from each reading instead would fall
    below two thirds of the set's lever and reject the rest as turns about another point."""
    found = detect(_levers_session([0.17] * 3 + [0.2] * 12))
    assert [(r["set"], r["rep"]) for r in found] == [(1, n) for n in range(1, 16)], found


def test_a_set_whose_lever_grows_in_steps_under_half_again_keeps_counting():
    """The set's estimate moves a quarter of the way to each heel raise's lever (docs/detector.md,
    7), so a lever that grows in steps, each under the 1.5x that marks a turn about another
    point, is followed. The clip slips back twice in a set: from 13 cm from the ball to 18.7
    (1.44x) for three reps, then to 23 (1.23x). After those three reps the estimate is half
    way to 18.7 cm, within 1.5x of 23, and all 15 count. An estimate that moved only an eighth
    of the way (under a third after three reps) rejects the 23 cm reps as turns about another
    point: 8 of 15 count."""
    found = detect(_levers_session([0.12] * 3 + [0.18] * 3 + [0.225] * 9))
    assert [(r["set"], r["rep"]) for r in found] == [(1, n) for n in range(1, 16)], found


class _TopSpy(RepDetector):
    """The detector, noting the ring slot of the block in which each way down began."""

    def __init__(self, *args):
        super().__init__(*args)
        self.tops = []

    def _past_top(self):
        self.tops.append((self._get(_RI) - 1) & 255)
        super()._past_top()


def _stops_on_the_way_down(lead_s):
    """Three 20 degree reps (eased, as a foot moves: a steady turn's first blocks would pass
    for gyro bias) that rise in 2 s, hold 1 s, come down to 16.5 degrees in 0.1 s, stop dead
    there 0.6 s and then come down in 1 s."""
    knots = [(0, 0.0)]
    t = lead_s
    for _ in range(3):
        knots += [(t, 0.0), (t + 2, 20.0), (t + 3, 20.0), (t + 3.1, 16.5), (t + 3.7, 16.5)]
        knots.append((t + 4.7, 0.0))
        t += 6.2
    knots.append((t + 3, 0.0))
    detector = _TopSpy(RATE_HZ, 4096, 32.8)
    return detect_samples(detector, pitch_samples(knots, eased=True)), detector.tops


def test_a_foot_that_stops_dead_on_its_way_down_has_not_landed_wherever_it_falls_in_the_ring():
    """A foot that lowers a little from the top and stops dead (the gyro reads no turn at all)
    has not landed: 16.5 degrees is well above the quarter of the rep that landing needs, and
    the rep ends on the way down that follows. The way down's landing is tracked as a ring
    slot, "none yet" until the foot stops turning; the same reps started whole blocks later,
    so that the ring's slot 1 falls in the first rep's hold at the top (10 blocks before its
    way down), report the same times shifted by those blocks and the same amplitudes. (A
    "none yet" that read as slot 1 made the top hold the landing: a stance the rise had stood
    on, and the set was lost.)"""
    base, tops = _stops_on_the_way_down(3.0)
    assert len(base) == 3, base
    blocks = (1 + 10 - tops[0]) % 256
    shifted, _ = _stops_on_the_way_down(3.0 + blocks * BLOCK_S)
    assert len(shifted) == 3, (blocks, shifted)
    for a, b in zip(shifted, base, strict=True):
        for key in TIMES:
            assert abs(a[key] - b[key] - 1000 * blocks * BLOCK_S) <= 1, (key, a, b)
        assert a["amplitude_deg"] == b["amplitude_deg"], (a, b)


def test_a_small_rise_with_a_block_exactly_on_its_5_percent_level_starts_at_that_level():
    """Three eased 8.6 degree reps, the clip turned 4 degrees on the shoe: under 12 degrees
    the 5 % level is the 0.6 degree floor (docs/detector.md), and each rep starts where its
    rise (half a cosine over 1.5 s) passes it, in closed form. In the first rep a block's
    squared chord lands exactly on the level (found by a search over amplitudes and turns):
    the walk back from the top stops below it, and the start is that block's own time. (A walk
    that stopped on the block took it for a rest above the level and timed the rise from
    twice the level: 59 ms late.)"""
    amp = 8.6
    knots = [(0, 0.0)]
    t = 3.0
    for _ in range(3):
        knots += [(t, 0.0), (t + 1.5, amp), (t + 1.8, amp), (t + 2.8, 0.0)]
        t += 4.0
    knots.append((t + 2.0, 0.0))
    found = detect(turned(pitch_samples(knots, eased=True), 4))
    floor_deg = 2 * math.degrees(math.asin(math.sqrt(71 * 71 * 9 // 25) / 8192))
    rise_s = 1.5 * math.acos(1 - 2 * floor_deg / amp) / math.pi
    assert len(found) == 3, found
    for n, rep in enumerate(found):
        exact = 1000 * (3.0 + 4.0 * n + rise_s)
        assert exact - EARLY_MS <= rep["start_ms"] <= exact + LATE_MS, (exact, rep)


def _in_the_ring(run, snippet):
    """Runs a snippet that sets and reads the detector's state fields by name (I_MAX for
    _I_MAX: MicroPython compiles its consts away, so their values are given here)."""
    names = ("I_LAND", "CLEARED", "LOWER", "RI", "EX_START", "I_MAX", "S_MAX", "ROSE")
    names += ("P_START", "P_SMAX", "P_END", "GX", "I_VAL")
    fields = "".join(f"{name} = {getattr(fw, '_' + name)}\n" for name in names)
    return run(fields + snippet).split()


# A rise from a drifted rest, hand-built in the detector's ring (ring index r = 10, a block
# every 40 ms): the rest 280 units (1/4096 g) from the old one, 5 blocks up the raise, two
# blocks held exactly on the rise's 95 % level, then the top, 1409 units from the rest. The
# held blocks sit 12 and 18 units off the raise's line (a foot is never quite in one plane):
# their squared chord from the rest, 1338^2 + 12^2 + 18^2 = 1,790,712, is the level itself.
HELD_ON_95_PERCENT = """
from calfraise_fw.detector import RepDetector
d = RepDetector(104, 4096, 32.8)
rest = 280
ring = [(0, 0, 0)] + [(f * 1409 // 20, 0, 0) for f in (2, 6, 10, 14, 17)]
ring += [(1338, 12, 18), (1338, 12, 18), (1409, 0, 0)]
for n, (a, b, c) in enumerate(ring):
    k = 10 + n
    d._ring_t[k] = 1000 + 40 * k
    d._ring_u[3 * k] = 2 * (rest + a) + 32768  # (v >> 1) + 32768 for v in 1/16384 g
    d._ring_u[3 * k + 1] = 2 * b + 32768
    d._ring_u[3 * k + 2] = 2 * c + 32768
s_max = (rest + 1409) ** 2  # the top's squared chord from the old rest
d._put(I_MAX, 10 + len(ring) - 1)
d._put(S_MAX, s_max)
d._rise_from(10, (s_max >> 8) * 231)
print(d._get(ROSE + 1), d._get(ROSE + 2))
"""


def test_a_rise_held_exactly_on_its_95_percent_level_topped_out_when_it_reached_it(
    both_interpreters,
):
    """The top of a rise is when it first reaches 95 % of its amplitude: a rise measured from
    a drifted rest that holds exactly on that level for two blocks reached its top at the
    first of them, as a rise from the rest itself does (the walk to the top stops at the first
    block at or above the level), not at the second, where it leaves the hold. Its amplitude
    is the top's squared chord from that rest, 1409^2."""
    top, amp = _in_the_ring(both_interpreters, HELD_ON_95_PERCENT)
    assert (int(top), int(amp)) == (1000 + 40 * 16, 1409 * 1409)


# A rep hand-built in the ring from ring index 10 on (a block every 40 ms): XS, the tilt's
# distance from the old rest along x in 1/4096 g, block by block, ending at the top; the rise
# crosses the trigger after ring index EX. The rep ends (3000 ms) long after it topped out.
REP_IN_THE_RING = """
from calfraise_fw.detector import RepDetector

class Turned(RepDetector):
    def _pivots(self):
        return 1  # about the ball: these tests are about the rep's times and amplitude

d = Turned(104, 4096, 32.8)
for n, x in enumerate(XS):
    k = 10 + n
    d._ring_t[k] = 1000 + 40 * k
    d._ring_u[3 * k] = 2 * x + 32768  # (v >> 1) + 32768 for v in 1/16384 g
    d._ring_u[3 * k + 1] = 32768
    d._ring_u[3 * k + 2] = 32768
    d._ring_s[k] = x * x  # the squared chord from the old rest, (0, 0, 0)
top = XS[-1] * XS[-1]
for field, value in ((I_LAND, -1), (CLEARED, 0), (LOWER, 2000), (RI, 10 + len(XS))):
    d._put(field, value)
d._put(EX_START, EX)
d._put(I_MAX, 10 + len(XS) - 1)
d._put(S_MAX, top)
d._hold_pending((top >> 8) * 231, top // 400, 3000)  # 95 % and 5 % (over the floor)
print(d._get(P_START), d._get(P_SMAX))
"""


def _rep_in_the_ring(run, xs, ex):
    """(start ms, squared amplitude) of the rep REP_IN_THE_RING builds from xs."""
    start, s_max = _in_the_ring(run, f"XS = {xs}\nEX = {ex}\n" + REP_IN_THE_RING)
    return int(start), int(s_max)


def test_a_rise_from_a_rest_exactly_at_its_5_percent_level_is_measured_from_that_rest(
    both_interpreters,
):
    """A 43 degree rep from a rest exactly at its 5 % level off the old rest: top 3000 units
    from the old rest, so the level, 1/400 of its squared top, is 150^2; the foot rests at 150
    for five blocks (ring indices 10-14) and rises in six. The walk back from the top takes a
    block at or above the level as part of the rise or of a rest the foot drifted to; a rest
    found there, over 2 degrees off, is the one the rise is measured from. A rest exactly at
    the level is such a rest, as one a unit above it is: the rep's squared amplitude is its
    top's from there, 2850^2, and it starts where the squared chord from that rest crosses
    1/400 of that, interpolated between the rest's last block (0) and the rise's first (150^2):
    36 ms into the block. (Taken for no rest, it was measured from the old rest, 3000^2, 2.1
    degrees too large, and started at twice the old rest's level, 13 ms into the block.)"""
    xs = [150] * 5 + [300, 800, 1400, 2000, 2500, 2850, 3000]
    start, s_max = _rep_in_the_ring(both_interpreters, xs, 16)
    assert (start, s_max) == (1000 + 40 * 14 + 40 * (2850**2 // 400) // 150**2, 2850**2)


@pytest.mark.parametrize("settling", [(231, 223, 215, 207), (207, 215, 223, 231)])
def test_a_foot_moving_half_its_5_percent_level_in_3_blocks_is_at_no_rest_either_way(
    both_interpreters, settling
):
    """A rest is where the tilt changed by less than half the rep's 5 % level over the 3
    blocks before (its squared chord from the old rest, 120 ms at 104 Hz), whichever way it
    moved. A 41 degree rep (top 2900 units from the old rest: the level is 145^2 = 21,025)
    whose foot shifted 3 degrees off the old rest and, still moving, rose: from 231 units down
    to 207 over 3 blocks, or from 207 up to 231, a change of exactly 231^2 - 207^2 = 10,512,
    half the level. Either way that is no rest: the rep is measured from the old rest (2900^2)
    and starts at the shift, where it crosses the level between the old rest (ring index 11)
    and the shift's first block. (A fall of exactly half the level taken for a rest measured
    the rep from 207, 2693^2, started at the rise.)"""
    xs = [0, 0, *settling, 500, 1100, 1700, 2300, 2700, 2900]
    start, s_max = _rep_in_the_ring(both_interpreters, xs, 16)
    assert (start, s_max) == (1000 + 40 * 11 + 40 * 21025 // settling[0] ** 2, 2900**2)


def test_a_rise_from_a_creeping_rest_is_measured_from_where_it_left_it(both_interpreters):
    """A rest may creep (the tilt estimate settling, a foot easing on its ball): a stretch is
    a rest while its tilt changes by under half the rep's 5 % level over 3 blocks. A 43 degree
    rep (top 3000 units from the old rest, level 150^2) from a rest 4 degrees off that creeps
    by 3 units a block (1 degree a second, a change of at most 5,535 over 3 blocks, under half
    the level, 11,250) from 294 to 312 (ring index 16), then rises: the rise is measured from
    where the foot left the rest, 312, its squared amplitude 2688^2, and starts where the
    squared chord from there crosses 1/400 of that, between 312 and the rise's first block
    (288^2 further). (Measured from the rest 3 blocks before it left it, 303: 2697^2.)"""
    xs = [294, 297, 300, 303, 306, 309, 312, 600, 1200, 1800, 2400, 2800, 3000]
    start, s_max = _rep_in_the_ring(both_interpreters, xs, 18)
    assert (start, s_max) == (1000 + 40 * 16 + 40 * (2688**2 // 400) // 288**2, 2688**2)


# A 20 degree rep (top 1400 units, 1/4096 g, from the old rest) that lands elsewhere, hand-built
# in the ring from ring index 10 (a block every 40 ms): it rises along x, holds, and comes down
# in a straight line to LANDING, off the raise's plane (a foot lands a little turned), where it
# stops turning at ring index 26. Every tilt is on the 1/4096 g grid its chords are taken in.
LANDING = (300, 40, -60)
LANDED_ELSEWHERE = """
from calfraise_fw.detector import RepDetector

class Turned(RepDetector):
    def _pivots(self):
        return 1  # about the ball: this test is about where the rep ends and the rest

d = Turned(104, 4096, 32.8)
top = (1400, 0, 0)
ring = [(x, 0, 0) for x in (0, 0, 0, 0, 100, 300, 600, 1000, 1340)] + [top] * 3
for f in (20, 45, 70, 90):  # hundredths of the way down
    ring.append(tuple(t + (l - t) * f // 100 for t, l in zip(top, LANDING)))
ring += [LANDING] * 3
for n, v in enumerate(ring):
    k = 10 + n
    d._ring_t[k] = 1000 + 40 * k
    for c in range(3):
        d._ring_u[3 * k + c] = 2 * v[c] + 32768  # (v >> 1) + 32768 for v in 1/16384 g
    d._ring_s[k] = sum(c * c for c in v)  # the squared chord from the old rest, (0, 0, 0)
s_max = 1400 * 1400
for field, value in ((CLEARED, 0), (LOWER, 1000 + 40 * 21), (RI, 10 + len(ring))):
    d._put(field, value)
d._put(EX_START, 16)
d._put(I_MAX, 19)
d._put(S_MAX, s_max)
d._put(I_VAL, 26)
d._put(I_LAND, 26)
d._land((s_max >> 8) * 231, s_max // 400)  # 95 % and 5 % of the rep (over the floor)
print(d._get(GX), d._get(GX + 1), d._get(GX + 2), d._get(P_END))
"""


def test_a_rep_that_lands_elsewhere_makes_its_landing_the_rest_and_ends_5_percent_above_it(
    both_interpreters,
):
    """A rep that comes down to a rest other than the one it rose from makes that landing the
    rest the next reps are measured from (docs/detector.md): the tilt where the foot stopped
    turning, as the ring holds it, in all three components (1/16384 g, four times the ring's
    1/4096 g units here), not a ring step (1/8192 g) beside it. The rep ends where the way down
    passes 5 % of the rep above that landing: its squared chord from the landing, 1/10 of the
    way back up the line, (110, -4, 6)^2 = 12,152, falls to 1400^2 / 400 = 4,900, interpolated
    between that block (ring index 25) and the landing's."""
    x, y, z, end = _in_the_ring(both_interpreters, f"LANDING = {LANDING}\n" + LANDED_ELSEWHERE)
    assert (int(x), int(y), int(z)) == tuple(4 * c for c in LANDING)
    assert int(end) == 1000 + 40 * 25 + 40 * (12152 - 4900) // 12152
