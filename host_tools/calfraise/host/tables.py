"""What `sessions` and `show` print for a person: rich tables in the style of `analyze`."""

from rich import box
from rich.markup import escape
from rich.table import Table

from calfraise.host.queries import rep_count
from calfraise.host.times import clock, start_text


def _s(ms):
    return f"{ms / 1000:.2f}"


def print_session_list(console, sessions, db_path):
    if not sessions:
        console.print(f"No sessions in {escape(str(db_path))} yet: `calfraise sync` fetches them.")
        return
    table = Table(
        title=f"Sessions in {escape(str(db_path))}", title_justify="left", box=box.SIMPLE_HEAD
    )
    for name in ("ID", "Start", "Length", "Sets", "Reps", "Partial", "Ended by", "Device"):
        table.add_column(
            name, justify="right" if name in ("ID", "Sets", "Reps") else "left", no_wrap=True
        )
    for s in sessions:
        table.add_row(
            str(s["id"]),
            start_text(s, seconds=False),
            clock(s["duration_ms"]),
            str(s["sets"]),
            str(s["reps"]),
            str(s["partial"]) if s["partial"] else "",
            s["end_reason"] or "not recorded",
            escape(f"{s['device']} #{s['device_session']}"),
        )
    console.print(table)


def _targets(settings):
    """The tempo the athlete aimed at, as a caption, if the session's settings name one."""
    if "tempo_up_ms" not in settings or "tempo_down_ms" not in settings:
        return None
    return f"target: up {_s(settings['tempo_up_ms'])} s, down {_s(settings['tempo_down_ms'])} s"


# (heading, how a rep shows in it, what the set's summary row shows there)
REP_COLUMNS = (
    ("Rep", lambda r: str(r["rep"]), lambda s: "mean"),
    ("At", lambda r: clock(r["start_ms"]), None),
    ("Up s", lambda r: _s(r["up_ms"]), lambda s: _s(s["mean_up_ms"])),
    ("Hold s", lambda r: _s(r["hold_ms"]), None),
    ("Down s", lambda r: _s(r["down_ms"]), lambda s: _s(s["mean_down_ms"])),
    ("Amplitude °", lambda r: f"{r['amplitude_deg']:.1f}", None),
    ("Partial", lambda r: "partial" if r["partial"] else "", None),
)


def set_table(s, reps, caption=None):
    """One set's reps (tempo, range, partial) and its mean tempo, as a rich Table."""
    title = (
        f"Set {s['set']}: {s['reps']} reps, {s['partial']} partial, "
        f"{clock(s['end_ms'] - s['start_ms'])} long"
    )
    table = Table(
        title=title + ("" if s["ended"] else " (end not recorded)"),
        title_justify="left",
        caption=caption,
        caption_justify="left",
    )
    for name, _, _ in REP_COLUMNS:
        table.add_column(name, justify="left" if name == "Partial" else "right")
    for r in (r for r in reps if r["set"] == s["set"]):
        table.add_row(*(show(r) for _, show, _ in REP_COLUMNS))
    table.add_section()
    table.add_row(*(total(s) if total else "" for _, _, total in REP_COLUMNS), style="bold")
    return table


def print_session(console, session):
    """A heading, one table per set (tempo and range of every rep), then the totals."""
    console.print(
        f"[bold]Session {session['id']}[/]: {start_text(session)}, "
        f"{escape(session['device'])} #{session['device_session']} "
        f"({escape(session['board'] or 'unknown board')}, firmware "
        f"{escape(session['firmware'] or '?')})",
        highlight=False,
    )
    for s in session["sets"]:
        console.print(set_table(s, session["reps"], _targets(session["settings"])))
    partial = sum(s["partial"] for s in session["sets"])
    ended = session["end_reason"] or "no end recorded"
    console.print(
        f"[bold]Total:[/] {len(session['sets'])} sets, {rep_count(session)} reps "
        f"({partial} partial) in {clock(session['duration_ms'])}, ended: {ended}",
        highlight=False,
    )
    if session["skipped"]:
        console.print(
            f"[yellow]{session['skipped']} damaged stretch(es) of the session file were "
            "skipped on import[/]",
            highlight=False,
        )


def _pct(share):
    return "" if share is None else f"{share * 100:.0f} %"


def _num(value, fmt="{:.1f}"):
    return "" if value is None else fmt.format(value)


def print_progress(console, report):
    """`calfraise progress`: a row per week against the plan, then trends, bests, the advice."""
    plan = report["plan"]
    table = Table(
        title=f"Weeks against the plan: {plan['sessions_min']}-{plan['sessions_max']} sessions "
        f"of {plan['sets']} × {plan['reps']} reps, lowered in ≥ {plan['lower_ms'] / 1000:g} s",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        caption="Sets, reps: done/target. Slow down: reps lowered slowly enough. "
        "!: sessions outside the plan's range.",
        caption_justify="left",
    )
    for name in ("Week of", "Sessions", "Sets", "Reps", "Slow down", "Range °", "Partial"):
        table.add_column(name, justify="left" if name == "Week of" else "right", no_wrap=True)
    for w in report["weeks"]:
        sessions = f"{w['sessions']}" + ("" if w["sessions_on_target"] else " !")
        table.add_row(
            w["start"],
            sessions,
            f"{w['sets_on_target']}/{w['sets_target']}" if w["sessions"] else "",
            f"{w['reps']}/{w['reps_target']}" if w["sessions"] else "",
            _pct(w["controlled_share"]),
            _num(w["mean_range_deg"]),
            _pct(w["partial_rate"]),
        )
    console.print(table)
    t = report["trends"]
    if t["reps"] is not None:
        console.print(
            f"Trend per week: {t['reps']:+.1f} reps, controlled {t['controlled_share'] * 100:+.0f} "
            f"points, range {t['mean_range_deg']:+.1f}°, partial "
            f"{t['partial_rate'] * 100:+.0f} points.",
            highlight=False,
        )
    names = {
        "reps": "reps in a session",
        "most_reps_in_a_set": "reps in a set",
        "controlled_share": "controlled lowering",
        "mean_range_deg": "mean range °",
    }
    bests = [
        f"{names[k]} {_pct(b['value']) if k == 'controlled_share' else b['value']} "
        f"(session {b['session']})"
        for k, b in report["bests"].items()
    ]
    if bests:
        console.print("Bests: " + "; ".join(bests) + ".", highlight=False)
    if report["undated"]:
        console.print(f"{report['undated']} undated session(s) are in no week.")
    if report["suggestion"]:
        console.print(f"[bold]{escape(report['suggestion'])}[/]", highlight=False)
