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
from array import array

# Made once, so that booking a state allocates nothing that lives on between the firmware's
# objects: each state name met is kept as bytes in a slot of _names, the ms per (cpu, radio)
# pair of slots in _ms.
_NAME = 12  # bytes a state name may take
_SLOTS = 12  # state names a run may meet (5 CPU states, 3 radio ones and advertising rates)
_names = bytearray(_NAME * _SLOTS)
_lens = bytearray(_SLOTS)  # 0: the slot is free
_ms = array("I", bytes(4 * _SLOTS * _SLOTS))  # "I": 4 bytes on both ports
_state = bytearray(2)  # the slots of the CPU's state and the radio's
_PARTS = ("cpu", "radio")
_since = time.sim_ms()
# made once: a bus transfer counts into existing keys, which allocates nothing
_n = {"wakes": 0, "window_ms": 0, "window_transfers": 0, "window_bytes": 0}
_window = bytearray(1)  # 1: in the awake window after a light sleep
_window_from = time.sim_ms()


def _slot(name):
    """The slot of state `name`, taken now if it is new."""
    data = name.encode()
    for i in range(_SLOTS):
        if _lens[i] == len(data) and _names[i * _NAME : i * _NAME + len(data)] == data:
            return i
        if not _lens[i]:
            _names[i * _NAME : i * _NAME + len(data)] = data
            _lens[i] = len(data)
            return i
    raise ValueError("meter: too many states")


def _name(i):
    return _names[i * _NAME : i * _NAME + _lens[i]].decode()


_state[0] = _slot("160")  # MicroPython's ESP32 port boots at 160 MHz
_state[1] = _slot("off")


def _close():
    global _since
    now = time.sim_ms()
    _ms[_state[0] * _SLOTS + _state[1]] += now - _since
    _since = now


def switch(part, value):
    """From now on `part` ("cpu" or "radio") is in state `value` (which ends an awake window:
    the radio advertising again, the clock changed, a sleep)."""
    i = _PARTS.index(part)
    slot = _slot(value)
    if _state[i] != slot:
        asleep()
        _close()
        _state[i] = slot


def state(part):
    return _name(_state[_PARTS.index(part)])


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
    ms = {}
    for i in range(_SLOTS * _SLOTS):
        if _ms[i]:
            ms[_name(i // _SLOTS) + "|" + _name(i % _SLOTS)] = _ms[i]
    print(json.dumps({"type": "sim.meter", "t_ms": time.sim_ms(), "ms": ms, "n": _n}))
