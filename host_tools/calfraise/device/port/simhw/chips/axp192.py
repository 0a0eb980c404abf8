"""AXP192 power chip: the battery voltage its ADC reports (sim config "battery_mv").

Registers (AXP192 datasheet; Linux drivers/iio/adc/axp20x_adc.c reads them the same way):
REG82H ADC enable 1, bit 7 the battery-voltage ADC (power-on value 83H, as the datasheet's register
table gives it: battery voltage on; the firmware sets the bit itself anyway); REG78H/79H the
battery voltage, top 8 bits then the low 4, 1.1 mV per step. With the ADC off both read 0.
REG12H the outputs' switches: bit 0 DC-DC1 (the ESP32's 3.3 V), 1 DC-DC3, 2 LDO2 (the M5StickC
Plus's LCD backlight), 3 LDO3 (the LCD's logic), 4 DC-DC2, 6 EXTEN (the 5 V boost for the
Grove and hat pins); power-on value 5FH, all on (axp192-dd's register map for the M5StickC Plus;
M5's AXP192.cpp names LDO2/LDO3). Switching DC-DC1 off cuts the ESP32's power: the run ends.
"""

import sys

from simhw import config
from simhw.chips.base import RegisterChip

ADC_EN1 = 0x82
ADC_EN1_POWER_ON = 0x83
ADC_EN1_BATT_V = 0x80
BATT_V_HIGH = 0x78
BATT_V_LOW = 0x79
BATT_V_MAX = 0xFFF  # 12 bits: 4504.5 mV
OUTPUTS = 0x12
OUTPUTS_POWER_ON = 0x5F
OUTPUT_DCDC1 = 0x01


class AXP192(RegisterChip):
    def __init__(self, addr, world):
        super().__init__(addr, world, 0)
        self.regs[ADC_EN1] = ADC_EN1_POWER_ON
        self.regs[OUTPUTS] = OUTPUTS_POWER_ON
        raw = min(BATT_V_MAX, (config.get("battery_mv", 3900) * 10 + 5) // 11)
        self.regs[BATT_V_HIGH] = raw >> 4
        self.regs[BATT_V_LOW] = raw & 0x0F

    def on_read(self, reg):
        if reg in (BATT_V_HIGH, BATT_V_LOW) and not self.regs[ADC_EN1] & ADC_EN1_BATT_V:
            return 0
        return self.regs[reg]

    def on_write(self, reg, value):
        if reg == OUTPUTS and not value & OUTPUT_DCDC1:
            sys.exit("AXP192: DC-DC1 switched off: the ESP32 has lost its power")
