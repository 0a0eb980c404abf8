"""Trace simulator: a foot-clipped IMU during calf-raise sessions, with an exact answer key.

plan (what the athlete does, plain data) -> motions (1 kHz pose channels) -> kinematics (specific
force and body rate) -> sensor (chip errors, clock, samples) -> SimTrace + truth.
"""

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
    plan_reps,
    plan_still,
    plan_toe_raises,
    plan_walking,
)
from .render import SimTrace, render, render_kinematics, render_pose, simulate_session
from .scenario import TIERS, build_session_plan
from .sensor import SensorConfig

__all__ = [
    "Bump",
    "Handle",
    "Mount",
    "Plan",
    "Rep",
    "Still",
    "Stride",
    "ToeRaise",
    "Transition",
    "Walk",
    "WeightShift",
    "heel_mount",
    "laces_mount",
    "plan_reps",
    "plan_still",
    "plan_toe_raises",
    "plan_walking",
    "SimTrace",
    "render",
    "render_kinematics",
    "render_pose",
    "simulate_session",
    "TIERS",
    "build_session_plan",
    "SensorConfig",
]
