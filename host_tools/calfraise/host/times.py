"""Wall-clock times as the host shows them: ISO 8601 UTC in data, local time for people."""

from datetime import UTC, datetime


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


def clock(ms):
    """A span of ms as m:ss."""
    seconds = round(ms / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"
