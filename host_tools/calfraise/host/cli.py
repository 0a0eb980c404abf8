"""`calfraise sessions | show | export | plot | delete | date`: the stored sessions in the database.

--db PATH is a global option (calfraise --db PATH COMMAND); these commands also take it after
their name. They never create a database: a missing one is reported, so a mistyped path is not
mistaken for an empty history.
"""

import json
import sys
from contextlib import closing

from rich.console import Console

from calfraise.host.db import default_path, open_db
from calfraise.host.export import FORMATS, PICTURES, encode, encode_all, format_for, save
from calfraise.host.plan import load_plan
from calfraise.host.queries import (
    date_session,
    delete_session,
    list_sessions,
    load_session,
    rep_count,
)
from calfraise.host.tables import print_session, print_session_list
from calfraise.host.times import iso_utc, parse_when

DB_HELP = "session database (default: $XDG_DATA_HOME/calfraise/calfraise.db)"


def add_db_option(parser, default=None):
    """--db PATH. A sub-command's copy defaults to SUPPRESS: given, it overrides the global one;
    not given, it leaves the global one alone."""
    parser.add_argument("--db", metavar="PATH", default=default, help=DB_HELP)


def db_path(args):
    """The database a command works on: --db if given, else the default location."""
    return args.db if getattr(args, "db", None) else default_path()


def _existing_db(args):
    """The database, which must exist already: no command here creates one."""
    return closing(open_db(db_path(args), create=False))


def _command(subparsers, name, help_text, func):
    p = subparsers.add_parser(name, help=help_text)
    p.set_defaults(func=func)
    return p


def _session_id(p):
    p.add_argument("id", type=int, metavar="ID", help="session id (see `calfraise sessions`)")


def _print(args, value, table):
    """value as JSON with --json, else as table(console, value) draws it for a person."""
    if args.json:
        json.dump(value, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        table(Console(), value)


def add_sessions_parser(subparsers):
    p = _command(subparsers, "sessions", "list the sessions in the database", run_sessions)
    p.add_argument("--json", action="store_true", help="print a JSON list")


def run_sessions(args):
    with _existing_db(args) as db:
        sessions = list_sessions(db)
    _print(args, sessions, lambda console, s: print_session_list(console, s, db_path(args)))
    return 0


def add_show_parser(subparsers):
    p = _command(subparsers, "show", "one stored session, set by set", run_show)
    _session_id(p)
    p.add_argument("--json", action="store_true", help="print the session as JSON")


def run_show(args):
    with _existing_db(args) as db:
        session = load_session(db, args.id)
    _print(args, session, print_session)
    return 0


def _output(p, what, formats):
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help=f"{what} to write, its format from the suffix ({', '.join(formats)}); - for stdout",
    )
    p.add_argument("--format", choices=formats, help="the format, whatever the suffix")
    p.add_argument("--force", action="store_true", help="overwrite the output file if it exists")


def add_export_parser(subparsers):
    p = _command(
        subparsers, "export", "write a session, or all of them, as CSV, JSON or FIT", run_export
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "id", type=int, nargs="?", metavar="ID", help="session id (see `calfraise sessions`)"
    )
    which.add_argument("--all", action="store_true", help="every session in one file (CSV or JSON)")
    _output(p, "file", FORMATS)


def run_export(args):
    fmt = format_for(args.output, args.format, FORMATS)
    with _existing_db(args) as db:
        if args.all:
            sessions = [load_session(db, s["id"]) for s in list_sessions(db)]
            data = encode_all(sessions, fmt)
            what = f"{len(sessions)} sessions as {fmt.upper()}"
        else:
            session = load_session(db, args.id)
            data = encode(session, fmt, load_plan(db).variant)
            what = f"session {args.id} ({rep_count(session)} reps) as {fmt.upper()}"
    save(args.output, data, what, args.force)
    return 0


def add_plot_parser(subparsers):
    p = _command(subparsers, "plot", "draw a session's sets, reps and tempo (PNG or SVG)", run_plot)
    _session_id(p)
    _output(p, "picture", PICTURES)


def run_plot(args):
    from calfraise.host.plot import render

    fmt = format_for(args.output, args.format, PICTURES)
    with _existing_db(args) as db:
        session = load_session(db, args.id)
    what = f"the plot of session {args.id} as {fmt.upper()}"
    save(args.output, render(session, fmt), what, args.force)
    return 0


def add_delete_parser(subparsers):
    p = _command(subparsers, "delete", "remove a stored session from the database", run_delete)
    _session_id(p)


def run_delete(args):
    with _existing_db(args) as db:
        gone = delete_session(db, args.id)
    print(
        f"Deleted session {gone['id']} ({gone['start']}, {gone['reps']} reps, "
        f"{gone['device']} #{gone['device_session']}). The device keeps it marked synced: "
        "sync will not bring it back."
    )
    return 0


def add_date_parser(subparsers):
    p = _command(subparsers, "date", "give an undated (or estimated) session its start", run_date)
    _session_id(p)
    p.add_argument("when", metavar="WHEN", help='its start, local time: "2026-12-06 07:30"')


def run_date(args):
    start_ms = parse_when(args.when)
    with _existing_db(args) as db:
        date_session(db, args.id, start_ms)
    print(f"session {args.id} starts {iso_utc(start_ms)}")
    return 0
