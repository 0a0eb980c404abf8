"""`calfraise export`: one stored session as CSV (a row per rep), JSON (the whole session) or FIT
(a strength-training activity for Garmin Connect and friends; calfraise.host.fitfile)."""

import csv
import io
import json
from pathlib import Path

from calfraise.errors import UserError

FORMATS = ("csv", "json", "fit")
CSV_COLUMNS = (
    "set",
    "rep",
    "start_ms",
    "top_ms",
    "lower_ms",
    "end_ms",
    "up_ms",
    "hold_ms",
    "down_ms",
    "amplitude_deg",
    "partial",
)


def csv_text(session):
    """One row per rep; times are ms from the session's start, partial is 1 or 0."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for rep in session["reps"]:
        writer.writerow([int(rep[c]) if c == "partial" else rep[c] for c in CSV_COLUMNS])
    return out.getvalue()


def json_text(session):
    """The session as load_session gives it (the same document as `show --json`)."""
    return json.dumps(session, indent=1) + "\n"


def encode(session, fmt):
    """The session in format fmt (one of FORMATS) as bytes."""
    if fmt == "csv":
        return csv_text(session).encode()
    if fmt == "json":
        return json_text(session).encode()
    if fmt == "fit":
        from calfraise.host.fitfile import fit_bytes  # fit-tool takes a tenth of a second to load

        return fit_bytes(session)
    raise ValueError(f"unknown export format {fmt!r}")


def format_for(path, fmt):
    """The format asked for, else the one the output file's suffix names."""
    if fmt:
        return fmt
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    raise UserError(f"cannot tell the format from {path}: give --format {'|'.join(FORMATS)}")


def write_output(path, data):
    """Write bytes to a file a person named; a failure is theirs to fix, so a UserError."""
    try:
        Path(path).write_bytes(data)
    except OSError as err:
        raise UserError(f"cannot write {path}: {err.strerror or err}") from None
