"""Session files: append-only logs of framed, versioned records, and the one reader of them
(readback.read_session reads a whole file with it, for the host).

The board writes these files and the host parses the downloaded copies with this very module, so
both agree on every byte. Each record is a frame (sync, version, kind, length, payload, CRC32):
a reader can check every record on its own, skip a damaged one and find the next. The format,
byte by byte, is in docs/storage.md.
"""

import json
import struct
from binascii import crc32

VERSION = 1
SYNC = 0xC5
_SYNC_BYTE = b"\xc5"
MAX_PAYLOAD = 1024
_HEAD = "<BBBH"  # sync, version, kind, payload length
HEAD_SIZE = 5
OVERHEAD = 9  # head + CRC32
MAX_FRAME = OVERHEAD + MAX_PAYLOAD

# record kinds
HEADER = 1
REP = 2
SET_END = 3
CLOCK_FIX = 4
END = 5
RUN = 6  # a session begun before the clock was set: when it began in its power-on run
INDEX = 16  # the index file's first record: the next session id
ENTRY = 17  # one session in the index

END_REASONS = ("ended", "timeout", "button", "interrupted", "full")
PARTIAL = 1  # REP flags
SYNCED = 1  # ENTRY flags
CLOSED = 2
UNDATED = 4  # begun without the clock, and not dated since (within its run)

# fixed payloads: struct format and field names; times are ms relative to the session start
_HEADER = "<IiQBB"  # then firmware, board, settings (JSON) as bytes
_FIXED = {
    REP: ("<iHHHHHHB", ("start_ms", "up_ms", "hold_ms", "down_ms", "amplitude_cdeg", "set", "rep")),
    SET_END: ("<HHii", ("set", "reps", "start_ms", "end_ms")),
    CLOCK_FIX: ("<iQ", ("at_ms", "wall_ms")),
    RUN: ("<IQQ", ("run", "run_ms", "known_ms")),
    END: ("<BiHH", ("reason", "end_ms", "reps", "sets")),
    INDEX: ("<I", ("next_id",)),
    ENTRY: ("<IIIB", ("id", "size", "ms", "flags")),
}
_U16 = 0xFFFF
_T_MIN = -0x7FFFFFFF  # session-relative times are int32
_T_MAX = 0x7FFFFFFF


class RecordError(ValueError):
    """The data is not a session file: it holds bytes, but not one good record."""


def frame_size(kind):
    """Bytes of a whole frame of a fixed-size kind (every kind but HEADER)."""
    return OVERHEAD + struct.calcsize(_FIXED[kind][0])


def _seal(buf, at, kind, n):
    """Head and CRC around the n payload bytes already at buf[at + HEAD_SIZE:]; the end offset."""
    struct.pack_into(_HEAD, buf, at, SYNC, VERSION, kind, n)
    end = at + HEAD_SIZE + n
    struct.pack_into("<I", buf, end, crc32(memoryview(buf)[at:end]))
    return end + 4


def put(buf, at, kind, *fields):
    """Frame one fixed-size record into buf at `at`; returns the offset after it."""
    fmt = _FIXED[kind][0]
    struct.pack_into(fmt, buf, at + HEAD_SIZE, *fields)
    return _seal(buf, at, kind, struct.calcsize(fmt))


def _check(name, value, low, high):
    if not low <= value <= high:
        raise ValueError(f"{name} {value} outside {low}..{high}")
    return value


def _rel(name, t_ms, t0):
    return _check(name, t_ms - t0, _T_MIN, _T_MAX)


def put_rep(buf, at, rep, t0):
    """A detector Rep (times on the detector clock) as a REP record relative to t0.

    ValueError if a phase is longer than 65.535 s or a count exceeds 65535 (the detector's reps
    last under 15 s).
    """
    return put(
        buf,
        at,
        REP,
        _rel("start_ms", rep.start_ms, t0),
        _check("up_ms", rep.top_ms - rep.start_ms, 0, _U16),
        _check("hold_ms", rep.lower_ms - rep.top_ms, 0, _U16),
        _check("down_ms", rep.end_ms - rep.lower_ms, 0, _U16),
        _check("amplitude_cdeg", rep.amplitude_cdeg, 0, _U16),
        _check("set", rep.set, 0, _U16),
        _check("rep", rep.rep, 0, _U16),
        PARTIAL if rep.partial else 0,
    )


def put_set_end(buf, at, set_no, reps, start_ms, end_ms, t0):
    """A set's boundary: its number, reps, first rep's start and the set's end (detector clock)."""
    return put(
        buf,
        at,
        SET_END,
        _check("set", set_no, 0, _U16),
        _check("reps", reps, 0, _U16),
        _rel("start_ms", start_ms, t0),
        _rel("end_ms", end_ms, t0),
    )


def put_clock_fix(buf, at, t_ms, wall_ms, t0):
    """The wall clock read wall_ms (Unix ms) at detector time t_ms: dates an undated session."""
    return put(buf, at, CLOCK_FIX, _rel("at_ms", t_ms, t0), _check("wall_ms", wall_ms, 0, 2**63))


def put_end(buf, at, reason, t_ms, reps, sets, t0):
    """The end record; reason is one of END_REASONS."""
    if reason not in END_REASONS:
        raise ValueError(f"end reason {reason!r} is not one of {END_REASONS!r}")
    return put(
        buf,
        at,
        END,
        END_REASONS.index(reason),
        _rel("end_ms", t_ms, t0),
        _check("reps", reps, 0, _U16),
        _check("sets", sets, 0, _U16),
    )


def header(sid, t0, wall_ms, firmware, board, settings):
    """The HEADER frame opening a session file (a bytearray).

    sid: session id; t0: detector clock at the start (the zero of every time in the file);
    wall_ms: Unix ms at t0, or None while the wall clock is unknown (a CLOCK_FIX record may date
    the session later); settings: a dict (stored as JSON).
    ValueError if a field is out of range or the whole does not fit MAX_PAYLOAD bytes.
    """
    fw = firmware.encode()
    bd = board.encode()
    cfg = json.dumps(settings).encode()
    _check("firmware name length", len(fw), 0, 255)
    _check("board name length", len(bd), 0, 255)
    fixed = struct.calcsize(_HEADER)
    n = _check("header length", fixed + len(fw) + len(bd) + len(cfg), 0, MAX_PAYLOAD)
    buf = bytearray(OVERHEAD + n)
    wall = 0 if wall_ms is None else _check("wall_ms", wall_ms, 1, 2**63)
    struct.pack_into(
        _HEADER,
        buf,
        HEAD_SIZE,
        _check("id", sid, 0, 2**32 - 1),
        _check("t0_ms", t0, _T_MIN, _T_MAX),
        wall,
        len(fw),
        len(bd),
    )
    at = HEAD_SIZE + fixed
    for part in (fw, bd, cfg):
        buf[at : at + len(part)] = part
        at += len(part)
    _seal(buf, 0, HEADER, n)
    return buf  # not a bytes copy: at session start the heap may have no second hole this big


def _decode_header(p):
    at = struct.calcsize(_HEADER)
    if len(p) < at:
        raise ValueError("header record too short")
    sid, t0, wall, n_fw, n_bd = struct.unpack_from(_HEADER, p, 0)
    if at + n_fw + n_bd > len(p):
        raise ValueError("header strings overrun the record")
    cfg = bytes(p[at + n_fw + n_bd :])
    return {
        "id": sid,
        "t0_ms": t0,
        "wall_ms": wall or None,
        "firmware": bytes(p[at : at + n_fw]).decode(),
        "board": bytes(p[at + n_fw : at + n_fw + n_bd]).decode(),
        "settings": json.loads(cfg.decode()),
    }


def decode(kind, payload):
    """A good frame's payload as a dict; ValueError if its kind or length is not this version's.

    REP gives start_ms, top_ms, lower_ms, end_ms (session-relative), amplitude_cdeg, set, rep,
    partial; END gives reason as its name.
    """
    if kind == HEADER:
        return _decode_header(payload)
    if kind not in _FIXED:
        raise ValueError(f"unknown record kind {kind}")
    fmt, names = _FIXED[kind]
    if len(payload) != struct.calcsize(fmt):
        raise ValueError(f"record kind {kind} has a bad length")
    values = struct.unpack_from(fmt, payload, 0)
    rec = {}
    for name, value in zip(names, values):
        rec[name] = value
    if kind == REP:
        rec["top_ms"] = rec["start_ms"] + rec.pop("up_ms")
        rec["lower_ms"] = rec["top_ms"] + rec.pop("hold_ms")
        rec["end_ms"] = rec["lower_ms"] + rec.pop("down_ms")
        rec["partial"] = bool(values[-1] & PARTIAL)
    elif kind == END:
        if rec["reason"] >= len(END_REASONS):
            raise ValueError("unknown end reason")
        rec["reason"] = END_REASONS[rec["reason"]]
    return rec


class Reader:
    """The good records of a stream, in order: `for kind, rec in Reader(stream)`.

    A corrupt stretch (bad CRC, length, version, kind or contents; bytes that frame nothing) is
    skipped and counted in `skipped`; reading resumes at the next good frame. After the loop,
    `good_end` is the offset just past the last good record and `size` the bytes read, so
    `size > good_end` means a torn or damaged tail.
    Raises only RecordError, at the end, when the stream held bytes but no good record at all.
    stream: anything with readinto() (a file opened "rb", io.BytesIO). buf: a bytearray of at
    least MAX_FRAME bytes to read into (the board keeps one, so that reading never allocates a
    kilobyte at once in a fragmented heap); None: a new one.
    """

    def __init__(self, stream, buf=None):
        if buf is not None and len(buf) < MAX_FRAME:
            raise ValueError(f"a reader's buffer holds at least {MAX_FRAME} bytes")
        self._stream = stream
        self._buf = bytearray(MAX_FRAME) if buf is None else buf
        self._mv = memoryview(self._buf)
        self._fill = 0  # bytes in _buf
        self._base = 0  # stream offset of _buf[0]
        self._eof = False
        self.skipped = 0
        self.good = 0
        self.good_end = 0
        self.size = 0

    def _ensure(self, pos, need):
        """At least `need` bytes from buffer index pos on, unless the stream ends: the new pos."""
        if self._fill - pos >= need or self._eof:
            return pos
        keep = self._fill - pos
        self._buf[:keep] = self._buf[pos : self._fill]  # a copy: the two may overlap
        self._base += pos
        self._fill = keep
        while self._fill < need and not self._eof:
            got = self._stream.readinto(self._mv[self._fill :])
            if not got:
                self._eof = True
            else:
                self._fill += got
                self.size = self._base + self._fill
        return 0

    def _frame_at(self, pos):
        """(new pos, kind, payload length) if a frame with a good CRC starts at pos, else kind 0."""
        pos = self._ensure(pos, HEAD_SIZE)
        buf = self._buf
        if self._fill - pos < HEAD_SIZE or buf[pos] != SYNC:
            return pos, 0, 0
        n = buf[pos + 3] | buf[pos + 4] << 8
        if n > MAX_PAYLOAD:
            return pos, 0, 0
        pos = self._ensure(pos, OVERHEAD + n)
        end = pos + HEAD_SIZE + n
        if self._fill < end + 4:
            return pos, 0, 0
        stored = buf[end] | buf[end + 1] << 8 | buf[end + 2] << 16 | buf[end + 3] << 24
        if crc32(self._mv[pos:end]) != stored:
            return pos, 0, 0
        return pos, buf[pos + 2], n

    def __iter__(self):
        pos = 0
        in_junk = False
        while True:
            pos, kind, n = self._frame_at(pos)
            if kind:
                rec = None
                if self._buf[pos + 1] == VERSION:
                    try:
                        rec = decode(kind, self._mv[pos + HEAD_SIZE : pos + HEAD_SIZE + n])
                    except (ValueError, RuntimeError):  # bad contents under a good CRC
                        pass
                pos += OVERHEAD + n
                if rec is not None:
                    in_junk = False
                    self.good += 1
                    self.good_end = self._base + pos
                    yield kind, rec
                    continue
                self.skipped += 1  # a whole frame of another version, or unreadable contents
                in_junk = False
                continue
            if pos >= self._fill:  # _frame_at read up to the end: nothing is left
                break
            if not in_junk:
                self.skipped += 1
                in_junk = True
            pos = self._next_sync(pos + 1)
        if self.size and not self.good:
            raise RecordError(f"not a session file: {self.size} bytes, no good record")

    def _next_sync(self, pos):
        """The next buffer index holding SYNC, reading on as needed (the fill end if none)."""
        while True:
            found = self._buf.find(_SYNC_BYTE, pos, self._fill)
            if found >= 0 or self._eof:
                return found if found >= 0 else self._fill
            pos = self._ensure(self._fill, 1)
