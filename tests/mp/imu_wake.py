"""Runs on the MicroPython unix port over simulated hardware (CALFRAISE_SIM, with "imu_int"
naming the INT pin): an IMU driver is started, armed for wake on motion, and the INT pin is
watched every 10 ms of simulated time; one JSON line says what happened.

usage: micropython imu_wake.py KIND ADDR PIN ACTIVE_LOW MG UNTIL_MS
Output: started_ms (just before start(): about when the trace begins), rose_ms (first time
the pin was active, or None), held (still active 500 ms later: latched), motion (motion()
then), cleared (the pin inactive after that read), restarted (start() then gives samples).
"""

import json
import sys
import time
from array import array

from machine import I2C, Pin

from calfraise_fw.imu import open_imu


def main():
    kind, addr, pin, active_low, mg, until_ms = sys.argv[1:7]
    active = 0 if active_low == "1" else 1
    imu = open_imu(I2C(0), kind, int(addr), rate_hz=104, axes="x,y,z", bus="I2C(0)")
    started_ms = time.sim_ms()
    imu.start()
    line = Pin(int(pin), Pin.IN)
    imu.wake_on_motion(int(mg), active_low == "1")
    result = {"started_ms": started_ms, "rose_ms": None, "idle_level": line.value()}
    while time.sim_ms() < int(until_ms):
        time.sleep_ms(10)
        if line.value() == active:
            result["rose_ms"] = time.sim_ms()
            break
    if result["rose_ms"] is not None:
        time.sleep_ms(500)
        result["held"] = line.value() == active
        result["motion"] = imu.motion()
        result["cleared"] = line.value() != active or None
    imu.start()
    time.sleep_ms(200)
    out = array("h", bytes(2 * 6 * imu.MAX_BATCH))
    result["restarted"] = imu.read(out) > 0
    print(json.dumps(result))


main()
