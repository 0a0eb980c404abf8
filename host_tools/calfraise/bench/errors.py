"""`python -m calfraise.bench.errors hard varied --sessions 50`: every counting error, attributed.

The accuracy tables say how many reps are wrong; this says which and where: each false rep and
each missed rep with its seed, time and the truth segment it lies in (a distractor kind, a
posture change, the set and its posture, the clip and where it sits), and each set not counted
exactly. Group the lines (`sort | uniq -c` on the segment) to find the biggest cause.
"""

import argparse
from concurrent.futures import ProcessPoolExecutor

from calfraise.bench.accuracy import match
from calfraise.bench.corpus import detect_as_booted
from calfraise.sim import simulate_session


def segment(truth, t_ms):
    """What the truth says was going on at t_ms (distractors and transitions with 0.5 s slack)."""
    tags = [
        d["kind"] for d in truth["distractors"] if d["start_ms"] - 500 <= t_ms <= d["end_ms"] + 500
    ]
    tags += [
        f"{tr['from']}->{tr['to']}"
        for tr in truth["transitions"]
        if tr["start_ms"] - 500 <= t_ms <= tr["end_ms"] + 500
    ]
    tags += [
        f"set {s['set']} ({s['posture']})"
        for s in truth["sets"]
        if s["start_ms"] - 1000 <= t_ms <= s["end_ms"] + 1000
    ]
    clips = truth["meta"]["clips"]
    k = max(i for i, c in enumerate(clips) if c["from_ms"] <= t_ms or i == 0)
    tags.append(f"clip {k} on the {clips[k]['location']}")
    return ", ".join(tags)


def session_errors(job):
    """The error lines of one simulated session."""
    kind, seed = job
    trace = simulate_session(kind, seed)
    truth, found = trace.truth, detect_as_booted(trace)
    reps = truth["reps"]
    pairs = match(reps, found)
    lines = []
    for j in sorted(set(range(len(found))) - {j for _, j in pairs}):
        f = found[j]
        lines.append(
            f"{kind} {seed} false {f['top_ms'] / 1000:.1f} s {f['amplitude_deg']:.1f} deg: "
            f"{segment(truth, f['top_ms'])}"
        )
    for i in sorted(set(range(len(reps))) - {i for i, _ in pairs}):
        r = reps[i]
        partial = " partial" if r["partial"] else ""
        lines.append(
            f"{kind} {seed} missed {r['top_ms'] / 1000:.1f} s {r['amplitude_deg']:.1f} deg "
            f"up {r['up_ms']} ms{partial} at {truth['rate_hz']:g} Hz: {segment(truth, r['top_ms'])}"
        )
    for s in truth["sets"]:
        members = [r for r in reps if r["set"] == s["set"]]
        lo = min(r["start_ms"] for r in members) - 1000
        hi = max(r["end_ms"] for r in members) + 1000
        counted = sum(1 for f in found if lo <= f["top_ms"] <= hi)
        if counted != len(members):
            lines.append(
                f"{kind} {seed} set {s['set']} ({s['posture']}) counted {counted} of {len(members)}"
            )
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m calfraise.bench.errors")
    parser.add_argument("kinds", nargs="+", help="tiers or scenario kinds (hard, varied, sway...)")
    parser.add_argument("--sessions", type=int, default=50, help="seeds 0..N-1 of each kind")
    args = parser.parse_args(argv)
    jobs = [(kind, seed) for kind in args.kinds for seed in range(args.sessions)]
    with ProcessPoolExecutor() as pool:
        for lines in pool.map(session_errors, jobs):
            for line in lines:
                print(line, flush=True)


if __name__ == "__main__":
    main()
