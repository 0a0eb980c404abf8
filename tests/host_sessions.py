"""Session files for the host tests, built with the firmware's own record encoders (what a
device would send over `sync`), and a database holding some."""

from calfraise_fw import records
from calfraise_fw.detector import Rep

T0 = 5000  # the device's detector clock at the session's start
WALL_MS = 1767254400000  # 2026-01-01T08:00:00Z
SETTINGS = {"reps_per_set": 12, "tempo_up_ms": 1500, "tempo_down_ms": 2000}


def workout(sets=3, reps_per_set=12, rest_ms=90000):
    """Rep dicts (times from the session start) of a plausible workout: tempo drifting within a
    set, the last rep of each set partial."""
    out = []
    t = 3000
    for set_no in range(1, sets + 1):
        for k in range(1, reps_per_set + 1):
            up, hold, down = 1200 + 40 * k, 300 + 10 * set_no, 1800 + 60 * k
            last = k == reps_per_set
            out.append(
                {
                    "start_ms": t,
                    "top_ms": t + up,
                    "lower_ms": t + up + hold,
                    "end_ms": t + up + hold + down,
                    "amplitude_cdeg": 900 if last else 2200 + 25 * set_no + 10 * (k % 3),
                    "set": set_no,
                    "rep": k,
                    "partial": last,
                }
            )
            t += up + hold + down + 700
        t += rest_ms
    return out


def session_file(
    sid,
    reps,
    *,
    wall_ms=WALL_MS,
    set_ends=True,
    end="timeout",
    settings=SETTINGS,
    idle_ms=20000,
    open_sets=(),
    lost=(),
):
    """The bytes of a session file: header, reps, SET_ENDs (unless set_ends is False; none for
    the sets in open_sets, as after a power cut mid-set), an END record idle_ms after the last
    rep (unless end is None). The reps at the indices in lost are counted but not written, as
    when the flash fills up."""
    buf = bytearray(records.MAX_FRAME + 64 * (len(reps) + 8))
    head = records.header(sid, T0, wall_ms, "0.1.0", "atom_matrix", settings)
    buf[: len(head)] = head
    at = len(head)
    rep = Rep()
    for i, r in enumerate(reps):
        for name in ("start_ms", "top_ms", "lower_ms", "end_ms"):
            setattr(rep, name, T0 + r[name])
        rep.amplitude_cdeg, rep.set, rep.rep, rep.partial = (
            r["amplitude_cdeg"],
            r["set"],
            r["rep"],
            r["partial"],
        )
        if i not in lost:
            at = records.put_rep(buf, at, rep, T0)
        closes_set = i + 1 == len(reps) or reps[i + 1]["set"] != r["set"]
        if set_ends and closes_set and r["set"] not in open_sets:
            members = [m for m in reps if m["set"] == r["set"]]
            first, n = members[0]["start_ms"], len(members)
            at = records.put_set_end(buf, at, r["set"], n, T0 + first, T0 + r["end_ms"], T0)
    if end is not None:
        last = reps[-1]["end_ms"] if reps else 0
        n_sets = len({r["set"] for r in reps})
        at = records.put_end(buf, at, end, T0 + last + idle_ms, len(reps), n_sets, T0)
    return bytes(buf[:at])


def two_sessions_db(path):
    """A database at path with two sessions of one device: 3 sets x 6 reps, then 2 x 4."""
    from contextlib import closing

    from calfraise.host.db import open_db
    from calfraise.host.importer import import_session

    with closing(open_db(path)) as conn:
        import_session(conn, "CF-1", session_file(1, workout(sets=3, reps_per_set=6)))
        import_session(conn, "CF-1", session_file(2, workout(sets=2, reps_per_set=4)))
    return path


def run_cli(capsys, *argv):
    """`calfraise argv...` in this process: (exit code, stdout, stderr)."""
    from calfraise.cli import main

    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err
