"""ST LSM6DS3, LSM6DS3TR-C and LSM6DSOX: one control-register map, two kinds of FIFO.

Sources: LSM6DS3TR-C datasheet DocID030071 rev 3 ("DS") and application note AN5130 ("AN");
AN4650 (LSM6DS3: 8 kbyte FIFO); ST's PID drivers lsm6ds3_reg.h and lsm6dsox_reg.h (register
fields, FIFO tags); Linux st_lsm6dsx (FIFO sizes; it bursts whole patterns from
FIFO_DATA_OUT_L and whole tagged words from FIFO_DATA_OUT_TAG).

The LSM6DS3 and LSM6DS3TR-C queue untagged 16-bit words in a repeating pattern, here gyro x, y,
z then accel x, y, z (AN 8.5.1); FIFO_PATTERN names the word read next, so after an overflow has
cut a data set the driver skips to the next whole one and stays aligned. The LSM6DSOX tags every
7-byte word with its sensor and a 2-bit time-slot counter; the driver pairs the gyro and accel
words of one slot into a sample.
"""

import time

import micropython
from micropython import const

from calfraise_fw.imu.base import FifoImu, ImuError
from calfraise_fw.imu.frames import decode, frame_layout, ptr8

_CTRL1_XL = const(0x10)  # ODR_XL[7:4] FS_XL[3:2]
_CTRL2_G = const(0x11)  # ODR_G[7:4] FS_G[3:2] FS_125[1]
_CTRL3_C = const(0x12)  # BOOT BDU H_LACTIVE PP_OD SIM IF_INC BLE SW_RESET
_FIFO_STATUS1 = const(0x3A)  # DIFF_FIFO[7:0], then FIFO_STATUS2..4 (read in one go)

_SW_RESET = const(0x01)  # clears itself once the reset is done (DS 9.15)
_BDU_IF_INC = const(0x44)  # AN 8: the FIFO needs BDU and IF_INC (auto-increment) set
_FS_XL_8G = const(0x0C)  # FS_XL = 11: +-8 g, 0.244 mg/LSB (DS table 3)
_FS_G_1000DPS = const(0x08)  # FS_G = 10: +-1000 deg/s, 35 mdps/LSB (DS table 3)
_CONTINUOUS = const(0x06)  # FIFO_MODE = 110: the newest data overwrite the oldest (DS table 42)

RESET_POLLS = 10  # AN5130: a software reset takes about 50 us; poll CTRL3_C every 1 ms
SAMPLE = 12  # bytes of a sample: gyro x, y, z then accel x, y, z, little-endian

# (output data rate in Hz, its ODR_XL / ODR_G / ODR_FIFO / BDR code): 0011 is 52 Hz, each next
# code doubles it (DS tables 41, 52, 55; lsm6dsox_reg.h BDR_XL/BDR_GY). Faster rates are left
# out: at 1.66 kHz the 400 kHz bus would spend most of its time draining the FIFO.
ODRS = ((52, 3), (104, 4), (208, 5), (416, 6), (833, 7))


def nearest_odr(rate_hz):
    """The (rate, code) of ODRS nearest to rate_hz; a tie goes to the faster rate."""
    best = ODRS[0]
    for choice in ODRS:
        if abs(choice[0] - rate_hz) <= abs(best[0] - rate_hz):
            best = choice
    return best


class _Lsm6ds(FifoImu):
    """What the three chips share: reset, ranges and rates, FIFO flush and loss accounting."""

    FIFO_MODE_REG = 0  # the register holding FIFO_MODE[2:0]

    def __init__(self, i2c, addr, *, rate_hz=104, axes="x,y,z", bus="I2C"):
        super().__init__(i2c, addr, rate_hz=rate_hz, axes=axes, bus=bus)
        self.rate_hz, self._odr = nearest_odr(rate_hz)
        self.accel_lsb_per_g = 1000 / 0.244
        self.gyro_lsb_per_dps = 1000 / 35
        self.layout = frame_layout(axes, SAMPLE, 6, 0, False)
        self._fifo_cfg = 0  # FIFO_MODE_REG's bits besides FIFO_MODE
        self._left = 0  # samples the previous read() left in the FIFO
        self._carry = 0  # samples lost just after the previous read()'s batch
        self._unsure = False  # a flush may have lost samples the counts cannot see

    def _reset(self):
        self.write_reg(_CTRL3_C, _SW_RESET)
        for _ in range(RESET_POLLS):
            time.sleep_ms(1)
            if not self.read_reg(_CTRL3_C) & _SW_RESET:
                return
        raise ImuError(f"{self.NAME} at 0x{self.addr:02x} on {self.bus} did not finish its reset")

    def _configure(self):
        code = self._odr
        # AN 8.3.1: FIFO in bypass (the reset left it there), then rates, batching, FIFO mode.
        self.write_reg(_CTRL3_C, _BDU_IF_INC)
        self.write_reg(_CTRL1_XL, code << 4 | _FS_XL_8G)
        self.write_reg(_CTRL2_G, code << 4 | _FS_G_1000DPS)
        self._batch(code)
        self._flush()
        self._left = 0
        self._carry = 0
        self._unsure = False

    def _batch(self, code):
        """Put accel and gyro into the FIFO at the rate of `code`; set self._fifo_cfg."""
        raise NotImplementedError

    def _flush(self):
        """Bypass mode empties the FIFO (AN 8.2.1); then continuous mode again."""
        self.write_reg(self.FIFO_MODE_REG, self._fifo_cfg)
        self.write_reg(self.FIFO_MODE_REG, self._fifo_cfg | _CONTINUOUS)
        self._unsure = True

    # --- loss accounting ------------------------------------------------------------------
    def _account(self, due, available, overflowed):
        """Set self.gap before a batch of the `available` samples in the FIFO.

        Known losses (a failed burst) carry over; after an overflow or a flush, the samples
        the previous read left plus those due since, less those there now, have vanished.
        `due` is floored and counted between status reads, so the estimate never runs high.
        """
        gap = self._carry
        self._carry = 0
        if overflowed:
            self.overflows += 1
        if overflowed or self._unsure:
            vanished = self._left + due - available
            if vanished > 0:
                self.lost += vanished
                gap += vanished
        self._unsure = False
        self.gap = gap

    def _abandon(self, done, available):
        """A burst failed part-way, so the FIFO's alignment is unknown: flush it. The samples
        it held are lost just after the `done` returned ones, reported with the next batch."""
        self._flush()
        self._carry = available - done
        self.lost += available - done
        self._left = 0
        return done


# --- LSM6DS3 / LSM6DS3TR-C: the pattern FIFO ---------------------------------------------
_FIFO_CTRL3 = const(0x08)  # DEC_FIFO_GYRO[5:3] DEC_FIFO_XL[2:0]
_FIFO_CTRL5 = const(0x0A)  # ODR_FIFO[6:3] FIFO_MODE[2:0]
_FIFO_DATA_OUT_L = const(0x3E)  # a burst reads L, H, L, H...: each H pops a word (AN 8.4)
_NO_DECIMATION = const(0x09)  # DEC_FIFO_GYRO = DEC_FIFO_XL = 001 (DS tables 33, 34)
_OVER_RUN = const(0x40)  # FIFO_STATUS2: completely filled, the oldest overwritten (AN 8.1.7)
PATTERN = 6  # words in the repeating pattern: Gx Gy Gz XLx XLy XLz (AN 8.5.1)


class _PatternFifo(_Lsm6ds):
    FRAME = SAMPLE
    FIFO_MODE_REG = _FIFO_CTRL5
    FIFO_WORDS = 0  # capacity in 16-bit words
    DIFF_HIGH = 0  # FIFO_STATUS2 bits holding DIFF_FIFO's upper part

    def __init__(self, i2c, addr, *, rate_hz=104, axes="x,y,z", bus="I2C"):
        super().__init__(i2c, addr, rate_hz=rate_hz, axes=axes, bus=bus)
        self._status = bytearray(4)
        raw = memoryview(self.raw)
        self._words = [raw[: 2 * k] for k in range(2 * PATTERN)]  # views of k words
        self._fresh = True  # the first sample since the FIFO restarted is still ahead

    def _batch(self, code):
        self.write_reg(_FIFO_CTRL3, _NO_DECIMATION)
        self._fifo_cfg = code << 3  # ODR_FIFO = the sensors' ODR

    def _flush(self):
        super()._flush()
        self._fresh = True

    def read(self, out):
        status = self._status
        self.read_into(_FIFO_STATUS1, status)
        due = self.since_last_read()
        words = status[0] | (status[1] & self.DIFF_HIGH) << 8
        overflowed = status[1] & _OVER_RUN
        if overflowed and not words:
            words = self.FIFO_WORDS  # a full FIFO's DIFF_FIFO wraps to 0 (AN table 64)
        # FIFO_PATTERN is the word read next: words of a set an overwrite has cut come first.
        skip = (PATTERN - (status[2] | (status[3] & 3) << 8)) % PATTERN
        if skip > words:
            skip = words
        if self._fresh and words - skip >= PATTERN:
            skip += PATTERN  # DS 5.5: discard the first sample after a FIFO mode switch
            self._fresh = False
        available = (words - skip) // PATTERN
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
    NAME = "LSM6DS3"
    WHO_AM_I = (0x69,)  # lsm6ds3_reg.h LSM6DS3_ID
    FIFO_WORDS = 4096  # 8 kbyte (AN4650)
    DIFF_HIGH = 0x0F  # DIFF_FIFO[11:8] (lsm6ds3_reg.h fifo_status2)


class LSM6DS3TRC(_PatternFifo):
    NAME = "LSM6DS3TR-C"
    WHO_AM_I = (0x6A,)  # DS 9.12
    FIFO_WORDS = 2048  # 4 kbyte (AN 8, table 64)
    DIFF_HIGH = 0x07  # DIFF_FIFO[10:8] (DS table 141)


# --- LSM6DSOX: the tagged FIFO -------------------------------------------------------------
_FIFO_CTRL3_OX = const(0x09)  # BDR_GY[7:4] BDR_XL[3:0]
_FIFO_CTRL4_OX = const(0x0A)  # DEC_TS_BATCH[7:6] ODR_T_BATCH[5:4] FIFO_MODE[2:0]
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


class LSM6DSOX(_Lsm6ds):
    NAME = "LSM6DSOX"
    WHO_AM_I = (0x6C,)  # lsm6dsox_reg.h LSM6DSOX_ID
    FRAME = 7  # a tagged word
    FIFO_MODE_REG = _FIFO_CTRL4_OX

    def __init__(self, i2c, addr, *, rate_hz=104, axes="x,y,z", bus="I2C"):
        super().__init__(i2c, addr, rate_hz=rate_hz, axes=axes, bus=bus)
        self._pend = bytearray(14)  # an unpaired word: gyro or accel data, tag, counter
        self._pairs = bytearray(SAMPLE * (self.MAX_BATCH // 2 + 1))

    def _batch(self, code):
        self.write_reg(_FIFO_CTRL3_OX, code << 4 | code)  # BDR_GY = BDR_XL = the ODR
        self._fifo_cfg = 0  # no temperature, no timestamps in the FIFO

    def _flush(self):
        super()._flush()
        self._pend[_PEND_TAG] = 0

    def read(self, out):
        status = self.reg2
        self.read_into(_FIFO_STATUS1, status)
        due = self.since_last_read()
        words = status[0] | (status[1] & 3) << 8  # DIFF_FIFO[9:0], in words
        pend = self._pend
        half = 1 if pend[_PEND_TAG] else 0
        available = (words + half) // 2
        self._account(due, available, status[1] & _FIFO_OVR_IA)
        room = len(out) // 6
        done = 0
        while words and done < room:
            k = words
            if k > self.MAX_BATCH:
                k = self.MAX_BATCH
            if k > 2 * (room - done):
                k = 2 * (room - done)  # with the pending word, at most room - done pairs
            if not self.burst(_FIFO_DATA_OUT_TAG, k):
                return self._abandon(done, available)
            words -= k
            n = pair_words(self.raw, k, pend, self._pairs)
            decode(self._pairs, n, self.layout, out, 6 * done)
            done += n
        self._left = available - done
        return done
