"""The error attribution (`python -m calfraise.bench.errors`) lists what the score counts."""

from calfraise.bench.accuracy import score_session
from calfraise.bench.corpus import detect_as_booted
from calfraise.bench.errors import session_errors
from calfraise.sim import simulate_session


def test_every_false_missed_rep_and_inexact_set_is_listed_once():
    """Hard seed 12 (toe raises on a laces clip counted, a partial rep after a weight shift
    missed, with the clip moved twice)."""
    trace = simulate_session("hard", 12)
    score = score_session(trace.truth, detect_as_booted(trace))
    lines = session_errors(("hard", 12))
    assert sum(" false " in x for x in lines) == score.found_reps - score.matched
    assert sum(" missed " in x for x in lines) == score.true_reps - score.matched
    assert sum(" counted " in x for x in lines) == score.sets - score.sets_exact
    assert any(" missed " in x and "clip 2 on the heel" in x for x in lines)
    assert any(" false " in x and "clip 1 on the laces" in x for x in lines)
