"""InvenSense MPU-6050 and MPU-6886: one register map, two FIFO frames.

Sources: MPU-6000/MPU-6050 Register Map rev 4.2 (RM-MPU-6000A-00, "RM" below) and Product
Specification rev 3.4 ("PS"); for the MPU-6886, M5Stack's drivers (M5StickC-Plus MPU6886.cpp,
M5Unified MPU6886_Class.cpp) and its ICM-20602 sibling as PX4 describes it.

Both chips keep a 1024-byte FIFO (RM 4.31; MPU-6886 datasheet: "1 kB FIFO") of big-endian
samples in register order, and a burst read of FIFO_R_W keeps popping it (InvenSense's inv_mpu.c
reads whole packets that way). 1024 bytes is no whole number of frames, so after an overflow the
FIFO is no longer frame-aligned: the driver flushes it and reports what was lost.
"""

import time

from micropython import const

from calfraise_fw.imu.base import FifoImu
from calfraise_fw.imu.frames import frame_layout

_SMPLRT_DIV = const(0x19)  # sample rate = 1 kHz / (1 + SMPLRT_DIV) while the DLPF is on (RM 4.2)
_CONFIG = const(0x1A)  # DLPF_CFG[2:0]
_GYRO_CONFIG = const(0x1B)  # FS_SEL[4:3]; the MPU-6886's FCHOICE_B[1:0] must stay 0
_ACCEL_CONFIG = const(0x1C)  # AFS_SEL[4:3]
_ACCEL_CONFIG2 = const(0x1D)  # MPU-6886 only: A_DLPF_CFG[2:0]
_FIFO_EN = const(0x23)
_INT_PIN_CFG = const(0x37)  # INT_LEVEL[7] (1: active low), INT_OPEN[6], LATCH_INT_EN[5]
_INT_ENABLE = const(0x38)
_INT_STATUS = const(0x3A)  # FIFO_OFLOW_INT (bit 4) clears when INT_STATUS is read
_USER_CTRL = const(0x6A)
_PWR_MGMT_1 = const(0x6B)
_PWR_MGMT_2 = const(0x6C)  # STBY_XG/YG/ZG[2:0]; MPU-6050: LP_WAKE_CTRL[7:6]
_FIFO_COUNTH = const(0x72)  # reading it latches FIFO_COUNTL too (RM 4.30)
_FIFO_R_W = const(0x74)

_DEVICE_RESET = const(0x80)  # PWR_MGMT_1: clears itself once the reset is done
_CLKSEL_PLL = const(0x01)  # PWR_MGMT_1: awake (SLEEP = 0), clocked by the gyro's PLL
_USER_FIFO_EN = const(0x40)
_USER_FIFO_RESET = const(0x04)  # flushes the FIFO only while FIFO_EN is 0 (RM, USER_CTRL)
_FIFO_OFLOW_INT = const(0x10)
_FS_1000_DPS = const(0x10)  # FS_SEL = 2: 32.8 LSB/(deg/s) (RM 4.19)
_FS_8_G = const(0x10)  # AFS_SEL = 2: 4096 LSB/g (PS 6.2)
_LATCH_INT = const(0x20)  # INT_PIN_CFG: INT stays up until INT_STATUS is read
_ACTIVE_LOW_OPEN_DRAIN = const(0xC0)  # INT_PIN_CFG: INT_LEVEL | INT_OPEN
_GYRO_STANDBY = const(0x07)  # PWR_MGMT_2: the gyro's three axes off
_CYCLE = const(0x20)  # PWR_MGMT_1: wake, take one accel sample, sleep again, at the LP rate

_FIFO_BYTES = const(1024)
_RESET_MS = const(100)  # RM p. 41, PWR_MGMT_1 note: wait 100 ms after DEVICE_RESET
# PS 6.1: the gyro's zero-rate output settles in 30 ms (typ) after waking
_GYRO_SETTLE_MS = const(50)

# (output data rate in Hz, DLPF_CFG): the rates 1 kHz / (1 + SMPLRT_DIV) makes in whole hertz,
# each with the widest low-pass filter below its Nyquist frequency (DLPF_CFG 1..5: about 180,
# 95, 43, 20 and 10 Hz on both chips).
RATES = ((1000, 1), (500, 1), (250, 2), (200, 2), (125, 3), (100, 3), (50, 4), (40, 5))


def nearest_rate(rate_hz):
    """The (rate, DLPF_CFG) of RATES nearest to rate_hz; a tie goes to the faster rate."""
    best = RATES[0]
    for choice in RATES:
        if abs(choice[0] - rate_hz) < abs(best[0] - rate_hz):
            best = choice
    return best


class _Mpu(FifoImu):
    """What the two chips share; subclasses name the chip, its FIFO frame and FIFO_EN bits."""

    MOTION_BITS = 0  # INT_ENABLE / INT_STATUS bits of the chip's motion interrupt
    WHO_AM_I_REG = 0x75
    FIFO_SOURCES = 0  # the FIFO_EN bits that put accel and gyro into the FIFO
    GYRO_AT = 0  # byte offset of the gyro's x reading in a FIFO frame
    ACCEL_LSB = (4096, 1)  # +-8 g: 4096 LSB/g (PS 6.2)
    GYRO_LSB = (328, 10)  # +-1000 deg/s: 32.8 LSB/(deg/s) (RM 4.19)

    def __init__(self, i2c, addr, *, rate_hz=104, axes="x,y,z", bus="I2C"):
        super().__init__(i2c, addr, rate_hz=rate_hz, axes=axes, bus=bus)
        self.layout = frame_layout(axes, self.FRAME, 0, self.GYRO_AT, True)
        self.rate_hz, self._dlpf = nearest_rate(rate_hz)
        self._left = 0  # frames the previous read() left in the FIFO
        self._carry = 0  # samples lost just after the previous read()'s batch

    def _reset(self):
        self.write_reg(_PWR_MGMT_1, _DEVICE_RESET)
        time.sleep_ms(_RESET_MS)
        if self.read_reg(_PWR_MGMT_1) & _DEVICE_RESET:
            raise self._error("did not finish its reset")
        self.write_reg(_PWR_MGMT_1, _CLKSEL_PLL)

    def _configure(self):
        dlpf = self._dlpf
        self.write_reg(_SMPLRT_DIV, 1000 // self.rate_hz - 1)
        self.write_reg(_CONFIG, dlpf)
        self._filter_accel(dlpf)
        self.write_reg(_GYRO_CONFIG, _FS_1000_DPS)
        self.write_reg(_ACCEL_CONFIG, _FS_8_G)
        time.sleep_ms(_GYRO_SETTLE_MS)
        self.write_reg(_FIFO_EN, self.FIFO_SOURCES)
        self._flush()
        self.read_reg(_INT_STATUS)  # forget an overflow from before the flush
        self._left = 0
        self._carry = 0

    def _filter_accel(self, dlpf):
        """The MPU-6050's DLPF_CFG filters the accelerometer too: nothing more to set."""

    def _flush(self):
        self.write_reg(_USER_CTRL, _USER_FIFO_RESET)
        self.write_reg(_USER_CTRL, _USER_FIFO_EN)

    def wake_on_motion(self, mg, active_low):
        self._reset()
        self.write_reg(_INT_PIN_CFG, _LATCH_INT | (_ACTIVE_LOW_OPEN_DRAIN if active_low else 0))
        self._arm(mg)
        self.motion()

    def _arm(self, mg):
        """The chip's own motion-interrupt recipe, ending in cycle (low-power) mode."""
        raise NotImplementedError

    def motion(self):
        return bool(self.read_reg(_INT_STATUS) & self.MOTION_BITS)

    def read(self, out):
        since = self.since_last_read()
        self.gap = self._carry
        self._carry = 0
        self.read_into(_FIFO_COUNTH, self.reg2)
        count = (self.reg2[0] << 8) | self.reg2[1]
        # Only a full FIFO can have overflowed: check the flag then, as InvenSense's inv_mpu.c
        # does once the FIFO is half full.
        if count >= _FIFO_BYTES // 2 and self.read_reg(_INT_STATUS) & _FIFO_OFLOW_INT:
            lost = since + self._left
            self.overflows += 1
            self.lost += lost
            self.gap += lost
            self._left = 0
            self._flush()
            return 0
        frames = count // self.FRAME
        done = self.bursts(_FIFO_R_W, frames, out)
        if self.broken:
            return self._burst_failed(frames, done)
        self._left = frames - done
        return done

    def _burst_failed(self, frames, done):
        """The chip sent part of a burst: alignment is lost, so flush and count the rest as lost
        (a gap after the `done` samples returned, reported with the next batch)."""
        self._flush()
        self._carry = frames - done
        self.lost += frames - done
        self._left = 0
        return done


_MOT_THR = const(0x1F)  # MPU-6050 motion threshold, 2 mg a count (RM rev 3.2, 4.7)
_MOT_DUR = const(0x20)  # ... and duration, 1 ms a count (RM rev 3.2, 4.8)
_ACCEL_HPF_HOLD = const(0x07)  # ACCEL_CONFIG ACCEL_HPF: the high-pass filter holds its input
_LP_WAKE_5_HZ = const(0x40)  # PWR_MGMT_2 LP_WAKE_CTRL = 1: 5 Hz (RM 4.29)
_TEMP_DIS = const(0x08)  # PWR_MGMT_1
_ACCEL_INTEL = const(0x69)  # MPU-6886 ACCEL_INTEL_CTRL: ACCEL_INTEL_EN[7], ACCEL_INTEL_MODE[6]
_COMPARE_PREVIOUS = const(0xC0)  # on, each sample against the one before
_WOM_THR = const(0x20)  # MPU-6886 ACCEL_WOM_X_THR, Y and Z follow: 4 mg a count
_LP_DIV = const(255)  # MPU-6886 low-power accel rate 1 kHz / (1 + 255): 3.9 Hz


class MPU6050(_Mpu):
    """Motion detection (RM rev 3.2 4.7-4.8; InvenSense's and i2cdevlib's recipe): the
    high-pass filter reset, then held, so it puts out each sample's change from the rest
    position it held; MOT_THR on that, the accelerometer cycling at 5 Hz, the gyro off.
    (Register Map rev 4.2 no longer lists MOT_THR/MOT_DUR; the silicon has them.)"""

    NAME = "MPU-6050"
    MOTION_BITS = 0x40  # INT_ENABLE MOT_EN / INT_STATUS MOT_INT
    WHO_AM_I = (0x68,)  # RM 4.32, whatever the AD0 pin
    FRAME = 12  # accel x, y, z then gyro x, y, z (RM 4.31: register order)
    FIFO_SAMPLES = 1024 // 12
    FIFO_SOURCES = 0x78  # XG, YG, ZG and ACCEL_FIFO_EN (RM 4.6)
    GYRO_AT = 6

    def _arm(self, mg):
        self.write_reg(_ACCEL_CONFIG, 0)  # +-2 g, the filter reset
        self.write_reg(_MOT_THR, min(255, (mg + 1) // 2))
        self.write_reg(_MOT_DUR, 1)
        self.write_reg(_INT_ENABLE, self.MOTION_BITS)
        time.sleep_ms(5)  # a few samples through the filter
        self.write_reg(_ACCEL_CONFIG, _ACCEL_HPF_HOLD)
        self.write_reg(_PWR_MGMT_2, _LP_WAKE_5_HZ | _GYRO_STANDBY)
        self.write_reg(_PWR_MGMT_1, _CYCLE | _TEMP_DIS)


class MPU6886(_Mpu):
    """Wake on motion (the MPU-6886 datasheet's WoM steps, as for the ICM-20602): gyro off,
    each low-power accel sample compared with the one before against ACCEL_WOM_*_THR, cycling
    at 3.9 Hz so that a quarter second of a slow heel raise is one comparison."""

    NAME = "MPU-6886"
    MOTION_BITS = 0xE0  # INT_ENABLE WOM_X/Y/Z_INT_EN, INT_STATUS WOM_X/Y/Z_INT
    WHO_AM_I = (0x19,)
    FRAME = 14  # accel, temperature, gyro: the temperature comes along (M5Stack getFIFOData)
    FIFO_SAMPLES = 1024 // 14
    FIFO_SOURCES = 0x18  # GYRO_FIFO_EN | ACCEL_FIFO_EN
    GYRO_AT = 8

    def _filter_accel(self, dlpf):
        """The MPU-6886 filters its accelerometer separately (ACCEL_FCHOICE_B = 0)."""
        self.write_reg(_ACCEL_CONFIG2, dlpf)

    def _arm(self, mg):
        self.write_reg(_PWR_MGMT_2, _GYRO_STANDBY)
        self.write_reg(_ACCEL_CONFIG2, 1)  # ACCEL_FCHOICE_B = 0, A_DLPF_CFG = 1
        self.write_reg(_INT_ENABLE, self.MOTION_BITS)
        count = min(255, (mg + 3) // 4)
        for axis in range(3):
            self.write_reg(_WOM_THR + axis, count)
        self.write_reg(_ACCEL_INTEL, _COMPARE_PREVIOUS)
        self.write_reg(_SMPLRT_DIV, _LP_DIV)
        self.write_reg(_PWR_MGMT_1, _CYCLE | _CLKSEL_PLL)
