"""Accuracy over the fixed-seed corpus: simulate each session, run the detector, score it."""

from concurrent.futures import ProcessPoolExecutor

from calfraise.analyze import analyze_trace
from calfraise.bench.accuracy import Score, score_session
from calfraise.sim import simulate_session


def detect_as_booted(trace):
    """The reps `calfraise analyze` finds in the trace (the board's IMU reading it: its chip,
    counts and clock), with the gyro bias the device saved last time restored at boot when the
    session has one (`saved_gyro_bias_dps` in its meta; the device keeps it in whole mdps)."""
    saved = trace.truth["meta"].get("saved_gyro_bias_dps")
    return analyze_trace(trace, None if saved is None else [round(b * 1000) for b in saved])


def score_one(job):
    kind, seed = job
    trace = simulate_session(kind, seed)
    return kind, score_session(trace.truth, detect_as_booted(trace))


def score_corpus(kinds, sessions_per_kind, workers=None):
    """kind -> Score summed over seeds 0..sessions_per_kind-1 (the same corpus every run);
    sessions_per_kind: one number for all, or a dict kind -> number."""
    per = sessions_per_kind if isinstance(sessions_per_kind, dict) else {}
    jobs = [(kind, seed) for kind in kinds for seed in range(per.get(kind, sessions_per_kind))]
    totals = {kind: Score() for kind in kinds}
    with ProcessPoolExecutor(workers) as pool:
        for kind, score in pool.map(score_one, jobs, chunksize=4):
            totals[kind].add(score)
    return totals
