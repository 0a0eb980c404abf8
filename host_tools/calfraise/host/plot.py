"""`calfraise plot`: a session on one page: the foot's angle over time with its sets, and the
tempo of every rep against the target.

The device stores reps, not samples, so the angle curve is rebuilt from each rep's four times
and amplitude: a smooth rise from start to top, the hold, a smooth fall to the end. It shows
what the detector saw (timing, range, pauses), not the raw signal. Drawn with matplotlib's Agg
canvas directly: no pyplot, no display, no global backend switch.
"""

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator

from calfraise.errors import UserError
from calfraise.host.times import clock, local

STEP_MS = 20  # resolution of the rebuilt curve
TICK_STEPS_MS = (10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000)
FULL, PARTIAL, UP, DOWN = "tab:blue", "tab:orange", "tab:green", "tab:purple"


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


def _time_axis(ax, end_ms):
    """m:ss ticks at a round step: no more than about ten of them."""
    step = next((s for s in TICK_STEPS_MS if end_ms / s <= 10), TICK_STEPS_MS[-1])
    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda ms, _pos: clock(ms)))
    ax.set_xlabel("time into the session (m:ss)")


def _shade_sets(ax, sets, labels):
    for s in sets:
        ax.axvspan(s["start_ms"], s["end_ms"], color="0.9", zorder=0)
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
    return t[-1]


def _tempo_panel(ax, session):
    reps = session["reps"]
    settings = session["settings"]
    starts = [r["start_ms"] for r in reps]
    _shade_sets(ax, session["sets"], labels=False)
    for key, color, marker in (("up", UP, "^"), ("down", DOWN, "v")):
        ax.scatter(
            starts,
            [r[f"{key}_ms"] / 1000 for r in reps],
            color=color,
            marker=marker,
            s=18,
            label=key,
        )
        target = settings.get(f"tempo_{key}_ms")
        if target:
            ax.axhline(
                target / 1000,
                color=color,
                linestyle="--",
                linewidth=1,
                label=f"{key} target",
            )
    ax.set_ylabel("phase time (s)")
    ax.set_ylim(0, ax.get_ylim()[1] * 1.1)  # headroom: the slowest rep is not on the frame
    _legend(ax)


def render_png(session):
    """The session's plot as PNG bytes. UserError if there is no rep to plot."""
    if not session["reps"]:
        raise UserError(f"session {session['id']} has no reps: nothing to plot")
    fig = Figure(figsize=(11, 6), layout="constrained")
    FigureCanvasAgg(fig)
    angle_ax, tempo_ax = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    end_ms = _angle_panel(angle_ax, session)
    _tempo_panel(tempo_ax, session)
    _time_axis(tempo_ax, end_ms)
    fig.suptitle(
        f"Session {session['id']}: {local(session['start_ms'])}, {len(session['sets'])} sets, "
        f"{len(session['reps'])} reps"
    )
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=100)
    return out.getvalue()
