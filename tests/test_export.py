"""Export formats: CSV rows per rep, JSON as stored, and a FIT strength-training activity that
fit-tool decodes back to calf-raise sets with the right reps, times and summaries."""

import csv
import io
import json
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import fitdecode
import pytest
from fit_tool.data_message import DataMessage
from fit_tool.fit_file import FitFile
from fit_tool.profile.profile_type import (
    ExerciseCategory,
    FileType,
    SetType,
    Sport,
    SubSport,
)

from calfraise.errors import UserError
from calfraise.host.db import open_db
from calfraise.host.export import CSV_COLUMNS, encode, encode_all, format_for, write_output
from calfraise.host.importer import import_session
from calfraise.host.queries import load_session
from host_sessions import WALL_MS, run_cli, session_file, two_sessions_db, workout

REPS = workout(sets=3, reps_per_set=5)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    conn = open_db(tmp_path_factory.mktemp("db") / "c.db")
    got = import_session(conn, "CF-1", session_file(4, REPS))
    yield load_session(conn, got.id)
    conn.close()


def test_csv_has_a_row_per_rep(session):
    rows = list(csv.DictReader(io.StringIO(encode(session, "csv").decode())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == len(REPS)
    for row, made in zip(rows, REPS, strict=True):
        assert int(row["set"]) == made["set"] and int(row["rep"]) == made["rep"]
        assert int(row["start_ms"]) == made["start_ms"] and int(row["end_ms"]) == made["end_ms"]
        assert int(row["down_ms"]) == made["end_ms"] - made["lower_ms"]
        assert float(row["amplitude_deg"]) == made["amplitude_cdeg"] / 100
        assert row["partial"] == ("1" if made["partial"] else "0")


def test_json_is_the_stored_session(session):
    doc = json.loads(encode(session, "json"))
    assert doc == session
    assert {"id", "device", "start", "settings", "sets", "reps"} <= set(doc)


def _messages(data):
    """(global message number, message) of every data message in a FIT file."""
    fit = FitFile.from_bytes(data)
    return [
        (r.message.global_id, r.message) for r in fit.records if isinstance(r.message, DataMessage)
    ]


def _only(messages, number):
    found = [m for n, m in messages if n == number]
    assert len(found) == 1, f"message {number}: {len(found)} found"
    return found[0]


def test_fit_is_a_strength_activity_of_calf_raise_sets(session):
    messages = _messages(encode(session, "fit"))
    assert messages[0][0] == 0  # file_id first
    file_id = messages[0][1]
    assert file_id.type == FileType.ACTIVITY.value and file_id.time_created == WALL_MS
    sets = [m for n, m in messages if n == 225]
    assert [m.set_type for m in sets] == [1, 0, 1, 0, 1]  # active, rest, active, rest, active
    assert [m.message_index for m in sets] == list(range(5))
    active = [m for m in sets if m.set_type == SetType.ACTIVE.value]
    for m, s in zip(active, session["sets"], strict=True):
        assert m.category == [ExerciseCategory.CALF_RAISE.value]
        assert m.repetitions == s["reps"] == 5
        assert m.duration == pytest.approx((s["end_ms"] - s["start_ms"]) / 1000, abs=0.001)
        assert abs(m.start_time - (WALL_MS + s["start_ms"])) < 1000  # FIT times are whole seconds
    rests = [m for m in sets if m.set_type == SetType.REST.value]
    for m, (before, after) in zip(rests, pairwise(session["sets"]), strict=True):
        assert m.repetitions is None and m.category is None
        assert m.duration == pytest.approx((after["start_ms"] - before["end_ms"]) / 1000, abs=0.001)
    seconds = session["duration_ms"] / 1000
    for number in (18, 19):  # session, lap
        summary = _only(messages, number)
        assert (summary.sport, summary.sub_sport) == (
            Sport.TRAINING.value,
            SubSport.STRENGTH_TRAINING.value,
        )
        assert summary.start_time == WALL_MS
        assert summary.total_elapsed_time == pytest.approx(seconds, abs=0.001)
    activity = _only(messages, 34)
    assert activity.num_sessions == 1
    order = [n for n, _ in messages]
    assert order.index(21) < order.index(225) < order.index(19) < order.index(18) < order.index(34)
    assert 20 in order  # record: the activity file type requires one


def test_fit_needs_a_date(tmp_path):
    conn = open_db(tmp_path / "c.db")
    got = import_session(conn, "CF-1", session_file(4, REPS, wall_ms=None))
    undated = load_session(conn, got.id)
    conn.close()
    with pytest.raises(UserError, match="has no date"):
        encode(undated, "fit")
    assert encode(undated, "csv")  # the other formats need none


def test_format_from_the_suffix():
    assert format_for("out/a.FIT", None) == "fit"
    assert format_for("a.csv", "json") == "json"
    with pytest.raises(UserError, match="cannot tell the format from a.txt"):
        format_for("a.txt", None)


def _decoded(data):
    """Every data message as fitdecode (an independent decoder) reads it: (name, {field: value})."""
    with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.ENABLED) as fit:
        return [
            (frame.name, {f.name: f.value for f in frame.fields})
            for frame in fit
            if isinstance(frame, fitdecode.FitDataMessage)
        ]


@pytest.mark.parametrize(
    ("variant", "name"), [("standing", 18), ("seated", 6), ("single_leg", 15), ("plank", None)]
)
def test_fit_names_the_exercise_and_carries_tempo_and_range(session, variant, name):
    messages = _decoded(encode(session, "fit", variant))
    active = [m for n, m in messages if n == "set" and m["set_type"] == "active"]
    assert len(active) == 3
    for m, set_no in zip(active, (1, 2, 3), strict=True):
        reps = [r for r in REPS if r["set"] == set_no]
        assert m["category"] == "calf_raise" and m.get("category_subtype") == name
        assert m["repetitions"] == len(reps)
        assert m["mean_rise"] == round(sum(r["top_ms"] - r["start_ms"] for r in reps) / len(reps))
        assert m["mean_hold"] == round(sum(r["lower_ms"] - r["top_ms"] for r in reps) / len(reps))
        assert m["mean_lowering"] == round(sum(r["end_ms"] - r["lower_ms"] for r in reps) / 5)
        mean_deg = sum(r["amplitude_cdeg"] for r in reps) / len(reps) / 100
        assert m["mean_range"] == pytest.approx(mean_deg, abs=1e-4)
        assert m["partial_reps"] == sum(r["partial"] for r in reps)
    units = {m["field_name"]: m["units"] for n, m in messages if n == "field_description"}
    assert units == {
        "mean_rise": "ms",
        "mean_hold": "ms",
        "mean_lowering": "ms",
        "mean_range": "deg",
        "partial_reps": "reps",
    }


def test_a_variant_recorded_with_the_session_wins(session):
    messages = _decoded(encode({**session, "variant": "seated"}, "fit", "standing"))
    assert {m["category_subtype"] for n, m in messages if n == "set" and "category" in m} == {6}


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    """The path of a database with two sessions, and both sessions as load_session gives them."""
    path = two_sessions_db(tmp_path_factory.mktemp("db2") / "c.db")
    with closing(open_db(path)) as conn:
        return path, [load_session(conn, 1), load_session(conn, 2)]


def test_all_sessions_as_one_json_list(two):
    _, sessions = two
    assert json.loads(encode_all(sessions, "json")) == sessions


def test_all_sessions_as_csv_rows_led_by_the_session(two):
    _, sessions = two
    rows = list(csv.DictReader(io.StringIO(encode_all(sessions, "csv").decode())))
    assert len(rows) == 18 + 8
    assert [r["session"] for r in rows] == ["1"] * 18 + ["2"] * 8
    assert {r["session_start"] for r in rows} == {"2026-01-01T08:00:00.000Z"}
    assert tuple(rows[0])[2:] == CSV_COLUMNS
    assert [int(r["rep"]) for r in rows[18:]] == [1, 2, 3, 4, 1, 2, 3, 4]


def test_all_sessions_cannot_be_one_fit_activity(two):
    with pytest.raises(UserError, match="a FIT file holds one session"):
        encode_all(two[1], "fit")


def test_export_json_is_the_show_json_document(capsys, two):
    path, sessions = two
    shown = run_cli(capsys, "--db", path, "show", "1", "--json")[1]
    assert encode(sessions[0], "json") == shown.encode()


def test_output_to_stdout(capsysbinary, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a wrong branch would write a file named "-" here
    assert write_output("-", b"a,b\n") == "stdout"
    assert capsysbinary.readouterr().out == b"a,b\n"
    assert not (tmp_path / "-").exists()


def test_output_file_kept_unless_forced(tmp_path):
    out = tmp_path / "s.csv"
    out.write_bytes(b"old")
    with pytest.raises(UserError, match="exists: give --force"):
        write_output(str(out), b"new")
    assert out.read_bytes() == b"old"
    assert write_output(str(out), b"new", force=True) == str(out)
    assert out.read_bytes() == b"new"


def test_fit_creator_and_file_name_one_device(session):
    """device_info index 0 is the file's creator (FIT profile): the same maker, product and
    serial as file_id; another device gets another serial."""
    messages = _decoded(encode(session, "fit"))
    (file_id,) = [m for n, m in messages if n == "file_id"]
    (creator,) = [m for n, m in messages if n == "device_info"]
    assert creator["device_index"] == "creator"
    for key in ("manufacturer", "product", "serial_number"):
        assert creator[key] == file_id[key], key
    other = _decoded(encode({**session, "device": "CF-2"}, "fit"))
    (other_id,) = [m for n, m in other if n == "file_id"]
    assert other_id["serial_number"] not in (0, file_id["serial_number"])


def test_fit_session_points_at_its_one_lap(session):
    messages = _decoded(encode(session, "fit"))
    laps = [m for n, m in messages if n == "lap"]
    (summary,) = [m for n, m in messages if n == "session"]
    assert summary["num_laps"] == len(laps) == 1
    assert summary["first_lap_index"] == laps[0]["message_index"]


@pytest.fixture
def india(monkeypatch):
    """The computer's clock 5 h 30 ahead of UTC (a POSIX TZ rule: no tz database needed)."""
    monkeypatch.setenv("TZ", "IST-5:30")
    time.tzset()
    yield timedelta(hours=5, minutes=30)
    monkeypatch.undo()
    time.tzset()


def test_fit_activity_carries_the_local_time_at_its_end(session, india):
    messages = _decoded(encode(session, "fit"))
    (activity,) = [m for n, m in messages if n == "activity"]
    end = datetime.fromtimestamp((WALL_MS + session["duration_ms"]) / 1000, UTC)
    # fitdecode reads local_date_time as if it were UTC: the wall clock's reading
    local = activity["local_timestamp"].replace(tzinfo=None)
    assert abs(local - (end + india).replace(tzinfo=None)) <= timedelta(seconds=1)


def test_fit_sets_that_touch_have_no_rest_between(session):
    sets = [dict(s) for s in session["sets"]]
    sets[1]["start_ms"] = sets[0]["end_ms"]
    messages = _decoded(encode({**session, "sets": sets}, "fit"))
    kinds = [m["set_type"] for n, m in messages if n == "set"]
    assert kinds == ["active", "active", "rest", "active"]


def test_fit_set_whose_reps_were_lost_has_zero_means(session):
    """A SET_END kept after a damaged stretch took its reps: the set, with nothing to average."""
    reps = [r for r in session["reps"] if r["set"] != 2]
    messages = _decoded(encode({**session, "reps": reps}, "fit"))
    active = [m for n, m in messages if n == "set" and m["set_type"] == "active"]
    assert active[1]["repetitions"] == session["sets"][1]["reps"]  # as the device counted
    for key in ("mean_rise", "mean_hold", "mean_lowering", "mean_range", "partial_reps"):
        assert active[1][key] == 0, key
    assert active[0]["mean_rise"] > 0
