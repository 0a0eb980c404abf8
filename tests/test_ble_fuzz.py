"""The device survives any command: over 1,000 random and boundary-valued writes (lengths 0 to
300, every opcode, extreme values, pipelined past the command queue, during a transfer) through
the virtual BLE link, each answered exactly once; then HELLO, LIST, a sync and a live session
still work. Regression for issue 11 (one bad SET_TIME killed the BLE task for good)."""

import asyncio
import json
import random
import struct

import pytest

from calfraise.ble.virtual import VirtualDevice
from calfraise.device.runner import HEAP
from calfraise.host import protocol as p
from calfraise.host.db import open_db
from calfraise.host.discovery import find
from calfraise.host.link import DeviceLink
from calfraise.host.live import LiveFeed, start_live
from calfraise.host.radio import Radio
from calfraise.host.sync import Sync, list_all
from calfraise.sim import plan_reps, render
from calfraise.trace import write_trace

PIPELINE = 12  # writes sent before waiting for their answers: more than the queue holds
EXTREMES = (0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)


class RecordingLink(DeviceLink):
    """A DeviceLink that also keeps every control point answer, decoded or not."""

    def __init__(self, client, name):
        super().__init__(client, name)
        self.answers = []

    def _on_control(self, characteristic, data):
        self.answers.append(bytes(data))
        super()._on_control(characteristic, data)


async def _in_session(link):
    return (await link.read_status())["state"] == "in_session"


async def _answers_before_a_sentinel(link, base, sent):
    """The answers from index `base` on, up to the answer to a HELLO written after `sent` under
    a seq none of them used. The device answers its commands in turn, so an extra answer to any
    of `sent` comes before the sentinel's: no waiting for what might still come."""
    seq = min(set(range(1, 256)) - {d[1] for d in sent if len(d) > 1 and d[0] == p.HELLO})
    sentinel = p.encode_command(p.HELLO, seq, p.VERSION)
    await link.client.write_gatt_char(p.CONTROL_UUID, sentinel, response=True)
    async with asyncio.timeout(10):
        while True:
            for i in range(base + len(sent), len(link.answers)):
                if link.answers[i][:2] == sentinel[:2]:
                    return link.answers[base:i]
            await asyncio.sleep(0.01)


def fuzz_commands(rng):
    """(bytes) commands: boundary values for every opcode, then random ones."""
    out = []
    for opcode in range(256):
        if opcode == p.REBOOT:
            continue  # answered, then the board really reboots: tested on its own
        for value in EXTREMES:
            for fmt in ("<I", "<B", "<IB", "<III"):
                width = struct.calcsize(fmt)
                payload = value.to_bytes(4, "little") * 3
                out.append(bytes((opcode, len(out) & 0xFF)) + payload[:width])
        if len(out) > 700:
            break
    lengths = [0, 1, 2, 63, 64, 65, 66, 200, 244, 245, 300]
    while len(out) < 1200:
        n = rng.choice(lengths) if rng.random() < 0.3 else rng.randrange(0, 301)
        data = bytearray(rng.randbytes(n))
        if n and data[0] == p.REBOOT:
            data[0] = p.HELLO
        out.append(bytes(data))
    return out


@pytest.fixture
def trace(tmp_path):
    reps = render(plan_reps(3, seed=7))
    csv = tmp_path / "reps.csv"
    write_trace(csv, reps.t_ms, reps.accel_g, reps.gyro_dps)
    return csv


def test_any_command_is_answered_and_the_device_goes_on(trace, tmp_path):
    rng = random.Random(11)
    commands = fuzz_commands(rng)
    files = {"settings.json": json.dumps({"idle_end_s": 30})}
    held = {"trace_held": True}  # the athlete stands still through the fuzz, however long it takes

    async def run():
        async with VirtualDevice(trace, files=files, heap=HEAP, extra=held) as virtual:
            radio = Radio(virtual.scanner_backend, virtual.client_backend, virtual, auto_pair=True)
            device = await find(radio)
            async with await RecordingLink.connect(radio, device, ("event",)) as link:
                await link.command(p.START_SESSION)
                await link.command(p.STOP_SESSION)
                [first] = await list_all(link)
                await link.command(p.READ_SESSION, first.id, 0, 0)  # the fuzz meets a transfer
                sent = []
                base = len(link.answers)
                for i in range(0, len(commands), PIPELINE):
                    batch = commands[i : i + PIPELINE]
                    for data in batch:
                        await link.client.write_gatt_char(p.CONTROL_UUID, data, response=True)
                        sent.append(data)
                    async with asyncio.timeout(10):
                        while len(link.answers) - base < len(sent):
                            await asyncio.sleep(0.01)
                answers = await _answers_before_a_sentinel(link, base, sent)
                await link.hello()
                await link.command(p.STOP_SESSION, timeout=5) if await _in_session(link) else None
                await link.command(p.START_SESSION)
                await link.command(p.STOP_SESSION)
                entries = await list_all(link)
            db = open_db(tmp_path / "calfraise.db")
            result = await Sync(radio, device, db, lambda _d: None, print).run()
            async with await DeviceLink.connect(radio, device, ("rep", "status", "event")) as live:
                await live.command(p.SET_SETTINGS, ("idle_end_s", 30), ("reps_per_set", 12))
                await start_live(live)
                virtual.start_moving()
                feed, events = LiveFeed(), []
                while sum(e["type"] == "rep" for e in events) < 3:
                    events += feed.events(*await live.inbox.get(60))
            return sent, answers, entries, result, events, list(virtual.returncodes)

    sent, answers, entries, result, events, resets = asyncio.run(run())
    assert len(sent) >= 1000 and resets == []
    decoded = [p.decode_response(a) for a in answers]  # every answer is protocol
    statuses = {p.STATUS_NAMES[status] for _op, _seq, status, _v in decoded}
    assert {"busy", "malformed", "unknown_command", "out_of_range"} <= statuses
    assert all(p.fits(a, p.PREFERRED_MTU) for a in answers)
    assert len(answers) == len(sent)  # one answer per write
    assert entries and result.stored
    assert [e["rep"] for e in events if e["type"] == "rep"][:3] == [1, 2, 3]


def test_the_issue_11_command_findings_one_by_one():
    """SET_TIME 0xFFFFFFFF then a session once killed the BLE task; pipelined commands were
    dropped unanswered; a 65-byte write was cut and run; get_settings could outgrow the MTU."""

    async def run():
        async with VirtualDevice(None, heap=HEAP) as virtual:
            radio = Radio(virtual.scanner_backend, virtual.client_backend, virtual, auto_pair=True)
            async with await RecordingLink.connect(radio, await find(radio)) as link:
                out = {}

                async def raw(data):
                    base = len(link.answers)
                    await link.client.write_gatt_char(p.CONTROL_UUID, data, response=True)
                    async with asyncio.timeout(5):
                        while len(link.answers) == base:
                            await asyncio.sleep(0.01)
                    return p.STATUS_NAMES[p.decode_response(link.answers[-1])[2]]

                out["set_time"] = await raw(bytes((p.SET_TIME, 1)) + b"\xff\xff\xff\xff")
                await link.command(p.START_SESSION)
                await link.command(p.STOP_SESSION)
                out["listed"] = len(await list_all(link))
                await link.hello()
                get_all = bytes((p.GET_SETTINGS, 2, *range(len(p.SETTING_NAMES))))
                out["long"] = await raw(get_all + bytes(p.MAX_COMMAND + 1 - len(get_all)))
                out["twice"] = await raw(bytes((p.GET_SETTINGS, 3)) + bytes(60))
                base = len(link.answers)
                for seq in range(10):  # pipelined: the queue holds 4
                    hello = bytes((p.HELLO, 100 + seq, p.VERSION))
                    await link.client.write_gatt_char(p.CONTROL_UUID, hello, response=True)
                async with asyncio.timeout(5):
                    while len(link.answers) < base + 10:
                        await asyncio.sleep(0.01)
                answers = [p.decode_response(a) for a in link.answers[base:]]
                out["pipelined"] = sorted((seq, p.STATUS_NAMES[st]) for _o, seq, st, _v in answers)
            return out, list(virtual.returncodes)

    out, resets = asyncio.run(run())
    assert out["set_time"] == "out_of_range" and out["listed"] == 1
    assert out["long"] == "malformed" and out["twice"] == "malformed"
    assert [seq for seq, _ in out["pipelined"]] == list(range(100, 110))  # each answered once
    assert {status for _, status in out["pipelined"]} <= {"ok", "busy"}
    assert resets == []


def test_a_ble_task_that_stops_making_progress_resets_the_board():
    """The radio never frees a buffer (ENOMEM forever): the server retries without end, its
    heartbeat stops, and the watchdog resets the board instead of leaving BLE dead."""

    async def run():
        async with VirtualDevice(None, heap=HEAP, max_in_flight=0) as virtual:
            radio = Radio(virtual.scanner_backend, virtual.client_backend, virtual, auto_pair=True)
            client = radio.client(await find(radio), lambda _client: None)
            await client.connect()  # and stays connected: the answers wait for the radio
            await client.pair()  # only a bonded host's commands are executed
            await client.start_notify(p.CONTROL_UUID, lambda _char, _data: None)
            hello = p.encode_command(p.HELLO, 1, p.VERSION)
            await client.write_gatt_char(p.CONTROL_UUID, hello, response=True)
            stuck = await virtual.next_event(lambda e: e.get("code") == "watchdog", timeout=30)
            reset = await virtual.next_event("sim.reset", timeout=30)
            await virtual.next_event("boot", timeout=30)  # and it boots again
            return stuck, reset

    stuck, reset = asyncio.run(run())
    assert stuck["message"] == "ble" and reset["cause"] == "watchdog"
