"""Espressif ESP32-DevKitC (V4) with an MPU-6050 breakout (e.g. GY-521) on jumper wires.

IMU: MPU-6050 at 0x68 (AD0 low, as the GY-521 ties it) on SCL GPIO22 / SDA GPIO21, the ESP32
Arduino core's default I2C pins (arduino-esp32 variants/esp32/pins_arduino.h); the DevKitC breaks
out every GPIO, so any free pair would do. Axes: the breakout is the mounting, so the board frame
is the chip's own frame (identity).
Button: the DevKitC's Boot button pulls GPIO0 low (user guide: "Boot: Download button"; GPIO0 is
the download strapping pin, with a pull-up on the board).
The DevKitC has no user LED (only the 5 V power-on LED) and no battery input, so these are
external parts, if fitted: an LED with a 330 ohm resistor from GPIO4 to GND (GPIO4 is not a
strapping pin), and a LiPo through two equal resistors (e.g. 2 x 100 kohm) into GPIO35 (ADC1_CH7,
input-only; ADC1 keeps working while the radio is on, ADC2 does not). The GY-521's INT pin
(active high, push-pull as the MPU-6050 comes up) on a jumper to GPIO27, an RTC GPIO that is no
strapping pin, so motion wakes the board from deep sleep (ESP32 datasheet, RTC IO list).
"""

from calfraise_fw.boardspec import AdcBattery, Board, Button, GpioLed, I2CBus, Imu

BOARD = Board(
    name="devkitc_mpu6050",
    title="ESP32-DevKitC + MPU-6050 (GY-521)",
    chip="esp32",
    i2c=I2CBus(0, scl=22, sda=21),
    imu=Imu("mpu6050", 0x68, axes="x,y,z", rate_hz=104, int_pin=27),
    led=GpioLed(4),
    button=Button(0, active_low=True, pull_up=True),
    battery=AdcBattery(35, ratio=2.0),
    source="https://docs.espressif.com/projects/esp-dev-kits/en/latest/esp32/esp32-devkitc/user_guide.html",
)
