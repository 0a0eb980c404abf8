"""Runs on the MicroPython unix port over simulated hardware (CALFRAISE_SIM): starts an IMU
driver, then sleeps and reads on a schedule, and prints what came out as one JSON line.

usage: micropython imu_mpu_run.py KIND RATE_HZ AXES LOCKED SCHEDULE
SCHEDULE: "SLEEP_MS*READS,..." e.g. "50*20,3000*1,50*20" (simulated time: sleeps are skipped).
LOCKED=1: the whole read loop runs under heap_lock(), so any allocation fails the run.
LOCKED=0: an ImuError is caught, recorded and answered with start() (raising allocates).
Output keys: samples (6 counts each), gaps ([sample index, gap] for every non-zero gap),
restarts ([sample index, message]), t_ms (simulated ms from start() to the last read), the
driver's counters and its rate and sensitivities.
"""

import json
import sys
import time
from array import array

import micropython
from machine import I2C

from calfraise_fw.imu import open_imu
from calfraise_fw.imu.base import ImuError

MAX_SAMPLES = 6000
MAX_GAPS = 64


def drain(imu, schedule, out, samples, gaps, restarts, tally):
    """Follow the schedule; tally[0:2] = samples read, gaps kept (returning a tuple would
    allocate under the lock)."""
    kept = 0
    n_gaps = 0
    for sleep_ms, reads in schedule:
        for _ in range(reads):
            time.sleep_ms(sleep_ms)
            try:
                n = imu.read(out)
            except ImuError as err:
                restarts.append([kept, str(err)])
                imu.start()
                continue
            if imu.gap and n_gaps < MAX_GAPS:
                gaps[2 * n_gaps] = kept
                gaps[2 * n_gaps + 1] = imu.gap
                n_gaps += 1
            for i in range(6 * n):
                if kept < MAX_SAMPLES:
                    samples[6 * kept + i] = out[i]
            kept += n
    tally[0] = kept
    tally[1] = n_gaps


def main():
    kind, rate, axes, locked, plan = sys.argv[1:6]
    schedule = []
    for step in plan.split(","):
        sleep_ms, reads = step.split("*")
        schedule.append((int(sleep_ms), int(reads)))
    imu = open_imu(I2C(0), kind, 0x68, rate_hz=int(rate), axes=axes, bus="I2C(0)")
    imu.start()
    out = array("h", bytes(2 * 6 * 40))
    samples = array("h", bytes(2 * 6 * MAX_SAMPLES))
    gaps = array("i", bytes(4 * 2 * MAX_GAPS))
    restarts = []
    tally = array("i", [0, 0])
    t0 = time.sim_ms()
    if locked == "1":
        micropython.heap_lock()
        try:
            drain(imu, schedule, out, samples, gaps, restarts, tally)
        finally:
            micropython.heap_unlock()
    else:
        drain(imu, schedule, out, samples, gaps, restarts, tally)
    t_ms = time.sim_ms() - t0
    kept = min(tally[0], MAX_SAMPLES)
    n_gaps = tally[1]
    result = {
        "samples": list(samples[: 6 * kept]),
        "gaps": [[gaps[2 * i], gaps[2 * i + 1]] for i in range(n_gaps)],
        "restarts": restarts,
        "t_ms": t_ms,
        "rate_hz": imu.rate_hz,
        "accel_lsb_per_g": imu.accel_lsb_per_g,
        "gyro_lsb_per_dps": imu.gyro_lsb_per_dps,
        "overflows": imu.overflows,
        "lost": imu.lost,
        "errors": imu.errors,
        "reinits": imu.reinits,
    }
    print(json.dumps(result))


main()
