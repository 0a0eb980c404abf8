"""The PC twin's energy meter: simulated time spent in each power state of the board.

A state is the CPU's ("240", "160", "80" MHz awake, "light" or "deep" sleep) with the radio's
("off", "on": up but silent, "adv<ms>": advertising every <ms>, "conn": a central connected).
The fake `machine` and `bluetooth` modules switch the parts; report() prints the totals as a
{"type": "sim.meter", "ms": {"80|adv1000": ms, ...}, "n": {...}} line (the runner adds up the
boots), and the bench turns them into charge with each part's datasheet current
(calfraise.bench.power).

The awake windows between light sleeps are counted apart ("n"): how many light-sleep wakes,
and the I2C transfers and bytes in those windows. The twin's clock does not run for the CPU's
work, so the ms booked in a window are this PC's, not the ESP32's; the bench prices a window
from what it did (the bus traffic, the samples) instead, and takes its booked ms ("window_ms")
back out.
"""

import json
import time

_state = {"cpu": "160", "radio": "off"}  # MicroPython's ESP32 port boots at 160 MHz
_ms = {}
_since = time.sim_ms()
# made once: a bus transfer counts into existing keys, which allocates nothing
_n = {"wakes": 0, "window_ms": 0, "window_transfers": 0, "window_bytes": 0}
_window = bytearray(1)  # 1: in the awake window after a light sleep
_window_from = time.sim_ms()


def _close():
    global _since
    now = time.sim_ms()
    key = _state["cpu"] + "|" + _state["radio"]
    _ms[key] = _ms.get(key, 0) + now - _since
    _since = now


def switch(part, value):
    """From now on `part` ("cpu" or "radio") is in state `value` (which ends an awake window:
    the radio advertising again, the clock changed, a sleep)."""
    if _state[part] != value:
        asleep()
        _close()
        _state[part] = value


def state(part):
    return _state[part]


def asleep():
    """The awake window after the last light sleep, if any, ends."""
    if _window[0]:
        _window[0] = 0
        _n["window_ms"] += time.sim_ms() - _window_from


def woke_light():
    """A light sleep ended: its awake window begins."""
    global _window_from
    _n["wakes"] += 1
    _window[0] = 1
    _window_from = time.sim_ms()


def transfer(nbytes):
    """An I2C transfer of nbytes data bytes (counted in an awake window only)."""
    if _window[0]:
        _n["window_transfers"] += 1
        _n["window_bytes"] += nbytes


def report():
    """Print the totals since this boot (before the process ends)."""
    asleep()
    _close()
    print(json.dumps({"type": "sim.meter", "t_ms": time.sim_ms(), "ms": _ms, "n": _n}))
