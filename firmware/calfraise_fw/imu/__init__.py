"""IMU drivers: each drains its chip's FIFO into raw counts in the board's frame.

open_imu(i2c, kind, addr, ...) builds the driver a board names (open_board_imu: on the bus its
board file wires); the drivers share FifoImu (imu/base.py): identity check, retries, re-init
and the loss counters the app reports.
"""

# kind -> "module.Class" in this package; a board loads only its own driver's module
_DRIVERS = {
    "mpu6050": "mpu6xxx.MPU6050",
    "mpu6886": "mpu6xxx.MPU6886",
    "lsm6ds3": "lsm6ds3.LSM6DS3",
    "lsm6ds3trc": "lsm6ds3.LSM6DS3TRC",
    "lsm6dsox": "lsm6dsox.LSM6DSOX",
}
KINDS = tuple(sorted(_DRIVERS))  # the names a board's Imu.kind may use


def open_imu(i2c, kind, addr, **options):
    """The driver for `kind` (a board's Imu.kind) on i2c at addr; call .start() to use it."""
    import sys

    if kind not in _DRIVERS:
        raise ValueError(f"unknown IMU kind {kind!r} (known: {', '.join(KINDS)})")
    module, cls = _DRIVERS[kind].split(".")
    path = "calfraise_fw.imu." + module
    __import__(path)
    return getattr(sys.modules[path], cls)(i2c, addr, **options)


def open_board_imu(board):
    """The board's I2C bus and its IMU's driver on it, as its board file (boards/*.py) wires
    them: the app and the scripts that run on a board open the IMU here. Call .start()."""
    import machine

    bus, spec = board.i2c, board.imu
    i2c = machine.I2C(bus.id, scl=machine.Pin(bus.scl), sda=machine.Pin(bus.sda), freq=bus.freq)
    imu = open_imu(i2c, spec.kind, spec.addr, rate_hz=spec.rate_hz, axes=spec.axes, bus=str(bus))
    return i2c, imu
