"""Storage recovery at boot (SessionStore.recover()): match the index to the session files and
close every log a power cut or a crash left open.

Boot-only: SessionStore.recover() imports this module and releases it once done, so its code
and names leave the heap before the app runs.
"""

import os

from calfraise_fw import records
from calfraise_fw.storage import SUFFIX, TMP


def _session_id(name):
    """The id of a session file's name, or None for any other file."""
    if not name.endswith(SUFFIX):
        return None
    try:
        return int(name[: -len(SUFFIX)])
    except ValueError:
        return None


class _Scan:
    """What recovery needs from a session log, read record by record (never all in RAM)."""

    def __init__(self, f, buf):
        reader = records.Reader(f, buf)
        self.reps = self.sets = self.last_ms = 0
        self.end_reason = None  # the END record's reason, if the log ends with one
        try:
            for kind, rec in reader:
                self.end_reason = rec["reason"] if kind == records.END else None
                if kind == records.REP:
                    self.reps += 1
                    self.sets = max(self.sets, rec["set"])
                self.last_ms = max(self.last_ms, rec.get("end_ms", rec.get("at_ms", 0)))
        except records.RecordError:
            pass  # bytes but no good record: nothing in it was durable
        self.good = reader.good
        self.good_end = reader.good_end
        self.size = reader.size


def _load_index(store):
    store.rows = bytearray()
    store._next_id = 1
    try:
        f = open(store.index_path(), "rb")
    except OSError:
        return  # none yet, or lost: rebuilt from the files
    try:
        for kind, rec in records.Reader(f, store.read_buf):
            if kind == records.INDEX:
                store._next_id = rec["next_id"]
            elif kind == records.ENTRY:
                store.set_entry(rec["id"], rec["size"], rec["ms"], rec["flags"])
    except records.RecordError:
        pass
    finally:
        f.close()


def recover(store):
    """SessionStore.recover()'s work on `store`; returns the ids closed as interrupted."""
    try:
        os.mkdir(store.root)
    except OSError:
        pass  # it exists
    _load_index(store)
    found = []
    for name in os.listdir(store.root):
        if name.endswith(TMP):
            os.remove(f"{store.root}/{name}")  # a write-then-rename cut short
        sid = _session_id(name)
        if sid is not None:
            found.append(sid)
    dirty = False
    for sid in store.ids():
        if sid not in found:
            store.drop_entry(sid)  # deleted, but the index was not rewritten yet
            dirty = True
    closed = []
    known = store.ids()
    for sid in sorted(found):
        store._next_id = max(store._next_id, sid + 1)
        if sid not in known:
            store.set_entry(sid, 0, 0, 0)  # unknown: unsynced, maybe open
        if not store.entry(sid)[2] & records.CLOSED:
            dirty = True
            if _close_left_open(store, sid):
                closed.append(sid)
    if dirty:
        store.save_index()
    return closed


def _close_left_open(store, sid):
    """Ends a log that the index does not know as closed; True if it ends "interrupted"."""
    path = store.path(sid)
    with open(path, "rb") as f:
        scan = _Scan(f, store.read_buf)
    f = None  # collectable: the append or the rewrite below opens a file in its hole
    if not scan.good:
        os.remove(path)
        store.drop_entry(sid)
        return False
    scratch = store._scratch
    n = 0
    if not scan.end_reason:
        n = records.put_end(scratch, 0, "interrupted", scan.last_ms, scan.reps, scan.sets, 0)
    if scan.size > scan.good_end:
        _rewrite(store, path, scan.good_end, n)
    elif n:
        with open(path, "ab") as f:
            f.write(memoryview(scratch)[:n])
    flags = store.entry(sid)[2] | records.CLOSED
    store.set_entry(sid, scan.good_end + n, scan.last_ms, flags)
    return n > 0 or scan.end_reason == "interrupted"  # or a recovery cut short closed it


def _rewrite(store, path, keep, end):
    """The first `keep` bytes of path plus `end` bytes of the store's scratch frame, swapped in
    by rename."""
    tmp = path + TMP
    buf = store._mv
    with open(path, "rb") as src, open(tmp, "wb") as dst:
        while keep:
            n = src.readinto(buf[: min(keep, len(buf))])
            if not n:
                break
            dst.write(buf[:n])
            keep -= n
        dst.write(memoryview(store._scratch)[:end])
    os.rename(tmp, path)
