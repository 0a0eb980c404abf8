"""The HTML of each page, rendered on the server from the same data the CLI prints (queries,
progress, plot.set_rows over queries.set_summary). Small enough for a phone: one column, large
figures, no script except the live page's."""

from html import escape

from calfraise.host.plot import set_rows
from calfraise.host.queries import rep_count
from calfraise.host.times import local

NAV = (("/", "History"), ("/live", "Live"))


def layout(title, body, current="/"):
    links = " ".join(
        f'<a href="{href}"{" class=here" if href == current else ""}>{name}</a>'
        for href, name in NAV
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · calfraise</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body><nav>{links}</nav><main><h1>{escape(title)}</h1>
{body}
</main></body></html>"""


def _pct(share):
    return "–" if share is None else f"{100 * share:.0f} %"


def _num(value, unit=""):
    return "–" if value is None else f"{value:g}{unit}"


def _s(ms):
    return f"{ms / 1000:.2f} s"


def _reps(set_row):
    partial = set_row["partial"]
    return f"{set_row['reps']} ({partial} partial)" if partial else str(set_row["reps"])


def history_page(sessions, report):
    plan = report["plan"]
    this_week = report["weeks"][-1] if report["weeks"] else None
    cards = [
        ("Plan", f"{plan['sets']} × {plan['reps']} reps, {plan['variant']}"),
        (
            "This week",
            f"{this_week['sessions']} of {plan['sessions_min']}–{plan['sessions_max']} sessions"
            if this_week
            else "–",
        ),
        ("Sessions", str(len(sessions))),
    ]
    best = report["bests"].get("most_reps_in_a_set")
    if best:
        cards.append(("Best set", f"{best['value']} reps"))
    body = '<section class="cards">' + "".join(
        f'<div class="card"><span>{escape(k)}</span><b>{escape(v)}</b></div>' for k, v in cards
    )
    body += "</section>"
    if report.get("suggestion"):
        body += f'<p class="advice">{escape(str(report["suggestion"]))}</p>'
    if not sessions:
        body += "<p>No session yet: record one, then <code>calfraise sync</code>.</p>"
        return layout("History", body, "/")
    body += '<h2>Progress</h2><img class="chart" src="/progress.svg" alt="progress by week">'
    rows = "".join(
        f'<tr><td><a href="/session/{s["id"]}">{s["id"]}</a></td>'
        f"<td>{escape(local(s['start_ms'], seconds=False) if s['start_ms'] else 'undated')}</td>"
        f"<td>{s['sets']}</td><td>{s['reps']}</td><td>{s['partial']}</td></tr>"
        for s in reversed(sessions)
    )
    body += (
        "<h2>Sessions</h2><table><thead><tr><th>#</th><th>Start</th><th>Sets</th><th>Reps</th>"
        f"<th>Partial</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    return layout("History", body, "/")


def session_page(session):
    reps = session["reps"]
    start = local(session["start_ms"]) if session["start_ms"] else "undated"
    ended = escape(str(session["end_reason"]))
    body = f"<p>{escape(start)} · {rep_count(session)} reps · ended by {ended}</p>"
    if not reps:
        return layout(f"Session {session['id']}", body + "<p>No reps.</p>")
    rows = "".join(
        f"<tr><td>{r['set']}</td><td>{_reps(r)}</td><td>{_num(r['target'])}</td>"
        f"<td>{r['tension_s']:.0f} s</td>"
        f"<td>{r['mean_down_s']:.1f} s</td></tr>"
        for r in set_rows(session)
    )
    body += (
        "<table><thead><tr><th>Set</th><th>Reps</th><th>Target</th><th>Under tension</th>"
        f"<th>Mean lowering</th></tr></thead><tbody>{rows}</tbody></table>"
        f'<img class="chart" src="/session/{session["id"]}.svg" alt="the session, rep by rep">'
    )
    rep_rows = "".join(
        f"<tr><td>{r['set']}</td><td>{r['rep']}</td><td>{_s(r['up_ms'])}</td>"
        f"<td>{_s(r['hold_ms'])}</td><td>{_s(r['down_ms'])}</td>"
        f"<td>{r['amplitude_deg']:.0f}°{' partial' if r['partial'] else ''}</td></tr>"
        for r in reps
    )
    body += (
        "<h2>Reps</h2><table><thead><tr><th>Set</th><th>Rep</th><th>Up</th><th>Hold</th>"
        f"<th>Down</th><th>Range</th></tr></thead><tbody>{rep_rows}</tbody></table>"
    )
    return layout(f"Session {session['id']}", body)


def live_page():
    body = """<p id="link" class="link">looking for the sensor…</p>
<section class="live">
  <div class="count"><b id="rep">0</b><span>reps in set <b id="set">–</b></span></div>
  <div class="tempo"><span>up</span><b id="up">–</b><span>down</span><b id="down">–</b></div>
  <p id="total">0 reps this session</p>
</section>
<script src="/static/live.js"></script>"""
    return layout("Live", body, "/live")
