"""`python -m calfraise.bench.outside`: the detector on a second, independent model of heel raises.

Written apart from calfraise.sim, sharing none of its code, from the recordings' facts and
rigid-body kinematics alone: a foot turning about its ball, the clip on the heel (15-24 cm behind
the ball, 2-8 cm above it) at a random orientation, minimum-jerk phases whose gyro peak
stays within the real recordings' 160-260 deg/s, an ankle that rolls out a little as it rises,
rests that settle after each landing (a random walk), white noise and a constant bias on both
sensors. If counting holds only on the simulator it was tuned on, it shows here.
"""

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from calfraise.analyze import analyze_trace
from calfraise.bench.accuracy import print_cases, score_session
from calfraise.trace import Trace

G = 9.80665
PHYSICS_HZ = 1000
RATE_HZ = 100  # the public recordings' rate
MJ_5 = 0.18925538  # a minimum-jerk phase passes 5 % of its way at this fraction of its time


@dataclass(frozen=True)
class Style:
    """Ranges drawn per set (amplitude) or per rep (the rest), in degrees and seconds."""

    amplitude: tuple
    up: tuple
    hold: tuple
    down: tuple
    rest: tuple
    settle_deg: float = 0.0  # sd of the pitch step each rest settles by after the landing
    sway_deg: float = 0.0  # a postural sway of the whole foot, 0.2-1 Hz


BRISK = Style((38, 55), (0.3, 0.4), (0.0, 0.15), (0.3, 0.5), (0.5, 0.8))
TEMPO = Style((25, 45), (0.8, 1.5), (0.5, 1.5), (1.5, 3.0), (0.6, 1.5))
SEATED = Style((15, 30), (0.5, 1.0), (0.2, 1.0), (0.8, 2.0), (0.5, 1.2))
CASES = (
    ("brisk, 38-55 deg", BRISK),
    ("tempo, held tops", TEMPO),
    ("seated, 15-30 deg", SEATED),
    ("brisk, each rest settling by ~1 deg after its landing", replace(BRISK, settle_deg=1.0)),
    ("brisk, 1 deg of sway", replace(BRISK, sway_deg=1.0)),
    ("tempo, 1.5 deg of sway", replace(TEMPO, sway_deg=1.5)),
    ("seated, 1.5 deg of sway", replace(SEATED, sway_deg=1.5)),
    ("seated, brisk 10-20 deg", Style((10, 20), (0.2, 0.35), (0.0, 0.2), (0.25, 0.45), (0.5, 0.8))),
    ("brisk, tops held 1.5-5 s", replace(BRISK, hold=(1.5, 5.0))),
    ("tempo, tops held 3-6 s", replace(TEMPO, hold=(3.0, 6.0))),
)
PEAK_DPS = (160, 260)


def rotation(axis, angle):
    """(N, 3, 3) rotations by angle (N,) radians about the unit axis (3,) (Rodrigues)."""
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    s, c = np.sin(angle)[:, None, None], np.cos(angle)[:, None, None]
    return np.eye(3) + s * k + (1 - c) * (k @ k)


def min_jerk(x):
    x = np.clip(x, 0.0, 1.0)
    return x**3 * (10 - 15 * x + 6 * x * x)


def _plan(rng, style):
    """The reps (t0, up, hold, down, amplitude deg, set) and the rests' pitch and roll
    steps (t, d_pitch, d_roll) in degrees."""
    reps, steps, t = [], [], rng.uniform(2, 4)
    for set_no in range(1, 4):
        amp = rng.uniform(*style.amplitude)
        n = int(rng.integers(10, 16))
        for k in range(n):
            a = amp * rng.uniform(0.92, 1.08) * (1 - 0.1 * k / n)  # tiring
            up, down = (
                max(rng.uniform(*r), 1.875 * a / rng.uniform(*PEAK_DPS))
                for r in (style.up, style.down)
            )
            hold = rng.uniform(*style.hold)
            reps.append((t, up, hold, down, a, set_no))
            t += up + hold + down
            steps.append(
                (t, rng.normal(0, style.settle_deg), rng.normal(0, 0.7 * style.settle_deg))
            )
            t += rng.uniform(*style.rest)
        t += rng.uniform(20, 40)
        steps.append((t - rng.uniform(3, 10), rng.uniform(-3, 3), rng.uniform(-3, 3)))
    return reps, steps, t + 2


def session(seed, style):
    """(Trace, truth) of one session: three sets of 10-15 standing heel raises."""
    rng = np.random.default_rng([seed, 7])
    reps, steps, duration = _plan(rng, style)
    t = np.arange(int(duration * PHYSICS_HZ)) / PHYSICS_HZ
    pitch = np.zeros_like(t)
    for t0, up, hold, down, amp, _ in reps:
        pitch += np.radians(amp) * (min_jerk((t - t0) / up) - min_jerk((t - t0 - up - hold) / down))
    rest_pitch, rest_roll = np.zeros_like(t), np.zeros_like(t)
    for ts, dp, dr in steps:  # each settles over 0.4 s
        w = min_jerk((t - ts) / 0.4)
        rest_pitch += np.radians(dp) * w
        rest_roll += np.radians(dr) * w
    if style.sway_deg:
        for target, share in ((rest_pitch, 1.0), (rest_roll, 0.7)):
            f, phase = rng.uniform(0.2, 1.0), rng.uniform(0, 2 * np.pi)
            target += np.radians(style.sway_deg * share) * np.sin(2 * np.pi * f * t + phase)
    roll = rest_roll + np.radians(rng.uniform(0, 6)) * pitch / np.radians(45)  # rolls out
    lever = np.array([-rng.uniform(0.15, 0.24), 0.0, rng.uniform(0.02, 0.08)])  # ball -> clip
    q = rng.normal(size=4)
    clip = rotation(q[1:] / np.linalg.norm(q[1:]), np.array([rng.uniform(0, np.pi)]))[0]
    foot = (
        rotation(np.array([0.0, 0, 1]), np.full_like(t, rng.uniform(-np.pi, np.pi)))
        @ rotation(np.array([0.0, 1, 0]), pitch + rest_pitch)
        @ rotation(np.array([1.0, 0, 0]), roll)
    )
    sensor = foot @ clip  # sensor frame -> world
    accel = np.gradient(np.gradient(foot @ lever, 1 / PHYSICS_HZ, axis=0), 1 / PHYSICS_HZ, axis=0)
    specific = np.einsum("nji,nj->ni", sensor, accel + [0, 0, G]) / G
    turn = np.einsum("nji,njk->nik", sensor, np.gradient(sensor, 1 / PHYSICS_HZ, axis=0))
    gyro = np.degrees(np.stack([turn[:, 2, 1], turn[:, 0, 2], turn[:, 1, 0]], axis=1))
    keep = slice(None, None, PHYSICS_HZ // RATE_HZ)
    specific = (
        specific[keep] + rng.normal(0, 0.0015, (len(t[keep]), 3)) + rng.uniform(-0.02, 0.02, 3)
    )
    gyro = gyro[keep] + rng.normal(0, 0.07, (len(t[keep]), 3)) + rng.uniform(-1.5, 1.5, 3)
    trace = Trace(
        Path(f"outside-{seed}"), np.round(t[keep] * 1000).astype(np.int64), specific, gyro, ()
    )
    return trace, _truth(reps)


def _truth(reps):
    rows = []
    for t0, up, hold, down, amp, set_no in reps:
        ms = [1000 * x for x in (t0 + MJ_5 * up, t0 + (1 - MJ_5) * up)]
        ms += [1000 * (t0 + up + hold + x * down) for x in (MJ_5, 1 - MJ_5)]
        start, top, lower, end = (round(x) for x in ms)
        rows.append(
            {
                "start_ms": start,
                "top_ms": top,
                "lower_ms": lower,
                "end_ms": end,
                "up_ms": top - start,
                "down_ms": end - lower,
                "amplitude_deg": amp,
                "set": set_no,
                "partial": False,
            }
        )
    sets = [
        {"set": k, "reps": sum(r["set"] == k for r in rows)}
        for k in sorted({r["set"] for r in rows})
    ]
    return {"reps": rows, "sets": sets, "distractors": []}


def _score(style, seed):
    trace, truth = session(seed, style)
    return score_session(truth, analyze_trace(trace))


def main(sessions=10):
    print_cases(CASES, sessions, _score)


if __name__ == "__main__":
    main()
