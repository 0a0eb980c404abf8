"""Register-level models of the chips on the simulated I2C bus, by the name boards use."""

_MODELS = {
    "mpu6050": ("simhw.chips.mpu6xxx", "MPU6050"),
    "mpu6886": ("simhw.chips.mpu6xxx", "MPU6886"),
    "lsm6ds3": ("simhw.chips.lsm6ds", "LSM6DS3"),
    "lsm6ds3trc": ("simhw.chips.lsm6ds", "LSM6DS3TRC"),
    "lsm6dsox": ("simhw.chips.lsm6ds", "LSM6DSOX"),
    "axp192": ("simhw.chips.axp192", "AXP192"),
}


def make_chip(kind, addr, world):
    module, cls = _MODELS[kind]
    __import__(module)
    import sys

    return getattr(sys.modules[module], cls)(addr, world)
