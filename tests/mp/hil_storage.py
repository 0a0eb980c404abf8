"""Runs on the board (make hil, through mpremote) and on the unix port: a session of 12 reps in
one set recorded with the firmware's SessionStore on the board's own filesystem (under ROOT, away
from the athlete's sessions), read back with readback.read_session, then deleted. Prints one JSON
line: the reps and end record read back, and how long each commit (flush) took.
"""

import json
import os
import time

from calfraise_fw import VERSION
from calfraise_fw.detector import Rep
from calfraise_fw.readback import read_session
from calfraise_fw.storage import SessionStore

ROOT = "hil_sessions"
REPS = 12
T0 = 5000


def a_rep(k):
    rep = Rep()
    t = T0 + 3000 * k
    rep.start_ms, rep.top_ms, rep.lower_ms, rep.end_ms = t, t + 700 + k, t + 1000 + k, t + 2100
    rep.amplitude_cdeg, rep.set, rep.rep, rep.partial = 2000 + 10 * k, 1, k, k == REPS
    return rep


def clear(root):
    try:
        names = os.listdir(root)
    except OSError:
        return
    for name in names:
        os.remove(root + "/" + name)
    os.rmdir(root)


def main():
    clear(ROOT)
    store = SessionStore(ROOT)
    store.recover()
    sid = store.begin(T0, VERSION, "hil", {"reps_per_set": REPS})
    flush_us = []
    for k in range(1, REPS + 1):
        store.rep(a_rep(k))
        t = time.ticks_us()
        store.flush()
        flush_us.append(time.ticks_diff(time.ticks_us(), t))
    end_ms = T0 + 3000 * REPS + 2100
    store.set_end(1, REPS, T0 + 3000, end_ms)
    store.end("button", end_ms + 500)
    with open(store.path(sid), "rb") as f:
        back = read_session(f)
    listed = store.sessions()
    store.delete(sid)
    clear(ROOT)
    result = {
        "reps": back["reps"],
        "sets": back["sets"],
        "end": back["end"],
        "header": back["header"],
        "listed": listed,
        "skipped": back["skipped"],
        "flush_us": flush_us,
    }
    print(json.dumps(result))


main()
