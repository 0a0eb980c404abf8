"""The host's BLE commands end to end over the virtual link: the firmware on the unix port, the
bridge's Bumble peripheral, bleak with the Bumble backend, and calfraise.host's link, live,
sync and capture. One virtual device serves the module, in order: a session recorded live,
then synced (cut several times), synced again, deleted; then a raw capture. The host decoders
are fuzzed with hypothesis: they raise only their documented errors."""

import asyncio
import contextlib
import io
import json
import os
import random
import re
import struct
import time
from array import array
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from calfraise.analyze import detect
from calfraise.cli import main
from calfraise.device.runner import read_flash, run_device
from calfraise.errors import UserError
from calfraise.host import protocol as p
from calfraise.host.capture import RawCapture, capture
from calfraise.host.db import open_db
from calfraise.host.discovery import BATTERY_SERVICE_UUID, battery_level, find, found_from, scan
from calfraise.host.importer import import_session
from calfraise.host.link import (
    Channel,
    CommandError,
    DeviceBusy,
    DeviceLink,
    ProtocolMismatch,
    command_error,
)
from calfraise.host.live import LiveFeed, follow, start_live, status_event
from calfraise.host.live_view import LiveView
from calfraise.host.queries import list_sessions, load_session
from calfraise.host.radio import SIM_LEAD_IN_S, lead_in_trace, virtual_radio
from calfraise.host.sync import Download, Entry, Sync, SyncLinkLost, list_all
from calfraise.sim import plan_reps, render
from calfraise.sim.scenario import build_session_plan
from calfraise.trace import read_trace, write_trace
from calfraise_fw.detector import Rep
from calfraise_fw.settings import DEFAULTS
from host_sessions import session_file, workout
from protocol_strategies import device_events, rep_events, spoiled, status_args, u16

BOARD = "devkitc_mpu6050"  # MPU-6050 at 100 Hz, +-8 g, +-1000 dps: `analyze`'s own scales
RATE_HZ = 100


class Virtual:
    """The module's virtual device: an event loop kept between tests, the Radio on it. The
    replay starts with the fixture and runs ahead fast: the live test must come first."""

    def __init__(self, runner, radio, expected):
        self.runner = runner
        self.radio = radio
        self.expected = expected  # the detector's reps on the trace the device replays

    def run(self, coroutine, timeout=60):
        return self.runner.run(asyncio.wait_for(coroutine, timeout))

    async def link(self, channels=()):
        return await DeviceLink.connect(self.radio, await find(self.radio), channels)


@pytest.fixture(scope="module")
def virtual(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ble")
    trace = render(build_session_plan("clean", 3), rate_hz=RATE_HZ)
    t_ms = np.rint(np.arange(len(trace.t_ms)) * 1000 / RATE_HZ).astype(np.int64)
    csv = tmp / "session.csv"
    write_trace(csv, t_ms, trace.accel_g, trace.gyro_dps)
    replayed = lead_in_trace(csv, tmp / "replayed.csv", SIM_LEAD_IN_S)
    expected = detect(read_trace(replayed), float(RATE_HZ))
    runner = asyncio.Runner()
    stack = contextlib.AsyncExitStack()
    files = {"settings.json": json.dumps({"idle_end_s": 3600})}  # the test ends the session
    radio = virtual_radio(csv, board=BOARD, flash=tmp / "flash.img", files=files)
    radio = runner.run(stack.enter_async_context(radio))
    try:
        yield Virtual(runner, radio, expected)
    finally:
        runner.run(stack.aclose())
        runner.close()


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    conn = open_db(tmp_path_factory.mktemp("db") / "calfraise.db")
    yield conn
    conn.close()


def test_live_reps_equal_the_detector(virtual):
    expected = virtual.expected
    assert len(expected) >= 30 and {r["set"] for r in expected} == {1, 2, 3}

    async def session():
        async with await virtual.link(("rep", "status")) as link:
            assert link.name.startswith(p.NAME_PREFIX) and link.board == BOARD
            targets, status = await start_live(link)
            assert set(targets) == {"reps_per_set", "tempo_up_ms", "tempo_down_ms"}
            assert status["type"] == "status" and "clock_unset" not in status["errors"]
            feed, events = LiveFeed(), []
            while sum(e["type"] == "rep" for e in events) < len(expected):
                events += feed.events(*await link.inbox.get(30))
            busy = []
            for opcode, args in (
                (p.START_SESSION, ()),
                (p.DELETE_SESSION, (1,)),
                (p.RESET_CALIBRATION, ()),  # it would renumber the session's sets
            ):
                with pytest.raises(DeviceBusy) as refused:
                    await link.command(opcode, *args)
                busy.append(str(refused.value))
            await link.command(p.STOP_SESSION)
            while not (events[-1]["type"] == "status" and events[-1]["state"] == "idle"):
                events += feed.events(*await link.inbox.get(10))
            return events, busy, feed

    events, busy, feed = virtual.run(session())
    reps = [e for e in events if e["type"] == "rep"]
    assert reps == [{"type": "rep", **r} for r in expected]
    assert feed.bad == 0 and not [e for e in events if e["type"] == "missed"]
    assert "busy: a session is already running" in busy[0]
    assert "busy: that session is still being recorded" in busy[1]
    assert "busy: a session is under way: end it first" in busy[2]


def test_scan_shows_the_device_with_its_battery(virtual):
    [found] = virtual.run(scan(virtual.radio, 1))
    assert int(found.address[:2], 16) >> 6 == 0b01  # a resolvable private address
    assert re.fullmatch(r"calfraise-[0-9A-F]{4}", found.name)  # from the scan response
    assert 0 <= found.battery_pct <= 100
    with pytest.raises(UserError, match=r"no calfraise device 'nope' found: scanned the virtual"):
        virtual.run(find(virtual.radio, "nope", seconds=0.5))


def test_protocol_mismatch_names_both_versions(virtual, monkeypatch):
    monkeypatch.setattr(DeviceLink, "protocol_version", p.VERSION + 1)
    versions = rf"protocol {p.VERSION} .*calfraise {p.VERSION + 1}"
    with pytest.raises(ProtocolMismatch, match=versions):
        virtual.run(virtual.link())


def test_sync_cut_at_several_points_resumes_and_sets_the_clock(virtual, db):
    # Bytes on the air from each connection's start to its cut: the set-up (GATT discovery of
    # 7 characteristics, hello, set_time, list, read_session) takes ~1.2 KB, a data chunk 251
    # bytes, the file ~1.3 KB. So the link drops in the second chunk, the third, then the first.
    cuts = [1500, 1800, 1200]
    said = []

    def reconnecting(text):
        said.append(text)
        if cuts:
            virtual.radio.device.drop_link_after(cuts.pop(0))

    async def sync():
        device = await find(virtual.radio)
        virtual.radio.device.drop_link_after(cuts.pop(0))
        return await Sync(virtual.radio, device, db, lambda _d: None, reconnecting).run()

    before = time.time()
    result = virtual.run(sync())
    assert not cuts and result.reconnects == 3, said
    at = [int(re.search(r"lost at byte ([\d,]+) of", s)[1].replace(",", "")) for s in said]
    [stored] = result.stored
    session = load_session(db, stored.id)
    assert [(r["set"], r["rep"], r["up_ms"], r["down_ms"]) for r in session["reps"]] == [
        (r["set"], r["rep"], r["up_ms"], r["down_ms"]) for r in virtual.expected
    ]
    assert session["end_reason"] == "ended"
    assert 0 < at[0] < at[1] <= at[2] < session["size"], said  # cut mid-transfer, then resumed
    # live set the clock before the session began: it is dated (the replay runs ahead of it)
    assert before - 3600 < session["start_ms"] / 1000 < before + 3600
    assert result.clock_s >= int(before)


def test_a_second_sync_stores_nothing_and_delete_frees_space(virtual, db):
    async def again():
        device = await find(virtual.radio)
        result = await Sync(virtual.radio, device, db, lambda d: None, print).run()
        async with await virtual.link() as link:
            entries = await list_all(link)
            free = (await link.read_status())["free_bytes"]
            await link.command(p.DELETE_SESSION, entries[0].id)
            with pytest.raises(CommandError, match="has no session"):
                await link.command(p.MARK_SYNCED, entries[0].id)
            return (
                result,
                entries,
                free,
                (await link.read_status())["free_bytes"],
                await list_all(link),
            )

    result, entries, free_before, free_after, left = virtual.run(again())
    assert result.stored == [] and result.already == [] and result.reconnects == 0
    assert len(list_sessions(db)) == 1
    assert [e.synced for e in entries] == [True]
    assert free_after > free_before and left == []


def test_a_sync_lost_before_the_mark_says_what_it_kept_and_the_next_only_marks(virtual, db):
    async def record_empty_session():
        async with await virtual.link() as link:
            await link.command(p.START_SESSION)
            await link.command(p.STOP_SESSION)
            return [e for e in await list_all(link) if not e.synced]

    def cut_before_the_mark(download):
        if len(download.kept) == download.answer[0]:
            virtual.radio.device.drop_link_after(1)  # the next packet: the MARK_SYNCED write

    async def sync(progress, attempts):
        device = await find(virtual.radio)
        return await Sync(virtual.radio, device, db, progress, print, attempts).run()

    [entry] = virtual.run(record_empty_session())
    with pytest.raises(SyncLinkLost, match=rf"Kept: session {entry.id} \(database id \d+\)"):
        virtual.run(sync(cut_before_the_mark, 0))
    result = virtual.run(sync(lambda _d: None, 5))
    assert result.stored == [] and [s.device_session for s in result.already] == [entry.id]
    assert len(list_sessions(db)) == 2


def test_a_different_file_under_a_stored_session_id_is_refused_not_marked(virtual, db):
    """A wiped device reuses session ids: the database's session with the same id but other
    bytes is a conflict the sync names (the rest go on), and the device's session stays
    unsynced."""

    async def record_empty_session():
        async with await virtual.link() as link:
            await link.command(p.START_SESSION)
            await link.command(p.STOP_SESSION)
            return link.device_id, [e for e in await list_all(link) if not e.synced]

    async def sync():
        device = await find(virtual.radio)
        return await Sync(virtual.radio, device, db, lambda _d: None, print).run()

    async def entries():
        async with await virtual.link() as link:
            return await list_all(link)

    device_id, [entry] = virtual.run(record_empty_session())
    other = session_file(entry.id, workout(sets=1, reps_per_set=2))
    stored = import_session(db, device_id, other, session_id=entry.id)
    [(sid, why)] = virtual.run(sync()).unreadable
    assert sid == entry.id and f"session {entry.id} is already stored" in why
    [still] = [e for e in virtual.run(entries()) if e.id == entry.id]
    assert not still.synced
    assert load_session(db, stored.id)["reps"] and len(load_session(db, stored.id)["reps"]) == 2
    # and so on every sync, until the user resolves it
    assert [s for s, _why in virtual.run(sync()).unreadable] == [entry.id]


def test_capture_writes_a_trace_that_analyze_reads(virtual, tmp_path, capsys):
    async def record():
        async with await virtual.link(("raw",)) as link:
            return await capture(link, 2.5)  # real seconds: the replay is over by now

    raw = virtual.run(record())
    assert raw.rate_hz == RATE_HZ and len(raw) > 2 * RATE_HZ and raw.lost == 0 and raw.bad == 0
    out = tmp_path / "capture.csv"
    raw.write(out)
    trace = read_trace(out)
    assert np.allclose(np.linalg.norm(trace.accel_g, axis=1), 1.0, atol=0.05)  # the foot at rest
    assert main(["analyze", str(out), "--json"]) == 0
    assert '"reps": []' in capsys.readouterr().out


def refusals(count=60, seed=11):
    """Control point writes the device must refuse (truncated, unknown, out of range, extra
    bytes, random): (bytes, the status, opcode and seq of the answer parse_command predicts)."""
    rng = random.Random(seed)
    corpus = [b"", b"\x01", b"\xff\x05", b"\x02\x06" + struct.pack("<I", 5), b"\x08\x07abc"]
    corpus += [b"\x06\x08\x09\x00\x00\x00\x00", b"\x04\x09\x00", bytes(70)]
    while len(corpus) < count:
        corpus.append(rng.randbytes(rng.randrange(0, 80)))
    for data in corpus:
        try:
            p.parse_command(data[: p.MAX_COMMAND])  # the control point holds 64 bytes
        except p.ProtocolError as err:
            yield data, err.status, err.opcode, err.seq


def test_the_device_answers_every_bad_command_with_its_error_and_goes_on(virtual):
    async def write_all(link):
        answers = []
        for data, status, opcode, seq in refusals():
            future = asyncio.get_running_loop().create_future()
            link._pending = (opcode, seq, future)
            await link.client.write_gatt_char(p.CONTROL_UUID, data, response=True)
            answers.append((await asyncio.wait_for(future, 5))[2] == status)
        with pytest.raises(CommandError, match="has no session 99"):
            await link.command(p.READ_SESSION, 99, 0, 0)
        await link.hello()  # not stuck
        return answers

    async def run():
        async with await virtual.link() as link:
            return await write_all(link)

    answers = virtual.run(run())
    assert len(answers) > 40 and all(answers)
    assert virtual.radio.device.returncodes == []  # no crash, no reboot


def test_the_cli_runs_sync_on_a_virtual_device_lying_still(tmp_path, capsys):
    argv = ["--sim-flash", str(tmp_path / "f.img"), "--db", str(tmp_path / "d.db"), "sync"]
    assert main(argv) == 0
    assert "Nothing new to sync" in capsys.readouterr().out
    assert main(["--sim-drop-after", "10", "--db", str(tmp_path / "d.db"), "sync"]) == 2
    assert "needs the virtual device" in capsys.readouterr().err


def test_the_cli_resets_the_calibration_on_the_flash(tmp_path, capsys):
    """A stale saved gyro bias (5 deg/s on each axis: the detector never sees stillness) is
    forgotten; whatever the device saves after that is the bias it learned again (~0 here)."""
    flash, csv = tmp_path / "f.img", tmp_path / "still.csv"
    t_ms = np.arange(0, 3000, 10)
    write_trace(csv, t_ms, np.tile([0.0, 0.0, 1.0], (len(t_ms), 1)), np.zeros((len(t_ms), 3)))
    stale = {"gyro_bias_mdps": [5000, -5000, 5000], "reps_per_set": 9}
    run_device(csv, flash=flash, files={"settings.json": json.dumps(stale)}, after_ms=1000)
    assert json.loads(read_flash(flash, "settings.json")) == stale

    assert main(["--sim-flash", str(flash), "reset-calibration"]) == 0
    assert "forgot its gyro bias and rest" in capsys.readouterr().out
    kept = json.loads(read_flash(flash, "settings.json"))
    assert kept["reps_per_set"] == 9  # the other settings stay
    assert all(abs(b) < 200 for b in kept.get("gyro_bias_mdps", ())), kept


def test_the_cli_shows_live_reps_as_json_lines(tmp_path, capsys):
    """--until-end stops at the session's end: a sentinel session follows it in the trace (3
    reps once the default idle end is over), so live would print its events, had it
    gone on. --seconds is only a bound: the run ends well before it, whatever the load."""
    idle_end_s = DEFAULTS["idle_end_s"][0]
    trace = render(plan_reps(3, seed=5, tail_s=idle_end_s + 30) + plan_reps(3, seed=6))
    csv = tmp_path / "reps.csv"
    write_trace(csv, trace.t_ms, trace.accel_g, trace.gyro_dps)
    assert main(["--sim", str(csv), "live", "--json", "--until-end", "--seconds", "300"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    first_rep = next(i for i, e in enumerate(events) if e["type"] == "rep")
    idle = [
        i
        for i, e in enumerate(events)
        if i > first_rep and e["type"] == "status" and e["state"] == "idle"
    ]
    assert idle == [len(events) - 1]  # nothing after the end, not even another status
    assert [e["rep"] for e in events if e["type"] == "rep"] == [1, 2, 3]
    assert events[-1]["type"] == "status" and events[-1]["state"] == "idle"
    first = next(e for e in events if e["type"] == "rep")
    assert set(first) == {"type", *Rep().as_dict()}  # the fields of `device run`'s rep events
    states = [(e["state"], e["reason"]) for e in events if e["type"] == "state"]
    assert states == [("in_session", "rep"), ("idle", "timeout")]
    [set_end] = [e for e in events if e["type"] == "set_end"]
    assert (set_end["set"], set_end["reps"]) == (1, 3)
    assert set(set_end) == {"type", "t_ms", "set", "reps", "start_ms", "end_ms", "target"}


def _cpu_s(pid):
    """CPU seconds (user and system) a process used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_after_its_replay_and_session_the_virtual_device_keeps_real_time(tmp_path, capsys):
    """The replay runs ahead of the clock; once it is over and its session has ended, the
    board keeps real time as an idle one does, instead of spinning a core on a clock that races
    ahead (which also closed a quiet `live` link after 5 simulated minutes: "link lost")."""
    trace = render(plan_reps(2, seed=5))
    csv = tmp_path / "reps.csv"
    write_trace(csv, trace.t_ms, trace.accel_g, trace.gyro_dps)

    async def run():
        async with virtual_radio(csv, lead_in_s=5) as radio:
            device = radio.device
            await device.next_event("sim.replayed", timeout=60)
            await device.next_event(lambda e: e["type"] == "state" and e["state"] == "idle", 60)
            await device.next_event("sim.real_time", timeout=60)  # the firmware heard the bridge
            cpu, started = _cpu_s(device.pid), time.monotonic()
            await asyncio.sleep(4)
            return (_cpu_s(device.pid) - cpu) / (time.monotonic() - started)

    share = asyncio.run(run())
    assert share < 0.15, f"the idle virtual device took {share:.0%} of a core"
    started = time.monotonic()  # a quiet link outlives what 5 fast minutes took (about 8 s)
    assert main(["--sim", str(csv), "live", "--json", "--seconds", "25"]) == 0
    assert time.monotonic() - started >= 25
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["rep"] for e in events if e["type"] == "rep"] == [1, 2]


# --- the live view, without a device ------------------------------------------------------------


def rep_event(set_no, rep_no, up_ms, down_ms, partial=False):
    return {
        "type": "rep",
        **{"start_ms": 1000 * rep_no, "up_ms": up_ms, "hold_ms": 300, "down_ms": down_ms},
        **{"amplitude_deg": 25.0, "set": set_no, "rep": rep_no, "partial": partial},
    }


def status_bytes(state, reps):
    return p.encode_status(state, 1, reps, reps, 80, 100_000, 12.5, 0)


def test_follow_stops_when_the_session_ends():
    async def run():
        link = SimpleNamespace(inbox=Channel())
        link.inbox.put(("status", status_bytes("in_session", 0)))
        for seq in (1, 2, 5):
            rep = {**rep_event(1, seq, 900, 2000), "top_ms": 0, "lower_ms": 0, "end_ms": 0}
            link.inbox.put(("rep", p.encode_rep(seq, rep)))
        link.inbox.put(("status", status_bytes("idle", 3)))
        after = {**rep_event(2, 1, 900, 2000), "top_ms": 0, "lower_ms": 0, "end_ms": 0}
        link.inbox.put(("rep", p.encode_rep(6, after)))  # a sentinel: a good rep after the end
        events = []
        started = time.monotonic()
        await follow(link, events.append, seconds=5, until_end=True)
        return events, time.monotonic() - started

    events, took_s = asyncio.run(run())
    assert [e["type"] for e in events] == ["status", "rep", "rep", "missed", "rep", "status"]
    assert events[3] == {"type": "missed", "reps": 2, "seq": 5}
    assert took_s < 2  # it stopped at the end, not at the 5 s limit


def test_live_view_shows_tempo_against_the_targets_and_set_totals():
    console = Console(record=True, width=120)
    link = SimpleNamespace(name="calfraise-TEST", firmware="0.1.0", board="sim")
    targets = {"reps_per_set": 2, "tempo_up_ms": 1000, "tempo_down_ms": 2000}
    idle = status_event(p.decode_status(status_bytes("idle", 0)))
    with LiveView(console, link, targets, idle) as view:
        for event in (
            rep_event(1, 1, 950, 2100),
            rep_event(1, 2, 400, 2000, partial=True),
            {"type": "set_end", "set": 1, "reps": 2},  # the device ends sets, not the view
            rep_event(2, 1, 1000, 3000),
            rep_event(2, 2, 1600, 1500),
            {"type": "missed", "reps": 2, "seq": 9},
            {"type": "set_end", "set": 2, "reps": 4},  # its count: the missed reps too
            status_event(p.decode_status(status_bytes("idle", 3))),
        ):
            view.on_event(event)
    text = console.export_text()
    assert "Session started" in text and "Session ended: 3 reps" in text
    assert "set 1 rep  1  up 0.95/1.0 s" in text and "down 2.10/2.0 s" in text
    assert "up 0.40/1.0 s fast" in text and "partial" in text
    assert "down 3.00/2.0 s     " in text  # lowering slower than the target: on target
    assert "up 1.60/1.0 s slow" in text and "down 1.50/2.0 s fast" in text
    assert "Set 1: 2 reps (1 partial), mean up 0.68 s, down 2.05 s, target 2 reached" in text
    assert "Set 2: 4 reps, mean up 1.30 s" in text
    assert "2 reps missed live" in text and "4 reps seen live" in text


def test_live_view_status_bar_is_never_an_event_behind():
    """On a terminal every line printed redraws the status bar below it: every bar drawn while
    an event is shown already counts it (a rep's line is never followed by the count before
    it), and says "in session" once the session started."""
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=200, color_system=None)
    link = SimpleNamespace(name="calfraise-TEST", firmware="0.1.0", board="sim")
    idle = status_event(p.decode_status(status_bytes("idle", 0)))
    events = (
        (rep_event(1, 1, 1000, 2000), "in session", 1),  # before the status saying so
        (status_event(p.decode_status(status_bytes("in_session", 1))), "in session", 1),
        (rep_event(1, 2, 1000, 2000), "in session", 2),
        (rep_event(1, 3, 1000, 2000, partial=True), "in session", 3),
        ({"type": "set_end", "set": 1, "reps": 3}, "in session", 3),
        (rep_event(2, 1, 1000, 2000), "in session", 4),
        (status_event(p.decode_status(status_bytes("idle", 4))), "idle", 4),
    )
    with LiveView(console, link, {"reps_per_set": 3}, idle) as view:
        for event, state, reps in events:
            drawn = out.tell()
            view.on_event(event)
            shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.getvalue()[drawn:])
            bars = re.findall(r"● (idle|in session) · (\d+) reps live", shown)
            assert bars and set(bars) == {(state, str(reps))}, (event, shown)
    assert "set 1 rep  3" in out.getvalue() and "4 reps seen live" in out.getvalue()


def test_live_view_says_when_the_flash_filled_up():
    console = Console(record=True, width=120)
    link = SimpleNamespace(name="calfraise-TEST", firmware="0.1.0", board="sim")
    idle = status_event(p.decode_status(status_bytes("idle", 0)))
    full = {"type": "storage_full", "t_ms": 90_000, "set": 3, "reps": 31}
    with LiveView(console, link, {"reps_per_set": 12}, idle) as view:
        view.on_event(p.decode_event(p.encode_event(full)))  # as the device notifies it
        errors = p.decode_status(
            p.encode_status("in_session", 3, 7, 31, 80, 0, 0.0, p.E_STORAGE_FULL)
        )
        view.on_event(status_event(errors))
    text = console.export_text()
    assert "flash is full (at rep 31): reps are still counted" in text
    assert "device errors: storage_full" in text


# --- the host's decoders, fuzzed ----------------------------------------------------------------

some_bytes = st.binary(max_size=300)


# (kind, bytes, the event it must decode to); made valid by construction, then some are spoiled
good_notifications = st.one_of(
    st.tuples(u16, rep_events).map(lambda sr: ("rep", p.encode_rep(*sr), sr[1])),
    device_events.map(lambda e: ("event", p.encode_event(e), e)),
    status_args.map(lambda s: ("status", p.encode_status(*s), s)),
)


@st.composite
def notifications(draw):
    """Mostly good notifications of every kind the live feed reads, some cut or extended, and
    some random bytes under any kind (raw and data notifications are not the feed's)."""
    kind, data, want = draw(good_notifications)
    how = draw(st.sampled_from(["good", "good", "good", "cut", "longer", "random"]))
    if how == "cut":
        return kind, data[: draw(st.integers(0, len(data) - 1))], None
    if how == "longer":
        return kind, data + draw(st.binary(min_size=1, max_size=4)), None
    if how == "random":
        return (
            draw(st.sampled_from(["rep", "status", "event", "data", "raw"])),
            draw(some_bytes),
            None,
        )
    return kind, data, want


def test_live_feed_decodes_what_is_good_and_skips_the_rest():
    outcomes = {"good": 0, "skipped": 0}

    @settings(max_examples=400, deadline=None)
    @given(notifications())
    def feed_one(notification):
        kind, data, want = notification
        feed = LiveFeed()
        feed.last_seq = 7
        events = feed.events(kind, data)
        if want is None:
            assert all(e["type"] in ("rep", "status", "missed", *p.EVENT_KINDS) for e in events)
            outcomes["skipped"] += not events
            return
        outcomes["good"] += 1
        got = events[-1]
        if kind == "rep":
            assert got["start_ms"] == want["start_ms"] and got["set"] == want["set"]
            assert (
                got["end_ms"]
                == want["start_ms"] + want["up_ms"] + want["hold_ms"] + (want["down_ms"])
            )
            assert got["partial"] == want["partial"] and feed.last_seq == p.decode_rep(data)[0]
        elif kind == "event":
            assert got == want
        else:
            assert got["type"] == "status" and got["state"] == want[0]
        assert feed.bad == 0

    feed_one()
    total = outcomes["good"] + outcomes["skipped"]
    assert outcomes["good"] >= 0.3 * total and outcomes["skipped"] >= 0.1 * total, outcomes


@st.composite
def file_chunks(draw):
    """(bytes kept so far, a data notification): the next chunk, an old or later one, or spoiled."""
    kept = draw(st.integers(0, 500))
    offset = draw(st.sampled_from([kept, kept, kept, max(0, kept - 40), kept + 40]))
    body = draw(st.binary(min_size=1, max_size=240))
    buf = bytearray(4 + len(body))
    buf[4:] = body
    return kept, draw(spoiled(st.just(bytes(p.pack_chunk(buf, offset, len(body))))))


def test_download_keeps_the_next_bytes_and_refuses_only_with_protocol_errors():
    outcomes = {"kept": 0, "gap": 0, "refused": 0}

    @settings(max_examples=400, deadline=None)
    @given(file_chunks())
    def add_one(chunk):
        kept, data = chunk
        download = Download(Entry(1, None, 500, 0, 0, False, False))
        download.answer = (500, 0)
        download.kept += bytes(kept)
        try:
            in_order = download.add(data)
        except p.ProtocolError:
            outcomes["refused"] += 1
            return
        offset, payload = p.decode_chunk(data)
        assert in_order == (offset <= kept)
        if offset == kept:
            assert download.kept == bytes(kept) + payload[: 500 - kept]  # never beyond the file
            outcomes["kept"] += len(payload[: 500 - kept]) > 0
        else:
            assert len(download.kept) == kept
            outcomes["gap"] += offset > kept

    add_one()
    assert outcomes["kept"] >= 100 and outcomes["gap"] >= 20, outcomes


@st.composite
def raw_batches(draw):
    """Raw notifications as the device packs them, some lost, repeated, reordered or spoiled."""
    batches, first = [], draw(st.integers(0, 1000))
    for _ in range(draw(st.integers(1, 6))):
        n = draw(st.integers(1, 19))
        samples = draw(st.lists(st.integers(-32768, 32767), min_size=6 * n, max_size=6 * n))
        buf = bytearray(4 + 12 * n)
        p.pack_raw(buf, first, array("h", samples), n)
        batches.append(bytes(buf))
        first += n + draw(st.sampled_from([0, 0, 0, 1, 5]))  # now and then samples are lost
    how = draw(st.sampled_from(["as sent", "as sent", "repeated", "spoiled"]))
    if how == "repeated":
        batches.insert(draw(st.integers(1, len(batches))), batches[0])
    elif how == "spoiled" and len(batches) > 1:
        at = draw(st.integers(1, len(batches) - 1))  # the first stays: the capture has a start
        batches[at] = batches[at][: draw(st.integers(0, len(batches[at]) - 1))]
    return batches


def test_raw_capture_keeps_what_it_can_use_in_order():
    kept = []

    @settings(max_examples=300, deadline=None)
    @given(raw_batches())
    def capture_some(batches):
        raw = RawCapture(100, 4096.0, 32.8)
        for data in batches:
            raw.add(data)
        assert len(raw.index) == len(raw.counts) and raw.index == sorted(set(raw.index))
        good = [b for b in batches if (len(b) - 4) % 12 == 0 and len(b) > 4]
        first, samples = p.decode_raw(good[0])
        assert raw.index[0] == first and raw.counts[0] == samples[0]
        assert raw.lost == raw.index[-1] + 1 - len(raw.index)  # counted from sample 0
        kept.append(len(raw))

    capture_some()
    assert sum(k > 0 for k in kept) == len(kept)  # every capture kept samples


@settings(max_examples=200, deadline=None)
@given(scales=st.tuples(st.integers(-5, 2000), st.floats(), st.floats()))
def test_raw_scales_are_checked(scales):
    try:
        raw = RawCapture(*scales)
    except UserError:
        return
    assert raw.rate_hz > 0 and raw.accel_lsb > 0 and raw.gyro_lsb > 0


@settings(max_examples=200, deadline=None)
@given(data=st.dictionaries(st.sampled_from([BATTERY_SERVICE_UUID, "x"]), some_bytes))
def test_battery_from_service_data(data):
    level = battery_level(data)
    assert level is None or 0 <= level <= 100


@settings(max_examples=300, deadline=None)
@given(data=some_bytes, pending=st.booleans())
def test_control_responses_never_break_the_link(data, pending):
    async def feed():
        link = DeviceLink(client=None, name="calfraise-TEST")
        future = asyncio.get_running_loop().create_future()
        if pending:
            link._pending = (data[0] if data else 0, data[1] if len(data) > 1 else 0, future)
        link._on_control(None, data)
        if future.done() and future.exception() is not None:
            assert isinstance(future.exception(), UserError)

    asyncio.run(feed())


@given(opcode=st.integers(0, 255), status=st.integers(1, 255), mtu=st.integers(23, 517))
def test_every_refusal_is_a_user_error(opcode, status, mtu):
    error = command_error(opcode, status, (3,) if opcode % 2 else (), "calfraise-TEST", mtu)
    assert isinstance(error, CommandError) and "calfraise-TEST refused" in str(error)


def test_an_advertisement_of_another_device_is_not_ours():
    class Adv:
        local_name, service_uuids, service_data, rssi = "fitbit", [], {}, -40

    class Dev:
        name, address = None, "AA:BB"

    assert found_from(Dev(), Adv()) is None


def test_channel_get_times_out_and_reports_a_lost_link():
    async def use():
        channel = Channel()
        with pytest.raises(TimeoutError):
            await channel.get(0.01)
        channel.put(("rep", b"x"))
        channel.close(UserError("gone"))
        assert await channel.get(0.01) == ("rep", b"x")
        with pytest.raises(UserError, match="gone"):
            await channel.get(0.01)

    asyncio.run(use())
