"""`make bench`: prints the accuracy and cost tables (Markdown) for docs/benchmark.md."""

import argparse
import time

from calfraise.bench.accuracy import WALKING, percentile
from calfraise.bench.ble import ble_figures, ble_table
from calfraise.bench.corpus import score_corpus
from calfraise.bench.cost import cost_table as format_cost_table
from calfraise.bench.cost import mpy_size, per_sample_cost
from calfraise.bench.device import device_table
from calfraise.bench.host_cli import host_cli_figures, host_cli_table
from calfraise.bench.memory import memory_table, module_costs
from calfraise.bench.storage import storage_figures, storage_table

TIERS = ("clean", "varied", "hard")
TARGET_F1 = {"clean": 0.99, "varied": 0.98, "hard": 0.96}
TARGET_EXACT = {"clean": 0.97, "varied": 0.97, "hard": 0.93}
OTHER_DISTRACTORS = ("toe_raise", "weight_shift", "bump", "reclip", "handling")


def accuracy_table(totals, sessions):
    rows = [
        f"Corpus: {sessions} simulated sessions per tier (seeds 0..{sessions - 1}).",
        "",
        "| tier | reps | F1 (target) | precision | recall | sets exact (target) | sets ±1 "
        "| walking min | false reps/min walking | false reps/min other distractors "
        "| up err p50/p95 ms | down err p50/p95 ms | partial flagged |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for tier, s in totals.items():
        exact = s.sets_exact / s.sets if s.sets else 1.0
        rows.append(
            f"| {tier} | {s.true_reps} | {s.f1:.4f} (≥{TARGET_F1[tier]}) | {s.precision:.4f} "
            f"| {s.recall:.4f} | {exact:.1%} (≥{TARGET_EXACT[tier]:.0%}) "
            f"| {s.sets_within_one / max(1, s.sets):.1%} | {s.minutes([WALKING]):.1f} "
            f"| {s.false_per_minute([WALKING]):.3f} | {s.false_per_minute(OTHER_DISTRACTORS):.3f} "
            f"| {percentile(s.up_errors_ms, 50)}/{percentile(s.up_errors_ms, 95)} "
            f"| {percentile(s.down_errors_ms, 50)}/{percentile(s.down_errors_ms, 95)} "
            f"| {s.partial_flagged_right}/{s.partial_true} |"
        )
    return "\n".join(rows)


def cost_table():
    return format_cost_table(per_sample_cost(), mpy_size())


def main():
    parser = argparse.ArgumentParser(prog="python -m calfraise.bench")
    parser.add_argument("--sessions", type=int, default=50, help="sessions per tier")
    args = parser.parse_args()
    t0 = time.time()
    print("## Accuracy\n")
    print(accuracy_table(score_corpus(TIERS, args.sessions), args.sessions))
    print("\n## Cost\n")
    print(cost_table())
    print("\n## Device runtime\n")
    print(device_table())
    print("\n## Firmware memory\n")
    print(memory_table(module_costs()))
    print("\n## Storage\n")
    print(storage_table(storage_figures()))
    print("\n## BLE\n")
    print(ble_table(ble_figures()))
    print("\n## Host command line\n")
    print(host_cli_table(host_cli_figures()))
    print(f"\n(bench took {time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
