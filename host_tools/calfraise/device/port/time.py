"""`time` for the firmware on the unix port: the real module, on a clock that can skip waits.

asyncio waits through select.poll().ipoll(dt) (see select.py). In fast mode that wait is not
slept but added to this clock, so a 30-minute session replays in seconds while every tick the
firmware and the simulated chips see stays consistent. Real elapsed time still counts.
This file shadows the built-in `time` (MicroPython lets a .py file extend a built-in module).
"""

import sys

_path = sys.path
sys.path = []
try:
    import time as _real
    from time import *  # noqa: F403  (everything not redefined below)
finally:
    sys.path = _path

from simhw import config  # noqa: E402

_start_us = _real.ticks_us()
_skipped_us = config.get("start_us", 0)  # a board waking from deep sleep: its clock ran on
_on_skip = []  # callables run after every skip: watchdog, power-off


def sim_us():
    """Simulated microseconds since the run started (never wraps)."""
    return _real.ticks_us() - _start_us + _skipped_us


def sim_ms():
    return sim_us() // 1000


def skip_us(us):
    """Let `us` microseconds pass without sleeping them."""
    global _skipped_us
    _skipped_us += us
    for hook in _on_skip:
        hook()


def on_skip(hook):
    _on_skip.append(hook)


def ticks_ms():
    return _real.ticks_ms() + _skipped_us // 1000


def ticks_us():
    return _real.ticks_us() + _skipped_us


def sleep_ms(ms):
    skip_us(ms * 1000)


def sleep_us(us):
    skip_us(us)


def sleep(s):
    skip_us(int(s * 1000000))


def time():
    return _real.time() + _skipped_us // 1000000


def time_ns():
    return _real.time_ns() + _skipped_us * 1000


def localtime(secs=None):
    return _real.localtime(time() if secs is None else secs)


def gmtime(secs=None):
    return _real.gmtime(time() if secs is None else secs)
