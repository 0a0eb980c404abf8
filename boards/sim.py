"""The board that runs on a PC: the unix port of MicroPython over simulated hardware
(host_tools/calfraise/device/port): an LSM6DSOX model on a fake I2C bus replaying a trace, a
NeoPixel, a button, a LiPo divider and the IMU's INT1 on GPIO34 that exist only in the
simulation. Over a trace, the runner swaps the IMU for one that samples at the trace's own rate
(calfraise.boardview.trace_imu).
`calfraise device run --trace T.csv` runs firmware/main.py with it."""

from calfraise_fw.boardspec import AdcBattery, Board, Button, I2CBus, Imu, NeoPixelLed

BOARD = Board(
    name="sim",
    title="Simulated board (unix port)",
    chip="unix",
    i2c=I2CBus(0, scl=22, sda=21),
    imu=Imu("lsm6dsox", 0x6A, axes="x,y,z", rate_hz=104, int_pin=34),
    led=NeoPixelLed(pin=27),
    button=Button(pin=39, active_low=True),
    battery=AdcBattery(pin=35, ratio=2.0),
    source="host_tools/calfraise/device/port/machine.py",
)
