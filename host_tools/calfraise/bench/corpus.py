"""Accuracy over the fixed-seed corpus: simulate each session, run the detector, score it."""

from concurrent.futures import ProcessPoolExecutor

from calfraise.analyze import GYRO_LSB_PER_DPS, detect_samples, raw_samples
from calfraise.bench.accuracy import Score, score_session
from calfraise.sim import simulate_session
from calfraise_fw.detector import RepDetector


def detect_as_booted(trace):
    """The detector over the trace as the device runs it: with the gyro bias it saved last
    time restored at boot, when the session has one (`saved_gyro_bias_dps` in its meta)."""
    det = RepDetector(trace.rate_hz, 4096, GYRO_LSB_PER_DPS)
    saved = trace.truth["meta"].get("saved_gyro_bias_dps")
    if saved is not None:
        det.restore_gyro_bias([round(b * GYRO_LSB_PER_DPS * 16) for b in saved])
    return detect_samples(det, raw_samples(trace).tolist())


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
