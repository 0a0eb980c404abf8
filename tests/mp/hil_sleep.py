"""Runs on the board (make hil, through mpremote): standby as power.py enters it. The board's
IMU is armed for wake on motion; with its INT wired (board file) the board deep-sleeps a
second after this script returns, woken by the IMU (EXT0) or after TIMEOUT_S by the timer,
and the app then boots and prints its "wake" event; without INT it light-sleeps here,
polling the IMU as power.py does, and prints how it woke. One JSON line either way.

With a third argument POLL_S a board without INT deep-sleeps instead, the RTC timer waking it
after POLL_S: the app's boot then asks the IMU (power.deep_poll) and either sleeps again or
boots on, woken by motion.

usage: hil_sleep.py TIMEOUT_S [POLL_S]
"""

import json
import sys
import time

import esp32
import machine

from calfraise_fw.imu import open_board_imu
from calfraise_fw.power import POLL_MS, WAKE_MG
from calfraise_fw.startup import load_board


def main():
    timeout_ms = int(sys.argv[1]) * 1000
    board = load_board()
    spec = board.imu
    _, imu = open_board_imu(board)
    imu.start()
    imu.wake_on_motion(WAKE_MG, spec.int_active_low)
    if spec.int_pin is not None or len(sys.argv) > 2:
        if spec.int_pin is not None:
            level = esp32.WAKEUP_ALL_LOW if spec.int_active_low else esp32.WAKEUP_ANY_HIGH
            esp32.wake_on_ext0(machine.Pin(spec.int_pin), level)
        else:
            timeout_ms = int(sys.argv[2]) * 1000
        sleep = machine.Timer(0)
        sleep.init(mode=machine.Timer.ONE_SHOT, period=1000, callback=lambda t: deep(timeout_ms))
        print(json.dumps({"armed": "deep", "int_pin": spec.int_pin}))
        return
    t0 = time.ticks_ms()
    woke = "timer"
    while time.ticks_diff(time.ticks_ms(), t0) < timeout_ms:
        machine.lightsleep(POLL_MS)
        if imu.motion():
            woke = "motion"
            break
    print(json.dumps({"armed": "polled", "woke": woke}))


def deep(timeout_ms):
    machine.deepsleep(timeout_ms)


main()
