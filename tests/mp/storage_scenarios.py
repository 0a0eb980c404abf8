"""Session store scenarios on LittleFS over NOR flash (run by tests/test_storage.py).

usage: storage_scenarios.py NAME — runs scenario NAME and prints what it saw as one JSON line.
A "power cut" here marks the device dead (so nothing more reaches it), unmounts it and mounts a
copy of its image, as a reboot would find it.
"""

import json
import os
import sys

from simhw.norflash import NorFlash

from calfraise_fw import records
from calfraise_fw.detector import Rep
from calfraise_fw.readback import read_session
from calfraise_fw.storage import BLOCK, SessionStore, StorageFull

MNT = "/flash"
ROOT = MNT + "/sessions"
FW, BOARD = "0.1.0", "sim"


def flash(blocks=32):
    dev = NorFlash(blocks)
    os.VfsLfs2.mkfs(dev)
    os.mount(os.VfsLfs2(dev), MNT)
    return dev


def power_cut(dev):
    """What a reboot finds after power fails now: a copy of the image, mounted."""
    dev.dead = True
    os.umount(MNT)
    dev = dev.copy()
    os.mount(os.VfsLfs2(dev), MNT)
    return dev


def a_rep(k, t, set_no=1):
    r = Rep()
    r.start_ms, r.top_ms, r.lower_ms, r.end_ms = t, t + 800, t + 1100, t + 2000
    r.amplitude_cdeg, r.set, r.rep = 2500, set_no, k
    return r


def read(store, sid):
    with open(store.path(sid), "rb") as f:
        return read_session(f)


def session(store, t0, reps, reason="ended"):
    """A closed session of `reps` reps, each committed by the timer; its id."""
    sid = store.begin(t0, FW, BOARD, {"reps_per_set": 12})
    for k in range(reps):
        store.rep(a_rep(k + 1, t0 + 1000 + 3000 * k))
        store.flush()
    store.end(reason, t0 + 1000 + 3000 * reps)
    return sid


def durability():
    """Pending records reach the flash only at flush(); due() says when; one erase a flush."""
    dev = flash()
    st = SessionStore(ROOT, hold_ms=500)
    st.recover()
    sid = st.begin(1000, FW, BOARD, {})
    due = []
    erases = []
    for k in range(1, 21):
        r = a_rep(k, 3000 * k)
        st.rep(r)
        due.append([st.due(r.end_ms + dt) for dt in (0, 499, 500)])
        e = dev.erases
        st.flush()
        erases.append(dev.erases - e)
    after = st.due(r.end_ms + 10000)
    st.rep(a_rep(21, 70000))  # pending when the power fails
    dev = power_cut(dev)
    st = SessionStore(ROOT)
    closed = st.recover()
    s = read(st, sid)
    return {
        "due": due,
        "erases": erases,
        "due_after_flush": after,
        "closed": closed,
        "reps": [x["rep"] for x in s["reps"]],
        "end": s["end"],
    }


def recovery():
    """A cut mid-session, a torn tail, an empty log, a lost index: recover() sorts them all."""
    dev = flash()
    st = SessionStore(ROOT)
    st.recover()
    done = session(st, 0, 2)
    st.mark_synced(done)
    torn = st.begin(50000, FW, BOARD, {})
    for k in range(3):
        st.rep(a_rep(k + 1, 51000 + 3000 * k, set_no=2))
    st.flush()
    st._file.write(b"\xc5\x01\x02\x11\x00half a rec")  # a record cut short, committed
    st._file.flush()
    dev = power_cut(dev)
    with open(ROOT + "/000009.cfs", "wb"):
        pass  # created, but its header never committed
    st = SessionStore(ROOT)
    closed = st.recover()
    s = read(st, torn)
    out = {
        "closed": closed,
        "again": st.recover(),
        "reps": len(s["reps"]),
        "skipped": s["skipped"],
        "end": s["end"],
        "sessions": st.sessions(),
        "files": sorted(os.listdir(ROOT)),
        "next": st.begin(90000, FW, BOARD, {}),
    }
    st.end("button", 91000)
    os.remove(ROOT + "/index")
    st = SessionStore(ROOT)
    out["rebuilt_closed"] = st.recover()
    out["rebuilt"] = st.sessions()
    return out


def index():
    """The index survives reboots, keeps synced flags, and refuses what makes no sense."""
    dev = flash()
    st = SessionStore(ROOT)
    st.recover()
    a = session(st, 0, 3)
    b = session(st, 20000, 1)
    st.mark_synced(a)
    sizes = {sid: os.stat(st.path(sid))[6] for sid in (a, b)}
    open_id = st.begin(40000, FW, BOARD, {})
    errors = []
    for call, arg in ((st.mark_synced, open_id), (st.delete, open_id), (st.mark_synced, 99)):
        try:
            call(arg)
        except ValueError as e:
            errors.append(str(e))
    listed_open = st.sessions()
    st.end("timeout", 41000)
    st.delete(b)
    dev = power_cut(dev)
    st = SessionStore(ROOT)
    return {
        "closed": st.recover(),
        "sizes": [sizes[a], sizes[b]],
        "listed_open": listed_open,
        "errors": errors,
        "after": st.sessions(),
        "files": sorted(os.listdir(ROOT)),
    }


def full(delete_unsynced):
    """Sessions until the flash is full: synced ones go first, unsynced never unless allowed."""
    flash(24)
    st = SessionStore(ROOT, delete_unsynced=delete_unsynced, reserve_bytes=2 * BLOCK)
    st.recover()
    hours = [st.hours_left()]
    made = []
    detailed = []  # per session: recorded with its reps, or (flash nearly full) only counted
    refused = None
    while refused is None and len(made) < 40:
        try:
            made.append(session(st, 100000 * len(made), 60))
            stored = read(st, made[-1])
            detailed.append(len(stored["reps"]) == 60 == stored["end"]["reps"])
            if not detailed[-1] and stored["end"]["reps"] != 60:
                raise AssertionError(f"session {made[-1]} lost its rep count")
            hours.append(st.hours_left())
        except StorageFull as e:
            refused = str(e)
    out = {"made": made, "refused": refused, "full": st.full, "hours": hours, "lost": st.lost}
    out["detailed"] = detailed
    if refused:
        for sid in made[:2]:  # the host has the first two
            st.mark_synced(sid)
        out["after_sync"] = session(st, 10**7, 1)
        out["full_after"] = st.full
    out["sessions"] = [x[0] for x in st.sessions()]
    return out


def fills_up():
    """A 3-hour session (a rep every 3 s, sets of 12, the 1-s timer) on a 20-block flash: the
    detail stops when the flash is full, the counting and the summary do not."""
    flash(20)
    st = SessionStore(ROOT, reserve_bytes=BLOCK)
    st.recover()
    sid = st.begin(0, FW, BOARD, {})
    turned_off = []
    kept = None  # free bytes when the detail stopped
    sets = counted = ends_kept = ends_after_off = 0
    for k in range(3600):
        set_no = k // 12 + 1
        counted += st.rep(a_rep(k % 12 + 1, 3000 * k, set_no))
        if k % 12 == 11:
            kept_end = st.set_end(set_no, 12, 3000 * (k - 11), 3000 * k + 2000)
            ends_kept += kept_end
            ends_after_off += kept_end and bool(turned_off)
            sets = set_no
        if st.flush():
            turned_off.append(k + 1)
            kept = st.free_bytes()
    st.end("timeout", 3000 * 3600)
    s = read(st, sid)
    return {
        "summary": st.summary(sid),
        "turned_off": turned_off,
        "counted": counted,
        "ends_kept": ends_kept,
        "ends_after_off": ends_after_off,
        "kept": kept,
        "detailed": len(s["reps"]),
        "set_ends": [x["reps"] for x in s["sets"]],
        "sets": sets,
        "end": s["end"],
        "full": st.full,
        "skipped": s["skipped"],
    }


def records_api():
    """Clock fix-up, bad input, and a second begin() closing the first."""
    flash()
    st = SessionStore(ROOT)
    st.recover()
    no_session = [st.rep(a_rep(1, 0)), st.set_end(1, 1, 0, 1), st.clock_fix(0, 1)]
    sid = st.begin(5000, FW, BOARD, {"tempo_cue": True})
    recorded = [st.clock_fix(8000, 1700000000000)]
    errors = []
    long_rep = a_rep(1, 6000)
    long_rep.lower_ms += 70000
    for bad in (lambda: st.rep(long_rep), lambda: st.end("lunch", 9000)):
        try:
            bad()
        except ValueError as e:
            errors.append(str(e))
    recorded += [st.rep(a_rep(1, 6000)), st.set_end(1, 1, 6000, 20000)]
    second = st.begin(30000, FW, BOARD, {})
    first = read(st, sid)
    bad = st.begin(40000, FW, BOARD, {}, wall_ms=(2**32 + 78) * 1000)  # issue 11's clock
    st.end("button", 41000)
    return {
        "bad_clock": st.summary(bad),
        "no_session": no_session,
        "recorded": recorded,
        "errors": errors,
        "second": second,
        "wall_ms": first["wall_ms"],
        "header": first["header"],
        "sets": first["sets"],
        "reps": len(first["reps"]),
        "end": first["end"],
    }


def hours():
    """Free space in hours: a default rate at first, then the stored sessions' own."""
    flash()
    st = SessionStore(ROOT)
    st.recover()
    first = [st.free_bytes(), st.hours_left()]
    sid = st.begin(0, FW, BOARD, {})
    st.rep(a_rep(1, 1000))
    st.end("button", 2 * 3600000)  # a two-hour session in one block
    unsynced = [st.free_bytes(), st.hours_left()]
    st.mark_synced(sid)
    return {"first": first, "unsynced": unsynced, "synced": st.hours_left()}


def frames(*records_):
    """The bytes of fixed-size records, (kind, fields...) each: what a file should hold."""
    buf = bytearray(32)
    out = b""
    for kind, *fields in records_:
        out += bytes(buf[: records.put(buf, 0, kind, *fields)])
    return out


def index_bytes():
    """The index file, byte for byte: the next id, then one entry per session in id order
    (id, size, duration ms, flags); the open one with its header's size and no duration."""
    flash()
    st = SessionStore(ROOT)
    st.recover()
    a = session(st, 0, 2)
    b = st.begin(20000, FW, BOARD, {})
    st.end("button", 20000)  # ended as it began: it lasted nothing
    st.mark_synced(a)
    st.begin(30000, FW, BOARD, {}, wall_ms=1700000000000)
    size = [os.stat(st.path(sid))[6] for sid in (1, 2, 3)]
    with open(st.index_path(), "rb") as f:
        got = f.read()
    want = frames(
        (records.INDEX, 4),
        (records.ENTRY, a, size[0], 7000, records.CLOSED | records.SYNCED | records.UNDATED),
        (records.ENTRY, b, size[1], 0, records.CLOSED | records.UNDATED),
        (records.ENTRY, 3, size[2], 0, 0),
    )
    return {"same": got == want, "got": got.hex(), "want": want.hex()}


def large_ids():
    """Session ids use all 32 bits: an index whose next id is 0x01020304 (or 0xFFFFFFF0)."""
    flash()
    st = SessionStore(ROOT)
    st.recover()
    out = {}
    for first in (0x01020304, 0xFFFFFFF0):
        with open(st.index_path(), "wb") as f:
            f.write(frames((records.INDEX, first)))
        for name in os.listdir(ROOT):
            if name != "index":
                os.remove(ROOT + "/" + name)
        st = SessionStore(ROOT)
        st.recover()
        made = [session(st, 1000 * k, 1) for k in range(3)]
        st.mark_synced(made[1])
        st.delete(made[0])
        out[str(first)] = {"made": made, "sessions": st.sessions(), "entry": st.entry(made[1])}
    return out


def dating():
    """Sessions begun before the clock was set carry a RUN record; once the clock is set in
    their run, date_undated() gives each closed one a CLOCK_FIX at its start; after a power
    loss forget_undated() leaves them to the host. The flags survive a reboot."""
    dev = flash()
    st = SessionStore(ROOT)
    st.recover()
    a = st.begin(1000, FW, BOARD, {}, run=(3, 5000, 4000))
    st.rep(a_rep(1, 2000))
    st.end("button", 6000)
    b = st.begin(10000, FW, BOARD, {})  # undated, and no RUN record to date it by
    st.end("button", 11000)
    c = st.begin(20000, FW, BOARD, {}, wall_ms=1700000020000)  # dated from its start
    st.end("button", 21000)
    d = st.begin(30000, FW, BOARD, {}, run=(3, 34000, 4000))  # open while the clock is set
    before = [st.entry(sid)[2] for sid in (a, b, c, d)]
    st.clock_fix(31000, 1700000030000)
    st.date_undated(1700000000000 - 5000)  # Unix ms - run ms
    st.date_undated(1700000000000 - 5000)  # nothing left to date
    st.end("ended", 32000)
    after = [st.entry(sid)[2] for sid in (a, b, c, d)]
    sizes = [[st.entry(sid)[0], os.stat(st.path(sid))[6]] for sid in (a, b, c, d)]
    read_a, read_b = read(st, a), read(st, b)
    e = st.begin(40000, FW, BOARD, {}, run=(3, 44000, 4000))
    st.end("button", 41000)
    dev = power_cut(dev)
    st = SessionStore(ROOT)
    st.recover()
    undated = st.entry(e)[2]
    st.forget_undated()
    dev = power_cut(dev)  # before anything else saves the index: forget_undated's own save
    st = SessionStore(ROOT)
    st.recover()
    forgotten_at_once = st.entry(e)[2]
    f = st.begin(50000, FW, BOARD, {}, run=(4, 1000, 0))
    st.end("button", 51000)
    st.date_undated(1700000000000)  # no session open: nothing else saves the index after it
    dev = power_cut(dev)
    st = SessionStore(ROOT)
    st.recover()
    return {
        "f": st.entry(f)[2],
        "before": before,
        "after": after,
        "sizes": sizes,
        "run": read_a["run"],
        "fixes": [read_a["clock_fixes"], read_b["clock_fixes"], read(st, c)["clock_fixes"]],
        "wall_ms": [read_a["wall_ms"], read_b["wall_ms"]],
        "skipped": [read_a["skipped"], read_b["skipped"]],
        "undated": undated,
        "forgotten": st.entry(e)[2],
        "forgotten_at_once": forgotten_at_once,
        "rebooted": [st.entry(sid)[2] for sid in (a, b, c, d)],
        "e": read(st, e)["clock_fixes"],
    }


def begin_recovers():
    """A store that begins a session without recover() first does it itself: the session a
    power cut left open is closed, and its id is not given again. A fresh store is not full."""
    dev = flash()
    st = SessionStore(ROOT)
    fresh = [st.full, st.lost]
    st.recover()
    cut = st.begin(0, FW, BOARD, {})
    st.rep(a_rep(1, 1000))
    st.flush()
    dev = power_cut(dev)
    st = SessionStore(ROOT)
    new = st.begin(10000, FW, BOARD, {})
    st.end("button", 11000)
    return {"fresh": fresh, "ids": [cut, new], "end": read(st, cut)["end"], "again": st.recover()}


def hours_by_blocks():
    """Flash per hour counts whole 4-KB blocks: a one-hour session of exactly 4096 bytes takes
    one block, another of 4097 bytes two; one hour of history is enough to learn from."""
    flash(64)
    st = SessionStore(ROOT)
    st.recover()
    sizes, hours = [], []
    for k, size in enumerate((4096, 4097)):
        t0 = 4000000 * k
        bare = len(records.header(k + 1, t0, None, FW, BOARD, {"pad": ""}))
        pad = size - bare - 120 * records.frame_size(records.REP) - records.frame_size(records.END)
        sid = st.begin(t0, FW, BOARD, {"pad": "x" * pad})
        for n in range(120):
            st.rep(a_rep(n + 1, t0 + 3000 * n))
        st.end("timeout", t0 + 3600000)
        sizes.append(st.entry(sid)[0])
        hours.append([st.free_bytes(), st.hours_left()])
    return {"sizes": sizes, "hours": hours}


def summaries():
    """What LIST_SESSIONS says of a session: its start in Unix seconds (its header's, else its
    clock fix's; None where no u32 holds it) and its reps and sets, from the records while it
    is open. Twelve reps queued at once overflow the 256-byte buffer into a commit."""
    flash()
    st = SessionStore(ROOT)
    st.recover()
    out = []
    for wall in (1000, 999, 4294967295999, 1700000020000):
        sid = st.begin(0, FW, BOARD, {}, wall_ms=wall)
        st.end("button", 1000)
        out.append(st.summary(sid))
    sid = st.begin(5000, FW, BOARD, {})
    st.clock_fix(8000, 1700000000000)
    for k in range(12):
        st.rep(a_rep(k % 6 + 1, 6000 + 3000 * k, k // 6 + 1))
    st.flush()
    out.append(st.summary(sid))
    st.end("button", 50000)
    out.append(st.summary(sid))
    return out


def room_mid_session():
    """A long session on a flash that sessions synced during it fill: when the detail's budget
    runs low, flush() deletes them (oldest first) and the detail goes on, rather than stopping."""
    flash(36)
    st = SessionStore(ROOT)
    st.recover()
    old = [session(st, 100000 * k, 60) for k in range(6)]
    t0 = 10**7
    sid = st.begin(t0, FW, BOARD, {})
    for done in old:  # the host synced them meanwhile
        st.mark_synced(done)
    turned_off = []
    left = []  # the old sessions still there, after each flush that changed them
    for k in range(2600):
        st.rep(a_rep(k % 12 + 1, t0 + 3000 * k, k // 12 + 1))
        if st.flush():
            turned_off.append(k + 1)
        ids = [x[0] for x in st.sessions()][:-1]
        if not left or ids != left[-1]:
            left.append(ids)
    st.end("timeout", t0 + 3000 * 2600)
    s = read(st, sid)
    return {"turned_off": turned_off, "left": left, "reps": len(s["reps"]), "full": st.full}


def set_ends_fill_the_kept_block():
    """A session begun without its detail on a full flash (one block free: under the reserve,
    above a block): its set ends fill that block, leaving room for the END record."""
    flash(20)
    st = SessionStore(ROOT, reserve_bytes=2 * BLOCK)
    st.recover()
    while True:
        sid = st.begin(0, FW, BOARD, {})
        if not st.detail:
            break
        st.end("button", 1000)
    free = st.free_bytes()
    kept = 0
    for k in range(300):
        if not st.set_end(k + 1, 1, 1000 * k, 1000 * k + 500):
            break
        kept += 1
        if k % 5 == 4:  # the 1-s timer: a few set ends wait in RAM
            st.flush()
    st.end("button", 400000)
    s = read(st, sid)
    return {"free": free, "kept": kept, "stored": len(s["sets"]), "end": s["end"]}


def detail_budget():
    """A session's records reach, to the byte, the growth at which the store must look at the
    free space again: what was free at begin() less two blocks (the kept one and the next).
    Reps (26 bytes) and set ends (21) are mixed to land on it; the timer commits 4 reps at a
    time, the last commit lands on it."""
    flash(20)
    st = SessionStore(ROOT, reserve_bytes=BLOCK)
    st.recover()
    st.begin(0, FW, BOARD, {})
    free = st.free_bytes()
    target = free - 2 * BLOCK
    ends = next(b for b in range(26) if (target - 21 * b) % 26 == 0)
    reps = (target - 21 * ends) // 26
    turned_off = []
    for k in range(reps):
        st.rep(a_rep(k % 12 + 1, 3000 * k))
        if k < ends:
            st.set_end(k + 1, 1, 3000 * k, 3000 * k + 2000)
        if k % 4 == 3 or k == reps - 1:
            turned_off.append(st.flush())
    return {
        "free": free,
        "grown": 26 * reps + 21 * ends,
        "turned_off": turned_off,
        "left": st.free_bytes(),
    }


def below_the_margin():
    """A flash smaller than the margin LittleFS is left: nothing is free, not a byte."""
    flash(10)
    st = SessionStore(ROOT)
    st.recover()
    out = {"statvfs_free_blocks": os.statvfs(ROOT)[4], "free": st.free_bytes()}
    try:
        st.begin(0, FW, BOARD, {})
    except StorageFull as e:
        out["refused"] = str(e)
    return out


def one_file_at_a_time():
    """The index and the settings written while a session is open: the session's file is
    closed meanwhile (one LittleFS file object at a time: 252 bytes in one piece on the 32-bit
    port) and its records go on after, pending ones included. Its reopen waits for the next
    commit: one that fails (no 252-byte hole) keeps the records pending for the one after."""
    from calfraise_fw import settings, storage
    from calfraise_fw.recorder import Recorder

    live = []
    most = [0]

    class Counted:
        def __init__(self, f):
            self.f = f
            live.append(self)
            most[0] = max(most[0], len(live))

        def write(self, data):
            return self.f.write(data)

        def flush(self):
            self.f.flush()

        def close(self):
            if self in live:
                live.remove(self)
            self.f.close()

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.close()

    def save(values, path):  # json.dump needs a real stream: the store's files are counted
        during.append(len(live))
        settings.save(values, path)

    refuse = []

    def counted_open(path, mode="r"):
        if refuse and mode == "ab":
            refuse.pop()
            raise MemoryError("memory allocation failed, allocating 252 bytes")
        return Counted(open(path, mode))

    during = []
    flash()
    storage.open = counted_open
    st = SessionStore(ROOT)
    st.recover()
    old = session(st, 0, 1)
    sid = st.begin(10000, FW, BOARD, {})
    st.rep(a_rep(1, 11000))
    st.flush()
    st.rep(a_rep(2, 14000))  # pending while the index and the settings are written
    st.mark_synced(old)
    st.aside(save, {"reps_per_set": 10}, MNT + "/settings.json")
    refuse.append(True)
    errors = []
    recorder = Recorder(st, BOARD, {}, errors.append, None, None)
    recorder.tick(15000)  # the reopen is refused: reported, the rep stays pending
    recorder.tick(16000)
    st.end("ended", 20000)
    del storage.open
    return {
        "most_open": most[0],
        "open_during_settings": during,
        "errors": [(e["code"], e["message"]) for e in errors],
        "reps": [x["rep"] for x in read(st, sid)["reps"]],
        "sessions": st.sessions(),
        "file_sizes": [os.stat(st.path(i))[6] for i in st.ids()],
        "settings": settings.load(MNT + "/settings.json")[0]["reps_per_set"],
    }


SCENARIOS = {
    "one_file_at_a_time": one_file_at_a_time,
    "detail_budget": detail_budget,
    "below_the_margin": below_the_margin,
    "hours": hours,
    "durability": durability,
    "recovery": recovery,
    "index": index,
    "full": lambda: full(False),
    "full_delete_unsynced": lambda: full(True),
    "fills_up": fills_up,
    "records_api": records_api,
    "index_bytes": index_bytes,
    "large_ids": large_ids,
    "dating": dating,
    "begin_recovers": begin_recovers,
    "hours_by_blocks": hours_by_blocks,
    "summaries": summaries,
    "room_mid_session": room_mid_session,
    "set_ends_fill_the_kept_block": set_ends_fill_the_kept_block,
}

print(json.dumps(SCENARIOS[sys.argv[1]]()))
