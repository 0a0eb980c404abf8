"""Session store scenarios on LittleFS over NOR flash (run by tests/test_storage.py).

usage: storage_scenarios.py NAME — runs scenario NAME and prints what it saw as one JSON line.
A "power cut" here marks the device dead (so nothing more reaches it), unmounts it and mounts a
copy of its image, as a reboot would find it.
"""

import json
import os
import sys

from simhw.norflash import NorFlash

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
    sets = 0
    for k in range(3600):
        set_no = k // 12 + 1
        st.rep(a_rep(k % 12 + 1, 3000 * k, set_no))
        if k % 12 == 11:
            st.set_end(set_no, 12, 3000 * (k - 11), 3000 * k + 2000)
            sets = set_no
        if st.flush():
            turned_off.append(k + 1)
    st.end("timeout", 3000 * 3600)
    s = read(st, sid)
    return {
        "summary": st.summary(sid),
        "turned_off": turned_off,
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
    st.clock_fix(8000, 1700000000000)
    errors = []
    long_rep = a_rep(1, 6000)
    long_rep.lower_ms += 70000
    for bad in (lambda: st.rep(long_rep), lambda: st.end("lunch", 9000)):
        try:
            bad()
        except ValueError as e:
            errors.append(str(e))
    st.rep(a_rep(1, 6000))
    st.set_end(1, 1, 6000, 20000)
    second = st.begin(30000, FW, BOARD, {})
    first = read(st, sid)
    bad = st.begin(40000, FW, BOARD, {}, wall_ms=(2**32 + 78) * 1000)  # issue 11's clock
    st.end("button", 41000)
    return {
        "bad_clock": st.summary(bad),
        "no_session": no_session,
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


SCENARIOS = {
    "hours": hours,
    "durability": durability,
    "recovery": recovery,
    "index": index,
    "full": lambda: full(False),
    "full_delete_unsynced": lambda: full(True),
    "fills_up": fills_up,
    "records_api": records_api,
}

print(json.dumps(SCENARIOS[sys.argv[1]]()))
