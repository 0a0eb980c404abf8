"""Trace simulator: a foot-clipped IMU during calf-raise sessions, with an exact answer key.

plan (what the athlete does, plain data) -> motions (1 kHz pose channels) -> kinematics (specific
force and body rate) -> sensor (chip errors, clock, samples) -> SimTrace + truth.
"""

from importlib import import_module

TIERS = ("clean", "varied", "hard")  # simulate --tier: how much besides clean reps a session has
CONDITIONS = (  # one condition a real foot brings per kind: sim/conditions.py
    "brisk",
    "stance_offset",
    "rest_drift",
    "sway",
    "no_still_start",
    "bias_off",
    "switched_on",
    "bounce",
    "plank_tremor",
    "soft_floor",
)
EXERCISES = (  # the other exercises around calf raises: sim/exercises.py
    "walking",
    "stairs",
    "squat",
    "single_leg_squat",
    "lunge",
    "split_squat",
    "step_up_down",
    "jump_hop",
    "sit_stand",
)
KINDS = TIERS + CONDITIONS + EXERCISES  # every seeded session kind (sim/catalog.py)

# Loaded on first use (PEP 562): the command line lists `simulate` without scipy's start-up time.
_WHERE = {
    **dict.fromkeys(
        (
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
        ),
        ".plan",
    ),
    **dict.fromkeys(
        ("SimTrace", "render", "render_kinematics", "render_pose", "simulate_session"), ".render"
    ),
    "build_session_plan": ".scenario",
    "SensorConfig": ".sensor",
}


def __getattr__(name):
    """Import the submodule that defines `name` and bind all its public names here. Binding
    them all matters for `render`: loading the submodule render binds the name to the module."""
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = import_module(_WHERE[name], __name__)
    globals().update({n: getattr(module, n) for n, m in _WHERE.items() if m == _WHERE[name]})
    return globals()[name]


__all__ = ["TIERS", *_WHERE]  # the lazily loaded names are exactly the table's
