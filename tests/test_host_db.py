"""The session database: where it lives, schema migration (older migrated, newer refused, all or
nothing), and importing session files: every field kept, idempotent, damage counted."""

import sqlite3
import struct
from binascii import crc32
from contextlib import closing

import pytest

from calfraise.host import db as dbmod
from calfraise.host.db import APPLICATION_ID, DatabaseError, default_path, open_db, schema_version
from calfraise.host.importer import CorruptSession, SessionConflict, import_session
from calfraise.host.queries import SET_GAP_MS, UnknownSession, list_sessions, load_session
from calfraise_fw import records
from host_sessions import SETTINGS, T0, WALL_MS, session_file, workout

REPS = workout(sets=2, reps_per_set=4)


@pytest.fixture
def db(tmp_path):
    conn = open_db(tmp_path / "c.db")
    yield conn
    conn.close()


def _count(conn, table):
    return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_default_path_follows_xdg(tmp_path):
    assert default_path({"XDG_DATA_HOME": "/data", "HOME": "/home/a"}) == (
        dbmod.Path("/data/calfraise/calfraise.db")
    )
    for env in ({"HOME": "/home/a"}, {"XDG_DATA_HOME": "rel/dir", "HOME": "/home/a"}):
        assert default_path(env) == dbmod.Path("/home/a/.local/share/calfraise/calfraise.db")


def test_new_database_is_at_the_latest_version_and_marked(tmp_path):
    path = tmp_path / "deep" / "dir" / "c.db"
    conn = open_db(path)
    assert schema_version(conn) == len(dbmod.MIGRATIONS)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"devices", "sessions", "sets", "reps"} <= tables
    conn.close()


def _today_with_a_session(path):
    """A database at today's schema version holding one session; that version."""
    with closing(open_db(path)) as conn:
        import_session(conn, "CF-1", session_file(1, REPS))
    return len(dbmod.MIGRATIONS)


def _next_version(monkeypatch, *sql):
    """Pretend a later calfraise: one more migration step."""
    monkeypatch.setattr(dbmod, "MIGRATIONS", dbmod.MIGRATIONS + (sql,))


def test_older_database_is_migrated_keeping_its_sessions(tmp_path, monkeypatch):
    path = tmp_path / "c.db"
    old = _today_with_a_session(path)
    _next_version(
        monkeypatch,
        "ALTER TABLE sessions ADD COLUMN note TEXT",
        "UPDATE sessions SET note = 'kept'",
    )
    conn = open_db(path, create=False)
    assert schema_version(conn) == old + 1
    assert [tuple(r) for r in conn.execute("SELECT note FROM sessions")] == [("kept",)]
    assert len(load_session(conn, 1)["reps"]) == len(REPS)
    conn.close()


def test_a_failing_migration_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "c.db"
    old = _today_with_a_session(path)
    _next_version(
        monkeypatch, "ALTER TABLE sessions ADD COLUMN note TEXT", "ALTER TABLE nowhere ADD COLUMN x"
    )
    with pytest.raises(DatabaseError, match="no such table: nowhere"):
        open_db(path)
    monkeypatch.undo()
    conn = open_db(path)
    assert schema_version(conn) == old
    columns = [r["name"] for r in conn.execute("PRAGMA table_info(sessions)")]
    assert "note" not in columns
    conn.close()


def test_newer_database_is_refused(tmp_path):
    path = tmp_path / "c.db"
    open_db(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version = {len(dbmod.MIGRATIONS) + 1}")
    with pytest.raises(DatabaseError, match="newer than this calfraise knows.*upgrade"):
        open_db(path)


@pytest.mark.parametrize("kind", ["other sqlite", "not sqlite", "missing"])
def test_unusable_files_are_refused(tmp_path, kind):
    path = tmp_path / "c.db"
    if kind == "other sqlite":
        with sqlite3.connect(path) as raw:
            raw.execute("CREATE TABLE notes (text TEXT)")
        words = "not calfraise's"
    elif kind == "not sqlite":
        path.write_bytes(b"PNG and then some bytes that are not a database at all" * 20)
        words = "not a database"
    else:
        words = "no database at"
    with pytest.raises(DatabaseError, match=words):
        open_db(path, create=False)


def test_import_keeps_every_field(db):
    data = session_file(7, REPS)
    got = import_session(db, "CF-1A2B", data, now_unix_ms=WALL_MS + 3_600_000)
    assert (got.new, got.device, got.device_session, got.sets, got.reps, got.skipped) == (
        True,
        "CF-1A2B",
        7,
        2,
        len(REPS),
        0,
    )
    s = load_session(db, got.id)
    assert s["start"] == "2026-01-01T08:00:00.000Z" and s["start_ms"] == WALL_MS
    assert s["imported"] == "2026-01-01T09:00:00.000Z"
    assert (s["board"], s["firmware"], s["settings"]) == ("atom_matrix", "0.1.0", SETTINGS)
    assert s["end_reason"] == "timeout" and s["duration_ms"] == REPS[-1]["end_ms"] + SET_GAP_MS
    assert (s["size"], s["crc32"], s["skipped"]) == (len(data), crc32(data), 0)
    for stored, made in zip(s["reps"], REPS, strict=True):
        assert stored["amplitude_deg"] == made["amplitude_cdeg"] / 100
        assert stored["up_ms"] == made["top_ms"] - made["start_ms"]
        for key in ("set", "rep", "start_ms", "top_ms", "lower_ms", "end_ms", "partial"):
            assert stored[key] == made[key]
    assert [(x["set"], x["reps"], x["ended"], x["partial"]) for x in s["sets"]] == [
        (1, 4, True, 1),
        (2, 4, True, 1),
    ]
    raw = db.execute("SELECT raw FROM sessions WHERE id = ?", (got.id,)).fetchone()[0]
    assert raw == data


def test_second_import_stores_nothing(db):
    data = session_file(7, REPS)
    first = import_session(db, "CF-1", data)
    counts = [_count(db, t) for t in ("devices", "sessions", "sets", "reps")]
    again = import_session(db, "CF-1", data)
    assert again.new is False and again.id == first.id
    assert [_count(db, t) for t in ("devices", "sessions", "sets", "reps")] == counts
    other_device = import_session(db, "CF-2", data)
    assert other_device.new and other_device.id != first.id
    assert [s["device"] for s in list_sessions(db)] == ["CF-1", "CF-2"]


def test_same_id_other_bytes_is_a_conflict_and_changes_nothing(db):
    import_session(db, "CF-1", session_file(7, REPS))
    with pytest.raises(SessionConflict, match="CF-1 session 7 is already stored"):
        import_session(db, "CF-1", session_file(7, REPS[:3]))
    assert _count(db, "reps") == len(REPS)


def _frame_offsets(data):
    """(kind, offset) of every frame in a good session file."""
    out, at = [], 0
    while at < len(data):
        n = struct.unpack_from("<H", data, at + 3)[0]
        out.append((data[at + 2], at))
        at += records.OVERHEAD + n
    return out


def test_corrupt_records_are_skipped_and_counted(db):
    data = bytearray(session_file(7, REPS))
    rep_frames = [at for kind, at in _frame_offsets(data) if kind == records.REP]
    for at in rep_frames[1], rep_frames[5]:
        data[at + records.HEAD_SIZE + 2] ^= 0xFF  # a flipped byte: the CRC no longer matches
    got = import_session(db, "CF-1", bytes(data))
    assert (got.new, got.reps, got.skipped) == (True, len(REPS) - 2, 2)
    assert load_session(db, got.id)["skipped"] == 2
    assert list_sessions(db)[0]["reps"] == len(REPS)  # counted: the set ends still have them


def test_damaged_header_needs_the_listed_id(db):
    data = bytearray(session_file(7, REPS))
    data[records.HEAD_SIZE] ^= 0xFF
    with pytest.raises(CorruptSession, match="header record is damaged"):
        import_session(db, "CF-1", bytes(data))
    got = import_session(db, "CF-1", bytes(data), session_id=7)
    s = load_session(db, got.id)
    assert (s["device_session"], s["board"], s["start_ms"], s["settings"]) == (7, None, None, {})
    assert len(s["reps"]) == len(REPS) and got.skipped == 1


def test_listed_id_must_match_the_header(db):
    with pytest.raises(CorruptSession, match="listed as session 8 holds session 7"):
        import_session(db, "CF-1", session_file(7, REPS), session_id=8)


def test_not_a_session_file(db):
    with pytest.raises(CorruptSession, match="not a session file"):
        import_session(db, "CF-1", b"\x00garbage" * 40)
    assert _count(db, "sessions") == 0 and _count(db, "devices") == 0


def test_interrupted_session_keeps_its_sets(db):
    """No SET_END, no END (a power cut): sets come from the reps, the end from the last rep."""
    got = import_session(db, "CF-1", session_file(7, REPS, set_ends=False, end=None))
    s = load_session(db, got.id)
    assert s["end_reason"] is None and s["duration_ms"] == REPS[-1]["end_ms"]
    assert [(x["set"], x["reps"], x["ended"]) for x in s["sets"]] == [(1, 4, False), (2, 4, False)]
    assert s["sets"][0]["start_ms"] == REPS[0]["start_ms"]


def test_clock_fix_dates_an_undated_session(db):
    data = bytearray(session_file(7, REPS, wall_ms=None, end=None))
    at = len(data)
    data.extend(bytes(records.frame_size(records.CLOCK_FIX)))
    records.put_clock_fix(data, at, T0 + 60000, WALL_MS + 60000, T0)
    dated = import_session(db, "CF-1", bytes(data))
    undated = import_session(db, "CF-2", session_file(7, REPS, wall_ms=None))
    assert load_session(db, dated.id)["start_ms"] == WALL_MS
    assert load_session(db, undated.id)["start"] is None
    assert [s["id"] for s in list_sessions(db)] == [dated.id, undated.id]  # undated last


def test_a_session_begun_before_the_clock_was_set_is_dated_by_estimate(db):
    """A RUN record (docs/device.md, Time): the last wall time the board knew, plus how long
    its power-on run had been going when the session began."""
    head = records.header(7, T0, None, "0.1.0", "atom_matrix", SETTINGS)
    run = bytearray(records.frame_size(records.RUN))
    records.put(run, 0, records.RUN, 2, 45_000, WALL_MS - 3_600_000)
    data = session_file(7, REPS, wall_ms=None)
    assert data.startswith(head)
    got = import_session(db, "CF-1", head + run + data[len(head) :])
    s = load_session(db, got.id)
    assert (s["start_ms"], s["dated_by"]) == (WALL_MS - 3_600_000 + 45_000, "estimated")


def test_unknown_session(db):
    with pytest.raises(UnknownSession, match="database is empty"):
        load_session(db, 1)
    import_session(db, "CF-1", session_file(7, REPS))
    with pytest.raises(UnknownSession, match="no session 2 .*calfraise sessions"):
        load_session(db, 2)


def test_a_device_id_must_be_a_non_empty_string(db):
    data = session_file(3, REPS)
    for device_id in ("", None, 7):
        with pytest.raises(ValueError, match="device_id must be a non-empty string"):
            import_session(db, device_id, data)
    assert _count(db, "sessions") == 0


def test_a_session_with_one_rep_and_one_set(db):
    one = workout(sets=1, reps_per_set=1)
    got = import_session(db, "dev", session_file(4, one))
    assert (got.sets, got.reps) == (1, 1)
    stored = load_session(db, got.id)
    assert [(r["set"], r["rep"]) for r in stored["reps"]] == [(1, 1)]
    assert [s["reps"] for s in stored["sets"]] == [1]


def test_a_session_with_nothing_after_its_header_lasts_nothing(db):
    got = import_session(db, "dev", session_file(5, [], set_ends=False, end=None))
    assert (got.sets, got.reps) == (0, 0)
    assert list_sessions(db)[0]["duration_ms"] == 0
