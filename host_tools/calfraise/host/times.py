"""Wall-clock times as the host shows them: ISO 8601 UTC in data, local time for people."""

from datetime import UTC, datetime

from calfraise.errors import UserError


def iso_utc(unix_ms):
    """Unix ms as ISO 8601 UTC ("2026-01-01T07:30:00.250Z"); None stays None."""
    if unix_ms is None:
        return None
    when = datetime.fromtimestamp(unix_ms / 1000, UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_ms():
    return round(datetime.now(UTC).timestamp() * 1000)


def local(unix_ms, seconds=True):
    """Unix ms as local date and time ("2026-01-01 08:30:00"; no ":00" if not seconds), or
    "undated"."""
    if unix_ms is None:
        return "undated"
    when = datetime.fromtimestamp(unix_ms / 1000).astimezone()
    return when.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def start_text(session, seconds=True):
    """A session's start for people: local time, "~" first when inferred across a power loss
    (docs/device.md, Time), or "undated"."""
    text = local(session["start_ms"], seconds)
    return "~" + text if session.get("dated_by") == "estimated" else text


def parse_when(text):
    """Unix ms of an ISO 8601 date and time ("2026-12-06 07:30"; local time unless it names an
    offset, "2026-12-06T06:30Z"); UserError if it is not one."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"{text!r} is not a date and time such as 2026-12-06 07:30") from None
    return round(when.astimezone().timestamp() * 1000)


def clock(ms):
    """A span of ms as m:ss."""
    seconds = round(ms / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"
