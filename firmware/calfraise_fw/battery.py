"""The battery's voltage and charge, from whatever the board senses it with.

open_battery(board.battery, i2c) gives a reader with millivolts() and percent(), or None for a
board without battery sensing. The app reads it about once a minute, so allocation is fine here;
what matters is that a reading never takes the app down: a failed read (OSError on the bus or
the ADC) gives the last good value, or None before the first one.
"""

from micropython import const

from calfraise_fw.boardspec import AdcBattery, Axp192Battery

# LiPo open-circuit voltage (mV) at 100, 90, ..., 0 % charge, linear in between: the Li-ion/LiPo
# curve of Meshtastic's firmware (src/power.h, OCV_ARRAY).
LIPO_OCV_MV = (4190, 4050, 3990, 3890, 3800, 3720, 3630, 3530, 3420, 3300, 3100)

# AXP192 registers (datasheet register map; Linux drivers/iio/adc/axp20x_adc.c reads the same):
# REG82H bit 7 enables the battery-voltage ADC; REG78H holds its top 8 bits and REG79H bits 3..0
# the low 4 of a 12-bit reading at 1.1 mV per step.
_AXP_ADC_EN1 = const(0x82)
_AXP_ADC_EN1_BATT_V = const(0x80)
_AXP_BATT_V = const(0x78)
# REG12H switches the outputs on and off (bit 0 DC-DC1, the ESP32's supply: never named here).
_AXP_OUTPUTS = const(0x12)
_AXP_OUTPUT_BITS = {"DCDC3": 0x02, "LDO2": 0x04, "LDO3": 0x08, "DCDC2": 0x10, "EXTEN": 0x40}


def lipo_percent(mv):
    """Charge (0..100) of a single LiPo cell at mv millivolts, by LIPO_OCV_MV; clamped."""
    if mv >= LIPO_OCV_MV[0]:
        return 100
    for i in range(1, len(LIPO_OCV_MV)):
        low = LIPO_OCV_MV[i]
        if mv >= low:
            span = LIPO_OCV_MV[i - 1] - low
            return 100 - 10 * i + (10 * (mv - low) + span // 2) // span
    return 0


def open_battery(spec, i2c):
    """A reader for spec (a boardspec AdcBattery or Axp192Battery) or None for spec None.

    i2c: the board's bus (the AXP192 sits on it). Raises ValueError for another kind of spec,
    or when the ADC cannot use the pin.
    """
    return None if spec is None else Battery(spec, i2c)


def axp192_switch_off(i2c, addr, names):
    """Switch off the AXP192 outputs named (_AXP_OUTPUT_BITS), read-modify-write, so that
    DC-DC1 and any output not named keep their state. Raises ValueError for another name; a
    chip that does not answer is left alone (the reader then gives None)."""
    mask = 0
    for name in names:
        if name not in _AXP_OUTPUT_BITS:
            raise ValueError(
                f"AXP192 output {name!r}: expected one of {', '.join(_AXP_OUTPUT_BITS)}"
            )
        mask |= _AXP_OUTPUT_BITS[name]
    try:
        on = i2c.readfrom_mem(addr, _AXP_OUTPUTS, 1)[0]
        if on & mask:
            i2c.writeto_mem(addr, _AXP_OUTPUTS, bytes((on & ~mask,)))
    except OSError:
        pass


class Battery:
    """millivolts() and percent() from an ADC divider or the AXP192, keeping the last good
    value."""

    def __init__(self, spec, i2c):
        self._mv = None
        if isinstance(spec, AdcBattery):
            from machine import ADC, Pin

            self._ratio = spec.ratio
            try:
                # 11 dB: up to about 2.5 V at the pin
                self._adc = ADC(Pin(spec.pin), atten=ADC.ATTN_11DB)
            except ValueError as err:
                raise ValueError(f"battery ADC pin {spec.pin!r}: {err}") from err
            self._read_mv = self._adc_mv
        elif isinstance(spec, Axp192Battery):
            self._i2c = i2c
            self._addr = spec.addr
            if spec.off:
                axp192_switch_off(i2c, spec.addr, spec.off)
            self._adc_on = False
            self._read_mv = self._axp192_mv
        else:
            raise ValueError(
                f"unknown battery sensing {spec!r}: expected AdcBattery or Axp192Battery"
            )

    def millivolts(self):
        """The battery voltage in mV: a fresh reading, else the last good one, else None."""
        try:
            mv = self._read_mv()
        except OSError:
            mv = None
        if mv is not None:
            self._mv = mv
        return self._mv

    def percent(self):
        """The charge (0..100) at the voltage millivolts() gives, or None."""
        mv = self.millivolts()
        return None if mv is None else lipo_percent(mv)

    def _adc_mv(self):
        """A LiPo through a divider into an ADC pin."""
        return int(self._adc.read_uv() * self._ratio) // 1000

    def _axp192_mv(self):
        """The AXP192's battery-voltage ADC, switched on at the first reading."""
        if not self._adc_on:
            enable = self._i2c.readfrom_mem(self._addr, _AXP_ADC_EN1, 1)[0]
            if not enable & _AXP_ADC_EN1_BATT_V:
                self._i2c.writeto_mem(
                    self._addr, _AXP_ADC_EN1, bytes((enable | _AXP_ADC_EN1_BATT_V,))
                )
            self._adc_on = True
        high, low = self._i2c.readfrom_mem(self._addr, _AXP_BATT_V, 2)
        raw = (high << 4) | (low & 0x0F)
        if raw == 0:  # no battery, or the ADC has not converted yet: no reading
            return None
        return (raw * 11 + 5) // 10
