"""A session plan: what the athlete does, as plain data, separate from how it is rendered.

Why separate: the property tests re-render the SAME motion with another clip orientation, another
ODR or another tempo, and build small custom plans (a few reps, a walk, stillness). Segments follow
each other in time; every duration is in seconds and scales with the tempo factor, except the
physics of impacts (bump ring frequency and decay, impact spike length), which do not.
"""

from dataclasses import dataclass, field, replace

import numpy as np
from scipy.spatial.transform import Rotation

from .sensor import SensorConfig

POSTURES = ("standing", "seated", "plank")
SWAY_GAIN = {"standing": 1.0, "seated": 0.5, "plank": 1.5}


class _Timed:
    """A segment whose `phases` fields (seconds) add up to its duration and, with `also_scaled`,
    stretch with the tempo; impact physics (ring frequency, decay, spike length) does not."""

    phases = ("seconds",)
    also_scaled = ()

    @property
    def duration(self):
        return sum(getattr(self, n) for n in self.phases)

    def scaled(self, k):
        return replace(self, **{n: getattr(self, n) * k for n in self.phases + self.also_scaled})


@dataclass(frozen=True)
class Still(_Timed):
    """Standing, sitting or holding a plank without moving (postural sway only)."""

    seconds: float
    posture: str = "standing"
    kind = None


@dataclass(frozen=True)
class Rep(_Timed):
    """One heel raise about the ball of the foot, followed by its pause."""

    amplitude_deg: float
    up_s: float
    hold_s: float
    down_s: float
    pause_s: float
    posture: str = "standing"
    set_no: int = 1
    rep_no: int = 1
    partial: bool = False
    tremor_deg: float = 0.2  # at the top: muscles holding a load are never still
    tremor_hz: tuple = (6.0, 8.5)
    roll_deg: float = 0.0  # heel sways sideways while up
    yaw_deg: float = 0.0
    land_deg: tuple = (0.0, 0.0, 0.0)  # the foot comes down this far (rotation vector) off
    # where it started: rests between real reps differ by a few degrees
    kind = None

    phases = ("up_s", "hold_s", "down_s", "pause_s")


@dataclass(frozen=True)
class Shift(_Timed):
    """The foot settles into another rest (a small reposition, rotation vector in deg) without
    any heel raise: the stance before a set is rarely the rest between its reps."""

    seconds: float
    rotvec_deg: tuple
    posture: str = "standing"
    kind = None


@dataclass(frozen=True)
class FootMove(_Timed):
    """Another exercise's foot motion as key poses joined by minimum-jerk moves (human
    movements are chains of such submovements), plus impacts.

    keys: ((t s, pitch about the ball deg, pitch about the heel deg, roll deg,
    (dx, dy, dz) m of the ball in the walking frame), ...), starting at t = 0 from the foot's
    current place; impacts: ((t s, peak g, width s, (x, y, z) direction in the walking frame), ...)
    balance: ((t0 s, t1 s, tremor deg, tremor Hz, sway deg, sway Hz), ...): spans in which the
    foot is not planted (balanced on its ball, or held in the air), so it trembles and sways
    """

    kind: str
    seconds: float
    keys: tuple
    impacts: tuple = ()
    posture: str = "standing"
    balance: tuple = ()

    def scaled(self, k):
        keys = tuple((t * k, *rest) for t, *rest in self.keys)
        hits = tuple((t * k, *rest) for t, *rest in self.impacts)
        spans = tuple((t0 * k, t1 * k, *rest) for t0, t1, *rest in self.balance)
        return replace(self, seconds=self.seconds * k, keys=keys, impacts=hits, balance=spans)


@dataclass(frozen=True)
class ToeRaise(_Timed):
    """Toes up about the heel contact (the opposite pitch to a heel raise), then a pause."""

    amplitude_deg: float
    up_s: float
    hold_s: float
    down_s: float
    pause_s: float
    posture: str = "standing"
    kind = "toe_raise"

    phases = ("up_s", "hold_s", "down_s", "pause_s")


@dataclass(frozen=True)
class WeightShift(_Timed):
    """A slow there-and-back lean: small pitch (heel or toes unload) and roll, no heel lift."""

    seconds: float
    pitch_deg: float  # > 0 heel side lifts a little (about B), < 0 toes (about H)
    roll_deg: float
    posture: str = "standing"
    kind = "weight_shift"


@dataclass(frozen=True)
class Bump(_Timed):
    """A knock on the shoe at `at_s`: the clip rings about its own mount, plus a short jolt."""

    seconds: float
    at_s: float
    freq_hz: float
    rot_deg: float
    axis: tuple
    decay_s: float
    spike_g: float
    spike_s: float
    spike_dir: tuple
    posture: str = "standing"
    kind = "bump"

    also_scaled = ("at_s",)


@dataclass(frozen=True)
class Stride(_Timed):
    """One gait cycle of the instrumented foot: heel-off, swing, heel strike, foot flat."""

    heel_off_s: float
    swing_s: float
    strike_s: float
    flat_s: float
    length_m: float  # how far the foot travels
    toe_off_deg: float  # plantar pitch at toe-off
    strike_deg: float  # dorsal pitch at heel strike (positive number)
    clearance_m: float  # extra lift of the ball of the foot mid-swing
    dyaw_deg: float  # change of walking direction during this swing
    impact_g: float  # heel-strike jolt
    impact_s: float

    phases = ("heel_off_s", "swing_s", "strike_s", "flat_s")


@dataclass(frozen=True)
class Walk:
    """A walking bout; the athlete stands still again afterwards (wherever the walk ended)."""

    strides: tuple
    posture: str = "standing"
    kind = "walking"

    @property
    def duration(self):
        return sum(s.duration for s in self.strides)

    def scaled(self, k):
        return replace(self, strides=tuple(s.scaled(k) for s in self.strides))


@dataclass(frozen=True)
class Handle(_Timed):
    """The sensor is taken off the shoe, turned about in the hand and clipped back on as `mount`.

    keys: ((u in 0..1, rotation vector deg, offset m), ...) — orientation relative to the
    straight path between the old and new clip orientations, position relative to the straight
    path between the old and new mount points.
    """

    what: str  # "reclip" or "handling"
    seconds: float
    mount: int
    keys: tuple
    posture: str = "standing"

    @property
    def kind(self):
        return self.what


@dataclass(frozen=True)
class Transition(_Timed):
    """Changing posture (e.g. standing -> plank) in a smooth 2-4 s move; the foot may be lifted
    and put down elsewhere."""

    seconds: float
    from_posture: str
    posture: str
    shift_m: tuple = (0.0, 0.0, 0.0)  # in the walking-direction frame
    lift_m: float = 0.0
    wiggle_deg: float = 0.0  # pitch of the foot while it is repositioned
    kind = None


@dataclass(frozen=True)
class Mount:
    """Where and how the clip sits on the foot. quat_xyzw rotates sensor axes into foot axes."""

    quat_xyzw: tuple
    s_foot: tuple  # sensor position in the foot frame (origin: ball of the foot), metres
    location: str = "heel"  # "heel" counter or "laces"

    @property
    def rotation(self):
        return Rotation.from_quat(self.quat_xyzw)

    def meta(self):
        x, y, z, w = self.quat_xyzw
        return {
            "quat_wxyz": [w, x, y, z],
            "s_foot_m": list(self.s_foot),
            "lever_m": float(np.linalg.norm(self.s_foot)),
            "location": self.location,
        }


@dataclass
class Plan:
    """A whole session as data. Render it with render.render()."""

    segments: list
    mounts: list  # mounts[0] at the start; Handle segments switch to another index
    foot_length_m: float = 0.17
    postures: dict = field(
        default_factory=lambda: {
            "standing": (0.0, (0.0, 0.0, 0.0)),
            "seated": (0.0, (0.0, 0.0, 0.0)),
            "plank": (75.0, (0.0, 0.0, 0.0)),
        }
    )  # name -> (pitch heel-up deg, tilt rotvec deg)
    sway: tuple = ()  # ((axis 0..2, amp deg, freq Hz, phase), ...)
    sensor: SensorConfig = field(default_factory=SensorConfig)
    tier: str = "custom"
    seed: int = 0
    saved_gyro_bias_dps: tuple | None = None  # what the device restores at boot, if anything
    skip_s: float = 0.0  # the board is switched on this far into the plan (mid-movement)
    ball_tremor: tuple = ()  # ((posture, deg, Hz), ...): a foot that holds the body up on its
    # ball in that posture (a plank) or on a soft floor trembles the whole time, rests included

    @property
    def duration(self):
        return sum(s.duration for s in self.segments)

    def scaled(self, k):
        """The same session at another tempo (every phase duration times k)."""
        return replace(self, segments=[s.scaled(k) for s in self.segments])

    def __add__(self, other):
        """This plan followed by the other's segments (the other's mounts are appended)."""
        shift = len(self.mounts)
        segs = [
            replace(s, mount=s.mount + shift) if isinstance(s, Handle) else s
            for s in other.segments
        ]
        return replace(
            self, segments=list(self.segments) + segs, mounts=list(self.mounts) + list(other.mounts)
        )


# ---------------------------------------------------------------- helpers for mounts and plans


def heel_mount(rng=None, yaw_deg=None, tilt_deg=15.0, foot_length_m=0.17, y=0.03, z=0.05):
    """A clip on the heel counter, board facing backwards, turned by any yaw about its normal."""
    rng = rng if rng is not None else np.random.default_rng(0)
    yaw = rng.uniform(0, 360) if yaw_deg is None else yaw_deg
    # sensor z -> foot -x (out of the back of the heel), x -> foot -y, y -> foot z (right-handed)
    base = Rotation.from_matrix(np.array([[0, 0, -1], [-1, 0, 0], [0, 1, 0]], float))
    tilt = Rotation.from_rotvec(np.r_[rng.uniform(-1, 1, 2), 0.0] * np.radians(tilt_deg))
    rot = base * Rotation.from_euler("z", yaw, degrees=True) * tilt
    s = (-foot_length_m - 0.01, y, z)
    return Mount(tuple(float(q) for q in rot.as_quat()), tuple(float(c) for c in s), "heel")


def laces_mount(rng=None, yaw_deg=None, tilt_deg=15.0, x=-0.07, z=0.07):
    """A clip on the laces, board facing up, any yaw about its normal."""
    rng = rng if rng is not None else np.random.default_rng(0)
    yaw = rng.uniform(0, 360) if yaw_deg is None else yaw_deg
    tilt = Rotation.from_rotvec(np.r_[rng.uniform(-1, 1, 2), 0.0] * np.radians(tilt_deg))
    rot = Rotation.from_euler("z", yaw, degrees=True) * tilt
    return Mount(tuple(float(q) for q in rot.as_quat()), (float(x), 0.0, float(z)), "laces")


def as_rotation(clip):
    """Accept a Rotation, a 3x3 matrix, a quaternion (x, y, z, w) or a rotation vector (rad)."""
    if isinstance(clip, Rotation):
        return clip
    a = np.asarray(clip, float)
    if a.shape == (3, 3):
        return Rotation.from_matrix(a)
    if a.shape == (4,):
        return Rotation.from_quat(a)
    if a.shape == (3,):
        return Rotation.from_rotvec(a)
    raise ValueError("clip must be a Rotation, 3x3 matrix, xyzw quaternion or rotation vector")


def _default_sway(rng):
    return tuple(
        (
            int(ax),
            float(rng.uniform(0.05, 0.2)),
            float(rng.uniform(0.05, 0.6)),
            float(rng.uniform(0, 2 * np.pi)),
        )
        for ax in (0, 0, 1, 1, 2)
    )


def _base_plan(segments, clip, foot_length_m, sensor, seed, sway):
    rng = np.random.default_rng([seed, 7])
    mount = heel_mount(rng, foot_length_m=foot_length_m)
    if clip is not None:
        mount = replace(mount, quat_xyzw=tuple(float(q) for q in as_rotation(clip).as_quat()))
    return Plan(
        segments=list(segments),
        mounts=[mount],
        foot_length_m=foot_length_m,
        sway=_default_sway(rng) if sway else (),
        sensor=sensor if sensor is not None else SensorConfig.ideal(104.0),
        seed=seed,
    )


def plan_still(
    seconds, posture="standing", clip=None, foot_length_m=0.17, sensor=None, seed=0, sway=True
):
    """Stillness only (with postural sway unless sway=False)."""
    return _base_plan([Still(seconds, posture)], clip, foot_length_m, sensor, seed, sway)


def plan_reps(
    n,
    posture="standing",
    amplitude_deg=30.0,
    up_s=1.5,
    hold_s=0.5,
    down_s=1.5,
    pause_s=1.0,
    lead_s=3.0,
    tail_s=3.0,
    partial=(),
    set_no=1,
    clip=None,
    foot_length_m=0.17,
    sensor=None,
    seed=0,
    sway=True,
):
    """n identical heel raises between still periods; `partial` lists 1-based reps done at 45 %."""
    segs = [Still(lead_s, posture)]
    for r in range(1, n + 1):
        part = r in partial
        segs.append(
            Rep(
                amplitude_deg * (0.45 if part else 1.0),
                up_s,
                hold_s,
                down_s,
                pause_s,
                posture,
                set_no,
                r,
                part,
            )
        )
    segs.append(Still(tail_s, posture))
    return _base_plan(segs, clip, foot_length_m, sensor, seed, sway)


def plan_toe_raises(
    n,
    amplitude_deg=18.0,
    up_s=1.0,
    hold_s=0.3,
    down_s=1.0,
    pause_s=0.8,
    lead_s=3.0,
    tail_s=3.0,
    clip=None,
    foot_length_m=0.17,
    sensor=None,
    seed=0,
):
    """n toe raises (the distractor that tilts the foot the other way)."""
    segs = [Still(lead_s)] + [ToeRaise(amplitude_deg, up_s, hold_s, down_s, pause_s)] * n
    segs.append(Still(tail_s))
    return _base_plan(segs, clip, foot_length_m, sensor, seed, True)


def plan_walking(
    seconds, lead_s=3.0, tail_s=3.0, clip=None, foot_length_m=0.17, sensor=None, seed=0
):
    """A walking bout of about `seconds` between two still periods."""
    from .scenario import random_walk  # scenario builds on plan, not the other way round

    rng = np.random.default_rng([seed, 11])
    segs = [Still(lead_s), random_walk(rng, seconds), Still(tail_s)]
    return _base_plan(segs, clip, foot_length_m, sensor, seed, True)
