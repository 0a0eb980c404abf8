"""MPU-6050 and MPU-6886 drivers over their register-level chip models, on the MicroPython port:
the checks every driver passes (imu_contract.ImuDriverContract), and the InvenSense specifics."""

from calfraise_fw.imu.mpu6xxx import MPU6050, MPU6886, nearest_rate
from imu_contract import ImuDriverContract


class TestMpu6xxx(ImuDriverContract):
    DRIVERS = {"mpu6050": MPU6050, "mpu6886": MPU6886}
    ADDR = 0x68  # AD0 low
    RATES = ((50, 50), (104, 100), (208, 200))  # whole divisions of 1 kHz
    ACCEL_LSB, GYRO_LSB = 4096, 32.8  # +-8 g (PS 6.2), +-1000 deg/s (RM 4.19)
    STALL_MS = 3000  # the 1 kB FIFO holds 85 samples at most

    def check_overflow_read(self, count):
        """The 1024-byte FIFO is no whole number of frames: after an overflow it is no longer
        aligned, so the read that found it flushed it and returned nothing."""
        assert count == 0


def test_rate_choice_is_the_nearest_whole_rate_from_40_hz():
    chosen = [nearest_rate(hz)[0] for hz in (1, 40, 50, 52, 75, 104, 208, 5000)]
    assert chosen == [40, 40, 50, 50, 100, 100, 200, 1000]
