"""What the athlete sees: a short flash per rep, distinct cues for a set's target and its end,
an optional tempo metronome during a session, a steady error blink while the IMU is gone, and a
slow blue blink while the pairing window is open.

Led drives the board's light; events choose a pattern (colour, ms, colour, ms, ...); one task
plays it. A newer pattern cuts an older one short, so the light never lags behind the reps.
Colours are 0xRRGGBB.
"""

import time

from machine import Pin
from micropython import const

from calfraise_fw.boardspec import GpioLed, NeoPixelLed
from calfraise_fw.events import Alarm

_OFF = const(0x000000)
_GREEN = const(0x00FF00)
_AMBER = const(0xFF6E00)
_BLUE = const(0x0000FF)
_WHITE = const(0xFFFFFF)
_RED = const(0xFF0000)
_DIM_UP = const(0x00280A)  # metronome: heels going up
_DIM_DOWN = const(0x000A28)  # ... and coming down
_BEAT_MS = const(1000)  # the task beats for the supervisor at least this often

PATTERNS = {
    "boot": (_WHITE, 300),
    "rep": (_GREEN, 80),
    "partial": (_AMBER, 80),
    "target": (_GREEN, 100, _OFF, 100, _GREEN, 100, _OFF, 100, _GREEN, 100),
    "set_end": (_BLUE, 600),
    "start": (_WHITE, 150, _OFF, 100, _WHITE, 150),
    "stop": (_BLUE, 300, _OFF, 150, _BLUE, 300, _OFF, 150, _BLUE, 300),
    "long_press": (_BLUE, 1000),
}
ERROR_BLINK = (_RED, 100, _OFF, 400)
PAIRING_BLINK = (_BLUE, 200, _OFF, 800)
# error events that keep the error blink going until the trouble is over
ERROR_CODES = {"imu_missing": "imu", "imu_failed": "imu", "storage_full": "storage"}


class Led:
    """The board's status light behind one call, show(r, g, b), whatever the board has: NeoPixels
    (colour, scaled by the brightness setting), a plain GPIO LED (on for any colour), or nothing
    (spec: the board's NeoPixelLed, GpioLed or None)."""

    def __init__(self, spec, brightness=40):
        self.brightness = brightness  # 0..255, NeoPixels only
        self._pixels = None
        self._pin = None
        self._power = None  # the pixels' power switch, on only while they are lit: a dark
        # WS2812 still draws ~0.7 mA (QT Py: NEOPIXEL_POWER)
        if isinstance(spec, NeoPixelLed):
            import neopixel

            if spec.power_pin is not None:
                self._power = Pin(spec.power_pin, Pin.OUT, value=0)
            self._pixels = neopixel.NeoPixel(Pin(spec.pin, Pin.OUT), spec.count)
        elif isinstance(spec, GpioLed):
            self._on = 0 if spec.active_low else 1
            self._pin = Pin(spec.pin, Pin.OUT, value=1 - self._on)

    def show(self, r, g, b):
        if self._pixels is not None:
            k = self.brightness
            lit = r or g or b
            if lit and self._power is not None:
                self._power.value(1)
            self._pixels.fill((r * k // 255, g * k // 255, b * k // 255))
            self._pixels.write()
            if not lit and self._power is not None:
                self._power.value(0)
        elif self._pin is not None:
            self._pin.value(self._on if r or g or b else 1 - self._on)


class Feedback:
    def __init__(self, led, settings):
        self.led = led
        self.settings = settings
        self.in_session = False
        self.errors = set()  # what is wrong now: "imu", "storage"
        self.pairing = False  # the pairing window is open
        self._pattern = PATTERNS["boot"]
        self._wake = Alarm()
        self.heartbeat_ms = time.ticks_ms()

    def on_event(self, event):
        kind = event["type"]
        if kind == "rep":
            self.play("partial" if event["partial"] else "rep")
        elif kind in ("target", "set_end"):
            self.play(kind)
        elif kind == "state":
            self.in_session = event["state"] == "in_session"
            self.play("start" if self.in_session else "stop")
        elif kind == "button" and event["press"] == "long":
            self.play("long_press")
        elif kind == "error" and event["code"] in ERROR_CODES:
            self.errors.add(ERROR_CODES[event["code"]])
            self._wake.set()
        elif kind == "pairing":
            self.pairing = event["window"]
            self._wake.set()
        elif kind == "recording":
            self.errors.discard("storage")
        elif kind == "imu":
            self.errors.discard("imu")

    def play(self, name):
        self._pattern = PATTERNS[name]
        self._wake.set()

    async def run(self):
        while True:
            pattern = self._pattern
            self._pattern = None
            if pattern is None:
                pattern = self._background()
            if pattern is None:
                self._show(_OFF)
                while not await self._woken(_BEAT_MS):  # pyright: ignore[reportGeneralTypeIssues] (events.Alarm)
                    pass
                continue
            for i in range(0, len(pattern), 2):
                self._show(pattern[i])
                ms = pattern[i + 1]  # in beats: an event ends the step, a new pattern all of it
                while ms > 0 and not await self._woken(min(ms, _BEAT_MS)):  # pyright: ignore[reportGeneralTypeIssues] (events.Alarm)
                    ms -= _BEAT_MS
                if self._pattern is not None:
                    break

    def _show(self, rgb):
        self.led.show(rgb >> 16, rgb >> 8 & 0xFF, rgb & 0xFF)

    def _background(self):
        """The pattern when no event asks for one: an error blink, the pairing blink, or the
        metronome."""
        if self.errors:
            return ERROR_BLINK
        if self.pairing:
            return PAIRING_BLINK
        if self.in_session and self.settings["tempo_cue"]:
            s = self.settings
            return (_DIM_UP, s["tempo_up_ms"], _DIM_DOWN, s["tempo_down_ms"])
        return None

    def _woken(self, ms):
        """Beat, then the wait of at most ms for an event: awaited, True if one came. Not a
        coroutine: a generator made per beat would be alive at the monitor's gc wherever the
        heap's top was, splitting its free blocks (events.Alarm is made once)."""
        self.heartbeat_ms = time.ticks_ms()
        self._wake.clear()
        return self._wake.wait(ms)
