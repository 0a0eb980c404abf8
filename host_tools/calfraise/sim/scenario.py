"""Seeded session plans per tier (clean / varied / hard): what the athlete does, as data.

Why tiers: the detector is benchmarked from the easy case (one posture, clean tempo, nothing else
happening) to the realistic worst (fast and slow reps, partial reps, re-clipping, walking, toe
raises, knocks and a flaky FIFO), with every session reproducible from its seed.
"""

from dataclasses import replace

import numpy as np
from scipy.spatial.transform import Rotation

from . import TIERS
from .plan import (
    Bump,
    Handle,
    Mount,
    Plan,
    Rep,
    Still,
    Stride,
    ToeRaise,
    Transition,
    Walk,
    WeightShift,
    heel_mount,
    laces_mount,
)
from .sensor import random_sensor

AMPLITUDE = {"standing": (20.0, 40.0), "seated": (15.0, 30.0), "plank": (10.0, 25.0)}


def _u(rng, lo, hi):
    return float(rng.uniform(lo, hi))


def random_walk(rng, seconds, turn=None, speed=1.0):
    """Strides filling about `seconds`; long bouts turn round (walking up and down a room).
    speed: 0.7 strolls (longer, flatter strides), 1.0 walks, 1.3 walks briskly."""
    strides, total = [], 0.0
    turn = seconds > 10 if turn is None else turn
    turn_at = _u(rng, 0.3, 0.7) * seconds if turn else None
    turning = 0
    while total < seconds or not strides:
        T = _u(rng, 0.9, 1.2) / speed
        heel_off, strike = _u(rng, 0.17, 0.23), _u(rng, 0.08, 0.12)
        flat = T * _u(rng, 0.3, 0.36)
        swing = T - heel_off - strike - flat
        dyaw = _u(rng, -5, 5)
        if turn_at is not None and total >= turn_at and turning == 0:
            turning = int(rng.integers(3, 5))
            turn_dir = rng.choice([-1.0, 1.0])
            turn_at = None
        if turning:
            dyaw = float(turn_dir * 180.0 / 4 + _u(rng, -5, 5))
            turning -= 1
        strides.append(
            Stride(
                heel_off_s=heel_off,
                swing_s=swing,
                strike_s=strike,
                flat_s=flat,
                length_m=_u(rng, 1.2, 1.5) * (0.6 if abs(dyaw) > 20 else 1.0) * speed,
                toe_off_deg=_u(rng, 30, 45) * speed**0.5,
                strike_deg=_u(rng, 15, 25) * speed**0.5,
                clearance_m=_u(rng, 0.03, 0.07),
                dyaw_deg=dyaw,
                impact_g=_u(rng, 2, 4),
                impact_s=_u(rng, 0.02, 0.04),
            )
        )
        total += T
    return Walk(tuple(strides))


def random_mount(rng, tier, foot_length_m):
    """Heel counter most of the time, laces sometimes; clean: aligned with the shoe up to a yaw
    about the board normal and +-15 deg tilt; otherwise any orientation."""
    heel = rng.random() < (0.8 if tier == "clean" else 0.7)
    if heel:
        m = heel_mount(
            rng, foot_length_m=foot_length_m, y=_u(rng, -0.03, 0.03), z=_u(rng, 0.03, 0.07)
        )
    else:
        m = laces_mount(rng, x=_u(rng, -0.09, -0.05), z=_u(rng, 0.06, 0.08))
    if tier != "clean":
        q = Rotation.random(random_state=rng).as_quat()
        m = Mount(tuple(float(x) for x in q), m.s_foot, m.location)
    return m


def _bump(rng, posture, lead=None):
    lead = _u(rng, 0.1, 0.3) if lead is None else lead
    ax = rng.normal(size=3)
    d = rng.normal(size=3)
    return Bump(
        seconds=lead + 0.6,
        at_s=lead,
        freq_hz=_u(rng, 10, 25),
        rot_deg=_u(rng, 2, 6),
        axis=tuple(float(x) for x in ax),
        decay_s=_u(rng, 0.1, 0.3),
        spike_g=_u(rng, 1, 3),
        spike_s=_u(rng, 0.02, 0.05),
        spike_dir=tuple(float(x) for x in d),
        posture=posture,
    )


def _weight_shift(rng, posture):
    return WeightShift(
        seconds=_u(rng, 1, 3), pitch_deg=_u(rng, -3, 3), roll_deg=_u(rng, -4, 4), posture=posture
    )


def _toe_raises(rng, posture):
    amp = _u(rng, 10, 25)
    up, down = _u(rng, 0.5, 1.5), _u(rng, 0.5, 1.5)
    return [
        ToeRaise(
            amp * _u(rng, 0.9, 1.1),
            up * _u(rng, 0.9, 1.1),
            _u(rng, 0, 1),
            down * _u(rng, 0.9, 1.1),
            _u(rng, 0.3, 1.0),
            posture,
        )
        for _ in range(int(rng.integers(3, 9)))
    ]


def _handle(rng, what, mount_index, posture):
    """Take the clip off, look at it / fiddle with it, clip it back on (new orientation).

    Keys are evenly spaced (~1 s apart) and the orientation wanders as a damped random walk, so
    the hand turns it at up to ~300 deg/s, not faster."""
    seconds = _u(rng, 3, 6) if what == "reclip" else _u(rng, 5, 10)
    n = max(2, int(round(seconds / _u(rng, 0.9, 1.3))))
    up = _u(rng, 0.3, 0.9)  # the hand brings it up towards the eyes, then back down to the shoe
    step = (45, 90) if what == "reclip" else (60, 120)
    keys, rv = [], np.zeros(3)
    for i in range(n):
        u = (i + 1 + _u(rng, -0.2, 0.2)) / (n + 1)
        d = rng.normal(size=3)
        rv = 0.5 * rv + d / np.linalg.norm(d) * _u(rng, *step)
        if np.linalg.norm(rv) > 160:
            rv *= 160 / np.linalg.norm(rv)
        off = np.r_[rng.normal(0, 0.1, 2), up * np.sin(np.pi * u) ** 0.5]
        keys.append((float(u), tuple(float(x) for x in rv), tuple(float(x) for x in off)))
    return Handle(what, seconds, mount_index, tuple(keys), posture)


def _transition(rng, a, b):
    if a == b:
        return []
    if "plank" in (a, b):  # kneel, step the feet back (or forward again)
        back = -1 if b == "plank" else 1
        shift, lift, wiggle = (
            (back * _u(rng, 0.3, 0.8), _u(rng, -0.1, 0.1), 0.0),
            _u(rng, 0.05, 0.15),
            0.0,
        )
    else:  # sit down / stand up: the foot is usually moved a little
        shift, lift, wiggle = (
            (_u(rng, -0.15, 0.15), _u(rng, -0.08, 0.08), 0.0),
            _u(rng, 0, 0.04),
            _u(rng, -5, 5),
        )
    return [Transition(_u(rng, 2, 4), a, b, shift, lift, wiggle)]


class _Session:
    """Accumulates segments while tracking the current posture and clip."""

    def __init__(self, rng, tier, L):
        self.rng, self.tier, self.L = rng, tier, L
        self.segs, self.posture = [], "standing"
        self.mounts = [random_mount(rng, tier, L)]

    def go(self, posture):
        self.segs += _transition(self.rng, self.posture, posture)
        self.posture = posture

    def still(self, seconds):
        if seconds > 0.05:
            self.segs.append(Still(seconds, self.posture))


def _set_tempo(rng, tier):
    """(up, hold, down, pause) typical for one set, plus whether it is a fast set."""
    if tier == "clean":
        return (_u(rng, 1, 2), _u(rng, 0, 1), _u(rng, 1, 2), _u(rng, 0.3, 1.5)), False
    if tier == "hard" and rng.random() < 0.25:
        return (_u(rng, 0.3, 0.5), _u(rng, 0, 0.3), _u(rng, 0.3, 0.6), _u(rng, 0.2, 0.6)), True
    return (_u(rng, 0.5, 3), _u(rng, 0, 2), _u(rng, 0.5, 3), _u(rng, 0.3, 1.5)), False


def _add_set(s, set_no, posture, amp_typ):
    rng, tier = s.rng, s.tier
    n = int(rng.integers(10, 16))
    (up, hold, down, pause), fast = _set_tempo(rng, tier)
    fat_a = 0.0 if tier == "clean" else _u(rng, 0, 0.15)
    fat_t = 0.0 if tier == "clean" else _u(rng, 0, 0.2)
    p_partial = {"clean": 0.0, "varied": 0.05, "hard": 0.10}[tier]
    for r in range(1, n + 1):
        g = ((r - 1) / (n - 1)) ** 1.5
        amp = amp_typ * (1 - fat_a * g) * _u(rng, 0.9, 1.1)
        slow = 1 + fat_t * g
        u, h, d, p = (x * slow * _u(rng, 0.9, 1.1) for x in (up, hold, down, pause))
        if tier == "hard" and not fast and rng.random() < 0.1:  # a slow, controlled one
            h, d = max(h, _u(rng, 1.5, 3)), max(d, _u(rng, 3, 5))
        partial = rng.random() < p_partial
        if partial:
            amp *= _u(rng, 0.3, 0.55)
        s.segs.append(
            Rep(
                amp,
                u,
                h,
                d,
                p,
                posture,
                set_no,
                r,
                bool(partial),
                tremor_deg=_u(rng, 0.08, 0.25),
                tremor_hz=(_u(rng, 5, 7), _u(rng, 7, 10)),
                roll_deg=_u(rng, 1, 2) * rng.choice([-1.0, 1.0]),
                yaw_deg=_u(rng, -1, 1),
            )
        )
        if tier == "hard" and r < n:  # things happen between reps
            x = rng.random()
            if x < 0.04:
                s.segs.append(_bump(rng, posture))
            elif x < 0.08:
                s.segs.append(_weight_shift(rng, posture))
                s.still(_u(rng, 0.3, 1.0))


def _add_rest(s, next_posture, needs):
    """A rest between sets: recover, maybe walk about, fidget, re-clip; then get into position."""
    rng, tier = s.rng, s.tier
    rest_posture = (
        s.posture if s.posture != "plank" else ("seated" if rng.random() < 0.3 else "standing")
    )
    s.go(rest_posture)
    events = []
    if tier != "clean":
        events += [[_weight_shift(rng, rest_posture)] for _ in range(int(rng.integers(1, 4)))]
        if rng.random() < 0.3 or (tier == "hard" and rng.random() < 0.3):
            events.append([_bump(rng, rest_posture)])
        walk_p = 0.5 if tier == "varied" else 0.6
        if "walk" in needs or rng.random() < walk_p:
            secs = _u(rng, 5, 20) if tier == "varied" else _u(rng, 10, 40)
            events.append(["walk", random_walk(rng, secs)])
    if tier == "hard":
        if "toe" in needs or rng.random() < 0.5:
            events.append(_toe_raises(rng, rest_posture))
        if "reclip" in needs or rng.random() < 0.6:
            events.append(["reclip"])
        if rng.random() < 0.25:
            events.append(["handling"])
    order = rng.permutation(len(events))
    events = [events[i] for i in order]
    rest = _u(rng, 25, 90)
    busy = sum(_event_seconds(e) for e in events) + 4.0
    gaps = rng.dirichlet(np.ones(len(events) + 1)) * max(rest - busy, 5.0)
    s.still(gaps[0] + 2.0)
    for ev, gap in zip(events, gaps[1:], strict=True):
        _add_event(s, ev, rest_posture)
        s.still(gap + 1.0)
    s.go(next_posture)
    s.still(_u(rng, 1, 3))


def _event_seconds(ev):
    if isinstance(ev[0], str) and ev[0] == "walk":
        return ev[1].duration + 6
    if isinstance(ev[0], str):
        return 8.0
    return sum(x.duration for x in ev)


def _add_event(s, ev, rest_posture):
    if isinstance(ev[0], str) and ev[0] == "walk":
        s.go("standing")
        s.still(_u(s.rng, 0.5, 1.5))
        s.segs.append(ev[1])
        s.still(_u(s.rng, 1, 3))
        s.go(rest_posture)
    elif isinstance(ev[0], str):  # reclip / handling
        s.mounts.append(random_mount(s.rng, s.tier, s.L))
        s.segs.append(_handle(s.rng, ev[0], len(s.mounts) - 1, s.posture))
    else:
        s.segs += [replace(x, posture=s.posture) for x in ev]


def build_session_plan(tier, seed):
    """The seeded plan of one whole session of the given tier."""
    if tier not in TIERS:
        raise ValueError(f"tier must be one of {TIERS}")
    rng = np.random.default_rng([int(seed), TIERS.index(tier), 1])
    L = _u(rng, 0.15, 0.20)
    s = _Session(rng, tier, L)
    n_sets = 3 if tier == "clean" else int(rng.integers(2, 5))
    if tier == "clean":
        set_postures = ["standing"] * n_sets
    elif rng.random() < 0.5:
        set_postures = [
            str(rng.choice(["standing", "seated", "plank"], p=[0.5, 0.3, 0.2]))
        ] * n_sets
    else:
        set_postures = [
            str(rng.choice(["standing", "seated", "plank"], p=[0.45, 0.35, 0.2]))
            for _ in range(n_sets)
        ]
    amp_typ = {p: _u(rng, *AMPLITUDE[p]) for p in AMPLITUDE}
    postures = {
        "standing": (0.0, tuple(float(x) for x in rng.uniform(-3, 3, 3) * [1, 1, 0])),
        "seated": (0.0, tuple(float(x) for x in rng.uniform(-3, 3, 3) * [1, 1, 0])),
        "plank": (_u(rng, 60, 85), tuple(float(x) for x in rng.uniform(-3, 3, 3) * [1, 0, 1])),
    }
    # plank raises go no further than ~105 deg of foot pitch in total
    amp_typ["plank"] = min(amp_typ["plank"], 105 - postures["plank"][0])
    # hard sessions get at least one walk, toe-raise bout and re-clip somewhere in their rests
    needs = [set() for _ in range(n_sets - 1)]
    if tier == "hard":
        for what in ("walk", "toe", "reclip"):
            needs[int(rng.integers(0, n_sets - 1))].add(what)

    s.posture = "seated" if set_postures[0] == "seated" else "standing"
    s.still(_u(rng, 2, 3))
    if set_postures[0] == "plank":
        s.go("plank")
        s.still(_u(rng, 1, 2))
    for k, posture in enumerate(set_postures):
        _add_set(s, k + 1, posture, amp_typ[posture])
        if k + 1 < n_sets:
            _add_rest(s, set_postures[k + 1], needs[k])
    if s.posture == "plank":
        s.go("standing")
    s.still(_u(rng, 2, 5))

    sway = tuple(
        (int(ax), _u(rng, 0.05, 0.2), _u(rng, 0.05, 0.6), _u(rng, 0, 2 * np.pi))
        for ax in (0, 0, 1, 1, 2)
    )
    return Plan(
        segments=s.segs,
        mounts=s.mounts,
        foot_length_m=L,
        postures=postures,
        sway=sway,
        sensor=random_sensor(np.random.default_rng([int(seed), TIERS.index(tier), 2]), tier),
        tier=tier,
        seed=int(seed),
    )
