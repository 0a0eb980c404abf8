"""The board's button, polled: short presses and long presses become events.

Polling every 20 ms debounces for free and needs no interrupt handler. A press shorter than
2 s is "short" (start/stop a session); holding it 2 s is "long" (pairing mode), reported
as soon as the time is reached, not on release.
"""

import asyncio
import time

from machine import Pin
from micropython import const

_POLL_MS = const(20)
_LONG_MS = const(2000)


class Button:
    def __init__(self, spec, on_press):
        if spec.pull_up:
            self._pin = Pin(spec.pin, Pin.IN, Pin.PULL_UP)
        else:
            self._pin = Pin(spec.pin, Pin.IN)
        self._active = 0 if spec.active_low else 1
        self._on_press = on_press  # on_press("short" | "long")
        self.heartbeat_ms = time.ticks_ms()  # for the supervisor

    def pressed(self):
        return self._pin.value() == self._active

    async def run(self):
        down_ms = None
        long_sent = False
        while True:
            await asyncio.sleep_ms(_POLL_MS)
            now = self.heartbeat_ms = time.ticks_ms()
            if self.pressed():
                if down_ms is None:
                    down_ms = now
                    long_sent = False
                elif not long_sent and time.ticks_diff(now, down_ms) >= _LONG_MS:
                    long_sent = True
                    self._on_press("long")
            elif down_ms is not None:
                if not long_sent:
                    self._on_press("short")
                down_ms = None
