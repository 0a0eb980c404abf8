"""`neopixel` for the firmware on the unix port: the real API; writes are logged when the sim
config asks for it ("log_outputs")."""

import json
import time

from simhw import config


class NeoPixel:
    """The pixels in one buffer made once, as the real driver keeps them: a colour written
    leaves no object in the firmware's heap."""

    ORDER = (1, 0, 2, 3)

    def __init__(self, pin, n, *, bpp=3, timing=1):
        self.pin = pin
        self.n = n
        self.bpp = bpp
        self.buf = bytearray(n * bpp)
        self._shown = bytearray(bpp)  # the brightest pixel last written
        self._written = False

    def __len__(self):
        return self.n

    def __setitem__(self, i, value):
        self.buf[i * self.bpp : (i + 1) * self.bpp] = bytes(value)

    def __getitem__(self, i):
        return tuple(self.buf[i * self.bpp : (i + 1) * self.bpp])

    def fill(self, value):
        for i in range(self.n):
            self[i] = value

    def write(self):
        lit = max(self[i] for i in range(self.n))
        if (not self._written or self._shown != bytes(lit)) and config.get("log_outputs"):
            print(json.dumps({"type": "sim.led", "t_ms": time.sim_ms(), "rgb": list(lit)}))
        self._shown[:] = bytes(lit)
        self._written = True
