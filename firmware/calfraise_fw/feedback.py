"""What the athlete sees: a short flash per rep, distinct cues for a set's target and its end,
an optional tempo metronome during a session, and a steady error blink while the IMU is gone.

Events choose a pattern (colour, ms steps); one task plays it. A newer pattern cuts an older
one short, so the light never lags behind the reps.
"""

import asyncio

OFF = (0, 0, 0)
GREEN = (0, 255, 0)
AMBER = (255, 110, 0)
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)
RED = (255, 0, 0)
DIM_UP = (0, 40, 10)  # metronome: heels going up
DIM_DOWN = (0, 10, 40)  # ... and coming down

PATTERNS = {
    "boot": ((WHITE, 300),),
    "rep": ((GREEN, 80),),
    "partial": ((AMBER, 80),),
    "target": ((GREEN, 100), (OFF, 100), (GREEN, 100), (OFF, 100), (GREEN, 100)),
    "set_end": ((BLUE, 600),),
    "start": ((WHITE, 150), (OFF, 100), (WHITE, 150)),
    "stop": ((BLUE, 300), (OFF, 150), (BLUE, 300), (OFF, 150), (BLUE, 300)),
    "long_press": ((BLUE, 1000),),
}
ERROR_BLINK = ((RED, 100), (OFF, 400))


class Feedback:
    def __init__(self, led, settings):
        self.led = led
        self.settings = settings
        self.in_session = False
        self.errors = set()  # what is wrong now: "imu", later "storage_full"
        self._pattern = PATTERNS["boot"]
        self._wake = asyncio.Event()

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
        elif kind == "error" and event["code"].startswith("imu"):
            self.errors.add("imu")
            self._wake.set()
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
                self.led.show(*OFF)
                await self._wake.wait()
                self._wake.clear()
                continue
            for colour, ms in pattern:
                self.led.show(*colour)
                if await self._interrupted(ms):
                    break

    def _background(self):
        """The pattern when no event asks for one: an error blink, or the metronome."""
        if self.errors:
            return ERROR_BLINK
        if self.in_session and self.settings["tempo_cue"]:
            s = self.settings
            return ((DIM_UP, s["tempo_up_ms"]), (DIM_DOWN, s["tempo_down_ms"]))
        return None

    async def _interrupted(self, ms):
        """Wait ms; True if a new pattern arrived meanwhile."""
        self._wake.clear()
        try:
            await asyncio.wait_for_ms(self._wake.wait(), ms)
        except asyncio.TimeoutError:
            return False
        return self._pattern is not None
