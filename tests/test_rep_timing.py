"""Rep times and amplitude on hand-built pitch traces whose answer is known in closed form.

The foot's pitch is drawn as straight ramps (a constant turn rate) and holds, turning about the
sensor's own y axis: the accelerometer reads gravity alone, (-sin p, 0, cos p) g, and the gyro
the ramp's rate. A ramp from a to b over T crosses a + f (b - a) at exactly f T, so the 5 % and
95 % crossings that define a rep's times (docs/detector.md) are known without the simulator.

Tolerances, from how the detector samples (104 Hz: blocks of 4 samples, 38.5 ms):
- a block's tilt is the one its gyro sum has turned to, at its last sample, but the block is
  stamped at its middle: times read up to half a block early (19 ms), plus a sample of
  rounding; the accelerometer's pull towards the block's mean tilt makes it less. So every
  time is within [-29, +10] ms of the exact crossing.
- the crossing is interpolated between the blocks either side of it, and on a straight ramp
  that interpolation is exact up to the squared chord's curvature (under 4 ms for 5 % of a 1 s
  ramp): where the crossing falls inside a block must not move the error by more than one
  sample (9.6 ms). Reps shifted by fractions of a block put it everywhere in the block; a time
  snapped to a block, or interpolated across the wrong pair of blocks, moves it by up to a
  block.
"""

import math

import pytest

from calfraise_fw.detector import RepDetector

RATE_HZ = 104
EARLY_MS, LATE_MS = 29, 10  # half a block and a sample early, a sample late
SPREAD_MS = 13  # a sample (9.6 ms) and the curvature at 5 % (4 ms)
TIMES = ("start_ms", "top_ms", "lower_ms", "end_ms")


def pitch_samples(knots):
    """Raw samples (t_ms, ax, ay, az, gx, gy, gz) of a pitch through `knots` [(s, deg)], straight
    between them, at 104 Hz with the detector's default scales (4096 LSB/g, 32.8 LSB/dps)."""
    out = []
    k = 0
    for n in range(int(knots[-1][0] * RATE_HZ)):
        t = n / RATE_HZ
        while knots[k + 1][0] < t:
            k += 1
        (ta, a), (tb, b) = knots[k], knots[k + 1]
        rate = (b - a) / (tb - ta)
        p = math.radians(a + rate * (t - ta))
        out.append(
            (
                round(1000 * t),
                round(-4096 * math.sin(p)),
                0,
                round(4096 * math.cos(p)),
                0,
                round(32.8 * rate),
                0,
            )
        )
    return out


def detect(samples):
    det = RepDetector(RATE_HZ, 4096, 32.8)
    reps = []
    for sample in samples:
        rep = det.update(*sample)
        if rep is not None:
            reps.append(rep.as_dict())
    return reps


def ramp_session(reps, lead_s=3.0, rest_deg=0.0, tail_s=3.0):
    """Knots and exact times of reps (amplitude deg, up s, hold s, down s, pause s after), each
    from rest_deg and back; the session starts still for lead_s."""
    knots = [(0.0, rest_deg), (lead_s, rest_deg)]
    truth = []
    t = lead_s
    for amp, up, hold, down, pause in reps:
        top = rest_deg + amp
        truth.append(
            {
                "start_ms": 1000 * (t + 0.05 * up),
                "top_ms": 1000 * (t + 0.95 * up),
                "lower_ms": 1000 * (t + up + hold + 0.05 * down),
                "end_ms": 1000 * (t + up + hold + 0.95 * down),
                "amplitude_deg": amp,
            }
        )
        knots += [(t + up, top), (t + up + hold, top), (t + up + hold + down, rest_deg)]
        t += up + hold + down + pause
        knots.append((t, rest_deg))
    knots.append((t + tail_s, rest_deg))
    return knots, truth


def timing_errors(style, phases=8, n_reps=3):
    """{time: [found - exact, ...]} over sessions shifted by eighths of a block, so that the
    crossings fall everywhere inside their blocks."""
    errors = {key: [] for key in TIMES}
    for phase in range(phases):
        knots, truth = ramp_session([style] * n_reps, lead_s=3.0 + phase * 0.0385 / phases)
        found = detect(pitch_samples(knots))
        assert len(found) == n_reps, (style, phase, found)
        for f, t in zip(found, truth, strict=True):
            for key in TIMES:
                errors[key].append(f[key] - t[key])
    return errors


# (amplitude deg, up s, hold s, down s, pause s): steady, slow, and brisk with a short hold
STYLES = [(20, 1.0, 0.5, 1.0, 1.5), (30, 2.0, 1.0, 2.0, 1.5), (25, 0.6, 0.3, 0.8, 1.2)]


@pytest.mark.parametrize("style", STYLES, ids=["steady", "slow", "brisk"])
def test_each_time_is_the_exact_crossing_wherever_it_falls_in_a_block(style):
    for key, errors in timing_errors(style).items():
        assert -EARLY_MS <= min(errors) and max(errors) <= LATE_MS, (key, errors)
        assert max(errors) - min(errors) <= SPREAD_MS, (key, errors)
