"""The virtual BLE link end to end: a MicroPython peripheral (tests/mp/ble_echo.py) on the unix
port's fake `bluetooth`, the bridge's Bumble peripheral, and bleak with the Bumble backend. The
board's limits hold: 20-byte payloads until the MTU exchange, ENOMEM under a burst (retried,
nothing lost), IRQ memoryviews that do not outlive the handler, link loss and reconnection,
a reboot."""

import asyncio
import os
from pathlib import Path

import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakError

from calfraise.ble.bumble_backend import BumbleClient
from calfraise.ble.virtual import VirtualDevice

ECHO = Path(__file__).parent / "mp" / "ble_echo.py"
NAME = "echo-7"
SERVICE = "7a1e0001-5eed-4c0d-a1f0-ca1f0000beef"
CHAR = "7a1e0002-5eed-4c0d-a1f0-ca1f0000beef"
CONNECT, DISCONNECT, WRITE, INDICATE_DONE, MTU_EXCHANGED = 1, 2, 3, 20, 21
CENTRAL = "f0ca1f000001"  # the bridge's central, as the firmware's IRQ shows it
RANDOM = 1


def irq(event):
    return lambda e: e["type"] == "irq" and e["event"] == event


def on_virtual_echo(test):
    """Run the coroutine function `test(dev)` against a fresh virtual echo device."""

    async def main():
        async with VirtualDevice(script=ECHO) as dev:
            await test(dev)

    asyncio.run(asyncio.wait_for(main(), 25))


async def scan(dev):
    """The echo device and its advertisement, as bleak reports them."""
    seen = {}

    def is_echo(device, adv):
        seen[device.address] = adv
        return adv.local_name == NAME

    device = await BleakScanner.find_device_by_filter(
        is_echo, timeout=5, backend=dev.scanner_backend
    )
    assert device is not None, "the echo device was not found"
    return device, seen[device.address]


class Notifications:
    """The values notified, in arrival order; `await wait(n)` until there are n."""

    def __init__(self):
        self.values = []
        self._more = asyncio.Event()

    def __call__(self, _characteristic, data):
        self.values.append(bytes(data))
        self._more.set()

    async def wait(self, count, timeout=5):
        async with asyncio.timeout(timeout):
            while len(self.values) < count:
                self._more.clear()
                await self._more.wait()
        return self.values


def test_advertisement_carries_name_and_service():
    async def test(dev):
        ready = await dev.next_event("ready")
        device, adv = await scan(dev)
        assert SERVICE in adv.service_uuids
        assert device.address.replace(":", "").lower() == ready["addr"]
        assert ready["addr"][0] in "cdef"  # random static: the top two bits are set

    on_virtual_echo(test)


def test_payload_limit_before_and_after_mtu_exchange():
    async def test(dev):
        device, _ = await scan(dev)
        got = Notifications()
        async with BleakClient(device, backend=dev.client_backend, exchange_mtu=None) as client:
            char = client.services.get_characteristic(CHAR)
            assert (await dev.next_event("ready"))["handle"] == char.handle
            conn, addr_type, addr = (await dev.next_event(irq(CONNECT)))["data"]
            assert (addr_type, addr) == (RANDOM, CENTRAL)
            assert client.mtu_size == 23
            await client.start_notify(char, got)

            await client.write_gatt_char(char, b"N\x01\x64", response=True)  # one of 100 bytes
            assert (await dev.next_event(irq(WRITE)))["data"] == [conn, char.handle]
            assert await got.wait(1) == [bytes(20)]  # cut to MTU 23 - 3

            assert await client._backend.exchange_mtu(247) == 247
            assert (await dev.next_event(irq(MTU_EXCHANGED)))["data"] == [conn, 247]
            await client.write_gatt_char(char, b"N\x01\x64", response=True)
            assert (await got.wait(2))[1] == bytes(100)

            await client.write_gatt_char(char, b"hello", response=True)
            assert (await got.wait(3))[2] == b"hello"

            await client.write_gatt_char(char, b"K", response=True)
            kept = await dev.next_event("kept_addr")
            assert kept["addr"] != CENTRAL  # the IRQ's memoryview did not outlive the handler

            await client.write_gatt_char(char, b"I", response=True)
            assert (await dev.next_event(irq(INDICATE_DONE)))["data"] == [conn, char.handle, 0]

    on_virtual_echo(test)


def test_burst_arrives_complete_and_in_order_through_enomem():
    async def test(dev):
        device, _ = await scan(dev)
        got = Notifications()
        async with BleakClient(device, backend=dev.client_backend) as client:
            await client.start_notify(CHAR, got)
            await client.write_gatt_char(CHAR, b"N" + bytes([50, 200]), response=True)
            burst = await dev.next_event("burst")
            assert burst["sent"] == 50 and burst["enomem"] > 0
            assert await got.wait(50) == [bytes([i]) * 200 for i in range(50)]

    on_virtual_echo(test)


def test_link_loss_then_reconnect_then_the_device_hangs_up():
    async def test(dev):
        device, _ = await scan(dev)
        got = Notifications()
        lost = asyncio.Event()
        client = BleakClient(device, lambda _: lost.set(), backend=dev.client_backend)
        await client.connect()
        await client.start_notify(CHAR, got)
        dev.drop_link_after(1000)
        await client.write_gatt_char(CHAR, b"N" + bytes([30, 100]), response=True)
        await asyncio.wait_for(lost.wait(), 5)
        assert not client.is_connected
        await dev.next_event(irq(DISCONNECT))
        assert 0 < len(got.values) < 10
        assert got.values == [bytes([i]) * 100 for i in range(len(got.values))]

        device, _ = await scan(dev)  # the firmware advertises again after the loss
        echoed = Notifications()
        lost.clear()
        again = BleakClient(device, lambda _: lost.set(), backend=dev.client_backend)
        await again.connect()
        await dev.next_event(irq(CONNECT))
        await again.start_notify(CHAR, echoed)
        await again.write_gatt_char(CHAR, b"back", response=True)
        assert await echoed.wait(1) == [b"back"]

        await again.write_gatt_char(CHAR, b"D", response=True)  # the device hangs up
        assert (await dev.next_event("disconnect"))["ok"] is True
        await dev.next_event(irq(DISCONNECT))
        await asyncio.wait_for(lost.wait(), 5)

    on_virtual_echo(test)


def test_a_reboot_drops_the_link_and_the_board_comes_back():
    async def test(dev):
        device, _ = await scan(dev)
        lost = asyncio.Event()
        async with BleakClient(device, lambda _: lost.set(), backend=dev.client_backend) as client:
            await client.write_gatt_char(CHAR, b"R", response=True)  # machine.reset()
            await asyncio.wait_for(lost.wait(), 5)
        await dev.next_event("sim.reset")
        await dev.next_event("ready")  # the script runs again from the start
        assert dev.returncodes == [4]

        device, _ = await scan(dev)
        echoed = Notifications()
        async with BleakClient(device, backend=dev.client_backend) as again:
            await again.start_notify(CHAR, echoed)
            await again.write_gatt_char(CHAR, b"up", response=True)
            assert await echoed.wait(1) == [b"up"]

    on_virtual_echo(test)


def test_a_request_pending_when_the_link_drops_fails_instead_of_hanging():
    """Bumble leaves an ATT request waiting when the link goes; the backend fails it, as the
    OS backends raise BleakError."""

    async def scenario():
        client = object.__new__(BumbleClient)
        client._gone = asyncio.Event()
        never = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_later(0.05, client._gone.set)
        with pytest.raises(BleakError, match="link was lost"):
            await client._request(never)
        assert never.cancelled()

    asyncio.run(scenario())


def test_an_event_loop_that_ends_with_the_device_open_leaves_nothing_behind():
    """asyncio.run's end cancels every task left: the one inside `async with VirtualDevice` and
    the device's supervisor. The supervisor kills and reaps the firmware on that loop and the
    device's exit still removes its files. Before, the process ran on, its transport was
    closed only by a garbage collection after the loop had closed (which fails: event loop
    closed), and the exit stopped at the supervisor's CancelledError."""
    opened = []

    async def main():
        ready = asyncio.Event()

        async def hold():
            async with VirtualDevice(script=ECHO) as dev:
                opened.append(dev)
                await dev.next_event("ready")
                ready.set()
                await asyncio.Event().wait()

        asyncio.get_running_loop().create_task(hold())
        await asyncio.wait_for(ready.wait(), 25)

    asyncio.run(main())
    [dev] = opened
    assert dev._process.returncode is not None  # reaped
    with pytest.raises(ProcessLookupError):
        os.kill(dev.pid, 0)
    assert not Path(dev.bridge.address).parent.exists()  # the stack closed: its socket's folder
