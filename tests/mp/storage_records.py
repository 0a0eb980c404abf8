"""The record format on either interpreter (run by tests/test_records.py).

usage: storage_records.py write PATH   writes a session with every kind of record to PATH
       storage_records.py read PATH    reads PATH, a corpus of blobs (each a 4-byte little-endian
                                       length, then the blob), and prints per blob one JSON line:
                                       the records and counts the Reader gave, or "RecordError"
"""

import io
import json
import struct
import sys

from calfraise_fw import records
from calfraise_fw.detector import Rep


def sample_session():
    """Bytes of a session: header, 3 reps (one partial), a set end, a clock fix, the end."""
    buf = bytearray(512)
    head = records.header(42, 10000, None, "0.1.0", "atom_matrix", {"reps_per_set": 12})
    buf[: len(head)] = head
    at = len(head)
    r = Rep()
    for k in range(1, 4):
        r.start_ms = 10000 + 4000 * k
        r.top_ms, r.lower_ms, r.end_ms = r.start_ms + 900, r.start_ms + 1400, r.start_ms + 2600
        r.amplitude_cdeg, r.set, r.rep, r.partial = 2400 + k, 1, k, k == 2
        at = records.put_rep(buf, at, r, 10000)
    at = records.put_set_end(buf, at, 1, 3, 14000, 34000, 10000)
    at = records.put_clock_fix(buf, at, 35000, 1767225600000, 10000)
    at = records.put_end(buf, at, "timeout", 40000, 3, 1, 10000)
    return bytes(buf[:at])


def outcome(blob):
    reader = records.Reader(io.BytesIO(blob))
    try:
        got = [[kind, rec] for kind, rec in reader]
    except records.RecordError:
        return "RecordError"
    return {"records": got, "skipped": reader.skipped, "good_end": reader.good_end}


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "write":
        with open(path, "wb") as f:
            f.write(sample_session())
        return
    with open(path, "rb") as f:
        corpus = f.read()
    at = 0
    while at < len(corpus):
        n = struct.unpack_from("<I", corpus, at)[0]
        print(json.dumps(outcome(corpus[at + 4 : at + 4 + n])))
        at += 4 + n


if __name__ == "__main__":
    main()
