"""Session storage on a 2 MiB NOR flash, measured on the unix port (calfraise.bench.storage).

usage: mp_storage.py SCHEDULE.json WEAR_HOURS  (MICROPYPATH: the device port, then firmware/)

SCHEDULE.json: {"hour": session, "typical": [session, ...]}; a session is {"duration_ms",
"events"}, events in time order: ["r", start, top, lower, end, amplitude_cdeg, set, rep,
partial] or ["s", set, reps, start, end], in ms from the session's start.
Prints one JSON line of raw measurements.
"""

import json
import os
import sys
import time

from simhw.norflash import NorFlash

from calfraise_fw.detector import Rep
from calfraise_fw.storage import SessionStore, StorageFull

BLOCKS = 512  # 2 MiB of 4096-byte blocks: the filesystem partition of a 4 MB ESP32
MNT = "/flash"
ROOT = MNT + "/sessions"
FILL_COMMIT = 64  # records per commit while filling: same bytes on flash, far fewer erases


def mount(dev):
    os.mount(os.VfsLfs2(dev), MNT)
    store = SessionStore(ROOT)
    store.recover()
    return store


def fresh():
    dev = NorFlash(BLOCKS)
    os.VfsLfs2.mkfs(dev)
    return dev, mount(dev)


def record(store, session, t0, fill=False, end=True):
    """Plays a session into the store: the app's 1-s timer commits (or every FILL_COMMIT
    records when only the bytes matter). Returns the session id."""
    sid = store.begin(t0, "bench", "sim", {"reps_per_set": 12})
    rep = Rep()
    for k, ev in enumerate(session["events"]):
        if ev[0] == "r":
            rep.start_ms, rep.top_ms, rep.lower_ms, rep.end_ms = (t0 + t for t in ev[1:5])
            rep.amplitude_cdeg, rep.set, rep.rep, rep.partial = ev[5:9]
            store.rep(rep)
            t = rep.end_ms
        else:
            t = t0 + ev[4]
            store.set_end(ev[1], ev[2], t0 + ev[3], t)
        if fill:
            if k % FILL_COMMIT == FILL_COMMIT - 1:
                store.flush()
        elif store.due((t // 1000 + 1) * 1000):
            store.flush()
    if end:
        store.end("ended", t0 + session["duration_ms"])
    return sid


def fill_up(store, sessions, t0=0):
    """Records sessions (cycling through the list, committing every FILL_COMMIT records)
    until the store refuses one. Returns (sessions recorded, their ms, the next t0)."""
    n = ms = 0
    while True:
        session = sessions[n % len(sessions)]
        try:
            record(store, session, t0, fill=True)
        except StorageFull:
            return n, ms, t0
        n += 1
        ms += session["duration_ms"]
        t0 = (t0 + session["duration_ms"] + 60000) % (1 << 27)  # where ESP32 small ints hold


def wear(hour, hours, full):
    """`hours` one-hour sessions back to back with 1-s commits, each synced by the host when it
    ends; full: on a flash first filled with synced sessions, so every new one deletes the
    oldest (LittleFS then levels wear over the few free blocks only). Returns erases,
    programs, the erases of the most-erased block during the first half and the whole run,
    and the session file sizes."""
    dev, store = fresh()
    t0 = 0
    if full:
        t0 = fill_up(store, [hour])[2]
        for sid, _size, _synced, _open in store.sessions():
            store.mark_synced(sid)
    before = list(dev.wear)
    erases, programs = dev.erases, dev.programs
    worn = []
    sizes = []
    for h in range(hours):
        sid = record(store, hour, t0)
        sizes.append(store.sessions()[-1][1])
        store.mark_synced(sid)
        t0 = (t0 + hour["duration_ms"] + 60000) % (1 << 27)
        if h + 1 in (hours // 2, hours):
            worn.append(max(w - b for w, b in zip(dev.wear, before)))
    os.umount(MNT)
    return {
        "hours": hours,
        "erases": dev.erases - erases,
        "programs": dev.programs - programs,
        "max_block_erases": worn,
        "session_bytes": sizes,
    }


def recovery(hour):
    """Time to recover a one-hour log that the power cut short, on an otherwise empty flash."""
    dev, store = fresh()
    sid = record(store, hour, 0, end=False)
    dev.dead = True
    os.umount(MNT)
    dev = dev.copy()
    os.mount(os.VfsLfs2(dev), MNT)
    store = SessionStore(ROOT)
    start = time.ticks_us()
    closed = store.recover()
    recover_us = time.ticks_diff(time.ticks_us(), start)
    os.umount(MNT)
    return {"recover_us": recover_us, "recovered": closed == [sid]}


def fill(sessions):
    """How many sessions (cycling through the list) fit on an empty flash."""
    dev, store = fresh()
    n, ms, _t0 = fill_up(store, sessions)
    free = store.free_bytes()
    os.umount(MNT)
    return {"sessions": n, "session_ms": ms, "free_bytes_left": free, "blocks": dev.blocks}


def main():
    with open(sys.argv[1]) as f:
        schedule = json.load(f)
    hour, hours = schedule["hour"], int(sys.argv[2])
    out = {"empty": wear(hour, hours, False), "full": wear(hour, hours, True)}
    out.update(recovery(hour))
    out["fill_hour"] = fill([hour])
    out["fill_typical"] = fill(schedule["typical"])
    print(json.dumps(out))


main()
