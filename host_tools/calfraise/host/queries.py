"""Reading sessions back out of the database, as the plain dicts every command works from.

The shapes (documented in docs/host.md) are what `sessions --json`, `show --json` and
`export --format json` print, so a script sees the same fields everywhere.
"""

import json

from calfraise.errors import UserError
from calfraise.host.db import transaction
from calfraise.host.times import iso_utc
from calfraise_fw.detector import _SET_GAP_MS as SET_GAP_MS  # the detector's, written once

# A session's length (duration_ms everywhere: sessions, show, plot, FIT). One that ended by
# timeout waited idle_end_s after its last rep before the device closed it; that idle tail is
# not training, so its length ends where the detector closed the last set: the last rep's end
# plus the set gap (never later than the device's END record).
_LENGTH = f"""
    CASE WHEN s.end_reason = 'timeout' THEN min(s.end_ms, {SET_GAP_MS} + max(
        coalesce((SELECT max(end_ms) FROM reps WHERE session = s.id), 0),
        coalesce((SELECT max(end_ms) FROM sets WHERE session = s.id), 0)))
    ELSE s.end_ms END"""

_SUMMARY = f"""
    SELECT s.id, d.device_id, s.device_session, s.start_ms, s.dated_by, {_LENGTH} AS length_ms,
           s.end_reason,
           s.board, s.firmware, s.settings, s.size, s.crc32, s.skipped, s.imported_at,
           s.variant,
           (SELECT count(*) FROM sets WHERE session = s.id) AS n_sets,
           (SELECT coalesce(sum(reps), 0) FROM sets WHERE session = s.id) AS n_reps,
           (SELECT count(*) FROM reps WHERE session = s.id AND partial) AS n_partial
    FROM sessions s JOIN devices d ON d.id = s.device
"""


class UnknownSession(UserError):
    """No session with that id in the database."""


def _summary(row):
    return {
        "id": row["id"],
        "device": row["device_id"],
        "device_session": row["device_session"],
        "start": iso_utc(row["start_ms"]),
        "start_ms": row["start_ms"],
        "dated_by": row["dated_by"],
        "duration_ms": row["length_ms"],
        "end_reason": row["end_reason"],
        "sets": row["n_sets"],
        "reps": row["n_reps"],
        "partial": row["n_partial"],
        "imported": row["imported_at"],
        "variant": row["variant"],  # the plan's when it was synced (None: before plans)
    }


def list_sessions(db):
    """Every session, oldest first (undated ones last), as summaries: counts, not reps."""
    rows = db.execute(_SUMMARY + " ORDER BY s.start_ms IS NULL, s.start_ms, s.id").fetchall()
    return [_summary(row) for row in rows]


def _rep(row):
    return {
        "set": row["set_no"],
        "rep": row["rep"],
        "start_ms": row["start_ms"],
        "top_ms": row["top_ms"],
        "lower_ms": row["lower_ms"],
        "end_ms": row["end_ms"],
        "up_ms": row["top_ms"] - row["start_ms"],
        "hold_ms": row["lower_ms"] - row["top_ms"],
        "down_ms": row["end_ms"] - row["lower_ms"],
        "amplitude_deg": row["amplitude_cdeg"] / 100,
        "partial": bool(row["partial"]),
    }


def set_summary(row, reps):
    """One set as every consumer reports it (show, plot, the web page, progress, the exports).

    Its rep count is the device's: the SET_END record's, or for a set never closed (a power
    cut, a session stopped mid-set) the reps stored for it (importer.derive_sets). The tempo
    figures average the reps stored for it, which are fewer only when the flash filled up.
    """
    members = [r for r in reps if r["set"] == row["set_no"]]
    n = len(members) or 1  # a set the device ended with no rep stored (all lost): means are 0
    return {
        "set": row["set_no"],
        "reps": row["reps"],
        "start_ms": row["start_ms"],
        "end_ms": row["end_ms"],
        "ended": bool(row["ended"]),
        "partial": sum(r["partial"] for r in members),
        "mean_up_ms": round(sum(r["up_ms"] for r in members) / n),
        "mean_down_ms": round(sum(r["down_ms"] for r in members) / n),
        "tension_ms": sum(r["end_ms"] - r["start_ms"] for r in members),
    }


def rep_count(session):
    """A loaded session's reps: the sum of its sets' counts (its "reps" holds the stored ones)."""
    return sum(s["reps"] for s in session["sets"])


def load_session(db, session_id):
    """One whole session: its summary plus board, firmware, settings, file facts, sets, reps.

    Times in sets and reps are ms from the session's start (start_ms, Unix ms, None if the
    device's clock was never set). Raises UnknownSession.
    """
    row = db.execute(_SUMMARY + " WHERE s.id = ?", (session_id,)).fetchone()
    if row is None:
        total = db.execute("SELECT count(*) FROM sessions").fetchone()[0]
        hint = (
            "the database is empty: `calfraise sync` fills it"
            if not total
            else ("`calfraise sessions` lists them")
        )
        raise UnknownSession(f"no session {session_id} ({hint})")
    reps = [
        _rep(r)
        for r in db.execute("SELECT * FROM reps WHERE session = ? ORDER BY seq", (session_id,))
    ]
    sets = [
        set_summary(s, reps)
        for s in db.execute("SELECT * FROM sets WHERE session = ? ORDER BY set_no", (session_id,))
    ]
    session = _summary(row)
    session.update(
        board=row["board"],
        firmware=row["firmware"],
        settings=json.loads(row["settings"]),
        size=row["size"],
        crc32=row["crc32"],
        skipped=row["skipped"],
        sets=sets,
        reps=reps,
    )
    return session


def date_session(db, session_id, start_ms):
    """Give a stored session the start the user says (Unix ms): dated_by "user"."""
    with transaction(db):
        changed = db.execute(
            "UPDATE sessions SET start_ms = ?, dated_by = 'user' WHERE id = ?",
            (start_ms, session_id),
        ).rowcount
    if not changed:
        raise UnknownSession(f"no session {session_id} in the database")


def delete_session(db, session_id):
    """Remove one session with its sets and reps; returns its summary. Raises UnknownSession."""
    with transaction(db):
        row = db.execute(_SUMMARY + " WHERE s.id = ?", (session_id,)).fetchone()
        if row is None:
            load_session(db, session_id)  # raises UnknownSession with its hint
        db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
    return _summary(row)
