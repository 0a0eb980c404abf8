"""LSM6DS3, LSM6DS3TR-C and LSM6DSOX drivers over their register-level chip models, on the
MicroPython port: the checks every driver passes (imu_contract.ImuDriverContract), and the ST
specifics."""

import json

from calfraise_fw.imu.lsm6ds import nearest_odr
from calfraise_fw.imu.lsm6ds3 import LSM6DS3, LSM6DS3TRC
from calfraise_fw.imu.lsm6dsox import LSM6DSOX
from imu_contract import ImuDriverContract


class TestLsm6ds(ImuDriverContract):
    DRIVERS = {"lsm6ds3": LSM6DS3, "lsm6ds3trc": LSM6DS3TRC, "lsm6dsox": LSM6DSOX}
    ADDR = 0x6A  # SA0 low
    RATES = ((50, 52), (104, 104), (208, 208))
    ACCEL_LSB, GYRO_LSB = 1000 / 0.244, 1000 / 35  # +-8 g and +-1000 deg/s (DS table 3)
    DROPS_FIRST = ("lsm6ds3", "lsm6ds3trc")  # DS 5.5: invalid after a FIFO mode switch
    STALL_MS = 10000  # the LSM6DS3's 8 kB FIFO holds 682 samples

    def check_overflow_read(self, count):
        """Pattern and tagged FIFOs stay aligned through an overflow: the read that found it
        went on with the samples that survived."""
        assert count > 0


def test_rate_choice_is_the_nearest_odr_from_52_hz():
    chosen = [nearest_odr(hz)[0] for hz in (1, 50, 52, 78, 100, 104, 160, 208, 300, 5000)]
    assert chosen == [52, 52, 52, 104, 104, 104, 208, 208, 208, 833]


def test_tagged_words_pair_by_time_slot(both_interpreters):
    """Words whose mates were overwritten (gyro of slot 1, accel of slot 2) are dropped, other
    tags skipped, an unpaired word waits for the next read: a pair is one slot's gyro, accel."""
    code = (
        "from calfraise_fw.imu.lsm6dsox import pair_words\n"
        "def words(*specs):\n"
        "    return bytearray(b''.join(bytes([t << 3 | c << 1] + [b + i for i in range(6)])\n"
        "                              for t, c, b in specs))\n"
        "pend, pairs = bytearray(14), bytearray(48)\n"
        "first = words((1, 0, 10), (2, 0, 20), (1, 1, 30), (2, 2, 40), (1, 3, 50), (2, 3, 60),\n"
        "              (3, 3, 90), (2, 0, 70))\n"
        "n = pair_words(first, 8, pend, pairs)\n"
        "print(list(pairs[: 12 * n]))\n"
        "n = pair_words(words((1, 0, 80)), 1, pend, pairs)\n"
        "print(list(pairs[: 12 * n]), pend[12])\n"
    )
    first, second = both_interpreters(code=code).splitlines()
    span = list(range(6))
    assert json.loads(first) == [base + i for base in (10, 20, 50, 60) for i in span]
    assert second == str([base + i for base in (80, 70) for i in span]) + " 0"
