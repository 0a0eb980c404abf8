"""One connection to a calfraise device over bleak: subscribe, HELLO, then commands.

    async with await DeviceLink.connect(radio, device, ("rep", "status")) as link:
        values = await link.command(GET_SETTINGS, "reps_per_set")
        kind, data = await link.inbox.get()   # ("rep", bytes for protocol.decode_rep)

`command()` writes the control point with a fresh sequence byte and waits for the response
with that byte; a status other than OK becomes a CommandError (a UserError) that says what to
do. Notifications of the subscribed characteristics (rep, status, data, raw) queue in arrival
order on one Channel, the inbox, so nothing is lost while the caller is busy. When the link
drops, every wait raises LinkLost. The bytes are protocol.py's (docs/protocol.md).
"""

import asyncio
import collections
import time

from bleak.exc import BleakError
from bleak.uuids import normalize_uuid_16

from calfraise.errors import UserError
from calfraise_fw import protocol as p

COMMAND_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 15.0
SERIAL_NUMBER_UUID = normalize_uuid_16(0x2A25)  # Device Information: Serial Number String
DEVICE_NAME_UUID = normalize_uuid_16(0x2A00)  # Generic Access: Device Name
CHANNELS = {
    "rep": p.REP_UUID,
    "status": p.STATUS_UUID,
    "data": p.DATA_UUID,
    "raw": p.RAW_UUID,
    "event": p.EVENT_UUID,
}
# why a device answers NOT_NOW, by command (docs/protocol.md, status codes)
_BUSY_WHY = {
    p.START_SESSION: "a session is already running",
    p.STOP_SESSION: "no session is running",
    p.READ_SESSION: "that session is still being recorded: stop it or let it end, then sync",
    p.MARK_SYNCED: "that session is still being recorded",
    p.DELETE_SESSION: "that session is still being recorded, or a download is under way",
    p.START_RAW: "its IMU is not working (see the status's error flags)",
    p.RESET_CALIBRATION: "a session is under way: end it first (button, or let it time out)",
}


class ConnectFailed(UserError):
    """No connection could be made (or subscribed) to the device found."""


class LinkLost(UserError):
    """The connection ended while a command or a notification was awaited."""


class CommandError(UserError):
    """The device answered a command with a status other than OK; .status has the code."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


class DeviceBusy(CommandError):
    """NOT_NOW: the command is valid but not in the device's present state."""


class ProtocolMismatch(CommandError):
    """HELLO answered VERSION_MISMATCH: device and host speak different protocol versions."""


def command_error(opcode, status, args, link_name, mtu):
    """The CommandError for a refused command, worded for the person at the keyboard."""
    name = p.COMMAND_NAMES[opcode] if 0 < opcode < len(p.COMMAND_NAMES) else f"command {opcode}"
    what = f"{link_name} refused {name}"
    if status == p.NOT_NOW:
        if mtu < p.MIN_MTU:
            why = f"the link's MTU is {mtu}, the device needs {p.MIN_MTU}"
        else:
            why = _BUSY_WHY.get(opcode, "it is busy")
        return DeviceBusy(f"{what}: the device is busy: {why}", status)
    if status == p.NO_SUCH_SESSION:
        which = f" {args[0]}" if args else ""
        return CommandError(f"{what}: the device has no session{which}", status)
    if status == p.STORAGE_ERROR:
        return CommandError(f"{what}: the device's flash failed; try again, then reboot it", status)
    if status == p.BUSY:
        return DeviceBusy(f"{what}: too many commands at once; try again", status)
    if status == p.FAILED:
        return CommandError(f"{what}: it failed inside the device; try again", status)
    if status == p.TOO_LARGE:
        return CommandError(f"{what}: its answer does not fit the link's MTU of {mtu}", status)
    label = p.STATUS_NAMES[status] if status < len(p.STATUS_NAMES) else f"status {status}"
    return CommandError(f"{what} ({label}): calfraise and the firmware disagree", status)


def mismatch_error(link_name, device_version, firmware, host_version):
    side = "calfraise" if device_version > host_version else "the device's firmware"
    return ProtocolMismatch(
        f"{link_name} speaks protocol {device_version} (firmware {firmware}), this calfraise "
        f"{host_version}: update {side}",
        p.VERSION_MISMATCH,
    )


async def set_clock(link):
    """SET_TIME with this computer's clock; returns the Unix seconds sent."""
    now = int(time.time())
    try:
        await link.command(p.SET_TIME, now)
    except CommandError as err:
        if err.status == p.OUT_OF_RANGE:
            raise UserError("this computer's clock is before 2020: set it first") from None
        raise
    return now


class Channel:
    """Notifications in arrival order; get() raises LinkLost once the link is gone and nothing
    is left."""

    def __init__(self):
        self._items = collections.deque()
        self._more = asyncio.Event()
        self._lost = None

    def put(self, item):
        self._items.append(item)
        self._more.set()

    def clear(self):
        self._items.clear()

    def discard(self, kind):
        """Forgets the (kind, bytes) items of one kind received so far (stale ones)."""
        kept = [item for item in self._items if item[0] != kind]
        self._items.clear()
        self._items.extend(kept)

    def take_all(self):
        """Everything received so far, without waiting."""
        items = list(self._items)
        self._items.clear()
        return items

    def close(self, error):
        self._lost = error
        self._more.set()

    async def get(self, timeout=None):
        """The next item; TimeoutError after timeout seconds without one."""
        async with asyncio.timeout(timeout):
            while not self._items:
                if self._lost is not None:
                    raise self._lost
                self._more.clear()
                await self._more.wait()
        return self._items.popleft()


class DeviceLink:
    """A connected, subscribed device that answered HELLO. Use connect() to make one."""

    protocol_version = p.VERSION  # what HELLO announces (tests change it to provoke a mismatch)

    def __init__(self, client, name):
        self.client = client
        self.name = name
        self.device_id = name  # the serial number once connect() read it
        self.firmware = self.board = None
        self.lost = False
        self.bad_notifications = 0  # notifications that did not decode (counted, skipped)
        self.inbox = Channel()  # (channel name, bytes) of every subscribed notification
        self._seq = 0
        self._pending = None  # (opcode, seq, future) of the command awaiting its response
        self._lock = asyncio.Lock()
        self._closing = False

    @classmethod
    async def connect(cls, radio, device, channels=()):
        """Connect to a BLEDevice, subscribe to the control point and `channels` (names of
        CHANNELS: what the inbox will hold), say HELLO. Raises ConnectFailed, ProtocolMismatch
        (UserErrors)."""
        name = device.name or device.address
        link = None

        def on_disconnect(_client):
            if link is not None:
                link._on_lost()

        client = radio.client(device, on_disconnect)
        link = cls(client, name)
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                await client.connect()
                await client.start_notify(p.CONTROL_UUID, link._on_control)
                for channel in channels:
                    await client.start_notify(CHANNELS[channel], link._handler(channel))
                link.device_id = await link._read_text(SERIAL_NUMBER_UUID) or name
                if device.name is None:  # the advertisement's scan response did not come
                    link.name = await link._read_text(DEVICE_NAME_UUID) or name
        except (BleakError, OSError, TimeoutError) as err:
            await link.close()
            raise ConnectFailed(f"cannot connect to {name}: {err or type(err).__name__}") from None
        try:
            await link.hello()
        except BaseException:
            await link.close()
            raise
        return link

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()

    async def close(self):
        self._closing = True
        if self.client.is_connected:
            try:
                await self.client.disconnect()
            except (BleakError, OSError):
                pass  # gone already

    @property
    def mtu(self):
        return self.client.mtu_size

    async def hello(self):
        """HELLO with our protocol version; keeps the device's firmware and board names."""
        async with self._lock:
            status, values = await self._exchange(p.HELLO, (self.protocol_version,))
        if status == p.VERSION_MISMATCH:
            version, firmware, _board = values
            raise mismatch_error(self.name, version, firmware, self.protocol_version)
        if status != p.OK:
            raise command_error(p.HELLO, status, (), self.name, self.mtu)
        _version, self.firmware, self.board = values

    async def command(self, opcode, *args, timeout=COMMAND_TIMEOUT_S):
        """Send one command and return its response values; raises CommandError (or one of
        its kinds) for a refusal, LinkLost, or UserError when no answer comes in time."""
        async with self._lock:
            status, values = await self._exchange(opcode, args, timeout)
        if status != p.OK:
            raise command_error(opcode, status, args, self.name, self.mtu)
        return values

    async def _exchange(self, opcode, args, timeout=COMMAND_TIMEOUT_S):
        if self.lost:
            raise self._lost_error()
        self._seq = (self._seq + 1) & 0xFF
        future = asyncio.get_running_loop().create_future()
        self._pending = (opcode, self._seq, future)
        # a lost link fails `future` at once, while the write itself may never return
        write = asyncio.ensure_future(self._write(p.encode_command(opcode, self._seq, *args)))
        try:
            async with asyncio.timeout(timeout):
                await asyncio.wait((write, future), return_when=asyncio.FIRST_COMPLETED)
                if not future.done() or future.exception() is None:
                    await write
                _opcode, _seq, status, values = await future
        except TimeoutError:
            raise UserError(
                f"{self.name} did not answer {p.COMMAND_NAMES[opcode]} within {timeout:g} s"
            ) from None
        finally:
            write.cancel()
            self._pending = None
        return status, values

    async def _write(self, data):
        try:
            await self.client.write_gatt_char(p.CONTROL_UUID, data, response=True)
        except (BleakError, OSError) as err:
            if self.lost or not self.client.is_connected:
                raise self._lost_error() from None
            raise UserError(f"cannot write to {self.name}: {err}") from None

    async def read_status(self):
        """The status characteristic, decoded (protocol.decode_status's dict)."""
        try:
            data = await self.client.read_gatt_char(p.STATUS_UUID)
        except (BleakError, OSError) as err:
            if self.lost or not self.client.is_connected:
                raise self._lost_error() from None
            raise UserError(f"cannot read the status of {self.name}: {err}") from None
        try:
            return p.decode_status(bytes(data))
        except p.ProtocolError as err:
            raise UserError(f"{self.name}'s status is not protocol v1: {err}") from None

    async def _read_text(self, uuid):
        """A text characteristic (the serial number: the device's id in the database), or None
        when the device (or the OS: BlueZ hides Generic Access) does not offer it."""
        try:
            raw = await self.client.read_gatt_char(uuid)
        except BleakError:
            return None
        return bytes(raw).decode(errors="replace") or None

    # notifications (bleak calls these on its event loop, in arrival order)

    def _on_control(self, _characteristic, data):
        try:
            response = p.decode_response(bytes(data))
        except p.ProtocolError as err:
            self.bad_notifications += 1
            if self._pending is not None and not self._pending[2].done():
                self._pending[2].set_exception(
                    UserError(f"{self.name} sent a response that is not protocol v1: {err}")
                )
            return
        opcode, seq = response[0], response[1]
        if self._pending is None or self._pending[:2] != (opcode, seq):
            return  # an answer to a command we gave up on
        if opcode == p.READ_SESSION:
            self.inbox.clear()  # chunks before this answer belong to an earlier transfer
        if not self._pending[2].done():
            self._pending[2].set_result(response)

    def _handler(self, channel):
        def on_notify(_characteristic, data):
            self.inbox.put((channel, bytes(data)))

        return on_notify

    def _on_lost(self):
        if self._closing:
            return
        self.lost = True
        error = self._lost_error()
        if self._pending is not None and not self._pending[2].done():
            self._pending[2].set_exception(error)
        self.inbox.close(error)

    def _lost_error(self):
        return LinkLost(f"the link to {self.name} was lost")
