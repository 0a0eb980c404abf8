"""Power states (firmware/calfraise_fw/power.py), the whole firmware on the unix port: a board
at rest goes to standby after `standby_s`; the first heel raise of a set wakes it (deep sleep
and a new boot where the IMU's INT is wired, a polled light sleep where it is not) with at most
one rep lost; a low battery ends the session with every rep on flash, then sleeps; the PC
twin's meter books the time per state."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from calfraise.analyze import detect
from calfraise.device.runner import BOOT_MS, run_device
from calfraise.trace import read_trace, write_trace
from test_device import regular_trace, stored_session

REST_S = 150  # the board lies still this long before the session: standby after STANDBY_S
STANDBY_S = 60
SETTINGS = {"settings.json": json.dumps({"standby_s": STANDBY_S, "idle_end_s": 100})}
AFTER_MS = 200_000  # on after the trace: the session times out, then standby again
DEEPSLEEP_RESET, EXT0_WAKE, TIMER_WAKE = 4, 2, 4  # machine's constants
FIRMWARE = Path(__file__).resolve().parents[1] / "firmware"


def firmware_const(name):
    """A const() of firmware/calfraise_fw/power.py (it imports esp32: not from CPython)."""
    source = (FIRMWARE / "calfraise_fw" / "power.py").read_text()
    return int(re.search(rf"^{name} = const\((\d+)\)", source, re.MULTILINE).group(1))


DEEP_POLL_MS, LIGHT_POLLS = firmware_const("DEEP_POLL_MS"), firmware_const("LIGHT_POLLS")


def rest_then_session(tmp_path, rate_hz, seed=3, rest_s=REST_S):
    """rest_s of a still foot (1 mg of sensor noise), then a clean 3-set session."""
    session = read_trace(regular_trace(tmp_path / "session.csv", "clean", seed, rate_hz))
    n = rest_s * rate_hz
    rng = np.random.default_rng(seed)
    still = np.tile(session.accel_g[0], (n, 1)) + rng.normal(0, 0.001, (n, 3))
    accel = np.concatenate([still, session.accel_g])
    gyro = np.concatenate([rng.normal(0, 0.05, (n, 3)), session.gyro_dps])
    t_ms = np.rint(np.arange(len(accel)) * 1000 / rate_hz).astype(np.int64)
    path = tmp_path / "rest_then_session.csv"
    write_trace(path, t_ms, accel, gyro)
    return path


def sets_of(reps):
    counts = {}
    for rep in reps:
        counts[rep["set"]] = counts.get(rep["set"], 0) + 1
    return [counts[k] for k in sorted(counts)]


def check_reps(result, csv, rate_hz):
    """The session's reps after the wake: the first set loses one rep at most, the rest none."""
    expected = sets_of(detect(read_trace(csv), float(rate_hz)))
    counted = sets_of(result.of_type("rep"))
    assert len(counted) == len(expected)
    assert expected[0] - 1 <= counted[0] <= expected[0]
    assert counted[1:] == expected[1:]


@pytest.fixture(scope="module")
def deep(tmp_path_factory):
    """The sim board (LSM6DSOX, INT1 wired to GPIO34)."""
    tmp = tmp_path_factory.mktemp("deep")
    csv = rest_then_session(tmp, 104)
    return csv, run_device(csv, files=SETTINGS, after_ms=AFTER_MS)


def test_rest_goes_to_deep_sleep_and_motion_wakes_a_new_boot(deep):
    csv, result = deep
    assert result.returncode == 0, result.stderr
    assert result.boots == 2
    assert [e["reset_cause"] for e in result.of_type("boot")] == [1, DEEPSLEEP_RESET]
    assert [e["cause"] for e in result.of_type("wake")] == ["boot", "motion"]
    [first] = result.of_type("sim.deepsleep")  # the second standby sleeps till the power-off
    assert first["wake_reason"] == EXT0_WAKE
    # asleep after STANDBY_S at rest (and a tick), awake during the first rep (trace time)
    assert STANDBY_S * 1000 < first["from_ms"] < (STANDBY_S + 5) * 1000
    first_rep = detect(read_trace(csv), 104.0)[0]
    woke_ms = first["t_ms"] - first["trace_origin_us"] // 1000
    assert first_rep["start_ms"] <= woke_ms < first_rep["end_ms"]
    states = [e["state"] for e in result.of_type("power")]
    assert states[:2] == ["idle", "standby"]
    assert "session" in states and states[-1] == "standby"


def test_the_first_set_loses_one_rep_at_most(deep):
    csv, result = deep
    check_reps(result, csv, 104)


def test_a_set_ends_when_the_gap_elapsed_not_when_the_board_woke(deep):
    """In a session with no host the CPU light-sleeps between FIFO drains, so one drain hands
    the detector up to half a second of samples: each set still ends where the detector
    closed it (the first block 12 s past the set's last rep), not at the drain after it."""
    _, result = deep
    light_ms = sum(ms for key, ms in result.meter.items() if key.startswith("light|"))
    assert light_ms > 60_000  # the session slept between drains
    set_ends = result.of_type("set_end")
    assert len(set_ends) == 3
    block_ms = 40  # the detector's block: 25 a second
    for event in set_ends:
        assert 12_000 < event["t_ms"] - event["end_ms"] <= 12_000 + block_ms
    [end] = [e for e in result.of_type("state") if e["state"] == "idle"]
    assert end["t_ms"] == set_ends[-1]["t_ms"]  # the timeout ends the session there too


def test_the_meter_books_deep_sleep_and_the_boot(deep):
    _, result = deep
    meter = result.meter
    deep_ms = sum(ms for key, ms in meter.items() if key.startswith("deep|"))
    assert deep_ms >= (REST_S - STANDBY_S - 5) * 1000  # the rest, then after the session
    awake_80 = sum(ms for key, ms in meter.items() if key.startswith("80|"))
    assert awake_80 > STANDBY_S * 1000
    assert meter.get("160|off", 0) + meter.get("160|on", 0) >= BOOT_MS  # two boots at 160 MHz


def test_without_an_imu_interrupt_standby_polls_in_light_sleep(tmp_path):
    """The Atom Matrix (MPU-6886, INT not wired): no deep sleep; light sleep polls the IMU's
    latched motion flag, and the first set still loses one rep at most."""
    csv = rest_then_session(tmp_path, 100)
    result = run_device(csv, board="atom_matrix", files=SETTINGS, after_ms=AFTER_MS)
    assert result.returncode == 0, result.stderr
    assert result.boots == 1 and not result.of_type("sim.deepsleep")
    assert [e["cause"] for e in result.of_type("wake")] == ["boot", "motion"]
    light_ms = sum(ms for key, ms in result.meter.items() if key.startswith("light|"))
    assert light_ms >= (REST_S - STANDBY_S - 5) * 1000
    check_reps(result, csv, 100)


def test_without_an_imu_interrupt_a_long_rest_deep_sleeps_and_the_timer_asks_the_imu(tmp_path):
    """The Atom Matrix at rest past LIGHT_POLLS x standby_s of light polls deep-sleeps; the
    RTC timer boots it every DEEP_POLL_MS, and a boot whose IMU (its registers kept through
    the ESP32's sleep) latched no motion sleeps on before the app is built. The set that
    starts meanwhile is found at the next timer boot, which boots on: woken by motion."""
    deep_at_s = STANDBY_S + LIGHT_POLLS * STANDBY_S
    poll_s = DEEP_POLL_MS // 1000
    moves_s = deep_at_s + poll_s + 60  # in the second deep sleep
    csv = rest_then_session(tmp_path, 100, rest_s=moves_s)
    off_ms = (deep_at_s + 2 * poll_s + 120) * 1000
    result = run_device(csv, board="atom_matrix", files=SETTINGS, extra={"power_off_ms": off_ms})
    assert result.returncode == 0, result.stderr
    sleeps = result.of_type("sim.deepsleep")
    assert [s["wake_reason"] for s in sleeps] == [TIMER_WAKE, TIMER_WAKE]
    assert deep_at_s * 1000 < sleeps[0]["from_ms"] < (deep_at_s + 5) * 1000
    assert abs(sleeps[0]["t_ms"] - sleeps[0]["from_ms"] - DEEP_POLL_MS) < 100  # the timer
    assert moves_s * 1000 < sleeps[1]["t_ms"]  # the set began asleep; found at this boot
    assert result.boots == 3  # the middle one found no motion: no app, no boot event
    assert [e["reset_cause"] for e in result.of_type("boot")] == [1, DEEPSLEEP_RESET]
    assert [e["cause"] for e in result.of_type("wake")] == ["boot", "motion"]
    deep_ms = sum(ms for key, ms in result.meter.items() if key.startswith("deep|"))
    assert deep_ms >= 2 * DEEP_POLL_MS - 5000


def test_the_pixels_are_powered_only_while_lit(tmp_path):
    """QT Py: a dark WS2812 still draws ~0.7 mA, so the firmware switches NEOPIXEL_POWER
    (GPIO38) on for each flash and off after it: every lit frame is shown powered, and the
    power is off most of a session and at its end."""
    csv = regular_trace(tmp_path / "s.csv", "clean", 3, 104)
    outputs = {"log_outputs": True}
    result = run_device(csv, board="qtpy_s3_lsm6dsox", files=SETTINGS, after_ms=0, extra=outputs)
    assert result.returncode == 0, result.stderr
    powered, on_ms, since, lit_frames = 0, 0, 0, 0
    for event in result.events:
        if event["type"] == "sim.pin" and event["pin"] == 38:
            if event["value"] and not powered:
                since = event["t_ms"]
            elif powered and not event["value"]:
                on_ms += event["t_ms"] - since
            powered = event["value"]
        elif event["type"] == "sim.led" and any(event["rgb"]):
            assert powered, event
            lit_frames += 1
    assert lit_frames >= len(result.of_type("rep"))  # a flash a rep at least
    assert not powered
    assert on_ms < 0.2 * result.events[-1]["t_ms"]


def test_low_battery_ends_the_session_with_every_rep_on_flash(tmp_path):
    """The battery falls below 3.4 V in the second set: the session ends ("low_battery"), its
    end is durable before the board sleeps, and the flash holds every rep counted."""
    csv = regular_trace(tmp_path / "s.csv", "clean", 5, 104)
    reps = detect(read_trace(csv), 104.0)
    drop_ms = reps[15]["end_ms"]
    flash = tmp_path / "flash.img"
    battery = {"adc_mv_at": {"35": [[drop_ms, 1650]]}}  # 3.3 V through the 1:2 divider
    result = run_device(csv, flash=flash, files=SETTINGS, after_ms=AFTER_MS, extra=battery)
    assert result.returncode == 0, result.stderr
    [end] = [e for e in result.of_type("state") if e["state"] == "idle"]
    assert end["reason"] == "low_battery"
    assert [e["state"] for e in result.of_type("power")][-1] == "low_battery"
    [sleep] = result.of_type("sim.deepsleep") or [None]
    assert sleep is None  # nothing but the button wakes it: it slept until the power went off
    live = result.of_type("rep")
    assert 15 <= len(live) < len(reps)
    [recording] = result.of_type("recording")
    stored = stored_session(flash, recording["session"])
    assert len(stored["reps"]) == len(live)
    assert stored["end"] is not None


def test_the_battery_model_books_each_state_at_its_parts_currents():
    """calfraise.bench.power: a meter's states times the datasheet currents of the board's
    parts (M5StickC Plus: ESP32, MPU-6886, AXP192)."""
    from calfraise.bench import power
    from calfraise.device.runner import load_board

    board = load_board("m5stickc_plus")
    sampling, watching = power.IMU_MA["mpu6886"]
    light, deep = power.SLEEP_MA["esp32"]
    meter = {"80|adv250": 2000, "light|on": 3000, "deep|on": 10000, "160|off": 1000}
    expected = (
        2 * (power.ESP32_AWAKE_MA["80"] + power.ADV_EVENT_MAS / 0.25 + sampling)
        + 3 * (light + sampling)
        + 10 * (deep + watching)
        + 1 * (power.ESP32_BOOT_MA + sampling)
        + 16 * power.AXP192_MA
    )
    assert power.charge_mas(meter, board) == pytest.approx(expected)
    assert power.standby_part(meter) == {"light|on": 3000, "deep|on": 10000, "160|off": 1000}


def test_the_battery_model_prices_what_the_board_file_leaves_powered():
    """Dark NeoPixels without a power switch (the Atom Matrix's 25) and an LCD backlight the
    board file does not switch off are always on; the QT Py's switched pixel is not."""
    from calfraise.bench import power
    from calfraise.device.runner import load_board
    from calfraise_fw.boardspec import Axp192Battery

    always = {name: power.part_currents(load_board(name))[2] for name in power.board_names()}
    assert always["atom_matrix"] == pytest.approx(25 * power.PIXEL_DARK_MA)
    assert always["qtpy_s3_lsm6dsox"] == 0.0
    assert always["m5stickc_plus"] == pytest.approx(power.AXP192_MA)  # its LCD switched off
    lit = load_board("m5stickc_plus")
    lit.battery = Axp192Battery(lit.battery.addr, off=("LDO3", "EXTEN"))
    assert power.part_currents(lit)[2] == pytest.approx(power.AXP192_MA + power.LCD_BACKLIGHT_MA)


@pytest.mark.parametrize("board", ["sim", "atom_matrix"], ids=["deep_sleep", "polled"])
def test_the_button_wakes_a_sleeping_board(tmp_path, board):
    """Lying still past standby_s: standby; a press wakes it (deep sleep: EXT1 and a new
    boot; polled: the light sleep ends early), the app says so, and after standby_s more it
    sleeps again (until the power goes off)."""
    csv = tmp_path / "still.csv"
    n = 10 * 100
    t_ms = np.rint(np.arange(n) * 1000 / 100).astype(np.int64)
    write_trace(csv, t_ms, np.tile([0.0, 0.0, 1.0], (n, 1)), np.zeros((n, 3)))
    press_ms = (STANDBY_S + 60) * 1000
    presses = [(press_ms, 300)]
    result = run_device(csv, board=board, files=SETTINGS, presses=presses, after_ms=4 * press_ms)
    assert result.returncode == 0, result.stderr
    sleeps = result.of_type("sim.deepsleep")
    if board == "sim":
        assert len(sleeps) == 1  # the second sleep lasts till the power-off: nothing wakes it
        assert sleeps[0]["wake_reason"] == 3  # EXT1_WAKE
        assert press_ms <= sleeps[0]["t_ms"] < press_ms + 100
    else:
        assert not sleeps
    assert [e["cause"] for e in result.of_type("wake")] == ["boot", "button"]
    assert [e["state"] for e in result.of_type("power")] == ["idle", "standby"] * 2
    # idle advertises slowly (1 s) at 80 MHz: two idle spells of standby_s each
    assert result.meter["80|adv1000"] >= 2 * STANDBY_S * 1000
    assert result.meter.get("80|adv250", 0) < 1000


def test_a_host_keeps_the_board_awake_and_wakes_it_by_looking(tmp_path):
    """The virtual device (BLE over Bumble, its clock skipping waits) at rest, standby_s 30:
    while a host stays connected past several standby_s of the device's clock it stays idle;
    once the host leaves it goes to standby, off the air (deep sleep, nothing moving); the
    host scanning for it then wakes it (the sim's stand-in for its owner's press: EXT1, a new
    boot) and finds it."""
    import asyncio

    from calfraise.ble.virtual import VirtualDevice
    from calfraise.host.discovery import find
    from calfraise.host.link import DeviceLink
    from calfraise.host.radio import Radio

    async def run():
        files = {"settings.json": json.dumps({"standby_s": 30})}
        flash = tmp_path / "f.img"
        async with VirtualDevice(None, realtime=False, files=files, flash=flash) as device:
            radio = Radio(device.scanner_backend, device.client_backend, device, auto_pair=True)
            async with await DeviceLink.connect(radio, await find(radio), ()):
                for _ in range(2):  # a stats event a minute of the device's clock
                    await device.next_event("stats", timeout=30)
            await device.next_event(lambda e: e["type"] == "power", timeout=30)
            async with await DeviceLink.connect(radio, await find(radio), ()) as link:
                name = link.name
            return device.events, name

    events, name = asyncio.run(run())
    at = {id(e): i for i, e in enumerate(events)}
    links = [e for e in events if e["type"] == "ble"]
    assert [e["link"] for e in links[:3]] == ["connected", "disconnected", "connected"]
    connected, left = at[id(links[0])], at[id(links[1])]
    minutes = [e for e in events[connected:left] if e["type"] == "stats"]
    assert len(minutes) >= 2  # connected for 2 minutes of the device's clock: 4 x standby_s
    powers = [e for e in events if e["type"] == "power"]
    assert [e["state"] for e in powers[:2]] == ["idle", "standby"]
    assert at[id(powers[1])] > left
    [asleep] = [e for e in events if e["type"] == "sim.deepsleep"]
    assert asleep["wake_reason"] == 3  # EXT1: the host's scan, the sim's stand-in for a press
    assert [e["reset_cause"] for e in events if e["type"] == "boot"] == [1, DEEPSLEEP_RESET]
    assert [e["cause"] for e in events if e["type"] == "wake"] == ["boot", "button"]
    assert at[id(links[2])] > at[id(asleep)] and name.startswith("calfraise")


def test_the_meter_counts_each_light_sleep_wake_and_the_bus_traffic_it_drains(deep):
    """In a session with the radio quiet the CPU sleeps 0.5 s at a time (the cap; the FIFO
    lasts longer) and is awake only for the drain: the meter counts each wake and the I2C bytes
    of its window, about half a second of samples (14 FIFO bytes each on the LSM6DSOX)."""
    _, result = deep
    counts = result.counts
    light_ms = sum(ms for key, ms in result.meter.items() if key.startswith("light|"))
    assert counts["wakes"] == light_ms // 500
    per_wake = counts["window_bytes"] / counts["wakes"]
    assert 0.5 * 104 * 14 <= per_wake <= 0.5 * 104 * 14 * 1.2
    stats = [e for e in result.of_type("stats") if e["state"] == "in_session"]
    assert stats and stats[-1]["fifo_overflows"] == 0 and stats[-1]["samples_lost"] == 0


def test_an_awake_window_is_priced_by_its_wake_bus_and_samples(monkeypatch):
    """calfraise.bench.power.window_s: each wake's allowance, 9 bit times a byte at the bus
    clock (plus the address bytes and the driver's time per transfer), and the CPU per sample
    drained at 80 MHz."""
    from calfraise.bench import power
    from calfraise.device.runner import load_board

    monkeypatch.setattr(power, "drain_instructions", lambda: 2000)
    board = load_board("m5stickc_plus")  # MPU-6886: 14 bytes a sample, 400 kHz
    counts = {"wakes": 2, "window_transfers": 4, "window_bytes": 1400, "window_ms": 80}
    bus_s = (1400 + 3 * 4) * 9 / 400_000 + 4 * power.I2C_TRANSFER_US / 1e6
    cpu_s = 100 * 2000 * power.CYCLES_PER_X86_INSTRUCTION / 80e6
    expected = 2 * power.WAKE_US / 1e6 + bus_s + cpu_s
    assert power.window_s(counts, board) == pytest.approx(expected)
    light, _ = power.SLEEP_MA["esp32"]
    assert power.windows_mas(counts, board) == pytest.approx(
        (expected - 0.080) * (power.ESP32_AWAKE_MA["80"] - light)
    )
