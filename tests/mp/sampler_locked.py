"""Drains the simulated IMU through the sampler for a whole trace with the heap locked.

argv: seconds to run. Prints: samples fed, reps seen. The sim config names the chip (MPU-6050
at 0x68) and the trace.
"""

import sys
import time

import machine
import micropython

from calfraise_fw.imu import open_imu
from calfraise_fw.sampler import PERIOD_MS, Sampler


def run(seconds):
    imu = open_imu(machine.I2C(0), "mpu6050", 0x68, rate_hz=100)
    sampler = Sampler(imu, print)
    reps = [0]

    def count(rep):
        reps[0] += 1  # in place: no allocation

    sampler.on_rep = count
    imu.start()
    for _ in range(seconds * 1000 // PERIOD_MS):
        time.sleep_ms(PERIOD_MS)
        micropython.heap_lock()
        try:
            sampler.drain()
        finally:
            micropython.heap_unlock()
    print(sampler.samples, reps[0])


run(int(sys.argv[1]))
