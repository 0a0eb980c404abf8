"""Every board file loads on MicroPython and on CPython, and describes a board the firmware can
drive: a known chip and IMU driver, axes that are a rotation, and pins the chip can wire that way.
"""

import importlib.util
import inspect
import json
from pathlib import Path

import pytest

from calfraise.device import PORT
from calfraise_fw.boardspec import ARCH, AdcBattery, Axp192Battery, NeoPixelLed
from calfraise_fw.imu import KINDS
from calfraise_fw.imu.frames import axes_map

REPO = Path(__file__).resolve().parent.parent
BOARD_FILES = sorted(p for p in (REPO / "boards").glob("*.py") if p.name != "sim.py")
REAL_BOARDS = {"devkitc_mpu6050", "atom_matrix", "m5stickc_plus", "qtpy_s3_lsm6dsox"}

# GPIO facts from the Espressif datasheets: the GPIO numbers that exist, the input-only ones, the
# ADC1 channels (ADC2 cannot be read while the radio is on) and the RTC GPIOs, the only ones
# that wake the chip from deep sleep (the ESP32-C3: GPIO0-5).
GPIO = {
    "esp32": {
        "exists": set(range(40)) - {20, 24, 28, 29, 30, 31},
        "input_only": set(range(34, 40)),
        "adc1": set(range(32, 40)),
        "rtc": {0, 2, 4, 12, 13, 14, 15, 25, 26, 27} | set(range(32, 40)),
    },
    "esp32s3": {
        "exists": set(range(49)) - {22, 23, 24, 25},
        "input_only": set(),
        "adc1": set(range(1, 11)),
        "rtc": set(range(22)),
    },
    "esp32c3": {
        "exists": set(range(22)),
        "input_only": set(),
        "adc1": set(range(5)),
        "rtc": set(range(6)),
    },
}
# Addresses each IMU can answer at (AD0 / SA0 low or high, per the chips' datasheets).
IMU_ADDRESSES = {
    "mpu6050": {0x68, 0x69},
    "mpu6886": {0x68, 0x69},
    "lsm6ds3": {0x6A, 0x6B},
    "lsm6ds3trc": {0x6A, 0x6B},
    "lsm6dsox": {0x6A, 0x6B},
}


def dump(obj):
    """A board object as plain data: its attributes, recursively, and its class name."""
    if not hasattr(obj, "__dict__"):
        return obj
    data = {"class": type(obj).__name__}
    for key, value in obj.__dict__.items():
        data[key] = dump(value)
    return data


def load(path):
    """BOARD of a board file, imported by its path (as tools on the PC do)."""
    spec = importlib.util.spec_from_file_location("board_" + path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BOARD


def output_pins(board):
    """Pins the firmware drives (or that must be bidirectional, like I2C)."""
    pins = [board.i2c.scl, board.i2c.sda]
    if board.led is not None:
        pins.append(board.led.pin)
        if isinstance(board.led, NeoPixelLed) and board.led.power_pin is not None:
            pins.append(board.led.power_pin)
    return pins


def all_pins(board):
    pins = output_pins(board)
    if board.button is not None:
        pins.append(board.button.pin)
    if isinstance(board.battery, AdcBattery):
        pins.append(board.battery.pin)
    if board.imu.int_pin is not None:
        pins.append(board.imu.int_pin)
    return pins


def test_the_real_boards_are_there():
    assert REAL_BOARDS <= {p.stem for p in BOARD_FILES}


def test_every_board_loads_the_same_on_micropython(micropython):
    names = [p.stem for p in BOARD_FILES]
    script = inspect.getsource(dump) + (
        "import json, sys\n"
        f"for name in {names!r}:\n"
        "    __import__('boards.' + name)\n"
        "    print(json.dumps(dump(sys.modules['boards.' + name].BOARD)))\n"
    )
    out = micropython(script, path=[REPO, PORT])
    on_micropython = [json.loads(line) for line in out.splitlines()]
    assert on_micropython == [json.loads(json.dumps(dump(load(p)))) for p in BOARD_FILES]  # tuples


@pytest.fixture(params=BOARD_FILES, ids=lambda p: p.stem)
def board_file(request):
    return request.param


def test_name_is_the_file_name(board_file):
    assert load(board_file).name == board_file.stem


def test_chip_and_imu_are_known(board_file):
    board = load(board_file)
    assert board.chip in ARCH
    assert board.imu.kind in KINDS
    assert board.imu.addr in IMU_ADDRESSES[board.imu.kind]
    assert 13 <= board.imu.rate_hz <= 208  # the rates the detector is tuned for


def test_axes_are_a_rotation(board_file):
    assert len(axes_map(load(board_file).imu.axes)) == 3


def test_pins_exist_and_are_not_shared(board_file):
    board = load(board_file)
    pins = all_pins(board)
    assert len(pins) == len(set(pins)), pins
    assert set(pins) <= GPIO[board.chip]["exists"]


def test_driven_pins_can_drive(board_file):
    board = load(board_file)
    assert not set(output_pins(board)) & GPIO[board.chip]["input_only"]


def test_wake_pins_can_wake_from_deep_sleep(board_file):
    """The IMU's INT and the button wake the board (power.py): RTC GPIOs only."""
    board = load(board_file)
    wake = [board.imu.int_pin] if board.imu.int_pin is not None else []
    if board.button is not None:
        wake.append(board.button.pin)
    assert set(wake) <= GPIO[board.chip]["rtc"]


def test_battery_is_readable_with_the_radio_on(board_file):
    board = load(board_file)
    if isinstance(board.battery, AdcBattery):
        assert board.battery.pin in GPIO[board.chip]["adc1"]
        assert board.battery.ratio >= 1
    elif isinstance(board.battery, Axp192Battery):
        assert board.battery.addr != board.imu.addr  # they share the one I2C bus
    else:
        assert board.battery is None
