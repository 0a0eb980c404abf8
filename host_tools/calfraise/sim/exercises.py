"""The other movements an athlete does around calf raises, as seeded sessions: none of them may
count as a heel raise.

Each is modelled from what the foot does, with the clip anywhere on the shoe:
- walking (strolling to brisk) and stairs: heel-off past 20-45 deg, swing at several hundred
  deg/s, heel or forefoot strikes of 2-4 g;
- squats: the foot stays planted; the heel lifts a few degrees at depth (limited ankle range) and
  the foot rolls with the knee; on one leg it also wobbles for balance, and if the clip is on the
  free foot, that foot is lifted, held in the air and swung with each rep;
- lunges: the front foot steps out (swing, heel strike) and back; the rear heel rises 30-60 deg
  about the ball while the body drops, the foot tilting further as the knee goes down;
- lunges also backwards: the foot steps back onto its ball, heel up, and forward again;
- split squats: the foot steps (lifted, never slid) into the stance; the rear foot stays heel-up
  on its ball for the whole set, tilting 5-20 deg more with each rep, or lies laces-down on a
  bench (Bulgarian), rolling on it; the front foot stays flat;
- step-ups and step-downs (a 20-40 cm box): push-off, swing up, flat landing; or a forefoot
  landing below and the heel lowering;
- jumps and hops: a push-off heel raise at 300+ deg/s, flight (near 0 g), a 3-6 g landing;
- sitting down and standing up: the feet slide back under the chair, the heels lift a little at
  seat-off.
A session is a calf-raise set, bouts of the exercise between rests, and another calf-raise set,
so the detector meets the exercise in the state it has after real reps.
"""

import numpy as np

from . import EXERCISES
from . import quat as Q
from .conditions import _set
from .plan import FootMove, Plan, Still
from .scenario import _u, random_mount, random_walk
from .sensor import random_sensor

_Z = (0.0, 0.0, 0.0)
_UP = (0.0, 0.0, 1.0)
_Y = (0.0, 1.0, 0.0)
_SHANK_M = 0.43  # ankle to knee of a 1.75 m adult (~0.25 of the height)


class _Keys:
    """Builds a FootMove's key list: each call moves to a pose after `dt` seconds."""

    def __init__(self):
        self.t, self.keys, self.hits, self.spans = 0.0, [(0.0, 0.0, 0.0, 0.0, _Z)], [], []

    def to(self, dt, pb=0.0, ph=0.0, roll=0.0, pos=_Z):
        self.t += dt
        self.keys.append((self.t, float(pb), float(ph), float(roll), tuple(float(x) for x in pos)))

    def hold(self, dt):
        self.to(dt, *self.keys[-1][1:])

    def hit(self, peak_g, width_s=0.03, direction=_UP):
        self.hits.append((self.t, float(peak_g), float(width_s), tuple(direction)))

    def unsteady(self, rng, t0, air):
        """From `t0` to now the foot is not planted: on its ball (the calf holds the body up:
        tremor 0.1-0.3 deg, balance sway 0.4-1.2 deg at 0.3-1 Hz), or in the air (held by the
        hip alone: tremor 0.2-0.5 deg, sway 1-3 deg at 0.5-1.5 Hz). See motions.balance_shake."""
        if air:
            shake = (_u(rng, 0.2, 0.5), _u(rng, 5, 10), _u(rng, 1, 3), _u(rng, 0.5, 1.5))
        else:
            shake = (_u(rng, 0.1, 0.3), _u(rng, 5, 10), _u(rng, 0.4, 1.2), _u(rng, 0.3, 1.0))
        self.spans.append((t0, self.t, *shake))

    def move(self, kind):
        spans = tuple(self.spans)
        return FootMove(kind, self.t + 0.01, tuple(self.keys), tuple(self.hits), balance=spans)


def _squats(rng, single):
    k, n = _Keys(), int(rng.integers(6, 12))
    free = single and rng.random() < 0.5  # the clip is on the foot held in the air
    lift = (_u(rng, 10, 35), _u(rng, -0.2, 0.2), _u(rng, 0.1, 0.25))  # pitch, dx, dz
    if free:
        k.to(_u(rng, 0.5, 0.9), lift[0], 0, _u(rng, -5, 5), (lift[1], 0, lift[2]))
        lifted = k.t
    for _ in range(n):
        down, bottom, up = _u(rng, 1.2, 2.2), _u(rng, 0, 0.6), _u(rng, 0.9, 1.6)
        if free:  # the free leg swings forward or back as the body drops
            swing = _u(rng, -20, 20)
            hip = (_u(rng, -0.2, 0.2), 0, _u(rng, -0.1, 0.05))
            pos = np.add(_swung_about_knee(lift, swing), hip)
            k.to(down, lift[0] + swing, 0, _u(rng, -8, 8), pos)
            k.hold(bottom)
            k.to(up, lift[0], 0, 0, (lift[1], 0, lift[2]))
        else:
            heel = _u(rng, 0, 6 if single else 4)
            roll = _u(rng, -4, 4) if single else _u(rng, -2, 2)
            if single:  # balance corrections on the way down
                k.to(down / 2, _u(rng, 0, heel), _u(rng, 0, 2), _u(rng, -3, 3))
                down /= 2
            k.to(down, heel, 0, roll)
            k.to(bottom, heel * _u(rng, 0.7, 1.0), 0, roll * _u(rng, 0.5, 1.0))
            k.to(up)
        k.hold(_u(rng, 0.3, 1.2))
    if free:
        k.unsteady(rng, lifted, air=True)
        k.to(_u(rng, 0.5, 0.9))
        k.hit(_u(rng, 1.2, 1.8))
        k.hold(0.3)
    return [k.move("single_leg_squat" if single else "squat")]


def _swung_about_knee(lift, swing, shank=_SHANK_M):
    """Where the ball of a foot held in the air goes when the foot pitches `swing` deg from its
    lifted pose (pitch, dx, dz): nothing holds the ball, so the foot turns with the shank about
    the knee, `shank` m above the ankle (13 cm behind the ball, 8 cm above the sole)."""
    ball = np.array([lift[1], 0, lift[2]])
    ankle = ball + _pitched(np.radians(lift[0]), (-0.13, 0, 0.08))
    knee = ankle + (0, 0, shank)
    return tuple(knee + _pitched(np.radians(swing), ball - knee))


def _pitched(rad, v):
    """v turned heel-up by `rad` about y (the sense pitch_b turns the foot)."""
    return Q.apply(Q.about(_Y, rad), v)[:, 0]


def _step_out_and_back(k, rng, reach):
    """The front foot of a lunge: heel-off, swing out, heel strike, and back again."""
    k.to(_u(rng, 0.15, 0.25), _u(rng, 15, 25))
    k.to(_u(rng, 0.35, 0.5), 0, _u(rng, 10, 20), 0, (reach / 2, 0, 0.06))
    k.to(_u(rng, 0.3, 0.4), 0, _u(rng, 8, 15), 0, (reach, 0, 0))
    k.hit(_u(rng, 1.5, 3))
    k.to(_u(rng, 0.08, 0.15), 0, 0, 0, (reach, 0, 0))
    k.hit(_u(rng, 0.5, 1))
    k.to(_u(rng, 1.0, 1.5), 0, 0, _u(rng, -2, 2), (reach, 0, 0))  # down
    k.to(_u(rng, 0.8, 1.2), 0, 0, 0, (reach, 0, 0))  # up
    k.to(_u(rng, 0.35, 0.5), _u(rng, 5, 15), 0, 0, (reach / 2, 0, 0.05))  # push back
    k.to(_u(rng, 0.3, 0.4))
    k.hit(_u(rng, 1.2, 2))


def _step(k, rng, pos, pitch, landing_g):
    """The foot steps to `pos`: heel-off about the ball, a swing through the air, and a landing
    flat (pitch 0, heel strike) or on the ball with the heel `pitch` deg up. A foot is lifted,
    not slid, from one place to another."""
    start = np.asarray(k.keys[-1][4])
    mid = (start + np.asarray(pos, float)) / 2 + (0, 0, _u(rng, 0.05, 0.10))
    k.to(_u(rng, 0.15, 0.25), max(k.keys[-1][1], _u(rng, 15, 25)), 0, 0, tuple(start))
    k.to(_u(rng, 0.3, 0.45), (pitch + _u(rng, 0, 15)) / 2, 0, 0, tuple(mid))
    k.to(_u(rng, 0.25, 0.4), pitch, 0 if pitch else _u(rng, 5, 15), 0, pos)
    k.hit(_u(rng, *landing_g))
    if not pitch:  # heel strike, then the forefoot comes down
        k.to(_u(rng, 0.08, 0.15), 0, 0, 0, pos)


def _rear_foot_squats(k, rng, pos, heel, n):
    """The rear foot on its ball at `pos`, heel `heel` deg up: it tilts 5-20 deg further as the
    knee goes down, and back, n times (a split squat, or a reverse lunge once). It balances
    on its ball all the while."""
    t0 = k.t
    for _ in range(n):
        k.to(_u(rng, 1.0, 1.8), heel + _u(rng, 5, 20), 0, _u(rng, -4, 4), pos)
        k.to(_u(rng, 0.8, 1.4), heel, 0, 0, pos)
        k.hold(_u(rng, 0.2, 1.0))
    k.unsteady(rng, t0, air=False)


def _lunges(rng):
    """Forward lunges (this foot steps out and back, or stays behind, heel up about its ball,
    while the other steps out) and reverse lunges (this foot steps back onto its ball, the knee
    goes down and up, and it steps forward again)."""
    k = _Keys()
    for _ in range(int(rng.integers(6, 12))):
        way = rng.random()
        if way < 0.35:
            _step_out_and_back(k, rng, _u(rng, 0.6, 0.9))
        elif way < 0.7:  # rear foot: heel up about the ball while the other leg steps out
            heel = _u(rng, 30, 60)
            k.to(_u(rng, 0.4, 0.7), heel)
            t0 = k.t
            k.to(_u(rng, 1.0, 1.5), heel + _u(rng, 5, 20), 0, _u(rng, -4, 4))
            k.to(_u(rng, 0.8, 1.2), heel)
            k.unsteady(rng, t0, air=False)
            k.to(_u(rng, 0.4, 0.7))
        else:  # reverse lunge: this foot steps back and lands on its ball
            back, heel = (-_u(rng, 0.6, 0.9), 0, 0), _u(rng, 40, 65)
            _step(k, rng, back, heel, (0.8, 1.5))
            _rear_foot_squats(k, rng, back, heel, 1)
            _step(k, rng, _Z, 0, (1.2, 2))
        k.hold(_u(rng, 0.3, 1.5))
    return [k.move("lunge")]


def _split_squats(rng):
    """This foot steps into a split stance and back out: in front (flat), behind on its ball
    (heel 35-60 deg up), or behind on a bench (a Bulgarian split squat: the laces on the bench,
    the sole up, the foot turned 140-170 deg from flat, rolling 10-25 deg on the bench as the
    knee goes down)."""
    k = _Keys()
    where = rng.random()
    if where < 0.4:  # rear foot on the floor
        pos, heel = (-_u(rng, 0.6, 0.9), 0, 0), _u(rng, 35, 60)
        _step(k, rng, pos, heel, (0.8, 1.5))
        _rear_foot_squats(k, rng, pos, heel, int(rng.integers(6, 12)))
    elif where < 0.7:  # rear foot on a bench, 40-50 cm high
        pos, over = (-_u(rng, 0.5, 0.7), 0, _u(rng, 0.42, 0.52)), _u(rng, 140, 170)
        k.to(_u(rng, 0.2, 0.3), _u(rng, 20, 40))
        k.to(_u(rng, 0.5, 0.8), over * 0.6, 0, 0, (pos[0] / 2, 0, pos[2] + 0.15))
        k.to(_u(rng, 0.3, 0.5), over, 0, 0, pos)
        k.hit(_u(rng, 0.5, 1.0))
        for _ in range(int(rng.integers(6, 12))):
            roll = _u(rng, 10, 25)
            k.to(_u(rng, 1.0, 1.8), over - roll, 0, _u(rng, -5, 5), pos)
            k.to(_u(rng, 0.8, 1.4), over, 0, 0, pos)
            k.hold(_u(rng, 0.2, 1.0))
        k.to(_u(rng, 0.4, 0.6), over * 0.5, 0, 0, (pos[0] / 2, 0, pos[2] + 0.1))
    else:  # front foot
        pos = (_u(rng, 0.6, 0.9), 0, 0)
        _step(k, rng, pos, 0, (1.2, 2))
        for _ in range(int(rng.integers(6, 12))):
            k.to(_u(rng, 1.0, 1.8), _u(rng, 0, 4), 0, _u(rng, -3, 3), pos)
            k.to(_u(rng, 0.8, 1.4), 0, 0, 0, pos)
            k.hold(_u(rng, 0.2, 1.0))
    _step(k, rng, _Z, 0, (1.2, 2))
    k.hold(0.3)
    return [k.move("split_squat")]


def _steps(rng):
    """Step up onto a box and back down, leading with either foot."""
    k, box = _Keys(), _u(rng, 0.2, 0.4)
    for _ in range(int(rng.integers(6, 12))):
        if rng.random() < 0.5:  # this foot goes up first and comes down last
            k.to(_u(rng, 0.2, 0.3), _u(rng, 15, 30))
            _onto_box(k, rng, box, (1.3, 2))
            k.hold(_u(rng, 0.8, 1.5))
        else:  # this foot pushes off the floor last and comes down first
            k.hold(_u(rng, 0.3, 0.5))
            k.to(_u(rng, 0.25, 0.4), _u(rng, 25, 45))  # push-off about the ball
            _onto_box(k, rng, box, (1.2, 1.8))
            k.hold(_u(rng, 0.5, 1.0))
        _off_box(k, rng, box)
        k.hold(_u(rng, 0.5, 1.5))
    return [k.move("step_up_down")]


def _onto_box(k, rng, box, landing_g):
    """The foot swings up onto the box and lands flat on it."""
    k.to(_u(rng, 0.3, 0.4), _u(rng, 0, 10), 0, 0, (0.15, 0, box + 0.08))
    k.to(_u(rng, 0.2, 0.3), 0, 0, 0, (0.3, 0, box))
    k.hit(_u(rng, *landing_g))


def _off_box(k, rng, box):
    """The foot steps down, forefoot first with the heel up, and the heel lowers under load."""
    k.to(_u(rng, 0.3, 0.4), _u(rng, -10, 5), 0, 0, (0.15, 0, box + 0.05))
    k.to(_u(rng, 0.2, 0.3), _u(rng, 10, 25), 0, 0, (0, 0, 0))
    k.hit(_u(rng, 2, 3.5))
    k.to(_u(rng, 0.12, 0.25))


def _jumps(rng):
    """Countermovement jumps (both feet) or a run of hops on this foot."""
    k = _Keys()
    hops = rng.random() < 0.5
    for _ in range(int(rng.integers(5, 10)) * (3 if hops else 1)):
        if not hops:
            k.to(_u(rng, 0.4, 0.7), _u(rng, 0, 5))  # the dip
        push = _u(rng, 30, 50)
        k.to(_u(rng, 0.12, 0.2), push)  # push-off, 300+ deg/s
        flight = _u(rng, 0.25, 0.45) if not hops else _u(rng, 0.15, 0.25)
        height = 9.81 * flight**2 / 8
        k.to(flight / 2, push * 0.6, 0, 0, (0, 0, height))
        land = _u(rng, 10, 25)
        k.to(flight / 2, land, 0, 0, _Z)
        k.hit(_u(rng, 3, 6), _u(rng, 0.02, 0.04))
        k.to(_u(rng, 0.1, 0.2))
        k.hold(_u(rng, 0.05, 0.15) if hops else _u(rng, 0.8, 2.0))
    return [k.move("jump_hop")]


def _sit_stand(rng):
    k = _Keys()
    for _ in range(int(rng.integers(4, 8))):
        back = _u(rng, 0.05, 0.15)
        k.to(_u(rng, 0.4, 0.8), _u(rng, 5, 15), 0, _u(rng, -3, 3), (-back / 2, 0, 0.01))
        k.to(_u(rng, 0.2, 0.4), 0, 0, 0, (-back, 0, 0))  # the feet slide back under the chair
        k.to(_u(rng, 0.4, 0.8), _u(rng, 0, 6), 0, 0, (-back, 0, 0))  # seat-off, heels unload
        k.to(_u(rng, 0.5, 1.0), 0, 0, 0, (-back, 0, 0))
        k.hold(_u(rng, 1, 3))  # standing
        k.to(_u(rng, 1.0, 1.8), 0, _u(rng, 0, 4), 0, (-back, 0, 0))  # sitting down, toes unload
        k.to(_u(rng, 0.4, 0.8), 0, 0, 0, _Z)  # the feet slide forward again
        k.hold(_u(rng, 1, 3))
    return [k.move("sit_stand")]


def _stairs(rng):
    """A flight up or down, this foot touching every other step (2 steps per stride)."""
    k, pos = _Keys(), np.zeros(3)
    up = rng.random() < 0.5
    rise, tread = _u(rng, 0.15, 0.19), _u(rng, 0.26, 0.32)
    for _ in range(int(rng.integers(5, 8))):
        step = np.array([2 * tread, 0, (2 if up else -2) * rise])
        mid = pos + step / 2 + (0, 0, 0.1 if up else 0.05)
        pos = pos + step
        if up:
            k.to(_u(rng, 0.2, 0.3), _u(rng, 20, 35), 0, 0, tuple(pos - step))
            k.to(_u(rng, 0.2, 0.3), _u(rng, 0, 15), 0, 0, tuple(mid))
            k.to(_u(rng, 0.25, 0.35), 0, _u(rng, 0, 5), 0, tuple(pos))
            k.hit(_u(rng, 1.5, 2.5))
            k.to(0.1, 0, 0, 0, tuple(pos))
        else:
            k.to(_u(rng, 0.15, 0.25), _u(rng, 10, 20), 0, 0, tuple(pos - step))
            k.to(_u(rng, 0.2, 0.3), _u(rng, -5, 5), 0, 0, tuple(mid))
            k.to(_u(rng, 0.25, 0.35), _u(rng, 10, 25), 0, 0, tuple(pos))
            k.hit(_u(rng, 2, 3.5))
            k.to(_u(rng, 0.12, 0.2), 0, 0, 0, tuple(pos))  # the heel lowers under load
        k.hold(_u(rng, 0.2, 0.4))
    return [k.move("stairs")]


_BOUTS = {
    "stairs": _stairs,
    "squat": lambda rng: _squats(rng, False),
    "single_leg_squat": lambda rng: _squats(rng, True),
    "lunge": _lunges,
    "split_squat": _split_squats,
    "step_up_down": _steps,
    "jump_hop": _jumps,
    "sit_stand": _sit_stand,
}


def bout(rng, kind):
    """One bout of the exercise `kind`, as plan segments."""
    if kind == "walking":
        return [random_walk(rng, _u(rng, 15, 40), speed=_u(rng, 0.7, 1.3))]
    return _BOUTS[kind](rng)


def build_exercise_plan(kind, seed):
    """A calf-raise set, 3-5 bouts of the exercise between rests, another calf-raise set."""
    if kind not in EXERCISES:
        raise ValueError(f"kind must be one of {EXERCISES}")
    rng = np.random.default_rng([int(seed), 200 + EXERCISES.index(kind), 1])
    L = _u(rng, 0.15, 0.20)
    segs = [Still(_u(rng, 2, 4))]
    segs += _set(rng, 1, rng.random() < 0.5)
    for _ in range(int(rng.integers(3, 6))):
        segs.append(Still(_u(rng, 5, 15)))
        segs += bout(rng, kind)
    segs.append(Still(_u(rng, 15, 25)))
    segs += _set(rng, 2, rng.random() < 0.5)
    segs.append(Still(_u(rng, 2, 4)))
    return Plan(
        segments=segs,
        mounts=[random_mount(rng, "varied", L)],
        foot_length_m=L,
        sway=tuple(
            (int(ax), _u(rng, 0.05, 0.2), _u(rng, 0.05, 0.6), _u(rng, 0, 2 * np.pi))
            for ax in (0, 1, 2)
        ),
        sensor=random_sensor(
            np.random.default_rng([int(seed), 200 + EXERCISES.index(kind), 2]), "varied"
        ),
        tier=kind,
        seed=int(seed),
    )
