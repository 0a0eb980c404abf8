"""What goes wrong around the host, through the commands a person types (calfraise.cli.main):
damaged, short or random flash images, damaged records in a synced session, a locked database,
a full disk, a link cut at any moment, relative paths, and a timed-out session's length. Each
ends in one line and exit code 2, with nothing lost and nothing half-written (issue 11)."""

import errno
import hashlib
import json
import os
import random
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calfraise.bench.ble import write_flash
from calfraise.device.runner import FLASH_BLOCK_SIZE, FLASH_BYTES, read_flash
from calfraise.host import db as dbmod
from calfraise.host.db import open_db
from calfraise.host.importer import import_session
from calfraise.host.plot import foot_angle
from calfraise.host.queries import SET_GAP_MS, load_session
from calfraise.host.tables import clock
from calfraise.sim import plan_reps, render
from calfraise.trace import write_trace
from calfraise_fw import records
from host_sessions import run_cli, session_file, workout

CLEAN, DAMAGED = 1, 2  # the device's session ids on the source image
ALL = {CLEAN: 200, DAMAGED: 9}  # their reps once stored (one of the damaged session's is lost)
IDLE_MS = 300_000  # a timed-out session's END: its last rep plus idle_end_s (the default 300 s)


_run = run_cli


def _error(capsys, *argv):
    """The one-line error of a command that must fail with exit code 2."""
    code, out, err = _run(capsys, *argv)
    assert code == 2 and "Traceback" not in err, err
    assert err.startswith("calfraise: error: ") and err.count("\n") == 1, err
    return err


def _digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _damaged_file():
    """A session file with a few bytes of one REP record flipped: one damaged stretch."""
    data = bytearray(session_file(DAMAGED, workout(sets=2, reps_per_set=5), idle_ms=IDLE_MS))
    middle = len(data) // 2
    data[middle : middle + 3] = bytes(b ^ 0xFF for b in data[middle : middle + 3])
    return bytes(data)


@pytest.fixture(scope="module")
def source_image(tmp_path_factory):
    """A flash image as a board holds it: a clean timed-out session and a damaged one, unsynced."""
    image = tmp_path_factory.mktemp("flash") / "source.img"
    clean = session_file(CLEAN, workout(sets=5, reps_per_set=40), idle_ms=IDLE_MS)
    write_flash(image, {"sessions/000001.cfs": clean, "sessions/000002.cfs": _damaged_file()})
    return image


@pytest.fixture
def image(source_image, tmp_path):
    """A fresh copy of the source image for one test."""
    path = tmp_path / "flash.img"
    shutil.copyfile(source_image, path)
    return path


@pytest.fixture(scope="module")
def still_trace(tmp_path_factory):
    """One second of lying still: enough for `device run` to reach its flash."""
    path = tmp_path_factory.mktemp("trace") / "still.csv"
    t_ms = np.arange(100) * 10
    write_trace(path, t_ms, np.tile([0.0, 0.0, 1.0], (100, 1)), np.zeros((100, 3)))
    return path


def _stored(db_path):
    """{device session id: reps} of what the database holds."""
    with closing(sqlite3.connect(db_path)) as conn:
        rows = conn.execute(
            "SELECT device_session, (SELECT count(*) FROM reps WHERE session = s.id) "
            "FROM sessions s"
        ).fetchall()
    return dict(rows)


# --- flash images ------------------------------------------------------------------------------


def _zero(path, start, end):
    with open(path, "r+b") as f:
        f.seek(start)
        f.write(bytes(end - start))


DAMAGE = {
    "superblock": lambda p: _zero(p, 0, 2 * FLASH_BLOCK_SIZE),
    "directories": lambda p: _zero(p, 2 * FLASH_BLOCK_SIZE, FLASH_BYTES),
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: FLASH_BYTES // 3]),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_image_is_refused_left_as_it_was_and_format_erases_it(
    capsys, image, tmp_path, still_trace, damage
):
    DAMAGE[damage](image)
    before = _digest(image)
    db = tmp_path / "c.db"
    err = _error(capsys, "--sim-flash", image, "--db", db, "sync")
    assert "left as it was" in err and "calfraise device format" in err
    err = _error(capsys, "device", "run", "--trace", still_trace, "--flash", image)
    assert "left as it was" in err
    assert _digest(image) == before and _stored(db) == {}

    code, out, _ = _run(capsys, "device", "format", "--flash", image)
    assert code == 0 and "erased" in out
    code, out, _ = _run(capsys, "--sim-flash", image, "--db", db, "sync")
    assert code == 0 and "Nothing new to sync" in out
    assert read_flash(image, "config.json") is not None  # formatted at boot, then used


def _images():
    """Images of any size and contents: a good one cut short, random bytes of a random size,
    random bytes of exactly the flash's size."""
    cut = st.integers(1, FLASH_BYTES - 1).map(lambda n: ("cut", n))
    noise = st.tuples(st.integers(1, 3 * FLASH_BLOCK_SIZE), st.integers(0, 2**32)).map(
        lambda a: ("noise", random.Random(a[1]).randbytes(a[0]))
    )
    full = st.integers(0, 2**32).map(
        lambda seed: ("noise", random.Random(seed).randbytes(FLASH_BYTES))
    )
    return st.one_of(cut, noise, full)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(made=_images())
def test_any_truncated_or_random_image_gets_one_line_and_exit_2(
    capsys, source_image, tmp_path, still_trace, made
):
    kind, value = made
    path = tmp_path / "any.img"
    path.write_bytes(source_image.read_bytes()[:value] if kind == "cut" else value)
    before = _digest(path)
    for argv in (
        ["--sim-flash", path, "--db", tmp_path / "c.db", "sync"],
        ["device", "run", "--trace", still_trace, "--flash", path],
    ):
        err = _error(capsys, *argv)
        assert "flash image" in err and "left as it was" in err
        assert _digest(path) == before


# --- sync and the stored sessions ----------------------------------------------------------------


def test_sync_says_which_session_had_damaged_records(capsys, image, tmp_path):
    code, out, _ = _run(capsys, "--sim-flash", image, "--db", tmp_path / "c.db", "sync")
    assert code == 0
    text = " ".join(out.split())  # rich wraps long lines
    lines = {int(part.split()[0]): part for part in text.split("Stored session ")[1:]}
    assert set(lines) == {CLEAN, DAMAGED}
    assert "damaged" not in lines[CLEAN]
    assert "1 damaged stretch was skipped" in lines[DAMAGED]
    assert _stored(tmp_path / "c.db") == ALL


def _index(files):
    """The store's index listing {sid: bytes} as closed, unsynced sessions (storage.py)."""
    buf = bytearray(records.MAX_FRAME)
    out = bytearray(buf[: records.put(buf, 0, records.INDEX, max(files) + 1)])
    for sid, data in files.items():
        out += buf[: records.put(buf, 0, records.ENTRY, sid, len(data), 60000, records.CLOSED)]
    return bytes(out)


def test_a_session_with_no_good_record_is_named_left_on_the_device_and_the_rest_synced(
    capsys, tmp_path
):
    """A closed session whose file went bad entirely (the board keeps it: its index says
    closed) used to stop the sync there: the sessions after it never came."""
    files = {
        1: session_file(1, workout(sets=1, reps_per_set=5)),
        2: random.Random(2).randbytes(300),
        3: session_file(3, workout(sets=1, reps_per_set=4)),
    }
    image = tmp_path / "flash.img"
    contents = {f"sessions/{sid:06d}.cfs": data for sid, data in files.items()}
    write_flash(image, {**contents, "sessions/index": _index(files)})
    db_path = tmp_path / "c.db"
    for _ in range(2):  # the bad one stays on the device, unmarked: the next sync says it again
        code, out, err = _run(capsys, "--sim-flash", image, "--db", db_path, "sync")
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
        assert "session 2 was not stored" in err and "left on the device" in err
        assert _stored(db_path) == {1: 5, 3: 4}


def test_a_timed_out_session_ends_at_its_last_rep_plus_the_set_gap(capsys, tmp_path):
    reps = workout(sets=3, reps_per_set=6)
    db_path = tmp_path / "c.db"
    with closing(open_db(db_path)) as conn:
        import_session(conn, "CF-1", session_file(1, reps, idle_ms=IDLE_MS))
        import_session(conn, "CF-1", session_file(2, reps, end="button", idle_ms=IDLE_MS))
        timed_out, pressed = load_session(conn, 1), load_session(conn, 2)
    length = reps[-1]["end_ms"] + SET_GAP_MS
    assert pressed["duration_ms"] == reps[-1]["end_ms"] + IDLE_MS  # ended by a person: as is

    code, out, _ = _run(capsys, "--db", db_path, "sessions", "--json")
    assert [s["duration_ms"] for s in json.loads(out)] == [length, reps[-1]["end_ms"] + IDLE_MS]
    code, out, _ = _run(capsys, "--db", db_path, "show", "1", "--json")
    assert json.loads(out)["duration_ms"] == length
    code, out, _ = _run(capsys, "--db", db_path, "show", "1")
    assert f"in {clock(length)}," in out
    fit = tmp_path / "s.fit"
    assert _run(capsys, "--db", db_path, "export", "1", "-o", fit)[0] == 0
    assert _fit_elapsed_s(fit.read_bytes()) == pytest.approx(length / 1000)
    t, _angle = foot_angle(timed_out["reps"], timed_out["duration_ms"])  # the plot's time axis
    assert t[-1] == pytest.approx(length, abs=100)


def _fit_elapsed_s(data):
    from fit_tool.data_message import DataMessage
    from fit_tool.fit_file import FitFile

    sessions = [
        r.message
        for r in FitFile.from_bytes(data).records
        if isinstance(r.message, DataMessage) and r.message.global_id == 18
    ]
    [session] = sessions
    return session.total_elapsed_time


# --- the database and the disk -------------------------------------------------------------------


def test_a_locked_database_waits_then_says_so_and_the_next_sync_stores_all(
    capsys, image, tmp_path, monkeypatch
):
    db_path = tmp_path / "c.db"
    open_db(db_path).close()
    monkeypatch.setattr(dbmod, "BUSY_TIMEOUT_S", 0.3)
    other = sqlite3.connect(db_path, isolation_level=None)  # another program, writing
    other.execute("BEGIN IMMEDIATE")
    try:
        err = _error(capsys, "--sim-flash", image, "--db", db_path, "sync")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert "locked by another program" in err and "nothing was written" in err
    assert _stored(db_path) == {}
    code, out, _ = _run(capsys, "--sim-flash", image, "--db", db_path, "sync")
    assert code == 0 and _stored(db_path) == ALL  # nothing was marked


def test_a_full_disk_rolls_back_says_so_and_the_next_sync_stores_all(
    capsys, image, tmp_path, monkeypatch
):
    """SQLite's max_page_count makes the file full as a full disk would (SQLITE_FULL)."""
    db_path = tmp_path / "c.db"
    with closing(open_db(db_path)) as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    connect = sqlite3.connect

    def full_disk(*args, **kwargs):
        conn = connect(*args, **kwargs)
        conn.execute(f"PRAGMA max_page_count = {pages}")
        return conn

    monkeypatch.setattr(sqlite3, "connect", full_disk)
    err = _error(capsys, "--sim-flash", image, "--db", db_path, "sync")
    assert "is full" in err and "nothing was written" in err
    monkeypatch.undo()
    assert _stored(db_path) == {}
    code, _out, _ = _run(capsys, "--sim-flash", image, "--db", db_path, "sync")
    assert code == 0 and _stored(db_path) == ALL


def full_disk(tmp_path):
    """A path that writes as a full disk does: a link in tmp_path to Linux's /dev/full. Never
    /dev/full itself: the tests run as root, and a bug (or a planted mutant) that renames a
    file into place over the output would replace the machine's device with a plain file."""
    if not Path("/dev/full").is_char_device():
        pytest.skip("needs Linux's /dev/full")
    link = tmp_path / "full"
    link.symlink_to("/dev/full")
    return link


@pytest.mark.parametrize("command", ["export", "plot"])
def test_a_full_disk_for_an_output_file_is_one_line(capsys, tmp_path, command):
    db_path = tmp_path / "c.db"
    with closing(open_db(db_path)) as conn:
        import_session(conn, "CF-1", session_file(1, workout()))
    fmt = ["--format", "csv" if command == "export" else "png"]
    out = full_disk(tmp_path)
    err = _error(capsys, "--db", db_path, command, "1", *fmt, "-o", out, "--force")
    assert "No space left" in err and out.is_symlink()


class FillingDisk:
    """A file that takes `room` bytes, then fails as a full disk does (ENOSPC)."""

    def __init__(self, f, room):
        self.f, self.room = f, room

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()

    def write(self, data):
        self.f.write(data[: self.room])
        if len(data) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)

    def __getattr__(self, name):
        return getattr(self.f, name)


@pytest.mark.parametrize("command, suffix", [("export", "csv"), ("export", "fit"), ("plot", "svg")])
def test_a_disk_full_mid_write_leaves_no_partial_output(
    capsys, monkeypatch, tmp_path, command, suffix
):
    """-o FILE on a disk that fills up mid-write: one line, exit 2, and FILE as it was before
    (absent, or the old one kept under --force); nothing left beside it."""
    from calfraise.host import export

    db_path = tmp_path / "c.db"
    with closing(open_db(db_path)) as conn:
        import_session(conn, "CF-1", session_file(1, workout()))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / f"s.{suffix}"
    monkeypatch.setattr(export, "open", lambda *a: FillingDisk(open(*a), 100), raising=False)
    err = _error(capsys, "--db", db_path, command, "1", "-o", target)
    assert "No space left" in err and list(out_dir.iterdir()) == []
    target.write_bytes(b"the old one")
    err = _error(capsys, "--db", db_path, command, "1", "-o", target, "--force")
    assert "No space left" in err and list(out_dir.iterdir()) == [target]
    assert target.read_bytes() == b"the old one"
    monkeypatch.undo()
    assert _run(capsys, "--db", db_path, command, "1", "-o", target, "--force")[0] == 0
    assert target.read_bytes() != b"the old one" and list(out_dir.iterdir()) == [target]


def test_an_output_folder_the_user_may_not_write_is_named_as_such(capsys, monkeypatch, tmp_path):
    """-o FILE where no file may be created (the folder is not the user's; root, who runs the
    tests, may write anywhere, so the refusal is the OS's answer put in open's place): one
    line that says why, "Permission denied", not the error of tidying up a temporary file that
    was never made; nothing left beside FILE."""
    from calfraise.host import export

    def refused(*_args):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    db_path = tmp_path / "c.db"
    with closing(open_db(db_path)) as conn:
        import_session(conn, "CF-1", session_file(1, workout()))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    monkeypatch.setattr(export, "open", refused, raising=False)
    err = _error(capsys, "--db", db_path, "export", "1", "-o", out_dir / "s.csv")
    assert "Permission denied" in err and list(out_dir.iterdir()) == [], err


# --- the link ------------------------------------------------------------------------------------


@pytest.mark.parametrize("cut_after", [0, 150, 450, 800, 1100, 1600, 2400, 4000, 7000])
def test_a_link_cut_at_any_moment_is_one_line_and_nothing_half_written(
    capsys, image, tmp_path, cut_after
):
    """Cut once and for good (no reconnect): during connection and service discovery, HELLO,
    the clock, LIST, a download or a mark. A session is stored whole or not at all."""
    db_path = tmp_path / "c.db"
    argv = ["--sim-flash", image, "--sim-drop-after", cut_after, "--db", db_path]
    code, out, err = _run(capsys, *argv, "sync", "--attempts", "0")
    assert "Traceback" not in err
    if code == 2:
        assert err.startswith("calfraise: error: ") and err.count("\n") == 1, err
    else:
        assert code == 0 and err == ""
    assert set(_stored(db_path).items()) <= set(ALL.items())
    code, _out, err = _run(capsys, "--sim-flash", image, "--db", db_path, "sync")
    assert code == 0 and _stored(db_path) == ALL, err


def test_a_link_cut_during_discovery_of_live_is_one_line(capsys, tmp_path, still_trace):
    err = _error(capsys, "--sim", still_trace, "--sim-drop-after", "200", "live", "--seconds", "5")
    assert "link was lost" in err


# --- paths and entry points ------------------------------------------------------------------


def test_relative_paths_work_everywhere(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    trace = render(plan_reps(5, seed=4))
    write_trace(Path("reps.csv"), trace.t_ms, trace.accel_g, trace.gyro_dps)
    code, out, _ = _run(capsys, "device", "run", "--trace", "reps.csv", "--flash", "rel.img")
    assert code == 0 and "5 reps" in out
    assert read_flash(tmp_path / "rel.img", "sessions/000001.cfs")  # here, not in a temp folder
    code, out, _ = _run(capsys, "--sim-flash", "rel.img", "--db", "rel.db", "sync")
    assert code == 0 and "5 reps" in out
    assert _run(capsys, "--db", "rel.db", "export", "1", "-o", "out.csv")[0] == 0
    assert _run(capsys, "--db", "rel.db", "plot", "1", "-o", "out.png")[0] == 0
    assert len(Path("out.csv").read_text().splitlines()) == 6 and Path("out.png").stat().st_size


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["device", "run", "--trace", "missing.csv"], "missing.csv"),
        (["device", "run", "--trace", "{still}", "--flash", "{tmp}"], "not a file"),
        (["device", "run", "--trace", "{still}", "--events", "{tmp}/no/e.jsonl"], "e.jsonl"),
        (["--sim-flash", "{tmp}", "--db", "{tmp}/c.db", "sync"], "not a file"),
        (["--db", "{tmp}", "sessions"], "is a folder"),
        (["--db", "{still}", "sessions"], "not a database"),
        (["--sim", "missing.csv", "live"], "missing.csv"),
        (["device", "format", "--flash", "{tmp}/no/f.img"], "f.img"),
        (["--sim", "{still}", "capture", "--seconds", "1", "-o", "{full}"], "No space left"),
    ],
)
def test_every_entry_point_answers_bad_input_in_one_line(
    capsys, tmp_path, still_trace, argv, words
):
    full = full_disk(tmp_path) if "{full}" in argv else None
    argv = [a.format(tmp=tmp_path, still=still_trace, full=full) for a in argv]
    assert words in _error(capsys, *argv)
