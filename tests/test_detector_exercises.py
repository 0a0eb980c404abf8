"""No reps from the other exercises an athlete does around calf raises (issue 10).

Each property renders one bout of the exercise, physically modelled (docs/simulator.md), with
the clip in any orientation, between two still periods: nothing may count. The exercises the
detector cannot yet tell from a heel raise (lunges, split squats, step-ups, single-leg squats
with the clip on the free foot, sitting down and standing up) are measured in the benchmark,
not asserted here (see docs/detector.md, "Known limits").
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scipy.spatial.transform import Rotation

from calfraise.analyze import detect
from calfraise.sim import Plan, Still, render
from calfraise.sim.exercises import bout
from calfraise.sim.plan import heel_mount
from calfraise.sim.sensor import random_sensor

# derandomized: CI runs the same draws every time; docs/detector.md lists draws that fail
PROPERTY = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def bout_trace(kind, seed):
    rng = np.random.default_rng([seed, 77])
    mount = heel_mount(rng)
    clip = Rotation.random(random_state=seed)
    mount = type(mount)(tuple(float(q) for q in clip.as_quat()), mount.s_foot, mount.location)
    segs = [Still(3.0)] + bout(rng, kind) + [Still(3.0)]
    return render(Plan(segs, [mount], sensor=random_sensor(rng, "varied"), seed=seed))


@pytest.mark.parametrize("kind", ["walking", "stairs", "squat", "jump_hop"])
@PROPERTY
@given(seed=st.integers(0, 2**31))
@example(seed=328)  # a hop whose landing wobble rose again before the foot was back at rest
def test_another_exercise_counts_no_rep(kind, seed):
    trace = bout_trace(kind, seed)
    assert detect(trace, trace.rate_hz) == []


def test_a_bout_is_what_its_name_says():
    """The distractor span covers the bout, so the benchmark scores false reps inside it."""
    trace = bout_trace("stairs", 1)
    (span,) = trace.truth["distractors"]
    assert span["kind"] == "stairs"
    assert span["end_ms"] - span["start_ms"] > 3000
