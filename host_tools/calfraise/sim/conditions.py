"""Scenario kinds for the conditions a real foot brings that the tiers do not: each a seeded
standing session whose sets run through one condition, at the strength the issue names.

Why separate kinds: each condition can lock a detector out on its own (a stance off the rests,
rests that wander, a swaying foot, no still moment, a stale saved gyro bias, a board switched on
mid-movement), so each is benchmarked and tested on its own row.

The kinds (CONDITIONS): brisk (every set brisk); stance_offset (the stance before each set up to
10 deg off the rests between reps); rest_drift (each rep comes down up to 5 deg from where it
started); sway (up to 1.5 deg at 0.2-1 Hz the whole time); no_still_start (the first rep while
the foot is still settling and swaying); bias_off (the saved gyro bias restored at boot up to
5 deg/s off per axis); switched_on (the board switched on mid-walk or mid-rep); bounce (no
pause between reps: each rises as the heel lands, the turning point its only rest); plank_tremor
(every set in a plank, the foot trembling 0.1-0.3 deg at 5-10 Hz the whole time, rests included:
the calf holds the body up on the ball of the foot, as in a split stance); soft_floor (standing
sets on a mat or foam that gives, the foot trembling likewise).

Rep styles span the public recordings of standing heel raises: "brisk" is 38-55 deg of foot
tilt, 0.3-0.4 s up, 0.3-0.5 s down, gyro peaks of ~160-260 deg/s and 0.5-0.8 s rests; "steady"
is the slower, smaller range the tiers already have.
"""

import numpy as np

from . import CONDITIONS
from .plan import Plan, Rep, Shift, Still, Transition, WeightShift
from .scenario import AMPLITUDE, _u, random_mount, random_walk
from .sensor import random_sensor


def _direction(rng, deg):
    """A rotation vector of `deg` degrees about a random horizontal-ish axis."""
    d = rng.normal(size=3) * (1.0, 1.0, 0.3)
    return tuple(float(x) for x in d / np.linalg.norm(d) * deg)


def _rep_style(rng, brisk):
    """(amplitude deg, up s, hold s, down s, pause s) of one set's typical rep."""
    if brisk:
        amp = _u(rng, 38, 55)
        up = float(np.clip(1.875 * amp / _u(rng, 170, 260), 0.3, 0.45))
        down = float(np.clip(1.875 * amp / _u(rng, 160, 240), 0.3, 0.5))
        return amp, up, _u(rng, 0, 0.1), down, _u(rng, 0.5, 0.8)
    return _u(rng, 20, 50), _u(rng, 0.5, 2), _u(rng, 0, 1), _u(rng, 0.5, 2), _u(rng, 0.5, 1.5)


def _set(rng, set_no, brisk, drift_deg=0.0, first_land_deg=0.0, bounce=False, posture="standing"):
    """One set of 10-15 reps; each may come down `drift_deg` off where it started (the first,
    `first_land_deg`). Rests wander but stay within ~8 deg of where the set began. Bounced,
    the reps follow each other without a pause."""
    amp, up, hold, down, pause = _rep_style(rng, brisk)
    if posture == "plank":  # the ankle is near its end already: smaller raises
        amp = min(amp, _u(rng, *AMPLITUDE["plank"]))
    reps, rest = [], np.zeros(3)
    for r in range(1, int(rng.integers(10, 16)) + 1):
        land = np.zeros(3)
        if r == 1 and first_land_deg:
            land = np.array(_direction(rng, first_land_deg))
        elif drift_deg:
            land = np.array(_direction(rng, _u(rng, 0, drift_deg)))
            if np.linalg.norm(rest + land) > 8:
                land = -land
        rest = rest + land
        k = _u(rng, 0.93, 1.07)
        reps.append(
            Rep(
                amp * _u(rng, 0.92, 1.08),
                up * k,
                hold * k,
                down * k,
                (0.0 if bounce else pause) * _u(rng, 0.9, 1.1),
                posture,
                set_no,
                r,
                tremor_deg=_u(rng, 0.08, 0.25),
                tremor_hz=(_u(rng, 5, 7), _u(rng, 7, 10)),
                roll_deg=_u(rng, 1, 3) * rng.choice([-1.0, 1.0]),
                yaw_deg=_u(rng, -2, 2),
                land_deg=tuple(float(x) for x in land),
            )
        )
    return reps


def _sway(rng, total_deg, f_lo, f_hi):
    """Sway terms (axis, deg, Hz, phase) whose amplitudes add up to `total_deg`."""
    w = rng.dirichlet(np.ones(4))
    return tuple(
        (int(ax), float(total_deg * wi), _u(rng, f_lo, f_hi), _u(rng, 0, 2 * np.pi))
        for ax, wi in zip((0, 1, 1, 2), w, strict=True)
    )


def build_condition_plan(kind, seed):
    """The seeded session of one condition kind: 2-3 standing sets, brisk or steady."""
    if kind not in CONDITIONS:
        raise ValueError(f"kind must be one of {CONDITIONS}")
    rng = np.random.default_rng([int(seed), 100 + CONDITIONS.index(kind), 1])
    L = _u(rng, 0.15, 0.20)
    segs = []
    if kind == "switched_on":
        segs.append(random_walk(rng, _u(rng, 4, 10)))
    lead = _u(rng, 1.0, 2.0) if kind == "no_still_start" else _u(rng, 2, 4)
    segs.append(Still(lead))
    n_sets = int(rng.integers(2, 4))
    for k in range(1, n_sets + 1):
        brisk = kind == "brisk" or rng.random() < 0.5
        if kind == "stance_offset" and rng.random() < 0.5:
            segs.append(Shift(_u(rng, 0.3, 1.0), _direction(rng, _u(rng, 3, 10))))
            segs += _set(rng, k, brisk)
        elif kind == "stance_offset":
            segs += _set(rng, k, brisk, first_land_deg=_u(rng, 3, 10))
        elif kind == "no_still_start" and k == 1:
            segs.append(Shift(_u(rng, 0.3, 0.8), _direction(rng, _u(rng, 1, 4))))
            segs += _set(rng, k, brisk)
        elif kind == "plank_tremor":  # kneel, step the feet back, hold, and stand up after
            segs.append(Transition(_u(rng, 2, 4), "standing", "plank", (-_u(rng, 0.3, 0.8), 0, 0)))
            segs.append(Still(_u(rng, 1, 3), "plank"))
            segs += _set(rng, k, brisk, posture="plank")
            segs.append(Still(_u(rng, 0.5, 1.5), "plank"))
            segs.append(Transition(_u(rng, 2, 4), "plank", "standing", (_u(rng, 0.3, 0.8), 0, 0)))
        else:
            drift = 5.0 if kind == "rest_drift" else 0.0
            segs += _set(rng, k, brisk, drift_deg=drift, bounce=kind == "bounce")
        if k < n_sets:
            rest = _u(rng, 20, 40)
            segs += [Still(rest / 2), WeightShift(_u(rng, 1, 3), _u(rng, -3, 3), _u(rng, -4, 4))]
            segs.append(Still(rest / 2))
    segs.append(Still(_u(rng, 2, 4)))

    sway = (
        _sway(rng, _u(rng, 0.6, 1.5), 0.2, 1.0)
        if kind in ("sway", "no_still_start")
        else _sway(rng, _u(rng, 0.1, 0.4), 0.05, 0.6)
    )
    sensor = random_sensor(
        np.random.default_rng([int(seed), 100 + CONDITIONS.index(kind), 2]), "varied"
    )
    trembling = {"plank_tremor": "plank", "soft_floor": "standing"}.get(kind)
    saved = None
    if kind == "bias_off":
        saved = tuple(b + _u(rng, -5, 5) for b in sensor.gyro_bias_dps)
    skip = 0.0
    if kind == "switched_on":  # somewhere in the walk, or in the first rep of the first set
        first_rep = sum(s.duration for s in segs[:2])
        skip = _u(rng, 1, segs[0].duration - 0.5) if rng.random() < 0.5 else first_rep + 0.2
    return Plan(
        segments=segs,
        mounts=[random_mount(rng, "varied", L)],
        foot_length_m=L,
        sway=sway,
        sensor=sensor,
        tier=kind,
        seed=int(seed),
        saved_gyro_bias_dps=saved,
        skip_s=skip,
        ball_tremor=((trembling, _u(rng, 0.1, 0.3), _u(rng, 5, 10)),) if trembling else (),
    )
