"""The host end of the virtual BLE link: the firmware's `bluetooth` calls, received over a socket
(protocol: device/port/simhw/blelink.py), drive a Bumble peripheral on a software radio link
that the host's central (and bleak, through bumble_backend.py) reaches like a real device.

    bridge = Bridge(socket_path); await bridge.start()   # the central is bridge.central
    bridge = Bridge(0)   # or TCP on 127.0.0.1 (0: any free port; bridge.address tells)
    bridge.drop_link_after(n)   # link loss once n more bytes crossed the air
    await bridge.close()

The peripheral (random static address from the firmware, or a resolvable private address with it
as identity when the firmware asks for addr_mode 2) serves the GATT database the firmware
registered, advertises what it asks, relays connections, writes and MTU exchanges to it, and
returns a notification's buffer to it once the packet has left the host's queue. Each firmware
session (a process, or active(True) after active(False)) gets its own controller; when its
socket closes the centrals see the link lost.

Security is Bumble's SMP, configured as the firmware asks (bond, le_secure, mitm, io): the
characteristics' FLAG_*_ENCRYPTED/AUTHENTICATED bits become ATT permissions (and those of their
CCCD), so an unencrypted central gets INSUFFICIENT_ENCRYPTION. The peripheral's key store is
the firmware's (_IRQ_GET_SECRET/_IRQ_SET_SECRET over the socket: FirmwareKeyStore), the end of a
pairing or an encryption with stored keys is its _IRQ_ENCRYPTION_UPDATE. The central's keys
live in a JSON file when `host_keys` names one (they survive a host restart), else in memory.
"""

import asyncio
import collections
import hashlib
import itertools
import json
import logging
import struct

from bumble.att import ATT_Handle_Value_Notification
from bumble.controller import Controller
from bumble.device import AdvertisingType, Device
from bumble.gatt import (
    GATT_CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR,
    Characteristic,
    CharacteristicValue,
    Descriptor,
)
from bumble.gatt import Service as GattService
from bumble.hci import (
    HCI_CONNECTION_TIMEOUT_ERROR,
    HCI_REMOTE_USER_TERMINATED_CONNECTION_ERROR,
    Address,
    HCI_LE_Advertising_Report_Event,
    HCI_LE_Extended_Advertising_Report_Event,
    HCI_LE_Set_Random_Address_Command,
)
from bumble.host import Host
from bumble.keys import JsonKeyStore, KeyStore, PairingKeys
from bumble.link import LocalLink
from bumble.pairing import PairingConfig, PairingDelegate
from bumble.profiles.gap import GenericAccessService
from bumble.transport.common import AsyncPipeSink

from calfraise.device.port.simhw import blelink

CENTRAL_ADDRESS = "F0:CA:1F:00:00:01"  # random static (top bits 11), as LocalLink needs
NOTIFY_OR_INDICATE = Characteristic.Properties.NOTIFY | Characteristic.Properties.INDICATE
FLAG_READ = 0x0002
FLAG_WRITES = 0x0004 | 0x0008  # write without response, write
FLAG_READ_ENCRYPTED = 0x0200
FLAG_READ_AUTHENTICATED = 0x0400
FLAG_WRITE_ENCRYPTED = 0x1000
FLAG_WRITE_AUTHENTICATED = 0x2000
ADDR_RPA = 2  # config(addr_mode=2): resolvable private address
PEER_SEC = 2  # NimBLE's BLE_STORE_OBJ_TYPE_PEER_SEC: a bonded host's keys
KEY_SIZE = 16
# MicroPython's io= values (0 DisplayOnly ... 4 KeyboardDisplay) as Bumble's
IO_CAPABILITIES = (
    PairingDelegate.DISPLAY_OUTPUT_ONLY,
    PairingDelegate.DISPLAY_OUTPUT_AND_YES_NO_INPUT,
    PairingDelegate.KEYBOARD_INPUT_ONLY,
    PairingDelegate.NO_OUTPUT_NO_INPUT,
    PairingDelegate.DISPLAY_OUTPUT_AND_KEYBOARD_INPUT,
)
STATUS_ENOTCONN = 7  # NimBLE's BLE_HS_ENOTCONN: the indication's link went away
STATUS_ETIMEOUT = 13  # BLE_HS_ETIMEOUT: no confirmation
INDICATE_TIMEOUT_S = 30  # ATT's transaction timeout
LOOK_S = 0.02  # how often the bridge sees whether the host scans or connects

# A lost link leaves packets in flight; the virtual controllers warn about each one.
logging.getLogger("bumble.controller").setLevel(logging.ERROR)


class ScanningController(Controller):
    """Bumble's LocalLink gives a scanning controller only the advertiser's advertising data and
    it reports that again as the scan response (Bumble 0.0.236), so the name a device puts in
    its scan response never arrives. This controller reports the advertiser's real one."""

    def on_advertising_pdu(self, pdu):
        scan_response = _scan_response(self.link, pdu.advertiser_address)
        if scan_response is None:
            super().on_advertising_pdu(pdu)
            return
        send = self.send_hci_packet

        def send_real_scan_response(packet):
            for report in getattr(packet, "reports", ()):
                if int(report.event_type) in _SCAN_RESPONSE_TYPES:
                    report.data = scan_response
            send(packet)

        self.send_hci_packet = send_real_scan_response
        try:
            super().on_advertising_pdu(pdu)
        finally:
            del self.send_hci_packet


_SCAN_RESPONSE_TYPES = {
    int(HCI_LE_Advertising_Report_Event.EventType.SCAN_RSP),
    int(HCI_LE_Extended_Advertising_Report_Event.EventType.SCAN_RESPONSE),
}


def _scan_response(link, address):
    """The scan response data the controller advertising as `address` would answer with."""
    controller = link.find_le_controller(address)
    if controller is None:
        return None
    sets = [bytes(s.scan_response_data) for s in controller.advertising_sets.values()]
    data = bytes(controller.le_legacy_advertiser.scan_response_data) or next(
        (d for d in sets if d), b""
    )
    return data or None


def make_device(link, name, address, controller_class=Controller):
    """A Bumble Device on its own controller on `link`, with a random static address."""
    controller = controller_class(name, link=link)
    host = Host(controller, AsyncPipeSink(controller))
    device = Device(name=name, address=Address(address, Address.RANDOM_DEVICE_ADDRESS), host=host)
    return device, controller


class LossyLink(LocalLink):
    """A LocalLink that counts the bytes its connections carry (L2CAP PDUs, both ways) and can
    lose the links after a given number more: the packet that would cross the limit and all
    after it vanish, what was sent before still arrives, then both ends see a supervision
    timeout."""

    def __init__(self):
        super().__init__()
        self.air_bytes = 0
        self._drop_at = None
        self._cut = False  # between the loss and the controllers learning of it

    def drop_after(self, n_bytes):
        self._drop_at = self.air_bytes + n_bytes

    def send_acl_data(self, sender_controller, destination_address, transport, data):
        if self._drop_at is not None and self.air_bytes + len(data) > self._drop_at:
            self._drop_at = None
            self._cut = True
            # after the packets already on their way, which the controllers deliver first
            asyncio.get_running_loop().call_soon(self._timeout, sender_controller)
        if self._cut:
            return
        self.air_bytes += len(data)
        super().send_acl_data(sender_controller, destination_address, transport, data)

    def _timeout(self, controller):
        self._cut = False
        self.lose(controller)

    def lose(self, controller):
        """Every LE connection of `controller` ends with a timeout, at both ends."""
        ends = [(controller, c) for c in controller.le_connections.values()]
        for other in self.controllers:
            for connection in other.le_connections.values():
                if connection.peer_address == controller.random_address:
                    ends.append((other, connection))
        for owner, connection in ends:
            owner.on_le_disconnected(connection, HCI_CONNECTION_TIMEOUT_ERROR)


class Bridge:
    """The radio link, the host's central and a socket server for the firmware's `bluetooth`
    (the sim config's "ble": {"socket": bridge.address})."""

    def __init__(self, address, host_keys=None):
        self.address = address if isinstance(address, int) else str(address)
        self.host_keys = host_keys  # the central's key store file (None: in memory)
        self.link = LossyLink()
        self.central = None
        self._server = None
        self._sessions = set()
        self._handlers = set()  # the tasks serving the firmware's connections
        self._looking = False  # the central scans or connects
        self._watch = None

    async def start(self):
        self.central, _ = make_device(
            self.link, "calfraise-host", CENTRAL_ADDRESS, ScanningController
        )
        if self.host_keys is not None:
            self.central.keystore = JsonKeyStore(filename=str(self.host_keys))
        await self.central.power_on()
        self._watch = asyncio.create_task(self._watch_central())
        if isinstance(self.address, int):
            self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.address)
            self.address = self._server.sockets[0].getsockname()[1]
        else:
            self._server = await asyncio.start_unix_server(self._serve, self.address)

    async def close(self):
        """Ends every firmware session and waits until each has taken its peripheral off the
        link, so no packet of theirs is still on its way when the event loop closes (Python
        3.11's Server.wait_closed does not wait for the connections' handlers)."""
        if self._watch is not None:
            self._watch.cancel()
        self._server.close()
        for session in list(self._sessions):
            session.writer.close()
        await self._server.wait_closed()
        await asyncio.gather(*self._handlers, *filter(None, [self._watch]), return_exceptions=True)

    @property
    def air_bytes(self):
        return self.link.air_bytes

    def drop_link_after(self, n_bytes):
        self.link.drop_after(n_bytes)

    async def _watch_central(self):
        """Tells each firmware whether the host looks for a device (scans or connects): a
        virtual device's clock keeps real time meanwhile, and its deep sleep ends
        (port/bluetooth.py, port/machine.py)."""
        central = self.central
        while True:
            looking = central.is_scanning or central.is_le_connecting
            if looking != self._looking:
                self._looking = looking
                for session in self._sessions:
                    session.send(blelink.packed(blelink.LOOKING, blelink.FLAG, looking))
            await asyncio.sleep(LOOK_S)

    def start_moving(self):
        """Start a held trace (sim config "trace_held"): the athlete moves from now on."""
        for session in self._sessions:
            session.send(blelink.frame(blelink.MOVE))

    def keep_real_time(self):
        """Tell the firmware its waits are real from now on (port/select.py)."""
        for session in self._sessions:
            session.send(blelink.frame(blelink.REAL_TIME))

    async def _serve(self, reader, writer):
        handler = asyncio.current_task()
        self._handlers.add(handler)
        handler.add_done_callback(self._handlers.discard)
        session = Peripheral(self.link, writer)
        self._sessions.add(session)
        if self._looking:  # a board booting while the host scans
            session.send(blelink.packed(blelink.LOOKING, blelink.FLAG, True))
        try:
            while True:
                header = await reader.readexactly(2)
                body = await reader.readexactly(struct.unpack(">H", header)[0])
                if body[0] == blelink.SECRET:  # answers a request a Bumble task awaits
                    session.answer(body[1:])
                else:
                    await session.handle(body[0], body[1:])
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._sessions.discard(session)
            await session.close()
            writer.close()


class Peripheral:
    """One firmware session: its Bumble device, GATT database, connections and buffers."""

    def __init__(self, link, writer):
        self.link = link
        self.writer = writer
        self.device = None
        self.controller = None
        self.values = {}  # value handle -> what a central reads (the firmware's local value)
        self._base_attributes = 0  # Bumble's own GAP and GATT services come first
        self._base_services = 0
        self._tickets = collections.deque()  # ACL queue counts at which notifications left
        self._lost = {}  # conn handle -> future set when the connection ends
        self._tasks = set()
        self.security = {"bond": False, "le_secure": False, "mitm": False, "io": 3}
        self._requests = {}  # request id -> future of the firmware's SECRET answer
        self._request_ids = itertools.count(1)
        self._pairing = {}  # conn handle -> future set when its pairing is over
        self._handlers = {
            blelink.HELLO: self._hello,
            blelink.CONFIG: self._config,
            blelink.REGISTER: self._register,
            blelink.ADVERTISE: self._advertise,
            blelink.VALUE: self._value,
            blelink.NOTIFY: self._notify,
            blelink.INDICATE: self._indicate,
            blelink.UPDATE: self._update,
            blelink.DISCONNECT: self._disconnect,
        }

    async def handle(self, op, body):
        await self._handlers[op](body)

    async def close(self):
        for task in self._tasks:
            task.cancel()
        for future in self._requests.values():
            future.cancel()
        if self.controller is None:
            return
        await self.device.stop_advertising()
        self.link.lose(self.controller)
        self.link.remove_controller(self.controller)
        self.controller.link = None  # its timers must not reach the air any more

    def send(self, frame):
        if not self.writer.is_closing():
            self.writer.write(frame)

    # from the firmware

    async def _hello(self, body):
        info = json.loads(body)
        address = ":".join(info["addr"][i : i + 2] for i in range(0, 12, 2))
        self.device, self.controller = make_device(self.link, info["name"], address)
        self.device.gatt_server.max_mtu = info["mtu"]
        self.security.update((k, info[k]) for k in self.security if k in info)
        # the identity key the board keeps: derived from its address here (NimBLE makes a random
        # one once and stores it, secret type 10); the identity is the random static address
        self.device.irk = hashlib.sha256(b"calfraise-irk" + bytes.fromhex(info["addr"]))
        self.device.irk = self.device.irk.digest()[:16]
        self.device.pairing_config_factory = self._pairing_config
        await self.device.power_on()
        await self._address_mode(info.get("addr_mode", 1))
        self.device.keystore = FirmwareKeyStore(self)  # after power_on: it would ask it now
        self._base_attributes = len(self.device.gatt_server.attributes)
        self._base_services = len(self.device.gatt_server.services)
        self.device.on(self.device.EVENT_CONNECTION, self._on_connection)
        self.device.host.le_acl_packet_queue.on("flow", self._release)

    async def _config(self, body):
        settings = json.loads(body)
        if "name" in settings:
            self.device.name = settings["name"]
            for service in self.device.gatt_server.services:
                if isinstance(service, GenericAccessService):
                    service.device_name_characteristic.value = settings["name"].encode()
        if "mtu" in settings:
            self.device.gatt_server.max_mtu = settings["mtu"]
        self.security.update((k, settings[k]) for k in self.security if k in settings)
        if "addr_mode" in settings:
            await self._address_mode(settings["addr_mode"])

    async def _address_mode(self, mode):
        """addr_mode 2 or 3: advertise and connect from a resolvable private address (a new one
        each boot; NimBLE also changes it every 15 min), else from the static one."""
        device = self.device
        address = Address.generate_private_address(device.irk) if mode >= ADDR_RPA else None
        address = address or device.static_address
        if address != device.random_address:
            await device.send_sync_command(
                HCI_LE_Set_Random_Address_Command(random_address=address)
            )
            device.random_address = address

    def _pairing_config(self, _connection):
        """What the firmware set with config(): NimBLE's ble_hs_cfg.sm_* at this moment."""
        security = self.security
        io = security["io"] if 0 <= security["io"] < len(IO_CAPABILITIES) else 3
        return PairingConfig(
            sc=security["le_secure"],
            mitm=security["mitm"],
            bonding=security["bond"],
            delegate=PairingDelegate(io_capability=IO_CAPABILITIES[io]),
        )

    # the firmware's key store

    async def secret(self, op, fmt, fields, data=b""):
        """Ask the firmware (_IRQ_GET_SECRET/_IRQ_SET_SECRET); (found or stored, value)."""
        request = next(self._request_ids) & 0xFFFF
        future = asyncio.get_running_loop().create_future()
        self._requests[request] = future
        self.send(blelink.with_data(op, fmt, (request, *fields), data))
        try:
            return await future
        finally:
            self._requests.pop(request, None)

    def answer(self, body):
        request, result = struct.unpack_from(blelink.SECRET_ANSWER, body)
        future = self._requests.get(request)
        if future is not None and not future.done():
            future.set_result((bool(result), bytes(body[3:])))

    async def _register(self, body):
        """Replace the firmware's services; answer with the value handles, NimBLE's shape."""
        server = self.device.gatt_server
        del server.attributes[self._base_attributes :]
        del server.services[self._base_services :]
        server.attributes_by_handle.clear()
        self.values.clear()
        handles = []
        for service_uuid, characteristics in json.loads(body):
            chars = [self._characteristic(*c) for c in characteristics]
            server.add_service(GattService(service_uuid, chars))
            handles.append([h for c in chars for h in _value_handles(c)])
        self.send(blelink.as_json(blelink.HANDLES, handles))

    async def _advertise(self, body):
        advert = json.loads(body)
        await self.device.stop_advertising()
        if advert["interval_us"] is None:
            return
        resp = bytes.fromhex(advert["resp"])
        if advert["connectable"]:
            kind = AdvertisingType.UNDIRECTED_CONNECTABLE_SCANNABLE
        elif resp:
            kind = AdvertisingType.UNDIRECTED_SCANNABLE
        else:
            kind = AdvertisingType.UNDIRECTED
        interval_ms = min(max(advert["interval_us"] / 1000, 20), 10240)
        await self.device.start_advertising(
            advertising_type=kind,
            advertising_data=bytes.fromhex(advert["adv"]),
            scan_response_data=resp,
            advertising_interval_min=interval_ms,
            advertising_interval_max=interval_ms,
        )

    async def _value(self, body):
        (handle,) = struct.unpack_from(blelink.ONE_HANDLE, body)
        self.values[handle] = bytes(body[2:])

    async def _notify(self, body):
        conn_handle, handle = struct.unpack_from(blelink.TWO_HANDLES, body)
        connection = self.device.connections.get(conn_handle)
        if connection is None:
            self._credit(1)
            return
        value = bytes(body[4 : 4 + connection.att_mtu - 3])
        pdu = ATT_Handle_Value_Notification(attribute_handle=handle, attribute_value=value)
        self.device.gatt_server.send_gatt_pdu(connection, bytes(pdu))
        self._tickets.append(self.device.host.le_acl_packet_queue.queued)
        self._release()

    async def _indicate(self, body):
        conn_handle, handle = struct.unpack_from(blelink.TWO_HANDLES, body)
        self._spawn(self._indication(conn_handle, handle, bytes(body[4:])))

    async def _update(self, body):
        (handle,) = struct.unpack(blelink.ONE_HANDLE, body)
        attribute = self.device.gatt_server.get_attribute(handle)
        value = self.values.get(handle, b"")
        if attribute is not None:
            self._spawn(self.device.gatt_server.notify_subscribers(attribute, value))
            self._spawn(self.device.gatt_server.indicate_subscribers(attribute, value))

    async def _disconnect(self, body):
        (conn_handle,) = struct.unpack(blelink.ONE_HANDLE, body)
        connection = self.device.connections.get(conn_handle)
        if connection is not None:
            await connection.disconnect(HCI_REMOTE_USER_TERMINATED_CONNECTION_ERROR)

    # from the radio

    def _on_connection(self, connection):
        peer = _peer_fields(connection)
        lost = asyncio.get_running_loop().create_future()
        self._lost[connection.handle] = lost

        def pairing_over():
            over = self._pairing.pop(connection.handle, None)
            if over is not None and not over.done():
                over.set_result(None)

        def on_disconnection(_reason):
            if not lost.done():
                lost.set_result(None)
            pairing_over()
            self._lost.pop(connection.handle, None)
            self.send(blelink.packed(blelink.DISCONNECTED, blelink.PEER, *peer))
            asyncio.get_running_loop().call_soon(self._release)  # after the host's flush

        def on_mtu():
            fields = (connection.handle, connection.att_mtu)
            self.send(blelink.packed(blelink.MTU, blelink.TWO_HANDLES, *fields))

        def on_encryption():
            if connection.handle not in self._pairing:  # else told when the pairing ends
                self._encryption_update(connection)

        def on_pairing_start():
            self._pairing[connection.handle] = asyncio.get_running_loop().create_future()

        def on_pairing(keys):
            connection.authenticated = bool(keys.ltk and keys.ltk.authenticated)
            self._encryption_update(connection)
            pairing_over()

        def on_pairing_failure(_reason):
            pairing_over()

        connection.on(connection.EVENT_DISCONNECTION, on_disconnection)
        connection.on(connection.EVENT_CONNECTION_ATT_MTU_UPDATE, on_mtu)
        connection.on(connection.EVENT_CONNECTION_ENCRYPTION_CHANGE, on_encryption)
        connection.on(connection.EVENT_PAIRING_START, on_pairing_start)
        connection.on(connection.EVENT_PAIRING, on_pairing)
        connection.on(connection.EVENT_PAIRING_FAILURE, on_pairing_failure)
        self.send(blelink.packed(blelink.CONNECTED, blelink.PEER, *peer))

    async def _paired(self, connection):
        over = self._pairing.get(connection.handle)
        if over is not None:
            await over

    def _encryption_update(self, connection):
        """_IRQ_ENCRYPTION_UPDATE, sent before any later write of the central is relayed (as
        NimBLE orders them): bonded when the firmware holds keys for the peer, by what the key
        store last read or stored for it."""
        keys = self.device.keystore.known.get(str(connection.peer_address))
        authenticated = bool(keys and keys.ltk and keys.ltk.authenticated)
        fields = (connection.handle, connection.is_encrypted, authenticated, keys is not None)
        self.send(blelink.packed(blelink.ENCRYPTED, blelink.ENCRYPTION, *fields, KEY_SIZE))

    def _characteristic(self, uuid, flags, descriptors):
        """A characteristic whose value lives in the firmware, with NimBLE's CCCD first."""
        properties = Characteristic.Properties(flags & 0xFF)
        characteristic = Characteristic(uuid, properties, _permissions(flags))
        characteristic.value = self._relay(characteristic)
        extra = []
        if characteristic.properties & NOTIFY_OR_INDICATE:
            cccd_value = self.device.gatt_server.make_descriptor_value(characteristic)
            cccd_permissions = _permissions(flags | FLAG_READ | FLAG_WRITES)
            cccd = GATT_CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR
            extra.append(Descriptor(cccd, cccd_permissions, cccd_value))
        for dsc_uuid, dsc_flags in descriptors:
            descriptor = Descriptor(dsc_uuid, _permissions(dsc_flags))
            descriptor.value = self._relay(descriptor)
            extra.append(descriptor)
        characteristic.descriptors = extra
        return characteristic

    def _relay(self, attribute):
        """Reads serve the firmware's value; writes go to the firmware (_IRQ_GATTS_WRITE).
        Both wait for a pairing under way to end: NimBLE reports its end first."""

        async def read(connection):
            await self._paired(connection)
            return self.values.get(attribute.handle, b"")

        async def write(connection, value):
            await self._paired(connection)
            fields = (connection.handle, attribute.handle)
            self.send(blelink.with_data(blelink.WRITTEN, blelink.TWO_HANDLES, fields, value))

        return CharacteristicValue(read=read, write=write)

    async def _indication(self, conn_handle, handle, data):
        connection = self.device.connections.get(conn_handle)
        attribute = self.device.gatt_server.get_attribute(handle)
        status = STATUS_ENOTCONN
        if connection is not None and attribute is not None:
            confirmed = asyncio.ensure_future(
                self.device.indicate_subscriber(connection, attribute, data, force=True)
            )
            lost = self._lost[conn_handle]
            await asyncio.wait(
                {confirmed, lost}, timeout=INDICATE_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
            )
            if not confirmed.done():
                confirmed.cancel()
            elif confirmed.exception() is None:
                status = 0
            else:
                status = STATUS_ETIMEOUT
        self._credit(1)
        fields = (conn_handle, handle, status)
        self.send(blelink.packed(blelink.INDICATED, blelink.INDICATE_DONE, *fields))

    def _release(self):
        """Give the firmware back a buffer for each notification that left the host's queue."""
        completed = self.device.host.le_acl_packet_queue.completed
        count = 0
        while self._tickets and self._tickets[0] <= completed:
            self._tickets.popleft()
            count += 1
        self._credit(count)

    def _credit(self, count):
        if count:
            self.send(blelink.packed(blelink.SENT, blelink.ONE_HANDLE, count))

    def _spawn(self, coroutine):
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _permissions(flags):
    """ATT permissions of MicroPython's flags; a CCCD gets its characteristic's security."""
    permissions = 0
    if flags & FLAG_READ:
        permissions |= Characteristic.READABLE
        if flags & FLAG_READ_ENCRYPTED:
            permissions |= Characteristic.READ_REQUIRES_ENCRYPTION
        if flags & FLAG_READ_AUTHENTICATED:
            permissions |= Characteristic.READ_REQUIRES_AUTHENTICATION
    if flags & FLAG_WRITES:
        permissions |= Characteristic.WRITEABLE
        if flags & FLAG_WRITE_ENCRYPTED:
            permissions |= Characteristic.WRITE_REQUIRES_ENCRYPTION
        if flags & FLAG_WRITE_AUTHENTICATED:
            permissions |= Characteristic.WRITE_REQUIRES_AUTHENTICATION
    return permissions


class FirmwareKeyStore(KeyStore):
    """Bumble's key store, kept by the firmware as NimBLE's is: one PEER_SEC entry per host,
    its key the host's address type and address (little-endian, as ble_addr_t), its value the
    PairingKeys as JSON. Nothing is stored while the firmware does not bond (bond=False)."""

    def __init__(self, peripheral):
        self.peripheral = peripheral
        self.known = {}  # name -> the keys last read or stored for it (None: none there)

    async def get(self, name):
        found, value = await self._get(0, _store_key(name))
        keys = self.known[name] = _keys_of(value)[1] if found else None
        return keys

    async def update(self, name, keys):
        self.known[name] = None
        if not self.peripheral.security["bond"]:
            return
        value = json.dumps({"name": name, "keys": keys.to_dict()}).encode()
        if await self._set(_store_key(name), value):
            self.known[name] = keys

    async def delete(self, name):
        self.known[name] = None
        await self._set(_store_key(name), None)

    async def get_all(self):
        entries = []
        for index in itertools.count():
            found, value = await self._get(index, None)
            if not found:
                return entries
            entries.append(_keys_of(value))

    async def _get(self, index, key):
        fields = (PEER_SEC, index, key is not None)
        return await self.peripheral.secret(
            blelink.GET_SECRET, blelink.SECRET_GET, fields, key or b""
        )

    async def _set(self, key, value):
        fields = (PEER_SEC, len(key), value is not None)
        data = key + (value or b"")
        stored, _ = await self.peripheral.secret(
            blelink.SET_SECRET, blelink.SECRET_SET, fields, data
        )
        return stored


def _store_key(name):
    address = Address(name)
    return bytes((address.address_type,)) + bytes(address)


def _keys_of(value):
    entry = json.loads(value)
    return entry["name"], PairingKeys.from_dict(entry["keys"])


def _value_handles(characteristic):
    """The handles MicroPython returns for a characteristic: its value, then its descriptors
    (not the CCCD, which NimBLE adds on its own)."""
    yield characteristic.handle
    for descriptor in characteristic.descriptors:
        if descriptor.type != GATT_CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR:
            yield descriptor.handle


def _peer_fields(connection):
    """conn handle, MicroPython's address type (0 public, 1 random), address MSB first."""
    address = connection.peer_address
    return connection.handle, 0 if address.is_public else 1, bytes(reversed(bytes(address)))
