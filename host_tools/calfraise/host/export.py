"""`calfraise export`: one stored session as CSV (a row per rep), JSON (the whole session) or FIT
(a strength-training activity for Garmin Connect and friends; calfraise.host.fitfile); every
session at once as CSV (a row per rep, the session's id first) or JSON (a list of sessions)."""

import csv
import io
import json
import os
import sys
from pathlib import Path

from calfraise.errors import UserError

FORMATS = ("csv", "json", "fit")
PICTURES = ("png", "svg")  # what `calfraise plot` draws
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


def _rep_row(rep):
    return [int(rep[c]) if c == "partial" else rep[c] for c in CSV_COLUMNS]


def csv_text(session):
    """One row per rep; times are ms from the session's start, partial is 1 or 0."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for rep in session["reps"]:
        writer.writerow(_rep_row(rep))
    return out.getvalue()


def encode_all(sessions, fmt):
    """Every session in one file: CSV rows per rep led by the session's id and start (ISO
    UTC), or a JSON list of sessions as load_session gives them. FIT holds one activity."""
    if fmt == "json":
        return (json.dumps(sessions, indent=1) + "\n").encode()
    if fmt != "csv":
        raise UserError(f"--all writes CSV or JSON; a {fmt.upper()} file holds one session")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("session", "session_start", *CSV_COLUMNS))
    for s in sessions:
        for rep in s["reps"]:
            writer.writerow([s["id"], s["start"], *_rep_row(rep)])
    return out.getvalue().encode()


def json_text(session):
    """The session as load_session gives it (the same document as `show --json`)."""
    return json.dumps(session, indent=1) + "\n"


def encode(session, fmt, variant=None):
    """The session in format fmt (one of FORMATS) as bytes; variant: the plan's, for a FIT
    exercise name when the session has none recorded."""
    if fmt == "csv":
        return csv_text(session).encode()
    if fmt == "json":
        return json_text(session).encode()
    if fmt == "fit":
        from calfraise.host.fitfile import fit_bytes  # fit-tool takes a tenth of a second to load

        return fit_bytes(session, variant)
    raise ValueError(f"unknown export format {fmt!r}")


def format_for(path, fmt, formats=FORMATS):
    """The format asked for, else the one the output file's suffix names (one of formats)."""
    if fmt:
        return fmt
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in formats:
        return suffix
    what = "stdout (-)" if path == "-" else path
    raise UserError(f"cannot tell the format from {what}: give --format {'|'.join(formats)}")


def write_output(path, data, force=False):
    """Write bytes to the file a person named, or to stdout for "-"; returns where ("stdout"
    or the path). An existing file is kept unless force; failures are UserErrors.

    The bytes go to a file beside the output first, renamed into place once all of them are on
    the disk: a full disk or a cut leaves the output as it was, never a partial file. A
    device or pipe named as output (/dev/null, a FIFO) is written directly.
    """
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return "stdout"
    target = Path(path)
    if target.exists() and not force:
        raise UserError(f"{path} exists: give --force to overwrite it")
    try:
        if target.exists() and not target.is_file():
            target.write_bytes(data)
        else:
            _replace(target, data)
    except OSError as err:
        raise UserError(f"cannot write {path}: {err.strerror or err}") from None
    return path


def save(path, data, what, force=False, note=None):
    """write_output(), then say what was written where: on `note` (a stream), by default on
    stdout, or on stderr when the data itself went to stdout. One helper for every output file
    of export, plot and progress --plot."""
    where = write_output(path, data, force)
    if note is None:
        note = sys.stderr if where == "stdout" else sys.stdout
    print(f"Wrote {what} to {where} ({len(data):,} bytes).", file=note)


def _replace(target, data):
    """Put data at target atomically: a temporary file beside it, synced, then renamed."""
    part = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with open(part, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # a full disk shows here at the latest, before the rename
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
