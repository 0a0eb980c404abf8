"""bleak backends over a Bumble central, so the host's unchanged bleak code reaches the virtual
device: bleak takes a backend class, and these classes come bound to a central.

    Scanner = scanner_backend(central)   # BleakScanner(..., backend=Scanner)
    Client = client_backend(central)     # BleakClient(device_or_address, backend=Client)

Like a phone or a PC, the client exchanges the MTU (247) as it connects. For tests,
`BleakClient(..., backend=Client, exchange_mtu=None)` keeps the default 23 until
`await client._backend.exchange_mtu(247)`. The disconnected callback fires when the link is
lost, not after our own disconnect().

Pairing is Bumble's SMP (LE Secure Connections, bonding); the central's key store keeps the
keys. As BlueZ does, connecting to a bonded peer encrypts the link with the stored keys; a
peer that forgot them refuses the encryption and the link drops, as
with BlueZ (BleakError naming PIN_OR_KEY_MISSING). unpair() forgets the keys and the link.
"""

import asyncio
import contextlib
import logging
import uuid

from bleak.assigned_numbers import CHARACTERISTIC_PROPERTIES
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError
from bumble.att import ATT_Error
from bumble.core import UUID as BumbleUUID
from bumble.core import ProtocolError
from bumble.device import Peer
from bumble.hci import Address, HCI_Error

EXCHANGED_MTU = 247  # what Android and macOS ask for
ATT_DEFAULT_MTU = 23
_NAMES = (0x08, 0x09)  # shortened, complete local name
_UUID_LISTS = {0x02: 2, 0x03: 2, 0x04: 4, 0x05: 4, 0x06: 16, 0x07: 16}  # AD type: UUID size
_SERVICE_DATA = {0x16: 2, 0x20: 4, 0x21: 16}
_MANUFACTURER_DATA = 0xFF
_TX_POWER = 0x0A

log = logging.getLogger(__name__)


def scanner_backend(central):
    """A BaseBleakScanner class that scans with the Bumble Device `central`."""
    return type("BumbleScanner", (BumbleScanner,), {"central": central})


def client_backend(central):
    """A BaseBleakClient class that connects from the Bumble Device `central`."""
    return type("BumbleClient", (BumbleClient,), {"central": central})


def uuid_text(le_bytes):
    """bleak's UUID form (lower-case 128-bit text) of a 2, 4 or 16-byte little-endian UUID."""
    full = BumbleUUID.from_bytes(bytes(le_bytes)).uuid_128_bytes
    return str(uuid.UUID(bytes=bytes(reversed(full))))


def advertisement_data(advertisement):
    """bleak's AdvertisementData of a Bumble Advertisement (advertising and scan response)."""
    fields = {"local_name": None, "tx_power": None}
    uuids, service_data, manufacturer_data = [], {}, {}
    for ad_type, value in advertisement.data.ad_structures:
        if ad_type in _NAMES and (fields["local_name"] is None or ad_type == 0x09):
            fields["local_name"] = value.decode("utf-8", errors="replace")
        elif ad_type in _UUID_LISTS:
            size = _UUID_LISTS[ad_type]
            uuids += [uuid_text(value[i : i + size]) for i in range(0, len(value), size)]
        elif ad_type in _SERVICE_DATA:
            size = _SERVICE_DATA[ad_type]
            service_data[uuid_text(value[:size])] = value[size:]
        elif ad_type == _MANUFACTURER_DATA and len(value) >= 2:
            manufacturer_data[int.from_bytes(value[:2], "little")] = value[2:]
        elif ad_type == _TX_POWER and value:
            fields["tx_power"] = int.from_bytes(value[:1], "little", signed=True)
    return AdvertisementData(
        manufacturer_data=manufacturer_data,
        service_data=service_data,
        service_uuids=uuids,
        rssi=advertisement.rssi,
        platform_data=(advertisement,),
        **fields,
    )


class BumbleScanner(BaseBleakScanner):
    central = None  # the Bumble Device, bound by scanner_backend()

    def __init__(self, detection_callback, service_uuids, scanning_mode="active", **kwargs):
        super().__init__(detection_callback, service_uuids)
        self._active = scanning_mode != "passive"

    async def start(self):
        self.seen_devices = {}
        self.central.on(self.central.EVENT_ADVERTISEMENT, self._on_advertisement)
        await self.central.start_scanning(active=self._active, filter_duplicates=False)

    async def stop(self):
        await self.central.stop_scanning()
        self.central.remove_listener(self.central.EVENT_ADVERTISEMENT, self._on_advertisement)

    def _on_advertisement(self, advertisement):
        adv = advertisement_data(advertisement)
        if not self.is_allowed_uuid(adv.service_uuids):
            return
        address = advertisement.address.to_string(False)
        device = self.create_or_update_device(
            address, address, adv.local_name, advertisement.address, adv
        )
        self.call_detection_callbacks(device, adv)


class BumbleClient(BaseBleakClient):
    central = None  # the Bumble Device, bound by client_backend()

    def __init__(self, address_or_ble_device, *, exchange_mtu=EXCHANGED_MTU, **kwargs):
        super().__init__(address_or_ble_device, **kwargs)
        details = getattr(address_or_ble_device, "details", None)
        if isinstance(address_or_ble_device, BLEDevice) and isinstance(details, Address):
            self._peer_address = details
        else:
            self._peer_address = Address(self.address, Address.RANDOM_DEVICE_ADDRESS)
        self._exchange_mtu = exchange_mtu
        self._connection = None
        self._peer = None
        self._leaving = False  # our own disconnect(): no disconnected callback
        self._gone = asyncio.Event()  # the link went: requests still waiting fail

    @property
    def name(self):
        return self.address

    @property
    def mtu_size(self):
        return self._connection.att_mtu if self._connection else ATT_DEFAULT_MTU

    @property
    def is_connected(self):
        return self._connection is not None

    async def connect(self, pair, **kwargs):
        connection = await self.central.connect(self._peer_address, timeout=self._timeout)
        self._connection = connection
        self._peer = Peer(connection)
        self._leaving = False
        self._gone = asyncio.Event()
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
        if pair:
            await self.pair()
        elif await self.central.keystore.get(self._key_name()) is not None:
            try:
                await self._request(connection.encrypt())
            except BleakError as err:
                raise BleakError(f"our keys were refused (PIN_OR_KEY_MISSING): {err}") from err
        if self._exchange_mtu:
            await self.exchange_mtu(self._exchange_mtu)
        self.services = await self._discover()

    async def exchange_mtu(self, mtu=EXCHANGED_MTU):
        """The ATT MTU exchange a central starts; returns the MTU agreed."""
        return await self._request(self._connected().request_mtu(mtu))

    async def disconnect(self):
        if self._connection is not None:
            self._leaving = True
            await self._connection.disconnect()

    async def pair(self, *args, **kwargs):
        """Just Works LE Secure Connections pairing with bonding (the central's defaults)."""
        await self._request(self._connected_link().pair())
        return True

    async def unpair(self):
        name = self._key_name()
        if await self.central.keystore.get(name) is not None:
            await self.central.keystore.delete(name)
        await self.disconnect()

    def _key_name(self):
        """The key store's name for the peer: its identity address (Bumble resolves a private
        address as the link comes up; without a link, the keys' resolver does)."""
        if self._connection is not None:
            return str(self._connection.peer_address)
        resolver = self.central.address_resolver
        if resolver is not None and self._peer_address.is_resolvable:
            return str(resolver.resolve(self._peer_address) or self._peer_address)
        return str(self._peer_address)

    def _connected_link(self):
        if self._connection is None:
            raise BleakError("Not connected")
        return self._connection

    async def read_gatt_char(self, characteristic, *, use_cached=False, **kwargs):
        return bytearray(await self._request(self._connected().read_value(characteristic.obj)))

    async def read_gatt_descriptor(self, descriptor, *, use_cached=False, **kwargs):
        return bytearray(await self._request(self._connected().read_value(descriptor.obj)))

    async def write_gatt_char(self, characteristic, data, response):
        if not response and len(data) > self.mtu_size - 3:
            raise BleakError(f"{len(data)} bytes do not fit a write without response")
        peer = self._connected()
        await self._request(
            peer.write_value(characteristic.obj, bytes(data), with_response=response)
        )

    async def write_gatt_descriptor(self, descriptor, data):
        peer = self._connected()
        await self._request(peer.write_value(descriptor.obj, bytes(data), with_response=True))

    async def start_notify(self, characteristic, callback, **kwargs):
        peer = self._connected()
        deliver = _Deliver(callback)
        try:
            await self._request(peer.subscribe(characteristic.obj, deliver))
        except BleakError:  # Bumble registered it before the CCCD write failed: take it back,
            gatt = peer.gatt_client  # or a subscribe after pairing would deliver everything twice
            for table in (gatt.notification_subscribers, gatt.indication_subscribers):
                table.get(characteristic.obj.handle, set()).discard(deliver)
            raise

    async def stop_notify(self, characteristic):
        await self._request(self._connected().unsubscribe(characteristic.obj))

    async def _request(self, coro):
        """An ATT request: its ATT error as BleakError, and BleakError when the link is lost
        first (Bumble leaves such a request waiting), as the OS backends report both."""
        request = asyncio.ensure_future(coro)
        gone = asyncio.ensure_future(self._gone.wait())
        try:
            await asyncio.wait((request, gone), return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
        if not request.done() or request.cancelled():  # Bumble cancels it when the link goes
            request.cancel()
            raise BleakError("Not connected: the link was lost")
        with _att_errors():
            return request.result()

    def _connected(self):
        if self._peer is None:
            raise BleakError("Not connected")
        return self._peer

    def _on_disconnection(self, _reason):
        self._gone.set()
        self._connection = None
        self._peer = None
        if not self._leaving and self._disconnected_callback is not None:
            self._disconnected_callback()

    async def _discover(self):
        """The peer's services, characteristics and descriptors as bleak's objects."""
        collection = BleakGATTServiceCollection()
        for service in await self._request(self._connected().discover_services()):
            service_uuid = uuid_text(bytes(service.uuid))
            bleak_service = BleakGATTService(service, service.handle, service_uuid)
            collection.add_service(bleak_service)
            for characteristic in await self._request(service.discover_characteristics()):
                bleak_characteristic = BleakGATTCharacteristic(
                    characteristic,
                    characteristic.handle,
                    uuid_text(bytes(characteristic.uuid)),
                    _property_names(characteristic.properties),
                    lambda: self.mtu_size - 3,
                    bleak_service,
                )
                collection.add_characteristic(bleak_characteristic)
                for descriptor in await self._request(characteristic.discover_descriptors()):
                    collection.add_descriptor(
                        BleakGATTDescriptor(
                            descriptor,
                            descriptor.handle,
                            uuid_text(bytes(descriptor.type)),
                            bleak_characteristic,
                        )
                    )
        return collection


def _property_names(properties):
    return [name for bit, name in CHARACTERISTIC_PROPERTIES.items() if int(properties) & bit]


@contextlib.contextmanager
def _att_errors():
    """An ATT error response or a failed pairing or encryption becomes bleak's BleakError, as
    the OS backends report them."""
    try:
        yield
    except ATT_Error as e:
        raise BleakError(f"ATT error: {e}") from e
    except (ProtocolError, HCI_Error) as e:
        raise BleakError(f"security: {e}") from e


class _Deliver:
    """A notification subscriber calling bleak's callback with a bytearray."""

    def __init__(self, callback):
        self.callback = callback

    def __call__(self, value):
        self.callback(bytearray(value))
