"""`calfraise simulate`: write one seeded simulated session as a trace CSV plus its truth JSON."""

import time

from calfraise.errors import UserError
from calfraise.trace import write_trace, write_truth

from . import KINDS


def add_simulate_parser(subparsers):
    p = subparsers.add_parser(
        "simulate", help="write a simulated session (trace CSV + truth JSON beside it)"
    )
    p.add_argument(
        "--tier",
        choices=KINDS,
        default="clean",
        help="clean: one posture, steady tempo, nothing else; varied: postures, tempos, "
        "distractors in rests; hard: all of it plus re-clipping and a lossy FIFO; the other "
        "kinds: one condition or one other exercise each (docs/simulator.md)",
    )
    p.add_argument("--seed", type=int, default=0, help="session number (same seed, same session)")
    p.add_argument(
        "--rate", type=float, metavar="HZ", help="override the sensor's output data rate"
    )
    p.add_argument("-o", "--output", required=True, metavar="TRACE.csv", help="trace CSV to write")
    p.set_defaults(func=run)


def run(args):
    if args.rate is not None and not 10 <= args.rate <= 2000:
        raise UserError(f"--rate {args.rate:g}: give an output data rate between 10 and 2000 Hz")
    from calfraise.sim import render
    from calfraise.sim.catalog import build_plan

    t0 = time.perf_counter()
    plan = build_plan(args.tier, args.seed)
    trace = render(plan, rate_hz=args.rate)
    truth = trace.truth
    sensor = truth["meta"]["sensor"]
    comments = (
        f"calfraise simulate --tier {args.tier} --seed {args.seed}",
        f"chip {sensor['chip']} at {trace.rate_hz:g} Hz, accel +-{sensor['accel_range_g']} g, "
        f"gyro +-{sensor['gyro_range_dps']} dps",
        "truth: the .json beside this file",
    )
    try:
        write_trace(args.output, trace.t_ms, trace.accel_g, trace.gyro_dps, comments)
        json_path = write_truth(args.output, truth)
    except OSError as err:
        raise UserError(f"cannot write {args.output}: {err.strerror}") from None
    kinds = {}
    for d in truth["distractors"]:
        kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
    extra = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "no distractors"
    print(
        f"{args.output}: {len(trace)} samples, {truth['duration_ms'] / 60000:.1f} min, "
        f"{len(truth['reps'])} reps in {len(truth['sets'])} sets, {extra} "
        f"({time.perf_counter() - t0:.2f} s); truth in {json_path}"
    )
    return 0
