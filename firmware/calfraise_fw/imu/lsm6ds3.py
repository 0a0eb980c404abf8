"""LSM6DS3 and LSM6DS3TR-C: the pattern FIFO (sources: imu/lsm6ds.py).

They queue untagged 16-bit words in a repeating pattern, here gyro x, y, z then accel x, y, z
(AN 8.5.1); FIFO_PATTERN names the word read next, so after an overflow has cut a data set the
driver skips to the next whole one and stays aligned.
"""

from micropython import const

from calfraise_fw.imu.lsm6ds import SAMPLE, Lsm6ds

_FIFO_CTRL3 = const(0x08)  # DEC_FIFO_GYRO[5:3] DEC_FIFO_XL[2:0]
_FIFO_CTRL5 = const(0x0A)  # ODR_FIFO[6:3] FIFO_MODE[2:0]
_FIFO_DATA_OUT_L = const(0x3E)  # a burst reads L, H, L, H...: each H pops a word (AN 8.4)
_NO_DECIMATION = const(0x09)  # DEC_FIFO_GYRO = DEC_FIFO_XL = 001 (DS tables 33, 34)
_OVER_RUN = const(0x40)  # FIFO_STATUS2: completely filled, the oldest overwritten (AN 8.1.7)
_TAP_CFG = const(0x58)  # LSM6DS3TR-C: INTERRUPTS_ENABLE[7]; both: LIR[0] (latched interrupts)
_PATTERN = const(6)  # words in the repeating pattern: Gx Gy Gz XLx XLy XLz (AN 8.5.1)


class _PatternFifo(Lsm6ds):
    FRAME = SAMPLE
    FIFO_MODE_REG = _FIFO_CTRL5
    FIFO_WORDS = 0  # capacity in 16-bit words
    DIFF_HIGH = 0  # FIFO_STATUS2 bits holding DIFF_FIFO's upper part

    def __init__(self, i2c, addr, *, rate_hz=104, axes="x,y,z", bus="I2C"):
        super().__init__(i2c, addr, rate_hz=rate_hz, axes=axes, bus=bus)
        self._status = bytearray(4)
        raw = memoryview(self.raw)
        self._words = [raw[: 2 * k] for k in range(2 * _PATTERN)]  # views of k words
        self._fresh = True  # the first sample since the FIFO restarted is still ahead

    def _batch(self, code):
        self.write_reg(_FIFO_CTRL3, _NO_DECIMATION)
        self._fifo_cfg = code << 3  # ODR_FIFO = the sensors' ODR

    def _flush(self):
        super()._flush()
        self._fresh = True

    def read(self, out):
        status = self._status
        due = self._read_status(status)
        words = status[0] | (status[1] & self.DIFF_HIGH) << 8
        overflowed = status[1] & _OVER_RUN
        if overflowed and not words:
            words = self.FIFO_WORDS  # a full FIFO's DIFF_FIFO wraps to 0 (AN table 64)
        # FIFO_PATTERN is the word read next: words of a set an overwrite has cut come first.
        skip = (_PATTERN - (status[2] | (status[3] & 3) << 8)) % _PATTERN
        if skip > words:
            skip = words
        if self._fresh and words - skip >= _PATTERN:
            skip += _PATTERN  # DS 5.5: discard the first sample after a FIFO mode switch
            self._fresh = False
        if overflowed and words - skip >= _PATTERN:
            # A full FIFO keeps overwriting: a sample arriving before the burst would shift
            # every word by a set. Dropping the oldest whole set leaves room for it.
            skip += _PATTERN
        available = (words - skip) // _PATTERN
        self._account(due, available, overflowed)
        if skip and not self._discard(skip):
            return self._abandon(0, available)
        done = self.bursts(_FIFO_DATA_OUT_L, available, out)
        if self.broken:
            return self._abandon(done, available)
        self._left = available - done
        return done

    def _discard(self, words):
        """Read and drop `words` FIFO words; False (and counted) if the transfer failed."""
        try:
            self.i2c.readfrom_mem_into(self.addr, _FIFO_DATA_OUT_L, self._words[words])
        except OSError:
            self.errors += 1
            return False
        return True


class LSM6DS3(_PatternFifo):
    """Standby at 13 Hz, its slowest rate (AN4650 5.4; it has no 1.6 Hz)."""

    NAME = "LSM6DS3"
    WAKE_CFG = ((_TAP_CFG, 0x01),)  # LIR
    WHO_AM_I = (0x69,)  # lsm6ds3_reg.h LSM6DS3_ID
    FIFO_WORDS = 4096  # 8 kbyte (AN4650)
    FIFO_SAMPLES = 4096 // _PATTERN
    DIFF_HIGH = 0x0F  # DIFF_FIFO[11:8] (lsm6ds3_reg.h fifo_status2)


class LSM6DS3TRC(_PatternFifo):
    """Standby at 1.6 Hz (ODR_XL 1011, low-power only; DS table 52): a slope over 0.6 s, a
    slow heel raise's rise, rather than the jerk between two samples 20 ms apart."""

    NAME = "LSM6DS3TR-C"
    WAKE_ODR = 11
    WAKE_CFG = ((_TAP_CFG, 0x81),)  # INTERRUPTS_ENABLE | LIR (AN5130 5.4)
    WHO_AM_I = (0x6A,)  # DS 9.12
    FIFO_WORDS = 2048  # 4 kbyte (AN 8, table 64)
    FIFO_SAMPLES = 2048 // _PATTERN
    DIFF_HIGH = 0x07  # DIFF_FIFO[10:8] (DS table 141)
