"""`calfraise analyze TRACE --plot FILE.png`: the raw signal and what the detector made of it.

Top: the foot's tilt, the angle between the accelerometer's (smoothed) direction and its
typical direction in the trace, so it reads without knowing how the clip sits; each detected
rep is shaded from start to end with its top and lower marked (partial reps in orange).
Bottom: how fast the sensor turns (gyro magnitude). Drawn on matplotlib's Agg canvas.
"""

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

SMOOTH_MS = 200  # the tilt curve: a moving average this long takes out steps and tremor


def tilt_deg(trace):
    """Degrees between each (smoothed) accelerometer vector and the trace's median direction."""
    rate = 1000 / max(1e-9, float(np.median(np.diff(trace.t_ms))))
    n = max(1, int(rate * SMOOTH_MS / 1000))
    kernel = np.ones(n) / n
    acc = np.stack([np.convolve(trace.accel_g[:, i], kernel, "same") for i in range(3)], 1)
    unit = acc / np.maximum(np.linalg.norm(acc, axis=1, keepdims=True), 1e-9)
    rest = np.median(unit, axis=0)
    rest /= np.linalg.norm(rest)
    return np.degrees(np.arccos(np.clip(unit @ rest, -1.0, 1.0)))


def render_trace_png(trace, reps):
    fig = Figure(figsize=(12, 5), layout="constrained")
    FigureCanvasAgg(fig)
    tilt_ax, gyro_ax = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    t_s = trace.t_ms / 1000
    tilt_ax.plot(t_s, tilt_deg(trace), color="0.3", linewidth=0.7, label="tilt from rest")
    for r in reps:
        color = "tab:orange" if r["partial"] else "tab:blue"
        tilt_ax.axvspan(r["start_ms"] / 1000, r["end_ms"] / 1000, color=color, alpha=0.2)
        tilt_ax.axvline(r["top_ms"] / 1000, color=color, linewidth=0.6)
        tilt_ax.axvline(r["lower_ms"] / 1000, color=color, linewidth=0.6, linestyle="--")
    tilt_ax.set_ylabel("tilt (°)")
    tilt_ax.set_title(
        f"{trace.path.name}: {len(reps)} reps detected (shaded start to end; solid line: top, "
        "dashed: lowering begins; orange: partial)",
        fontsize=10,
    )
    gyro_ax.plot(t_s, np.linalg.norm(trace.gyro_dps, axis=1), color="tab:green", linewidth=0.6)
    gyro_ax.set_ylabel("turn rate (°/s)")
    gyro_ax.set_xlabel("time (s)")
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=100)
    return out.getvalue()
