"""Scores detected reps against a simulated session's truth.

Matching is one-to-one by time: a detected rep matches the unmatched true rep whose top is
closest, provided the two reps overlap in time. Everything is counted, nothing is sampled.
"""

from dataclasses import dataclass, field

WALKING = "walking"


@dataclass
class Score:
    """Counts summed over sessions; the derived figures are properties."""

    true_reps: int = 0
    found_reps: int = 0
    matched: int = 0
    sets: int = 0
    sets_exact: int = 0
    sets_within_one: int = 0
    false_in_distractors: dict = field(default_factory=dict)  # kind -> false reps
    distractor_minutes: dict = field(default_factory=dict)  # kind -> minutes
    up_errors_ms: list = field(default_factory=list)
    down_errors_ms: list = field(default_factory=list)
    partial_true: int = 0
    partial_flagged_right: int = 0

    @property
    def precision(self):
        return self.matched / self.found_reps if self.found_reps else 1.0

    @property
    def recall(self):
        return self.matched / self.true_reps if self.true_reps else 1.0

    @property
    def sets_exact_share(self):
        return self.sets_exact / self.sets if self.sets else 1.0

    @property
    def f1(self):
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def false_per_minute(self, kinds):
        false = sum(self.false_in_distractors.get(k, 0) for k in kinds)
        minutes = sum(self.distractor_minutes.get(k, 0.0) for k in kinds)
        return false / minutes if minutes else 0.0

    def minutes(self, kinds):
        return sum(self.distractor_minutes.get(k, 0.0) for k in kinds)

    def add(self, other):
        for name in (
            "true_reps",
            "found_reps",
            "matched",
            "sets",
            "sets_exact",
            "sets_within_one",
            "partial_true",
            "partial_flagged_right",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for mine, theirs in (
            (self.false_in_distractors, other.false_in_distractors),
            (self.distractor_minutes, other.distractor_minutes),
        ):
            for k, v in theirs.items():
                mine[k] = mine.get(k, 0) + v
        self.up_errors_ms += other.up_errors_ms
        self.down_errors_ms += other.down_errors_ms


def match(truth_reps, found_reps):
    """Pairs (truth index, found index), one-to-one, nearest top first among overlapping reps."""
    candidates = []
    for i, t in enumerate(truth_reps):
        for j, f in enumerate(found_reps):
            if f["start_ms"] < t["end_ms"] and t["start_ms"] < f["end_ms"]:
                candidates.append((abs(f["top_ms"] - t["top_ms"]), i, j))
    candidates.sort()
    used_t, used_f, pairs = set(), set(), []
    for _, i, j in candidates:
        if i not in used_t and j not in used_f:
            used_t.add(i)
            used_f.add(j)
            pairs.append((i, j))
    return pairs


def score_session(truth, found_reps):
    """Score one session: truth is the simulator's JSON dict, found_reps the detector's dicts."""
    true_reps = truth["reps"]
    pairs = match(true_reps, found_reps)
    sc = Score(true_reps=len(true_reps), found_reps=len(found_reps), matched=len(pairs))
    for i, j in pairs:
        t, f = true_reps[i], found_reps[j]
        sc.up_errors_ms.append(abs(f["up_ms"] - t["up_ms"]))
        sc.down_errors_ms.append(abs(f["down_ms"] - t["down_ms"]))
        if t["partial"]:
            sc.partial_true += 1
            sc.partial_flagged_right += bool(f["partial"])
    for s in truth["sets"]:
        members = [i for i, t in enumerate(true_reps) if t["set"] == s["set"]]
        lo = min(true_reps[i]["start_ms"] for i in members) if members else s["start_ms"]
        hi = max(true_reps[i]["end_ms"] for i in members) if members else s["end_ms"]
        counted = sum(1 for f in found_reps if lo - 1000 <= f["top_ms"] <= hi + 1000)
        sc.sets += 1
        sc.sets_exact += counted == len(members)
        sc.sets_within_one += abs(counted - len(members)) <= 1
    matched_found = {j for _, j in pairs}
    for d in truth["distractors"]:
        kind = d["kind"]
        sc.distractor_minutes[kind] = (
            sc.distractor_minutes.get(kind, 0.0) + (d["end_ms"] - d["start_ms"]) / 60000
        )
        false = sum(
            1
            for j, f in enumerate(found_reps)
            if j not in matched_found and d["start_ms"] <= f["top_ms"] <= d["end_ms"]
        )
        sc.false_in_distractors[kind] = sc.false_in_distractors.get(kind, 0) + false
    return sc


def percentile(values, q):
    """The q-th percentile (nearest rank) of a list; 0 for an empty one."""
    if not values:
        return 0
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def print_cases(cases, sessions, score_one):
    """One Markdown row per (name, case) of cases, summed over seeds 0..sessions-1:
    score_one(case, seed) scores one session."""
    print("| case | reps | F1 | sets exact | up/down err p95 ms |\n|---|---|---|---|---|")
    for name, case in cases:
        total = Score()
        for seed in range(sessions):
            total.add(score_one(case, seed))
        print(
            f"| {name} | {total.true_reps} | {total.f1:.4f} | {total.sets_exact_share:.0%} "
            f"| {percentile(total.up_errors_ms, 95)}/{percentile(total.down_errors_ms, 95)} |",
            flush=True,
        )
