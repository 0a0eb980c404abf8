"""The board's BLE side: a GATT server on MicroPython's `bluetooth` module (NimBLE on ESP32).

Live reps and status go out as notifications; the host's commands arrive on the control point
and are answered there (protocol.py has every byte; docs/protocol.md). IRQ handlers only copy
what they are given and wake the server's task, which does the work. Notifications wait in an
outbox and are sent by that task: when NimBLE's buffers are full (ENOMEM) it waits and retries,
so nothing is dropped and the sampling task never waits for the radio. A disconnect at any
moment clears the connection's state and advertising resumes. The status value is kept current
for reads; it is notified when the state, errors, battery or storage change, not for every rep.
Each connect and disconnect is published as a "ble" event with `retries` (notifications sent
again after ENOMEM since boot) and `raw_skipped` (raw samples not streamed, the radio behind).

Every command gets one answer: a write while _INBOX commands wait is answered BUSY from the IRQ,
one longer than a command can be MALFORMED (the control point's buffer holds one byte more, so
the length shows), an exception while executing it FAILED (and an error event), and an answer
larger than the MTU allows TOO_LARGE.

Security (pairing.py): LE Secure Connections with bonding, keys kept by bonds.py, a resolvable
private address. The table asks for an encrypted link on our service; on top of that nothing
is executed or notified unless the link is encrypted with a bonded host's keys: a command on
any other link closes it.
"""

import asyncio
import sys
import time
from binascii import crc32, hexlify
from collections import deque

import bluetooth
import machine
from micropython import const

from calfraise_fw import VERSION
from calfraise_fw import protocol as p
from calfraise_fw import settings as settings_file
from calfraise_fw.bonds import Bonds
from calfraise_fw.pairing import Pairing

_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_GATTS_WRITE = const(3)
_IRQ_MTU_EXCHANGED = const(21)
_IRQ_ENCRYPTION_UPDATE = const(28)
_IRQ_GET_SECRET = const(29)
_IRQ_SET_SECRET = const(30)
_IO_NO_INPUT_OUTPUT = const(3)  # an LED and a button: Just Works pairing
_ADDR_RPA = const(2)  # resolvable private address (public identity)
_POLICE_MS = const(1000)  # how often the pairing window and the link are checked
_ENOMEM = const(12)
_ATT_DEFAULT_MTU = const(23)
_ADV_INTERVAL_US = const(250000)
_RETRY_MS = const(20)  # wait for NimBLE to free a buffer
_OUTBOX = const(32)  # notifications waiting for the radio
_RAW_ROOM = const(16)  # a raw batch waits for the next drain when the outbox is this full
_CHUNKS_PER_TURN = const(8)  # a transfer yields to live notifications this often
_INBOX = const(4)  # commands waiting for the task; more are answered BUSY
# events after which the status may have changed enough to notify (docs/protocol.md, Status)
_STATUS_EVENTS = ("state", "error", "imu", "recording", "stats")
_STATUS_COUNTERS = const(4)  # bytes 4-9 of the status value: set, rep, reps
_STATUS_COUNTERS_END = const(10)
_STATUS_KEY = const(11)  # bytes of the 17-byte status value that are not counters
_ERROR_BITS = {
    "imu_missing": p.E_IMU_MISSING,
    "imu_failed": p.E_IMU_FAILED,
    "storage_full": p.E_STORAGE_FULL,
    "storage": p.E_STORAGE_ERROR,
    "settings": p.E_SETTINGS,
    "task_failed": p.E_TASK_FAILED,
}


class BleServer:
    def __init__(self, app):
        self.app = app
        self.retries = 0  # notifications that met ENOMEM and were sent again
        self.raw_skipped = 0  # raw samples not streamed: the radio was behind
        self.rep_seq = 0
        self.errors = 0  # E_* bits now true
        self._conn = None
        self._conn_event = None  # "connected" / "disconnected": to publish from the task
        self._mtu = _ATT_DEFAULT_MTU
        self._inbox: deque = deque((), _INBOX)  # control point writes, copied out of the IRQ
        self.heartbeat_ms = time.ticks_ms()  # for the supervisor
        self._outbox: deque = deque((), _OUTBOX)  # (value handle, bytes)
        self._wake = asyncio.ThreadSafeFlag()
        self._status_due = False  # notify the status
        self._status_stale = True  # refresh the status value
        # the value last notified less its counters, made once: a bytes object kept from one
        # notification to the next would land between the heap's free blocks
        self._status_sent = bytearray(_STATUS_KEY)
        self._status_new = True  # a new host has seen no status yet
        self._transfer: list | None = None  # [file, offset, end] of a READ_SESSION underway
        self._raw_base = 0  # the sampler's sample count at START_RAW
        self._battery_pct = None  # what the battery level and the advertisement say
        # a transfer's data chunk, read just before it is notified (NimBLE copies it out of the
        # heap): no new bytes per chunk, so a sync does not fragment the heap
        self._data_chunk = bytearray(p.PREFERRED_MTU)
        self._adv_us = _ADV_INTERVAL_US  # None: not advertising (power.py decides)
        ble = self._ble = bluetooth.BLE()
        ble.active(True)
        self.name = p.device_name(machine.unique_id())
        ble.config(gap_name=self.name, mtu=p.PREFERRED_MTU, addr_mode=_ADDR_RPA)
        ble.config(bond=True, le_secure=True, mitm=False, io=_IO_NO_INPUT_OUTPUT)
        self.pairing = Pairing(ble, app.publish, Bonds())
        self._drop = False  # close the link (its encryption brought no bond)
        ble.irq(self._irq)
        services = tuple(
            (bluetooth.UUID(uuid), tuple((bluetooth.UUID(c), flags) for c, flags in chars))
            for uuid, chars in p.gatt()
        )
        info, battery, ours = ble.gatts_register_services(services)
        board = app.board
        serial = hexlify(machine.unique_id()).decode()
        for handle, text in zip(info, (p.MANUFACTURER, board.name, VERSION, serial)):
            ble.gatts_write(handle, text.encode())
        self._battery = battery[0]
        self._rep, self._status, self._control, self._data, self._raw, self._events = ours
        ble.gatts_set_buffer(self._control, p.MAX_COMMAND + 1)  # a longer write shows its excess
        self._advertise()

    # --- IRQ: copy, wake, return ------------------------------------------------------------
    def _irq(self, event, data):
        if event == _IRQ_CENTRAL_CONNECT:
            self._conn = data[0]
            self.pairing.connected(time.ticks_ms())
            self._mtu = _ATT_DEFAULT_MTU
            self._status_stale = True
            self._conn_event = "connected"
        elif event == _IRQ_CENTRAL_DISCONNECT:
            self._conn = None
            self._conn_event = "disconnected"
            self._advertise()
        elif event == _IRQ_GATTS_WRITE and data[1] == self._control:
            command = bytes(self._ble.gatts_read(self._control))
            if len(self._inbox) < _INBOX:
                self._inbox.append(command)
            else:  # the task is behind: say so now
                head = command + b"\0\0"  # opcode and seq, 0 where the write lacks them
                self._send_later(self._control, p.encode_response(head[0], head[1], p.BUSY))
            self.pairing.alive(time.ticks_ms())
        elif event == _IRQ_MTU_EXCHANGED:
            self._mtu = data[1]
        elif event == _IRQ_ENCRYPTION_UPDATE:
            self._drop = self.pairing.encrypted(data[1], data[3])
        elif event == _IRQ_GET_SECRET:  # NimBLE's buffers, valid during the call: bonds
            return self.pairing.bonds.get(data[0], data[1], data[2])  # copies what it keeps
        elif event == _IRQ_SET_SECRET:
            return self.pairing.set_secret(data[0], data[1], data[2])
        self._wake.set()

    @property
    def connected(self):
        return self._conn is not None

    def advertise(self, interval_us):
        """Advertise every interval_us while nobody is connected (None: stop advertising)."""
        self._adv_us = interval_us
        if self._conn is None:
            self._advertise()

    def _advertise(self):
        if self._adv_us is None:
            self._ble.gap_advertise(None)
            return
        self._ble.gap_advertise(
            self._adv_us, p.adv_payload(self._battery_pct), resp_data=p.scan_response(self.name)
        )

    def _battery_changed(self):
        """The Battery Level value (notified to subscribers) and, while nobody is connected,
        the advertisement's battery data follow the monitor's reading."""
        pct = self._battery_pct = self.app.monitor.battery_pct
        if pct is not None:
            self._ble.gatts_write(self._battery, bytes((pct,)), True)
        if self._conn is None:
            self._advertise()

    # --- the app's events ---------------------------------------------------------------------
    def on_event(self, event):
        kind = event["type"]
        if kind == "rep":
            self.rep_seq += 1
            if self._trusted():
                self._outbox.append((self._rep, p.encode_rep(self.rep_seq, event)))
        elif kind in p.EVENT_KINDS:
            if self._trusted():
                self._outbox.append((self._events, p.encode_event(event)))
        elif kind == "error" and event["code"] in _ERROR_BITS:
            self.errors |= _ERROR_BITS[event["code"]]
        elif kind == "imu":
            self.errors &= ~(p.E_IMU_MISSING | p.E_IMU_FAILED)
        elif kind == "recording":
            self.errors &= ~p.E_STORAGE_FULL
        if kind in _STATUS_EVENTS:
            self._status_due = True
        self._status_stale = True
        self._wake.set()

    def status_value(self):
        app = self.app
        session = app.session
        store = app.store
        return p.encode_status(
            session.state,
            session.set_no,
            session.rep_no,
            session.reps,
            app.monitor.battery_pct,
            store.free_bytes(),
            store.hours_left(),
            self.errors | (0 if app.clock.is_set() else p.E_CLOCK_UNSET),
        )

    # --- the server's task ----------------------------------------------------------------
    def poke(self):
        """The supervisor's once-a-second wake-up: the task beats even with nothing to do."""
        self._wake.set()

    async def run(self):
        while True:
            await self._wake.wait()
            self.heartbeat_ms = time.ticks_ms()
            if self._drop:
                self._drop = False
                self._close_link()
            if self._conn_event is not None:
                self._publish_link()
            while self._inbox:
                self._command()
            if self._status_stale or self._status_due:
                self._refresh_status()
            if self.app.monitor.battery_pct != self._battery_pct:
                self._battery_changed()
            await self._flush()
            while self._transfer is not None and self._conn is not None:
                await self._send_chunks()
                await self._flush()
                if self._inbox:
                    self._wake.set()  # commands first, then the transfer goes on
                    break
            if self._conn is None:
                self._drop_outbox()
                self._end_transfer()

    def forget_hosts(self):
        """The very long press: no host is bonded any more, the link in use goes too."""
        self.pairing.forget_hosts()
        self._close_link()

    def _trusted(self):
        return self._conn is not None and self.pairing.trusted

    def _close_link(self):
        if self._conn is not None:
            self._ble.gap_disconnect(self._conn)

    def _refresh_status(self):
        """Write the status value; notify it if due and its state, errors, battery or storage
        changed since the last notification (the counters alone do not count)."""
        self._status_stale = False
        value = self.status_value()
        self._ble.gatts_write(self._status, value)
        key = value[:_STATUS_COUNTERS] + value[_STATUS_COUNTERS_END:]
        if self._status_due and (self._status_new or key != self._status_sent):
            self._status_sent[:] = key
            self._status_new = False
            self._send_later(self._status, value)
        self._status_due = False

    def _publish_link(self):
        event = self._conn_event
        self._conn_event = None
        if event == "connected":
            self._status_new = True
        self.app.publish(
            {
                "type": "ble",
                "link": event,
                "retries": self.retries,
                "raw_skipped": self.raw_skipped,
            }
        )

    def _drop_outbox(self):
        """Forget the notifications of a connection that is gone."""
        while self._outbox:
            self._outbox.popleft()

    def _send_later(self, handle, value):
        if self._trusted():
            self._outbox.append((handle, value))

    async def _flush(self):
        """Send the outbox (_notify); when the link is gone, or no longer trusted, it goes."""
        while self._outbox:
            handle, value = self._outbox[0]
            if not await self._notify(handle, value):
                self._drop_outbox()
                return
            self._outbox.popleft()

    async def _notify(self, handle, value):
        """Notify value; on ENOMEM wait for NimBLE and try again. False: not sent, the link is
        gone or not trusted (any error but ENOMEM means it is gone: its IRQ may come later)."""
        while self._conn is not None and self.pairing.trusted:
            try:
                self._ble.gatts_notify(self._conn, handle, value)
            except OSError as err:
                if err.args[0] != _ENOMEM:
                    return False
                self.retries += 1
                await asyncio.sleep_ms(_RETRY_MS)
                continue
            self.heartbeat_ms = time.ticks_ms()
            return True
        return False

    # --- commands ----------------------------------------------------------------------------
    def _command(self):
        """Execute and answer the oldest command waiting. Taken from the inbox here, not in
        run(): a value passed through run()'s stack stays in its generator after the call, and
        the last command of a visit would live on there, splitting the heap's free blocks."""
        data = self._inbox.popleft()
        if not self._trusted():  # the table lets no such write through: a bug, or an attack
            self._close_link()
            return
        try:
            opcode, seq, args = p.parse_command(data)
        except p.ProtocolError as err:
            self._send_later(self._control, p.error_response(err))
            return
        if self._mtu < p.MIN_MTU and opcode != p.HELLO:
            self._send_later(self._control, p.encode_response(opcode, seq, p.NOT_NOW))
            return
        try:
            status, values = self._execute(opcode, args)
            response = p.encode_response(opcode, seq, status, *values)
        except OSError:
            response = p.encode_response(opcode, seq, p.STORAGE_ERROR)
        except Exception as err:  # a bug must cost one command, not the server
            sys.print_exception(err)
            self.app.publish({"type": "error", "code": "command", "message": repr(err)})
            response = p.encode_response(opcode, seq, p.FAILED)
        if not p.fits(response, self._mtu):
            response = p.encode_response(opcode, seq, p.TOO_LARGE)
        self._send_later(self._control, response)
        self._status_stale = self._status_due = True  # the clock, the session, free space

    def _execute(self, opcode, args):
        app = self.app
        if opcode == p.HELLO:
            status = p.OK if args[0] == p.VERSION else p.VERSION_MISMATCH
            return status, (p.VERSION, VERSION, app.board.name)
        if opcode == p.SET_TIME:
            app.set_wall_clock(args[0])
        elif opcode == p.START_SESSION:
            if app.session.state != "idle":
                return p.NOT_NOW, ()
            app.session.start("command")
        elif opcode == p.STOP_SESSION:
            if app.session.state == "idle":
                return p.NOT_NOW, ()
            app.session.stop("command")
        elif opcode == p.GET_SETTINGS:
            names = args or p.SETTING_NAMES
            return p.OK, tuple((name, app.settings[name]) for name in names)
        elif opcode == p.SET_SETTINGS:
            for name, value in args:
                app.settings[name] = value
            app.store.aside(settings_file.save, app.settings)
        elif opcode == p.LIST_SESSIONS:
            return p.OK, self._list(args[0], args[1])
        elif opcode == p.READ_SESSION:
            return self._start_transfer(*args)
        elif opcode in (p.MARK_SYNCED, p.DELETE_SESSION):
            refused = self._refuse(args[0])
            if refused:
                return refused, ()
            if opcode == p.MARK_SYNCED:
                app.store.mark_synced(args[0])
            elif self._transfer is not None:
                return p.NOT_NOW, ()
            else:
                app.store.delete(args[0])
        elif opcode == p.START_RAW:
            imu = app.imu
            if not app.sampler.imu_ok:
                return p.NOT_NOW, ()
            self._raw_base = app.sampler.samples
            app.sampler.on_raw = self._raw_batch
            return p.OK, (imu.rate_hz, imu.accel_lsb_per_g, imu.gyro_lsb_per_dps)
        elif opcode == p.STOP_RAW:
            app.sampler.on_raw = None
        elif opcode == p.RESET_CALIBRATION:
            if not app.reset_calibration():
                return p.NOT_NOW, ()
        elif opcode == p.REBOOT:
            asyncio.create_task(self._reboot())
        return p.OK, ()

    def _refuse(self, sid):
        """NOT_NOW for the session being recorded, NO_SUCH_SESSION for an unknown id, else 0."""
        store = self.app.store
        if sid == store.sid:
            return p.NOT_NOW
        for entry in store.sessions():
            if entry[0] == sid:
                return 0
        return p.NO_SUCH_SESSION

    def _list(self, after_id, max_count):
        store = self.app.store
        room = p.list_capacity(self._mtu)
        if max_count:
            room = min(room, max_count)
        entries = []
        more = False
        for sid, size, synced, is_open in store.sessions():
            if sid <= after_id:
                continue
            if len(entries) == room:
                more = True
                break
            start_s, reps, sets = store.summary(sid)
            entries.append((sid, start_s, size, reps, sets, synced, is_open))
        return more, entries

    # --- bulk transfer --------------------------------------------------------------------------
    def _start_transfer(self, sid, offset, max_bytes):
        refused = self._refuse(sid)
        if refused:
            return refused, ()
        store = self.app.store
        f = open(store.path(sid), "rb")
        buf = store.read_buf
        size = 0
        crc = 0
        while True:
            n = f.readinto(buf)
            if not n:
                break
            crc = crc32(memoryview(buf)[:n], crc)
            size += n
        if offset > size:
            f.close()
            return p.OUT_OF_RANGE, ()
        end = size if max_bytes == 0 else min(size, offset + max_bytes)
        self._end_transfer()
        f.seek(offset)
        self._transfer = [f, offset, end]
        return p.OK, (size, crc, end - offset)

    async def _send_chunks(self):
        """A turn of the transfer: up to _CHUNKS_PER_TURN data notifications, then live ones
        get their turn."""
        transfer = self._transfer
        assert transfer is not None
        f, offset, end = transfer
        step = p.chunk_size(self._mtu)
        chunk = self._data_chunk
        for _ in range(_CHUNKS_PER_TURN):
            if offset >= end:
                self._end_transfer()
                return
            n = min(step, end - offset)
            f.readinto(memoryview(chunk)[4 : 4 + n])
            if not await self._notify(self._data, p.pack_chunk(chunk, offset, n)):
                self._end_transfer()  # the link is gone, or not trusted
                return
            offset += n
            transfer[1] = offset

    def _end_transfer(self):
        if self._transfer is not None:
            self._transfer[0].close()
            self._transfer = None

    # --- raw IMU stream ------------------------------------------------------------------------
    def _raw_batch(self, samples, n, first_index):
        """From the sampling task after each drain: queue the batch (copied) for the radio."""
        if not self._trusted() or len(self._outbox) >= _RAW_ROOM:
            self.raw_skipped += n  # the host sees the gap in the sample indices
            return
        room = p.raw_capacity(self._mtu)
        buf = self.app.store.read_buf
        done = 0
        while done < n:
            k = min(room, n - done)
            index = first_index - self._raw_base + done
            used = p.pack_raw(buf, index, memoryview(samples)[6 * done :], k)
            self._outbox.append((self._raw, bytes(buf[:used])))
            done += k
        self._wake.set()

    async def _reboot(self):
        await asyncio.sleep_ms(500)  # let the response go out
        machine.reset()


class Police:
    """The pairing window and the link rules (pairing.py) as a supervised task: closes the
    window in time, and the links that must go."""

    def __init__(self, server):
        self.server = server
        self.heartbeat_ms = time.ticks_ms()

    async def run(self):
        server = self.server
        server.pairing.start()
        while True:
            await asyncio.sleep_ms(_POLICE_MS)
            now = self.heartbeat_ms = time.ticks_ms()
            server.pairing.tick(now)
            app = server.app
            busy = app.session.state != "idle" or server._transfer is not None
            busy = busy or app.sampler.on_raw is not None
            if server._conn is not None and server.pairing.must_close(now, busy):
                server._close_link()
