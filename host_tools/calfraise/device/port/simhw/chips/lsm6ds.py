"""Register-level models of the ST LSM6DS3, LSM6DS3TR-C and LSM6DSOX (the driver,
firmware/calfraise_fw/imu/lsm6ds.py, names the sources; "AN" is AN5130, "DS" the LSM6DS3TR-C
datasheet).

As the silicon does it, for all three: WHO_AM_I 0x69 / 0x6A / 0x6C; power-on defaults (CTRL3_C
= 0x04: IF_INC on); SW_RESET restores them, empties the FIFO and reads back set for about 50 us
(AN5130); without IF_INC a burst rereads one register; ODR and full-scale bits set rate and
sensitivity; bypass mode empties the FIFO, FIFO mode stops when full, continuous mode
overwrites the oldest data; an empty FIFO reads 0.

LSM6DS3 / LSM6DS3TR-C: 16-bit words in a pattern, gyro then accel data set at each FIFO trigger
of min(max(ODR_XL, ODR_G), ODR_FIFO) (AN figure 32), each set kept or not by its decimation;
DIFF_FIFO counts words and reads 0 when the FIFO is full, OVER_RUN is up while it is full,
FIFO_PATTERN is the index of the word read next (AN 8.1.7, 8.5); a burst from FIFO_DATA_OUT_L
rolls over L, H, L, H (AN 8.4) and each H pops a word.

LSM6DSOX: 7-byte words, a tag (sensor, 2-bit time-slot counter, parity) and x, y, z, each
sensor batched at min(BDR, ODR), gyro word first in a slot (the order is not documented; the
driver does not rely on it); FIFO_OVR_LATCHED is cleared by reading FIFO_STATUS2; a burst from
FIFO_DATA_OUT_TAG rolls over 0x78..0x7E (Linux st_lsm6dsx reads whole words that way) and
each 0x7E pops a word.
"""

import time

from simhw.chips.base import DPS, G, RegisterChip, to_counts

WHO_AM_I = 0x0F
CTRL1_XL = 0x10  # ODR_XL[7:4] FS_XL[3:2]
CTRL2_G = 0x11  # ODR_G[7:4] FS_G[3:2] FS_125[1]
CTRL3_C = 0x12  # BOOT BDU H_LACTIVE PP_OD SIM IF_INC BLE SW_RESET
CTRL8_XL = 0x17  # LSM6DSOX: XL_FS_MODE[1]
WAKE_UP_SRC = 0x1B  # WU_IA[3], X_WU, Y_WU, Z_WU; reading it clears a latched event
TAP_CFG = 0x58  # LSM6DS3(TR-C): LIR[0], SLOPE_FDS[4]; TR-C: INTERRUPTS_ENABLE[7]. DSOX: TAP_CFG2
TAP_CFG0_OX = 0x56  # LSM6DSOX: LIR[0]
WAKE_UP_THS = 0x5B  # WK_THS[5:0]: 1 LSB = full scale / 2**6
WAKE_UP_DUR = 0x5C  # LSM6DSOX: WAKE_THS_W[4]: 1 LSB = full scale / 2**8
MD1_CFG = 0x5E  # INT1_WU[5]: the wake-up event drives INT1
FIFO_STATUS1 = 0x3A
FIFO_STATUS2 = 0x3B

SW_RESET = 0x01
H_LACTIVE = 0x20  # CTRL3_C: interrupt pins active low
WU_IA = 0x08
INT1_WU = 0x20
INTERRUPTS_ENABLE = 0x80
LIR = 0x01
BLE = 0x02
IF_INC = 0x04
RESET_US = 50

BYPASS, FIFO_MODE, CONTINUOUS_TO_FIFO, CONTINUOUS = 0, 1, 3, 6
STORING = (FIFO_MODE, CONTINUOUS_TO_FIFO, CONTINUOUS)  # no trigger ever comes: the rest bypass

# rates in mHz by ODR code (DS tables 41, 52, 55); 1011 is 1.6 Hz (accel, low-power only; the
# LSM6DS3 has no such rate, its table ends at 1010)
ODR_MHZ = (0, 12500, 26000, 52000, 104000, 208000, 416000, 833000, 1660000, 3330000, 6660000, 1600)
BDR_MHZ = (0, 12500, 26000, 52000, 104000, 208000, 417000, 833000, 1667000, 3333000, 6667000)
# sensitivities (DS table 3), exact: micro-g a count by FS_XL (00 +-2, 01 +-16, 10 +-4, 11 +-8 g)
ACCEL_UG = (61, 488, 122, 244)
# micro-deg/s a count by FS_G (00 250, 01 500, 10 1000, 11 2000 deg/s), and with FS_125
GYRO_UDPS = (8750, 17500, 35000, 70000)
GYRO_125_UDPS = 4375


def code_rate(table, code):
    return table[code] if code < len(table) else 0


class _Lsm6ds(RegisterChip):
    """Wake-up (AN5130 5.4, AN5272 5.4): with INT1_WU routed (and INTERRUPTS_ENABLE where the
    chip has it), each accel sample's slope, half the change from the sample before (AN5130
    "slope filter"), is compared on every axis with WK_THS; the event drives INT1 for that
    sample, or until WAKE_UP_SRC is read with LIR set."""

    CHIP_ID = 0
    LIR_REG = TAP_CFG  # where LIR lives
    ENABLE_BIT = 0  # INTERRUPTS_ENABLE in TAP_CFG, for the chips that have it
    THS_WEIGHT = False  # WAKE_THS_W exists
    DEFAULTS = ((CTRL3_C, IF_INC),)  # power-on values other than 0
    FIFO_WORDS = 0
    WORD = 2  # FIFO bytes a word takes
    OUT_FIRST = OUT_LAST = 0  # FIFO output registers: a word, read in order; the last pops it

    def __init__(self, addr, world):
        super().__init__(addr, world, self.FIFO_WORDS * self.WORD)
        self._busy_until_us = 0
        self._rate_mhz = 0  # FIFO write rate (slots a second)
        self._mode = BYPASS
        self._storing = False
        self._slot = 0  # FIFO write slots since the FIFO started
        self._slot_words = 0  # words one slot writes at most
        self._accel_ug = ACCEL_UG[0]
        self._gyro_udps = GYRO_UDPS[0]
        self._power_on_reset()

    def _power_on_reset(self):
        regs = self.regs
        for i in range(len(regs)):
            regs[i] = 0
        for reg, value in self.DEFAULTS:
            regs[reg] = value
        regs[WHO_AM_I] = self.CHIP_ID
        self.fifo_reset()
        self._reconfigure()

    # --- registers ------------------------------------------------------------------------
    def next_reg(self, reg):
        """Without IF_INC a burst rereads one register; one that reaches the last FIFO output
        register starts over at the first."""
        if not self.regs[CTRL3_C] & IF_INC:
            return reg
        return self.OUT_FIRST if reg == self.OUT_LAST else (reg + 1) & 0xFF

    def on_read(self, reg):
        if reg == CTRL3_C and time.sim_us() < self._busy_until_us:
            return self.regs[CTRL3_C] | SW_RESET
        if self.OUT_FIRST <= reg <= self.OUT_LAST:
            byte = self.fifo_byte(reg - self.OUT_FIRST)
            if reg == self.OUT_LAST:
                self.pop_word()
            return byte
        if reg == WAKE_UP_SRC:
            self.clock()
            src = WU_IA if self.motion else 0
            self.motion = False
            return src
        if reg == FIFO_STATUS1:
            return self.fifo_words() & 0xFF
        if reg == FIFO_STATUS2:
            return self.status2(self.fifo_words())
        return self.read_other(reg)

    def status2(self, words):
        raise NotImplementedError

    def motion_routed(self):
        regs = self.regs
        return regs[MD1_CFG] & INT1_WU and regs[TAP_CFG] & self.ENABLE_BIT == self.ENABLE_BIT

    def int_active_low(self):
        return self.regs[CTRL3_C] & H_LACTIVE

    def watch_motion(self, sample):
        """The wake-up function, at every accel sample while it is routed to INT1."""
        if not self.watching(sample, self.routed):
            return
        regs = self.regs
        weight = 256 if self.THS_WEIGHT and regs[WAKE_UP_DUR] & 0x10 else 64
        threshold = (regs[WAKE_UP_THS] & 0x3F) * self._accel_ug * 32768 // (10 * weight)
        hit = self.moved_beyond(sample, self._last, threshold, halve=True)
        if hit:
            self.motion = True
        elif not regs[self.LIR_REG] & LIR:
            self.motion = False

    def read_other(self, reg):
        return self.regs[reg]

    def on_write(self, reg, value):
        if reg == CTRL3_C and value & SW_RESET:
            self._power_on_reset()
            self._busy_until_us = time.sim_us() + RESET_US
        elif reg == WHO_AM_I:
            self.regs[WHO_AM_I] = self.CHIP_ID
        else:
            self._reconfigure()

    def resume(self):
        self._reconfigure()

    def _reconfigure(self):
        """Follow the control registers: FIFO mode, write rate, sensitivities."""
        regs = self.regs
        self.routed = bool(self.motion_routed())
        self._mode = self.fifo_mode()
        self._storing = self._mode in STORING
        if not self._storing:
            self.fifo_reset()
        fs_xl = (regs[CTRL1_XL] >> 2) & 3
        self._accel_ug = ACCEL_UG[self.accel_range(fs_xl)]
        gyro = regs[CTRL2_G]
        self._gyro_udps = GYRO_125_UDPS if gyro & 2 else GYRO_UDPS[(gyro >> 2) & 3]
        rate = self.batch()  # the sensors keep their pace whatever the FIFO mode
        if not self._storing and self.routed:
            rate = self.sensor_rates()[0]  # wake-up alone: every accel sample
        if rate != self._rate_mhz:
            self._rate_mhz = rate
            self.set_odr(rate)

    def fifo_mode(self):
        raise NotImplementedError

    def accel_range(self, fs_xl):
        """Index into ACCEL_UG for FS_XL."""
        return fs_xl

    def batch(self):
        """Set what each FIFO slot writes; return the slot rate in mHz (0: none)."""
        raise NotImplementedError

    def produce(self, sample):
        """A slot: the wake-up watch sees every sample; a storing FIFO takes what batch() set."""
        if self.routed or self._watching:
            self.watch_motion(sample)
        if not self._storing:
            return
        slot = self._slot
        self._slot = slot + 1
        gyro = self._gyro_every and slot % self._gyro_every == 0
        accel = self._accel_every and slot % self._accel_every == 0
        self.store(sample, slot, gyro, accel)

    def store(self, sample, slot, gyro, accel):
        """Write slot's data sets into the FIFO: the gyro's, the accel's, where due."""
        raise NotImplementedError

    def sensor_rates(self):
        """(accel, gyro) output data rates in mHz; 0 while powered down."""
        regs = self.regs
        return code_rate(ODR_MHZ, regs[CTRL1_XL] >> 4), code_rate(ODR_MHZ, regs[CTRL2_G] >> 4)

    # --- FIFO -----------------------------------------------------------------------------
    def fifo_reset(self):
        RegisterChip.fifo_reset(self)
        self._slot = 0

    def fifo_words(self):
        return self.fifo_count // self.WORD

    def fifo_byte(self, i):
        """Byte i of the word read next (0 when the FIFO is empty)."""
        if not self.fifo_count:
            return 0
        return self.fifo[(self.fifo_head + i) % len(self.fifo)]

    def pop_word(self):
        for _ in range(min(self.WORD, self.fifo_count)):
            self.fifo_pop()

    def fits(self, words):
        """FIFO mode stops storing when the next write would not fit (AN 8.2.2)."""
        return self._mode != FIFO_MODE or self.fifo_count + self.WORD * words <= len(self.fifo)

    def push_xyz(self, sample, first, unit, micro):
        """Append x, y, z of sample[first:] (in 1/unit g or deg/s) as counts of `micro` micro-g
        or micro-deg/s (to_counts(v, k, m) is v * k / (1000 * m))."""
        per_unit = 1000000000 // unit
        for i in range(3):
            counts = to_counts(sample[first + i], per_unit, micro)
            if self.regs[CTRL3_C] & BLE:
                self.fifo_push_be16(counts)
            else:
                self.fifo_push_le16(counts)

    def level_flags(self, words, threshold):
        """FIFO_STATUS2's level bits, the same on all three: watermark reached (WaterM /
        FIFO_WTM_IA), completely filled (OVER_RUN / FIFO_OVR_IA), full at the next write
        (FIFO_FULL(_SMART) / FIFO_FULL_IA)."""
        flags = 0
        if threshold and words >= threshold:
            flags |= 0x80
        if words == self.FIFO_WORDS:
            flags |= 0x40
        if words + self._slot_words >= self.FIFO_WORDS:
            flags |= 0x20
        return flags

    def clock(self):
        # The base class flags an overflow when it skips a long unread stretch; nothing
        # overflows while the FIFO stores nothing.
        flagged = self.fifo_overflowed
        RegisterChip.clock(self)
        if not self._storing:
            self.fifo_overflowed = flagged

    def sample_bytes(self):
        if not self._storing or not self._slot_words:
            return len(self.fifo)
        return self.WORD * self._slot_words


# --- LSM6DS3 / LSM6DS3TR-C ---------------------------------------------------------------
FIFO_CTRL1 = 0x06  # FTH[7:0]
FIFO_CTRL2 = 0x07  # FTH's upper bits
FIFO_CTRL3 = 0x08  # DEC_FIFO_GYRO[5:3] DEC_FIFO_XL[2:0]
FIFO_CTRL5 = 0x0A  # ODR_FIFO[6:3] FIFO_MODE[2:0]
FIFO_STATUS3 = 0x3C  # FIFO_PATTERN[7:0]
FIFO_STATUS4 = 0x3D  # FIFO_PATTERN[9:8]
FIFO_DATA_OUT_L = 0x3E
FIFO_DATA_OUT_H = 0x3F
DECIMATION = (0, 1, 2, 3, 4, 8, 16, 32)  # by DEC_FIFO_* code; 0: not in the FIFO


def _gcd(a, b):
    while b:
        a, b = b, a % b
    return a


class _PatternFifo(_Lsm6ds):
    OUT_FIRST, OUT_LAST = FIFO_DATA_OUT_L, FIFO_DATA_OUT_H
    DIFF_HIGH = 0  # FIFO_STATUS2 bits of DIFF_FIFO's upper part (also FTH's in FIFO_CTRL2)

    def __init__(self, addr, world):
        self._gyro_every = 0  # slots between gyro data sets (0: gyro not in the FIFO)
        self._accel_every = 0
        self._pattern_len = 0  # words until the pattern repeats
        self._tail = 0  # pattern index of the next word written
        super().__init__(addr, world)

    def read_other(self, reg):
        if reg == FIFO_STATUS3:
            return self._head_pattern(self.fifo_words()) & 0xFF
        if reg == FIFO_STATUS4:
            return self._head_pattern(self.fifo_words()) >> 8
        return self.regs[reg]

    def status2(self, words):
        """The level bits, FIFO_EMPTY, DIFF_FIFO's upper bits."""
        threshold = self.regs[FIFO_CTRL1] | (self.regs[FIFO_CTRL2] & self.DIFF_HIGH) << 8
        status = self.level_flags(words, threshold) | (words >> 8) & self.DIFF_HIGH
        return status if words else status | 0x10

    def _head_pattern(self, words):
        return (self._tail - words) % self._pattern_len if self._pattern_len else 0

    def fifo_mode(self):
        return self.regs[FIFO_CTRL5] & 7

    def batch(self):
        regs = self.regs
        gyro = DECIMATION[(regs[FIFO_CTRL3] >> 3) & 7]
        accel = DECIMATION[regs[FIFO_CTRL3] & 7]
        self._gyro_every, self._accel_every = gyro, accel
        self._slot_words = 3 * ((1 if gyro else 0) + (1 if accel else 0))
        # one period of the pattern: lcm of the decimations, each set 3 words (AN 8.5)
        period = 1
        for every in (gyro, accel):
            if every:
                period = period * every // _gcd(period, every)
        self._pattern_len = sum(3 * period // every for every in (gyro, accel) if every)
        if not self._slot_words:
            return 0
        xl, g = self.sensor_rates()
        return min(max(xl, g), code_rate(ODR_MHZ, (regs[FIFO_CTRL5] >> 3) & 15))

    def fifo_reset(self):
        _Lsm6ds.fifo_reset(self)
        self._tail = 0

    def store(self, sample, slot, gyro, accel):
        words = 3 * ((1 if gyro else 0) + (1 if accel else 0))
        if not self.fits(words):
            return
        if gyro:  # the 1st data set (AN 8)
            self.push_xyz(sample, 3, DPS, self._gyro_udps)
        if accel:  # the 2nd data set
            self.push_xyz(sample, 0, G, self._accel_ug)
        self._tail = (self._tail + words) % self._pattern_len


class LSM6DS3(_PatternFifo):
    CHIP_ID = 0x69
    FIFO_WORDS = 4096  # 8 kbyte (AN4650)
    DIFF_HIGH = 0x0F  # DIFF_FIFO[11:8], FTH[11:8] (lsm6ds3_reg.h)
    # CTRL9_XL and CTRL10_C: the accel and gyro axes come up enabled (LSM6DS3 register map)
    DEFAULTS = ((CTRL3_C, IF_INC), (0x18, 0x38), (0x19, 0x38))


class LSM6DS3TRC(_PatternFifo):
    CHIP_ID = 0x6A
    ENABLE_BIT = INTERRUPTS_ENABLE
    FIFO_WORDS = 2048  # 4 kbyte (AN 8)
    DIFF_HIGH = 0x07  # DIFF_FIFO[10:8], FTH[10:8] (DS tables 29, 141)


# --- LSM6DSOX ----------------------------------------------------------------------------
FIFO_CTRL1_OX = 0x07  # WTM[7:0]
FIFO_CTRL2_OX = 0x08  # WTM[8] in bit 0
FIFO_CTRL3_OX = 0x09  # BDR_GY[7:4] BDR_XL[3:0]
FIFO_CTRL4_OX = 0x0A  # FIFO_MODE[2:0]
FIFO_DATA_OUT_TAG = 0x78
FIFO_DATA_OUT_Z_H = 0x7E
TAG_GYRO = 1  # TAG_SENSOR (lsm6dsox_reg.h lsm6dsox_fifo_tag_t)
TAG_ACCEL = 2
XL_FS_MODE = 0x02  # CTRL8_XL: FS_XL 01 means +-2 g instead of +-16 g


def tag_byte(sensor, slot):
    """TAG_SENSOR[7:3], TAG_CNT[2:1] (the slot counter), TAG_PARITY[0] (lsm6dsox_reg.h); the
    parity bit is taken to make the byte's count of ones even (ST does not spell it out)."""
    byte = sensor << 3 | (slot & 3) << 1
    ones = 0
    bits = byte
    while bits:
        ones += bits & 1
        bits >>= 1
    return byte | (ones & 1)


class LSM6DSOX(_Lsm6ds):
    CHIP_ID = 0x6C
    ENABLE_BIT = INTERRUPTS_ENABLE  # in TAP_CFG2 (0x58)
    LIR_REG = TAP_CFG0_OX
    THS_WEIGHT = True
    FIFO_WORDS = 512  # tagged words (Linux st_lsm6dsx: max_fifo_size 512)
    WORD = 7
    OUT_FIRST, OUT_LAST = FIFO_DATA_OUT_TAG, FIFO_DATA_OUT_Z_H
    DEFAULTS = ((CTRL3_C, IF_INC), (0x18, 0xE0))  # CTRL9_XL: DEN_X, DEN_Y, DEN_Z

    def __init__(self, addr, world):
        self._gyro_every = 0  # slots between gyro words (0: not batched)
        self._accel_every = 0
        super().__init__(addr, world)

    def status2(self, words):
        """The level bits, FIFO_OVR_LATCHED (cleared by this read), DIFF_FIFO[9:8]."""
        threshold = self.regs[FIFO_CTRL1_OX] | (self.regs[FIFO_CTRL2_OX] & 1) << 8
        status = self.level_flags(words, threshold) | (words >> 8) & 3
        if self.fifo_overflowed:
            status |= 0x08
            self.fifo_overflowed = False
        return status

    def fifo_mode(self):
        return self.regs[FIFO_CTRL4_OX] & 7

    def accel_range(self, fs_xl):
        return 0 if fs_xl == 1 and self.regs[CTRL8_XL] & XL_FS_MODE else fs_xl

    def batch(self):
        """Each sensor goes into the FIFO at min(BDR, ODR); a slot is a tick of the faster."""
        bdr = self.regs[FIFO_CTRL3_OX]
        odr_xl, odr_g = self.sensor_rates()
        accel = min(code_rate(BDR_MHZ, bdr & 15), odr_xl)
        gyro = min(code_rate(BDR_MHZ, bdr >> 4), odr_g)
        rate = max(accel, gyro)
        self._accel_every = (rate + accel // 2) // accel if accel else 0
        self._gyro_every = (rate + gyro // 2) // gyro if gyro else 0
        self._slot_words = (1 if accel else 0) + (1 if gyro else 0)
        return rate

    def store(self, sample, slot, gyro, accel):
        if gyro:
            self._push_word(TAG_GYRO, slot, sample, 3, DPS, self._gyro_udps)
        if accel:
            self._push_word(TAG_ACCEL, slot, sample, 0, G, self._accel_ug)

    def _push_word(self, sensor, slot, sample, first, unit, micro):
        if self.fits(1):
            self.fifo_push(tag_byte(sensor, slot))
            self.push_xyz(sample, first, unit, micro)
