"""Runs on the MicroPython unix port: the whole trace through the detector under heap_lock().

usage: micropython detect_locked.py RAW_FILE RATE_HZ [BX,BY,BZ|-] [K,MS]
RAW_FILE: int32 little-endian, 7 values a sample; BX,BY,BZ: a saved gyro bias to restore at boot
(RepDetector.gyro_bias units); K,MS: before sample K the detector's clock moves back by MS
(shift_clock; the file's times from K on are on that clock). Prints one JSON line per rep, then
"samples N".
Any allocation inside update() raises MemoryError and fails the run.
"""

import json
import os
import sys
from array import array

import micropython

from calfraise_fw.detector import RepDetector


def feed(det, s, reps):
    n = 0
    for i in range(0, len(s), 7):
        rep = det.update(s[i], s[i + 1], s[i + 2], s[i + 3], s[i + 4], s[i + 5], s[i + 6])
        if rep is not None and n < len(reps):
            r = reps[n]  # preallocated: copying into it does not allocate
            r[0] = rep.start_ms
            r[1] = rep.top_ms
            r[2] = rep.lower_ms
            r[3] = rep.end_ms
            r[4] = rep.amplitude_cdeg
            r[5] = rep.set
            r[6] = rep.rep
            r[7] = rep.partial
            n += 1
    return n


def main():
    path, rate = sys.argv[1], float(sys.argv[2])
    samples = array("i", bytes(os.stat(path)[6]))
    with open(path, "rb") as f:
        f.readinto(samples)
    det = RepDetector(rate, 4096, 32.8)
    if len(sys.argv) > 3 and sys.argv[3] != "-":
        det.restore_gyro_bias([int(b) for b in sys.argv[3].split(",")])
    k, shift = len(samples) // 7, 0
    if len(sys.argv) > 4:
        k, shift = [int(v) for v in sys.argv[4].split(",")]
    reps = [array("i", bytes(32)) for _ in range(400)]
    before, after = memoryview(samples)[: 7 * k], memoryview(samples)[7 * k :]
    micropython.heap_lock()
    try:
        n = feed(det, before, reps)
    finally:
        micropython.heap_unlock()
    det.shift_clock(shift)
    later = reps[n:]
    micropython.heap_lock()
    try:
        n += feed(det, after, later)
    finally:
        micropython.heap_unlock()
    keys = ("start_ms", "top_ms", "lower_ms", "end_ms", "amplitude_cdeg", "set", "rep", "partial")
    for r in reps[:n]:
        print(json.dumps(dict(zip(keys, r))))
    print("samples", len(samples) // 7)


main()
