"""`time` for the firmware on the unix port: the real module, on a clock that can skip waits.

asyncio waits through select.poll().ipoll(dt) (see select.py). In fast mode that wait is not
slept but added to this clock, so a 30-minute session replays in seconds while every tick the
firmware and the simulated chips see stays consistent. Real elapsed time still counts,
unless the sim config says "clock": "waits": then only the firmware's waits move the clock
(sleeps, skipped asyncio waits), so a run does the same on a loaded machine (the driver tests).
This file shadows the built-in `time` (MicroPython lets a .py file extend a built-in module).

time() and time_ns() read the board's RTC (machine.RTC sets it): after a power-on it counts from
2000-01-01, as an ESP32's does; save_rtc() keeps its reading in the file the sim config names
("rtc_file") across a reset, so it runs on through the reboot as the real one does.
"""

import gc
import json
import sys

_path = sys.path
sys.path = []
try:
    import time as _real
    from time import *  # noqa: F403  (everything not redefined below)
finally:
    sys.path = _path

from simhw import config  # noqa: E402

# The clock is kept in small ints (ms and the µs beyond), as a board's ticks are: a 32-bit port
# makes a long int of anything past 2**30 (18 minutes in µs), and every long int the clock made
# would be garbage in the firmware's heap, a board's timer makes none.
_PERIOD = _real.ticks_add(0, -1) + 1  # ticks_ms/us wrap here (2**30 on a 32-bit port)
_HALF = _PERIOD // 2
_REAL_COUNTS = config.get("clock", "real") == "real"  # "waits": real time does not count
_last_us = _real.ticks_us()
_real_ms = _real_sub = 0  # real time since the run started: ms, and µs beyond (0..999)
# skipped time (a board waking from deep sleep: its clock ran on): ms, and µs beyond
_skipped_ms, _skipped_sub = divmod(config.get("start_us", 0), 1000)


def _on_circle(t, d):
    """t + d on the ticks circle, in -_HALF.._HALF - 1 (small ints only, unless d is huge)."""
    if not -_HALF <= d < _HALF:  # a long sleep: once
        d = (d + _HALF) % _PERIOD - _HALF
    t += d
    if t >= _HALF:
        t -= _HALF
        t -= _HALF
    elif t < -_HALF:
        t += _HALF
        t += _HALF
    return t


# the skipped time on the ticks circle, as ticks_ms() and ticks_us() add it
_skipped_ms_t = _on_circle(0, _skipped_ms)
_skipped_us_t = _on_circle(0, config.get("start_us", 0))
_on_skip = []  # callables run after every skip: watchdog, power-off
_Y2K_US = 946684800 * 1000000  # an ESP32's RTC after a power-on, in Unix µs


def _rtc_file():
    from simhw import config  # noqa: PLC0415  (config imports nothing of ours: no cycle)

    return config.get("rtc_file")


def _saved_rtc():
    """(RTC reading in Unix µs now, reset cause) kept by save_rtc(), or (None, None)."""
    path = _rtc_file()
    if path is None:
        return None, None
    try:
        with open(path) as f:
            saved = json.load(f)
    except (OSError, ValueError):
        return None, None
    return saved["rtc_us"] + _real.time_ns() // 1000 - saved["real_us"], saved["cause"]


_rtc_at_start_us, reset_cause = _saved_rtc()  # the RTC when this run began; why it rebooted
if _rtc_at_start_us is None:
    _rtc_at_start_us = _Y2K_US


def rtc_us():
    """The RTC's reading, Unix µs."""
    return _rtc_at_start_us + sim_us()


def set_rtc_us(unix_us):
    """A board's RTC is registers, this a long int that lives on: made after a collect, it takes
    the heap's lowest hole instead of splitting the firmware's free blocks (a host sets the
    clock at each sync)."""
    global _rtc_at_start_us
    _rtc_at_start_us = None
    gc.collect()
    _rtc_at_start_us = unix_us - sim_us()


def save_rtc(cause):
    """The board resets (machine.RESET cause): its RTC runs on through the reboot."""
    path = _rtc_file()
    if path is not None:
        with open(path, "w") as f:
            json.dump({"rtc_us": rtc_us(), "real_us": _real.time_ns() // 1000, "cause": cause}, f)


def lose_rtc():
    """The power is gone: the next boot's RTC starts over."""
    path = _rtc_file()
    if path is not None:
        import os  # noqa: PLC0415

        try:
            os.remove(path)
        except OSError:
            pass


def sim_us():
    """Simulated microseconds since the run started (never wraps: a 32-bit port's ticks_us
    wraps every 2**30 µs, under 18 minutes, and the run goes on for hours)."""
    _passed()
    return (_real_ms + _skipped_ms) * 1000 + _real_sub + _skipped_sub


def _passed():
    """The real time since the last look, added."""
    global _last_us, _real_ms, _real_sub
    if not _REAL_COUNTS:
        return
    now = _real.ticks_us()
    _real_sub += _real.ticks_diff(now, _last_us)
    _last_us = now
    if _real_sub >= 1000:
        _real_ms += _real_sub // 1000
        _real_sub %= 1000


def sim_ms():
    _passed()
    return _real_ms + _skipped_ms + (_real_sub + _skipped_sub) // 1000


def sim_sub_us():
    """The µs beyond the ms that sim_ms() gave at its last call: together a mark for
    since_us(), which stays a small int for 18 minutes."""
    return (_real_sub + _skipped_sub) % 1000


def since_us(ms, sub):
    """Simulated µs from the mark (ms, sub) (sim_ms(), then sim_sub_us()) to now."""
    _passed()
    return (_real_ms + _skipped_ms - ms) * 1000 + _real_sub + _skipped_sub - sub


def skip_us(us):
    """Let `us` microseconds pass without sleeping them."""
    global _skipped_ms, _skipped_sub, _skipped_ms_t, _skipped_us_t
    _skipped_us_t = _on_circle(_skipped_us_t, us)
    _skipped_sub += us
    if _skipped_sub >= 1000:
        ms = _skipped_sub // 1000
        _skipped_sub -= ms * 1000
        _skipped_ms += ms
        _skipped_ms_t = _on_circle(_skipped_ms_t, ms)
    for hook in _on_skip:
        hook()


def on_skip(hook):
    _on_skip.append(hook)


_on_real = []  # callables run after a real wait (realtime mode): the watchdog


def on_real(hook):
    _on_real.append(hook)


def real_passed():
    for hook in _on_real:
        hook()


def wait_real_ms(ms):
    """Wait for real (a sleeping virtual device waits for its host); the clock counts it."""
    _real.sleep_ms(ms)
    real_passed()


def ticks_ms():
    return _real.ticks_add(_real.ticks_ms() if _REAL_COUNTS else 0, _skipped_ms_t)


def ticks_us():
    return _real.ticks_add(_real.ticks_us() if _REAL_COUNTS else 0, _skipped_us_t)


def sleep_ms(ms):
    skip_us(ms * 1000)


def sleep_us(us):
    skip_us(us)


def sleep(s):
    skip_us(int(s * 1000000))


def time():
    return rtc_us() // 1000000


def time_ns():
    return rtc_us() * 1000


def localtime(secs=None):
    return _real.localtime(time() if secs is None else secs)


def gmtime(secs=None):
    return _real.gmtime(time() if secs is None else secs)
