"""Sessions on the board's LittleFS: one append-only record log per session, an index, and the
rules for a full flash, built so that a power cut loses nothing that was durable.

LittleFS commits a file only at flush()/close() (os.sync() does nothing there), and every commit
copies the file's last block to a freshly erased one. So records wait in a small RAM buffer and
the app's 1-s timer commits them (due(), flush()): a rep is durable within a second of its
completion, and a session costs at most one block erase per second in which something happened.
A full flash never loses a counted rep: the last block is kept for the session's summary, so
when the rest runs out the session goes on without per-rep records (`detail` off), still
counting, and its set ends and END record (the totals) fit in what was kept.
Format, policy and measured figures: docs/storage.md.
"""

import gc
import os
import struct
import sys

from micropython import const

from calfraise_fw import records

BLOCK = 4096
MARGIN_BLOCKS = 8  # never counted as free: copy-on-write, the index, settings, bond keys
RESERVE_BYTES = 16384  # room a new session needs: a 1-hour log is ~11.6 KB (docs/storage.md)
_END_ROOM = const(64)  # kept for the END record when set ends fill the summary's block
_SLACK = const(512)  # more than a second of records: the detail stops before it eats the block
FLASH_BYTES_PER_HOUR = 49152  # typical ~6-min sessions, a 4-KB block each (docs/storage.md)
_HISTORY_MS = 3600000  # stored sessions this long tell the user's own flash per hour
SUFFIX = ".cfs"
TMP = ".tmp"
_INDEX = "index"
# the sessions in RAM: one row each, ids ascending (one bytearray: no object per session)
_ROW = "<IIIB"  # id, size, duration ms, flags (records.SYNCED, records.CLOSED)
_ROW_SIZE = 13


class StorageFull(Exception):
    """No room for a new session without deleting one the host has not synced yet."""


def _session_name(sid):
    return f"{sid:06d}{SUFFIX}"


class SessionStore:
    """The sessions on flash: recover at boot, record one session at a time, list and delete.

    root: the folder of session logs and the index. delete_unsynced: when space runs out, delete
    the oldest unsynced sessions too (the user's choice); otherwise only synced ones go and a new
    session is refused. reserve_bytes: the free space a new session needs (one hour of sessions).
    hold_ms: how long due() lets a pending record wait for company (0: the next tick commits).
    Times given to the store are on the detector's clock; the files hold session-relative times.
    """

    def __init__(
        self,
        root="sessions",
        delete_unsynced=False,
        reserve_bytes=RESERVE_BYTES,
        hold_ms=0,
        buffer_size=256,
    ):
        self.root = root
        self.delete_unsynced = delete_unsynced
        self.reserve_bytes = reserve_bytes
        self.hold_ms = hold_ms
        self.full = False  # the last begin() was refused, or the open session lost its detail
        self.detail = True  # per-rep records are written (off once only the summary fits)
        self.lost = 0  # unsynced sessions deleted for room (only with delete_unsynced)
        self.sid = None  # the open session, if any
        self.rows = bytearray()  # _ROW per session: the index's entries
        self._next_id = 1
        self._recovered = False
        self._buf = bytearray(buffer_size)
        self._mv = memoryview(self._buf)
        self._scratch = bytearray(32)  # one fixed-size frame, outside the pending buffer
        # scratch for work that never awaits: every records.Reader of the store, and the BLE
        # server's file CRC and raw batches (a buffer of their own would cost the heap 256 bytes)
        self.read_buf = bytearray(records.MAX_FRAME)
        self._n = 0  # pending bytes in _buf
        self._since = 0  # detector ms of the oldest pending record
        self._file = None
        self._t0 = self._size = self._grown = self._budget = 0
        self.reps = self.sets = self._last_ms = 0
        self._undated = False  # the open session was begun without the clock, still undated

    # --- files -----------------------------------------------------------------------------

    def path(self, sid):
        """The log file of session sid (what the host downloads)."""
        return f"{self.root}/{_session_name(sid)}"

    def index_path(self, suffix=""):
        return f"{self.root}/{_INDEX}{suffix}"

    def save_index(self):
        """Write-then-rename: after a power cut the index is the old one or the new one."""
        self.aside(self._write_index)

    def aside(self, write, *args):
        """write(*args) with the open session's file closed meanwhile (what it holds is durable;
        pending records wait in RAM until the next commit reopens it): one LittleFS file object
        at a time (~252 bytes with its cache, in one piece, and a fragmented heap may have one
        such hole). For the index's and the settings' writes."""
        f = self._file
        if f is not None:
            self._file = None
            f.close()
            f = None
            gc.collect()
        return write(*args)

    def _write_index(self):
        tmp = self.index_path(TMP)
        buf = self._scratch
        with open(tmp, "wb") as f:
            f.write(memoryview(buf)[: records.put(buf, 0, records.INDEX, self._next_id)])
            for at in range(0, len(self.rows), _ROW_SIZE):
                n = records.put(buf, 0, records.ENTRY, *struct.unpack_from(_ROW, self.rows, at))
                f.write(memoryview(buf)[:n])
        os.rename(tmp, self.index_path())

    # --- the sessions' rows ---------------------------------------------------------------------

    def _at(self, sid):
        """The offset of session sid's row, or -1."""
        rows = self.rows
        for at in range(0, len(rows), _ROW_SIZE):
            if rows[at] | rows[at + 1] << 8 | rows[at + 2] << 16 | rows[at + 3] << 24 == sid:
                return at
        return -1

    def ids(self):
        """The stored sessions' ids, oldest first."""
        rows = self.rows
        return [struct.unpack_from("<I", rows, at)[0] for at in range(0, len(rows), _ROW_SIZE)]

    def entry(self, sid):
        """(size, duration ms, flags) of session sid; ValueError if there is none."""
        at = self._at(sid)
        if at < 0:
            raise ValueError(f"no session {sid}")
        return struct.unpack_from(_ROW, self.rows, at)[1:]

    def set_entry(self, sid, size, ms, flags):
        """Session sid's row, added in id order if new."""
        at = self._at(sid)
        if at >= 0:
            struct.pack_into(_ROW, self.rows, at, sid, size, ms, flags)
            return
        at = 0
        while at < len(self.rows) and struct.unpack_from("<I", self.rows, at)[0] < sid:
            at += _ROW_SIZE
        gc.collect()  # the grown rows outlive the session: to the lowest hole, not a high one
        self.rows[at:at] = struct.pack(_ROW, sid, size, ms, flags)

    def drop_entry(self, sid):
        at = self._at(sid)
        if at >= 0:
            self.rows[at : at + _ROW_SIZE] = b""

    # --- boot --------------------------------------------------------------------------------

    def recover(self):
        """At boot: match the index to the files, close every session left open by a power cut
        or a crash as "interrupted" (a torn tail is dropped first) and delete logs that hold no
        good record. Returns the ids closed as interrupted. ValueError while a session is open.

        The code lives in recovery.py, imported for this and released after: boot-only code
        does not stay in the heap."""
        if self.sid is not None:
            raise ValueError("recover() is for boot: a session is open")
        import calfraise_fw
        from calfraise_fw import recovery

        try:
            closed = recovery.recover(self)
        finally:
            del sys.modules["calfraise_fw.recovery"]
            delattr(calfraise_fw, "recovery")  # the package kept it too
        self._recovered = True
        return closed

    # --- recording ---------------------------------------------------------------------------

    def begin(self, t_ms, firmware, board, settings, wall_ms=None, run=None):
        """Starts a session at detector time t_ms; returns its id.

        firmware, board: names for the header; settings: a dict of the settings in force;
        wall_ms: Unix ms now, or None if unknown (clock_fix() or date_undated() date the
        session later); run: with wall_ms None, (run, run_ms, known_ms) for a RUN record.
        An open session is ended first ("ended"). Deletes the oldest synced sessions (and
        unsynced ones if delete_unsynced) to make reserve_bytes free; when it cannot, the
        session is recorded without per-rep detail (`full`, not `detail`); with less than a
        block free for its summary, it raises StorageFull (and sets `full`). The header is
        durable when begin() returns.
        """
        if not self._recovered:
            self.recover()
        if self.sid is not None:
            self.end("ended", t_ms)
        free = self._make_room(self.reserve_bytes)
        if free < BLOCK:
            self.full = True
            raise StorageFull(
                f"{free} bytes free, a session needs {self.reserve_bytes}: sync with the host"
            )
        gc.collect()  # the header is built in ~200-byte pieces: last second's garbage gone first
        head = records.header(self._next_id, t_ms, wall_ms, firmware, board, settings)
        run_len = 0  # the RUN record's bytes in _scratch (written after the header, not joined)
        if wall_ms is None and run is not None:
            run_len = records.put(self._scratch, 0, records.RUN, *run)
        sid = self._next_id
        self._next_id += 1
        gc.collect()  # the files live in one hole: the lowest, not a high one
        with open(self.path(sid), "wb") as f:
            f.write(head)
            f.write(memoryview(self._scratch)[:run_len])
        self._size = len(head) + run_len
        f = head = None  # collectable before save_index opens the index's file, then this one
        self.detail = free >= self.reserve_bytes
        self.full = not self.detail
        self.sid = sid
        self._t0 = self._last_ms = t_ms
        self._grown = 0
        self._budget = free - BLOCK if self.detail else free - _END_ROOM  # see flush()
        self.reps = self.sets = 0
        self._undated = wall_ms is None
        self.set_entry(sid, self._size, 0, records.UNDATED if self._undated else 0)
        self.save_index()
        return sid

    def _room_for(self, size, t_ms):
        """Makes room in the pending buffer for a frame of `size` bytes added at t_ms."""
        if self._n + size > len(self._buf):
            self._commit()
        if not self._n:
            self._since = t_ms
        self._last_ms = max(self._last_ms, t_ms)

    def rep(self, rep):
        """Queues a completed detector Rep; False (nothing recorded) if no session is open.
        Without detail it is only counted (the END record carries the count).

        ValueError if a phase is longer than 65.5 s (the detector's reps last under 15 s).
        """
        if self.sid is None:
            return False
        if not self.detail:
            self.reps += 1
            self.sets = max(self.sets, rep.set)
            self._last_ms = max(self._last_ms, rep.end_ms)
            return True
        self._room_for(records.frame_size(records.REP), rep.end_ms)
        self._n = records.put_rep(self._buf, self._n, rep, self._t0)
        self.reps += 1
        self.sets = max(self.sets, rep.set)
        return True

    def set_end(self, set_no, reps, start_ms, end_ms):
        """Queues a set boundary: the set's number, its reps, its first rep's start and its end
        (detector ms). False if no session is open."""
        if self.sid is None:
            return False
        size = records.frame_size(records.SET_END)
        if not self.detail and self._grown + self._n + size > self._budget:
            return False  # the summary's block is used up: the END record keeps the totals
        self._room_for(size, end_ms)
        self._n = records.put_set_end(self._buf, self._n, set_no, reps, start_ms, end_ms, self._t0)
        return True

    def clock_fix(self, t_ms, wall_ms):
        """Queues the wall clock (Unix ms) read at detector time t_ms, for a session begun
        without it. False if no session is open."""
        if self.sid is None:
            return False
        self._undated = False
        self._room_for(records.frame_size(records.CLOCK_FIX), t_ms)
        self._n = records.put_clock_fix(self._buf, self._n, t_ms, wall_ms, self._t0)
        return True

    def due(self, now_ms):
        """True when flush() has work: records are pending and the oldest waited hold_ms."""
        return self._n > 0 and now_ms - self._since >= self.hold_ms

    def flush(self):
        """Commits the pending records (one LittleFS sync: one block erase). Near the end of
        the free space it deletes what the policy allows, or turns the detail off, keeping the
        last block for the summary. True when it has just turned the detail off."""
        self._commit()
        if self.sid is None or not self.detail or self._grown < self._budget - BLOCK:
            return False
        free = self._make_room(self.reserve_bytes)
        self._grown = 0
        if free >= BLOCK + _SLACK:
            self._budget = free - BLOCK  # what the detail may use: the last block is kept
            return False
        self._budget = free - _END_ROOM  # what set ends may use
        self.detail = False
        self.full = True
        return True

    def _commit(self):
        if not self._n:
            return
        f = self._file
        if f is None:  # set aside: reopened here, so a reopen that fails loses nothing
            if self.sid is None:
                raise ValueError("no open session")
            gc.collect()
            f = self._file = open(self.path(self.sid), "ab")
        f.write(self._mv[: self._n])
        f.flush()
        self._size += self._n
        self._grown += self._n
        self._n = 0

    def end(self, reason, t_ms):
        """Ends the open session (reason: ended, timeout or button) at detector time t_ms;
        durable when it returns. Does nothing if no session is open."""
        if self.sid is None:
            return
        self._room_for(records.frame_size(records.END), t_ms)
        self._n = records.put_end(self._buf, self._n, reason, t_ms, self.reps, self.sets, self._t0)
        sid = self.sid
        try:
            self._commit()
        finally:
            f = self._file
            self.sid = self._file = None
            if f is not None:
                f.close()
        flags = records.CLOSED | (records.UNDATED if self._undated else 0)
        self.set_entry(sid, self._size, max(0, t_ms - self._t0), flags)
        self.save_index()

    # --- dating: the clock set after sessions began without it -----------------------------

    def date_undated(self, offset_ms):
        """The clock was set in the run that recorded the closed undated sessions: each gets a
        CLOCK_FIX at its start, its RUN record's run_ms plus offset_ms (Unix ms - run_ms)."""
        dated = False
        for sid in self.ids():
            size, ms, flags = self.entry(sid)
            if sid == self.sid or not flags & records.UNDATED:
                continue
            run_ms = None
            with open(self.path(sid), "rb") as f:
                try:
                    for kind, rec in records.Reader(f, self.read_buf):
                        if kind == records.RUN:
                            run_ms = rec["run_ms"]
                            break
                except records.RecordError:
                    pass
            flags &= ~records.UNDATED
            dated = True
            if run_ms is not None:  # else no RUN record: the host dates it
                n = records.put_clock_fix(self._scratch, 0, 0, run_ms + offset_ms, 0)
                with open(self.path(sid), "ab") as f:
                    f.write(memoryview(self._scratch)[:n])
                size += n
            self.set_entry(sid, size, ms, flags)
        if dated:
            self.save_index()

    def forget_undated(self):
        """At boot after a power loss: the undated sessions' run is over, none can be dated
        here any more (the host estimates their dates)."""
        changed = False
        for sid in self.ids():
            size, ms, flags = self.entry(sid)
            if flags & records.UNDATED:
                self.set_entry(sid, size, ms, flags & ~records.UNDATED)
                changed = True
        if changed:
            self.save_index()

    # --- the host's side: list, synced, delete -------------------------------------------------

    def sessions(self):
        """[(id, size in bytes, synced, open)] oldest first; the open one with its durable size."""
        out = []
        for at in range(0, len(self.rows), _ROW_SIZE):
            sid, size, _ms, flags = struct.unpack_from(_ROW, self.rows, at)
            if sid == self.sid:
                size = self._size
            out.append((sid, size, bool(flags & records.SYNCED), sid == self.sid))
        return out

    def _closed_entry(self, sid):
        """(size, duration ms, flags) of closed session sid; ValueError if there is none."""
        if sid == self.sid:
            raise ValueError(f"session {sid} is still being recorded")
        return self.entry(sid)

    def summary(self, sid):
        """(start as Unix seconds or None, reps, sets) of a stored session, read from its log;
        the counts are its END record's when it has more (reps counted without detail)."""
        start_s = None
        reps = sets = 0
        with open(self.path(sid), "rb") as f:
            try:
                for kind, rec in records.Reader(f, self.read_buf):
                    if kind == records.HEADER and rec["wall_ms"]:
                        start_s = rec["wall_ms"] // 1000
                    elif kind == records.CLOCK_FIX and start_s is None:
                        start_s = (rec["wall_ms"] - rec["at_ms"]) // 1000
                    elif kind == records.REP:
                        reps += 1
                        sets = max(sets, rec["set"])
                    elif kind == records.END:
                        reps = max(reps, rec["reps"])
                        sets = max(sets, rec["sets"])
            except records.RecordError:
                pass  # nothing readable: an empty summary
        if start_s is not None and not 0 < start_s <= 0xFFFFFFFF:
            start_s = None  # a clock an older firmware took unchecked: not a date
        return start_s, reps, sets

    def mark_synced(self, sid):
        """The host has session sid: it may now be deleted to make room. ValueError if there is
        no such closed session."""
        size, ms, flags = self._closed_entry(sid)
        self.set_entry(sid, size, ms, flags | records.SYNCED)
        self.save_index()

    def delete(self, sid):
        """Deletes closed session sid (the host's command). ValueError if there is none."""
        self._closed_entry(sid)
        self._drop(sid)
        self.save_index()

    def _drop(self, sid):
        self.drop_entry(sid)
        os.remove(self.path(sid))

    # --- space -------------------------------------------------------------------------------

    def free_bytes(self):
        """Free flash beyond the margin the filesystem keeps for itself."""
        st = os.statvfs(self.root)
        return max(0, (st[4] - MARGIN_BLOCKS) * st[0])

    def _victim(self):
        """The oldest closed session the policy lets go, synced first; None if there is none."""
        for need in (records.SYNCED, 0) if self.delete_unsynced else (records.SYNCED,):
            for at in range(0, len(self.rows), _ROW_SIZE):
                sid, _size, _ms, flags = struct.unpack_from(_ROW, self.rows, at)
                if sid != self.sid and flags & records.CLOSED and (flags & need) == need:
                    return sid
        return None

    def _make_room(self, need):
        """Deletes victims until `need` bytes are free or none is left; the free bytes."""
        free = self.free_bytes()
        deleted = False
        while free < need:
            sid = self._victim()
            if sid is None:
                break
            if not self.entry(sid)[2] & records.SYNCED:
                self.lost += 1
            self._drop(sid)
            deleted = True
            free = self.free_bytes()
        if deleted:
            self.save_index()
        return free

    def hours_left(self):
        """Hours of sessions that still fit: free space plus what the policy may delete, at the
        flash per hour of the stored sessions (once they add up to an hour; short sessions
        take a whole block each), else FLASH_BYTES_PER_HOUR."""
        room = self.free_bytes()
        used = ms = 0
        for at in range(0, len(self.rows), _ROW_SIZE):
            sid, size, duration, flags = struct.unpack_from(_ROW, self.rows, at)
            if sid == self.sid:
                continue
            blocks = (size + BLOCK - 1) // BLOCK * BLOCK
            used += blocks
            ms += duration
            if self.delete_unsynced or flags & records.SYNCED:
                room += blocks
        if ms < _HISTORY_MS:
            return room / FLASH_BYTES_PER_HOUR
        return room / used * ms / 3600000
