"""The BLE protocol as the host speaks it: every public name of the device's module
(calfraise_fw/protocol.py, which the board carries) and the host's half, kept off the board's
heap: encode_command(), the decode_* functions and the names of sessions' fields, statuses and
error flags. The formats are the device module's: each byte is written once.

Every decoder raises nothing but ProtocolError, whatever the bytes.
"""

import struct

from calfraise_fw.protocol import *  # noqa: F403  (the host sees one protocol module)
from calfraise_fw.protocol import (
    _DATA_HEAD,
    _ENTRY,
    _ENTRY_SIZE,
    _EVENT_HEAD,
    _NO_BATTERY,
    _OPEN,
    _PARTIAL,
    _RAW_HEAD,
    _RAW_SAMPLE,
    _REP,
    _REQUEST,
    _RESPONSE,
    _SET_END_EVENT,
    _STATE_EVENT,
    _STATUS,
    _STORAGE_EVENT,
    _SYNCED,
    _TARGET_EVENT,
    COMMAND_NAMES,
    EVENT_KINDS,
    GET_SETTINGS,
    HELLO,
    LIST_SESSIONS,
    MAX_COMMAND,
    REASONS,
    SET_SETTINGS,
    SETTING_NAMES,
    STATES,
    VERSION,
    VERSION_MISMATCH,
    ProtocolError,
    _has_payload,
    _pack,
    _pairs,
    _read_pairs,
    _unpack,
)

# a session in LIST_SESSIONS: id, start_s (0: unknown), size, reps, sets, flags
SESSION_FIELDS = ("id", "start_s", "size", "reps", "sets", "synced", "open")

STATUS_NAMES = (
    "ok",
    "unknown_command",
    "malformed",
    "out_of_range",
    "not_now",
    "no_such_session",
    "storage_error",
    "version_mismatch",
    "busy",
    "too_large",
    "failed",
)
# error flags: bit i is ERROR_NAMES[i]
ERROR_NAMES = (
    "imu_missing",
    "imu_failed",
    "storage_full",
    "storage_error",
    "clock_unset",
    "battery_low",
    "settings",
    "sessions_lost",
    "task_failed",
)


def _read_text(body, at):
    """(text, offset after it) of a u8-length-prefixed UTF-8 string at body[at]."""
    end = at + 1 + body[at] if at < len(body) else at
    if end > len(body) or end == at:
        raise ProtocolError("text missing or overrunning the message")
    try:
        return bytes(body[at + 1 : end]).decode(), end
    except UnicodeError:
        raise ProtocolError("text is not UTF-8") from None


def encode_command(opcode, seq, *args):
    """A control point write (host side); args as parse_command() returns them.

    GET_SETTINGS takes setting names (none: all), SET_SETTINGS (name, value) pairs.
    ValueError if an argument does not fit its field or a setting value is invalid.
    """
    if opcode == GET_SETTINGS:
        for name in args:
            if name not in SETTING_NAMES:
                raise ValueError(f"unknown setting {name!r}")
        body = bytes(SETTING_NAMES.index(name) for name in args)
    elif opcode == SET_SETTINGS:
        body = _pairs(args)
    elif 0 < opcode < len(_REQUEST):
        body = _pack(_REQUEST[opcode], *args)
    else:
        raise ValueError(f"unknown command {opcode}")
    data = _pack("<BB", opcode, seq) + body
    if len(data) > MAX_COMMAND:
        raise ValueError(f"{len(data)} bytes: a command has at most {MAX_COMMAND}")
    return data


def decode_response(data):
    """(opcode, seq, status, values) of a control point notification (host side); values as
    encode_response() takes them, in a tuple; () for an error. Raises ProtocolError."""
    if len(data) < 3:
        raise ProtocolError(f"a response of {len(data)} bytes")
    opcode, seq, status = data[0], data[1], data[2]
    body = memoryview(data)[3:]
    if status >= len(STATUS_NAMES):
        raise ProtocolError(f"unknown status {status}")
    if not _has_payload(opcode, status):
        if len(body):
            raise ProtocolError(f"status {status} with a payload")
        values = ()
    elif opcode == HELLO:
        firmware, at = _read_text(body, 1)
        board, _ = _read_text(body, at)  # frozen: later fields are ignored
        values = (body[0], firmware, board)
    elif opcode == GET_SETTINGS:
        values = _read_pairs(body)
    elif opcode == LIST_SESSIONS:
        values = _decode_list(body)
    elif 0 < opcode < len(_RESPONSE):
        values = _unpack(_RESPONSE[opcode], body, COMMAND_NAMES[opcode])
    else:
        raise ProtocolError(f"ok to unknown command {opcode}")
    return opcode, seq, status, values


def _decode_list(body):
    count = body[0] if len(body) else 0
    if len(body) != 2 + count * _ENTRY_SIZE or body[1] > 1:
        raise ProtocolError(f"list_sessions: {len(body)} bytes")
    entries = []
    for at in range(2, len(body), _ENTRY_SIZE):
        sid, start_s, size, reps, sets, flags = struct.unpack_from(_ENTRY, body, at)
        if flags > _SYNCED | _OPEN:
            raise ProtocolError(f"list_sessions: unknown flags {flags}")
        synced = bool(flags & _SYNCED)
        entries.append((sid, start_s or None, size, reps, sets, synced, bool(flags & _OPEN)))
    return body[1] == 1, tuple(entries)


def decode_rep(data):
    """(seq, event) of a rep notification, the event as the device's "rep" event."""
    seq, start, up, hold, down, cdeg, set_no, rep_no, flags = _unpack(_REP, data, "rep")
    if flags > _PARTIAL:
        raise ProtocolError(f"rep: unknown flags {flags}")
    event = {
        "type": "rep",
        "start_ms": start,
        "top_ms": start + up,
        "lower_ms": start + up + hold,
        "end_ms": start + up + hold + down,
        "up_ms": up,
        "hold_ms": hold,
        "down_ms": down,
        "amplitude_deg": cdeg / 100,
        "set": set_no,
        "rep": rep_no,
        "partial": bool(flags & _PARTIAL),
    }
    return seq, event


def missed(prev_seq, seq):
    """Notifications lost between two received sequence numbers (u16, wrapping)."""
    return (seq - prev_seq - 1) & 0xFFFF


def decode_event(data):
    """The device's event (a dict with "type") from an event notification; ProtocolError."""
    at = struct.calcsize(_EVENT_HEAD)
    kind, t_ms = _unpack(_EVENT_HEAD, memoryview(data)[:at], "event")
    body = memoryview(data)[at:]
    if kind >= len(EVENT_KINDS):
        raise ProtocolError(f"event: unknown kind {kind}")
    name = EVENT_KINDS[kind]
    event = {"type": name, "t_ms": t_ms}
    if name == "state":
        state, reason, sets, reps = _unpack(_STATE_EVENT, body, "state event")
        if state >= len(STATES) or reason >= len(REASONS):
            raise ProtocolError(f"state event: state {state}, reason {reason}")
        event.update(state=STATES[state], reason=REASONS[reason])
        if state == 0:  # idle: the session that ended
            event.update(sets=sets, reps=reps)
        elif sets or reps:
            raise ProtocolError("state event: a session's totals come with its end only")
    elif name == "set_end":
        fields = _unpack(_SET_END_EVENT, body, "set_end event")
        event.update(zip(("set", "reps", "start_ms", "end_ms", "target"), fields, strict=True))
    elif name == "storage_full":
        fields = _unpack(_STORAGE_EVENT, body, "storage_full event")
        event.update(zip(("set", "reps"), fields, strict=True))
    else:
        event.update(
            zip(("set", "reps"), _unpack(_TARGET_EVENT, body, "target event"), strict=True)
        )
    return event


def decode_status(data):
    """The status value as a dict of encode_status()'s fields (set, rep, ...) and "version".
    ProtocolError: VERSION_MISMATCH if byte 0 is another version, else MALFORMED."""
    if len(data) and data[0] != VERSION:
        raise ProtocolError(f"status of protocol version {data[0]}", VERSION_MISMATCH)
    _, state, errors, set_no, rep_no, reps, battery, free, tenths = _unpack(_STATUS, data, "status")
    if state >= len(STATES) or 100 < battery < _NO_BATTERY:
        raise ProtocolError(f"status: state {state}, battery {battery}")
    return {
        "version": VERSION,
        "state": STATES[state],
        "set": set_no,
        "rep": rep_no,
        "reps": reps,
        "battery_pct": None if battery == _NO_BATTERY else battery,
        "free_bytes": free,
        "free_hours": tenths / 10,
        "errors": errors,
    }


def error_names(errors):
    """The names of the error flags set in errors (bits this version does not know are left out)."""
    return [name for i, name in enumerate(ERROR_NAMES) if errors >> i & 1]


def decode_chunk(data):
    """(offset, bytes) of a data notification; ProtocolError if it carries no byte."""
    if len(data) <= _DATA_HEAD:
        raise ProtocolError(f"data chunk of {len(data)} bytes")
    return struct.unpack_from("<I", data, 0)[0], bytes(data[_DATA_HEAD:])


def decode_raw(data):
    """(first_index, samples) of a raw notification; samples: (ax, ay, az, gx, gy, gz) tuples."""
    n = len(data) - _RAW_HEAD
    if n < _RAW_SAMPLE or n % _RAW_SAMPLE:
        raise ProtocolError(f"raw batch of {len(data)} bytes")
    first = struct.unpack_from("<I", data, 0)[0]
    at = range(_RAW_HEAD, len(data), _RAW_SAMPLE)
    return first, [struct.unpack_from("<hhhhhh", data, i) for i in at]


def decode_ad(data):
    """{AD type: value bytes} of advertising or scan response data; a zero length ends it
    (padding). ProtocolError if a structure overruns the data."""
    out = {}
    at = 0
    while at < len(data) and data[at]:
        end = at + 1 + data[at]
        if end > len(data):
            raise ProtocolError(f"AD structure at {at} overruns the data")
        out[data[at + 1]] = bytes(data[at + 2 : end])
        at = end
    return out
