"""Runs on the MicroPython unix port: feed N raw samples to the detector (or to a do-nothing
stand-in with the same call shape) so callgrind and ticks_us measure only the detector's own work.

usage: micropython mp_cost.py RAW_FILE N real|null|naive RATE_HZ
RAW_FILE: int32 little-endian, 7 values a sample (t ax ay az gx gy gz, raw counts).
"""

import math
import sys
import time
from array import array

from calfraise_fw.detector import RepDetector


class NullDetector:
    def update(self, t_ms, ax, ay, az, gx, gy, gz):
        return None


class NaiveFloatFilter:
    """The baseline the issue names: a float complementary filter on every sample."""

    def __init__(self, rate):
        self.dt = 1 / rate
        self.pitch = 0.0
        self.peak = 0.0

    def update(self, t_ms, ax, ay, az, gx, gy, gz):
        a = [ax / 4096, ay / 4096, az / 4096]
        g = [gx / 32.8, gy / 32.8, gz / 32.8]
        tilt = math.degrees(math.atan2(math.sqrt(a[0] ** 2 + a[1] ** 2), a[2]))
        rate = math.sqrt(g[0] ** 2 + g[1] ** 2 + g[2] ** 2)
        self.pitch = 0.98 * (self.pitch + rate * self.dt) + 0.02 * tilt
        self.peak = max(self.peak, self.pitch)
        return None


def load(path, n):
    """The first n samples as one flat int array, read in one go so loading costs the same
    whichever detector runs."""
    flat = array("i", bytes(28 * n))
    with open(path, "rb") as f:
        f.readinto(flat)
    return flat


def feed(det, s):
    reps = 0
    for i in range(0, len(s), 7):
        if det.update(s[i], s[i + 1], s[i + 2], s[i + 3], s[i + 4], s[i + 5], s[i + 6]) is not None:
            reps += 1
    return reps


def main():
    path, n, kind, rate = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    samples = load(path, n)
    det = {"null": NullDetector, "naive": NaiveFloatFilter}.get(kind, RepDetector)
    det = det() if kind == "null" else det(rate) if kind == "naive" else det(rate, 4096, 32.8)
    t0 = time.ticks_us()
    reps = feed(det, samples)
    print(len(samples) // 7, reps, time.ticks_diff(time.ticks_us(), t0))


main()
