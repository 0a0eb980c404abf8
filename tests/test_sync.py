"""`calfraise sync` against a scripted device, in-process and fast: every path of the download
(paging, resume after a lost link, CRC retries, a lost chunk, a file that changed, a stalled
device, a stale size, a conflicting file) with the bytes checked in the database.

The device here is a fake bleak client that speaks the real protocol module (parse_command,
encode_response, pack_chunk), so the host's DeviceLink and Sync run unchanged. The virtual
device over Bumble (test_host_ble.py) proves the same against the real firmware; this file is
what mutation testing runs for sync.py (tools/mutate.py).
"""

import asyncio
from binascii import crc32
from types import SimpleNamespace

import pytest

from calfraise.errors import UserError
from calfraise.host import sync as sync_module
from calfraise.host.db import open_db
from calfraise.host.importer import import_session
from calfraise.host.link import SERIAL_NUMBER_UUID, ConnectFailed, DeviceLink
from calfraise.host.queries import list_sessions, load_session
from calfraise.host.sync import Sync, SyncLinkLost, list_all
from calfraise_fw import protocol as p
from host_sessions import session_file, workout

SERIAL = "24a160c0ffee"
MTU = 100  # small chunks: a session file takes several


class FakeDevice:
    """Session files and their flags, as the board's store keeps them, plus faults to inject."""

    def __init__(self, files, page=2):
        self.files = {sid: bytearray(data) for sid, data in files.items()}
        self.synced = set()
        self.open = set()
        self.page = page  # entries per LIST_SESSIONS answer
        self.clock_s = None
        self.reads = []  # (id, offset) of every READ_SESSION
        self.sent = 0  # data bytes notified, over all connections
        self.drop_at = []  # cut the link when `sent` reaches each of these
        self.corrupt = {}  # id -> how many more transfers of it get one byte flipped
        self.skip_chunk = set()  # offsets of chunks lost on the air, once each
        self.stall = set()  # ids whose transfers send nothing, ever
        self.script = {}  # id -> chunks each READ_SESSION of it sends (None: all), in turn
        self.drop_on = {}  # opcode -> how many more times it cuts the link instead of answering
        self.refuse = 0  # connections refused before one is accepted
        self.commands = []  # opcode of every command received
        self.change_after_read = {}  # id -> bytes the file becomes after its first READ
        self.connections = 0


class FakeClient:
    """A bleak client whose peer is a FakeDevice; notifications are delivered on the loop."""

    def __init__(self, device, on_disconnect):
        self.device = device
        self.on_disconnect = on_disconnect
        self.handlers = {}
        self.is_connected = False
        self.mtu_size = MTU
        self.cut_after = False

    async def connect(self):
        self.device.connections += 1
        if self.device.refuse:
            self.device.refuse -= 1
            raise OSError("out of range")
        self.is_connected = True

    async def disconnect(self):
        self.is_connected = False

    async def start_notify(self, uuid, handler):
        self.handlers[uuid] = handler

    async def read_gatt_char(self, uuid):
        assert uuid == SERIAL_NUMBER_UUID
        return SERIAL.encode()

    async def write_gatt_char(self, uuid, data, response=True):
        assert uuid == p.CONTROL_UUID and response
        opcode, seq, args = p.parse_command(bytes(data))
        self.device.commands.append(opcode)
        if self.device.drop_on.get(opcode):
            self.device.drop_on[opcode] -= 1
            self.is_connected = False
            asyncio.get_running_loop().call_soon(self.on_disconnect, self)
            return
        self.cut_after = False
        status, values, chunks = self.answer(opcode, args)
        self.notify(p.CONTROL_UUID, p.encode_response(opcode, seq, status, *values))
        for chunk in chunks:
            self.notify(p.DATA_UUID, chunk)
        if self.cut_after:  # what was on the air arrives, then the link drops
            self.is_connected = False
            asyncio.get_running_loop().call_soon(self.on_disconnect, self)

    def notify(self, uuid, data):
        asyncio.get_running_loop().call_soon(self.handlers[uuid], None, bytearray(data))

    def answer(self, opcode, args):
        """(status, values, data chunks) the device sends for a command."""
        d = self.device
        if opcode == p.HELLO:
            return p.OK, (p.VERSION, "0.1.0", "sim"), []
        if opcode == p.SET_TIME:
            d.clock_s = args[0]
            return p.OK, (), []
        if opcode == p.LIST_SESSIONS:
            after, max_count = args
            room = min(d.page, max_count) if max_count else d.page
            ids = sorted(sid for sid in d.files if sid > after)
            page = [
                (sid, None, len(d.files[sid]), 0, 0, sid in d.synced, sid in d.open)
                for sid in ids[:room]
            ]
            return p.OK, (len(ids) > room, page), []
        if opcode in (p.MARK_SYNCED, p.READ_SESSION) and args[0] not in d.files:
            return p.NO_SUCH_SESSION, (), []
        if opcode == p.MARK_SYNCED:
            d.synced.add(args[0])
            return p.OK, (), []
        if opcode == p.READ_SESSION:
            return self.read(*args)
        raise AssertionError(f"sync sent {p.COMMAND_NAMES[opcode]}")

    def read(self, sid, offset, max_bytes):
        d = self.device
        d.reads.append((sid, offset))
        data = bytes(d.files[sid])
        if offset > len(data):
            return p.OUT_OF_RANGE, (), []
        end = len(data) if max_bytes == 0 else min(len(data), offset + max_bytes)
        script = d.script.get(sid)
        budget = script.pop(0) if script else None
        if sid in d.change_after_read:
            d.files[sid] = bytearray(d.change_after_read.pop(sid))
        sent = bytearray(data)
        if d.corrupt.get(sid):
            d.corrupt[sid] -= 1
            sent[len(sent) // 2] ^= 0xFF
        chunks = []
        size = p.chunk_size(MTU)
        for at in range(offset, end, size):
            if sid in d.stall or budget == 0:
                break
            if budget is not None:
                budget -= 1
            if d.drop_at and d.sent >= d.drop_at[0]:
                d.drop_at.pop(0)
                self.cut_after = True
                break
            n = min(size, end - at)
            d.sent += n
            if at in d.skip_chunk:
                d.skip_chunk.discard(at)
                continue
            buf = bytearray(4 + n)
            buf[4:] = sent[at : at + n]
            chunks.append(bytes(p.pack_chunk(buf, at, n)))
        return p.OK, (len(data), crc32(data), 0), chunks


class FakeRadio:
    def __init__(self, device):
        self.device = device

    def client(self, _ble_device, on_disconnect):
        return FakeClient(self.device, on_disconnect)


FILES = {
    1: session_file(1, workout(sets=2, reps_per_set=3)),
    2: session_file(2, workout(sets=1, reps_per_set=4)),
    3: session_file(3, []),
    4: session_file(4, workout(sets=3, reps_per_set=2)),
}


@pytest.fixture
def db(tmp_path):
    conn = open_db(tmp_path / "calfraise.db")
    yield conn
    conn.close()


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setattr(sync_module, "RECONNECT_PAUSE_S", 0)
    monkeypatch.setattr(sync_module, "CHUNK_TIMEOUT_S", 0.05)


def run_sync(device, db, attempts=5):
    said = []
    blex = SimpleNamespace(name=f"{p.NAME_PREFIX}TEST", address="AA:BB")
    result = asyncio.run(
        Sync(FakeRadio(device), blex, db, lambda _d: None, said.append, attempts).run()
    )
    return result, said


def stored_bytes(db):
    """{device session id: crc32} of what the database holds."""
    return {s["device_session"]: load_session(db, s["id"])["crc32"] for s in list_sessions(db)}


def crcs(*sids):
    return {sid: crc32(FILES[sid]) for sid in sids}


def test_sync_stores_every_finished_session_once_and_marks_it(db):
    device = FakeDevice(FILES)
    device.open.add(4)
    result, said = run_sync(device, db)
    assert [s.device_session for s in result.stored] == [1, 2, 3] and result.already == []
    assert [(s.sets, s.reps) for s in result.stored] == [(2, 6), (1, 4), (0, 0)]
    assert result.recording == [4] and device.synced == {1, 2, 3}
    assert stored_bytes(db) == crcs(1, 2, 3)
    assert result.device == SERIAL and result.reconnects == 0 and said == []
    assert device.clock_s == result.clock_s and device.connections == 1
    assert device.reads == [(1, 0), (2, 0), (3, 0)]  # each file once, no re-request
    assert device.commands.count(p.LIST_SESSIONS) == 2  # 4 sessions, 2 a page
    again, _ = run_sync(device, db)
    assert again.stored == [] and again.already == [] and again.recording == [4]


def test_list_all_follows_the_pages(db):
    async def listed(page):
        link = await DeviceLink.connect(
            FakeRadio(FakeDevice(FILES, page)), SimpleNamespace(name="x", address="x")
        )
        return [e.id for e in await list_all(link)]

    for page in (1, 2, 3, 4, 10):
        assert asyncio.run(listed(page)) == [1, 2, 3, 4]


def test_a_session_stored_already_is_only_marked(db):
    import_session(db, SERIAL, FILES[2], session_id=2)
    device = FakeDevice(FILES)
    result, _ = run_sync(device, db)
    assert [s.device_session for s in result.stored] == [1, 3, 4]
    assert [(s.device_session, s.reps, s.new) for s in result.already] == [(2, 4, False)]
    assert (2, len(FILES[2])) in device.reads and (2, 0) not in device.reads  # not downloaded
    assert device.synced == {1, 2, 3, 4} and stored_bytes(db) == crcs(1, 2, 3, 4)


def test_a_different_file_under_a_stored_id_is_left_unmarked_and_the_rest_synced(db):
    other = session_file(2, workout(sets=1, reps_per_set=2))  # a wiped device reused id 2
    import_session(db, SERIAL, other, session_id=2)
    device = FakeDevice(FILES)
    result, _ = run_sync(device, db)
    [(sid, why)] = result.unreadable
    assert sid == 2 and "session 2 is already stored" in why
    assert device.synced == {1, 3, 4} and [s.device_session for s in result.stored] == [1, 3, 4]
    assert stored_bytes(db)[2] == crc32(other)  # the stored one is kept as it was


def test_a_lost_link_resumes_from_the_first_missing_byte(db):
    device = FakeDevice(FILES)
    total = sum(len(f) for f in FILES.values())
    before_4 = total - len(FILES[4])
    device.drop_at = [150, 400, before_4 + 1]  # the last: after session 4's first chunk
    result, said = run_sync(device, db)
    assert result.reconnects == 3 and device.connections == 4
    assert stored_bytes(db) == crcs(1, 2, 3, 4) and device.synced == {1, 2, 3, 4}
    assert said[0].startswith("link lost at byte ") and "reconnecting (1 of 5)" in said[0]
    resumed = [off for sid, off in device.reads if off not in (0, len(FILES[sid]))]
    assert resumed and all(off % p.chunk_size(MTU) == 0 for off in resumed)
    assert device.sent == total  # no byte sent twice


def test_too_many_lost_links_say_what_was_kept(db):
    device = FakeDevice(FILES)
    device.drop_at = [len(FILES[1]) + 10 + 5 * k for k in range(8)]
    with pytest.raises(SyncLinkLost) as lost:
        run_sync(device, db, attempts=2)
    text = str(lost.value)
    assert "lost 3 times" in text and "Kept: session 1 (database id 1)" in text
    assert "session 2: " in text and "bytes received, not stored" in text
    assert stored_bytes(db) == crcs(1) and device.synced == {1}


def test_a_crc_mismatch_downloads_again(db):
    device = FakeDevice(FILES)
    device.corrupt = {1: sync_module.CRC_RETRIES}
    result, said = run_sync(device, db)
    assert said == ["session 1: CRC mismatch, downloading it again"] * sync_module.CRC_RETRIES
    assert stored_bytes(db) == crcs(1, 2, 3, 4)


def test_a_crc_that_keeps_failing_stores_nothing_of_that_session(db):
    device = FakeDevice(FILES)
    device.corrupt = {2: sync_module.CRC_RETRIES + 1}
    with pytest.raises(UserError, match=r"session 2 .* failed its CRC check 3 times: nothing"):
        run_sync(device, db)
    assert stored_bytes(db) == crcs(1) and device.synced == {1}


def test_a_chunk_lost_on_the_air_is_asked_for_again(db):
    device = FakeDevice(FILES)
    size = p.chunk_size(MTU)
    device.skip_chunk = {size, 2 * size}
    result, _ = run_sync(device, db)
    assert stored_bytes(db) == crcs(1, 2, 3, 4)
    assert device.reads[:3] == [(1, 0), (1, size), (2, 0)]  # again from the first missing byte


def test_a_file_that_changed_on_the_device_is_downloaded_again(db):
    device = FakeDevice(FILES)
    device.files[1] = bytearray(FILES[1][:-5])  # a session the device was still writing
    device.change_after_read = {1: FILES[1]}  # ... grows after the first READ_SESSION
    device.skip_chunk = {p.chunk_size(MTU)}  # a gap: the host asks again and sees the change
    result, said = run_sync(device, db)
    assert "session 1 changed on the device: downloading it again" in said
    assert stored_bytes(db) == crcs(1, 2, 3, 4)
    size = p.chunk_size(MTU)
    assert device.reads[:4] == [(1, 0), (1, size), (1, 0), (2, 0)]


def test_a_device_that_stops_sending_ends_the_sync_with_nothing_half_stored(db):
    device = FakeDevice(FILES)
    device.stall = {2}
    with pytest.raises(UserError, match="stopped sending session 2 at byte 0: nothing of it"):
        run_sync(device, db)
    assert stored_bytes(db) == crcs(1) and device.synced == {1}
    assert [r for r in device.reads if r[0] == 2] == [(2, 0)] * sync_module.STALLS


def test_pauses_shorter_than_the_stall_limit_are_waited_out(db):
    device = FakeDevice(FILES)
    # session 2: two silent answers, one chunk then a pause, a silent answer, then the rest
    device.script = {2: [0, 0, 1, 0, None]}
    result, _ = run_sync(device, db)
    assert stored_bytes(db) == crcs(1, 2, 3, 4)
    assert [r for r in device.reads if r[0] == 2] == [(2, 0)] * 3 + [(2, p.chunk_size(MTU))] * 2


def test_a_chunk_beyond_the_file_is_cut_at_its_end(db):
    device = FakeDevice(FILES)
    real = FakeClient.read

    def padded(self, sid, offset, max_bytes):
        status, values, chunks = real(self, sid, offset, max_bytes)
        return status, values, [*chunks[:-1], chunks[-1] + b"junk"] if chunks else chunks

    FakeClient.read = padded
    try:
        run_sync(device, db)
    finally:
        FakeClient.read = real
    assert stored_bytes(db) == crcs(1, 2, 3, 4)


def test_the_first_connection_failing_ends_the_sync_at_once(db):
    device = FakeDevice(FILES)
    device.refuse = 1
    with pytest.raises(ConnectFailed, match="out of range"):
        run_sync(device, db)
    assert device.connections == 1


def test_a_link_lost_before_any_download_says_so_plainly(db):
    device = FakeDevice(FILES)
    device.drop_on = {p.LIST_SESSIONS: 1}
    result, said = run_sync(device, db)
    assert said == ["link lost; reconnecting (1 of 5)"] and stored_bytes(db) == crcs(1, 2, 3, 4)
    device = FakeDevice(FILES)
    device.drop_on = {p.LIST_SESSIONS: 3}
    with pytest.raises(SyncLinkLost) as lost:
        run_sync(device, db, attempts=2)
    assert str(lost.value).endswith(
        "Kept: nothing new. Run `calfraise sync` again to fetch the rest."
    )


def test_a_session_stored_before_its_mark_was_lost_is_only_marked_after_reconnecting(db):
    device = FakeDevice(FILES)
    device.drop_on = {p.MARK_SYNCED: 1}
    result, said = run_sync(device, db)
    assert [s.device_session for s in result.stored] == [1, 2, 3, 4] and result.already == []
    assert [r for r in device.reads if r[0] == 1] == [(1, 0)]  # not read again, only marked
    assert device.synced == {1, 2, 3, 4} and result.reconnects == 1


def test_a_stale_listed_size_is_downloaded_and_judged_by_the_importer(db):
    import_session(db, SERIAL, FILES[3], session_id=3)
    device = FakeDevice(FILES)
    real = FakeClient.answer

    def shorter_list(self, opcode, args):
        status, values, chunks = real(self, opcode, args)
        if opcode == p.LIST_SESSIONS:
            more, page = values
            page = [(e[0], e[1], e[2] + 7 if e[0] == 3 else e[2], *e[3:]) for e in page]
            values = (more, page)
        return status, values, chunks

    FakeClient.answer = shorter_list
    try:
        result, _ = run_sync(device, db)
    finally:
        FakeClient.answer = real
    assert [s.device_session for s in result.already] == [3]
    assert (3, 0) in device.reads and device.synced == {1, 2, 3, 4}
