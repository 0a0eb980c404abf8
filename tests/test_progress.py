"""Progress over weeks against the plan: plain data (what a web page would use), weeks in local
time, sets counted from the reps' set numbers, trends and bests; the plot in both formats."""

import json
from contextlib import closing
from datetime import datetime, timedelta

import pytest

from calfraise.host.db import open_db
from calfraise.host.importer import import_session
from calfraise.host.plan import Plan
from calfraise.host.progress import progress
from calfraise.host.progress_plot import render_progress
from host_sessions import session_file, workout

MONDAY = datetime(2026, 3, 2, 18, 0).astimezone()  # a Monday evening, local time
PLAN = Plan(reps=4, sets=3, lower_ms=2000)


def _ms(when):
    return round(when.timestamp() * 1000)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """Week 1: two sessions of 3 x 5 (the 5th rep of each set partial); week 2: none; week 3:
    one session of 2 x 6; and one undated session."""
    days = ((0, 3, 5), (2, 3, 5), (15, 2, 6))
    with closing(open_db(tmp_path_factory.mktemp("db") / "c.db")) as db:
        for sid, (day, sets, reps) in enumerate(days, 1):
            when = _ms(MONDAY + timedelta(days=day))
            import_session(db, "CF-1", session_file(sid, workout(sets, reps), wall_ms=when))
        import_session(db, "CF-1", session_file(9, workout(1, 3), wall_ms=None))
        today = (MONDAY + timedelta(days=16)).date()
        yield progress(db, weeks=4, today=today, plan=PLAN)


def test_weeks_run_monday_to_sunday_up_to_today(report):
    weeks = report["weeks"]
    assert [w["start"] for w in weeks] == ["2026-02-23", "2026-03-02", "2026-03-09", "2026-03-16"]
    assert [w["sessions"] for w in weeks] == [0, 2, 0, 1]
    assert [w["sessions_on_target"] for w in weeks] == [False, True, False, False]
    assert weeks[1]["week"] == "2026-W10"


def test_sets_and_reps_against_the_targets(report):
    week = report["weeks"][1]
    assert (week["sets"], week["sets_target"]) == (6, 6)
    assert week["sets_on_target"] == 6  # 4 full reps (the 5th is partial) reach the target 4
    assert (week["reps"], week["reps_target"]) == (30, 2 * 3 * 4)
    assert week["partial_rate"] == pytest.approx(6 / 30)
    last = report["weeks"][3]
    assert (last["sets"], last["sets_on_target"], last["sets_target"]) == (2, 2, 3)


def test_controlled_lowering_and_range_are_the_reps_own(report):
    # workout(): rep k is lowered in 1800 + 60 k ms: reps 4 and up take >= 2 s
    week = report["weeks"][1]
    assert week["controlled_share"] == pytest.approx(2 / 5)
    made = workout(3, 5)
    assert week["mean_range_deg"] == round(sum(r["amplitude_cdeg"] for r in made) / 1500, 1)
    assert report["weeks"][0]["controlled_share"] is None


def test_trends_bests_and_undated(report):
    assert report["undated"] == 1
    assert report["trends"]["reps"] == pytest.approx((12 - 30) / 2)
    assert report["bests"]["reps"] == {"value": 15, "session": 2}
    assert report["bests"]["most_reps_in_a_set"] == {"value": 6, "session": 3}
    assert report["suggestion"] is None  # two in a row, but 40 % lowered slowly


def test_the_report_is_plain_json_data(report):
    assert json.loads(json.dumps(report)) == report


@pytest.mark.parametrize(("fmt", "head"), [("png", b"\x89PNG"), ("svg", b"<?xml")])
def test_the_progress_plot(report, fmt, head):
    assert render_progress(report, fmt).startswith(head)
