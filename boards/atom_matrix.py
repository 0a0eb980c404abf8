"""M5Stack Atom Matrix (SKU C008-B): ESP32-PICO-D4, MPU-6886, a 5x5 RGB matrix, one button.

Pin map from docs.m5stack.com (Atom-Matrix page, "RGB & BUTTON & IR & MPU6886"): RGB LED data G27,
button G39, IR G12, MPU6886 (0x68) SCL G21 / SDA G25. The matrix is 25 WS2812C-2020 pixels
(SK6812-compatible timing). G39 is input-only with the button's pull-up on the board, so no internal
pull-up. There is no battery. The MPU6886's INT is not on the pin map (no GPIO named for it), so
standby polls the IMU (power.py). Axes: the vendor page has an IMU axis drawing; the board frame
here is the chip's own frame (identity). Not for the Atom Matrix v1.1 (C008-B-V11): it carries a
BMI270, for which calfraise has no driver.
"""

from calfraise_fw.boardspec import Board, Button, I2CBus, Imu, NeoPixelLed

BOARD = Board(
    name="atom_matrix",
    title="M5Stack Atom Matrix",
    chip="esp32",
    i2c=I2CBus(0, scl=21, sda=25),
    imu=Imu("mpu6886", 0x68, axes="x,y,z", rate_hz=104),
    led=NeoPixelLed(27, count=25),
    button=Button(39, active_low=True),
    source="https://docs.m5stack.com/en/core/Atom-Matrix",
)
