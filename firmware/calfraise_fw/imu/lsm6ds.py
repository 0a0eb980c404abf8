"""ST LSM6DS3, LSM6DS3TR-C and LSM6DSOX: what the three share (one control-register map, reset,
ranges and rates, FIFO flush and loss accounting). Their FIFOs differ: lsm6ds3.py drives the
pattern FIFO of the LSM6DS3 and LSM6DS3TR-C, lsm6dsox.py the tagged FIFO of the LSM6DSOX, so a
board loads only its chip's code.

Sources: LSM6DS3TR-C datasheet DocID030071 rev 3 ("DS") and application note AN5130 ("AN");
AN4650 (LSM6DS3: 8 kbyte FIFO); ST's PID drivers lsm6ds3_reg.h and lsm6dsox_reg.h (register
fields, FIFO tags); Linux st_lsm6dsx (FIFO sizes; it bursts whole patterns from
FIFO_DATA_OUT_L and whole tagged words from FIFO_DATA_OUT_TAG).
"""

import time

from micropython import const

from calfraise_fw.imu.base import FifoImu
from calfraise_fw.imu.frames import frame_layout

_CTRL1_XL = const(0x10)  # ODR_XL[7:4] FS_XL[3:2]
_CTRL2_G = const(0x11)  # ODR_G[7:4] FS_G[3:2] FS_125[1]
_CTRL3_C = const(0x12)  # BOOT BDU H_LACTIVE PP_OD SIM IF_INC BLE SW_RESET
_CTRL6_C = const(0x15)  # XL_HM_MODE[4]: 1 turns the accelerometer's high-performance mode off
_WAKE_UP_SRC = const(0x1B)  # WU_IA[3]: the wake-up event (cleared by this read when latched)
_FIFO_STATUS1 = const(0x3A)  # DIFF_FIFO[7:0], then FIFO_STATUS2..4 (read in one go)
_WAKE_UP_THS = const(0x5B)  # WK_THS[5:0]: 1 LSB = full scale / 64
_WAKE_UP_DUR = const(0x5C)  # WAKE_DUR[6:5]: samples over the threshold before the event
_MD1_CFG = const(0x5E)  # INT1_WU[5]: the wake-up event drives INT1

_SW_RESET = const(0x01)  # clears itself once the reset is done (DS 9.15)
_BDU_IF_INC = const(0x44)  # AN 8: the FIFO needs BDU and IF_INC (auto-increment) set
_FS_XL_8G = const(0x0C)  # FS_XL = 11: +-8 g, 0.244 mg/LSB (DS table 3)
_FS_G_1000DPS = const(0x08)  # FS_G = 10: +-1000 deg/s, 35 mdps/LSB (DS table 3)
_CONTINUOUS = const(0x06)  # FIFO_MODE = 110: the newest data overwrite the oldest (DS table 42)
_ACTIVE_LOW_OPEN_DRAIN = const(0x30)  # CTRL3_C H_LACTIVE | PP_OD
_XL_LOW_POWER = const(0x10)  # CTRL6_C XL_HM_MODE
_WU_IA = const(0x08)
_INT1_WU = const(0x20)
_FS_2G_MG = const(2000)  # the wake-up threshold's full scale (FS_XL = 00)

_RESET_POLLS = const(10)  # AN5130: a software reset takes about 50 us; poll CTRL3_C every 1 ms
SAMPLE = const(12)  # bytes of a sample: gyro x, y, z then accel x, y, z, little-endian

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


class Lsm6ds(FifoImu):
    """The three chips' shared part; a subclass batches its FIFO and reads it."""

    FIFO_MODE_REG = 0  # the register holding FIFO_MODE[2:0]
    ACCEL_LSB = (1000000, 244)  # +-8 g: 0.244 mg/LSB (DS table 3)
    GYRO_LSB = (1000, 35)  # +-1000 deg/s: 35 mdps/LSB (DS table 3)

    def __init__(self, i2c, addr, *, rate_hz=104, axes="x,y,z", bus="I2C"):
        super().__init__(i2c, addr, rate_hz=rate_hz, axes=axes, bus=bus)
        self.rate_hz, self._odr = nearest_odr(rate_hz)
        self.layout = frame_layout(axes, SAMPLE, 6, 0, False)
        self._fifo_cfg = 0  # FIFO_MODE_REG's bits besides FIFO_MODE
        self._left = 0  # samples the previous read() left in the FIFO
        self._carry = 0  # samples lost just after the previous read()'s batch
        self._unsure = False  # a flush may have lost samples the counts cannot see

    def _reset(self):
        self.write_reg(_CTRL3_C, _SW_RESET)
        for _ in range(_RESET_POLLS):
            time.sleep_ms(1)
            if not self.read_reg(_CTRL3_C) & _SW_RESET:
                return
        raise self._error("did not finish its reset")

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

    # --- standby: the wake-up interrupt (AN5130 5.4, AN5272 5.4, AN4650 5.4) --------------
    WAKE_ODR = 1  # ODR_XL code of the standby rate (low-power mode)
    WAKE_CFG: tuple = ()  # (register, value): the chip's latch (LIR) and interrupt enable

    def wake_on_motion(self, mg, active_low):
        """Gyro off, accelerometer alone in low-power mode at WAKE_ODR, +-2 g; its slope filter
        (half the change between two samples) against WK_THS on every axis, latched on INT1."""
        self._reset()
        self.write_reg(_CTRL3_C, _BDU_IF_INC | (_ACTIVE_LOW_OPEN_DRAIN if active_low else 0))
        self.write_reg(_CTRL6_C, _XL_LOW_POWER)
        self.write_reg(_CTRL1_XL, self.WAKE_ODR << 4)
        for reg, value in self.WAKE_CFG:
            self.write_reg(reg, value)
        self.write_reg(_WAKE_UP_DUR, 0)
        # the slope is half the change: a change of mg is a slope of mg / 2
        self.write_reg(_WAKE_UP_THS, max(1, min(63, (mg * 32 + _FS_2G_MG // 2) // _FS_2G_MG)))
        self.write_reg(_MD1_CFG, _INT1_WU)
        self.motion()

    def motion(self):
        return bool(self.read_reg(_WAKE_UP_SRC) & _WU_IA)

    def _flush(self):
        """Bypass mode empties the FIFO (AN 8.2.1); then continuous mode again."""
        self.write_reg(self.FIFO_MODE_REG, self._fifo_cfg)
        self.write_reg(self.FIFO_MODE_REG, self._fifo_cfg | _CONTINUOUS)
        self._unsure = True

    def _read_status(self, buf):
        """FIFO_STATUS1 and the next len(buf) - 1 registers into buf; returns the samples the
        chip made since the previous read (by the clock)."""
        self.read_into(_FIFO_STATUS1, buf)
        return self.since_last_read()

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
