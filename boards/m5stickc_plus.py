"""M5Stack M5StickC Plus (SKU K016-P): ESP32-PICO-D4, MPU-6886, red LED, buttons, AXP192.

Pin map from docs.m5stack.com (StickC-Plus page) and the M5StickC pin tables: red LED G10, IR G9,
button A (front) G37, button B (side) G39, and one internal I2C bus, SCL G22 / SDA G21, that carries
both the MPU6886 (0x68) and the AXP192 power chip (0x34). The LED is lit when G10 is low (M5's
m5stickc_led driver: LED_ON = 0). G37 is input-only with the button's pull-up on the board. The
battery is read through the AXP192 (no ADC divider on a GPIO). The MPU6886's INT reaches G35 (an RTC
GPIO, input-only), a line it shares with the BM8563 RTC's and the AXP192's IRQ, so it is set active
low, open drain (StickC Plus schematic; M5Stack community notes on G35). Axes: the board frame is
the chip's own frame (identity). Not for the StickC Plus2: it has no AXP192.
The IMU runs at 50 Hz, not ~100: a calf raise moves below 5 Hz and the 20 Hz low-pass filter
the driver pairs with 50 Hz passes it whole; the detector counts the same reps at 50 Hz as at
104 (docs/power.md), and half the bus traffic and interpreter time per second lifts this board's
120 mAh from 19.8 to 21.6 h of recording (the 20 h target; its gyro alone draws ~2.8 mA).
The AXP192 powers the LCD's backlight (LDO2), the LCD's logic (LDO3) and the 5 V boost for the
Grove port and hat header (EXTEN), all on at power-on (REG12H 5FH) and unused here: the firmware
switches them off at boot (M5's AXP192.cpp: "LDO2 is LCD Backlight, LDO3 is LCD Power"; EXTEN
the "5v boost"); DC-DC1 feeds the ESP32 and stays on. docs/power.md prices the backlight.
"""

from calfraise_fw.boardspec import Axp192Battery, Board, Button, GpioLed, I2CBus, Imu

BOARD = Board(
    name="m5stickc_plus",
    title="M5Stack M5StickC Plus",
    chip="esp32",
    i2c=I2CBus(0, scl=22, sda=21),
    imu=Imu("mpu6886", 0x68, axes="x,y,z", rate_hz=50, int_pin=35, int_active_low=True),
    led=GpioLed(10, active_low=True),
    button=Button(37, active_low=True),
    battery=Axp192Battery(0x34, off=("LDO2", "LDO3", "EXTEN")),
    source="https://docs.m5stack.com/en/core/m5stickc_plus",
)
