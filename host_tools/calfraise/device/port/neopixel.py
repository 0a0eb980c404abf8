"""`neopixel` for the firmware on the unix port: the real API; writes are logged when the sim
config asks for it ("log_outputs")."""

import json
import time

from simhw import config


class NeoPixel:
    ORDER = (1, 0, 2, 3)

    def __init__(self, pin, n, *, bpp=3, timing=1):
        self.pin = pin
        self.n = n
        self.bpp = bpp
        self._pixels = [(0,) * bpp for _ in range(n)]
        self._shown = None

    def __len__(self):
        return self.n

    def __setitem__(self, i, value):
        self._pixels[i] = tuple(value)

    def __getitem__(self, i):
        return self._pixels[i]

    def fill(self, value):
        for i in range(self.n):
            self._pixels[i] = tuple(value)

    def write(self):
        lit = max(self._pixels)
        if lit != self._shown and config.get("log_outputs"):
            print(json.dumps({"type": "sim.led", "t_ms": time.sim_ms(), "rgb": list(lit)}))
        self._shown = lit
