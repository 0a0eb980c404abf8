"""Finding calfraise devices: their advertisements carry our service UUID (and the name
calfraise-XXXX in the scan response) and the battery level as Battery Service data
(docs/protocol.md, Advertising). Nothing here connects."""

import asyncio
from dataclasses import dataclass

from bleak.exc import BleakError
from bleak.uuids import normalize_uuid_16

from calfraise.errors import UserError
from calfraise.host import protocol as p

SCAN_SECONDS = 5.0
BATTERY_SERVICE_UUID = normalize_uuid_16(0x180F)


@dataclass
class Found:
    """A device seen advertising: bleak's BLEDevice and what its advertisement said."""

    device: object
    name: str | None
    address: str
    rssi: int
    battery_pct: int | None

    def matches(self, want):
        """True if `want` is this device's name or address (case and separators ignored)."""
        key = _normal(want)
        return key in (_normal(self.name or ""), _normal(self.address))

    @property
    def label(self):
        return f"{self.name or '(no name yet)'} ({self.address})"


def _normal(text):
    return text.replace(":", "").replace("-", "").lower()


def is_calfraise(name, service_uuids):
    """Our service UUID in the advertisement, or our name prefix in the scan response."""
    return p.SERVICE_UUID in service_uuids or (name or "").startswith(p.NAME_PREFIX)


def battery_level(service_data):
    """The battery % of bleak's service_data {uuid: bytes}, None if absent or not 0..100."""
    value = service_data.get(BATTERY_SERVICE_UUID)
    if value is None or len(value) != 1 or value[0] > 100:
        return None
    return value[0]


def found_from(device, adv):
    """A Found from bleak's (BLEDevice, AdvertisementData), or None if it is not ours."""
    name = adv.local_name or device.name
    if not is_calfraise(name, adv.service_uuids):
        return None
    return Found(device, name, device.address, adv.rssi, battery_level(adv.service_data))


async def scan(radio, seconds=SCAN_SECONDS, done=None):
    """The calfraise devices advertising within `seconds`, strongest first. done(found_by_
    address) -> True ends the scan early. Raises UserError when there is no Bluetooth."""
    seen = {}
    enough = asyncio.Event()

    def on_advertisement(device, adv):
        found = found_from(device, adv)
        if found is None:
            return
        if found.name is None and device.address in seen:
            found.name = seen[device.address].name  # a scan response named it before
        seen[device.address] = found
        if done is not None and done(seen):
            enough.set()

    try:
        async with radio.scanner(on_advertisement):
            try:
                await asyncio.wait_for(enough.wait(), seconds)
            except TimeoutError:
                pass
    except (BleakError, OSError) as err:
        raise UserError(
            f"Bluetooth is not available here ({err or type(err).__name__}); "
            "`calfraise --sim TRACE.csv ...` runs against a virtual device"
        ) from None
    return sorted(seen.values(), key=lambda f: -f.rssi)


async def find(radio, want=None, seconds=SCAN_SECONDS):
    """The one device to talk to (bleak's BLEDevice): the one matching `want` (a name or an
    address), else the only one advertising. Raises UserError: none found, or several."""
    first_seen = []

    def done(seen):
        if want is not None:
            return any(f.matches(want) for f in seen.values())
        loop = asyncio.get_running_loop()
        if not first_seen:
            first_seen.append(loop.time())
        return loop.time() - first_seen[0] >= radio.settle_s

    found = await scan(radio, seconds, done)
    radio.check_alive()
    if want is not None:
        matching = [f for f in found if f.matches(want)]
        if not matching:
            others = ", ".join(f.label for f in found) or "none"
            raise UserError(
                f"no calfraise device {want!r} found: scanned {radio.what} for {seconds:g} s "
                f"(calfraise devices seen: {others})"
            )
        return matching[0].device
    if not found:
        raise UserError(
            f"no calfraise device found: scanned {radio.what} for {seconds:g} s for service "
            f"{p.SERVICE_UUID} or names {p.NAME_PREFIX}*. Is it on, in range, and not "
            "connected to another phone or PC?"
        )
    if len(found) > 1:
        labels = ", ".join(f.label for f in found)
        raise UserError(f"{len(found)} calfraise devices found ({labels}): choose with --device")
    return found[0].device
