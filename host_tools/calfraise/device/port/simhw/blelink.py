"""The byte protocol between the fake `bluetooth` module (in the firmware's process, MicroPython)
and the BLE bridge in the host process (calfraise.ble.bridge, CPython): both import this file.

A frame is a big-endian u16 length, then an opcode byte and its body (the length counts both).
Set-up frames carry JSON; the frequent ones carry packed big-endian fields and then raw bytes.
Addresses travel most significant byte first, as MicroPython shows them.
"""

import json
import struct

# firmware -> bridge
HELLO = 1  # JSON {"addr": hex, "name": str, "mtu": int}: the radio is on
CONFIG = 2  # JSON: any of {"name": str, "mtu": int, "addr_mode": int, "bond": bool,
#   "le_secure": bool, "mitm": bool, "io": int}
REGISTER = 3  # JSON [[uuid, [[uuid, flags, [[uuid, flags], ...]], ...]], ...]; answered by HANDLES
ADVERTISE = 4  # JSON {"interval_us": int or null (stop), "adv": hex, "resp": hex, "connectable"}
VALUE = 5  # >H value handle, then the local value (what a central reads)
NOTIFY = 6  # >HH conn handle, value handle, then the payload
INDICATE = 7  # >HH conn handle, value handle, then the payload
UPDATE = 8  # >H value handle: notify/indicate the centrals subscribed to it (send_update=True)
DISCONNECT = 9  # >H conn handle
SECRET = 10  # >HB request id, result (SET: stored; GET: found), then the value found (GET)
# closing the socket switches the radio off: the bridge drops the connections and advertising

# bridge -> firmware
HANDLES = 64  # JSON [[value handles of one service, in definition order], ...]
CONNECTED = 65  # >HB6s conn handle, address type, address
DISCONNECTED = 66  # >HB6s conn handle, address type, address
WRITTEN = 67  # >HH conn handle, attribute handle, then the bytes the central wrote
MTU = 68  # >HH conn handle, exchanged MTU
SENT = 69  # >H count of notifications/indications that left: their buffers are free again
INDICATED = 70  # >HHB conn handle, value handle, status (0: the central acknowledged)
ENCRYPTED = 71  # >HBBBB conn handle, encrypted, authenticated, bonded, key size
GET_SECRET = 72  # >HBHB request id, sec_type, index, has key; then the key: answered by SECRET
SET_SECRET = 73  # >HBBB request id, sec_type, key length, has value; key, value: by SECRET
REAL_TIME = 74  # no body: nothing is left to replay, so waits are real from now on (select.py)
LOOKING = 75  # >B 1: the host scans or connects, 0: it stopped (the virtual device's wake)
MOVE = 76  # no body: a held trace starts now (simhw/world.py release(); a test's cue)

HEADER = ">HB"
HEADER_SIZE = 3
PEER = ">HB6s"
TWO_HANDLES = ">HH"
ONE_HANDLE = ">H"
INDICATE_DONE = ">HHB"
ENCRYPTION = ">HBBBB"
SECRET_ANSWER = ">HB"
SECRET_GET = ">HBHB"
SECRET_SET = ">HBBB"
FLAG = ">B"


def frame(op, body=b""):
    return struct.pack(HEADER, len(body) + 1, op) + body


def packed(op, fmt, *fields):
    return frame(op, struct.pack(fmt, *fields))


def with_data(op, fmt, fields, data):
    """A frame of packed fields followed by raw bytes (data: any buffer)."""
    return frame(op, struct.pack(fmt, *fields) + bytes(data))


def as_json(op, obj):
    return frame(op, json.dumps(obj).encode())
