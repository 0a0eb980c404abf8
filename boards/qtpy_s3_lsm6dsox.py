"""Adafruit QT Py ESP32-S3 with an Adafruit LSM6DSOX breakout on a STEMMA QT cable.

The STEMMA QT connector is the QT Py's second I2C bus, SCL1 GPIO40 / SDA1 GPIO41 (Adafruit's pinout
page; arduino-esp32 variants/adafruit_qtpy_esp32s3_nopsram/pins_arduino.h: SDA1 = 41, SCL1 = 40).
The breakout answers at 0x6A, its default (DO pulled low; Adafruit_LSM6DS LSM6DS_I2CADDR_DEFAULT),
0x6B with DO tied high. The NeoPixel is on GPIO39 and powered through GPIO38, which must be high
(NEOPIXEL_POWER = 38); the Boot button pulls GPIO0 low. No battery sensing. The STEMMA QT cable
carries no interrupt line, so the IMU's INT1 is not wired and standby polls the IMU (power.py).
Axes: the IMU hangs on a cable, so the board frame is the chip's own frame (identity).
"""

from calfraise_fw.boardspec import Board, Button, I2CBus, Imu, NeoPixelLed

BOARD = Board(
    name="qtpy_s3_lsm6dsox",
    title="Adafruit QT Py ESP32-S3 + LSM6DSOX",
    chip="esp32s3",
    i2c=I2CBus(0, scl=40, sda=41),
    imu=Imu("lsm6dsox", 0x6A, axes="x,y,z", rate_hz=104),
    led=NeoPixelLed(39, count=1, power_pin=38),
    button=Button(0, active_low=True, pull_up=True),
    source="https://learn.adafruit.com/adafruit-qt-py-esp32-s3/pinouts",
)
