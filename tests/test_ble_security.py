"""BLE security end to end over the virtual link: the firmware on the unix port, the bridge's
Bumble peripheral speaking real SMP (LE Secure Connections), bleak through the Bumble backend.
The owner is the bridge's central; a stranger is a second Bumble central on the same radio.

An unpaired central gets an ATT security error on every protected characteristic and changes
nothing; it is dropped promptly; pairing outside the window is refused, inside it works; the
bond outlives a device reboot (and its new private address) and a host restart; "forget all
hosts" ends it; an idle host is
dropped; random and truncated SMP and ATT traffic does not crash the firmware."""

import asyncio
import contextlib
import json
import random

import pytest
from bleak import BleakClient
from bleak.exc import BleakError

from calfraise.ble.bridge import ScanningController, make_device
from calfraise.ble.bumble_backend import client_backend, scanner_backend
from calfraise.ble.virtual import VirtualDevice
from calfraise.device.runner import HEAP
from calfraise.host import protocol as p
from calfraise.host.discovery import find
from calfraise.host.link import DeviceLink, NotPaired
from calfraise.host.radio import Radio
from calfraise.sim import plan_reps, render
from calfraise.trace import write_trace

STRANGER = "F0:CA:1F:00:00:02"
PROTECTED = (p.REP_UUID, p.STATUS_UUID, p.CONTROL_UUID, p.DATA_UUID, p.RAW_UUID, p.EVENT_UUID)
BATTERY_LEVEL = "00002a19-0000-1000-8000-00805f9b34fb"
SERIAL_NUMBER = "00002a25-0000-1000-8000-00805f9b34fb"
SMP_CID, ATT_CID = 6, 4


def run(coroutine, timeout=90):
    asyncio.run(asyncio.wait_for(coroutine, timeout))


def device(tmp_path, trace=None, realtime=False, **options):
    """A virtual device keeping its flash (and its host's keys) in tmp_path."""
    options.setdefault("host_keys", tmp_path / "host-keys.json")
    return VirtualDevice(
        trace, realtime=realtime, heap=HEAP, flash=tmp_path / "flash.img", **options
    )


def owner(dev, auto_pair=True):
    return Radio(dev.scanner_backend, dev.client_backend, dev, auto_pair=auto_pair)


async def stranger(dev):
    """A second central on the device's radio, with keys of its own (none yet)."""
    central, _ = make_device(dev.bridge.link, "stranger", STRANGER, ScanningController)
    await central.power_on()
    return Radio(scanner_backend(central), client_backend(central), dev), central


async def connect(radio, channels=(), pair=False):
    return await DeviceLink.connect(radio, await find(radio, None), channels, pair=pair)


def pairing_event(why):
    return lambda e: e["type"] == "pairing" and e["why"] == why


def test_a_stranger_gets_security_errors_changes_nothing_and_is_dropped(tmp_path):
    trace = render(plan_reps(3, seed=5))
    csv = tmp_path / "reps.csv"
    write_trace(csv, trace.t_ms, trace.accel_g, trace.gyro_dps)
    files = {"settings.json": json.dumps({"idle_end_s": 30})}

    async def main():
        async with device(tmp_path, csv, files=files) as dev:
            await dev.next_event(lambda e: e["type"] == "state" and e["state"] == "idle", 60)
            async with await connect(owner(dev)) as link:  # no bonds yet: the owner pairs
                more, sessions = await link.command(p.LIST_SESSIONS, 0, 0)
            assert [s[0] for s in sessions] == [1]
            await dev.next_event(pairing_event("timeout"), 60)  # the boot window shuts
            radio, _ = await stranger(dev)
            target = await find(radio, None)
            lost = asyncio.Event()
            client = BleakClient(target, lambda _: lost.set(), backend=radio.client_backend)
            await client.connect()
            refused = []
            for uuid in PROTECTED:
                with pytest.raises(BleakError, match="INSUFFICIENT_ENCRYPTION"):
                    await client.start_notify(uuid, lambda *_: None)
                refused.append(uuid)
            with pytest.raises(BleakError, match="INSUFFICIENT_ENCRYPTION"):
                await client.read_gatt_char(p.STATUS_UUID)
            for opcode, args in ((p.DELETE_SESSION, (1,)), (p.REBOOT, ()), (p.START_RAW, ())):
                with pytest.raises(BleakError, match="INSUFFICIENT_ENCRYPTION"):
                    command = p.encode_command(opcode, 1, *args)
                    await client.write_gatt_char(p.CONTROL_UUID, command, response=True)
            assert (await client.read_gatt_char(BATTERY_LEVEL)) is not None  # open
            assert (await client.read_gatt_char(SERIAL_NUMBER)).decode()
            await asyncio.wait_for(lost.wait(), 20)  # the device hung up on it
            async with await connect(owner(dev)) as link:
                more, after = await link.command(p.LIST_SESSIONS, 0, 0)
            assert after == sessions  # nothing deleted
            assert len(refused) == len(PROTECTED)
            assert dev.returncodes == []  # and no reboot

    run(main())


def test_with_a_mistake_in_the_table_the_firmware_still_refuses_a_stranger(tmp_path):
    async def main():
        async with device(tmp_path, open_table=True) as dev:
            # the first boot's window; the radio asks for no pairing now: pair explicitly
            async with await connect(owner(dev), pair=True) as link:
                await link.command(p.SET_SETTINGS, ("reps_per_set", 15))
            await dev.next_event(pairing_event("timeout"), 60)
            radio, _ = await stranger(dev)
            lost = asyncio.Event()
            target = await find(radio, None)
            client = BleakClient(target, lambda _: lost.set(), backend=radio.client_backend)
            await client.connect()
            heard = []
            for uuid in PROTECTED:  # the radio lets it subscribe now
                await client.start_notify(uuid, lambda _c, data: heard.append(bytes(data)))
            changes = [(p.SET_SETTINGS, (("reps_per_set", 3),)), (p.REBOOT, ())]
            for seq, (opcode, args) in enumerate(changes, 1):
                command = p.encode_command(opcode, seq, *args)
                with contextlib.suppress(BleakError):  # written, or the link already closed
                    await client.write_gatt_char(p.CONTROL_UUID, command, response=True)
            await asyncio.wait_for(lost.wait(), 10)  # the firmware closed it at the first
            assert heard == []  # no answer, no rep, no status: nothing was notified to it
            async with await connect(owner(dev, auto_pair=False)) as link:
                assert await link.command(p.GET_SETTINGS, "reps_per_set") == (("reps_per_set", 15),)
            assert dev.returncodes == []  # not rebooted

    run(main())


def test_pairing_outside_the_window_is_refused_and_inside_it_works(tmp_path):
    async def first_boot():
        async with device(tmp_path) as dev:
            async with await connect(owner(dev)) as link:
                await link.hello()

    async def later_boot():
        # the button is held 3.5 s from 20 s after boot: the window opens then, for 60 s
        async with device(tmp_path, realtime=True, presses=[(20_000, 3_500)]) as dev:
            radio, central = await stranger(dev)
            with pytest.raises(NotPaired, match="refused to pair: its pairing window is shut"):
                await connect(radio, pair=True)
            assert await central.keystore.get_all() == []  # its useless keys went
            with pytest.raises(NotPaired, match="not paired with this computer"):
                await connect(radio)
            assert not [e for e in dev.events if e["type"] == "pairing"]  # still shut
            await dev.next_event(pairing_event("button"), 40)
            async with await connect(radio, pair=True) as link:
                await link.command(p.GET_SETTINGS)
            async with await connect(owner(dev, auto_pair=False)) as link:
                await link.command(p.GET_SETTINGS)  # the first host is still bonded

    run(first_boot())
    run(later_boot())


def test_a_bond_outlives_reboots_of_both_sides_and_forget_all_ends_it(tmp_path):
    async def pair_then_reboot():
        async with device(tmp_path) as dev:
            before = (await find(owner(dev), None)).address
            async with await connect(owner(dev)) as link:
                await link.command(p.REBOOT)
            await dev.next_event("boot", 30)
            await dev.next_event("boot", 30)  # the second boot
            rebooted = Radio(dev.scanner_backend, dev.client_backend)  # not one that pairs
            after = (await find(rebooted, None)).address
            async with await connect(rebooted) as link:
                await link.command(p.GET_SETTINGS)
            # a new resolvable private address each boot; the bond resolves it
            assert before != after
            assert [int(a[:2], 16) >> 6 for a in (before, after)] == [0b01, 0b01]

    async def host_restarted():
        async with device(tmp_path) as dev:  # a new host process: keys from its file
            async with await connect(owner(dev, auto_pair=False)) as link:
                await link.command(p.GET_SETTINGS)

    async def forget_all():
        async with device(tmp_path, realtime=True, presses=[(500, 8_500)]) as dev:
            event = await dev.next_event(pairing_event("forget"), 30)
            assert event["hosts"] == 0
            with pytest.raises(NotPaired, match="no longer knows this computer"):
                await connect(owner(dev, auto_pair=False))

    run(pair_then_reboot())
    run(host_restarted())
    run(forget_all())


def test_a_host_that_idles_is_dropped(tmp_path):
    async def main():
        async with device(tmp_path) as dev:
            link = await connect(owner(dev))
            async with link:
                await link.hello()
                await dev.next_event(lambda e: e.get("link") == "disconnected", 60)
                assert link.lost

    run(main())


def test_random_and_truncated_smp_and_att_traffic_does_not_crash_the_firmware(tmp_path):
    rng = random.Random(7)
    pairing_request = bytes.fromhex("01030009100f0f")  # NoInputNoOutput, bonding, SC
    blobs = [b"", b"\x01", pairing_request[:3], pairing_request, b"\x0c" + bytes(64)]
    blobs += [rng.randbytes(rng.randrange(0, 70)) for _ in range(150)]
    att = [b"", b"\x12", b"\x12\x24", b"\x12\x24\x00\x01", b"\x52\x24\x00" + bytes(100)]
    att += [bytes([op]) + rng.randbytes(rng.randrange(0, 40)) for op in range(256)]

    async def main():
        async with device(tmp_path) as dev:
            async with await connect(owner(dev)) as link:
                await link.hello()  # bonded, so the stranger below gets no window
            radio, central = await stranger(dev)
            target = await find(radio, None)
            for cid, corpus in ((SMP_CID, blobs), (ATT_CID, att)):
                connection = await central.connect(target.details)
                for data in corpus:
                    if connection.handle not in central.connections:
                        break  # hung up on: the rest goes on a new link
                    connection.send_l2cap_pdu(cid, data)
                    await asyncio.sleep(0)
                await asyncio.sleep(0.5)
                if connection.handle in central.connections:
                    await connection.disconnect()
            async with await connect(owner(dev, auto_pair=False)) as link:
                await link.command(p.GET_SETTINGS)
            assert dev.returncodes == []
            assert not any("Traceback" in line for line in dev.output), dev.output

    run(main())
