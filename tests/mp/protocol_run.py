"""The BLE protocol module on either interpreter (run by tests/test_protocol.py).

usage: protocol_run.py messages      every message encoded, decoded back and compared: one JSON
                                     line each, [name, hex, round trip ok]
       protocol_run.py refusals      encoders given values their fields cannot hold: one line
                                     each, true if they raised ValueError
       protocol_run.py rounding      how many amplitudes (0.01 deg) and free hours (0.1 h) of the
                                     whole u16 range do not survive the float round trip
       protocol_run.py corpus PATH   PATH holds one blob per line, in hex; per blob one JSON
                                     line: what parse_command() and each decoder made of it
       protocol_run.py alloc         bytes pack_raw() allocated packing 20 samples (heap locked)
"""

import json
import sys
from array import array

from calfraise_fw import protocol as P

EVENTS = (
    {"type": "state", "t_ms": 3153, "state": "in_session", "reason": "rep"},
    {"type": "state", "t_ms": 514200, "state": "idle", "reason": "timeout", "sets": 3, "reps": 39},
    {
        "type": "set_end",
        "t_ms": 83570,
        "set": 1,
        "reps": 14,
        "start_ms": 3153,
        "end_ms": 71480,
        "target": 12,
    },
    {"type": "target", "t_ms": 61375, "set": 1, "reps": 12},
)
REP = {
    "type": "rep",
    "start_ms": 123456,
    "top_ms": 124356,
    "lower_ms": 124856,
    "end_ms": 126056,
    "up_ms": 900,
    "hold_ms": 500,
    "down_ms": 1200,
    "amplitude_deg": 24.01,
    "set": 2,
    "rep": 7,
    "partial": True,
}
STATUS = ("in_session", 2, 7, 19, 87, 1507328, 92.0, P.E_IMU_MISSING | P.E_CLOCK_UNSET)
ENTRIES = (
    (1, None, 812, 12, 1, True, False),
    (2, 1767225600, 5213, 45, 3, False, False),
    (3, 1767229200, 230, 0, 0, False, True),
)
ALL_SETTINGS = (
    ("reps_per_set", 15),
    ("tempo_cue", True),
    ("tempo_up_ms", 2000),
    ("tempo_down_ms", 3000),
    ("led_brightness", 0),
    ("idle_end_s", 3600),
    ("delete_unsynced_when_full", False),
)
COMMANDS = (
    (P.HELLO, (P.VERSION,)),
    (P.SET_TIME, (1767225600,)),
    (P.START_SESSION, ()),
    (P.STOP_SESSION, ()),
    (P.GET_SETTINGS, ()),
    (P.GET_SETTINGS, ("tempo_up_ms", "tempo_down_ms")),
    (P.SET_SETTINGS, (("reps_per_set", 10), ("tempo_cue", True))),
    (P.SET_SETTINGS, ALL_SETTINGS),
    (P.LIST_SESSIONS, (0, 0)),
    (P.LIST_SESSIONS, (41, 14)),
    (P.READ_SESSION, (42, 4800, 0)),
    (P.MARK_SYNCED, (42,)),
    (P.DELETE_SESSION, (4294967295,)),
    (P.START_RAW, ()),
    (P.STOP_RAW, ()),
    (P.REBOOT, ()),
    (P.RESET_CALIBRATION, ()),
)
RESPONSES = (
    (P.HELLO, P.OK, (P.VERSION, "0.1.0", "atom_matrix")),
    (P.HELLO, P.VERSION_MISMATCH, (2, "0.2.0", "qtpy_s3_lsm6dsox")),
    (P.SET_TIME, P.OK, ()),
    (P.START_SESSION, P.OK, ()),
    (P.STOP_SESSION, P.OK, ()),
    (P.SET_SETTINGS, P.OK, ()),
    (P.MARK_SYNCED, P.OK, ()),
    (P.DELETE_SESSION, P.OK, ()),
    (P.STOP_RAW, P.OK, ()),
    (P.REBOOT, P.OK, ()),
    (P.RESET_CALIBRATION, P.OK, ()),
    (P.RESET_CALIBRATION, P.NOT_NOW, ()),
    (P.GET_SETTINGS, P.OK, ALL_SETTINGS),
    (P.LIST_SESSIONS, P.OK, (True, ENTRIES)),
    (P.LIST_SESSIONS, P.OK, (False, ())),
    (P.READ_SESSION, P.OK, (5213, 0xDEADBEEF, 413)),
    (P.START_RAW, P.OK, (104, 4096.0, 32.75)),
    (P.START_SESSION, P.NOT_NOW, ()),
    (P.READ_SESSION, P.NO_SUCH_SESSION, ()),
    (P.DELETE_SESSION, P.STORAGE_ERROR, ()),
    (200, P.UNKNOWN_COMMAND, ()),
    (0, P.MALFORMED, ()),
)
SAMPLES = (1, -2, 4096, -32768, 32767, 0, 100, 200, -300, 400, 500, -600)


def messages():
    """[(name, bytes, decoded == expected)] for every kind of message."""
    out = []
    for op, args in COMMANDS:
        data = P.encode_command(op, 7, *args)
        out.append((f"command {op}", data, P.parse_command(data) == (op, 7, args)))
    for op, status, values in RESPONSES:
        data = P.encode_response(op, 9, status, *values)
        out.append(
            (f"response {op} {status}", data, P.decode_response(data) == (op, 9, status, values))
        )
    data = P.encode_rep(65535, REP)
    out.append(("rep", data, P.decode_rep(data) == (65535, REP)))
    for event in EVENTS:
        data = P.encode_event(event)
        out.append((event["type"], data, P.decode_event(data) == event))
    data = P.encode_status(*STATUS)
    want = dict(
        zip(
            ("state", "set", "rep", "reps", "battery_pct", "free_bytes", "free_hours", "errors"),
            STATUS,
        )
    )
    want["version"] = P.VERSION
    out.append(("status", data, P.decode_status(data) == want))
    data = P.encode_status("idle", 0, 0, 0, None, 0, 0.0, 0)
    out.append(("status idle", data, P.decode_status(data)["battery_pct"] is None))
    buf = bytearray(P.PREFERRED_MTU)
    buf[4:9] = b"hello"
    data = bytes(P.pack_chunk(buf, 123456, 5))
    out.append(("chunk", data, P.decode_chunk(data) == (123456, b"hello")))
    n = P.pack_raw(buf, 77, array("h", SAMPLES), 2)
    data = bytes(buf[:n])
    out.append(("raw", data, P.decode_raw(data) == (77, [SAMPLES[:6], SAMPLES[6:]])))
    data = P.adv_payload(80)
    ad = P.decode_ad(data)
    out.append(("adv", data, ad[1] == b"\x06" and len(ad[7]) == 16 and ad[0x16] == b"\x0f\x18\x50"))
    data = P.adv_payload()
    out.append(("adv no battery", data, sorted(P.decode_ad(data)) == [1, 7]))
    name = P.device_name(b"\x24\xa1\x60\xc0\xff\xee")
    data = P.scan_response(name)
    out.append(("scan response", data, P.decode_ad(data) == {9: b"calfraise-FFEE"}))
    return out


REFUSED = (
    lambda: P.encode_command(P.SET_TIME, 1, 2**32),
    lambda: P.encode_command(P.READ_SESSION, 1, 1, -1, 0),
    lambda: P.encode_command(P.LIST_SESSIONS, 1, 0, 256),
    lambda: P.encode_command(P.MARK_SYNCED, 256, 1),
    lambda: P.encode_command(P.SET_SETTINGS, 1, ("led_brightness", 256)),
    lambda: P.encode_command(P.SET_SETTINGS, 1, ("tempo_cue", 1)),
    lambda: P.encode_command(P.SET_SETTINGS, 1, ("volume", 3)),
    lambda: P.encode_command(P.GET_SETTINGS, 1, "volume"),
    lambda: P.encode_command(P.SET_SETTINGS, 1, *(("reps_per_set", 5),) * 13),
    lambda: P.encode_command(P.HELLO, 1),
    lambda: P.encode_command(99, 1),
    lambda: P.encode_response(P.READ_SESSION, 1, P.OK, 1, 2**32, 3),
    lambda: P.encode_response(P.READ_SESSION, 1, P.NOT_NOW, 1, 2, 3),
    lambda: P.encode_response(P.HELLO, 1, P.OK, 1, "x" * 25, "board"),
    lambda: P.encode_response(P.LIST_SESSIONS, 1, P.OK, False, ((1, None, 2, 70000, 1, 0, 0),)),
    lambda: P.encode_response(P.START_RAW, 1, P.OK, 104, "4096", 32.8),
    lambda: P.encode_response(99, 1, P.OK),
    lambda: P.encode_rep(1, dict(REP, up_ms=65536)),
    lambda: P.encode_rep(1, dict(REP, start_ms=-1)),
    lambda: P.encode_rep(1, dict(REP, amplitude_deg=655.36)),
    lambda: P.encode_status("lunch", 0, 0, 0, None, 0, 0.0, 0),
    lambda: P.encode_status("idle", 0, 0, 0, 101, 0, 0.0, 0),
    lambda: P.encode_status("idle", 0, 0, 0, None, 0, 0.0, 1 << 16),
    lambda: P.adv_payload(-1),
)


def refusals():
    out = []
    for encode in REFUSED:
        try:
            encode()
            out.append(False)
        except ValueError:
            out.append(True)
    return out


def rounding():
    """Values of the u16 range whose float (as the decoders give it) does not encode back."""
    amp = sum(1 for c in range(65536) if round(c / 100 * 100) != c)
    hours = sum(1 for t in range(65536) if round(t / 10 * 10) != t)
    return amp, hours


def plain(x):
    """x as JSON-able data that reads back the same on both interpreters."""
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if isinstance(x, (bytes, bytearray)):
        return bytes(x).hex()
    if isinstance(x, float):
        return f"{x:.6g}"
    return x


DECODERS = (
    P.parse_command,
    P.decode_response,
    P.decode_rep,
    P.decode_event,
    P.decode_status,
    P.decode_chunk,
    P.decode_raw,
    P.decode_ad,
)


def outcome(blob):
    """What each of DECODERS made of blob: ["ok", result], ["error", status, opcode, seq] for a
    ProtocolError, or ["CRASH", exception type, message] for anything else."""
    out = []
    for decode in DECODERS:
        try:
            out.append(["ok", plain(decode(blob))])
        except P.ProtocolError as err:
            out.append(["error", err.status, err.opcode, err.seq])
        except Exception as err:  # what the test looks for
            out.append(["CRASH", type(err).__name__, str(err)])
    return out


def alloc():
    import gc

    import micropython

    buf = bytearray(P.PREFERRED_MTU)
    samples = array("h", range(120))
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    micropython.heap_lock()
    n = P.pack_raw(buf, 123456, samples, 20)
    micropython.heap_unlock()
    used = gc.mem_alloc() - before
    gc.enable()
    return used, n


def main():
    mode = sys.argv[1]
    if mode == "messages":
        for name, data, ok in messages():
            print(json.dumps([name, bytes(data).hex(), ok]))
    elif mode == "refusals":
        print(json.dumps(refusals()))
    elif mode == "rounding":
        print(json.dumps(rounding()))
    elif mode == "alloc":
        print(json.dumps(alloc()))
    else:
        with open(sys.argv[2]) as f:
            for line in f:
                print(json.dumps(outcome(bytes.fromhex(line.strip()))))


if __name__ == "__main__":
    main()
