"""Continuous reps: the heel lands and at once rises again, no pause at the bottom (a bounce).

The pitch is eased along half a cosine between knots (test_rep_timing.pitch_samples): a real
foot slows into the bottom and speeds out of it, so the turning point IS the rest. Straight
ramps would reverse the turn within one sample there: an angular acceleration of over 100
rad/s^2 and a 4 g spike at the clip, which the detector rightly takes for a jolt, not a foot
turning about its ball (docs/detector.md, "Continuous reps").

An eased ramp from a to b over T crosses a + f (b - a) at acos(1 - 2 f) / pi of T, so the 5 %
and 95 % crossings are known in closed form. Tolerance: the ramp tests' window (EARLY_MS,
LATE_MS) widened by a block (38.5 ms) either way. The bounce's turning point falls anywhere
in a block and is both one rep's end and the next one's start (as in
test_a_rep_bounced_off_a_low_point_counts_from_there); and at a turning point the clip's own
acceleration is largest, so the accelerometer's pull on a rise's first blocks reads its
start early (eased reps with a 0.7 s pause already read up to 27 ms early).
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from calfraise.analyze import detect_samples
from calfraise_fw.detector import RepDetector
from test_rep_timing import EARLY_MS, LATE_MS, RATE_HZ, TIMES, pitch_samples, ramp_session

BLOCK_MS = 38.5
SHARE_5 = math.acos(0.9) / math.pi  # where an eased ramp passes 5 % of its way
N_REPS = 6

# (amplitude deg, up s, hold s, down s), no pause: brisk reps as public foot-IMU recordings
# show them (38-55 deg, 0.3-0.4 s up, 0.3-0.5 s down), a moderate 30 deg, and 20 deg reps at
# 0.6 s a phase, held or not
BRISK = [(45, 0.3, 0.1, 0.4), (40, 0.35, 0.0, 0.45), (30, 0.4, 0.2, 0.5), (20, 0.6, 0.0, 0.6)]
HELD = (20, 0.6, 0.3, 0.6)
# the top of that range, bounced: 48-58 deg at foot gyro peaks of 180-260 deg/s (an eased rise
# peaks at pi/2 of its mean rate), whose turning points reverse hard (docs/detector.md, Known
# limits: the pivot test's own gravity)
STEEP = [
    (48, 0.3, 0.0, 0.35),
    (50, 0.4, 0.0, 0.5),
    (52, 0.35, 0.05, 0.4),
    (54, 0.4, 0.0, 0.5),
    (58, 0.35, 0.0, 0.4),
    (58, 0.4, 0.0, 0.5),
]


def bounced_session(style, phase):
    """Samples of N_REPS reps of style with no pause, shifted by phase eighths of a block, and
    each rep's exact crossings."""
    amp, up, hold, down = style
    knots, ramps = ramp_session(
        [(amp, up, hold, down, 0.0)] * N_REPS, lead_s=3.0 + phase * 0.0385 / 8
    )
    early = 1000 * (SHARE_5 - 0.05)  # the eased 5 % crossing comes later than the straight one
    truth = [
        {
            "start_ms": r["start_ms"] + early * up,
            "top_ms": r["top_ms"] - early * up,
            "lower_ms": r["lower_ms"] + early * down,
            "end_ms": r["end_ms"] - early * down,
        }
        for r in ramps
    ]
    return pitch_samples(knots, eased=True), truth


def detect(samples):
    return detect_samples(RepDetector(RATE_HZ, 4096, 32.8), samples)


@pytest.mark.parametrize("style", [*BRISK, *STEEP, HELD], ids=lambda s: "-".join(map(str, s)))
def test_every_continuous_rep_counts_in_one_set(style):
    """Wherever the turning points fall in their blocks: every rep, one set, none partial."""
    for phase in range(8):
        samples, _truth = bounced_session(style, phase)
        found = detect(samples)
        assert [(r["set"], r["rep"], r["partial"]) for r in found] == [
            (1, n + 1, False) for n in range(N_REPS)
        ], (phase, found)


@pytest.mark.parametrize("style", BRISK, ids=lambda s: "-".join(map(str, s)))
def test_continuous_reps_are_timed_at_their_crossings(style):
    """Every time of every rep, over 8 block phases, within the ramp tests' window and a block."""
    for phase in range(8):
        samples, truth = bounced_session(style, phase)
        found = detect(samples)
        assert len(found) == N_REPS, (phase, found)
        for f, t in zip(found, truth, strict=True):
            for key in TIMES:
                error = f[key] - t[key]
                assert -EARLY_MS - BLOCK_MS <= error <= LATE_MS + BLOCK_MS, (phase, key, f, t)


@pytest.mark.parametrize("style, phase", [(BRISK[1], 3), (STEEP[3], 1)])
def test_micropython_counts_continuous_reps_as_the_host_does(micropython, tmp_path, style, phase):
    """The same bounced reps, times and amplitudes on the unix port, under heap_lock()."""
    samples, _truth = bounced_session(style, phase)
    raw = tmp_path / "bounce.raw"
    np.asarray(samples, dtype="<i4").tofile(raw)
    script = Path(__file__).parent / "mp" / "detect_locked.py"
    out = micropython(script=script, args=(str(raw), str(RATE_HZ)), heapsize="8M")
    on_board = [json.loads(line) for line in out.strip().splitlines()[:-1]]
    on_host = detect(samples)
    assert len(on_host) == N_REPS
    assert [[r[k] for k in (*TIMES, "set", "rep")] for r in on_board] == [
        [r[k] for k in (*TIMES, "set", "rep")] for r in on_host
    ]
    assert [r["amplitude_cdeg"] for r in on_board] == [
        round(r["amplitude_deg"] * 100) for r in on_host
    ]
