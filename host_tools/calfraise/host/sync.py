"""`calfraise sync`: every finished session the device has not handed over yet, downloaded,
verified, stored in the database, then marked synced on the device (docs/protocol.md, Flows).

A dropped link costs nothing already received: the sync reconnects and asks for the rest from
the first missing byte, up to `attempts` times. A session already in the database with the same
CRC is only marked, so running sync twice stores nothing twice. A file the importer refuses
(no good record, or a conflict) is left on the device, unmarked, and the sync goes on.
"""

import asyncio
from binascii import crc32
from collections import namedtuple
from dataclasses import dataclass, field

from calfraise.errors import UserError
from calfraise.host import protocol as p
from calfraise.host.importer import CorruptSession, Imported, SessionConflict, import_session
from calfraise.host.link import (
    CommandError,
    ConnectFailed,
    DeviceLink,
    LinkLost,
    NotPaired,
    set_clock,
)
from calfraise.host.plan import send_plan

ATTEMPTS = 5  # reconnects after a lost link, per sync
CHUNK_TIMEOUT_S = 5.0  # no data this long: ask again from the first missing byte
CRC_RETRIES = 2  # downloads of one session whose CRC did not match, before giving up
STALLS = 3  # CHUNK_TIMEOUT_S waits in a row without a byte, before giving up
RECONNECT_PAUSE_S = 0.5

Entry = namedtuple("Entry", p.SESSION_FIELDS)


@dataclass(frozen=True)
class StoredSession(Imported):
    """A session the database already held: import_session's answer, and its CRC-32."""

    crc32: int = 0


class SyncLinkLost(LinkLost):
    """The link dropped more often than the sync may reconnect; the message says what was kept."""


@dataclass
class SyncResult:
    device: str = ""  # the device's serial number: its id in the database
    name: str = ""
    clock_s: int | None = None  # the time the device was given
    stored: list = field(default_factory=list)  # importer.Imported of each new session
    already: list = field(default_factory=list)  # importer.Imported already stored: marked
    recording: list = field(default_factory=list)  # ids still being recorded: left for later
    unreadable: list = field(default_factory=list)  # (id, why) of files not stored: left there
    plan_sent: dict | None = None  # the settings the plan changed on the device
    reconnects: int = 0


async def list_all(link):
    """Every session on the device (LIST_SESSIONS page by page), as Entry tuples."""
    entries = []
    after = 0
    while True:
        more, page = await link.command(p.LIST_SESSIONS, after, 0)
        entries += [Entry(*e) for e in page]
        if not more or not page:
            return entries
        after = page[-1][0]


def stored_session(db, device_id, session_id):
    """The Imported of (device, session) if the database holds it (new=False), else None."""
    row = db.execute(
        "SELECT s.id, s.crc32, (SELECT count(*) FROM sets WHERE session = s.id) AS sets, "
        "(SELECT count(*) FROM reps WHERE session = s.id) AS reps, s.skipped "
        "FROM sessions s JOIN devices d ON d.id = s.device "
        "WHERE d.device_id = ? AND s.device_session = ?",
        (device_id, session_id),
    ).fetchone()
    if row is None:
        return None
    fields = (row["id"], False, device_id, session_id, row["sets"], row["reps"], row["skipped"])
    return StoredSession(*fields, crc32=row["crc32"])


class Download:
    """One session's bytes so far, kept across reconnects."""

    def __init__(self, entry):
        self.entry = entry
        self.kept = bytearray()
        self.answer = None  # (size, crc) of the first READ_SESSION answer
        self.crc_failures = 0
        self.stalls = 0  # timeouts in a row with no data

    def add(self, data):
        """Keeps a data notification's bytes if they are the next ones; False if the chunk
        shows a gap (ask again from the first missing byte). Raises ProtocolError."""
        offset, payload = p.decode_chunk(data)
        if offset == len(self.kept):
            self.kept += payload[: self.answer[0] - offset]
        return offset <= len(self.kept)

    def restart(self):
        self.kept.clear()
        self.answer = None


class Sync:
    """The state of one `calfraise sync`, which survives reconnects. progress(download) is
    called as bytes arrive; say(text) tells the person about reconnects."""

    def __init__(self, radio, device, db, progress, say, attempts=ATTEMPTS, plan=None):
        self.radio = radio
        self.plan = plan  # calfraise.host.plan.Plan to bring the device in line with
        self.device = device
        self.db = db
        self.progress = progress
        self.say = say
        self.attempts = attempts
        self.result = SyncResult()
        self.todo = None  # the entries left to sync, once listed
        self.current = None  # the Download under way

    async def run(self):
        link = None
        try:
            while True:
                try:
                    if link is None:
                        link = await self._connect()
                    await self._work(link)
                    return self.result
                except LinkLost:
                    if link is not None:
                        await link.close()
                    link = None
                    await self._lost()
        finally:
            if link is not None:
                await link.close()

    async def _connect(self):
        try:
            return await DeviceLink.connect(self.radio, self.device, ("data",))
        except ConnectFailed as err:
            if not self.result.reconnects or isinstance(err, NotPaired):
                raise  # the first connection (nothing to resume), or retrying cannot help
            raise LinkLost(str(err)) from None

    async def _lost(self):
        """After a lost link (or a failed reconnect): wait, then let run() connect again."""
        self.result.reconnects += 1
        if self.result.reconnects > self.attempts:
            raise SyncLinkLost(self.kept_message())
        where = ""
        if self.current is not None and self.current.answer is not None:
            where = (
                f" at byte {len(self.current.kept):,} of {self.current.answer[0]:,} of session "
                f"{self.current.entry.id}"
            )
        self.say(f"link lost{where}; reconnecting ({self.result.reconnects} of {self.attempts})")
        await asyncio.sleep(RECONNECT_PAUSE_S)

    async def _work(self, link):
        result = self.result
        result.device, result.name = link.device_id, link.name
        if result.clock_s is None:
            result.clock_s = await set_clock(link)
        if self.plan is not None and result.plan_sent is None:
            result.plan_sent = await send_plan(link, self.plan)
        if self.todo is None:
            entries = await list_all(link)
            result.recording = [e.id for e in entries if e.open]
            self.todo = [e for e in entries if not e.synced and not e.open]
        while self.todo:
            entry = self.todo[0]
            if not await self._stored_already(link, entry):
                data = await self._download(link, entry)
                self.current = None
                try:
                    imported = import_session(self.db, link.device_id, data, session_id=entry.id)
                except (CorruptSession, SessionConflict) as err:
                    result.unreadable.append((entry.id, str(err)))  # not marked: kept there
                    self.todo.pop(0)
                    continue
                (result.stored if imported.new else result.already).append(imported)
            await link.command(p.MARK_SYNCED, entry.id)
            self.todo.pop(0)

    async def _stored_already(self, link, entry):
        """True if the database holds this very file (same CRC): then it is only marked."""
        done = self.result.stored + self.result.already
        if any(s.device_session == entry.id for s in done):
            return True  # stored in this sync; the link dropped before the mark
        stored = stored_session(self.db, link.device_id, entry.id)
        if stored is None:
            return False
        try:
            _size, device_crc, _count = await link.command(p.READ_SESSION, entry.id, entry.size, 0)
        except CommandError as err:
            if err.status != p.OUT_OF_RANGE:
                raise
            return False  # the listed size was stale: download it and let the importer judge
        if device_crc != stored.crc32:
            return False
        self.result.already.append(stored)
        return True

    async def _download(self, link, entry):
        """The whole file of `entry`, CRC-checked; resumes self.current after a reconnect."""
        if self.current is None or self.current.entry.id != entry.id:
            self.current = Download(entry)
        download = self.current
        while True:
            await self._request(link, download)
            while len(download.kept) < download.answer[0]:
                try:
                    _kind, data = await link.inbox.get(CHUNK_TIMEOUT_S)
                    in_order = download.add(data)
                    download.stalls = 0
                except TimeoutError:
                    download.stalls += 1
                    if download.stalls >= STALLS:
                        raise UserError(
                            f"{link.name} stopped sending session {entry.id} at byte "
                            f"{len(download.kept):,}: nothing of it was stored"
                        ) from None
                    in_order = False
                except p.ProtocolError:
                    link.bad_notifications += 1
                    continue
                if not in_order:
                    await self._request(link, download)
                self.progress(download)
            if crc32(download.kept) == download.answer[1]:
                return bytes(download.kept)
            download.crc_failures += 1
            if download.crc_failures > CRC_RETRIES:
                raise UserError(
                    f"session {entry.id} from {link.name} failed its CRC check "
                    f"{download.crc_failures} times: nothing of it was stored"
                )
            self.say(f"session {entry.id}: CRC mismatch, downloading it again")
            download.restart()

    async def _request(self, link, download):
        """READ_SESSION from the first byte not kept; starts over if the file changed."""
        sid = download.entry.id
        size, crc, _count = await link.command(p.READ_SESSION, sid, len(download.kept), 0)
        if download.answer is not None and download.answer != (size, crc):
            self.say(f"session {sid} changed on the device: downloading it again")
            download.restart()
            size, crc, _count = await link.command(p.READ_SESSION, sid, 0, 0)
        download.answer = (size, crc)
        self.progress(download)

    def kept_message(self):
        """What a lost sync leaves: stored sessions, and the one it was downloading."""
        r = self.result
        kept = ", ".join(f"session {s.device_session} (database id {s.id})" for s in r.stored)
        text = (
            f"the link to {r.name or 'the device'} was lost {r.reconnects} times, the last "
            f"time for good. Kept: {kept or 'nothing new'}"
        )
        d = self.current
        if d is not None and d.answer is not None:
            text += (
                f"; session {d.entry.id}: {len(d.kept):,} of {d.answer[0]:,} bytes received, "
                "not stored"
            )
        return text + ". Run `calfraise sync` again to fetch the rest."
