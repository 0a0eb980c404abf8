"""`calfraise plot`: a session on one page: the foot's angle over time with its sets shaded,
the rise and the lowering of every rep against their targets (green band: on target), and a
per-set summary (reps against the target, time under tension, mean lowering time).

The device stores reps, not samples, so the angle curve is rebuilt from each rep's four times
and amplitude: a smooth rise from start to top, the hold, a smooth fall to the end. It shows
what the detector saw (timing, range, pauses), not the raw signal. Drawn on calfraise.host.figures
(the Agg canvas: no pyplot, no display, no global backend switch).
"""

import numpy as np
from matplotlib.ticker import FuncFormatter, MultipleLocator

from calfraise.errors import UserError
from calfraise.host.figures import figure_bytes, new_figure
from calfraise.host.queries import rep_count
from calfraise.host.tempo import target_band
from calfraise.host.times import clock, local

STEP_MS = 20  # resolution of the rebuilt curve
TICK_STEPS_MS = (10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000)
FULL, PARTIAL, BAND = "tab:blue", "tab:orange", "tab:green"
MARGIN_MS = 2000  # around the first and the last rep


def _ramp(t, t0, t1):
    """0 at t0 to 1 at t1, half a cosine: a rep's rise has no kink at either end."""
    if t1 <= t0:
        return np.ones_like(t)
    x = np.clip((t - t0) / (t1 - t0), 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def foot_angle(reps, duration_ms):
    """(t_ms, angle_deg): the curve the reps describe, 0 between reps. It starts before 0 if
    a rep began before its session did (storage allows that)."""
    begin = min([0] + [r["start_ms"] for r in reps])
    end = max([duration_ms] + [r["end_ms"] for r in reps])
    t = np.arange(begin, end + STEP_MS, STEP_MS, dtype=float)
    angle = np.zeros_like(t)
    for r in reps:
        i0, i1 = np.searchsorted(t, [r["start_ms"], r["end_ms"]])
        span = t[i0 : i1 + 1]
        rise = _ramp(span, r["start_ms"], r["top_ms"])
        fall = 1.0 - _ramp(span, r["lower_ms"], r["end_ms"])
        angle[i0 : i1 + 1] = r["amplitude_deg"] * np.minimum(rise, fall)
    return t, angle


def _time_axis(ax, begin_ms, end_ms):
    """m:ss ticks at a round step, no more than about ten of them, from the first rep to the
    last: the idle time before and after them is left out."""
    step = next((s for s in TICK_STEPS_MS if (end_ms - begin_ms) / s <= 10), TICK_STEPS_MS[-1])
    ax.set_xlim(begin_ms, end_ms)
    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda ms, _pos: clock(ms)))
    ax.set_xlabel("time into the session (m:ss)")


def set_rows(session):
    """The per-set table: each set as queries.set_summary gives it (the device's count) with
    the target, time under tension and mean lowering in seconds."""
    target = session["settings"].get("reps_per_set")
    return [
        {
            **s,
            "target": target,
            "tension_s": s["tension_ms"] / 1000,
            "mean_down_s": s["mean_down_ms"] / 1000,
        }
        for s in session["sets"]
    ]


def _shade_sets(ax, sets, labels):
    for s in sets:
        ax.axvspan(s["start_ms"], s["end_ms"], color="0.92", zorder=0)
        if labels:
            ax.annotate(
                f"set {s['set']}",
                (s["start_ms"], 1.0),
                xycoords=("data", "axes fraction"),
                va="bottom",
                fontsize=8,
            )


def _legend(ax):
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)


def _angle_panel(ax, session):
    reps = session["reps"]
    t, angle = foot_angle(reps, session["duration_ms"])
    _shade_sets(ax, session["sets"], labels=True)
    ax.plot(t, angle, color="0.3", linewidth=0.8)
    for partial, color, label in ((False, FULL, "rep"), (True, PARTIAL, "partial rep")):
        picked = [r for r in reps if r["partial"] == partial]
        ax.scatter(
            [(r["top_ms"] + r["lower_ms"]) / 2 for r in picked],
            [r["amplitude_deg"] for r in picked],
            color=color,
            s=14,
            zorder=3,
            label=label,
        )
    ax.set_ylabel("foot angle (°)")
    ax.set_ylim(bottom=0)
    _legend(ax)


def _phase_panel(ax, reps, sets, key, target_ms, label):
    """One phase (up or down) of every rep, with its target and on-target band."""
    _shade_sets(ax, sets, labels=False)
    values = [r[f"{key}_ms"] / 1000 for r in reps]
    top = max(values + [0]) * 1.15
    if target_ms:
        target = target_ms / 1000
        low, high = (None if v is None else v / 1000 for v in target_band(key, target_ms))
        top = max(top, (high or target) * 1.3)
        ax.axhspan(low, high or top, color=BAND, alpha=0.15, zorder=0, label="on target")
        ax.axhline(target, color=BAND, linestyle="--", linewidth=1, label=f"target {target:g} s")
    colors = [PARTIAL if r["partial"] else FULL for r in reps]
    ax.scatter([r["start_ms"] for r in reps], values, color=colors, s=14, zorder=3)
    ax.set_ylabel(label)
    ax.set_ylim(0, top)
    _legend(ax)


def _summary_table(ax, rows):
    ax.axis("off")
    cells = [
        [
            f"set {r['set']}",
            f"{r['reps']}" + (f" / {r['target']}" if r["target"] else ""),
            f"{r['partial']}",
            f"{r['tension_s']:.0f} s",
            f"{r['mean_down_s']:.2f} s",
        ]
        for r in rows
    ]
    table = ax.table(
        cellText=cells,
        colLabels=("", "reps / target", "partial", "time under tension", "mean lowering"),
        loc="center",
        cellLoc="center",
    )
    table.auto_set_font_size(False)
    table.set_fontsize(8)


def render(session, fmt="png"):
    """The session's plot as PNG or SVG bytes. UserError if there is no rep to plot."""
    reps = session["reps"]
    if not reps:
        raise UserError(f"session {session['id']} has no reps: nothing to plot")
    settings = session["settings"]
    sets = session["sets"]
    rows = set_rows(session)
    fig = new_figure((11, 7.5 + 0.2 * len(rows)))
    angle_ax, up_ax, down_ax, table_ax = fig.subplots(
        4, 1, height_ratios=(3, 1.4, 1.4, 0.5 + 0.25 * len(rows))
    )
    up_ax.sharex(angle_ax)
    down_ax.sharex(angle_ax)
    _angle_panel(angle_ax, session)
    _phase_panel(up_ax, reps, sets, "up", settings.get("tempo_up_ms"), "rise (s)")
    _phase_panel(down_ax, reps, sets, "down", settings.get("tempo_down_ms"), "lowering (s)")
    _time_axis(
        down_ax,
        min(r["start_ms"] for r in reps) - MARGIN_MS,
        max(r["end_ms"] for r in reps) + MARGIN_MS,
    )
    _summary_table(table_ax, rows)
    variant = (session.get("variant") or "").replace("_", "-")
    fig.suptitle(
        f"Session {session['id']}: {local(session['start_ms'])}, "
        f"{variant + ' raise, ' if variant else ''}{len(sets)} sets, {rep_count(session)} reps"
    )
    return figure_bytes(fig, fmt)
