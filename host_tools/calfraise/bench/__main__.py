"""`make bench`: prints the accuracy, cost, memory, storage, BLE, host command line and
battery-life tables (Markdown) for docs/benchmark.md and docs/power.md."""

import argparse
import time

from calfraise.bench import outside, untuned
from calfraise.bench.accuracy import WALKING, percentile
from calfraise.bench.ble import ble_figures, ble_table
from calfraise.bench.corpus import score_corpus
from calfraise.bench.cost import cost_table as format_cost_table
from calfraise.bench.cost import mpy_size, per_sample_cost
from calfraise.bench.device import device_table
from calfraise.bench.host_cli import host_cli_figures, host_cli_table
from calfraise.bench.memory import memory_table, module_costs, parts_table
from calfraise.bench.power import power_figures, power_table
from calfraise.bench.soak import SOAK_HEAP, SOAK_HEAP_FROZEN, SOAK_HEAP_ROMFS, soak, soak_table
from calfraise.bench.storage import storage_figures, storage_table
from calfraise.sim import CONDITIONS, EXERCISES

TIERS = ("clean", "varied", "hard")
SOAK_HOURS = 8
TARGET_F1 = {"clean": 0.99, "varied": 0.98, "hard": 0.96}
TARGET_EXACT = {"clean": 0.97, "varied": 0.97, "hard": 0.93}
OTHER_DISTRACTORS = ("toe_raise", "weight_shift", "bump", "reclip", "handling")
TARGET_FALSE_PER_MIN = 0.1  # of any movement that is not a calf raise


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
        rows.append(
            f"| {tier} | {s.true_reps} | {s.f1:.4f} (≥{TARGET_F1[tier]}) | {s.precision:.4f} "
            f"| {s.recall:.4f} | {s.sets_exact_share:.1%} (≥{TARGET_EXACT[tier]:.0%}) "
            f"| {s.sets_within_one / max(1, s.sets):.1%} | {s.minutes([WALKING]):.1f} "
            f"| {s.false_per_minute([WALKING]):.3f} | {s.false_per_minute(OTHER_DISTRACTORS):.3f} "
            f"| {_p50_p95(s.up_errors_ms)} | {_p50_p95(s.down_errors_ms)} "
            f"| {s.partial_flagged_right}/{s.partial_true} |"
        )
    return "\n".join(rows)


def _p50_p95(errors_ms):
    """A phase error column: median/p95, ms."""
    return f"{percentile(errors_ms, 50)}/{percentile(errors_ms, 95)}"


def condition_table(totals, sessions):
    """One row per condition kind (sim/conditions.py): every rep counted and timed?"""
    rows = [
        f"{sessions} simulated sessions per kind (seeds 0..{sessions - 1}); targets as for the "
        "varied tier: F1 ≥ 0.98, sets exact ≥ 97 %, phase p95 ≤ 120 ms.",
        "",
        "| condition | reps | F1 | precision | recall | sets exact | up err p50/p95 ms "
        "| down err p50/p95 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, s in totals.items():
        rows.append(
            f"| {kind} | {s.true_reps} | {s.f1:.4f} | {s.precision:.4f} | {s.recall:.4f} "
            f"| {s.sets_exact_share:.1%} | {_p50_p95(s.up_errors_ms)} "
            f"| {_p50_p95(s.down_errors_ms)} |"
        )
    return "\n".join(rows)


def exercise_table(totals, sessions):
    """One row per other exercise (sim/exercises.py): false reps per minute of it."""
    rows = [
        f"{sessions} simulated sessions per exercise (seeds 0..{sessions - 1}): a calf-raise set, "
        "3-5 bouts of the exercise, another set.",
        "",
        "| exercise | minutes of it | false reps "
        f"| false reps/min (target ≤ {TARGET_FALSE_PER_MIN}) | F1 of the sets around it |",
        "|---|---|---|---|---|",
    ]
    for kind, s in totals.items():
        rows.append(
            f"| {kind} | {s.minutes([kind]):.1f} | {s.false_in_distractors.get(kind, 0)} "
            f"| {s.false_per_minute([kind]):.3f} | {s.f1:.4f} |"
        )
    return "\n".join(rows)


def cost_table():
    return format_cost_table(per_sample_cost(), mpy_size())


def main():
    parser = argparse.ArgumentParser(prog="python -m calfraise.bench")
    parser.add_argument("--sessions", type=int, default=50, help="sessions per tier")
    parser.add_argument(
        "--kind-sessions", type=int, default=20, help="sessions per condition and exercise kind"
    )
    parser.add_argument(
        "--accuracy-only", action="store_true", help="only the accuracy tables (while iterating)"
    )
    args = parser.parse_args()
    t0 = time.time()
    print("## Accuracy\n")
    print(accuracy_table(score_corpus(TIERS, args.sessions), args.sessions))
    print("\n### Conditions a real foot brings\n")
    print(condition_table(score_corpus(CONDITIONS, args.kind_sessions), args.kind_sessions))
    print("\n### Other exercises\n")
    print(exercise_table(score_corpus(EXERCISES, args.kind_sessions), args.kind_sessions))
    if args.accuracy_only:
        print(f"\n(bench took {time.time() - t0:.0f} s)")
        return
    print("\n### Conditions not tuned for\n")
    untuned.main()
    print("\n### A second, independent model\n")
    outside.main()
    print("\n## Cost\n")
    print(cost_table())
    print("\n## Device runtime\n")
    print(device_table())
    print("\n## Firmware memory\n")
    print(memory_table(module_costs()))
    print("\n### Run in place from a ROMFS image\n")
    romfs_costs = module_costs(deployment="romfs")
    print(memory_table(romfs_costs))
    print()
    print(parts_table(romfs_costs))
    print("\n### Frozen into the interpreter\n")
    print(memory_table(module_costs(deployment="frozen")))
    print("\n## Soak\n")
    print(soak_table(soak(SOAK_HOURS, SOAK_HEAP_ROMFS, "romfs")))
    print()
    print(soak_table(soak(SOAK_HOURS, SOAK_HEAP_FROZEN, "frozen")))
    print()
    print(soak_table(soak(SOAK_HOURS, SOAK_HEAP)))
    print("\n## Storage\n")
    print(storage_table(storage_figures()))
    print("\n## BLE\n")
    print(ble_table(ble_figures()))
    print("\n## Host command line\n")
    print(host_cli_table(host_cli_figures()))
    print("\n## Battery life\n")
    print(power_table(power_figures()))
    print(f"\n(bench took {time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
