"""`bluetooth` for the firmware on the unix port: MicroPython's BLE API as on the ESP32 (NimBLE),
peripheral role, over a socket to the host's BLE bridge (calfraise.ble.bridge) instead of a radio.

Same calls, IRQ codes and tuple shapes as the board; handles are the bridge's real attribute
handles. IRQ handlers run when the firmware waits in asyncio (select.py hands the socket here),
with `addr` a memoryview that is overwritten once the handler returns, as NimBLE's ring buffer
would be: copy it with bytes() to keep it. Limits the board has are enforced here:
  - a connection's MTU is 23 until the central exchanges it: notifications carry MTU - 3 bytes,
    longer payloads are cut (NimBLE truncates to the MTU too);
  - at most `max_in_flight` notifications/indications wait for the link; one more raises
    OSError(ENOMEM), as NimBLE does when its buffers are full (~17 on an ESP32). Buffers come
    back only while the firmware waits in asyncio (the radio sends during the wait);
  - remote writes fill at most the value's buffer (gatts_set_buffer; 20 bytes by default);
  - advertising stops when a central connects; the firmware restarts it.
The sim config's "ble": {"socket": PATH or PORT, "max_in_flight": 10} names the bridge (and, for
tests, "open_table": true drops the characteristics' security flags: a mistake in the GATT
table, which the firmware's own checks must catch); without
it the radio works but nobody is listening (no connections). When the bridge closes the socket
the board is switched off ({"type": "sim.ble_closed"}, exit code 0).

Security goes to the bridge too: config(bond=, le_secure=, mitm=, io=, addr_mode=) set up
Bumble's SMP and address, the FLAG_*_ENCRYPTED/AUTHENTICATED bits its ATT permissions; the
bridge raises _IRQ_ENCRYPTION_UPDATE and asks the firmware for keys (_IRQ_GET_SECRET /
_IRQ_SET_SECRET, the handler's return value goes back), as NimBLE does. While a link is up but
not yet encrypted, the bridge counts as busy: the host's pairing takes real time. So does a host
that scans or connects (the bridge's LOOKING): the board's clock does not race past standby_s
while the host looks for it, and a board in deep sleep wakes (port/machine.py). Not here: the
central role (scan, gattc_*), L2CAP, passkeys (_IRQ_PASSKEY_ACTION).
"""

import errno
import io
import json
import select
import socket
import struct
import sys
import time
from binascii import hexlify

import machine
from simhw import blelink, config, meter, wakeup
from simhw import bus as simbus

FLAG_READ = 0x0002
FLAG_WRITE_NO_RESPONSE = 0x0004
FLAG_WRITE = 0x0008
FLAG_NOTIFY = 0x0010
FLAG_INDICATE = 0x0020

_CONN_SLOTS = 1  # connections at once: the firmware stops advertising while a host is connected
_IRQ_CENTRAL_CONNECT = 1
_IRQ_CENTRAL_DISCONNECT = 2
_IRQ_GATTS_WRITE = 3
_IRQ_GATTS_INDICATE_DONE = 20
_IRQ_MTU_EXCHANGED = 21
_IRQ_ENCRYPTION_UPDATE = 28
_IRQ_GET_SECRET = 29
_IRQ_SET_SECRET = 30
_SECURITY = ("bond", "le_secure", "mitm", "io")
_SECURITY_FLAGS = 0x7600  # FLAG_READ/WRITE_ENCRYPTED, _AUTHENTICATED, _AUTHORIZED

_DEFAULT_NAME = "ESP32"  # MICROPY_PY_BLUETOOTH_DEFAULT_GAP_NAME of the esp32 port
_PREFERRED_MTU = 256  # CONFIG_BT_NIMBLE_ATT_PREFERRED_MTU's default in ESP-IDF
_ATT_DEFAULT_MTU = 23
_DEFAULT_ATTR_LEN = 20  # MP_BLUETOOTH_DEFAULT_ATTR_LEN: a value's buffer until resized
_MAX_ADV_LEN = 31
_FIRST_USER_HANDLE = 10  # after NimBLE's GAP (1-5) and GATT (6-9) services, with no bridge
_ADDR_RANDOM = 1
_UUID_BASE = "-0000-1000-8000-00805f9b34fb"
# Frames from the bridge land here, allocated with the simulated hardware: a board's radio
# receives into its controller's buffers, outside the MicroPython heap.
_RX = bytearray(4096)
# and notifications, written values and secrets leave from here (a board's NimBLE copies
# them into its own buffers)
_NOTIFY_HEAD = ">HBHH"  # blelink's frame head, conn handle, value handle
_NOTIFY_HEAD_SIZE = 7
_TX = bytearray(_NOTIFY_HEAD_SIZE + 512)  # 512: the longest ATT value
# set-up frames' JSON is written here, not built as a string in the firmware's heap
_JSON = io.BytesIO(1024)
_JSON_OUT = bytearray(1024)


class UUID:
    """A 16-bit (int, 2 bytes) or 128-bit (str, 16 bytes) UUID; bytes(uuid) is little-endian."""

    def __init__(self, value):
        if isinstance(value, UUID):
            self._le = value._le
        elif isinstance(value, int):
            if not 0 <= value <= 0xFFFF:
                raise ValueError("invalid UUID")
            self._le = struct.pack("<H", value)
        elif isinstance(value, str):
            digits = value.replace("-", "")
            if len(digits) != 32:
                raise ValueError("invalid UUID")
            self._le = bytes(reversed(bytes.fromhex(digits)))
        else:
            data = bytes(value)
            if len(data) not in (2, 4, 16):
                raise ValueError("invalid UUID")
            self._le = data

    def __iter__(self):
        return iter(self._le)

    def __len__(self):
        return len(self._le)

    def __eq__(self, other):
        return isinstance(other, UUID) and self._le == other._le

    def __hash__(self):
        return hash(self._le)

    def __repr__(self):
        if len(self._le) == 2:
            return f"UUID(0x{struct.unpack('<H', self._le)[0]:04x})"
        return f"UUID('{self.text()}')"

    def text(self):
        """The canonical 128-bit text form (the bridge's wire format)."""
        h = bytes(reversed(self._le)).hex()
        if len(h) == 4:
            return "0000" + h + _UUID_BASE
        if len(h) == 8:
            return h + _UUID_BASE
        return "-".join((h[:8], h[8:12], h[12:16], h[16:20], h[20:]))


def _fail(code):
    raise OSError(code)


class _Attr:
    """A characteristic or descriptor value: MicroPython's gatts_db entry, a buffer made once
    and written in place (grown only by a longer gatts_write), so a write leaves no new object
    in the heap between the firmware's."""

    def __init__(self):
        self.buf = bytearray(_DEFAULT_ATTR_LEN)
        self.n = 0  # bytes of buf in use
        self.append = False

    @property
    def data(self):
        return memoryview(self.buf)[: self.n]

    def resize(self, alloc, append=False):
        self.buf = bytearray(alloc)
        self.n = 0
        self.append = append

    def write(self, data):
        if len(data) > len(self.buf):
            self.buf = bytearray(len(data))
        self.buf[: len(data)] = data
        self.n = len(data)

    def remote_write(self, data):
        start = self.n if self.append else 0
        n = min(len(data), len(self.buf) - start)
        self.buf[start : start + n] = data[:n]
        self.n = start + n


class _AdvData:
    """Advertising or scan response data, copied into a buffer made once (NimBLE's): n is the
    length given, which may exceed what the buffer keeps (refused as too long)."""

    def __init__(self):
        self.buf = bytearray(_MAX_ADV_LEN)
        self.n = 0

    def set(self, data):
        self.n = len(data)
        kept = min(self.n, _MAX_ADV_LEN)
        self.buf[:kept] = memoryview(data)[:kept]

    def hex(self):
        return hexlify(memoryview(self.buf)[: min(self.n, _MAX_ADV_LEN)]).decode()


class _Link:
    """The socket to the bridge, as a wakeup source; frames from it go to `deliver(op, body)`."""

    def __init__(self, address, deliver, busy, wakes):
        self._deliver = deliver
        self.busy = busy
        self.wakes = wakes
        self._rx = memoryview(_RX)
        self._start = self._end = 0  # the unread bytes are _RX[_start:_end]
        self._early = []  # frames that arrived while a call waited for its answer
        if isinstance(address, int):
            self.stream = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.stream.connect(socket.getaddrinfo("127.0.0.1", address)[0][-1])
        else:
            self.stream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.stream.connect(struct.pack("H", socket.AF_UNIX) + address.encode() + b"\0")
        wakeup.add(self)

    def send(self, frame):
        self.send_buffer(frame, len(frame))

    def send_buffer(self, buf, n):
        """The first n bytes of buf (write(buf, n): no slice, nothing allocated)."""
        try:
            self.stream.write(buf, n)
        except OSError:
            self._bridge_gone()

    def call(self, frame, answer_op):
        """Send (None: it was sent) and block until the bridge answers with `answer_op`
        (register: the handles)."""
        if frame is not None:
            self.send(frame)
        while True:
            op, body = self._next_frame(True)
            if op == answer_op:
                return body
            self._early.append((op, body))

    def deliver_early(self):
        while self._early:
            op, body = self._early.pop(0)
            self._deliver(op, body)

    def on_ready(self, flags):
        while True:
            got = self._next_frame(False)
            if got is None:
                return
            self._deliver(got[0], got[1])

    def close(self):
        wakeup.remove(self)
        self.stream.close()

    def _next_frame(self, block):
        while True:
            have = self._end - self._start
            need = blelink.HEADER_SIZE
            if have >= need:
                need = struct.unpack_from(">H", _RX, self._start)[0] + 2
                if have >= need:
                    at = self._start
                    self._start += need
                    return _RX[at + 2], bytes(self._rx[at + 3 : at + need])
                if need > len(_RX):
                    raise ValueError(f"a {need}-byte frame from the bridge")
            if self._start:  # the unread tail to the front, to read after it
                _RX[:have] = self._rx[self._start : self._end]
                self._start, self._end = 0, have
            # blocking, readinto() waits until it filled all it is given: only what is missing
            end = self._end + need - have if block else len(_RX)
            self.stream.setblocking(block)  # sends stay blocking: set back below
            got = None
            try:
                got = self.stream.readinto(self._rx[self._end : end])
            except OSError as e:
                if e.errno != errno.EAGAIN:
                    got = 0
            finally:
                self.stream.setblocking(True)
            if got is None:
                return None
            if not got:
                self._bridge_gone()
            self._end += got

    def _bridge_gone(self):
        """The host closed the link: the virtual board is switched off."""
        print(json.dumps({"type": "sim.ble_closed", "t_ms": time.sim_ms()}))
        sys.exit(0)


def _emptied(table):
    """A dict or set with its entries taken out one by one: it keeps its table (clear() would
    free it), so connections coming and going never make a new one."""
    while table:
        table.popitem() if isinstance(table, dict) else table.pop()
    return table


class BLE:
    """The singleton BLE object."""

    _it = None

    def __new__(cls):
        if BLE._it is None:
            BLE._it = object.__new__(cls)
            BLE._it._reset()
        return BLE._it

    def _reset(self):
        ble = config.get("ble") or {}
        self._address = ble.get("socket")
        self._max_in_flight = ble.get("max_in_flight", 10)
        self._flags_kept = ~_SECURITY_FLAGS if ble.get("open_table") else -1
        self._link = None
        self._active = False
        self._handler = None
        self._name = _DEFAULT_NAME
        self._mtu = _PREFERRED_MTU
        self._rxbuf = 1024
        self._addr_mode = _ADDR_RANDOM
        self._security = {"bond": False, "le_secure": False, "mitm": False, "io": 3}
        # the connections' tables made now, with room for _CONN_SLOTS: a dict or set makes its
        # table at its first entry, which the first connection would put wherever the heap's
        # top then is, splitting the firmware's free heap for good (NimBLE's are outside it)
        self._plain = _emptied(set(range(_CONN_SLOTS)))  # connections not encrypted yet
        self._addr = bytearray(6)  # what IRQ addr memoryviews point into
        self._attrs = {}  # value handle -> _Attr
        self._conns = _emptied(dict.fromkeys(range(_CONN_SLOTS)))  # conn handle -> MTU
        self._in_flight = 0
        self._adv = _AdvData()
        self._resp = _AdvData()
        self.host_looking = False  # the host scans or connects (the bridge's LOOKING)

    # configuration

    def active(self, active=None):
        if active is not None:
            if active and self._link is None and self._address is not None:
                self._link = _Link(self._address, self._deliver, self._busy, self._wakes)
                self._send_json(blelink.HELLO, self._hello())
            elif not active and self._link is not None:
                self._link.close()  # the bridge drops the connections and the advertising
                self._link = None
            if not active:
                _emptied(self._conns)
                _emptied(self._plain)
                self._attrs = {}
                self._in_flight = 0
            self._active = bool(active)
            meter.switch("radio", "on" if active else "off")
        return self._active

    def config(self, *param, **settings):
        if param and settings or len(param) > 1:
            raise TypeError("get one parameter, or set by keyword")
        if param:
            return self._config_get(param[0])
        update = {}
        for key, value in settings.items():
            if key == "gap_name":
                self._name = value.decode() if isinstance(value, bytes) else str(value)
                update["name"] = self._name
            elif key == "mtu":
                if not _ATT_DEFAULT_MTU <= value <= 517:
                    _fail(errno.EINVAL)
                self._mtu = value
                update["mtu"] = value
            elif key == "rxbuf":
                self._rxbuf = value
            elif key == "addr_mode":
                if value not in range(4):
                    _fail(errno.EINVAL)
                self._addr_mode = value
                update["addr_mode"] = value
            elif key in _SECURITY:
                self._security[key] = int(value) if key == "io" else bool(value)
                update[key] = self._security[key]
            else:
                raise ValueError("unknown config param")
        if update:
            self._send_json(blelink.CONFIG, update)

    def _config_get(self, name):
        if name == "mac":
            self._need_active()
            return (_ADDR_RANDOM, self._own_address())
        if name == "gap_name":
            return self._name.encode()
        if name == "mtu":
            return self._mtu
        if name == "rxbuf":
            return self._rxbuf
        if name == "addr_mode":
            return self._addr_mode
        if name in _SECURITY:
            return self._security[name]
        raise ValueError("unknown config param")

    def irq(self, handler):
        self._handler = handler

    # GAP

    def gap_advertise(self, interval_us, adv_data=None, *, resp_data=None, connectable=True):
        self._need_active()
        if adv_data is not None:
            self._adv.set(adv_data)
        if resp_data is not None:
            self._resp.set(resp_data)
        stop = interval_us is None
        too_long = self._adv.n > _MAX_ADV_LEN or self._resp.n > _MAX_ADV_LEN
        advert = {
            "interval_us": None if stop or too_long else interval_us,
            "adv": self._adv.hex(),
            "resp": self._resp.hex(),
            "connectable": bool(connectable),
        }
        self._send_json(blelink.ADVERTISE, advert)
        if not self._conns:
            meter.switch("radio", "on" if stop else f"adv{interval_us // 1000}")
        if too_long:
            _fail(errno.EIO)  # NimBLE's BLE_HS_EMSGSIZE, after it stopped advertising

    def gap_disconnect(self, conn_handle):
        self._need_active()
        if conn_handle not in self._conns:
            return False
        self._send(blelink.packed(blelink.DISCONNECT, blelink.ONE_HANDLE, conn_handle))
        return True

    # GATT server

    def gatts_register_services(self, services_definition):
        self._need_active()
        definition = []
        for service_uuid, characteristics in services_definition:
            chars = []
            for characteristic in characteristics:
                descriptors = characteristic[2] if len(characteristic) > 2 else ()
                dscs = [[UUID(d[0]).text(), d[1]] for d in descriptors]
                flags = characteristic[1] & self._flags_kept
                chars.append([UUID(characteristic[0]).text(), flags, dscs])
            definition.append([UUID(service_uuid).text(), chars])
        if self._link is None:
            handles = _nimble_handles(definition)
        else:
            self._send_json(blelink.REGISTER, definition)
            body = self._link.call(None, blelink.HANDLES)
            handles = json.loads(body)
        self._attrs = {}
        for service in handles:
            for handle in service:
                self._attrs[handle] = _Attr()
        if self._link is not None:
            self._link.deliver_early()
        return tuple(tuple(service) for service in handles)

    def gatts_read(self, value_handle):
        attr = self._attr(value_handle)
        data = bytes(attr.data)
        if attr.append:
            attr.n = 0
            self._mirror(value_handle, attr)
        return data

    def gatts_write(self, value_handle, data, send_update=False):
        attr = self._attr(value_handle)
        attr.write(data)
        self._mirror(value_handle, attr)
        if send_update:
            self._send(blelink.packed(blelink.UPDATE, blelink.ONE_HANDLE, value_handle))

    def gatts_set_buffer(self, value_handle, len, append=False):  # noqa: A002  (the real name)
        attr = self._attr(value_handle)
        attr.resize(len, bool(append))

    def gatts_notify(self, conn_handle, value_handle, data=None):
        self._queue(blelink.NOTIFY, conn_handle, value_handle, data)

    def gatts_indicate(self, conn_handle, value_handle, data=None):
        self._queue(blelink.INDICATE, conn_handle, value_handle, data)

    def _queue(self, op, conn_handle, value_handle, data):
        self._need_active()
        mtu = self._conns.get(conn_handle)
        if mtu is None:
            _fail(errno.ENOTCONN)
        if data is None:
            data = self._attr(value_handle).data
        if self._in_flight >= self._max_in_flight:
            _fail(errno.ENOMEM)
        self._in_flight += 1
        if self._link is not None:  # packed into the radio's own buffer, as NimBLE copies it
            n = min(len(data), mtu - 3)
            struct.pack_into(_NOTIFY_HEAD, _TX, 0, n + 5, op, conn_handle, value_handle)
            _TX[_NOTIFY_HEAD_SIZE : _NOTIFY_HEAD_SIZE + n] = data if n == len(data) else data[:n]
            self._link.send_buffer(_TX, _NOTIFY_HEAD_SIZE + n)

    # from the bridge

    def _deliver(self, op, body):
        if op == blelink.SENT:
            self._in_flight -= struct.unpack(blelink.ONE_HANDLE, body)[0]
        elif op == blelink.CONNECTED:
            conn, addr_type, addr = struct.unpack(blelink.PEER, body)
            self._conns[conn] = _ATT_DEFAULT_MTU
            self._plain.add(conn)
            meter.switch("radio", "conn")
            self._irq_with_addr(_IRQ_CENTRAL_CONNECT, conn, addr_type, addr)
        elif op == blelink.DISCONNECTED:
            conn, addr_type, addr = struct.unpack(blelink.PEER, body)
            self._conns.pop(conn, None)
            self._plain.discard(conn)
            if not self._conns:
                meter.switch("radio", "on")  # advertising stopped when it connected
            self._irq_with_addr(_IRQ_CENTRAL_DISCONNECT, conn, addr_type, addr)
        elif op == blelink.WRITTEN:
            conn, handle = struct.unpack_from(blelink.TWO_HANDLES, body, 0)
            attr = self._attrs.get(handle)
            if attr is not None:
                attr.remote_write(body[4:])
                self._mirror(handle, attr)
                self._irq(_IRQ_GATTS_WRITE, (conn, handle))
        elif op == blelink.MTU:
            conn, mtu = struct.unpack(blelink.TWO_HANDLES, body)
            if conn in self._conns:
                self._conns[conn] = mtu
                self._irq(_IRQ_MTU_EXCHANGED, (conn, mtu))
        elif op == blelink.INDICATED:
            self._irq(_IRQ_GATTS_INDICATE_DONE, struct.unpack(blelink.INDICATE_DONE, body))
        elif op == blelink.ENCRYPTED:
            conn, encrypted, authenticated, bonded, key_size = struct.unpack(
                blelink.ENCRYPTION, body
            )
            if conn in self._conns:
                if encrypted:
                    self._plain.discard(conn)
                flags = (bool(encrypted), bool(authenticated), bool(bonded))
                self._irq(_IRQ_ENCRYPTION_UPDATE, (conn,) + flags + (key_size,))
        elif op == blelink.GET_SECRET:
            self._get_secret(body)
        elif op == blelink.SET_SECRET:
            self._set_secret(body)
        elif op == blelink.LOOKING:
            self.host_looking = bool(body[0])
        elif op == blelink.REAL_TIME:
            select.keep_real_time()
        elif op == blelink.MOVE and simbus.bus().world is not None:
            simbus.bus().world.release()

    def _get_secret(self, body):
        request, sec_type, index, has_key = struct.unpack_from(blelink.SECRET_GET, body)
        key = memoryview(body)[6:] if has_key else None
        value = self._irq(_IRQ_GET_SECRET, (sec_type, index, key))
        answer = (request, 0 if value is None else 1)
        self._send_data(blelink.SECRET, blelink.SECRET_ANSWER, answer, value or b"")

    def _set_secret(self, body):
        request, sec_type, n_key, has_value = struct.unpack_from(blelink.SECRET_SET, body)
        key = memoryview(body)[5 : 5 + n_key]
        value = memoryview(body)[5 + n_key :] if has_value else None
        stored = 1 if self._irq(_IRQ_SET_SECRET, (sec_type, key, value)) else 0
        self._send(blelink.packed(blelink.SECRET, blelink.SECRET_ANSWER, request, stored))

    def _irq_with_addr(self, event, conn, addr_type, addr):
        self._addr[:] = addr
        try:
            self._irq(event, (conn, addr_type, memoryview(self._addr)))
        finally:
            for i in range(6):
                self._addr[i] = 0  # the ring buffer moves on: a kept memoryview sees this

    def _irq(self, event, data):
        """The handler's answer (secrets), None if it raised: printed, as on the board."""
        if self._handler is None:
            return None
        try:
            return self._handler(event, data)
        except Exception as e:  # as on the board: printed, the stack goes on
            print("Unhandled exception in IRQ callback handler", file=sys.stderr)
            sys.print_exception(e, sys.stderr)
            return None

    # helpers

    def _hello(self):
        hello = {"addr": self._own_address().hex(), "name": self._name, "mtu": self._mtu}
        hello["addr_mode"] = self._addr_mode
        hello.update(self._security)
        return hello

    def _own_address(self):
        """A random static address from the board's unique id (top two bits set)."""
        uid = bytearray(machine.unique_id()[-6:])
        uid[0] |= 0xC0
        return bytes(uid)

    def _need_active(self):
        if not self._active:
            _fail(errno.ENODEV)

    def _attr(self, value_handle):
        self._need_active()
        attr = self._attrs.get(value_handle)
        if attr is None:
            _fail(errno.EINVAL)
        return attr

    def _busy(self):
        return self._in_flight > 0 or bool(self._plain) or self.host_looking

    def _wakes(self):
        return self.host_looking

    def _mirror(self, handle, attr):
        self._send_data(blelink.VALUE, blelink.ONE_HANDLE, (handle,), attr.data)

    def _send(self, frame):
        if self._link is not None:
            self._link.send(frame)

    def _send_data(self, op, fmt, fields, data):
        """blelink.with_data(op, fmt, fields, data), packed into the radio's own buffer."""
        if self._link is None:
            return
        at = blelink.HEADER_SIZE + struct.calcsize(fmt)
        n = at + len(data)
        struct.pack_into(blelink.HEADER, _TX, 0, n - blelink.HEADER_SIZE + 1, op)
        struct.pack_into(fmt, _TX, blelink.HEADER_SIZE, *fields)
        _TX[at:n] = data
        self._link.send_buffer(_TX, n)

    def _send_json(self, op, obj):
        """blelink.as_json(op, obj), sent from the radio's own buffers (no JSON string)."""
        if self._link is None:
            return
        _JSON.seek(0)
        json.dump(obj, _JSON)
        n = _JSON.tell()
        if n > len(_JSON_OUT):
            self._link.send(blelink.as_json(op, obj))
            return
        _JSON.seek(0)
        _JSON.readinto(_JSON_OUT, n)
        struct.pack_into(blelink.HEADER, _TX, 0, n + 1, op)
        self._link.send_buffer(_TX, blelink.HEADER_SIZE)
        self._link.send_buffer(_JSON_OUT, n)


def _nimble_handles(definition):
    """Handles as NimBLE numbers them: service, then per characteristic its declaration, value,
    CCCD (notify/indicate) and descriptors. Used when no bridge assigns them."""
    handle = _FIRST_USER_HANDLE
    result = []
    for _, characteristics in definition:
        handles = []
        for _, flags, descriptors in characteristics:
            handle += 2
            handles.append(handle)
            if flags & (FLAG_NOTIFY | FLAG_INDICATE):
                handle += 1
            for _ in descriptors:
                handle += 1
                handles.append(handle)
        handle += 1
        result.append(handles)
    return result
