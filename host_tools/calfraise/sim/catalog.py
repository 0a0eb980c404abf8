"""Every seeded session kind by name: the tiers, the conditions and the other exercises."""

from . import CONDITIONS, EXERCISES, KINDS, TIERS
from .conditions import build_condition_plan
from .exercises import build_exercise_plan
from .scenario import build_session_plan


def build_plan(kind, seed):
    """The plan of session `seed` of `kind` (a tier, a condition or an exercise)."""
    if kind in CONDITIONS:
        return build_condition_plan(kind, seed)
    if kind in EXERCISES:
        return build_exercise_plan(kind, seed)
    if kind in TIERS:
        return build_session_plan(kind, seed)
    raise ValueError(f"kind must be one of {KINDS}")
