"""LSM6DSOX: the tagged FIFO (sources: imu/lsm6ds.py).

The chip tags every 7-byte word with its sensor and a 2-bit time-slot counter; the driver pairs
the gyro and accel words of one slot into a sample.
"""

import micropython
from micropython import const

from calfraise_fw.imu.frames import decode, ptr8
from calfraise_fw.imu.lsm6ds import SAMPLE, Lsm6ds

_FIFO_CTRL3 = const(0x09)  # BDR_GY[7:4] BDR_XL[3:0]
_FIFO_CTRL4 = const(0x0A)  # DEC_TS_BATCH[7:6] ODR_T_BATCH[5:4] FIFO_MODE[2:0]
_TAP_CFG0 = const(0x56)  # LIR[0] (latched interrupts)
_TAP_CFG2 = const(0x58)  # INTERRUPTS_ENABLE[7]
_FIFO_DATA_OUT_TAG = const(0x78)  # tag, then X_L..Z_H at 0x79..0x7E; a burst rolls over
# FIFO_STATUS2: FIFO_OVR_IA, the FIFO is completely filled (lsm6dsox_reg.h). Only a read frees
# a full FIFO, so that is the overflow; FIFO_OVR_LATCHED would also flag the overwrites racing
# the read that drained it, and count one overflow twice.
_FIFO_OVR_IA = const(0x40)
_TAG_GYRO = const(1)  # TAG_SENSOR values (lsm6dsox_reg.h lsm6dsox_fifo_tag_t)
_TAG_ACCEL = const(2)
_PEND_TAG = const(12)  # in the pending buffer: the unpaired word's TAG_SENSOR (0: none)
_PEND_CNT = const(13)  # ... and its TAG_CNT


@micropython.viper
def pair_words(raw, words: int, pend, pairs) -> int:
    """Tagged words (7 bytes: tag, then x, y, z) from raw into samples (gyro then accel, 6 bytes
    each) in pairs; returns how many. A gyro and an accel word pair when their TAG_CNT (the
    time slot, tag bits 2:1) agree; pend holds an unpaired word across calls, and a word
    that finds no partner (its mate overwritten) is dropped. Other tags are skipped.
    """
    src = ptr8(raw)
    pen = ptr8(pend)
    dst = ptr8(pairs)
    n = 0
    for w in range(words):
        at = 7 * w
        tag = src[at] >> 3
        if tag != _TAG_GYRO and tag != _TAG_ACCEL:
            continue
        cnt = (src[at] >> 1) & 3
        mine = 0
        if tag == _TAG_ACCEL:
            mine = 6
        if pen[_PEND_TAG] != 0 and pen[_PEND_TAG] != tag and pen[_PEND_CNT] == cnt:
            out = 12 * n
            other = 6 - mine
            for i in range(6):
                dst[out + mine + i] = src[at + 1 + i]
                dst[out + other + i] = pen[other + i]
            pen[_PEND_TAG] = 0
            n += 1
        else:
            for i in range(6):
                pen[mine + i] = src[at + 1 + i]
            pen[_PEND_TAG] = tag
            pen[_PEND_CNT] = cnt
    return n


class LSM6DSOX(Lsm6ds):
    """Standby at 1.6 Hz (ODR_XL 1011, low-power only), as the LSM6DS3TR-C (AN5272 5.4)."""

    NAME = "LSM6DSOX"
    WAKE_ODR = 11
    WAKE_CFG = ((_TAP_CFG0, 0x01), (_TAP_CFG2, 0x80))  # LIR; INTERRUPTS_ENABLE
    WHO_AM_I = (0x6C,)  # lsm6dsox_reg.h LSM6DSOX_ID
    FRAME = 7  # a tagged word
    FIFO_SAMPLES = 512 // 2  # 512 tagged words (Linux st_lsm6dsx), a gyro and an accel each
    FIFO_MODE_REG = _FIFO_CTRL4

    def __init__(self, i2c, addr, *, rate_hz=104, axes="x,y,z", bus="I2C"):
        super().__init__(i2c, addr, rate_hz=rate_hz, axes=axes, bus=bus)
        self._pend = bytearray(14)  # an unpaired word: gyro or accel data, tag, counter
        self._pairs = bytearray(SAMPLE * (self.MAX_BATCH // 2 + 1))

    def _batch(self, code):
        self.write_reg(_FIFO_CTRL3, code << 4 | code)  # BDR_GY = BDR_XL = the ODR
        self._fifo_cfg = 0  # no temperature, no timestamps in the FIFO

    def _flush(self):
        super()._flush()
        self._pend[_PEND_TAG] = 0

    def read(self, out):
        status = self.reg2
        due = self._read_status(status)
        words = status[0] | (status[1] & 3) << 8  # DIFF_FIFO[9:0], in words
        pend = self._pend
        half = 1 if pend[_PEND_TAG] else 0
        available = (words + half) // 2
        self._account(due, available, status[1] & _FIFO_OVR_IA)
        room = len(out) // 6
        done = 0
        while words and done < room:
            # with the pending word, 2 * (room - done) words make at most room - done pairs
            k = self.burst(_FIFO_DATA_OUT_TAG, min(words, 2 * (room - done)))
            if not k:
                return self._abandon(done, available)
            words -= k
            n = pair_words(self.raw, k, pend, self._pairs)
            decode(self._pairs, n, self.layout, out, 6 * done)
            done += n
        self._left = available - done
        return done
