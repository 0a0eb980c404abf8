"""Runs on the board (make hil, through mpremote) and on the unix port's simulated board: the
board's IMU, from its board file, read for SECONDS while the board lies still. Prints one JSON
line: driver, output rate, samples read, and per axis the mean and spread, in g and deg/s.
"""

import json
import time
from array import array

from calfraise_fw.imu import open_board_imu
from calfraise_fw.startup import load_board

SECONDS = 2
SETTLE_MS = 200  # the first samples after a start can hold the filters' transient


def _stats(sums, squares, n, scale):
    means = [sums[c] / n / scale[c] for c in range(6)]
    spreads = [max(0.0, squares[c] / n / scale[c] ** 2 - means[c] ** 2) ** 0.5 for c in range(6)]
    return means, spreads


def main():
    board = load_board()
    _, imu = open_board_imu(board)
    imu.start()
    out = array("h", bytes(2 * 6 * 64))
    time.sleep_ms(SETTLE_MS)
    imu.read(out)
    sums = [0.0] * 6
    squares = [0.0] * 6
    n = 0
    t0 = time.ticks_ms()
    while time.ticks_diff(time.ticks_ms(), t0) < SECONDS * 1000:
        time.sleep_ms(50)
        k = imu.read(out)
        for i in range(6 * k):
            v = out[i]
            sums[i % 6] += v
            squares[i % 6] += v * v
        n += k
    scale = [imu.accel_lsb_per_g] * 3 + [imu.gyro_lsb_per_dps] * 3
    means, spreads = _stats(sums, squares, max(n, 1), scale)
    result = {
        "kind": board.imu.kind,
        "rate_hz": imu.rate_hz,
        "samples": n,
        "seconds": time.ticks_diff(time.ticks_ms(), t0) / 1000,
        "accel_g": means[:3],
        "gyro_dps": means[3:],
        "accel_spread_g": spreads[:3],
        "gyro_spread_dps": spreads[3:],
        "overflows": imu.overflows,
        "i2c_errors": imu.errors,
    }
    print(json.dumps(result))


main()
