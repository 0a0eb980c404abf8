"""The board's button, polled: short, long and very long presses become events.

Polling every 20 ms debounces for free and needs no interrupt handler. A press shorter than
3 s is "short" (start/stop a session); holding it 3 s is "long" (opens the pairing window),
8 s "very_long" (forgets every bonded host), each reported as soon as the time is reached,
not on release.
"""

import asyncio
import time

from machine import Pin
from micropython import const

_POLL_MS = const(20)
_LONG_MS = const(3000)
_VERY_LONG_MS = const(8000)


class Button:
    def __init__(self, spec, on_press):
        if spec.pull_up:
            self._pin = Pin(spec.pin, Pin.IN, Pin.PULL_UP)
        else:
            self._pin = Pin(spec.pin, Pin.IN)
        self._active = 0 if spec.active_low else 1
        self._on_press = on_press  # on_press("short" | "long" | "very_long")
        self.heartbeat_ms = time.ticks_ms()  # for the supervisor

    def pressed(self):
        return self._pin.value() == self._active

    async def run(self):
        down_ms = None
        sent = None  # the kind already reported for this press
        while True:
            await asyncio.sleep_ms(_POLL_MS)
            now = self.heartbeat_ms = time.ticks_ms()
            if self.pressed():
                if down_ms is None:
                    down_ms = now
                    sent = None
                    continue
                held = time.ticks_diff(now, down_ms)
                if sent is None and held >= _LONG_MS:
                    sent = "long"
                    self._on_press(sent)
                elif sent == "long" and held >= _VERY_LONG_MS:
                    sent = "very_long"
                    self._on_press(sent)
            elif down_ms is not None:
                if sent is None:
                    self._on_press("short")
                down_ms = None
