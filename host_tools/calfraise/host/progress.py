"""Progress over weeks, against the plan: what `calfraise progress` prints and plots, as plain
data (dicts, lists, numbers, ISO dates) that a script or a web page can use as it is.

    with closing(open_db(path, create=False)) as db:
        report = progress(db, weeks=8)

Weeks run Monday to Sunday in local time and end with the one holding `today`. Set counts are
queries.set_summary's, as everywhere. A rep is "controlled" when it was lowered in at least the
plan's lower_ms; a set "reaches the target" with at least the plan's reps of full reps.
"""

from dataclasses import asdict
from datetime import date, datetime, timedelta
from statistics import linear_regression, mean

from calfraise.host.plan import load_plan, suggestion
from calfraise.host.queries import list_sessions, load_session, rep_count

TRENDS = ("reps", "controlled_share", "mean_range_deg", "partial_rate")


def session_stats(session, plan):
    """One session's figures against the plan (None where there is no rep to average)."""
    sets = session["sets"]
    return {
        "id": session["id"],
        "start": session["start"],
        "date": _day(session["start_ms"]).isoformat() if session["start_ms"] else None,
        "variant": session.get("variant"),
        "sets": len(sets),
        "sets_on_target": sum(s["reps"] - s["partial"] >= plan.reps for s in sets),
        "reps": rep_count(session),
        "most_reps_in_a_set": max((s["reps"] for s in sets), default=0),
        **_rep_figures(session["reps"], plan),
    }


def _rep_figures(reps, plan):
    if not reps:
        return dict.fromkeys(
            ("controlled_share", "mean_range_deg", "partial_rate", "mean_down_ms"), None
        )
    return {
        "controlled_share": sum(r["down_ms"] >= plan.lower_ms for r in reps) / len(reps),
        "mean_range_deg": round(mean(r["amplitude_deg"] for r in reps), 1),
        "partial_rate": sum(r["partial"] for r in reps) / len(reps),
        "mean_down_ms": round(mean(r["down_ms"] for r in reps)),
    }


def _day(unix_ms):
    return datetime.fromtimestamp(unix_ms / 1000).astimezone().date()


def _monday(day):
    return day - timedelta(days=day.weekday())


def week_rows(stats, sessions, plan, weeks, today):
    """One row per week, oldest first: sessions against the plan's 2-3 a week, sets and reps
    against targets, and the rep figures of the week's sessions together."""
    first = _monday(today) - timedelta(weeks=weeks - 1)
    rows = []
    for i in range(weeks):
        start = first + timedelta(weeks=i)
        ids = {
            s["id"] for s in stats if s["date"] and _monday(date.fromisoformat(s["date"])) == start
        }
        done = [s for s in stats if s["id"] in ids]
        reps = [r for s in sessions if s["id"] in ids for r in s["reps"]]
        rows.append(
            {
                "week": start.strftime("%G-W%V"),
                "start": start.isoformat(),
                "sessions": len(done),
                "sessions_target": [plan.sessions_min, plan.sessions_max],
                "sessions_on_target": plan.sessions_min <= len(done) <= plan.sessions_max,
                "sets": sum(s["sets"] for s in done),
                "sets_on_target": sum(s["sets_on_target"] for s in done),
                "sets_target": len(done) * plan.sets,
                "reps": sum(s["reps"] for s in done),
                "reps_target": len(done) * plan.sets * plan.reps,
                **_rep_figures(reps, plan),
            }
        )
    return rows


def trends(rows):
    """Change per week of each TRENDS figure over the weeks that have sessions (least squares;
    None with fewer than two such weeks)."""
    out = {}
    for key in TRENDS:
        points = [(i, row[key]) for i, row in enumerate(rows) if row["sessions"]]
        if len(points) < 2:
            out[key] = None
        else:
            xs, ys = zip(*points, strict=True)
            out[key] = round(linear_regression(xs, ys).slope, 3)
    return out


def bests(stats):
    """The best session for each figure, over the whole history: {figure: {value, session}}."""
    out = {}
    for key in ("reps", "most_reps_in_a_set", "controlled_share", "mean_range_deg"):
        scored = [s for s in stats if s[key] is not None]
        if scored:
            top = max(scored, key=lambda s: (s[key], s["id"]))
            out[key] = {"value": top[key], "session": top["id"]}
    return out


def progress(db, weeks=8, today=None, plan=None):
    """Everything `calfraise progress` shows, as plain data: the plan, a row per week (the last
    `weeks`, up to today's), per-session figures, trends, bests, undated sessions and what the
    progression rule suggests."""
    plan = plan or load_plan(db)
    today = today or date.today()
    sessions = [load_session(db, s["id"]) for s in list_sessions(db)]
    stats = [session_stats(s, plan) for s in sessions]
    rows = week_rows(stats, sessions, plan, weeks, today)
    dated = [s for s in sessions if s["start_ms"] is not None]
    return {
        "plan": asdict(plan),
        "weeks": rows,
        "sessions": stats,
        "trends": trends(rows),
        "bests": bests(stats),
        "undated": len(sessions) - len(dated),
        "suggestion": suggestion(dated, plan),
    }
