"""`calfraise plan | progress`: the athlete's program, and how the weeks went against it.

`plan` with no option shows the plan; with options it changes and stores it (the database is
created if need be); the device gets it at the next `sync` or `live`. `progress` reads only.
"""

import argparse
import json
import sys
from contextlib import closing
from dataclasses import asdict
from pathlib import Path

from calfraise.errors import UserError
from calfraise.host.cli import db_path
from calfraise.host.db import open_db
from calfraise.host.plan import VARIANTS, Plan, changed, load_plan, save_plan


def _range(text):
    """'10-15' -> (10, 15); '12' -> (12, 12). argparse reports a bad one as a usage error."""
    low, _, high = text.partition("-")
    try:
        return int(low), int(high or low)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give LOW-HIGH, e.g. 10-15") from None


def _seconds_ms(text):
    try:
        return round(float(text) * 1000)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds, e.g. 2 or 2.5") from None


def add_plan_parser(subparsers):
    p = subparsers.add_parser(
        "plan", help="show or change the program (sets, reps, tempo, variant)"
    )
    p.add_argument("--variant", choices=VARIANTS, help="the raise: standing, seated, single-leg…")
    p.add_argument("--sets", type=int, help="sets per session")
    p.add_argument("--reps", type=int, help="target reps per set (the device cues it)")
    p.add_argument("--range", type=_range, metavar="LOW-HIGH", help="rep range, e.g. 10-15")
    p.add_argument("--sessions", type=_range, metavar="LOW-HIGH", help="sessions a week, e.g. 2-3")
    p.add_argument("--lower", type=_seconds_ms, metavar="S", help="lower the heels in ≥ S seconds")
    p.add_argument("--up", type=_seconds_ms, metavar="S", help="rise in about S seconds")
    p.add_argument("--tempo-cue", choices=("on", "off"), help="the device's LED metronome")
    p.add_argument(
        "--idle-end", type=int, metavar="S", help="seconds without a rep that end a session"
    )
    p.add_argument("--reset", action="store_true", help="back to the default plan first")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.set_defaults(func=run_plan)


def _changes(args):
    low, high = args.range or (None, None)
    s_low, s_high = args.sessions or (None, None)
    return {
        "variant": args.variant,
        "sets": args.sets,
        "reps": args.reps,
        "reps_min": low,
        "reps_max": high,
        "sessions_min": s_low,
        "sessions_max": s_high,
        "lower_ms": args.lower,
        "up_ms": args.up,
        "tempo_cue": None if args.tempo_cue is None else args.tempo_cue == "on",
        "idle_end_s": args.idle_end,
    }


def run_plan(args):
    values = _changes(args)
    path = Path(db_path(args))
    if args.reset or any(v is not None for v in values.values()):
        with closing(open_db(path)) as db:
            plan = save_plan(db, changed(Plan() if args.reset else load_plan(db), **values))
        note = "Stored. The device gets it at the next `calfraise sync` or `calfraise live`."
    elif path.exists():
        with closing(open_db(path, create=False)) as db:
            plan = load_plan(db)
        note = "Change it with options (`calfraise plan --help`)."
    else:
        plan, note = (
            Plan(),
            "The default plan: no database yet (`calfraise plan --reps N` stores one).",
        )
    if args.json:
        json.dump(asdict(plan), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print(describe(plan))
        print(note)
    return 0


def describe(plan):
    """The plan in a few lines a person reads."""
    variant = plan.variant.replace("_", "-")
    cue = "on" if plan.tempo_cue else "off"
    return "\n".join(
        (
            f"Variant:  {variant} calf raise",
            f"Sets:     {plan.sets} × {plan.reps} reps (range {plan.reps_min}-{plan.reps_max})",
            f"Sessions: {plan.sessions_min}-{plan.sessions_max} a week",
            f"Tempo:    up in {plan.up_ms / 1000:g} s, lower in ≥ {plan.lower_ms / 1000:g} s; "
            f"LED tempo cue {cue}",
            f"Idle end: {plan.idle_end_s} s without a rep ends a session",
        )
    )


def add_progress_parser(subparsers):
    p = subparsers.add_parser("progress", help="weeks of sessions against the plan; trends, bests")
    p.add_argument("--weeks", type=int, default=8, help="how many weeks back, this one included")
    p.add_argument("--json", action="store_true", help="print everything as JSON")
    p.add_argument(
        "--plot", metavar="FILE", help="also draw the weeks (PNG or SVG, from the suffix; - stdout)"
    )
    p.add_argument("--force", action="store_true", help="overwrite the --plot file if it exists")
    p.set_defaults(func=run_progress)


def run_progress(args):
    from calfraise.host.progress import progress

    if args.weeks < 1:
        raise UserError(f"--weeks {args.weeks}: give 1 or more")
    with closing(open_db(db_path(args), create=False)) as db:
        report = progress(db, weeks=args.weeks)
    if args.plot:
        from calfraise.host.export import PICTURES, format_for, save
        from calfraise.host.progress_plot import render_progress

        fmt = "png" if args.plot == "-" else format_for(args.plot, None, PICTURES)
        what = f"the progress plot as {fmt.upper()}"
        save(args.plot, render_progress(report, fmt), what, args.force, note=sys.stderr)
    if args.json:
        json.dump(report, sys.stdout, indent=1)
        sys.stdout.write("\n")
    elif args.plot != "-":
        from rich.console import Console

        from calfraise.host.tables import print_progress

        print_progress(Console(), report)
    return 0
