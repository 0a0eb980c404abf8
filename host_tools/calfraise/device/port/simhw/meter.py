"""The PC twin's energy meter: simulated time spent in each power state of the board.

A state is the CPU's ("240", "160", "80" MHz awake, "light" or "deep" sleep) with the radio's
("off", "on": up but silent, "adv<ms>": advertising every <ms>, "conn": a central connected).
The fake `machine` and `bluetooth` modules switch the parts; report() prints the totals as a
{"type": "sim.meter", "ms": {"80|adv1000": ms, ...}} line (the runner adds up the boots), and
the bench turns them into charge with each part's datasheet current (calfraise.bench.power).
"""

import json
import time

_state = {"cpu": "160", "radio": "off"}  # MicroPython's ESP32 port boots at 160 MHz
_ms = {}
_since = time.sim_ms()


def _close():
    global _since
    now = time.sim_ms()
    key = _state["cpu"] + "|" + _state["radio"]
    _ms[key] = _ms.get(key, 0) + now - _since
    _since = now


def switch(part, value):
    """From now on `part` ("cpu" or "radio") is in state `value`."""
    if _state[part] != value:
        _close()
        _state[part] = value


def state(part):
    return _state[part]


def report():
    """Print the totals since this boot (before the process ends)."""
    _close()
    print(json.dumps({"type": "sim.meter", "t_ms": time.sim_ms(), "ms": _ms}))
