"""Rep fields on inputs whose answer is exact, written for mutants the other rep-field tests let
live (docs/testing.md, "Mutation testing"): each checks what a rep reports, not a constant."""

import io
import math
from contextlib import redirect_stdout

import pytest

import test_detector
from calfraise.analyze import detect_samples
from calfraise_fw.detector import RepDetector
from test_rep_timing import (
    EARLY_MS,
    LATE_MS,
    RATE_HZ,
    STYLES,
    TIMES,
    detect,
    drifted_session,
    pitch_samples,
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
