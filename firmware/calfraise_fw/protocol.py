"""The BLE protocol between the board and the host: identity, GATT layout, every message.

The board's GATT server and the host tool both import this module, so they agree on every byte;
docs/protocol.md describes them byte by byte. This is what the device needs: parse_command() and
the encode_* / pack_* functions. The host's half (encode_command(), the decode_* functions, the
names of statuses and errors) is calfraise.host.protocol, off the board's heap. parse_command()
raises nothing but ProtocolError, whatever the bytes.

RAM: each public name costs the board a dict entry and a qstr, so tables and formats are private
const()s (the compiler inlines them) and the public names are the ones a caller needs.
Versions: any layout change bumps VERSION; HELLO, the response head and status byte 0 never change.
"""

import struct
from binascii import hexlify, unhexlify

from micropython import const

from calfraise_fw import settings

VERSION = const(3)  # 2: the event characteristic; 3: busy/too_large/failed, storage_full event

# --- identity and GATT layout ----------------------------------------------------------------
SERVICE_UUID = "c7150001-7c5e-4786-9f45-dc27e4112f5c"
REP_UUID = "c7150002-7c5e-4786-9f45-dc27e4112f5c"
STATUS_UUID = "c7150003-7c5e-4786-9f45-dc27e4112f5c"
CONTROL_UUID = "c7150004-7c5e-4786-9f45-dc27e4112f5c"
DATA_UUID = "c7150005-7c5e-4786-9f45-dc27e4112f5c"
RAW_UUID = "c7150006-7c5e-4786-9f45-dc27e4112f5c"
EVENT_UUID = "c7150007-7c5e-4786-9f45-dc27e4112f5c"
MANUFACTURER = "calfraise"
NAME_PREFIX = "calfraise-"

# characteristic properties, as bluetooth.FLAG_* (Core spec Vol 3 Part G 3.3.1.1)
_READ = const(0x02)
_WRITE = const(0x08)
_NOTIFY = const(0x10)
# reads, writes and subscriptions need an encrypted link (bluetooth.FLAG_READ_ENCRYPTED |
# FLAG_WRITE_ENCRYPTED): Just Works pairing is encrypted, not authenticated (docs/protocol.md)
_ENCRYPTED = const(0x1200)
_BATTERY_SERVICE = const(0x180F)  # Bluetooth Assigned Numbers, 16-bit UUIDs


def gatt():
    """(service, ((characteristic, flags), ...)) for gatts_register_services(), in its order: it
    returns the value handles in the same order. SIG UUIDs are ints: Device Information (0x180A:
    manufacturer name 0x2A29, model number 0x2A24, firmware revision 0x2A26, serial number
    0x2A25) and Battery (0x180F: battery level 0x2A19) are open; our service needs an encrypted
    link. A function, not a table: the board registers it once at boot, then the heap is free of
    it."""
    return (
        (0x180A, ((0x2A29, _READ), (0x2A24, _READ), (0x2A26, _READ), (0x2A25, _READ))),
        (_BATTERY_SERVICE, ((0x2A19, _READ | _NOTIFY),)),
        (
            SERVICE_UUID,
            (
                (REP_UUID, _NOTIFY | _ENCRYPTED),
                (STATUS_UUID, _READ | _NOTIFY | _ENCRYPTED),
                (CONTROL_UUID, _WRITE | _NOTIFY | _ENCRYPTED),
                (DATA_UUID, _NOTIFY | _ENCRYPTED),
                (RAW_UUID, _NOTIFY | _ENCRYPTED),
                (EVENT_UUID, _NOTIFY | _ENCRYPTED),
            ),
        ),
    )


# --- sizes ---------------------------------------------------------------------------------
MIN_MTU = const(64)  # below this (before the MTU exchange: 23) commands get NOT_NOW
PREFERRED_MTU = const(247)  # one LE data-length-extended packet (251 bytes) per notification
MAX_COMMAND = const(64)  # the control point's buffer (gatts_set_buffer)
_ATT_HEAD = const(3)  # a notification's opcode and handle: values hold MTU - 3 bytes
_TEXT_MAX = const(24)  # UTF-8 bytes of the firmware and board names in HELLO
_DATA_HEAD = const(4)  # a data chunk's u32 offset
_RAW_HEAD = const(4)  # a raw batch's u32 index of its first sample
_RAW_SAMPLE = const(12)  # ax, ay, az, gx, gy, gz as i16
_MIN_EPOCH_S = const(1577836800)  # 2020-01-01: an earlier clock was never set
_MAX_EPOCH_S = const(4102444800)  # 2100-01-01: a later one is a mistake (start_s is a u32)

# --- commands (control point) ------------------------------------------------------------------
HELLO = const(1)
SET_TIME = const(2)
START_SESSION = const(3)
STOP_SESSION = const(4)
GET_SETTINGS = const(5)
SET_SETTINGS = const(6)
LIST_SESSIONS = const(7)
READ_SESSION = const(8)
MARK_SYNCED = const(9)
DELETE_SESSION = const(10)
START_RAW = const(11)
STOP_RAW = const(12)
REBOOT = const(13)
RESET_CALIBRATION = const(14)  # forget the saved gyro bias and the learned rest
COMMAND_NAMES = (
    None,
    "hello",
    "set_time",
    "start_session",
    "stop_session",
    "get_settings",
    "set_settings",
    "list_sessions",
    "read_session",
    "mark_synced",
    "delete_session",
    "start_raw",
    "stop_raw",
    "reboot",
    "reset_calibration",
)
# payload formats by opcode; None: not one struct (settings, HELLO's and LIST's responses)
_REQUEST = const(
    (None, "<B", "<I", "<", "<", None, None, "<IB", "<III", "<I", "<I", "<", "<", "<", "<")
)
_RESPONSE = const(
    (None, None, "<", "<", "<", None, "<", None, "<III", "<", "<", "<Hff", "<", "<", "<")
)

# --- status codes ------------------------------------------------------------------------------
OK = const(0)
UNKNOWN_COMMAND = const(1)
MALFORMED = const(2)
OUT_OF_RANGE = const(3)
NOT_NOW = const(4)
NO_SUCH_SESSION = const(5)
STORAGE_ERROR = const(6)
VERSION_MISMATCH = const(7)
BUSY = const(8)  # the command queue is full: send it again once an answer came
TOO_LARGE = const(9)  # the answer would not fit one notification at this MTU
FAILED = const(10)  # the command raised inside the device (an error event says why)

# settings by id: this table is part of the protocol version
SETTING_NAMES = (
    "reps_per_set",
    "tempo_cue",
    "tempo_up_ms",
    "tempo_down_ms",
    "led_brightness",
    "idle_end_s",
    "delete_unsynced_when_full",
    "standby_s",
)
_PAIR = const("<Bi")  # setting id, value
_PAIR_SIZE = const(5)

# a session in LIST_SESSIONS: id, start_s (0: unknown), size, reps, sets, flags
_ENTRY = const("<IIIHHB")
_ENTRY_SIZE = const(17)
_SYNCED = const(1)
_OPEN = const(2)

# --- notifications -----------------------------------------------------------------------------
_REP = const("<HIHHHHHHB")  # seq, start_ms, up, hold, down, amplitude_cdeg, set, rep, flags
_PARTIAL = const(1)
_STATUS = const("<BBHHHHBIH")  # version, state, errors, set, rep, reps, battery, free, hours*10
_NO_BATTERY = const(255)
STATES = ("idle", "in_session")
# session events: kind, t_ms, then per kind (docs/device.md has their meaning)
_EVENT_HEAD = const("<BI")
_STATE_EVENT = const("<BBHH")  # state, reason, sets, reps (sets and reps: at the end)
_SET_END_EVENT = const("<HHIIH")  # set, reps, start_ms, end_ms, target
_TARGET_EVENT = const("<HH")  # set, reps
_STORAGE_EVENT = const("<HH")  # set, session reps when per-rep detail stopped
EVENT_KINDS = ("state", "set_end", "target", "storage_full")
REASONS = ("rep", "button", "command", "timeout")
# error flags (their names: calfraise.host.protocol.ERROR_NAMES)
E_IMU_MISSING = const(0x01)
E_IMU_FAILED = const(0x02)
E_STORAGE_FULL = const(0x04)
E_STORAGE_ERROR = const(0x08)
E_CLOCK_UNSET = const(0x10)
E_BATTERY_LOW = const(0x20)
E_SETTINGS = const(0x40)
E_SESSIONS_LOST = const(0x80)
E_TASK_FAILED = const(0x100)  # a task raised and was restarted (docs/device.md, Supervision)

# advertising data types (Bluetooth Assigned Numbers, "Common Data Types")
_AD_FLAGS = const(0x01)
_AD_UUID128_COMPLETE = const(0x07)
_AD_NAME_COMPLETE = const(0x09)
_AD_SERVICE_DATA16 = const(0x16)
_LE_GENERAL_NO_BREDR = const(0x06)  # flags: LE General Discoverable, BR/EDR not supported


class ProtocolError(ValueError):
    """Bytes that are not a valid message of this protocol version.

    status: the code the device answers with (MALFORMED, UNKNOWN_COMMAND, OUT_OF_RANGE,
    VERSION_MISMATCH); opcode, seq: of the refused command once parse_command() read them
    (else 0), so that error_response(err) answers the right request.
    """

    def __init__(self, message, status=MALFORMED, opcode=0, seq=0):
        super().__init__(message)
        self.status = status
        self.opcode = opcode
        self.seq = seq


# --- packing with range checks ---------------------------------------------------------------


def _pack(fmt, *values):
    """struct.pack that refuses (ValueError) what a field cannot hold: MicroPython would wrap it.

    fmt: "<" and one single-letter code per value.
    """
    if len(values) != len(fmt) - 1:
        raise ValueError(f"{fmt} takes {len(fmt) - 1} values, not {len(values)}")
    for i in range(len(values)):
        code = fmt[i + 1]
        value = values[i]
        if code == "f":
            fits = isinstance(value, (int, float))
        else:
            bits = 8 * struct.calcsize("<" + code)
            low = -(1 << (bits - 1)) if code in "bhi" else 0
            fits = isinstance(value, int) and low <= value < low + (1 << bits)
        if not fits:
            raise ValueError(f"{value!r} does not fit field {i} of {fmt}")
    return struct.pack(fmt, *values)


def _unpack(fmt, body, what):
    """The fields of a fixed-size body; MALFORMED unless its length is exactly the format's."""
    if len(body) != struct.calcsize(fmt):
        raise ProtocolError(f"{what}: {len(body)} bytes, not {struct.calcsize(fmt)}")
    return struct.unpack_from(fmt, body, 0)


def _percent(pct):
    if not isinstance(pct, int) or not 0 <= pct <= 100:
        raise ValueError(f"battery {pct!r} is not 0..100 %")
    return pct


def _text(s):
    raw = s.encode()
    if len(raw) > _TEXT_MAX:
        raise ValueError(f"{s!r} is longer than {_TEXT_MAX} bytes")
    return bytes((len(raw),)) + raw


def _pairs(pairs):
    """(name, value) setting pairs as bytes; ValueError if settings.problem() finds one bad."""
    out = b""
    for name, value in pairs:
        why = settings.problem(name, value)
        if why:
            raise ValueError(why)
        out += _pack(_PAIR, SETTING_NAMES.index(name), int(value))
    return out


def _read_pairs(body):
    """The (name, value) pairs of setting bytes, each checked with settings.problem()."""
    if len(body) % _PAIR_SIZE:
        raise ProtocolError(f"settings: {len(body)} bytes are not whole pairs")
    out = []
    for at in range(0, len(body), _PAIR_SIZE):
        sid, value = struct.unpack_from(_PAIR, body, at)
        if sid >= len(SETTING_NAMES):
            raise ProtocolError(f"no setting {sid}", OUT_OF_RANGE)
        name = SETTING_NAMES[sid]
        if isinstance(settings.DEFAULTS[name][0], bool):
            if value not in (0, 1):
                raise ProtocolError(f"{name} must be 0 or 1", OUT_OF_RANGE)
            value = value == 1
        why = settings.problem(name, value)
        if why:
            raise ProtocolError(why, OUT_OF_RANGE)
        out.append((name, value))
    return tuple(out)


# --- commands: the host encodes, the device parses ------------------------------------------------


def parse_command(data):
    """(opcode, seq, args) of a control point write (device side).

    args, a tuple: HELLO (host_version,): answer VERSION_MISMATCH unless it is VERSION;
    SET_TIME (epoch_s,); LIST_SESSIONS (after_id, max_count); READ_SESSION (id, offset,
    max_bytes); MARK_SYNCED, DELETE_SESSION (id,); GET_SETTINGS setting names; SET_SETTINGS
    (name, value) pairs, every one valid; the others ().
    Raises ProtocolError (with status, opcode, seq) and nothing else, whatever the bytes.
    """
    n = len(data)
    if n < 2:
        raise ProtocolError(
            "a command is an opcode, a sequence byte and a payload", MALFORMED, data[0] if n else 0
        )
    opcode = data[0]
    try:
        return opcode, data[1], _parse_args(opcode, memoryview(data)[2:], n)
    except ProtocolError as err:
        err.opcode = opcode
        err.seq = data[1]
        raise


def _parse_args(opcode, body, n):
    if not 0 < opcode < len(_REQUEST):
        raise ProtocolError(f"unknown command {opcode}", UNKNOWN_COMMAND)
    if n > MAX_COMMAND:
        raise ProtocolError(f"{n} bytes: a command has at most {MAX_COMMAND}")
    if opcode == GET_SETTINGS:
        seen = 0  # every answer must fit the smallest MTU: each setting once
        for sid in body:
            if sid >= len(SETTING_NAMES):
                raise ProtocolError(f"no setting {sid}", OUT_OF_RANGE)
            if seen >> sid & 1:
                raise ProtocolError(f"setting {sid} asked twice")
            seen |= 1 << sid
        return tuple(SETTING_NAMES[sid] for sid in body)
    if opcode == SET_SETTINGS:
        if not len(body):
            raise ProtocolError("set_settings without a setting")
        return _read_pairs(body)
    if opcode == HELLO:
        body = body[:1]  # frozen: a later version may append fields
    args = _unpack(_REQUEST[opcode], body, COMMAND_NAMES[opcode])
    if opcode == SET_TIME and not _MIN_EPOCH_S <= args[0] < _MAX_EPOCH_S:
        raise ProtocolError(f"{args[0]} s is not 2020..2099: not a set clock", OUT_OF_RANGE)
    return args


# --- responses: the device encodes, the host decodes ---------------------------------------------


def _has_payload(opcode, status):
    return status == OK or (opcode == HELLO and status == VERSION_MISMATCH)


def encode_response(opcode, seq, status, *values):
    """A control point notification (device side).

    values, with OK only (HELLO: also with VERSION_MISMATCH): HELLO (version, firmware, board);
    GET_SETTINGS (name, value) pairs; LIST_SESSIONS (more, entries), an entry being (id,
    start_s or None, size, reps, sets, synced, open); READ_SESSION (size, crc32, count);
    START_RAW (rate_hz, accel_lsb_per_g, gyro_lsb_per_dps); the others none.
    ValueError if a value does not fit its field.
    """
    out = _pack("<BBB", opcode, seq, status)
    if not _has_payload(opcode, status):
        if values:
            raise ValueError(f"status {status} carries no values")
    elif opcode == HELLO:
        version, firmware, board = values
        out += _pack("<B", version) + _text(firmware) + _text(board)
    elif opcode == GET_SETTINGS:
        out += _pairs(values)
    elif opcode == LIST_SESSIONS:
        more, entries = values
        out += _pack("<BB", len(entries), 1 if more else 0)
        for sid, start_s, size, reps, sets, synced, is_open in entries:
            flags = (_SYNCED if synced else 0) | (_OPEN if is_open else 0)
            out += _pack(_ENTRY, sid, start_s or 0, size, reps, sets, flags)
    elif 0 < opcode < len(_RESPONSE):
        out += _pack(_RESPONSE[opcode], *values)
    else:
        raise ValueError(f"unknown command {opcode}")
    return out


def fits(response, mtu):
    """True if a response fits one notification at this MTU (else answer TOO_LARGE)."""
    return len(response) <= mtu - _ATT_HEAD


def error_response(err):
    """The answer to a command that parse_command() refused with err (a ProtocolError)."""
    return encode_response(err.opcode, err.seq, err.status)


def list_capacity(mtu):
    """Session entries that fit one LIST_SESSIONS response at this MTU."""
    return min(255, (mtu - _ATT_HEAD - 5) // _ENTRY_SIZE)


# --- the rep notification ----------------------------------------------------------------------


def encode_rep(seq, rep):
    """A rep notification (19 bytes). rep: the app's "rep" event (docs/device.md); seq counts
    rep notifications, mod 2**16. ValueError if a field does not fit."""
    return _pack(
        _REP,
        seq & 0xFFFF,
        rep["start_ms"],
        rep["up_ms"],
        rep["hold_ms"],
        rep["down_ms"],
        round(rep["amplitude_deg"] * 100),
        rep["set"],
        rep["rep"],
        _PARTIAL if rep["partial"] else 0,
    )


# --- the event notification --------------------------------------------------------------------


def encode_event(event):
    """An event notification (7 to 21 bytes) of the app's "state", "set_end", "target" or
    "storage_full" event (docs/device.md). ValueError for another event or a field too large."""
    kind = event["type"]
    if kind not in EVENT_KINDS:
        raise ValueError(f"{kind!r} is not one of {EVENT_KINDS!r}")
    head = _pack(_EVENT_HEAD, EVENT_KINDS.index(kind), event["t_ms"])
    if kind == "state":
        state = STATES.index(event["state"])
        reason = REASONS.index(event["reason"])
        return head + _pack(_STATE_EVENT, state, reason, event.get("sets", 0), event.get("reps", 0))
    if kind == "set_end":
        values = (event[k] for k in ("set", "reps", "start_ms", "end_ms", "target"))
        return head + _pack(_SET_END_EVENT, *values)
    if kind == "storage_full":
        return head + _pack(_STORAGE_EVENT, event["set"], event["reps"])
    return head + _pack(_TARGET_EVENT, event["set"], event["reps"])


# --- the status characteristic ------------------------------------------------------------------


def encode_status(state, set_no, rep_no, reps, battery_pct, free_bytes, free_hours, errors):
    """The status value (17 bytes). state: one of STATES; rep_no: reps in the current set;
    reps: in the session; battery_pct: 0..100 or None; free_hours: a float; errors: E_* bits.
    Free space saturates at its field's top (a PC's disk is larger than any board's flash)."""
    if state not in STATES:
        raise ValueError(f"state {state!r} is not one of {STATES!r}")
    battery = _NO_BATTERY if battery_pct is None else _percent(battery_pct)
    return _pack(
        _STATUS,
        VERSION,
        STATES.index(state),
        errors,
        set_no,
        rep_no,
        reps,
        battery,
        min(free_bytes, 0xFFFFFFFF),
        min(round(free_hours * 10), 0xFFFF),
    )


# --- bulk data and raw samples: packed in place on the device -----------------------------------


def chunk_size(mtu):
    """Session bytes per data notification at this MTU."""
    return mtu - _ATT_HEAD - _DATA_HEAD


def pack_chunk(buf, offset, n):
    """Puts a data chunk's head (the offset of its first byte) in buf and returns the n bytes
    from buf[4:] on as a notification value. The caller reads the file into buf[4 : 4 + n]."""
    struct.pack_into("<I", buf, 0, offset)
    return memoryview(buf)[: _DATA_HEAD + n]


def raw_capacity(mtu):
    """Samples per raw notification at this MTU."""
    return (mtu - _ATT_HEAD - _RAW_HEAD) // _RAW_SAMPLE


def pack_raw(buf, first_index, samples, n):
    """Packs the first n samples of `samples` (array('h'), ax, ay, az, gx, gy, gz each) behind
    the head into buf; returns the bytes used. Allocates nothing while first_index < 2**30."""
    struct.pack_into("<I", buf, 0, first_index)
    at = _RAW_HEAD
    for i in range(6 * n):
        v = samples[i]
        buf[at] = v & 0xFF
        buf[at + 1] = (v >> 8) & 0xFF
        at += 2
    return at


# --- advertising ---------------------------------------------------------------------------------


def device_name(unique_id):
    """The advertised name: NAME_PREFIX and the last two bytes of machine.unique_id() in hex."""
    return NAME_PREFIX + hexlify(bytes(unique_id[-2:])).decode().upper()


def _ad(ad_type, value):
    return bytes((len(value) + 1, ad_type)) + value


def adv_payload(battery_pct=None):
    """Advertising data (26 bytes at most): flags, our service UUID and, when known, the battery
    level as Battery Service data. The name goes in scan_response(): 31 bytes cannot hold all."""
    uuid = bytes(reversed(unhexlify(SERVICE_UUID.replace("-", ""))))  # little-endian on air
    out = _ad(_AD_FLAGS, bytes((_LE_GENERAL_NO_BREDR,))) + _ad(_AD_UUID128_COMPLETE, uuid)
    if battery_pct is not None:
        out += _ad(_AD_SERVICE_DATA16, _pack("<HB", _BATTERY_SERVICE, _percent(battery_pct)))
    return out


def scan_response(name):
    """Scan response data: the complete local name."""
    return _ad(_AD_NAME_COMPLETE, name.encode())
