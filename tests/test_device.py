"""The whole firmware (firmware/main.py) on the unix port over simulated hardware, within the
ESP32-like 100 KB heap: the reps it reports, its session events, the watchdog, settings that
survive a restart, safe mode, and a missing or failing IMU."""

import io
import json

import numpy as np
import pytest

from calfraise.analyze import analyze_trace, detect
from calfraise.device.runner import HEAP, parse_heap, read_flash, run_device
from calfraise.sim import build_session_plan, render
from calfraise.trace import read_trace, write_trace
from calfraise_fw.monitor import BIAS_SAVE_MDPS
from calfraise_fw.readback import read_session

QUICK = {"idle_end_s": 200}  # a session ends 200 s after its last rep (rests are shorter)
AFTER_MS = 210_000  # the board stays on this long after the trace


def regular_trace(path, tier, seed, rate_hz):
    """A simulated session with the stamps a FIFO-driven clock gives: round(k * 1000 / rate)."""
    trace = render(build_session_plan(tier, seed), rate_hz=rate_hz)
    t_ms = np.rint(np.arange(len(trace.t_ms)) * 1000 / rate_hz).astype(np.int64)
    write_trace(path, t_ms, trace.accel_g, trace.gyro_dps)
    return path


def assert_reps_are(events, expected):
    """The device's rep events carry analyze's reps, every field alike."""
    assert [{k: e[k] for k in r} for e, r in zip(events, expected, strict=True)] == expected


def quick(**settings):
    """Provisioned files: settings that end a session soon after its last rep."""
    return {"settings.json": json.dumps({**QUICK, **settings})}


def still_trace(path, seconds, rate_hz=104):
    n = int(seconds * rate_hz)
    accel = np.tile([0.0, 0.0, 1.0], (n, 1))
    t_ms = np.rint(np.arange(n) * 1000 / rate_hz).astype(np.int64)
    write_trace(path, t_ms, accel, np.zeros((n, 3)))
    return path


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    """One clean 3-set session through the DevKitC board (MPU-6050 at 100 Hz, +-8 g,
    +-1000 dps: the very scale `calfraise analyze` assumes)."""
    tmp = tmp_path_factory.mktemp("clean")
    csv = regular_trace(tmp / "clean.csv", "clean", 3, 100)
    result = run_device(csv, board="devkitc_mpu6050", files=quick(), after_ms=AFTER_MS)
    return csv, result


def strip(event):
    return {k: v for k, v in event.items() if k != "type"}


def test_reps_equal_analyze(clean_run):
    csv, result = clean_run
    trace = read_trace(csv)
    expected = detect(trace, 100.0)
    assert result.returncode == 0, result.stderr
    assert len(expected) >= 30
    assert [strip(e) for e in result.of_type("rep")] == expected


def test_session_events(clean_run):
    _, result = clean_run
    reps = result.of_type("rep")
    states = result.of_type("state")
    assert [s["state"] for s in states] == ["in_session", "idle"]
    assert states[0]["reason"] == "rep" and states[1]["reason"] == "timeout"
    assert states[1]["reps"] == len(reps) and states[1]["sets"] == reps[-1]["set"]
    # a timeout ends the session at its last rep plus the 12-s set gap, not after the idle wait
    assert 12_000 < states[1]["t_ms"] - reps[-1]["end_ms"] <= 12_000 + 2 * 60
    set_ends = result.of_type("set_end")
    assert [s["set"] for s in set_ends] == sorted({r["set"] for r in reps})
    for s in set_ends:
        assert s["reps"] == max(r["rep"] for r in reps if r["set"] == s["set"])
    targets = result.of_type("target")
    assert {t["set"] for t in targets} == {s["set"] for s in set_ends if s["reps"] >= 12}
    assert result.of_type("boot")[0]["board"] == "devkitc_mpu6050"
    [selftest] = result.of_type("selftest")
    assert selftest["ok"] and selftest["imu"] and selftest["storage"]
    assert 0 < selftest["heap_free"] < parse_heap(HEAP) + result.sim_bytes


def test_runtime_stats_within_heap(clean_run):
    _, result = clean_run
    stats = result.of_type("stats")
    assert stats, "a stats event every simulated minute"
    last = stats[-1]
    assert last["imu_ok"] and last["fifo_overflows"] == 0 and last["samples_lost"] == 0
    assert 0 < last["heap_peak"] - result.sim_bytes < parse_heap(HEAP)
    assert last["gc_max_us"] > 0
    assert result.of_type("sim.reset") == []  # the watchdog was fed all along


def test_sim_board_counts_like_analyze(tmp_path):
    """The sim board's LSM6DSOX has its own sensitivity, and analyze reads the trace in it
    (calfraise.boardview): the same reps, to the millisecond."""
    csv = regular_trace(tmp_path / "s.csv", "clean", 5, 104)
    result = run_device(csv, files=quick(), after_ms=AFTER_MS)
    assert_reps_are(result.of_type("rep"), analyze_trace(csv))


def test_the_sim_board_samples_a_trace_at_its_own_rate(tmp_path):
    """Issue 10: a 200 Hz trace replayed by a 104 Hz IMU is resampled, and an 8.5 deg partial
    rep that `analyze` counts was lost. The sim board now takes an IMU at the trace's rate, and
    analyze reads the trace on that IMU's clock: the same reps, to the millisecond."""
    trace = render(build_session_plan("varied", 5))  # an MPU-6886 at 200 Hz, jitter, drops
    csv = tmp_path / "varied5.csv"
    write_trace(csv, trace.t_ms, trace.accel_g, trace.gyro_dps)
    expected = analyze_trace(csv)
    assert sum(r["partial"] for r in expected) >= 1
    result = run_device(csv, files=quick(), after_ms=AFTER_MS)
    assert [e["rate_hz"] for e in result.of_type("imu")] == [200]
    assert_reps_are(result.of_type("rep"), expected)


def test_a_task_that_raises_is_restarted_and_the_reps_still_count(tmp_path):
    csv = regular_trace(tmp_path / "s.csv", "clean", 3, 104)
    crash = {"at_ms": 1_000, "addr": 0x6A, "kind": "crash", "count": 1}
    result = run_device(csv, files=quick(), faults=[crash])
    assert result.returncode == 0, result.stderr
    [error] = [e for e in result.of_type("error") if e["code"] == "task_failed"]
    assert error["task"] == "sampler" and error["restarts"] == 1
    assert not result.of_type("sim.reset")
    expected = detect(read_trace(csv), 104.0)
    assert len(result.of_type("rep")) == len(expected)


def test_watchdog_resets_when_a_task_keeps_failing(tmp_path):
    csv = still_trace(tmp_path / "still.csv", 30)
    crash = {"at_ms": 10_000, "addr": 0x6A, "kind": "crash", "count": 1000}
    result = run_device(csv, files=quick(), faults=[crash], after_ms=60_000)
    assert result.returncode == 3, result.stderr
    errors = [e for e in result.of_type("error") if e["code"] == "task_failed"]
    assert [e["restarts"] for e in errors] == [1, 2, 3, 4, 5]
    [stuck] = [e for e in result.of_type("error") if e["code"] == "watchdog"]
    assert stuck["message"] == "sampler"
    [reset] = result.of_type("sim.reset")
    assert reset["cause"] == "watchdog"
    # five failures with back-offs of 0.2 + 0.4 + 0.8 + 1.6 s, then the 8 s timeout runs out
    assert 10_000 + 3_000 + 8_000 < reset["t_ms"] < 10_000 + 3_000 + 8_000 + 2_500


def test_settings_and_calibration_survive_a_restart(tmp_path):
    csv = regular_trace(tmp_path / "s.csv", "clean", 5, 104)
    flash = tmp_path / "flash.img"
    first = run_device(csv, flash=flash, files=quick(reps_per_set=5), after_ms=AFTER_MS)
    saved = json.loads(read_flash(flash, "settings.json").decode())
    assert saved["reps_per_set"] == 5 and len(saved["gyro_bias_mdps"]) == 3
    second = run_device(csv, flash=flash, after_ms=AFTER_MS)  # settings as the first run left them
    for run in (first, second):
        assert {t["reps"] for t in run.of_type("target")} == {5}
    again = json.loads(read_flash(flash, "settings.json").decode())
    # the calibration survives: the second run may save it again at a slightly different
    # moment of the data (light sleep moves the monitor's checks), within the save threshold
    bias, again_bias = saved.pop("gyro_bias_mdps"), again.pop("gyro_bias_mdps")
    assert again == saved
    assert max(abs(a - b) for a, b in zip(bias, again_bias, strict=True)) < BIAS_SAVE_MDPS


def test_bad_settings_are_reported_and_defaults_used(tmp_path):
    bad = {"settings.json": '{"reps_per_set": "lots", "idle_end_s": 60}'}
    result = run_device(still_trace(tmp_path / "t.csv", 5), files=bad, after_ms=5_000)
    [error] = [e for e in result.of_type("error") if e["code"] == "settings"]
    assert "reps_per_set" in error["message"]
    assert result.returncode == 0


def test_safe_mode_skips_the_app(tmp_path):
    result = run_device(still_trace(tmp_path / "t.csv", 5), files=quick(), presses=[(0, 2000)])
    assert result.returncode == 0
    assert [e["type"] for e in result.events if not e["type"].startswith("sim.")] == ["safe_mode"]


def test_button_starts_and_stops_a_session(tmp_path):
    result = run_device(
        still_trace(tmp_path / "t.csv", 20),
        files=quick(),
        presses=[(5_000, 200), (12_000, 200), (16_000, 3_500)],
        after_ms=2_000,
    )
    states = result.of_type("state")
    assert [(s["state"], s["reason"]) for s in states] == [
        ("in_session", "button"),
        ("idle", "button"),
    ]
    assert [b["press"] for b in result.of_type("button")] == ["short", "short", "long"]


def test_missing_imu_is_reported_and_the_app_keeps_going(tmp_path):
    result = run_device(
        still_trace(tmp_path / "t.csv", 20),
        files=quick(),
        extra={"chips": []},
        after_ms=70_000,
    )
    assert result.returncode == 0  # power off, not a crash or a watchdog reset
    errors = [e for e in result.of_type("error") if e["code"] == "imu_missing"]
    assert len(errors) >= 3
    assert "LSM6DSOX not found at 0x6a on I2C(0, scl=22, sda=21)" in errors[0]["message"]
    [selftest] = result.of_type("selftest")
    assert not selftest["ok"] and not selftest["imu"] and selftest["storage"]
    assert result.of_type("stats")[-1]["imu_ok"] is False


def test_i2c_errors_mid_session_are_survived(tmp_path):
    csv = regular_trace(tmp_path / "s.csv", "clean", 5, 104)
    clean = run_device(csv, files=quick(), after_ms=AFTER_MS)
    faults = [{"at_ms": 60_000, "addr": 0x6A, "kind": "eio", "count": 10}]
    faulty = run_device(csv, files=quick(), faults=faults, after_ms=AFTER_MS)
    assert faulty.returncode == 0, faulty.stderr
    assert [e["code"] for e in faulty.of_type("error")][:1] == ["imu_failed"]
    assert faulty.of_type("imu")[-1]["reinits"] >= 1
    assert abs(len(faulty.of_type("rep")) - len(clean.of_type("rep"))) <= 1


def test_missing_config_is_a_clear_error(tmp_path, micropython):
    from calfraise.device import FIRMWARE, PORT
    from calfraise.device import ROOT as REPO

    out = micropython(script=FIRMWARE / "main.py", path=[PORT, REPO], cwd=tmp_path)
    event = json.loads(out.strip().splitlines()[-1])
    assert event["code"] == "config" and "config.json" in event["message"]


def test_a_malformed_imu_entry_in_config_is_a_clear_error(tmp_path, micropython):
    from calfraise.device import FIRMWARE, PORT
    from calfraise.device import ROOT as REPO

    (tmp_path / "config.json").write_text(json.dumps({"board": "sim", "imu": {"kind": "x"}}))
    out = micropython(script=FIRMWARE / "main.py", path=[PORT, REPO], cwd=tmp_path)
    event = json.loads(out.strip().splitlines()[-1])
    assert event["code"] == "config" and '"imu": {"kind", "addr", "rate_hz"}' in event["message"]


def test_sampling_path_never_allocates(tmp_path, micropython):
    """FIFO burst reads, decoding, the detector and rep hand-off for a whole session, with the
    heap locked (any allocation would raise MemoryError)."""
    from calfraise.device import PORT
    from calfraise.device import ROOT as REPO
    from calfraise.device.simconfig import write_sim_config
    from calfraise.device.tracebin import write_tracebin

    csv = regular_trace(tmp_path / "s.csv", "clean", 3, 100)
    trace = read_trace(csv)
    binary = write_tracebin(tmp_path / "t.bin", trace.t_ms, trace.accel_g, trace.gyro_dps)
    env = write_sim_config(
        tmp_path / "sim.json", trace=str(binary), chips=[{"kind": "mpu6050", "addr": 0x68}]
    )
    seconds = int(trace.t_ms[-1] // 1000) + 1
    out = micropython(
        script=REPO / "tests" / "mp" / "sampler_locked.py", args=[seconds], path=[PORT], env=env
    )
    samples, reps = map(int, out.split())
    assert samples >= len(trace.t_ms) - 100
    assert reps == len(detect(trace, 100.0))


def stored_session(flash, sid):
    data = read_flash(flash, f"sessions/{sid:06d}.cfs")
    assert data is not None, f"session {sid} is not on the flash"
    return read_session(io.BytesIO(data))


def test_sessions_are_stored_on_the_flash(tmp_path):
    csv = regular_trace(tmp_path / "s.csv", "clean", 5, 104)
    flash = tmp_path / "flash.img"
    result = run_device(csv, flash=flash, files=quick(), after_ms=AFTER_MS)
    [recording] = result.of_type("recording")
    stored = stored_session(flash, recording["session"])
    live = result.of_type("rep")
    t0 = result.of_type("state")[0]["t_ms"]
    assert [(r["set"], r["rep"], r["start_ms"] + t0, r["end_ms"] + t0) for r in stored["reps"]] == [
        (r["set"], r["rep"], r["start_ms"], r["end_ms"]) for r in live
    ]
    assert [s["reps"] for s in stored["sets"]] == [s["reps"] for s in result.of_type("set_end")]
    assert stored["end"]["reason"] == "timeout" and stored["skipped"] == 0
    assert stored["end"]["end_ms"] == result.of_type("state")[-1]["t_ms"] - t0  # no idle tail
    assert stored["header"]["board"] == "sim"


def test_a_power_cut_mid_session_keeps_every_durable_rep(tmp_path):
    """Power fails 5 s after the trace's 20th rep: that rep (and all before) was durable."""
    csv = regular_trace(tmp_path / "s.csv", "clean", 5, 104)
    reps = detect(read_trace(csv), 104.0)
    cut_ms = reps[19]["end_ms"] + 5_000
    cut = run_device(csv, flash=tmp_path / "cut.img", files=quick(), extra={"power_off_ms": cut_ms})
    live = cut.of_type("rep")
    assert len(live) >= 20
    again = run_device(still_trace(tmp_path / "t.csv", 3), flash=tmp_path / "cut.img", after_ms=0)
    [recovered] = again.of_type("recovered")
    stored = stored_session(tmp_path / "cut.img", recovered["sessions"][0])
    assert stored["end"]["reason"] == "interrupted"
    assert len(stored["reps"]) == len(live)  # all counted before the cut were durable


def test_a_full_flash_keeps_counting_blinks_red_and_says_so(tmp_path):
    """Issue 11: a full flash once ended the session and dropped the reps after it silently."""
    csv = regular_trace(tmp_path / "s.csv", "clean", 5, 104)
    flash = tmp_path / "flash.img"
    # 16 blocks: 8 kept by the store, the folders, the files: 2 left, under a session's 4
    result = run_device(
        csv, flash=flash, files=quick(), flash_blocks=16, extra={"log_outputs": True}
    )
    live = result.of_type("rep")
    [told] = result.of_type("storage_full")
    assert (told["reps"], told["set"]) == (0, 0)  # no room for the detail from the start
    assert [e for e in result.of_type("error") if e["code"] == "storage_full"]
    assert any(led["rgb"][0] and not any(led["rgb"][1:]) for led in result.of_type("sim.led"))
    [recording] = result.of_type("recording")
    stored = stored_session(flash, recording["session"])
    assert stored["reps"] == [] and stored["end"]["reps"] == len(live) >= 30
    assert [s["reps"] for s in stored["sets"]] == [s["reps"] for s in result.of_type("set_end")]


def test_an_app_that_crashes_shows_red_and_resets(tmp_path):
    """App.main(): a fault outside every supervised task (App.run() itself raising) is
    reported as app_crashed, lights the LED red for 3 s and resets the board."""
    from calfraise.device import ROOT as REPO

    csv = still_trace(tmp_path / "still.csv", 5)
    script = REPO / "tests" / "mp" / "app_crash.py"
    result = run_device(csv, script=script, after_ms=None, extra={"log_outputs": True})
    assert result.returncode == 4, result.stderr  # machine.reset(), the sim port's exit code
    [crash] = [e for e in result.of_type("error") if e["code"] == "app_crashed"]
    assert crash["message"] == "RuntimeError('injected',)"
    [reset] = result.of_type("sim.reset")
    assert reset["cause"] == "machine.reset"
    red = [e for e in result.of_type("sim.led") if e["rgb"][0] and not any(e["rgb"][1:])]
    assert red and reset["t_ms"] - red[-1]["t_ms"] >= 3000
