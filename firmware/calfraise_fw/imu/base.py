"""What every IMU driver shares: bus access with retries, the identity check, and the counters
the app reports (I2C errors, re-inits, FIFO overflows, samples lost).

Drivers subclass FifoImu and fill in _identify-free parts: _reset(), _configure(), read().
read() must not allocate: bursts go through memoryviews made once and decode into the caller's
array. Bursts come in power-of-two sizes (self.views[i] covers 2**i frames of self.raw), so a
handful of views serves every count.
"""

import time

from micropython import const

from calfraise_fw.imu.frames import decode

_RETRIES = const(3)  # attempts per register access before the driver gives up (ImuError)


class ImuError(Exception):
    """The IMU is absent, is another chip, or keeps failing: str() says which, on which bus."""


class FifoImu:
    NAME = "IMU"  # chip name for messages, e.g. "MPU-6050"
    WHO_AM_I_REG = 0x0F
    WHO_AM_I: tuple = ()  # identities this driver accepts
    FRAME = 12  # FIFO bytes per burst unit (a sample, or a tagged word)
    MAX_BATCH = 32  # burst units per read: a power of two
    FIFO_SAMPLES = 0  # whole samples the FIFO holds (how long the CPU may sleep between drains)
    # the chip's sensitivity at the range the driver sets, as exact fractions (numerator,
    # denominator): counts per g and per deg/s. The host converts a trace with these very
    # numbers (calfraise.boardview), so it reads a trace as the chip does.
    ACCEL_LSB = (0, 1)
    GYRO_LSB = (0, 1)

    def __init__(self, i2c, addr, *, rate_hz=104, axes="x,y,z", bus="I2C"):
        self.i2c = i2c
        self.addr = addr
        self.bus = bus  # how messages name the bus, e.g. "I2C(0, scl=22, sda=21)"
        # the actual output data rate (subclasses set it in their constructor) and scale, so
        # the app can size its detector before the chip ever answers
        self.rate_hz = 0
        self.accel_lsb_per_g = self.ACCEL_LSB[0] / self.ACCEL_LSB[1]
        self.gyro_lsb_per_dps = self.GYRO_LSB[0] / self.GYRO_LSB[1]
        self.raw = bytearray(self.FRAME * self.MAX_BATCH)
        mv = memoryview(self.raw)
        self.views = []
        k = 1
        while k <= self.MAX_BATCH:
            self.views.append(mv[: self.FRAME * k])
            k *= 2
        self.layout = bytearray(14)  # frames.frame_layout() of the chip's FIFO frame
        self.broken = False  # the last bursts() broke off
        self.reg = bytearray(1)
        self.reg2 = bytearray(2)
        self.errors = 0  # failed I2C transfers
        self.reinits = 0  # start() calls after the first
        self.overflows = 0  # FIFO overflows seen
        self.lost = 0  # samples lost to overflows and failed bursts, in all
        self.gap = 0  # samples lost just before the batch the last read() returned
        self.last_read_ms = 0
        self._started = False

    # --- lifecycle ------------------------------------------------------------------------
    def start(self):
        """Check the chip's identity, reset it, configure it and start its FIFO.

        Raises ImuError naming the expected chip, the bus and the address.
        """
        if self._started:
            self.reinits += 1
        self._started = True
        self._identify()
        self._reset()
        self._configure()
        self.last_read_ms = time.ticks_ms()

    def _identify(self):
        try:
            self.i2c.readfrom_mem_into(self.addr, self.WHO_AM_I_REG, self.reg)
        except OSError as err:
            self.errors += 1
            raise ImuError(
                f"{self.NAME} not found at 0x{self.addr:02x} on {self.bus} ({err})"
            ) from err
        if self.reg[0] not in self.WHO_AM_I:
            raise ImuError(
                f"expected {self.NAME} (WHO_AM_I 0x{self.WHO_AM_I[0]:02x}) at 0x{self.addr:02x}"
                f" on {self.bus}, found WHO_AM_I 0x{self.reg[0]:02x}"
            )

    def _reset(self):
        raise NotImplementedError

    def _configure(self):
        raise NotImplementedError

    def read(self, out):
        """Drain the FIFO into out (array('h'), 6 counts a sample: ax, ay, az, gx, gy, gz in the
        board frame); returns the number of samples. Sets self.gap. Raises ImuError."""
        raise NotImplementedError

    def fifo_ms(self):
        """How long the FIFO holds samples at the chosen rate before it overflows."""
        return self.FIFO_SAMPLES * 1000 // self.rate_hz

    # --- standby ----------------------------------------------------------------------------
    def wake_on_motion(self, mg, active_low):
        """Standby: the chip alone, accelerometer only at its low-power rate, raises its INT
        pin (active low: open drain, for a shared line) when it moves more than `mg`, and holds
        it until motion() reads the event. The FIFO stops; start() samples again."""
        raise NotImplementedError

    def motion(self):
        """True if the chip saw motion since it was armed or last asked (clears the event)."""
        raise NotImplementedError

    # --- bus access -----------------------------------------------------------------------
    def read_reg(self, reg):
        self.read_into(reg, self.reg)
        return self.reg[0]

    def write_reg(self, reg, value):
        self.reg[0] = value
        for _ in range(_RETRIES):
            try:
                self.i2c.writeto_mem(self.addr, reg, self.reg)
                return
            except OSError:
                self.errors += 1
        raise self._failed(reg)

    def read_into(self, reg, buf):
        """Register read, retried: registers (unlike the FIFO) read the same twice."""
        for _ in range(_RETRIES):
            try:
                self.i2c.readfrom_mem_into(self.addr, reg, buf)
                return
            except OSError:
                self.errors += 1
        raise self._failed(reg)

    def burst(self, reg, frames):
        """One FIFO burst into self.raw of the largest power of two of units up to `frames` (and
        MAX_BATCH); returns how many it read, or 0 (and counted) if it failed.

        Never retried: the chip has already moved its FIFO on by what it sent.
        """
        i = len(self.views) - 1
        while i and 1 << i > frames:
            i -= 1
        try:
            self.i2c.readfrom_mem_into(self.addr, reg, self.views[i])
            return 1 << i
        except OSError:
            self.errors += 1
            return 0

    def bursts(self, reg, frames, out):
        """Read up to `frames` fixed-layout frames (as many as out holds) from FIFO register
        `reg` in bursts, decoded through self.layout into out; returns how many arrived.
        self.broken tells whether a burst broke off (then the FIFO's alignment is lost)."""
        todo = len(out) // 6
        if frames < todo:
            todo = frames
        done = 0
        self.broken = False
        while done < todo:
            k = self.burst(reg, todo - done)
            if not k:
                self.broken = True
                return done
            decode(self.raw, k, self.layout, out, 6 * done)
            done += k
        return done

    def _failed(self, reg):
        return self._error(f"stopped answering (register 0x{reg:02x}, {_RETRIES} tries)")

    def _error(self, what):
        """ImuError("<chip> at 0x<addr> on <bus> <what>")."""
        return ImuError(f"{self.NAME} at 0x{self.addr:02x} on {self.bus} {what}")

    # --- loss accounting ------------------------------------------------------------------
    def since_last_read(self):
        """Samples the chip made since the previous read() (by the clock), and restart it."""
        now = time.ticks_ms()
        elapsed = time.ticks_diff(now, self.last_read_ms)
        self.last_read_ms = now
        return elapsed * self.rate_hz // 1000
