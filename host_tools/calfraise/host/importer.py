"""Storing a downloaded session file: what `calfraise sync` calls once per session it fetched.

The file is parsed with firmware/calfraise_fw/records.py, the reader the board itself uses, so
the host never reads a byte differently. The raw bytes are kept too: a later schema can re-read
them. A session is keyed by (device, the device's session id): importing it again stores nothing.
"""

import io
import json
from binascii import crc32
from dataclasses import dataclass

from calfraise.errors import UserError
from calfraise.host.db import transaction
from calfraise.host.times import iso_utc, now_ms
from calfraise_fw.readback import read_session
from calfraise_fw.records import RecordError


class CorruptSession(UserError):
    """The bytes are not a usable session file (no good record, or no session id anywhere)."""


class SessionConflict(UserError):
    """The device's session id is already stored with other bytes (a wiped device reusing ids)."""


@dataclass(frozen=True)
class Imported:
    """What import_session did: the database id, whether anything was stored (new), and counts."""

    id: int
    new: bool
    device: str
    device_session: int
    sets: int
    reps: int
    skipped: int  # corrupt stretches the reader dropped (see records.Reader)


def import_session(db, device_id, session_bytes, *, session_id=None, now_unix_ms=None):
    """Parse and store one session file from device `device_id`; idempotent.

    session_id: the id the device listed the file under; needed only when the file's HEADER
    record is damaged, checked against it otherwise. now_unix_ms: the import time (for tests).
    Raises CorruptSession or SessionConflict (both UserError); stores all or nothing.
    """
    if not isinstance(device_id, str) or not device_id:
        raise ValueError("device_id must be a non-empty string")
    data = bytes(session_bytes)
    try:
        parsed = read_session(io.BytesIO(data))
    except RecordError as err:
        raise CorruptSession(f"device {device_id}: {err}") from None
    sid = _session_id(device_id, parsed["header"], session_id)
    stamp = iso_utc(now_ms() if now_unix_ms is None else now_unix_ms)
    sets = derive_sets(parsed["reps"], parsed["sets"])
    with transaction(db):
        device = _device_row(db, device_id, parsed["header"], stamp)
        row = db.execute(
            "SELECT id, crc32 FROM sessions WHERE device = ? AND device_session = ?",
            (device, sid),
        ).fetchone()
        if row is None:
            new = True
            db_id = _insert(db, device, sid, parsed, sets, data, stamp)
        elif row["crc32"] == crc32(data):
            new = False
            db_id = row["id"]
        else:
            raise SessionConflict(
                f"device {device_id} session {sid} is already stored (as {row['id']}) with "
                "different contents"
            )
    return Imported(db_id, new, device_id, sid, len(sets), len(parsed["reps"]), parsed["skipped"])


def _session_id(device_id, header, listed):
    if header is None and listed is None:
        raise CorruptSession(
            f"device {device_id}: the session's header record is damaged and no session id "
            "was given"
        )
    if header is not None and listed is not None and header["id"] != listed:
        raise CorruptSession(
            f"device {device_id}: file listed as session {listed} holds session {header['id']}"
        )
    return header["id"] if header is not None else listed


def derive_sets(reps, set_ends):
    """One row per set: the device's SET_END where it wrote one (ended), else from the reps.

    A session cut by a power loss or a full flash has reps of a set whose end was never
    recorded; those sets still count, marked ended=False.
    """
    by_no = {}
    for rep in reps:
        s = by_no.setdefault(
            rep["set"],
            {"set": rep["set"], "reps": 0, "start_ms": rep["start_ms"], "ended": False},
        )
        s["reps"] += 1
        s["end_ms"] = rep["end_ms"]
    for end in set_ends:
        by_no[end["set"]] = {**end, "ended": True}
    return [by_no[n] for n in sorted(by_no)]


def _session_end_ms(parsed, sets):
    """Ms from the start to the end: the END record's, else the last thing that happened."""
    if parsed["end"] is not None:
        return parsed["end"]["end_ms"]
    times = [s["end_ms"] for s in sets] + [r["end_ms"] for r in parsed["reps"]]
    return max(times, default=0)


def session_start(parsed):
    """(Unix ms, how it is known) of a parsed session's start: the device's clock ("device"),
    else estimated from the last time the device knew before the power-on run that recorded
    it plus the run's time at the start ("estimated": the run may have begun later), else
    (None, None). docs/device.md, Time."""
    if parsed["wall_ms"] is not None:
        return parsed["wall_ms"], "device"
    run = parsed["run"]
    if run is not None and run["known_ms"]:
        return run["known_ms"] + run["run_ms"], "estimated"
    return None, None


def _device_row(db, device_id, header, stamp):
    board = header["board"] if header else None
    firmware = header["firmware"] if header else None
    db.execute(
        "INSERT INTO devices (device_id, board, firmware, first_seen, last_seen) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET "
        "board = coalesce(excluded.board, board), "
        "firmware = coalesce(excluded.firmware, firmware), last_seen = excluded.last_seen",
        (device_id, board, firmware, stamp, stamp),
    )
    return db.execute("SELECT id FROM devices WHERE device_id = ?", (device_id,)).fetchone()[0]


_SET_COLUMNS = ("reps", "start_ms", "end_ms", "ended")
_REP_COLUMNS = ("rep", "start_ms", "top_ms", "lower_ms", "end_ms", "amplitude_cdeg", "partial")


def _insert_sql(table, row):
    """INSERT for a dict whose keys are the column names (bound by name)."""
    return f"INSERT INTO {table} ({', '.join(row)}) VALUES (:{', :'.join(row)})"


def _insert_rows(db, table, rows):
    if rows:
        db.executemany(_insert_sql(table, rows[0]), rows)


def _insert(db, device, sid, parsed, sets, data, stamp):
    header = parsed["header"] or {}
    end = parsed["end"]
    start_ms, dated_by = session_start(parsed)
    row = {
        "device": device,
        "device_session": sid,
        "start_ms": start_ms,
        "dated_by": dated_by,
        "t0_ms": header.get("t0_ms"),
        "end_ms": _session_end_ms(parsed, sets),
        "end_reason": end["reason"] if end else None,
        "board": header.get("board"),
        "firmware": header.get("firmware"),
        "settings": json.dumps(header.get("settings") or {}),
        "raw": data,
        "size": len(data),
        "crc32": crc32(data),
        "skipped": parsed["skipped"],
        "imported_at": stamp,
    }
    db_id = db.execute(_insert_sql("sessions", row), row).lastrowid
    _insert_rows(
        db,
        "sets",
        [{"session": db_id, "set_no": s["set"], **{c: s[c] for c in _SET_COLUMNS}} for s in sets],
    )
    _insert_rows(
        db,
        "reps",
        [
            {"session": db_id, "seq": seq, "set_no": r["set"], **{c: r[c] for c in _REP_COLUMNS}}
            for seq, r in enumerate(parsed["reps"])
        ],
    )
    return db_id
