"""The session record format: its bytes, the reader's way with damage (skip, count, go on), the
same results on CPython and MicroPython, and fuzzing: only RecordError may ever escape."""

import binascii
import importlib.util
import io
import json
import random
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calfraise_fw import records
from calfraise_fw.detector import Rep
from calfraise_fw.readback import read_session
from calfraise_fw.records import Reader, RecordError

SCRIPT = Path(__file__).parent / "mp" / "storage_records.py"
_spec = importlib.util.spec_from_file_location("storage_records", SCRIPT)
storage_records = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(storage_records)

SAMPLE = storage_records.sample_session()
ORIGINAL = list(Reader(io.BytesIO(SAMPLE)))
FRAME_STARTS = [0]  # where each frame of SAMPLE begins
for _kind, _rec in ORIGINAL:
    _n = struct.unpack_from("<H", SAMPLE, FRAME_STARTS[-1] + 3)[0]
    FRAME_STARTS.append(FRAME_STARTS[-1] + records.OVERHEAD + _n)


def read_all(data):
    reader = Reader(io.BytesIO(bytes(data)))
    return list(reader), reader


def forged(kind, payload, version=records.VERSION):
    """A frame with a good CRC around any payload (what only a bug or a newer format writes)."""
    head = struct.pack("<BBBH", records.SYNC, version, kind, len(payload)) + payload
    return head + struct.pack("<I", binascii.crc32(head))


def test_sample_reads_back_whole():
    s = read_session(io.BytesIO(SAMPLE))
    assert s["header"] == {
        "id": 42,
        "t0_ms": 10000,
        "wall_ms": None,
        "firmware": "0.1.0",
        "board": "atom_matrix",
        "settings": {"reps_per_set": 12},
    }
    assert s["reps"][1] == {
        "start_ms": 8000,
        "top_ms": 8900,
        "lower_ms": 9400,
        "end_ms": 10600,
        "amplitude_cdeg": 2402,
        "set": 1,
        "rep": 2,
        "partial": True,
    }
    assert [r["partial"] for r in s["reps"]] == [False, True, False]
    assert s["sets"] == [{"set": 1, "reps": 3, "start_ms": 4000, "end_ms": 24000}]
    assert s["end"] == {"reason": "timeout", "end_ms": 30000, "reps": 3, "sets": 1}
    assert s["wall_ms"] == 1767225600000 - 25000  # dated by the clock fix-up
    assert s["skipped"] == 0


def test_rep_frame_byte_by_byte():
    r = Rep()
    r.start_ms, r.top_ms, r.lower_ms, r.end_ms = 11000, 11900, 12400, 13600
    r.amplitude_cdeg, r.set, r.rep, r.partial = 2401, 2, 7, True
    buf = bytearray(64)
    end = records.put_rep(buf, 0, r, t0=10000)
    head = bytes.fromhex("c5 01 02 1100")  # sync, version 1, kind REP, 17 payload bytes
    payload = bytes.fromhex("e8030000 8403 f401 b004 6109 0200 0700 01")
    assert bytes(buf[:end]) == head + payload + struct.pack("<I", binascii.crc32(head + payload))
    assert end == records.frame_size(records.REP) == 26


def test_header_layout():
    frame = records.header(7, 1234, 1767225600000, "fw", "bd", {"a": 1})
    assert frame[:3] == bytes((records.SYNC, records.VERSION, records.HEADER))
    n = struct.unpack_from("<H", frame, 3)[0]
    assert len(frame) == records.OVERHEAD + n
    assert struct.unpack_from("<IiQBB", frame, 5) == (7, 1234, 1767225600000, 2, 2)
    assert frame[23:27] == b"fwbd"
    assert json.loads(frame[27:-4]) == {"a": 1}


def test_a_damaged_record_is_skipped_and_counted():
    data = bytearray(SAMPLE)
    data[FRAME_STARTS[2] + 7] ^= 0x40  # inside the second rep
    got, reader = read_all(data)
    assert got == ORIGINAL[:2] + ORIGINAL[3:]
    assert reader.skipped == 1
    assert reader.good_end == reader.size == len(SAMPLE)


def test_a_torn_tail_is_counted_and_located():
    cut = FRAME_STARTS[4] + 11
    got, reader = read_all(SAMPLE[:cut])
    assert got == ORIGINAL[:4]
    assert (reader.skipped, reader.good_end, reader.size) == (1, FRAME_STARTS[4], cut)


@pytest.mark.parametrize(
    "frame",
    [
        forged(records.REP, bytes(17), version=2),  # a newer format
        forged(99, b"abc"),  # an unknown kind
        forged(records.REP, bytes(16)),  # the wrong length for its kind
        forged(records.END, bytes((9,)) + bytes(8)),  # no such end reason
        forged(records.HEADER, bytes(16) + b"\xff\xff"),  # strings longer than the record
        forged(records.HEADER, bytes(18) + b"{not json"),
    ],
)
def test_good_crc_but_unreadable_records_are_skipped(frame):
    got, reader = read_all(SAMPLE[: FRAME_STARTS[2]] + frame + SAMPLE[FRAME_STARTS[2] :])
    assert got == ORIGINAL
    assert reader.skipped == 1


def test_not_a_session_file():
    with pytest.raises(RecordError, match="not a session file"):
        read_all(b"PK\x03\x04 a zip file, say" * 20)
    got, reader = read_all(b"")  # an empty log: nothing was durable yet, not an error
    assert (got, reader.skipped, reader.size) == ([], 0, 0)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda r: setattr(r, "lower_ms", r.top_ms + 70000), "hold_ms 70000 outside"),
        (lambda r: setattr(r, "top_ms", r.start_ms - 1), "up_ms -1 outside"),
        (lambda r: setattr(r, "rep", 70000), "rep 70000 outside"),
    ],
)
def test_out_of_range_reps_are_refused(change, message):
    r = Rep()
    r.start_ms = r.top_ms = r.lower_ms = r.end_ms = 5000
    change(r)
    with pytest.raises(ValueError, match=message):
        records.put_rep(bytearray(64), 0, r, 0)


def test_bad_end_reason_and_oversized_header_are_refused():
    with pytest.raises(ValueError, match="end reason 'lunch'"):
        records.put_end(bytearray(64), 0, "lunch", 0, 0, 0, 0)
    with pytest.raises(ValueError, match="header length"):
        records.header(1, 0, None, "fw", "bd", {"notes": "x" * 2000})


def mutate(rng, data):
    """Damage like a flash or a download might: flips, cuts, lost or inserted bytes, garbage."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        what = rng.randrange(5)
        at = rng.randrange(len(data) + 1)
        if what == 0 and data:
            data[min(at, len(data) - 1)] ^= 1 << rng.randrange(8)
        elif what == 1:
            del data[at:]
        elif what == 2:
            del data[at : at + rng.randint(1, 40)]
        elif what == 3:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 40)))
        else:
            data[at:at] = forged(rng.choice([1, 2, 3, 4, 5, 16, 17, 99]), rng.randbytes(30))
    return bytes(data)


def outcome(blob):
    return json.loads(json.dumps(storage_records.outcome(blob)))


def test_same_bytes_and_results_on_both_interpreters(both_interpreters, tmp_path):
    """Both write the sample byte for byte alike, and read damaged copies of it alike."""
    both_interpreters(script=SCRIPT, args=["write", tmp_path / "s.cfs"])
    assert (tmp_path / "s.cfs").read_bytes() == SAMPLE
    rng = random.Random(4)
    blobs = [SAMPLE, b"", b"garbage" * 9] + [mutate(rng, SAMPLE) for _ in range(300)]
    corpus = b"".join(struct.pack("<I", len(b)) + b for b in blobs)
    (tmp_path / "corpus").write_bytes(corpus)
    out = both_interpreters(script=SCRIPT, args=["read", tmp_path / "corpus"])
    got = [json.loads(line) for line in out.splitlines()]
    assert got == [outcome(b) for b in blobs]
    assert sum(o == "RecordError" for o in got) >= 1
    assert sum(isinstance(o, dict) and o["skipped"] > 0 for o in got) > 200  # damage was read


def is_subsequence(part, whole):
    it = iter(whole)
    return all(any(x == y for y in it) for x in part)


damage = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, len(SAMPLE) - 1), st.integers(0, 7)),
    st.tuples(st.just("cut"), st.integers(0, len(SAMPLE)), st.just(0)),
    st.tuples(st.just("drop"), st.integers(0, len(SAMPLE)), st.integers(1, 64)),
    st.tuples(st.just("insert"), st.integers(0, len(SAMPLE)), st.binary(min_size=1, max_size=64)),
)


def apply(data, change):
    what, at, arg = change
    at = min(at, len(data))
    if what == "flip" and at < len(data):
        data[at] ^= 1 << arg
    elif what == "cut":
        del data[at:]
    elif what == "drop":
        del data[at : at + arg]
    elif what == "insert":
        data[at:at] = arg


@settings(max_examples=400, deadline=None)
@given(st.lists(damage, min_size=1, max_size=6))
def test_fuzz_damage_never_yields_a_bad_record(changes):
    """Whatever the damage, the reader returns only records that were written, in order, and
    raises nothing but RecordError."""
    data = bytearray(SAMPLE)
    for change in changes:
        apply(data, change)
    try:
        got, _reader = read_all(data)
    except RecordError:
        return
    assert is_subsequence(got, ORIGINAL)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=80),
            st.builds(forged, st.sampled_from([1, 2, 3, 4, 5, 16, 17, 0, 255]), st.binary()),
            st.builds(
                forged,
                st.just(records.HEADER),
                st.binary(min_size=18, max_size=18).map(lambda b: b[:16] + b"\x00\x00"),
            ),
        ),
        max_size=8,
    )
)
def test_fuzz_garbage_and_forged_frames_raise_only_record_error(parts):
    try:
        read_session(io.BytesIO(b"".join(parts)))
    except RecordError:
        pass


# --- every field's limits, at the limit and one past it ------------------------------------------

U16 = 0xFFFF


def rep_with(**fields):
    """A Rep at t0 = 0 whose phases and counts are the given ones (0 otherwise)."""
    r = Rep()
    up, hold, down = fields.pop("up", 0), fields.pop("hold", 0), fields.pop("down", 0)
    r.start_ms = fields.pop("start", 0)
    r.top_ms = r.start_ms + up
    r.lower_ms = r.top_ms + hold
    r.end_ms = r.lower_ms + down
    for name, value in fields.items():
        setattr(r, name, value)
    return r


FIELD_LIMITS = [
    # (field, encoder of one value, lowest allowed (None: a length), highest allowed)
    ("rep start", lambda v: records.put_rep(bytearray(64), 0, rep_with(start=v), 0),
     records._T_MIN, records._T_MAX),
    ("up", lambda v: records.put_rep(bytearray(64), 0, rep_with(up=v), 0), 0, U16),
    ("hold", lambda v: records.put_rep(bytearray(64), 0, rep_with(hold=v), 0), 0, U16),
    ("down", lambda v: records.put_rep(bytearray(64), 0, rep_with(down=v), 0), 0, U16),
    ("amplitude", lambda v: records.put_rep(bytearray(64), 0, rep_with(amplitude_cdeg=v), 0),
     0, U16),
    ("rep's set", lambda v: records.put_rep(bytearray(64), 0, rep_with(set=v), 0), 0, U16),
    ("rep number", lambda v: records.put_rep(bytearray(64), 0, rep_with(rep=v), 0), 0, U16),
    ("set_end set", lambda v: records.put_set_end(bytearray(64), 0, v, 0, 0, 0, 0), 0, U16),
    ("set_end reps", lambda v: records.put_set_end(bytearray(64), 0, 0, v, 0, 0, 0), 0, U16),
    ("set_end start", lambda v: records.put_set_end(bytearray(64), 0, 0, 0, v, 0, 0),
     records._T_MIN, records._T_MAX),
    ("set_end end", lambda v: records.put_set_end(bytearray(64), 0, 0, 0, 0, v, 0),
     records._T_MIN, records._T_MAX),
    ("clock fix wall", lambda v: records.put_clock_fix(bytearray(64), 0, 0, v, 0), 0, 2**63),
    ("clock fix at", lambda v: records.put_clock_fix(bytearray(64), 0, v, 1, 0),
     records._T_MIN, records._T_MAX),
    ("end reps", lambda v: records.put_end(bytearray(64), 0, "ended", 0, v, 0, 0), 0, U16),
    ("end sets", lambda v: records.put_end(bytearray(64), 0, "ended", 0, 0, v, 0), 0, U16),
    ("end time", lambda v: records.put_end(bytearray(64), 0, "ended", v, 0, 0, 0),
     records._T_MIN, records._T_MAX),
    ("header id", lambda v: records.header(v, 0, None, "fw", "bd", {}), 0, 2**32 - 1),
    ("header t0", lambda v: records.header(1, v, None, "fw", "bd", {}),
     records._T_MIN, records._T_MAX),
    ("header wall", lambda v: records.header(1, 0, v, "fw", "bd", {}), 1, 2**63),
    ("firmware name", lambda v: records.header(1, 0, None, "f" * v, "bd", {}), None, 255),
    ("board name", lambda v: records.header(1, 0, None, "fw", "b" * v, {}), None, 255),
]  # fmt: skip


@pytest.mark.parametrize("field, encode, low, high", FIELD_LIMITS, ids=[f[0] for f in FIELD_LIMITS])
def test_every_field_takes_its_limits_and_refuses_one_past_them(field, encode, low, high):
    for value in (low or 0, high):
        assert encode(value)  # encoded (an offset or the header's bytes)
    for value in (high + 1,) if low is None else (low - 1, high + 1):
        with pytest.raises(ValueError, match="outside"):
            encode(value)


def test_values_at_their_limits_read_back_as_written():
    buf = bytearray(4 * records.MAX_FRAME)
    r = rep_with(start=records._T_MAX, up=U16, hold=U16, down=U16, amplitude_cdeg=U16, set=U16,
                 rep=U16, partial=True)  # fmt: skip
    at = records.put_rep(buf, 0, r, 0)
    at = records.put_set_end(buf, at, U16, U16, records._T_MIN, records._T_MAX, 0)
    at = records.put_clock_fix(buf, at, records._T_MIN, 2**63, 0)
    at = records.put_end(buf, at, "full", records._T_MAX, U16, U16, 0)
    head = records.header(2**32 - 1, records._T_MIN, 2**63, "f" * 255, "b" * 255, {"x": 1})
    s = read_session(io.BytesIO(head + bytes(buf[:at])))
    assert s["header"]["id"] == 2**32 - 1 and s["header"]["t0_ms"] == records._T_MIN
    assert (s["header"]["firmware"], s["header"]["board"]) == ("f" * 255, "b" * 255)
    assert s["reps"] == [
        {"start_ms": records._T_MAX, "top_ms": records._T_MAX + U16,
         "lower_ms": records._T_MAX + 2 * U16, "end_ms": records._T_MAX + 3 * U16,
         "amplitude_cdeg": U16, "set": U16, "rep": U16, "partial": True}
    ]  # fmt: skip
    assert s["sets"] == [
        {"set": U16, "reps": U16, "start_ms": records._T_MIN, "end_ms": records._T_MAX}
    ]
    assert s["clock_fixes"] == [{"at_ms": records._T_MIN, "wall_ms": 2**63}]
    assert s["end"] == {"reason": "full", "end_ms": records._T_MAX, "reps": U16, "sets": U16}


# --- the reader over streams that hand out a little at a time -----------------------------------


class Trickle(io.RawIOBase):
    """A stream whose readinto() gives at most `step` bytes, as a slow file or socket may."""

    def __init__(self, data, step):
        self.data, self.at, self.step = bytes(data), 0, step

    def readable(self):
        return True

    def readinto(self, buf):
        n = min(len(buf), self.step, len(self.data) - self.at)
        buf[:n] = self.data[self.at : self.at + n]
        self.at += n
        return n


def long_session(n_reps=400):
    """A session file longer than the reader's buffer, with junk between some frames."""
    out = bytearray(records.header(7, 0, None, "0.1.0", "sim", {"reps_per_set": 12}))
    buf = bytearray(records.MAX_FRAME)
    for k in range(n_reps):
        end = records.put_rep(buf, 0, rep_with(start=1000 * k, up=300, hold=100, down=400,
                                                amplitude_cdeg=2000 + k, set=1 + k // 12,
                                                rep=1 + k % 12), 0)  # fmt: skip
        out += buf[:end]
        if k % 97 == 5:
            out += bytes([records.SYNC, 0, 0]) + b"junk" * (k % 7)
    return bytes(out)


@pytest.mark.parametrize("step", [1, 2, 5, 17, 300, 1 << 20])
def test_the_reader_gives_the_same_records_whatever_the_stream_hands_out(step):
    data = long_session()
    assert len(data) > 2 * records.MAX_FRAME  # more than the reader's buffer holds
    whole, whole_reader = read_all(data)
    reader = Reader(Trickle(data, step))
    got = list(reader)
    assert got == whole and len(got) == 401
    assert [r["amplitude_cdeg"] for k, r in got if k == records.REP] == list(range(2000, 2400))
    assert (reader.skipped, reader.good, reader.size) == (whole_reader.skipped, 401, len(data))
    assert reader.skipped == 5 and reader.good_end == len(data)


@pytest.mark.parametrize("step", [1, 3, 64])
def test_a_torn_tail_is_found_whatever_the_stream_hands_out(step):
    data = long_session(40)
    junk = read_all(data)[1].skipped
    for cut in (len(data) - 1, len(data) - 12, len(data) - 30):
        reader = Reader(Trickle(data[:cut], step))
        got = list(reader)
        last_good = max(s for s in FRAME_ENDS(data) if s <= cut)
        assert reader.good_end == last_good and reader.size == cut
        assert len(got) == 1 + sum(e <= cut for e in FRAME_ENDS(data)[1:])
        assert reader.skipped == junk + (1 if cut > last_good else 0)


def FRAME_ENDS(data):  # noqa: N802 (a table, computed)
    """Offsets just past each good frame of data (records back to back, junk skipped)."""
    reader = Reader(io.BytesIO(data))
    ends = []
    for _ in reader:
        ends.append(reader.good_end)
    return ends


def test_an_end_record_with_an_unknown_reason_is_skipped_not_raised():
    payload = struct.pack(records._FIXED[records.END][0], len(records.END_REASONS), 0, 0, 0)
    got, reader = read_all(SAMPLE + forged(records.END, payload))
    assert got == ORIGINAL and reader.skipped == 1


def test_an_empty_stream_has_read_nothing_good():
    got, reader = read_all(b"")
    assert (got, reader.good, reader.good_end, reader.skipped) == ([], 0, 0, 0)


def test_a_frame_of_exactly_the_largest_payload_reads_back():
    fixed = struct.calcsize(records._HEADER) + len("fw") + len("bd")
    settings = {"notes": "x" * (records.MAX_PAYLOAD - fixed - len('{"notes": ""}'))}
    frame = records.header(9, 0, None, "fw", "bd", settings)
    assert len(frame) == records.MAX_FRAME
    [(kind, rec)], reader = read_all(frame)
    assert kind == records.HEADER and rec["settings"] == settings and reader.skipped == 0


def test_junk_after_a_frame_of_another_version_is_a_stretch_of_its_own():
    other = forged(records.REP, bytes(struct.calcsize(records._FIXED[records.REP][0])), 9)
    got, reader = read_all(SAMPLE + other + b"junk!" + SAMPLE[FRAME_STARTS[1] : FRAME_STARTS[2]])
    assert got == ORIGINAL + ORIGINAL[1:2]
    assert reader.skipped == 2  # the foreign frame, then the junk
