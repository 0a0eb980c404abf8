"""Register-level models of the InvenSense MPU-6050 and MPU-6886 (the driver,
firmware/calfraise_fw/imu/mpu6xxx.py, names the sources; "RM" is the MPU-6050 Register Map
rev 4.2).

As the silicon does it: both wake up asleep, so no samples until SLEEP is cleared; DEVICE_RESET
restores every register, empties the FIFO and clears itself; the sample rate follows SMPLRT_DIV
and DLPF_CFG; at every sample the enabled data registers go into the 1024-byte FIFO in register
order, a full FIFO drops its oldest bytes and flags FIFO_OFLOW_INT until INT_STATUS is read;
FIFO_RESET only flushes while USER_CTRL.FIFO_EN is 0; reading FIFO_COUNTH latches the count; a
burst from FIFO_R_W keeps popping the FIFO.
"""

from simhw.chips.base import DPS, G, RegisterChip, to_counts

SMPLRT_DIV = 0x19
CONFIG = 0x1A
GYRO_CONFIG = 0x1B
ACCEL_CONFIG = 0x1C
FIFO_EN = 0x23
INT_PIN_CFG = 0x37  # INT_LEVEL[7] (1: active low), LATCH_INT_EN[5]
INT_ENABLE = 0x38
INT_STATUS = 0x3A
ACCEL_XOUT_H = 0x3B
TEMP_OUT_H = 0x41
GYRO_XOUT_H = 0x43
ACCEL_INTEL_CTRL = 0x69  # MPU-6886: ACCEL_INTEL_EN[7], ACCEL_INTEL_MODE[6]
USER_CTRL = 0x6A
PWR_MGMT_1 = 0x6B
PWR_MGMT_2 = 0x6C
FIFO_COUNTH = 0x72
FIFO_COUNTL = 0x73
FIFO_R_W = 0x74
WHO_AM_I = 0x75

DEVICE_RESET = 0x80
SLEEP = 0x40
CYCLE = 0x20
INT_LEVEL = 0x80
LATCH_INT_EN = 0x20
USER_FIFO_EN = 0x40
FIFO_RESET = 0x04
SELF_CLEARING = 0x07  # USER_CTRL's FIFO_RESET, I2C_MST_RESET, SIG_COND_RESET
FIFO_OFLOW_INT = 0x10
DATA_RDY_INT = 0x01

FIFO_BYTES = 1024
ACCEL_LSB_X1000 = (16384000, 8192000, 4096000, 2048000)  # LSB/g x 1000, by AFS_SEL
GYRO_LSB_X1000 = (131000, 65500, 32800, 16400)  # LSB/(deg/s) x 1000, by FS_SEL


class _Mpu(RegisterChip):
    """Motion interrupt: the chip's MOTION_BITS in INT_ENABLE route the event to INT; the
    subclass decides what a motion is (motion_check). With LATCH_INT_EN the event holds until
    INT_STATUS is read, otherwise it lasts one sample."""

    CHIP_ID = 0  # WHO_AM_I
    MOTION_BITS = 0  # INT_ENABLE / INT_STATUS bits of the motion event
    PWR_MGMT_1_RESET = 0x40  # asleep
    TEMP_COUNTS = 0  # TEMP_OUT at 25 degC
    FIFO_GROUPS = ()  # (FIFO_EN bit, first and last register it puts into the FIFO)

    def __init__(self, addr, world):
        super().__init__(addr, world, FIFO_BYTES)
        self._fifo_regs = bytearray(14)  # the registers a sample puts into the FIFO, in order
        self._fifo_len = 0
        self._count_latch = 0
        self._last_popped = 0
        self._data_ready = False
        self._held = False
        self._power_on_reset()

    def _power_on_reset(self):
        regs = self.regs
        for i in range(len(regs)):
            regs[i] = 0
        regs[PWR_MGMT_1] = self.PWR_MGMT_1_RESET
        regs[WHO_AM_I] = self.CHIP_ID
        self._fifo_len = 0
        self.routed = False
        self.fifo_reset()
        self.set_odr(0)

    def resume(self):
        self.on_write(PWR_MGMT_1, self.regs[PWR_MGMT_1])

    # --- registers ------------------------------------------------------------------------
    def next_reg(self, reg):
        return reg if reg == FIFO_R_W else (reg + 1) & 0xFF

    def on_read(self, reg):
        if reg == FIFO_R_W:
            if self.fifo_count:
                self._last_popped = self.fifo_pop()
                return self._last_popped
            return self.empty_fifo_byte()
        if reg == FIFO_COUNTH:
            self._count_latch = self.fifo_count
            return self._count_latch >> 8
        if reg == FIFO_COUNTL:
            return self._count_latch & 0xFF
        if reg == INT_STATUS:
            status = FIFO_OFLOW_INT if self.fifo_overflowed else 0
            if self._data_ready:
                status |= DATA_RDY_INT
            if self.motion:
                status |= self.MOTION_BITS
            self.fifo_overflowed = False
            self._data_ready = False
            self.motion = False
            return status
        return self.regs[reg]

    def on_write(self, reg, value):
        if reg == PWR_MGMT_1 and value & DEVICE_RESET:
            self._power_on_reset()
            return
        if reg == USER_CTRL:
            if value & FIFO_RESET and not value & USER_FIFO_EN:
                self.fifo_reset()
            self.regs[USER_CTRL] = value & ~SELF_CLEARING
        elif reg == FIFO_EN:
            self._route_fifo(value)
        elif reg == FIFO_R_W:
            self.fifo_push(value)
        elif reg == WHO_AM_I:
            self.regs[WHO_AM_I] = self.CHIP_ID
        if reg == PWR_MGMT_1 or reg == PWR_MGMT_2 or SMPLRT_DIV <= reg <= GYRO_CONFIG:
            power = self.regs[PWR_MGMT_1]
            if power & SLEEP:
                odr = 0
            elif power & CYCLE:
                odr = self.cycle_rate_mhz()
            else:
                odr = self.sample_rate_mhz()
            if odr != self._odr_mhz:
                self.set_odr(odr)
        self.routed = bool(self.motion_routed())

    def cycle_rate_mhz(self):
        """How often the accelerometer wakes in cycle (low-power) mode."""
        raise NotImplementedError

    def motion_routed(self):
        return self.regs[INT_ENABLE] & self.MOTION_BITS

    def int_active_low(self):
        return self.regs[INT_PIN_CFG] & INT_LEVEL

    def motion_check(self, sample):
        """True when this sample is a motion event (only called while it is routed)."""
        raise NotImplementedError

    def _route_fifo(self, fifo_en):
        """Which data registers each sample appends to the FIFO, in register order (RM 4.31)."""
        n = 0
        for reg in range(ACCEL_XOUT_H, GYRO_XOUT_H + 6):
            for bit, first, last in self.FIFO_GROUPS:
                if fifo_en & bit and first <= reg <= last:
                    self._fifo_regs[n] = reg
                    n += 1
                    break
        self._fifo_len = n

    def sample_rate_mhz(self):
        raise NotImplementedError

    def empty_fifo_byte(self):
        """What FIFO_R_W reads while the FIFO is empty."""
        raise NotImplementedError

    # --- sampling -------------------------------------------------------------------------
    def _fifo_takes_samples(self):
        return self._fifo_len and self.regs[USER_CTRL] & USER_FIFO_EN

    def clock(self):
        # The base class flags an overflow when it skips a long unread stretch; nothing
        # overflows while the FIFO takes no samples.
        flagged = self.fifo_overflowed
        RegisterChip.clock(self)
        if not self._fifo_takes_samples():
            self.fifo_overflowed = flagged

    def sample_bytes(self):
        return self._fifo_len if self._fifo_takes_samples() else FIFO_BYTES

    def produce(self, sample):
        regs = self.regs
        accel_lsb = ACCEL_LSB_X1000[(regs[ACCEL_CONFIG] >> 3) & 3]
        gyro_lsb = GYRO_LSB_X1000[(regs[GYRO_CONFIG] >> 3) & 3]
        for i in range(3):
            self._put16(ACCEL_XOUT_H + 2 * i, to_counts(sample[i], accel_lsb, G))
            self._put16(GYRO_XOUT_H + 2 * i, to_counts(sample[3 + i], gyro_lsb, DPS))
        self._put16(TEMP_OUT_H, self.TEMP_COUNTS)
        self._data_ready = True
        if (self.routed or self._watching) and self.watching(sample, self.routed):
            if self.motion_check(sample):
                self.motion = True
            elif not regs[INT_PIN_CFG] & LATCH_INT_EN:
                self.motion = False
        if self._fifo_takes_samples():
            for i in range(self._fifo_len):
                self.fifo_push(regs[self._fifo_regs[i]])

    def _put16(self, reg, value):
        self.regs[reg] = (value >> 8) & 0xFF
        self.regs[reg + 1] = value & 0xFF


MOT_THR = 0x1F  # MPU-6050: 1 LSB = 2 mg (Register Map rev 3.2, 4.7)
WOM_THR = (0x20, 0x21, 0x22)  # MPU-6886: ACCEL_WOM_X/Y/Z_THR, 1 LSB = 4 mg
ACCEL_HPF_HOLD = 7  # MPU-6050 ACCEL_CONFIG ACCEL_HPF[2:0]: the filter holds its reference
LP_WAKE_MHZ = (1250, 5000, 20000, 40000)  # MPU-6050 PWR_MGMT_2 LP_WAKE_CTRL[7:6] (RM 4.29)


class MPU6050(_Mpu):
    """Motion detection compares every sample, through the digital high-pass filter, with
    MOT_THR. With the filter in hold mode (i2cdevlib's and InvenSense's recipe) its output is
    the change since the sample it held, so that is what is compared; otherwise the change
    from the sample before."""

    CHIP_ID = 0x68  # RM 4.32
    MOTION_BITS = 0x40  # MOT_EN / MOT_INT
    PWR_MGMT_1_RESET = 0x40  # RM section 3: SLEEP set
    TEMP_COUNTS = -3920  # RM 4.18: degC = TEMP_OUT / 340 + 36.53
    # RM 4.6: TEMP, XG, YG, ZG and ACCEL_FIFO_EN
    FIFO_GROUPS = (
        (0x80, 0x41, 0x42),
        (0x40, 0x43, 0x44),
        (0x20, 0x45, 0x46),
        (0x10, 0x47, 0x48),
        (0x08, 0x3B, 0x40),
    )

    def sample_rate_mhz(self):
        """RM 4.2: the gyro output rate (8 kHz, or 1 kHz with the DLPF on) / (1 + SMPLRT_DIV)."""
        dlpf = self.regs[CONFIG] & 7
        gyro_hz = 8000 if dlpf == 0 or dlpf == 7 else 1000
        return gyro_hz * 1000 // (1 + self.regs[SMPLRT_DIV])

    def empty_fifo_byte(self):
        """RM 4.31: the last byte read from the FIFO, until new data comes."""
        return self._last_popped

    def cycle_rate_mhz(self):
        return LP_WAKE_MHZ[self.regs[PWR_MGMT_2] >> 6]

    def motion_check(self, sample):
        threshold = self.regs[MOT_THR] * 200  # 2 mg in 1e-5 g
        if (self.regs[ACCEL_CONFIG] & 7) != ACCEL_HPF_HOLD:
            return self.moved_beyond(sample, self._last, threshold)
        if not self._held:
            self._held = True
            for i in range(3):
                self._last[i] = sample[i]
            return False
        hit = False
        for i in range(3):
            d = sample[i] - self._last[i]
            if d > threshold or -d > threshold:
                hit = True
        return hit

    def on_write(self, reg, value):
        if reg == ACCEL_CONFIG:
            self._held = False  # a new hold takes a new reference
        _Mpu.on_write(self, reg, value)


class MPU6886(_Mpu):
    """Wake on motion (ACCEL_INTEL_EN, ACCEL_INTEL_MODE = 1): each accel sample is compared
    with the one before, axis by axis, against ACCEL_WOM_X/Y/Z_THR (4 mg a count)."""

    CHIP_ID = 0x19
    MOTION_BITS = 0xE0  # WOM_X/Y/Z_INT_EN
    PWR_MGMT_1_RESET = 0x41  # asleep, CLKSEL auto (the ICM-20602/20608 family's reset value)
    TEMP_COUNTS = 0  # degC = TEMP_OUT / 326.8 + 25 (M5Stack's driver)
    # GYRO_FIFO_EN puts temperature and gyro, ACCEL_FIFO_EN accel and temperature into the
    # FIFO; with both, a 14-byte frame (PX4's ICM-20602 FIFO::DATA, M5Stack getFIFOData)
    FIFO_GROUPS = ((0x10, 0x41, 0x48), (0x08, 0x3B, 0x42))

    def sample_rate_mhz(self):
        """SMPLRT_DIV only divides 1 kHz while FCHOICE_B = 0 and DLPF_CFG is 1..6; otherwise
        the gyro runs at 32 kHz (FCHOICE_B) or 8 kHz (DLPF bypassed)."""
        if self.regs[GYRO_CONFIG] & 3:
            return 32000000
        dlpf = self.regs[CONFIG] & 7
        if dlpf == 0 or dlpf == 7:
            return 8000000
        return 1000000 // (1 + self.regs[SMPLRT_DIV])

    def empty_fifo_byte(self):
        """The datasheet's empty-FIFO marker (M5Stack's driver saw 0x7F on some parts)."""
        return 0xFF

    def cycle_rate_mhz(self):
        """Low-power accel: 1 kHz / (1 + SMPLRT_DIV), as in normal mode."""
        return 1000000 // (1 + self.regs[SMPLRT_DIV])

    def motion_check(self, sample):
        if self.regs[ACCEL_INTEL_CTRL] & 0xC0 != 0xC0:
            return False
        hit = False
        for i in range(3):
            d = sample[i] - self._last[i]
            if d > self.regs[WOM_THR[i]] * 400 or -d > self.regs[WOM_THR[i]] * 400:
                hit = True
            self._last[i] = sample[i]
        return hit
