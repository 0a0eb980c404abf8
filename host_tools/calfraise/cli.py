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
    add_scan_parser,
    add_sync_parser,
)
from calfraise.host.cli import (
    add_db_option,
    add_export_parser,
    add_plot_parser,
    add_sessions_parser,
    add_show_parser,
)
from calfraise.host.db import describe
from calfraise.host.radio import add_radio_options
from calfraise.sim.cli import add_simulate_parser


def build_parser():
    parser = argparse.ArgumentParser(
        prog="calfraise", description="Calf-raise rep counter: host tools."
    )
    add_db_option(parser)
    add_radio_options(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_simulate_parser(sub)
    add_analyze_parser(sub)
    add_device_parser(sub)
    add_scan_parser(sub)
    add_live_parser(sub)
    add_sync_parser(sub)
    add_capture_parser(sub)
    add_sessions_parser(sub)
    add_show_parser(sub)
    add_export_parser(sub)
    add_plot_parser(sub)
    return parser


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
    print(f"calfraise: error: {message}", file=sys.stderr)
    return 2
