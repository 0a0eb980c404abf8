"""The session database: where it lives, opening it, and migrating its schema.

SQLite keeps the schema version in PRAGMA user_version and our mark in PRAGMA application_id.
MIGRATIONS[i] takes the schema from version i to i + 1; opening an older database runs the
missing steps in one transaction, a newer one is refused (an older calfraise must not guess at
tables it does not know). The schema is described in docs/host.md.
"""

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from calfraise.errors import UserError

APPLICATION_ID = 0x43464C52  # "CFLR": tells our file from any other SQLite database
BUSY_TIMEOUT_S = 10  # how long a command waits while another one writes (e.g. a sync)

MIGRATIONS = (
    (
        """CREATE TABLE devices (
            id INTEGER PRIMARY KEY,
            device_id TEXT NOT NULL UNIQUE,
            board TEXT,
            firmware TEXT,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL
        )""",
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            device INTEGER NOT NULL REFERENCES devices(id),
            device_session INTEGER NOT NULL,
            start_ms INTEGER,
            t0_ms INTEGER,
            end_ms INTEGER NOT NULL,
            end_reason TEXT,
            board TEXT,
            firmware TEXT,
            settings TEXT NOT NULL,
            raw BLOB NOT NULL,
            size INTEGER NOT NULL,
            crc32 INTEGER NOT NULL,
            skipped INTEGER NOT NULL,
            imported_at TEXT NOT NULL,
            UNIQUE (device, device_session)
        )""",
        """CREATE TABLE sets (
            session INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            set_no INTEGER NOT NULL,
            reps INTEGER NOT NULL,
            start_ms INTEGER NOT NULL,
            end_ms INTEGER NOT NULL,
            ended INTEGER NOT NULL,
            PRIMARY KEY (session, set_no)
        )""",
        """CREATE TABLE reps (
            session INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            set_no INTEGER NOT NULL,
            rep INTEGER NOT NULL,
            start_ms INTEGER NOT NULL,
            top_ms INTEGER NOT NULL,
            lower_ms INTEGER NOT NULL,
            end_ms INTEGER NOT NULL,
            amplitude_cdeg INTEGER NOT NULL,
            partial INTEGER NOT NULL,
            PRIMARY KEY (session, seq)
        )""",
    ),
    (  # 2: the athlete's plan (one row), and the variant each session was recorded as
        """CREATE TABLE plan (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            plan TEXT NOT NULL,
            changed_at TEXT NOT NULL
        )""",
        "ALTER TABLE sessions ADD COLUMN variant TEXT",
    ),
    # 3: how start_ms was found: "device" (its clock), "estimated" (from the last time the device
    # knew before a power loss), "user" (`calfraise date`); NULL while undated
    ("ALTER TABLE sessions ADD COLUMN dated_by TEXT",),
)


class DatabaseError(UserError):
    """The database cannot be used: missing, not ours, too new, not SQLite at all, locked by
    another program for longer than BUSY_TIMEOUT_S, or its disk is full."""


def describe(err, path=None):
    """A DatabaseError for an sqlite3.Error, worded for the person at the keyboard."""
    where = path or "the database"
    code = getattr(err, "sqlite_errorcode", 0) & 0xFF  # the primary code of an extended one
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        why = (
            f"{where} is locked by another program (another calfraise?) and stayed locked for "
            f"{BUSY_TIMEOUT_S} s: nothing was written; try again when it is done"
        )
    elif code == sqlite3.SQLITE_FULL:
        why = f"the disk holding {where} is full: nothing was written; free some space"
    else:
        why = f"{where}: {err}"
    return DatabaseError(why)


def _file_of(conn):
    """The file behind a connection (for messages), or None."""
    try:
        return conn.execute("PRAGMA database_list").fetchone()["file"] or None
    except (sqlite3.Error, TypeError, IndexError):
        return None


def default_path(environ=None):
    """$XDG_DATA_HOME/calfraise/calfraise.db, else ~/.local/share/calfraise/calfraise.db."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_DATA_HOME", "")
    if not os.path.isabs(base):  # the XDG spec: a relative value is to be ignored
        base = Path(environ.get("HOME") or Path.home()) / ".local" / "share"
    return Path(base) / "calfraise" / "calfraise.db"


def open_db(path=None, *, create=True):
    """A connection to the database at path (the default location if None), migrated.

    create=False (the read-only commands) refuses to make a new file, so a mistyped --db is
    an error rather than an empty list. Rows come as sqlite3.Row; the connection is in
    autocommit mode (writers use `transaction`). Raises DatabaseError.
    """
    path = Path(path) if path is not None else default_path()
    if not path.exists():
        if not create:
            raise DatabaseError(f"no database at {path}: `calfraise sync` creates it")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise DatabaseError(f"cannot make the folder of {path}: {err.strerror}") from None
    if path.is_dir():
        raise DatabaseError(f"{path} is a folder, not a database file")
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as err:
        raise DatabaseError(f"cannot open {path}: {err}") from None
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        _migrate(conn, path)
    except sqlite3.Error as err:
        conn.close()
        raise describe(err, path) from None
    except DatabaseError:
        conn.close()
        raise
    return conn


@contextmanager
def transaction(conn):
    """`with transaction(conn):` one write transaction, rolled back if the block raises.

    BEGIN IMMEDIATE takes the write lock up front (waiting up to BUSY_TIMEOUT_S for another
    writer), so two writers queue instead of failing half-way through. An sqlite3.Error (still
    locked, disk full) becomes a DatabaseError once everything is rolled back.
    """
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # SQLite may have rolled back already (a full disk)
                conn.execute("ROLLBACK")
            raise
    except sqlite3.Error as err:
        raise describe(err, _file_of(conn)) from None


def schema_version(conn):
    return conn.execute("PRAGMA user_version").fetchone()[0]


def _check_ours(conn, path, version):
    app = conn.execute("PRAGMA application_id").fetchone()[0]
    tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if app != APPLICATION_ID and (app or version or tables):
        raise DatabaseError(f"{path} is an SQLite database, but not calfraise's")
    target = len(MIGRATIONS)
    if version > target:
        raise DatabaseError(
            f"{path} has schema version {version}, newer than this calfraise knows ({target}): "
            "upgrade calfraise"
        )


def _migrate(conn, path):
    """Bring the schema up to len(MIGRATIONS), all steps or none."""
    _check_ours(conn, path, schema_version(conn))
    target = len(MIGRATIONS)
    if schema_version(conn) == target:
        return
    with transaction(conn):
        version = schema_version(conn)  # again under the lock: another process may have migrated
        _check_ours(conn, path, version)
        for steps in MIGRATIONS[version:]:
            for sql in steps:
                conn.execute(sql)
        conn.execute(f"PRAGMA user_version = {target}")
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
