"""The device's clock through the interfaces a central and a user use (issue 11: sessions
recorded before a host set the clock stayed undated forever, the clock lived only in RAM).

On the virtual device: sessions recorded before any clock, across a soft reset, are dated by the
device when a sync sets the clock; the RTC keeps the time through a reboot; after a power loss
a session recorded and not synced before the next one is estimated from the last time the
device knew; `calfraise date` dates any session
and FIT export then works."""

import asyncio
import time
from contextlib import closing

from calfraise.ble.virtual import VirtualDevice
from calfraise.cli import main
from calfraise.device.runner import HEAP
from calfraise.host.db import open_db
from calfraise.host.discovery import find
from calfraise.host.link import DeviceLink
from calfraise.host.queries import list_sessions
from calfraise.host.radio import Radio
from calfraise.host.sync import Sync
from calfraise_fw import protocol as p


def radio_of(virtual):
    return Radio(virtual.scanner_backend, virtual.client_backend, virtual)


async def clock_unset(radio):
    async with await DeviceLink.connect(radio, await find(radio)) as link:
        return "clock_unset" in p.error_names((await link.read_status())["errors"])


async def record(radio):
    """An empty session started and stopped by command; the host's time at its start."""
    async with await DeviceLink.connect(radio, await find(radio)) as link:
        started = time.time() * 1000
        await link.command(p.START_SESSION)
        await link.command(p.STOP_SESSION)
        return started


async def reboot(radio, virtual):
    async with await DeviceLink.connect(radio, await find(radio)) as link:
        await link.command(p.REBOOT)
    await virtual.next_event("boot", timeout=30)


async def sync(radio, db_path):
    with closing(open_db(db_path)) as db:
        return await Sync(radio, await find(radio), db, lambda _d: None, print).run()


def test_sessions_are_dated_through_resets_and_estimated_after_a_power_loss(tmp_path, capsys):
    flash, db_path = tmp_path / "flash.img", tmp_path / "c.db"

    async def run():
        starts, unset = [], []
        async with VirtualDevice(None, flash=flash, heap=HEAP) as virtual:  # powered on
            radio = radio_of(virtual)
            await virtual.next_event("boot")
            unset.append(await clock_unset(radio))
            starts.append(await record(radio))  # no clock yet
            await reboot(radio, virtual)  # a soft reset: the RTC runs on, still unset
            unset.append(await clock_unset(radio))
            starts.append(await record(radio))
            await sync(radio, db_path)  # sets the clock: the device dates both
            await reboot(radio, virtual)
            unset.append(await clock_unset(radio))  # the RTC kept the time
            starts.append(await record(radio))
        async with VirtualDevice(None, flash=flash, heap=HEAP) as virtual:  # after a power loss
            radio = radio_of(virtual)
            await virtual.next_event("boot")
            unset.append(await clock_unset(radio))
            starts.append(await record(radio))
        async with VirtualDevice(None, flash=flash, heap=HEAP) as virtual:  # and another one
            await sync(radio_of(virtual), db_path)
        return starts, unset

    starts, unset = asyncio.run(run())
    assert unset == [True, True, False, True]
    with closing(open_db(db_path)) as db:
        sessions = list_sessions(db)
    assert [s["dated_by"] for s in sessions] == ["device", "device", "device", "estimated"]
    for s, started in zip(sessions, starts, strict=True):
        assert abs(s["start_ms"] - started) < 3000, (s, started)
    capsys.readouterr()
    estimated = sessions[-1]["id"]
    assert main(["--db", str(db_path), "sessions"]) == 0
    assert "~20" in capsys.readouterr().out  # an estimated start
    assert main(["--db", str(db_path), "date", str(estimated), "2026-12-06T07:30Z"]) == 0
    assert "starts 2026-12-06T07:30:00.000Z" in capsys.readouterr().out
    assert (
        main(["--db", str(db_path), "export", str(estimated), "-o", str(tmp_path / "s.fit")]) == 0
    )
    assert (tmp_path / "s.fit").stat().st_size > 0
    assert main(["--db", str(db_path), "date", str(estimated), "yesterday"]) == 2
    assert "not a date and time" in capsys.readouterr().err
