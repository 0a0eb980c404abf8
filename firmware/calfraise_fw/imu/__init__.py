"""IMU drivers: each drains its chip's FIFO into raw counts in the board's frame.

open_imu(i2c, kind, addr, ...) builds the driver a board names; the drivers share FifoImu
(imu/base.py): identity check, retries, re-init and the loss counters the app reports.
"""

_DRIVERS = {
    "mpu6050": ("calfraise_fw.imu.mpu6xxx", "MPU6050"),
    "mpu6886": ("calfraise_fw.imu.mpu6xxx", "MPU6886"),
    "lsm6ds3": ("calfraise_fw.imu.lsm6ds", "LSM6DS3"),
    "lsm6ds3trc": ("calfraise_fw.imu.lsm6ds", "LSM6DS3TRC"),
    "lsm6dsox": ("calfraise_fw.imu.lsm6ds", "LSM6DSOX"),
}
KINDS = tuple(sorted(_DRIVERS))  # the names a board's Imu.kind may use


def open_imu(i2c, kind, addr, **options):
    """The driver for `kind` (a board's Imu.kind) on i2c at addr; call .start() to use it."""
    import sys

    if kind not in _DRIVERS:
        raise ValueError(f"unknown IMU kind {kind!r} (known: {', '.join(KINDS)})")
    module, cls = _DRIVERS[kind]
    __import__(module)
    return getattr(sys.modules[module], cls)(i2c, addr, **options)
