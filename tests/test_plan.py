"""The plan: stored in the database, checked, what the device is told, and the progression rule
(two sessions in a row with every set at the target and controlled lowering -> the next step)."""

import sqlite3
from contextlib import closing

import pytest

from calfraise.errors import UserError
from calfraise.host.db import open_db, schema_version
from calfraise.host.importer import import_session
from calfraise.host.plan import (
    Plan,
    advice,
    changed,
    load_plan,
    met_plan,
    next_step,
    record_variant,
    save_plan,
    suggestion,
)
from calfraise.host.queries import load_session
from calfraise_fw import settings
from host_sessions import WALL_MS, session_file, workout

DAY_MS = 86_400_000


def test_a_plan_never_set_tells_the_device_its_own_defaults():
    shared = Plan().device_settings()
    assert shared == {name: settings.DEFAULTS[name][0] for name in shared}
    assert Plan().sets == 3 and (Plan().reps_min, Plan().reps_max) == (10, 15)
    assert (Plan().sessions_min, Plan().sessions_max) == (2, 3) and Plan().lower_ms >= 2000


def test_the_plan_is_stored_and_read_back(tmp_path):
    with closing(open_db(tmp_path / "c.db")) as db:
        assert load_plan(db) == Plan()
        mine = save_plan(db, changed(Plan(), variant="seated", reps=14, tempo_cue=True))
    with closing(open_db(tmp_path / "c.db")) as db:
        assert load_plan(db) == mine and mine.variant == "seated" and mine.reps == 14


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"variant": "hopping"}, "choose one of seated, standing, single_leg, plank"),
        ({"reps": 20}, "outside the range 10-15"),
        ({"reps_min": 9, "reps_max": 8}, "give LOW-HIGH"),
        ({"sessions_min": 4, "sessions_max": 3}, "sessions per week"),
        ({"lower_ms": 20_000}, "the device cannot take it: tempo_down_ms"),
        ({"idle_end_s": 5}, "the device cannot take it: idle_end_s"),
    ],
)
def test_a_plan_the_device_or_the_rule_cannot_use_is_refused(values, words):
    with pytest.raises(UserError, match=words):
        changed(Plan(), **values)


def test_the_target_follows_a_moved_range():
    assert changed(Plan(reps=12), reps_min=14, reps_max=20).reps == 14
    assert changed(Plan(reps=12), reps_min=5, reps_max=10).reps == 10


def test_a_version_1_database_gets_the_plan_table(tmp_path):
    path = tmp_path / "old.db"
    with closing(open_db(path)) as db:
        import_session(db, "CF-1", session_file(1, workout(1, 3)))
        db.execute("DROP TABLE plan")
        db.execute("ALTER TABLE sessions DROP COLUMN variant")
        db.execute("ALTER TABLE sessions DROP COLUMN dated_by")  # schema 3's
        db.execute("PRAGMA user_version = 1")
    with closing(open_db(path)) as db:
        assert schema_version(db) == 3
        assert load_session(db, 1)["variant"] is None
        record_variant(db, [1], Plan(variant="seated"))
        assert load_session(db, 1)["variant"] == "seated"
        with pytest.raises(sqlite3.IntegrityError):
            db.execute("INSERT INTO plan VALUES (2, '{}', 'x')")


def _session(sid, reps_per_set, down_extra_ms=0, sets=3):
    """A loaded-session dict: every rep full, lowered in 2000 + down_extra_ms."""
    reps = [
        {"set": s, "rep": k, "partial": False, "down_ms": 2000 + down_extra_ms}
        for s in range(1, sets + 1)
        for k in range(1, reps_per_set + 1)
    ]
    counts = [{"set": s, "reps": reps_per_set} for s in range(1, sets + 1)]
    return {"id": sid, "sets": counts, "reps": reps}


def test_a_session_meets_the_plan_with_every_set_at_target_and_slow_lowering():
    plan = Plan(reps=12)
    assert met_plan(_session(1, 12), plan)
    assert not met_plan(_session(1, 11), plan)  # a rep short in every set
    assert not met_plan(_session(1, 12, sets=2), plan)  # a set short
    assert not met_plan(_session(1, 12, down_extra_ms=-500), plan)  # dropped, not lowered
    partial = _session(1, 12)
    partial["reps"][0]["partial"] = True  # set 1 has 11 full reps
    assert not met_plan(partial, plan)


def test_two_sessions_in_a_row_are_needed():
    plan = Plan(reps=12)
    assert suggestion([_session(1, 12)], plan) is None
    assert suggestion([_session(1, 12), _session(2, 11)], plan) is None
    said = suggestion([_session(1, 11), _session(2, 12), _session(3, 13)], plan)
    assert said.startswith("Every set of sessions 2 and 3 reached 12 reps")
    assert "13 reps per set (`calfraise plan --reps 13`)" in said


def test_the_steps_go_reps_then_a_harder_variant_then_load():
    plan = Plan(variant="seated", reps=14)
    plan, said = next_step(plan)
    assert plan.reps == 15 and "15 reps" in said
    plan, said = next_step(plan)
    assert (plan.variant, plan.reps) == ("standing", 10) and "--variant standing" in said
    plan, _ = next_step(changed(plan, reps=15))
    assert plan.variant == "single_leg"
    plan, said = next_step(changed(plan, reps=15))
    assert plan is None and "add load" in said


def test_advice_reads_the_latest_sessions_from_the_database(tmp_path):
    def stored(sid, reps_per_set, day):
        reps = [
            {**r, "partial": False, "lower_ms": r["end_ms"] - 2100}
            for r in workout(3, reps_per_set)
        ]
        return session_file(sid, reps, wall_ms=WALL_MS + day * DAY_MS)

    with closing(open_db(tmp_path / "c.db")) as db:
        plan = save_plan(db, changed(Plan(), reps=10))
        import_session(db, "CF-1", stored(1, 10, 0))
        assert advice(db, plan) is None
        import_session(db, "CF-1", stored(2, 10, 2))
        assert "next step: 11 reps per set" in advice(db, plan)
