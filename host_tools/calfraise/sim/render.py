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
    path = None  # read from no file (a Trace's errors name its path)

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
    trace = SimTrace(s.t_ms, s.accel_g, s.gyro_dps, sensor.rate_hz, truth)
    return switched_on_at(trace, s.t_phys_s, plan.skip_s) if plan.skip_s > 0 else trace


def switched_on_at(trace, t_phys_s, skip_s):
    """The trace as a board switched on `skip_s` into the plan records it: its clock starts at
    the first sample it reads, and only the reps it sees from their start are in the truth."""
    k0 = int(np.searchsorted(t_phys_s, skip_s))
    t0 = int(trace.t_ms[k0])
    truth = dict(trace.truth)
    reps = [
        {**r, **{k: r[k] - t0 for k in ("start_ms", "top_ms", "lower_ms", "end_ms")}}
        for r in truth["reps"]
        if r["start_ms"] >= t0
    ]
    truth["reps"] = reps
    truth["sets"] = [
        {**s, "start_ms": m[0]["start_ms"], "end_ms": m[-1]["end_ms"], "reps": len(m)}
        for s in truth["sets"]
        if (m := [r for r in reps if r["set"] == s["set"]])
    ]
    truth["distractors"] = [
        {**d, "start_ms": max(0, d["start_ms"] - t0), "end_ms": d["end_ms"] - t0}
        for d in truth["distractors"]
        if d["end_ms"] > t0
    ]
    truth["duration_ms"] -= t0
    return SimTrace(
        trace.t_ms[k0:] - t0, trace.accel_g[k0:], trace.gyro_dps[k0:], trace.rate_hz, truth
    )


def simulate_session(kind, seed):
    """The benchmark's session `seed` of a tier ("clean", "varied", "hard") or of a scenario
    kind (sim.catalog.KINDS)."""
    from .catalog import build_plan

    return render(build_plan(kind, seed))
