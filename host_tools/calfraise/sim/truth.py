"""The answer key of a rendered session, in the trace's own t_ms clock.

Why computed from the rendered pitch (not from the plan's nominal phase lengths): the interface
defines rep timing as the 5 % / 95 % crossings of each rep's own amplitude, and the tremor at the
top, partial reps and fatigue all move those crossings.
"""

import numpy as np


def _cross(t, y, i, thr):
    """Time where y crosses thr between samples i and i+1 (linear interpolation)."""
    y0, y1 = y[i], y[i + 1]
    f = 0.0 if y1 == y0 else (thr - y0) / (y1 - y0)
    return t[i] + float(np.clip(f, 0.0, 1.0)) * (t[i + 1] - t[i])


def rep_times(t, theta):
    """(start, top, lower, end, amplitude) of one rep from its own pitch trace theta(t)."""
    amp = float(theta.max())
    lo, hi = 0.05 * amp, 0.95 * amp
    above_hi = np.flatnonzero(theta >= hi)
    i_top, i_low = above_hi[0], above_hi[-1]
    below = np.flatnonzero(theta[:i_top] < lo)
    i_s = below[-1] if len(below) else 0
    after = np.flatnonzero(theta[i_low:] < lo)
    i_e = i_low + after[0] - 1 if len(after) else len(theta) - 2
    start = _cross(t, theta, i_s, lo)
    top = _cross(t, theta, max(i_top - 1, 0), hi)
    lower = _cross(t, theta, i_low, hi) if i_low + 1 < len(theta) else t[i_low]
    end = _cross(t, theta, i_e, lo)
    return start, top, lower, end, amp


def build_truth(tl, plan, sensor, duration_ms, rate_hz):
    """The truth dict (format in docs/interfaces.md, plus session meta)."""
    to_ms = lambda s: int(round(float(sensor.to_ms(s))))  # noqa: E731
    reps = []
    for seg, i0, theta in tl.reps:
        t = tl.t[i0 : i0 + len(theta)]
        start, top, lower, end, amp = rep_times(t, theta)
        s, tp, lw, e = to_ms(start), to_ms(top), to_ms(lower), to_ms(end)
        reps.append(
            {
                "start_ms": s,
                "top_ms": tp,
                "lower_ms": lw,
                "end_ms": e,
                "up_ms": tp - s,
                "hold_ms": lw - tp,
                "down_ms": e - lw,
                "amplitude_deg": round(amp, 2),
                "set": seg.set_no,
                "rep": seg.rep_no,
                "partial": bool(seg.partial),
                "posture": seg.posture,
            }
        )
    sets = []
    for k in sorted({r["set"] for r in reps}):
        members = [r for r in reps if r["set"] == k]
        sets.append(
            {
                "set": k,
                "start_ms": members[0]["start_ms"],
                "end_ms": members[-1]["end_ms"],
                "reps": len(members),
                "posture": members[0]["posture"],
            }
        )
    distractors = []
    for kind, s0, s1 in tl.events:  # consecutive segments of one kind form one bout
        if distractors and distractors[-1]["kind"] == kind and distractors[-1]["_end"] == s0:
            distractors[-1]["end_ms"], distractors[-1]["_end"] = to_ms(s1), s1
        else:
            distractors.append(
                {"kind": kind, "start_ms": to_ms(s0), "end_ms": to_ms(s1), "_end": s1}
            )
    for d in distractors:
        del d["_end"]
    return {
        "version": 1,
        "tier": plan.tier,
        "seed": plan.seed,
        "rate_hz": rate_hz,
        "duration_ms": duration_ms,
        "reps": reps,
        "sets": sets,
        "distractors": distractors,
        "transitions": [
            {"from": a, "to": b, "start_ms": to_ms(s0), "end_ms": to_ms(s1)}
            for a, b, s0, s1 in tl.transitions
        ],
        "meta": {
            "sensor": sensor.meta(),
            "foot_length_m": plan.foot_length_m,
            "clips": [{"from_ms": to_ms(s), **plan.mounts[m].meta()} for s, m in tl.mount_changes],
            "postures": {
                k: {"pitch_deg": v[0], "tilt_deg": list(v[1])} for k, v in plan.postures.items()
            },
            "clip_convention": "quat_wxyz turns sensor axes into foot axes (x toes, y left, z up)",
            "saved_gyro_bias_dps": (
                None if plan.saved_gyro_bias_dps is None else list(plan.saved_gyro_bias_dps)
            ),
        },
    }
