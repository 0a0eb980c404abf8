"""When a rep's phase is "on target", in one place for the plot, the terminal's live view and
the web page: a rise within ±25 % of its target (neither a jerk nor a stall), a lowering at its
target or slower (slow, controlled lowering is the point of the exercise)."""

RISE_TOLERANCE = 0.25


def target_band(phase, target_ms):
    """(low, high) ms of the on-target band of "up" or "down"; high None: no upper limit."""
    if phase == "up":
        return target_ms * (1 - RISE_TOLERANCE), target_ms * (1 + RISE_TOLERANCE)
    return target_ms, None


def on_target(phase, ms, target_ms):
    """True/False for a phase ("up" or "down") against its target, None without a target."""
    if not target_ms:
        return None
    low, high = target_band(phase, target_ms)
    return low <= ms and (high is None or ms <= high)
