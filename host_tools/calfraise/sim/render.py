"""Plan + clip + sensor -> trace arrays and truth: the one place the pieces are put together.

Why the overrides: the property tests re-render one plan with another clip orientation, another
ODR or another tempo and expect the detector's answer to follow (or not move).
"""

from dataclasses import dataclass, replace

import numpy as np
from scipy.spatial.transform import Rotation

from .kinematics import foot_pose, imu_signals, sensor_pose
from .motions import build_timeline
from .plan import as_rotation
from .sensor import sample
from .truth import build_truth

FS = 1000.0  # internal kinematics rate, Hz


@dataclass
class SimTrace:
    """A rendered session: what the device would log, and the truth beside it."""

    t_ms: np.ndarray  # int64, strictly increasing
    accel_g: np.ndarray  # (N, 3)
    gyro_dps: np.ndarray  # (N, 3)
    rate_hz: float  # nominal ODR
    truth: dict

    def __len__(self):
        return len(self.t_ms)


def _with_clip(plan, clip):
    """Replace the clip orientation: one rotation for every attachment, or a list of Rotation
    objects, one per mount."""
    if clip is None:
        return plan
    if isinstance(clip, list) and clip and all(isinstance(c, Rotation) for c in clip):
        if len(clip) != len(plan.mounts):
            raise ValueError(f"{len(clip)} clip rotations for {len(plan.mounts)} mounts")
        rots = clip
    else:
        rots = [as_rotation(clip)] * len(plan.mounts)
    mounts = [
        replace(m, quat_xyzw=tuple(float(q) for q in r.as_quat()))
        for m, r in zip(plan.mounts, rots, strict=True)
    ]
    return replace(plan, mounts=mounts)


def render_pose(plan, fs=FS):
    """The sensor's 1 kHz pose: (timeline, quaternions (N, 4) x y z w sensor -> world,
    positions (N, 3) m). For tests and plots of the physics."""
    tl = build_timeline(plan, fs)
    rot, pos = sensor_pose(tl, *foot_pose(tl))
    return tl, rot.T, pos.T


def render_kinematics(plan, fs=FS):
    """The ideal 1 kHz signals of a plan: (timeline, specific force g, body rate dps)."""
    tl = build_timeline(plan, fs)
    rot, pos = sensor_pose(tl, *foot_pose(tl))
    f, w = imu_signals(rot, pos, tl.extra_acc, fs)
    return tl, f, w


def render(plan, rate_hz=None, clip=None, time_scale=1.0, sensor=None, seed=None):
    """Render a plan into a SimTrace.

    rate_hz: override the ODR.
    clip: override the clip orientation: a Rotation, 3x3 matrix, xyzw quaternion or rotation
        vector for every attachment, or a list of Rotations, one per mount.
    time_scale: multiply every phase duration (impact physics keeps its own time scale).
    sensor: another SensorConfig. seed: the sensor-noise seed (default: plan.seed).
    """
    plan = _with_clip(plan, clip)
    if time_scale != 1.0:
        plan = plan.scaled(time_scale)
    sensor = sensor if sensor is not None else plan.sensor
    if rate_hz is not None:
        sensor = sensor.with_rate(rate_hz)
    tl, f, w = render_kinematics(plan)
    rng = np.random.default_rng([plan.seed if seed is None else int(seed), 3])
    s = sample(f, w, FS, sensor, rng)
    truth = build_truth(tl, plan, sensor, int(s.t_ms[-1]), sensor.rate_hz)
    return SimTrace(s.t_ms, s.accel_g, s.gyro_dps, sensor.rate_hz, truth)


def simulate_session(tier, seed):
    """The benchmark's session `seed` of `tier` ("clean", "varied" or "hard")."""
    from .scenario import build_session_plan

    return render(build_session_plan(tier, seed))
