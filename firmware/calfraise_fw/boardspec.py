"""The vocabulary of board files (boards/*.py): what a board has and where it is wired.

A board file builds one `BOARD = Board(...)` from these parts and nothing else, so adding a
board is adding a file. The app reads the parts; tools read `chip` (flashing) and `arch`.
"""

ARCH = {"esp32": "xtensawin", "esp32s3": "xtensawin", "esp32c3": "rv32imc", "unix": "x64"}


class I2CBus:
    def __init__(self, id, scl, sda, freq=400000):  # noqa: A002 (machine.I2C's own name)
        self.id = id
        self.scl = scl
        self.sda = sda
        self.freq = freq

    def __str__(self):
        return f"I2C({self.id}, scl={self.scl}, sda={self.sda})"


class Imu:
    """kind: a driver name (calfraise_fw.imu); axes: the chip's axes in the board frame;
    int_pin: the RTC-capable GPIO its interrupt line (INT / INT1) reaches, None if not wired
    (standby then polls the IMU); int_active_low: the line is shared, open drain."""

    def __init__(self, kind, addr, axes="x,y,z", rate_hz=104, int_pin=None, int_active_low=False):
        self.kind = kind
        self.addr = addr
        self.axes = axes
        self.rate_hz = rate_hz
        self.int_pin = int_pin
        self.int_active_low = int_active_low


class NeoPixelLed:
    """WS2812/SK6812 pixels; power_pin: a GPIO that must be high to power them (or None)."""

    def __init__(self, pin, count=1, power_pin=None):
        self.pin = pin
        self.count = count
        self.power_pin = power_pin


class GpioLed:
    def __init__(self, pin, active_low=False):
        self.pin = pin
        self.active_low = active_low


class Button:
    def __init__(self, pin, active_low=True, pull_up=False):
        self.pin = pin
        self.active_low = active_low
        self.pull_up = pull_up


class AdcBattery:
    """LiPo through a voltage divider: battery mV = pin mV * ratio."""

    def __init__(self, pin, ratio=2.0):
        self.pin = pin
        self.ratio = ratio


class Axp192Battery:
    """The AXP192 power chip on the board's I2C bus reports the battery voltage; off: the
    outputs it powers that the product does not use, switched off at boot ("DCDC2", "DCDC3",
    "LDO2", "LDO3", "EXTEN"; never DC-DC1, the ESP32's own supply)."""

    def __init__(self, addr=0x34, off=()):
        self.addr = addr
        self.off = off


class Board:
    def __init__(
        self,
        name,
        title,
        chip,
        i2c,
        imu,
        led=None,
        button=None,
        battery=None,
        source="",
    ):
        if chip not in ARCH:
            raise ValueError(f"chip {chip!r}: expected one of {', '.join(ARCH)}")
        self.name = name  # the board file's name, as in config.json
        self.title = title
        self.chip = chip  # esptool's --chip (or "unix" for the PC)
        self.arch = ARCH[chip]  # mpy-cross -march
        self.i2c = i2c
        self.imu = imu
        self.led = led
        self.button = button
        self.battery = battery
        self.source = source  # where the pin numbers come from
