"""`machine` for the firmware on the unix port: the ESP32 API, over simulated hardware.

I2C reaches the chip models in simhw (register-level, with injected faults); Pin reads the
scripted button and records outputs; ADC reads configured millivolts; WDT resets the "board"
(ends the run with exit code 3) when not fed in time; RTC is the clock time.time() reads, kept
through resets (port/time.py) and lost with the power. Only what the firmware uses, with the
real signatures, so the same code runs here and on the ESP32.
"""

import json
import sys
import time

from simhw import config, flash
from simhw.bus import bus

EXIT_WDT = 3  # process exit code of a watchdog reset
EXIT_RESET = 4  # ... of machine.reset()

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5


def _emit(record):
    record["t_ms"] = time.sim_ms()
    print(json.dumps(record))


def reset():
    _emit({"type": "sim.reset", "cause": "machine.reset"})
    time.save_rtc(SOFT_RESET)
    sys.exit(EXIT_RESET)


def soft_reset():
    reset()


def reset_cause():
    return time.reset_cause or config.get("reset_cause", PWRON_RESET)


def _days_from_civil(y, m, d):
    """Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


class RTC:
    """The ESP32's RTC: datetime() reads or sets (year, month, day, weekday, hours, minutes,
    seconds, subseconds in µs), UTC; time.time() follows it."""

    def __init__(self, id=0):  # noqa: A002
        pass

    def datetime(self, datetimetuple=None):
        if datetimetuple is None:
            us = time.rtc_us()
            t = time.gmtime(us // 1000000)
            return (t[0], t[1], t[2], t[6], t[3], t[4], t[5], us % 1000000)
        y, mo, d, _wd, h, mi, s, sub = datetimetuple
        seconds = _days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s
        time.set_rtc_us(seconds * 1000000 + sub)
        return None

    def init(self, datetimetuple):
        self.datetime(datetimetuple)


def unique_id():
    return bytes.fromhex(config.get("unique_id", "24a160c0ffee"))


def freq(hz=None):
    return 240000000


def idle():
    pass


class I2C:
    def __init__(self, id=-1, *, scl=None, sda=None, freq=400000, timeout=50000):  # noqa: A002
        self._bus = bus()

    def scan(self):
        return sorted(self._bus.chips)

    def readfrom_mem_into(self, addr, memaddr, buf, *, addrsize=8):
        self._bus.read(addr, memaddr, buf, len(buf))

    def readfrom_mem(self, addr, memaddr, nbytes, *, addrsize=8):
        buf = bytearray(nbytes)
        self._bus.read(addr, memaddr, buf, nbytes)
        return bytes(buf)

    def writeto_mem(self, addr, memaddr, buf, *, addrsize=8):
        self._bus.write(addr, memaddr, buf, len(buf))


SoftI2C = I2C


class Pin:
    IN = 1
    OUT = 3
    OPEN_DRAIN = 7
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_RISING = 1
    IRQ_FALLING = 2

    def __init__(self, id, mode=-1, pull=-1, *, value=None):  # noqa: A002
        self.id = id
        self._level = 0 if value is None else int(bool(value))
        button = config.get("button")
        self._button = button if button and button.get("pin") == id else None

    def init(self, mode=-1, pull=-1, *, value=None):
        if value is not None:
            self.value(value)

    def value(self, x=None):
        if x is None:
            if self._button is not None:
                return self._button_level()
            return self._level
        level = int(bool(x))
        if level != self._level and config.get("log_outputs"):
            _emit({"type": "sim.pin", "pin": self.id, "value": level})
        self._level = level
        return None

    def _button_level(self):
        now = time.sim_ms()
        pressed = False
        for at_ms, duration_ms in self._button.get("presses", ()):
            if at_ms <= now < at_ms + duration_ms:
                pressed = True
        active_low = self._button.get("active_low", True)
        return int(pressed != active_low)

    def __call__(self, x=None):
        return self.value(x)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)


class ADC:
    ATTN_0DB = 0
    ATTN_2_5DB = 1
    ATTN_6DB = 2
    ATTN_11DB = 3

    def __init__(self, pin, *, atten=ATTN_11DB):
        self._mv = config.get("adc_mv", {}).get(str(pin.id), 0)

    def read_uv(self):
        return self._mv * 1000

    def read_u16(self):
        return min(65535, self._mv * 65535 // 3300)


class Timer:
    """Periodic callbacks on the simulated clock, run after each skip for the periods that
    passed (mpremote sessions feed the watchdog from one: calfraise.device.remote)."""

    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=0, **kwargs):  # noqa: A002
        self._callback = None
        time.on_skip(self._tick)
        if kwargs:
            self.init(**kwargs)

    def init(self, *, mode=PERIODIC, period=-1, callback=None):
        self._mode = mode
        self._period = max(1, period)
        self._due = time.sim_ms() + self._period
        self._callback = callback

    def deinit(self):
        self._callback = None

    def _tick(self):
        while self._callback is not None and time.sim_ms() >= self._due:
            callback = self._callback
            if self._mode == self.ONE_SHOT:
                self._callback = None
            self._due += self._period
            callback(self)


class WDT:
    """Resets the board (ends the run, exit code 3) when not fed for `timeout` ms."""

    def __init__(self, id=0, timeout=5000):  # noqa: A002
        self._timeout_ms = timeout
        self._fed_ms = time.sim_ms()
        time.on_skip(self._check)
        time.on_real(self._check)

    def feed(self):
        self._check()
        self._fed_ms = time.sim_ms()

    def _check(self):
        if time.sim_ms() - self._fed_ms > self._timeout_ms:
            _emit({"type": "sim.reset", "cause": "watchdog"})
            time.save_rtc(WDT_RESET)
            sys.exit(EXIT_WDT)


def _power_off():
    if time.sim_ms() >= config.get("power_off_ms"):
        _emit({"type": "sim.power_off"})
        time.lose_rtc()
        sys.exit(0)


if config.get("power_off_ms") is not None:
    time.on_skip(_power_off)
flash.mount()  # the board's filesystem, before the firmware opens its first file
