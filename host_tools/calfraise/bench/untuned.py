"""`python -m calfraise.bench.untuned`: the detector on conditions nobody tuned it for.

Combinations of the condition kinds, another output data rate, a clip on the laces, a slower
tempo: if counting holds only on the rows it was developed against, it shows here.
"""

from dataclasses import replace

import numpy as np

from calfraise.bench.accuracy import print_cases, score_session
from calfraise.bench.corpus import detect_as_booted
from calfraise.sim import laces_mount, render
from calfraise.sim.conditions import _sway, build_condition_plan


def _all_at_once(seed):
    """Drifting rests, 1.5 deg of sway and a stale saved bias (up to 5 deg/s) together."""
    plan = build_condition_plan("rest_drift", seed)
    rng = np.random.default_rng([seed, 999])
    saved = tuple(b + rng.uniform(-5, 5) for b in plan.sensor.gyro_bias_dps)
    return replace(plan, sway=_sway(rng, 1.5, 0.2, 1.0), saved_gyro_bias_dps=saved), {}


def _on_the_laces(seed):
    plan = build_condition_plan("sway", seed)
    return replace(plan, mounts=[laces_mount(np.random.default_rng(seed))]), {}


CASES = (
    ("drifting rests + 1.5 deg sway + a stale bias", _all_at_once),
    (
        "stance offsets at 400 Hz",
        lambda s: (build_condition_plan("stance_offset", s), {"rate_hz": 400}),
    ),
    ("brisk sets at 40 Hz", lambda s: (build_condition_plan("brisk", s), {"rate_hz": 40})),
    ("sway, clip on the laces", _on_the_laces),
    (
        "drifting rests, every phase 1.6x slower",
        lambda s: (build_condition_plan("rest_drift", s), {"time_scale": 1.6}),
    ),
)


def _score(make, seed):
    plan, overrides = make(seed)
    trace = render(plan, **overrides)
    return score_session(trace.truth, detect_as_booted(trace))


def main(sessions=8):
    print_cases(CASES, sessions, _score)


if __name__ == "__main__":
    main()
