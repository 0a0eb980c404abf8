"""`calfraise progress --plot`: the weeks of calfraise.host.progress.progress() on one page:
sessions against the plan's band, reps against the target, the share of controlled lowering,
and the mean range with the partial-rep rate. Drawn on calfraise.host.figures, no pyplot."""

from calfraise.host.figures import figure_bytes, new_figure

BAND, DONE, TARGET = "tab:green", "tab:blue", "0.6"


def render_progress(report, fmt="png"):
    """The report's weeks as PNG or SVG bytes."""
    weeks = report["weeks"]
    plan = report["plan"]
    x = list(range(len(weeks)))
    labels = [w["start"][5:] for w in weeks]  # MM-DD of each week's Monday
    fig = new_figure((10, 8))
    sessions_ax, reps_ax, control_ax, range_ax = fig.subplots(4, 1, sharex=True)

    sessions_ax.axhspan(
        plan["sessions_min"] - 0.5, plan["sessions_max"] + 0.5, color=BAND, alpha=0.15
    )
    sessions_ax.bar(x, [w["sessions"] for w in weeks], color=DONE)
    sessions_ax.set_ylabel("sessions")

    reps_ax.bar(x, [w["reps_target"] for w in weeks], color=TARGET, label="target")
    reps_ax.bar(x, [w["reps"] for w in weeks], color=DONE, width=0.5, label="done")
    reps_ax.set_ylabel("reps")
    reps_ax.legend(loc="upper left", fontsize=8)

    shares = [None if w["controlled_share"] is None else 100 * w["controlled_share"] for w in weeks]
    control_ax.plot(x, shares, marker="o", color=DONE)
    control_ax.set_ylim(0, 105)
    control_ax.set_ylabel(f"lowered ≥ {plan['lower_ms'] / 1000:g} s (%)")

    range_ax.plot(x, [w["mean_range_deg"] for w in weeks], marker="o", color=DONE)
    range_ax.set_ylabel("mean range (°)")
    partial_ax = range_ax.twinx()
    partials = [None if w["partial_rate"] is None else 100 * w["partial_rate"] for w in weeks]
    partial_ax.plot(x, partials, marker="v", linestyle=":", color="tab:orange")
    partial_ax.set_ylabel("partial reps (%)", color="tab:orange")
    range_ax.set_xticks(x, labels)
    range_ax.set_xlabel("week starting (month-day)")

    fig.suptitle(
        f"Progress: {plan['sets']} × {plan['reps']} reps, "
        f"{plan['sessions_min']}-{plan['sessions_max']} sessions a week"
    )
    return figure_bytes(fig, fmt)
