"""`calfraise sessions | show | export | plot` end to end through main(): JSON shapes, tables, the
files written, and one-line errors (exit 2) for what a person can fix."""

import json
from contextlib import closing

import numpy as np
import pytest
from matplotlib.image import imread

from calfraise.host.db import open_db
from calfraise.host.export import CSV_COLUMNS
from calfraise.host.importer import import_session
from host_sessions import run_cli, session_file, two_sessions_db

SUMMARY_KEYS = {
    "id",
    "variant",
    "device",
    "device_session",
    "start",
    "start_ms",
    "dated_by",
    "duration_ms",
    "end_reason",
    "sets",
    "reps",
    "partial",
    "imported",
}


@pytest.fixture
def db_path(tmp_path):
    return two_sessions_db(tmp_path / "c.db")


_run = run_cli


def _error(capsys, *argv):
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith("calfraise: error: ") and err.count("\n") == 1, err
    return err


def test_sessions_json(capsys, db_path):
    code, out, _ = _run(capsys, "--db", db_path, "sessions", "--json")
    sessions = json.loads(out)
    assert code == 0 and [set(s) for s in sessions] == [SUMMARY_KEYS] * 2
    assert [(s["id"], s["sets"], s["reps"], s["device"]) for s in sessions] == [
        (1, 3, 18, "CF-1"),
        (2, 2, 8, "CF-1"),
    ]
    assert sessions[0]["start"] == "2026-01-01T08:00:00.000Z"


def test_sessions_table_and_db_after_the_command(capsys, db_path):
    code, out, _ = _run(capsys, "sessions", "--db", db_path)
    assert code == 0 and "CF-1 #2" in out and str(db_path) in out


def test_empty_database_lists_nothing(capsys, tmp_path):
    path = tmp_path / "empty.db"
    open_db(path).close()
    assert _run(capsys, "--db", path, "sessions", "--json")[1] == "[]\n"
    assert "No sessions" in _run(capsys, "--db", path, "sessions")[1]
    assert "database is empty" in _error(capsys, "--db", path, "show", "1")


def test_show_json(capsys, db_path):
    code, out, _ = _run(capsys, "--db", db_path, "show", "1", "--json")
    session = json.loads(out)
    assert code == 0
    assert SUMMARY_KEYS | {"board", "firmware", "settings", "size", "crc32", "skipped"} == set(
        session
    )
    assert [s["reps"] for s in session["sets"]] == [6, 6, 6] and len(session["reps"]) == 18
    assert set(session["sets"][0]) == {
        "set",
        "reps",
        "start_ms",
        "end_ms",
        "ended",
        "partial",
        "mean_up_ms",
        "mean_down_ms",
        "tension_ms",
    }
    assert set(session["reps"][0]) == set(CSV_COLUMNS)


def test_show_table(capsys, db_path):
    code, out, _ = _run(capsys, "--db", db_path, "show", "2")
    assert code == 0
    assert "Set 1: 4 reps, 1 partial" in out and "Set 2: 4 reps" in out
    assert "target: up 1.50 s, down 2.00 s" in out
    assert "2 sets, 8 reps (2 partial)" in out


@pytest.mark.parametrize("fmt", ["csv", "json", "fit"])
def test_export_writes_each_format(capsys, db_path, tmp_path, fmt):
    out_file = tmp_path / f"s.{fmt}"
    assert _run(capsys, "--db", db_path, "export", "1", "--format", fmt, "-o", out_file)[0] == 0
    data = out_file.read_bytes()
    if fmt == "fit":
        assert data[8:12] == b".FIT"  # the FIT header's signature
    else:
        assert data.startswith({"csv": b"set,rep,start_ms,", "json": b"{\n"}[fmt])


def test_plot_writes_a_png(capsys, db_path, tmp_path):
    png = tmp_path / "s.png"
    assert _run(capsys, "--db", db_path, "plot", "1", "-o", png)[0] == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = imread(png)
    assert pixels.shape[1] == 1100
    colours = np.unique(pixels.reshape(-1, pixels.shape[2]), axis=0)
    assert len(colours) > 50  # curves, markers, shading and text, not a blank canvas


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["show", "9"], "no session 9 (`calfraise sessions` lists them)"),
        (["export", "1", "-o", "/nonexistent/dir/s.csv"], "cannot write /nonexistent/dir/s.csv"),
        (["plot", "1", "-o", "/nonexistent/dir/s.png"], "cannot write /nonexistent/dir/s.png"),
        (["export", "1", "-o", "s.txt"], "cannot tell the format from s.txt"),
    ],
)
def test_errors_a_person_can_fix(capsys, db_path, argv, words):
    assert words in _error(capsys, "--db", db_path, *argv)


def test_missing_database_is_not_created(capsys, tmp_path):
    path = tmp_path / "typo.db"
    assert f"no database at {path}" in _error(capsys, "--db", path, "sessions", "--json")
    assert not path.exists()


def test_plot_of_a_session_without_reps(capsys, tmp_path):
    path = tmp_path / "c.db"
    with closing(open_db(path)) as conn:
        import_session(conn, "CF-1", session_file(3, [], end="button"))
    assert "has no reps: nothing to plot" in _error(
        capsys, "--db", path, "plot", "1", "-o", tmp_path / "p.png"
    )
