"""Accuracy over the fixed-seed corpus: simulate each session, run the detector, score it."""

from concurrent.futures import ProcessPoolExecutor

from calfraise.analyze import detect
from calfraise.bench.accuracy import Score, score_session
from calfraise.sim import simulate_session


def score_one(job):
    tier, seed = job
    trace = simulate_session(tier, seed)
    return tier, score_session(trace.truth, detect(trace, trace.rate_hz))


def score_corpus(tiers, sessions_per_tier, workers=None):
    """tier -> Score summed over seeds 0..sessions_per_tier-1 (the same corpus every run)."""
    jobs = [(tier, seed) for tier in tiers for seed in range(sessions_per_tier)]
    totals = {tier: Score() for tier in tiers}
    with ProcessPoolExecutor(workers) as pool:
        for tier, score in pool.map(score_one, jobs, chunksize=4):
            totals[tier].add(score)
    return totals
