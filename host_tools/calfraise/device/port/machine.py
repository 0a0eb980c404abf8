"""`machine` for the firmware on the unix port: the ESP32 API, over simulated hardware.

I2C reaches the chip models in simhw (register-level, with injected faults); Pin reads the
scripted button, the IMU's interrupt line, and records outputs; ADC reads configured
millivolts; WDT resets the "board" (ends the run with exit code 3) when not fed in time; RTC is
the clock time.time() reads, kept through resets (port/time.py) and lost with the power, and
its memory. Power: freq() sets the clock the energy meter (simhw/meter.py) books; lightsleep()
lets simulated time pass until a wake source fires (the timer, or a pin armed by
esp32.wake_on_ext0/ext1), with the chips still sampling; deepsleep() does the same, then ends
the process (exit code 5) after printing where it woke, and the runner boots main.py again
with reset_cause() DEEPSLEEP_RESET and that wake_reason(), the clock and the trace gone on, RTC
memory kept. Only what the firmware uses, with the real signatures, so the same code runs on
the ESP32.
"""

import json
import sys
import time

from simhw import config, flash, meter, wakeup
from simhw.bus import bus

EXIT_WDT = 3  # process exit code of a watchdog reset
EXIT_RESET = 4  # ... of machine.reset()
EXIT_DEEPSLEEP = 5  # ... of machine.deepsleep(): the runner boots the board again

PWRON_RESET = 1
HARD_RESET = 2
WDT_RESET = 3
DEEPSLEEP_RESET = 4
SOFT_RESET = 5
EXT0_WAKE = 2  # wake_reason() values of the ESP32 port
EXT1_WAKE = 3
PIN_WAKE = 2
TIMER_WAKE = 4

_SLEEP_STEP_US = 20000  # how often a sleeping board's wake pins are looked at
_FREQS = (240000000, 160000000, 80000000)  # with the radio: 80 MHz at least
_freq = 160000000
_asleep = False  # the watchdog's clock stops in light sleep; deep sleep resets the board
_wake_pins = {"ext0": None, "ext1": None}  # set by esp32.wake_on_ext0 / wake_on_ext1


def _emit(record):
    record["t_ms"] = time.sim_ms()
    print(json.dumps(record))


def reset():
    meter.report()
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
    seconds, subseconds in µs), UTC; time.time() follows it. Its memory survives deep sleep
    (the runner hands it to the next boot)."""

    _memory = bytes.fromhex(config.get("rtc_memory", ""))

    def __init__(self, id=0):  # noqa: A002
        pass

    def memory(self, data=None):
        if data is None:
            return RTC._memory
        RTC._memory = bytes(data)
        return None

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


def wake_reason():
    return config.get("wake_reason", 0)


def freq(hz=None):
    global _freq
    if hz is None:
        return _freq
    if hz not in _FREQS:
        raise ValueError("frequency must be 20MHz, 40MHz, 80Mhz, 160MHz or 240MHz")
    _freq = hz
    meter.switch("cpu", str(hz // 1000000))
    return None


def arm_wake(source, pins, level):
    """esp32.wake_on_ext0 / wake_on_ext1: pins (ids) and the level that wakes."""
    _wake_pins[source] = (pins, level) if pins else None


def _woken():
    """The wake source whose pins are at their waking level now, or 0."""
    ext0 = _wake_pins["ext0"]
    if ext0 is not None and Pin(ext0[0][0]).value() == ext0[1]:
        return EXT0_WAKE
    ext1 = _wake_pins["ext1"]
    if ext1 is not None:
        pins, any_high = ext1
        levels = [Pin(p).value() for p in pins]
        if (any_high and 1 in levels) or (not any_high and 1 not in levels):
            return EXT1_WAKE
    return 0


def _still_from(now_us):
    """True when nothing can wake a pin from now on: the trace is over, no press to come."""
    for chip in bus().chips.values():
        chip.clock()  # every sample due is made before the trace is looked up at now_us
    world = bus().world
    if world is not None and not world.ended(now_us):
        return False
    button = config.get("button") or {}
    return all(at * 1000 + d * 1000 <= now_us for at, d in button.get("presses", ()))


def _host_wake():
    """A deep-sleeping virtual device whose host looks for it (scans or connects) wakes as by
    the button (EXT1), or the IMU's INT where no button is armed (simhw/wakeup.py)."""
    wakeup.pump()
    if not wakeup.host_looks():
        return 0
    return EXT1_WAKE if _wake_pins["ext1"] is not None else EXT0_WAKE


def _sleep(time_ms, kind):
    """Let simulated time pass asleep until a wake source fires; returns the wake reason (0:
    none ever will). The chips go on sampling (their interrupt lines are read). With a host
    attached (the virtual device) a deep sleep also ends when it looks for the board, and
    waits for that in real time once nothing else will wake it."""
    global _asleep
    _asleep = True
    meter.switch("cpu", kind)
    due_us = time.sim_us() + time_ms * 1000 if time_ms > 0 else None
    reason = 0
    while True:
        reason = _woken() or (_host_wake() if kind == "deep" else 0)
        now = time.sim_us()
        if reason or (due_us is not None and now >= due_us):
            reason = reason or TIMER_WAKE
            break
        if _still_from(now):
            if due_us is None:
                off_ms = config.get("power_off_ms")
                if off_ms is None and kind == "deep" and wakeup.sources:
                    time.wait_real_ms(_SLEEP_STEP_US // 1000)  # until the host looks
                    continue
                if off_ms is None:
                    break  # nothing will ever wake it
                due_us = max(now, off_ms * 1000) + 1000  # the power goes off first
            time.skip_us(due_us - now)
        else:
            step = _SLEEP_STEP_US if due_us is None else min(_SLEEP_STEP_US, due_us - now)
            time.skip_us(step)
    _asleep = False
    meter.switch("cpu", str(_freq // 1000000))
    return reason


def lightsleep(time_ms=0):
    _sleep(time_ms, "light")
    meter.woke_light()
    for wdt in WDT.all:
        wdt.resume()


def deepsleep(time_ms=0):
    slept_from = time.sim_ms()
    reason = _sleep(time_ms, "deep")
    world = bus().world
    chips = bus().chips
    for chip in chips.values():
        chip.clock()  # every sample due by the wake made: the chips stay powered
    record = {
        "type": "sim.deepsleep",
        "from_ms": slept_from,
        "wake_reason": reason,
        "trace_origin_us": None if world is None else world.origin_us,
        "rtc_memory": RTC._memory.hex(),
        "chips": {str(a): [c.regs.hex(), c.motion] for a, c in chips.items()},
    }
    meter.switch("cpu", "deep")
    meter.report()
    _emit(record)
    time.save_rtc(DEEPSLEEP_RESET)  # the RTC runs on through deep sleep
    sys.exit(EXIT_DEEPSLEEP)


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
        line = config.get("imu_int")
        self._imu = bus().chips.get(line["addr"]) if line and line["pin"] == id else None

    def init(self, mode=-1, pull=-1, *, value=None):
        if value is not None:
            self.value(value)

    def value(self, x=None):
        if x is None:
            if self._button is not None:
                return self._button_level()
            if self._imu is not None:
                return self._imu.int_level()
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
        self._steps = config.get("adc_mv_at", {}).get(str(pin.id), ())

    def _now_mv(self):
        """The configured millivolts, or the last step due ([at_ms, mv]: a battery running down)."""
        mv = self._mv
        now = time.sim_ms()
        for at_ms, step_mv in self._steps:
            if at_ms <= now:
                mv = step_mv
        return mv

    def read_uv(self):
        return self._now_mv() * 1000

    def read_u16(self):
        return min(65535, self._now_mv() * 65535 // 3300)


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
    """Resets the board (ends the run, exit code 3) when not fed for `timeout` ms. Its clock
    stops in light sleep (the task watchdog's timer is off with the CPU's clock)."""

    all: list = []

    def __init__(self, id=0, timeout=5000):  # noqa: A002
        self._timeout_ms = timeout
        self._fed_ms = time.sim_ms()
        self._paused_ms = None
        time.on_skip(self._check)
        WDT.all.append(self)
        time.on_real(self._check)

    def feed(self):
        self._check()
        self._fed_ms = time.sim_ms()

    def _check(self):
        if _asleep:
            if self._paused_ms is None:
                self._paused_ms = time.sim_ms()
            return
        if time.sim_ms() - self._fed_ms > self._timeout_ms:
            meter.report()
            _emit({"type": "sim.reset", "cause": "watchdog"})
            time.save_rtc(WDT_RESET)
            sys.exit(EXIT_WDT)

    def resume(self):
        """After a light sleep: the time asleep does not count."""
        if self._paused_ms is not None:
            self._fed_ms += time.sim_ms() - self._paused_ms
            self._paused_ms = None


def _power_off():
    if time.sim_ms() >= config.get("power_off_ms"):
        meter.report()
        _emit({"type": "sim.power_off"})
        time.lose_rtc()
        sys.exit(0)


if config.get("power_off_ms") is not None:
    time.on_skip(_power_off)
if config.get("reset_cause") == DEEPSLEEP_RESET:
    time.skip_us(config.get("boot_ms", 0) * 1000)  # the ROM and MicroPython booting
flash.mount()  # the board's filesystem, before the firmware opens its first file
