"""What every chip model shares: a register file read and written with auto-increment, a FIFO
of bytes, and a sample clock that fills it from the world at the configured output data rate.

Subclasses decide what registers mean (`on_write`, `on_read`) and what one sample puts into the
FIFO (`produce`). Nothing here allocates after construction.
"""

import time
from array import array

# 1 g and 1 deg/s in the world's units (see simhw/world.py)
G = 100000
DPS = 1000


class RegisterChip:
    def __init__(self, addr, world, fifo_bytes):
        self.addr = addr
        self.world = world
        self.regs = bytearray(256)
        self.fifo = bytearray(fifo_bytes)
        self.fifo_head = 0  # next byte to read
        self.fifo_count = 0
        self.fifo_overflowed = False
        self.sample = array("i", [0, 0, G, 0, 0, 0])  # lying flat and still without a trace
        self._odr_mhz = 0
        # sample k is due at _t0_ms ms + _t0_sub µs + k * _num // _den µs; the start moves on
        # by whole _den samples, so the sums stay small ints (a long int would be garbage in
        # the heap)
        self._t0_ms = self._t0_sub = 0
        self._num = self._den = 1
        self._k = 0
        self._engaged = False  # has a sample reached the FIFO yet (see World.engage)
        self.motion = False  # the wake-on-motion event is up (latched or for this sample)
        self._watching = False  # motion detection ran at the sample before
        self.routed = False  # motion_routed(), kept by the subclass at every register write
        self._last = array("i", [0, 0, G, 0, 0, 0])  # the sample before (slope filters)

    # --- the interrupt line (wake on motion) ----------------------------------------------
    def int_level(self):
        """The INT pin's level: the motion event routed to it, at the configured polarity."""
        self.clock()
        active = bool(self.motion and self.routed)
        return int(active != bool(self.int_active_low()))

    def motion_routed(self):
        return False

    def int_active_low(self):
        return False

    def engage(self):
        """A sample was used (FIFO, motion detection): the trace's time starts, if not yet."""
        if not self._engaged and self.world is not None:
            self._engaged = True
            self.world.engage()

    def watching(self, sample, routed):
        """Whether motion detection runs at this sample: its first sample only seeds the filter
        (the sample before), as the filters start from the first sample they see."""
        if not routed:
            self._watching = False
            return False
        self.engage()
        if not self._watching:
            self._watching = True
            for i in range(3):
                self._last[i] = sample[i]
            return False
        return True

    def moved_beyond(self, sample, reference, threshold, halve=False):
        """True when any accel axis of sample differs from reference by more than threshold
        (world units; halve: ST's slope filter, half the difference); reference <- sample."""
        hit = False
        for i in range(3):
            d = sample[i] - reference[i]
            if halve:
                d //= 2
            if d > threshold or -d > threshold:
                hit = True
            reference[i] = sample[i]
        return hit

    # --- through the ESP32's deep sleep ----------------------------------------------------
    def restore(self, regs, motion):
        """The ESP32 booted again, the chip did not: its registers and its latched motion
        event as they were when the ESP32 woke (machine.deepsleep saves them)."""
        self.regs[:] = regs
        self.motion = motion
        self.resume()

    def resume(self):
        """Follow the restored registers (the rate, the interrupt's routing)."""

    # --- the register interface the bus calls ---------------------------------------------
    def read_into(self, reg, buf, n):
        self.clock()
        for i in range(n):
            buf[i] = self.on_read(reg)
            reg = self.next_reg(reg)

    def write(self, reg, buf, n):
        self.clock()
        for i in range(n):
            self.regs[reg] = buf[i]
            self.on_write(reg, buf[i])
            reg = self.next_reg(reg)

    def next_reg(self, reg):
        return (reg + 1) & 0xFF

    def on_read(self, reg):
        return self.regs[reg]

    def on_write(self, reg, value):
        pass

    # --- sampling -------------------------------------------------------------------------
    def set_odr(self, odr_mhz):
        """Sample at odr_mhz milli-hertz from now on (0: stop)."""
        self._odr_mhz = odr_mhz
        self._t0_ms = time.sim_ms()
        self._t0_sub = time.sim_sub_us()
        self._k = 1
        if odr_mhz:
            g = _gcd(1000000000, odr_mhz)  # _den samples last _num µs exactly
            self._num, self._den = 1000000000 // g, odr_mhz // g

    def clock(self):
        """Produce every sample that came due since the last call."""
        if not self._odr_mhz:
            return
        t0_ms, t0_sub = self._t0_ms, self._t0_sub
        num, den = self._num, self._den
        due = time.since_us(t0_ms, t0_sub) * den // num
        if due < self._k:
            return
        keep = len(self.fifo) // self.sample_bytes() + 1
        if due - self._k >= keep:  # long unread: only the last FIFO-full can survive
            self._k = due - keep + 1
            self.fifo_overflowed = True
        while self._k <= due:
            if self.world is not None:
                self.world.sample(t0_ms, t0_sub + self._k * num // den, self.sample)
            self.produce(self.sample)
            self._k += 1
        if self._k > den:
            turns = (self._k - 1) // den
            self._k -= turns * den
            sub = t0_sub + turns * num
            self._t0_ms = t0_ms + sub // 1000
            self._t0_sub = sub % 1000

    def sample_bytes(self):
        """FIFO bytes one sample takes (for skipping long unread stretches)."""
        return 12

    def produce(self, sample):
        """One sample is due: sample[0:6] holds ax, ay, az (1e-5 g), gx, gy, gz (1e-3 dps)."""

    # --- FIFO -----------------------------------------------------------------------------
    def fifo_push(self, byte):
        """Append a byte; a full FIFO loses its oldest byte and flags the overflow."""
        if not self._engaged:
            self.engage()
        size = len(self.fifo)
        if self.fifo_count == size:
            self.fifo_head = (self.fifo_head + 1) % size
            self.fifo_count -= 1
            self.fifo_overflowed = True
        self.fifo[(self.fifo_head + self.fifo_count) % size] = byte
        self.fifo_count += 1

    def fifo_push_le16(self, value):
        self.fifo_push(value & 0xFF)
        self.fifo_push((value >> 8) & 0xFF)

    def fifo_push_be16(self, value):
        self.fifo_push((value >> 8) & 0xFF)
        self.fifo_push(value & 0xFF)

    def fifo_pop(self):
        """Next FIFO byte, 0 when empty (as the chips read)."""
        if self.fifo_count == 0:
            return 0
        byte = self.fifo[self.fifo_head]
        self.fifo_head = (self.fifo_head + 1) % len(self.fifo)
        self.fifo_count -= 1
        return byte

    def fifo_reset(self):
        self.fifo_head = 0
        self.fifo_count = 0
        self.fifo_overflowed = False


def to_counts(value, lsb_per_unit_x1000, unit):
    """World units to int16 counts at lsb_per_unit_x1000 / 1000 counts per g (or dps), rounded
    half away from zero and saturated like the chip's ADC."""
    num = value * lsb_per_unit_x1000
    den = unit * 1000
    counts = (2 * num + den) // (2 * den) if num >= 0 else -((-2 * num + den) // (2 * den))
    if counts > 32767:
        return 32767
    if counts < -32768:
        return -32768
    return counts


def _gcd(a, b):
    while b:
        a, b = b, a % b
    return a
