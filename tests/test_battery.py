"""Battery readers on the unix port over simulated hardware: an ADC divider and the AXP192 give
the right millivolts and charge, and a missing or failing chip gives None or the last value,
never an exception."""

from pathlib import Path

import pytest

from calfraise.device import PORT
from calfraise.device.simconfig import write_sim_config
from calfraise_fw.battery import LIPO_OCV_MV, lipo_percent, open_battery
from calfraise_fw.boardspec import Axp192Battery

AXP192 = {"kind": "axp192", "addr": 0x34}
BOARDS = Path(__file__).resolve().parents[1] / "boards"

READ = """
from machine import I2C
from calfraise_fw.boardspec import AdcBattery, Axp192Battery
from calfraise_fw.battery import open_battery
battery = open_battery({spec}, I2C(0))
print(battery.millivolts(), battery.percent())
"""


def run(micropython, tmp_path, code, **sim):
    return micropython(code, path=[PORT], env=write_sim_config(tmp_path / "sim.json", **sim))


@pytest.mark.parametrize(
    ("pin_mv", "ratio", "expected"),
    [(1950, 2.0, "3900 71"), (2100, 2.0, "4200 100"), (1200, 3.0, "3600 37")],
)
def test_adc_divider(micropython, tmp_path, pin_mv, ratio, expected):
    code = READ.format(spec=f"AdcBattery(35, ratio={ratio})")
    assert run(micropython, tmp_path, code, adc_mv={"35": pin_mv}).strip() == expected


@pytest.mark.parametrize(
    ("battery_mv", "expected"),
    [(3900, "3900 71"), (4250, "4250 100"), (3630, "3630 40"), (3000, "3000 0")],
)
def test_axp192(micropython, tmp_path, battery_mv, expected):
    code = READ.format(spec="Axp192Battery(0x34)")
    out = run(micropython, tmp_path, code, chips=[AXP192], battery_mv=battery_mv)
    assert out.strip() == expected


def test_axp192_switches_its_battery_adc_on(micropython, tmp_path):
    code = "from machine import I2C\nI2C(0).writeto_mem(0x34, 0x82, b'\\x00')\n" + READ.format(
        spec="Axp192Battery(0x34)"
    )
    assert run(micropython, tmp_path, code, chips=[AXP192]).strip() == "3900 71"


def test_missing_axp192_gives_none(micropython, tmp_path):
    code = READ.format(spec="Axp192Battery(0x34)")
    assert run(micropython, tmp_path, code, chips=[]).strip() == "None None"


def test_bus_errors_keep_the_last_reading(micropython, tmp_path):
    code = READ.format(spec="Axp192Battery(0x34)") + (
        "import time\ntime.sleep_ms(2000)\nprint(battery.millivolts(), battery.percent())\n"
    )
    fault = {"at_ms": 1000, "addr": 0x34, "kind": "eio", "count": 10}
    out = run(micropython, tmp_path, code, chips=[AXP192], faults=[fault])
    assert out.split("\n")[:2] == ["3900 71", "3900 71"]


def test_no_battery_sensing(micropython, tmp_path):
    code = "from calfraise_fw.battery import open_battery\nprint(open_battery(None, None))"
    assert run(micropython, tmp_path, code).strip() == "None"


def test_unknown_sensing_is_a_clear_error():
    with pytest.raises(ValueError, match="AdcBattery or Axp192Battery"):
        open_battery("gpio35", None)


def test_percent_follows_the_curve_and_is_clamped():
    assert [lipo_percent(mv) for mv in LIPO_OCV_MV] == list(range(100, -1, -10))
    assert lipo_percent(5000) == 100 and lipo_percent(2500) == 0
    assert lipo_percent(4020) == 85  # halfway between 3990 (80 %) and 4050 (90 %)
    percents = [lipo_percent(mv) for mv in range(3000, 4300, 5)]
    assert percents == sorted(percents)


# The M5StickC Plus's AXP192 at power-on (REG12H 5FH): DC-DC1 the ESP32, LDO2 the backlight,
# LDO3 the LCD's logic, EXTEN the 5 V boost; DC-DC2 and DC-DC3 are not named by the board file.
OUTPUTS = "from machine import I2C\nprint(hex(I2C(0).readfrom_mem(0x34, 0x12, 1)[0]))\n"


def test_axp192_switches_off_the_outputs_named_and_keeps_dcdc1(micropython, tmp_path):
    code = READ.format(spec="Axp192Battery(0x34, off=('LDO2', 'LDO3', 'EXTEN'))") + OUTPUTS
    out = run(micropython, tmp_path, code, chips=[AXP192]).split()
    assert out == ["3900", "71", hex(0x5F & ~(0x04 | 0x08 | 0x40))]  # 0x13: DC-DC1, 2, 3 on


def test_axp192_outputs_stay_on_unless_named(micropython, tmp_path):
    code = READ.format(spec="Axp192Battery(0x34)") + OUTPUTS
    assert run(micropython, tmp_path, code, chips=[AXP192]).split()[2] == "0x5f"


def test_the_m5stickc_plus_switches_its_lcd_off(micropython, tmp_path):
    code = (
        f"import sys\nsys.path.append({str(BOARDS)!r})\nfrom m5stickc_plus import BOARD\n"
        + READ.format(spec="BOARD.battery")
        + OUTPUTS
    )
    out = run(micropython, tmp_path, code, chips=[AXP192]).split()[2]
    assert int(out, 16) & 0x01 and not int(out, 16) & (0x04 | 0x08)


def test_switching_dcdc1_off_cuts_the_esp32s_power(micropython, tmp_path):
    code = "from machine import I2C\nI2C(0).writeto_mem(0x34, 0x12, b'\\x1e')\nprint('alive')\n"
    with pytest.raises(Exception, match="DC-DC1"):
        run(micropython, tmp_path, code, chips=[AXP192])


def test_dcdc1_cannot_be_named():
    with pytest.raises(ValueError, match="'DCDC1'"):
        open_battery(Axp192Battery(0x34, off=("LDO2", "DCDC1")), None)
