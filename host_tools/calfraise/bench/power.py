"""Battery life per board: each part's datasheet current in each state (docs/power.md cites
them) times the time the firmware really spends in each state, measured by the PC twin's
energy meter (port/simhw/meter.py) on the unix port.

Two twin runs per board: a session (a clean 3-set session of 10-15 reps a set, then the
session's timeout; the board powers off when it would go idle) and a standby hour (a foot at
rest: idle for the minimum standby_s, then standby). From their meters: hours of recording
without a host (the session run's mean current), days of standby (the standby part of the
rest run), hours of live streaming (the connected state), and days on a charge for a week of
use: USES_PER_WEEK sessions, each followed by a sync, standby in between.
"""

import json
import shutil
import tempfile
from functools import cache
from pathlib import Path

import numpy as np

from calfraise.bench import cost
from calfraise.device.runner import board_names, load_board, run_device
from calfraise.sim import build_session_plan, render
from calfraise.trace import write_trace
from calfraise_fw.boardspec import Axp192Battery, NeoPixelLed
from calfraise_fw.imu.lsm6ds import nearest_odr
from calfraise_fw.imu.mpu6xxx import nearest_rate

CELL_MAH = 120  # the target cell (the M5StickC Plus's own)
TARGETS = {"standby_days": 30, "recording_h": 20, "live_h": 4}
USES_PER_WEEK = 2.5  # 2-3 sessions a week
SESSION = ("clean", 3)  # 3 sets of 14, 13 and 12 reps
IDLE_END_S = 300  # the default: a session ends 5 min after its last rep
STANDBY_S = 30  # the rest run: the shortest standby_s, then an hour of standby
STANDBY_RUN_S = 3600
# A sync is a connection of the host tool: its length depends on the central (connection
# interval, PHY), not on the firmware, so it is the one modelled figure here: a 3-set session
# log (~2 KB) at a conservative 5 KB/s, plus the connection set-up and commands.
SYNC_S = 6

# Datasheet currents in mA (docs/power.md has the sources and the reading of each figure).
ESP32_AWAKE_MA = {"240": 30.0, "160": 27.0, "80": 20.0}  # modem sleep, CPU idling (low end)
ESP32_BOOT_MA = 44.0  # 160 MHz busy (high end): the boot after a deep-sleep wake
SLEEP_MA = {  # chip -> (light sleep, deep sleep with the RTC timer and memory)
    "esp32": (0.8, 0.010),  # ext0 keeps the RTC peripherals on too
    "esp32s3": (0.24, 0.008),  # ESP32-S3 datasheet (the QT Py's chip)
}
# An awake window between light sleeps, priced from what the twin counted in it (the twin's
# clock does not run for the CPU): the wake itself, the bus, the CPU per sample drained.
WAKE_US = 1000  # ESP-IDF's light-sleep entry and exit at 80 MHz (340 us) and MicroPython's call
# and an asyncio pass around it: an allowance (make hil times a board's)
I2C_TRANSFER_US = 100  # the ESP-IDF I2C driver's own time per transfer: an allowance
I2C_OVERHEAD_BYTES = 3  # address, register, repeated-start address: 9 bit times each
CYCLES_PER_X86_INSTRUCTION = 3  # the same interpreter on the ESP32's Xtensa LX6 (from flash
# through its cache): an estimate, checked by its weight (docs/power.md) and make hil
FIFO_SAMPLE_BYTES = {"mpu6050": 12, "mpu6886": 14, "lsm6ds3": 12, "lsm6ds3trc": 12, "lsm6dsox": 14}
# BLE, averaged: an advertising event (3 channels, ~1.5 ms of radio at ~130 mA Tx / ~100 mA Rx)
# is ~0.2 mA*s; a connection event at a 30 ms interval with a few notifications ~2.5 mA.
ADV_EVENT_MAS = 0.2
CONNECTED_MA = 2.5
IMU_MA = {  # (sampling at the firmware's ~104 Hz with the gyro, wake-on-motion standby)
    "mpu6050": (3.8, 0.020),  # gyro + accel; accel-only cycle mode at 5 Hz
    "mpu6886": (2.8, 0.010),  # 6-axis low noise; accel low power at 3.9 Hz
    "lsm6ds3": (1.25, 0.009),  # combo high performance; accel low power at 13 Hz
    "lsm6ds3trc": (1.25, 0.0045),  # combo high performance; accel low power at 1.6 Hz
    "lsm6dsox": (0.55, 0.0044),  # combo high performance; accel ultra-low/low power
}
AXP192_MA = 0.060  # the AXP192's own quiescent current, where a board has one
LCD_BACKLIGHT_MA = 20.0  # the M5StickC Plus's LCD backlight on AXP192 LDO2, if left on
PIXEL_DARK_MA = 0.7  # a WS2812-family pixel's own quiescent current, lit or dark
DEVKITC_LDO_MA = 5.0  # the DevKitC's AMS1117 regulator's quiescent current (typ.)


def part_currents(board):
    """(IMU sampling, IMU watching, always-on) mA of this board's parts besides the ESP32: the
    always-on ones are the power parts, an LCD backlight the board file leaves on (Axp192Battery
    off), and NeoPixels without a power switch."""
    sampling, standby = IMU_MA[board.imu.kind]
    always = 0.0
    if isinstance(board.battery, Axp192Battery):
        always += AXP192_MA + (0.0 if "LDO2" in board.battery.off else LCD_BACKLIGHT_MA)
    if isinstance(board.led, NeoPixelLed) and board.led.power_pin is None:
        always += board.led.count * PIXEL_DARK_MA  # no switch: powered day and night
    if board.name == "devkitc_mpu6050":
        always += DEVKITC_LDO_MA
    return sampling, standby, always


def radio_ma(radio):
    if radio == "conn":
        return CONNECTED_MA
    if radio.startswith("adv"):
        return ADV_EVENT_MAS / (int(radio[3:]) / 1000)
    return 0.0


def sleep_currents(board):
    """(light, deep) sleep mA of the board's chip (the ESP32's for the simulated board)."""
    return SLEEP_MA.get(board.chip, SLEEP_MA["esp32"])


def charge_mas(meter, board, standby=False):
    """mA*s over a meter {"cpu|radio": ms}. The IMU samples while the CPU is awake or light
    sleeps between drains; in deep sleep, or in a standby run's light sleep, it watches for
    motion only."""
    sampling, watching, always = part_currents(board)
    light, deep = sleep_currents(board)
    total = 0.0
    for key, ms in meter.items():
        cpu, radio = key.split("|")
        s = ms / 1000
        if cpu == "deep":
            total += s * (deep + watching + always)
            continue
        asleep = cpu == "light"
        esp = light if asleep else ESP32_AWAKE_MA[cpu]
        if cpu == "160":
            esp = ESP32_BOOT_MA  # only the boot runs at 160 MHz (power.py sets 80 at once)
        imu = watching if standby and (asleep or cpu == "80") else sampling
        total += s * (esp + radio_ma(radio) + imu + always)
    return total


@cache
def drain_instructions():
    """x86 instructions per sample the drain costs on the unix port (callgrind): the detector
    and the loop that feeds it (calfraise.bench.cost)."""
    if not shutil.which("valgrind"):
        raise RuntimeError("the battery model needs valgrind (the drain's instructions)")
    return cost.drain_instructions()


def window_s(counts, board):
    """Seconds the ESP32 is awake in the light-sleep windows the twin counted: each wake, the
    I2C bus (bytes at the bus clock, plus the driver's time per transfer), and the CPU for
    each sample drained, at 80 MHz."""
    transfers = counts.get("window_transfers", 0)
    nbytes = counts.get("window_bytes", 0)
    bus_s = (nbytes + I2C_OVERHEAD_BYTES * transfers) * 9 / board.i2c.freq
    bus_s += transfers * I2C_TRANSFER_US / 1e6
    samples = nbytes / FIFO_SAMPLE_BYTES[board.imu.kind]
    cpu_s = samples * drain_instructions() * CYCLES_PER_X86_INSTRUCTION / 80e6
    return counts.get("wakes", 0) * WAKE_US / 1e6 + bus_s + cpu_s


def windows_mas(counts, board):
    """The charge the awake windows add once priced by window_s() rather than by the ms this
    PC spent in them, which the meter booked at 80 MHz (and the rest of the span sleeps)."""
    light, _ = sleep_currents(board)
    booked_s = counts.get("window_ms", 0) / 1000
    return (window_s(counts, board) - booked_s) * (ESP32_AWAKE_MA["80"] - light)


def session_trace(path, rate_hz):
    trace = render(build_session_plan(*SESSION), rate_hz=rate_hz)
    t_ms = np.rint(np.arange(len(trace.t_ms)) * 1000 / rate_hz).astype(np.int64)
    write_trace(path, t_ms, trace.accel_g, trace.gyro_dps)
    return path


def still_trace(path, rate_hz, seconds=5):
    n = seconds * rate_hz
    accel = np.tile([0.0, 0.0, 1.0], (n, 1))
    t_ms = np.rint(np.arange(n) * 1000 / rate_hz).astype(np.int64)
    write_trace(path, t_ms, accel, np.zeros((n, 3)))
    return path


def measure(name, tmp, rate_hz=None):
    """The twin's meters of a board: a session run and a standby run; rate_hz: the IMU at
    another output data rate than its board file's (config.json's "imu", as a unit can)."""
    board = load_board(name)
    nearest = nearest_rate if board.imu.kind.startswith("mpu") else nearest_odr
    rate = nearest(rate_hz or board.imu.rate_hz)[0]  # the chip's own rate: the trace's
    settings = {"settings.json": json.dumps({"standby_s": STANDBY_S, "idle_end_s": IDLE_END_S})}
    if rate_hz is not None:
        imu = {"kind": board.imu.kind, "addr": board.imu.addr, "rate_hz": rate_hz}
        settings["config.json"] = json.dumps({"board": name, "imu": imu})
    csv = session_trace(tmp / f"{name}-session.csv", rate)
    session = run_device(csv, board=name, files=settings, after_ms=IDLE_END_S * 1000)
    still = still_trace(tmp / f"{name}-still.csv", rate)
    rest = run_device(still, board=name, files=settings, after_ms=STANDBY_RUN_S * 1000)
    for run in (session, rest):
        if run.returncode != 0:
            raise RuntimeError(f"{name}: the twin ended with {run.cause}:\n{run.stderr[-2000:]}")
    return board, session, rest


def standby_part(meter):
    """The standby states of a rest run: idle advertising left out; the boots kept (the
    timer's, where standby polls from deep sleep; the power-on's is a few ms)."""
    return {k: v for k, v in meter.items() if "|adv" not in k}


def board_figures(name, tmp, rate_hz=None):
    board, session, rest = measure(name, tmp, rate_hz)
    session_s = sum(session.meter.values()) / 1000
    session_mas = charge_mas(session.meter, board) + windows_mas(session.counts, board)
    recording_ma = session_mas / session_s
    standby = standby_part(rest.meter)
    standby_s = sum(standby.values()) / 1000
    standby_mas = charge_mas(standby, board, standby=True) + windows_mas(rest.counts, board)
    standby_ma = standby_mas / standby_s
    sampling, _, always = part_currents(board)
    live_ma = ESP32_AWAKE_MA["80"] + CONNECTED_MA + sampling + always
    sync_mas = SYNC_S * live_ma
    week_s = 7 * 86400
    use_s = USES_PER_WEEK * (session_s + SYNC_S)
    week_mas = USES_PER_WEEK * (session_mas + sync_mas) + (week_s - use_s) * standby_ma
    booked = sum(v for k, v in session.meter.items() if not k.startswith(("light|", "deep|")))
    counts = session.counts
    awake = window_s(counts, board) + (booked - counts.get("window_ms", 0)) / 1000
    return {
        "board": name,
        "imu": f"{board.imu.kind}, {session.of_type('imu')[0]['rate_hz']} Hz",
        "int_wired": board.imu.int_pin is not None,
        "reps": len(session.of_type("rep")),
        "session_min": session_s / 60,
        "awake_pct": 100 * awake / session_s,
        "window_ms": 1000 * window_s(counts, board) / max(1, counts.get("wakes", 0)),
        "recording_ma": recording_ma,
        "standby_ma": standby_ma,
        "live_ma": live_ma,
        "recording_h": CELL_MAH / recording_ma,
        "live_h": CELL_MAH / live_ma,
        "standby_days": CELL_MAH / standby_ma / 24,
        "week_days": CELL_MAH * 3600 / (week_mas / 7) if week_mas else 0.0,
        "boots": rest.boots,
    }


def power_figures(boards=None, rate_hz=None):
    names = boards or board_names()
    with tempfile.TemporaryDirectory() as tmp:
        return [board_figures(name, Path(tmp), rate_hz) for name in names]


def _mark(value, target):
    return f"{value:.1f}" + ("" if value >= target else " ✗")


def power_table(figures):
    rows = [
        f"On a {CELL_MAH} mAh cell; ✗ misses the target (recording ≥ {TARGETS['recording_h']} h, "
        f"live ≥ {TARGETS['live_h']} h, standby ≥ {TARGETS['standby_days']} days). The session: "
        f"{SESSION[0]} seed {SESSION[1]} then its {IDLE_END_S} s timeout; CPU awake = share of "
        "it the CPU spent awake (PC twin; each window between light sleeps priced from what "
        "the twin counted in it: the wake, the bus, the samples drained). A week: "
        f"{USES_PER_WEEK} sessions with a {SYNC_S} s sync each, standby in between.",
        "",
        "| board | IMU | INT wired | reps | session min | CPU awake | ms a wake | recording mA | "
        "recording h | live mA | live h | standby mA | standby days | days a charge, weekly use |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        rows.append(
            f"| {f['board']} | {f['imu']} | {'yes' if f['int_wired'] else 'no (polled)'} "
            f"| {f['reps']} | {f['session_min']:.1f} | {f['awake_pct']:.1f} % "
            f"| {f['window_ms']:.1f} "
            f"| {f['recording_ma']:.2f} | {_mark(f['recording_h'], TARGETS['recording_h'])} "
            f"| {f['live_ma']:.1f} | {_mark(f['live_h'], TARGETS['live_h'])} "
            f"| {f['standby_ma']:.3f} | {_mark(f['standby_days'], TARGETS['standby_days'])} "
            f"| {f['week_days']:.1f} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    import sys

    # `--rate 50`: every board's IMU at ~50 Hz (MPU 50, LSM6DS 52), the boards' own otherwise
    rate = int(sys.argv[2]) if sys.argv[1:2] == ["--rate"] else None
    names = [n for n in board_names() if n != "sim"] if rate else None
    print(power_table(power_figures(names, rate)))
