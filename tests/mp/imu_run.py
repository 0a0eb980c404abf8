"""Runs on the MicroPython unix port over simulated hardware (CALFRAISE_SIM): an IMU driver
follows a plan of steps, and one JSON line says what came out.

usage: micropython imu_run.py KIND ADDR RATE_HZ AXES PLAN
PLAN: steps joined by ",": "start" (an ImuError is recorded); "read:READS:EVERY_MS" (sleep
EVERY_MS of simulated time, then read; READS times; an ImuError is recorded and answered with
start(), as the app does); "locked:READS:EVERY_MS" (the same under heap_lock(): any allocation
in the driver or the chip model fails the run).
A read gets room for MAX_BATCH + 8 samples, so a long one takes more than one burst.
Output keys: samples (6 counts each), batches ([first sample, count, gap] per read), raised
([sample index, message] per ImuError), t_ms (simulated ms of the reading steps), the driver's
rate_hz, lsb ([accel, gyro] counts per g and per deg/s) and counters.
"""

import json
import sys
import time
from array import array

import micropython
from machine import I2C

from calfraise_fw.imu import open_imu
from calfraise_fw.imu.base import ImuError

BUS = "I2C(0, scl=22, sda=21)"
MAX_SAMPLES = 6000
MAX_READS = 400
COUNTERS = ("rate_hz", "overflows", "lost", "errors", "reinits")


class Log:
    """Preallocated record of every read, so that logging allocates nothing."""

    def __init__(self):
        self.samples = array("h", bytes(2 * 6 * MAX_SAMPLES))
        self.batches = array("i", bytes(4 * 3 * MAX_READS))
        self.kept = 0
        self.reads = 0
        self.raised = []

    def add(self, out, n, gap):
        r = 3 * self.reads
        self.batches[r] = self.kept
        self.batches[r + 1] = n
        self.batches[r + 2] = gap
        self.reads += 1
        for i in range(6 * n):
            self.samples[6 * self.kept + i] = out[i]
        self.kept += n


def follow(imu, reads, every_ms, out, log):
    for _ in range(reads):
        time.sleep_ms(every_ms)
        try:
            n = imu.read(out)
        except ImuError as err:
            log.raised.append([log.kept, str(err)])
            imu.start()
            continue
        log.add(out, n, imu.gap)


def main():
    kind, addr, rate, axes, plan = sys.argv[1:6]
    imu = open_imu(I2C(0), kind, int(addr), rate_hz=int(rate), axes=axes, bus=BUS)
    out = array("h", bytes(2 * 6 * (imu.MAX_BATCH + 8)))
    log = Log()
    t_ms = 0
    for step in plan.split(","):
        what = step.split(":")
        if what[0] == "start":
            try:
                imu.start()
            except ImuError as err:
                log.raised.append([log.kept, str(err)])
            continue
        t0 = time.sim_ms()
        reads, every_ms = int(what[1]), int(what[2])
        if what[0] == "locked":
            micropython.heap_lock()
            try:
                follow(imu, reads, every_ms, out, log)
            finally:
                micropython.heap_unlock()
        else:
            follow(imu, reads, every_ms, out, log)
        t_ms += time.sim_ms() - t0
    result = {name: getattr(imu, name) for name in COUNTERS}
    result["lsb"] = [imu.accel_lsb_per_g, imu.gyro_lsb_per_dps]
    result["samples"] = list(log.samples[: 6 * log.kept])
    result["batches"] = [list(log.batches[3 * i : 3 * i + 3]) for i in range(log.reads)]
    result["raised"] = log.raised
    result["t_ms"] = t_ms
    print(json.dumps(result))


main()
