"""Power-cut sweep of the session store on NOR flash (run by tests/test_power_cut.py).

usage: storage_power_cut.py REPS SETS PART PARTS RECOVERY_EVERY

The work under test is one boot on a formatted flash that already holds one closed, unsynced
session: recover, record a session of REPS reps in SETS sets (committed by a 1-s timer), end
it, mark both sessions synced, delete the older one. An uncut run counts the flash operations and
notes, after each call that returns, how many there had been and what was durable by then.

Then, for every cut point N (those with N % PARTS == PART, so processes can share the sweep),
the work runs again on a fresh copy whose N-th program/erase is where power fails: once with
that operation lost, once with it half applied (torn). A copy of what is left is mounted,
recovered and checked: every durable rep, set and end is there, and nothing but a prefix of
what was written; no corrupt record is read; the older session is intact unless its deletion
was durable; the index lists every file with the right synced flag; a second recover() has
nothing to do; a new session can be recorded and read back. For torn cuts at multiples of
RECOVERY_EVERY, power is also cut at every operation of that recovery, and the check repeated.

Prints "ops O cuts C recovery_cuts R failures F", then the first failures. (Files LittleFS was
closing when power failed are finalised later on the dead filesystem; MicroPython may print
their "OSError: 28". That is the harness, not the store.)
"""

import os
import sys

from simhw.norflash import NorFlash, PowerCut

from calfraise_fw.detector import Rep
from calfraise_fw.readback import read_session
from calfraise_fw.storage import SessionStore

BLOCKS = 32
MNT = "/flash"
ROOT = MNT + "/sessions"
FW, BOARD, SETTINGS = "0.1.0", "sim", {"reps_per_set": 15}
T0 = 1000  # detector clock when the session under test begins


def mount(dev):
    """mtime off: the files' timestamps would make runs differ byte for byte."""
    os.mount(os.VfsLfs2(dev, mtime=False), MNT)


def plan(reps_n, sets_n):
    """The session as events: ("rep", Rep) and ("set", set, reps, start, end), in time order."""
    per = reps_n // sets_n
    t = 5000
    out = []
    for s in range(1, sets_n + 1):
        first = t
        for k in range(1, per + 1):
            r = Rep()
            r.start_ms, r.top_ms = t, t + 700 + 13 * k
            r.lower_ms, r.end_ms = r.top_ms + 300 + 7 * s, r.top_ms + 1200
            r.amplitude_cdeg, r.set, r.rep, r.partial = 2000 + 37 * k, s, k, k % 5 == 0
            out.append(("rep", r))
            t += 2500
        out.append(("set", s, per, first, t + 12000))
        t += 40000
    return out


def rep_dict(r, t0):
    return {
        "start_ms": r.start_ms - t0,
        "top_ms": r.top_ms - t0,
        "lower_ms": r.lower_ms - t0,
        "end_ms": r.end_ms - t0,
        "amplitude_cdeg": r.amplitude_cdeg,
        "set": r.set,
        "rep": r.rep,
        "partial": r.partial,
    }


def first_session(dev, events):
    """Session 1, recorded and closed before the boot under test."""
    mount(dev)
    st = SessionStore(ROOT)
    st.recover()
    st.begin(0, FW, BOARD, SETTINGS)
    for ev in events[:5]:
        if ev[0] == "rep":
            st.rep(ev[1])
    st.end("timeout", 30000)
    os.umount(MNT)


def work(dev, events, marks):
    """The boot under test; marks gets (ops, reps, sets, ended, synced 1, synced 2, deleted 1)
    after each call that returned: what was durable by then."""
    state = [0, 0, False, False, False, False]

    def mark():
        marks.append((dev.ops,) + tuple(state))

    st = SessionStore(ROOT)
    mount(dev)
    try:
        st.recover()
        st.begin(T0, FW, BOARD, SETTINGS)
        mark()
        pending = [0, 0]
        for ev in events:
            if ev[0] == "rep":
                st.rep(ev[1])
                pending[0] += 1
                t = ev[1].end_ms
            else:
                st.set_end(ev[1], ev[2], ev[3], ev[4])
                pending[1] += 1
                t = ev[4]
            tick = (t // 1000 + 1) * 1000  # the app's 1-s timer
            if st.due(tick):
                st.flush()
                state[0] += pending[0]
                state[1] += pending[1]
                pending = [0, 0]
                mark()
        st.end("ended", t + 1000)
        state[2] = True
        mark()
        for k, call in ((3, st.mark_synced), (4, st.mark_synced), (5, st.delete)):
            call(1 if k != 4 else 2)
            state[k] = True
            mark()
    finally:
        if dev.dead:
            abandon(st)
        os.umount(MNT)


def abandon(st):
    """Closes the file the store held when the power failed now, not in a finaliser that would
    run later on a dead filesystem (and print its OSError)."""
    f = st._file
    if f is not None:
        try:
            f.close()
        except OSError:
            pass


def bounds(marks, n):
    """What must have survived a cut during operation n (None: not even the header), and what
    may have (the state once the call in progress returned)."""
    done = None
    for m in marks:
        if m[0] >= n:
            return done, m[1:]
        done = m[1:]
    return done, marks[-1][1:]


def read(path):
    with open(path, "rb") as f:
        return read_session(f)


def check(dev, n, marks, expect_reps, expect_sets, first):
    """Failures (strings) of the image on dev after a cut during operation n."""
    done, upto = bounds(marks, n)
    lo = done or (0, 0, False, False, False, False)
    bad = []
    mount(dev)
    try:
        st = SessionStore(ROOT)
        interrupted = st.recover()
        listed = {sid: synced for sid, _size, synced, _open in st.sessions()}
        files = sorted(x for x in os.listdir(ROOT) if x.endswith(".cfs"))
        if len(files) != len(listed):
            bad.append(f"index lists {sorted(listed)}, files {files}")
        if 2 in listed:
            s = read(st.path(2))
            k, m = len(s["reps"]), len(s["sets"])
            if s["skipped"] or s["header"] is None or s["header"]["id"] != 2:
                bad.append(f"session 2: skipped {s['skipped']}, header {s['header']}")
            if not lo[0] <= k <= upto[0] or s["reps"] != expect_reps[:k]:
                bad.append(f"session 2: {k} reps, durable {lo[0]}..{upto[0]}")
            if not lo[1] <= m <= upto[1] or s["sets"] != expect_sets[:m]:
                bad.append(f"session 2: {m} sets, durable {lo[1]}..{upto[1]}")
            reason = s["end"] and s["end"]["reason"]
            ok = ("ended",) if lo[2] else ("ended", "interrupted") if upto[2] else ("interrupted",)
            if reason not in ok or (reason == "interrupted") != (2 in interrupted):
                bad.append(f"session 2 ends {reason}, recover() closed {interrupted}")
            if not lo[4] <= listed[2] <= upto[4]:
                bad.append(f"session 2 synced={listed[2]}, durable {lo[4]}..{upto[4]}")
        elif done is not None:
            bad.append("session 2 lost after begin() returned")
        if 1 in listed:
            if read(st.path(1)) != first:
                bad.append("session 1 changed")
            if not lo[3] <= listed[1] <= upto[3]:
                bad.append(f"session 1 synced={listed[1]}, durable {lo[3]}..{upto[3]}")
            if lo[5]:
                bad.append("session 1 still there after delete() returned")
        elif not upto[5]:
            bad.append("session 1 lost")
        if st.recover():
            bad.append("a second recover() closed sessions again")
        sid = st.begin(500, FW, BOARD, SETTINGS)
        st.rep(Rep())
        st.end("button", 9000)
        s = read(st.path(sid))
        if len(s["reps"]) != 1 or s["skipped"] or s["end"]["reason"] != "button":
            bad.append(f"new session reads back {s}")
    except Exception as e:  # any exception is a failure to report
        bad.append(f"{type(e).__name__}: {e}")
    finally:
        os.umount(MNT)
    return [f"cut {n}: {b}" for b in bad]


def real_cut(base, events, n, torn):
    """The image a real cut during operation n leaves (the device raises PowerCut mid-work;
    cleaning up on the dead filesystem may raise OSError on top of it)."""
    dev = base.copy()
    dev.cut_at = n
    dev.torn = torn
    try:
        work(dev, events, [])
    except (PowerCut, OSError):
        if not dev.dead:
            raise
    return dev


def recovery_cuts(image, n, ctx, failures):
    """Cuts power at every operation of the recovery of `image` (left by a cut during operation
    n), then checks what a second recovery makes of it. Returns the number of points swept."""
    m = 0
    while True:
        m += 1
        dev = image.copy()
        dev.cut_at = m
        mount(dev)
        try:
            SessionStore(ROOT).recover()
        except (PowerCut, OSError):
            if not dev.dead:
                raise
        finally:
            os.umount(MNT)
        if not dev.dead:  # recovery finished before operation m
            return m - 1
        failures += [f"{f} (recovery cut at {m})" for f in check(dev.copy(), n, *ctx)]


def main():
    reps_n, sets_n, part, parts, recovery_every = (int(a) for a in sys.argv[1:6])
    events = plan(reps_n, sets_n)
    base = NorFlash(BLOCKS)
    os.VfsLfs2.mkfs(base)
    first_session(base, events)
    mount(base)
    first = read(SessionStore(ROOT).path(1))
    os.umount(MNT)

    marks = []
    whole = base.copy()
    work(whole, events, marks)
    expect_reps = [rep_dict(ev[1], T0) for ev in events if ev[0] == "rep"]
    expect_sets = [
        {"set": e[1], "reps": e[2], "start_ms": e[3] - T0, "end_ms": e[4] - T0}
        for e in events
        if e[0] == "set"
    ]
    ctx = (marks, expect_reps, expect_sets, first)
    failures = []
    cuts = recovery = 0
    for n in range(1 + part, whole.ops + 1, parts):
        for torn in (False, True):
            dev = real_cut(base, events, n, torn).copy()  # a live copy of what was left
            cuts += 1
            if torn and n % recovery_every == 0:
                recovery += recovery_cuts(dev, n, ctx, failures)
            failures += check(dev, n, *ctx)
    print(f"ops {whole.ops} cuts {cuts} recovery_cuts {recovery} failures {len(failures)}")
    for f in failures[:10]:
        print(f)


main()
