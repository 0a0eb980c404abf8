"""A whole session file read back at once (records.Reader underneath): the host's view of a
downloaded file, and the tests' of the board's. The board itself reads record by record and
never imports this module, so its code and names stay out of the heap.
"""

from calfraise_fw import records


def read_session(stream):
    """A whole session file as a dict (the host's view; the board reads record by record).

    Keys: header (dict or None), reps, sets, clock_fixes (lists of dicts), end (dict or None),
    run (the RUN record's dict or None: the session began before the clock was set),
    wall_ms (Unix ms at the start: the header's, else from the last clock fix, else None),
    skipped (corrupt stretches dropped). Raises RecordError if the data is not a session file.
    """
    out = {"header": None, "reps": [], "sets": [], "clock_fixes": [], "end": None, "run": None}
    lists = {
        records.REP: out["reps"],
        records.SET_END: out["sets"],
        records.CLOCK_FIX: out["clock_fixes"],
    }
    reader = records.Reader(stream)
    for kind, rec in reader:
        if kind == records.HEADER and out["header"] is None:
            out["header"] = rec
        elif kind == records.END:
            out["end"] = rec
        elif kind == records.RUN:
            out["run"] = rec
        elif kind in lists:
            lists[kind].append(rec)
    wall = out["header"]["wall_ms"] if out["header"] else None
    if wall is None and out["clock_fixes"]:
        fix = out["clock_fixes"][-1]
        wall = fix["wall_ms"] - fix["at_ms"]
    out["wall_ms"] = wall
    out["skipped"] = reader.skipped
    return out
