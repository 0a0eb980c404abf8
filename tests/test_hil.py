"""Hardware in the loop: the board at --board PORT, which holds the firmware (`make deploy`), is
checked against what the PC tests check. `make hil PORT=/dev/ttyUSB0 [BOARD=name]` runs these;
without --board they are skipped. The scripts in tests/mp/hil_*.py (and the bench's mp_cost.py)
run on the board through mpremote, on the firmware modules deployed there; test_deploy_board.py
runs these same tests against a simulated board on a pseudo-terminal.

BLE scan, connect, live and sync: tests/test_hil_ble.py (--ble NAME|ADDRESS).
"""

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest

from calfraise.bench.cost import MP_COST, cost_table, loop_us, mpy_size, write_raw
from calfraise.device.flash import UNSYNCED_CODE, parse_unsynced
from calfraise.device.remote import mpremote, repo_path
from calfraise.device.runner import load_board
from calfraise_fw.detector import RepDetector

pytestmark = pytest.mark.hil

MP = Path(__file__).parent / "mp"
COST_SAMPLES = 1500  # 42 KB of int32 samples: what an ESP32 without PSRAM holds at once
COST_RATE = 104
BOARD_TRACE = "hil_trace.raw"


def on_board(port, *commands):
    """Runs mpremote commands on the board; returns what they printed."""
    return mpremote("a hardware-in-the-loop step", port, *commands).run(capture=True)


def script(path, *argv):
    """mpremote commands that run a local script on the board with sys.argv set."""
    args = [path.name, *map(str, argv)]
    return [
        ("exec", f"import sys\nsys.argv.clear()\nsys.argv.extend({args!r})"),
        ("run", repo_path(path)),
    ]


def last_json(text):
    lines = [line for line in text.splitlines() if line.startswith("{")]
    assert lines, f"the board printed no result:\n{text}"
    return json.loads(lines[-1])


@pytest.fixture(scope="module")
def target(request):
    """(port, Board) of the board under test, from the config.json a deploy left on it."""
    port = request.config.getoption("--board")
    said = on_board(port, ("exec", "print(open('config.json').read())"))
    try:
        name = last_json(said)["board"]
    except (AssertionError, KeyError):
        pytest.fail(f"no config.json on the board at {port}: make deploy BOARD=<name> PORT={port}")
    yield port, load_board(name)
    on_board(port, ("reset",))  # the app runs again


def test_imu_answers_and_reads_1g_at_rest(target):
    port, board = target
    got = last_json(on_board(port, *script(MP / "hil_imu_at_rest.py")))
    print(got)
    assert got["kind"] == board.imu.kind
    assert got["samples"] == pytest.approx(got["rate_hz"] * got["seconds"], rel=0.15)
    assert sum(a * a for a in got["accel_g"]) ** 0.5 == pytest.approx(1.0, abs=0.1)
    assert max(got["accel_spread_g"]) < 0.05, "the board must lie still"
    assert max(abs(g) for g in got["gyro_dps"]) < 25  # at rest: zero-rate offset only
    assert got["i2c_errors"] == 0 and got["overflows"] == 0


def test_detector_cost_per_sample_on_the_chip(target, capsys):
    """The detector's cost per sample on the chip, beside the unix port's, in the bench's table;
    the chip must count the same reps as the PC and spend under a tenth of a sample period."""
    port, board = target
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "trace.raw"
        rate = write_raw(raw, rate_hz=COST_RATE, n=COST_SAMPLES)
        us, null_us = loop_us(raw, COST_SAMPLES, rate)
        said = on_board(
            port,
            ("fs", "cp", str(raw), ":" + BOARD_TRACE),
            *script(MP_COST, BOARD_TRACE, COST_SAMPLES, "real", rate),
            *script(MP_COST, BOARD_TRACE, COST_SAMPLES, "null", rate),
            ("fs", "rm", ":" + BOARD_TRACE),
        )
        samples = np.fromfile(raw, dtype="<i4").reshape(-1, 7)
    runs = [line.split() for line in said.splitlines() if len(line.split()) == 3]
    (n, reps, micros), (null_n, _, null_micros) = [[int(v) for v in r] for r in runs[-2:]]
    assert n == null_n == COST_SAMPLES
    assert reps == _reps(samples, rate) > 0
    chip = {"us": micros / n, "null_us": null_micros / n}
    pc = {"instructions": None, "naive": None, "us": us, "null_us": null_us, "rate_hz": rate}
    with capsys.disabled():
        print(f"\n\n{cost_table(pc, mpy_size(), chip, board.title)}\n")
    assert chip["us"] < 0.1 * 1e6 / rate


def _reps(samples, rate):
    """Reps the firmware detector finds in these samples on this PC."""
    detector = RepDetector(rate, 4096, 32.8)  # mp_cost.py's scales
    return sum(detector.update(*(int(v) for v in s)) is not None for s in samples)


def test_storage_round_trip(target, capsys):
    port, _ = target
    got = last_json(on_board(port, *script(MP / "hil_storage.py")))
    with capsys.disabled():
        print(f"\nflush (one LittleFS commit) on the board: {got['flush_us']} µs")
    assert [(r["set"], r["rep"]) for r in got["reps"]] == [(1, k) for k in range(1, 13)]
    for k, rep in enumerate(got["reps"], 1):
        t = 3000 * k
        assert (rep["start_ms"], rep["top_ms"], rep["lower_ms"], rep["end_ms"]) == (
            t,
            t + 700 + k,
            t + 1000 + k,
            t + 2100,
        )
        assert rep["amplitude_cdeg"] == 2000 + 10 * k
        assert rep["partial"] == (k == 12)
    assert got["end"]["reason"] == "button" and got["end"]["reps"] == 12
    assert got["sets"] == [{"set": 1, "reps": 12, "start_ms": 3000, "end_ms": 38100}]
    assert got["skipped"] == 0
    assert max(got["flush_us"]) < 500_000


def test_the_board_lists_the_sessions_a_flash_would_erase(target):
    """What `calfraise device flash` asks before erasing: the unsynced sessions, each a log on
    the board."""
    port, _ = target
    unsynced = parse_unsynced(on_board(port, ("exec", UNSYNCED_CODE)))
    listing = unsynced and on_board(port, ("exec", "import os\nprint(os.listdir('sessions'))"))
    for sid in unsynced:
        assert f"{sid:06d}.cfs" in listing


def test_the_modules_run_from_the_romfs_partition(target):
    """After `calfraise device deploy --romfs`: /rom is mounted, on sys.path, and the firmware's
    modules are imported from it (a MicroPython built with a romfs partition; docs/deploy.md)."""
    port, _board = target
    said = on_board(
        port,
        (
            "exec",
            "import json, sys, vfs\n"
            "rom = hasattr(vfs, 'rom_ioctl') and vfs.rom_ioctl(1) > 0\n"
            "import calfraise_fw.app as m\n"
            "print(json.dumps({'rom': rom, 'path': sys.path, 'file': m.__file__}))",
        ),
    )
    found = last_json(said)
    if not found["rom"]:
        pytest.skip("this board's MicroPython has no romfs partition (docs/deploy.md)")
    if not found["file"].startswith("/rom/"):
        pytest.skip("deployed as .mpy files: `calfraise device deploy --romfs` puts them in /rom")
    assert "/rom" in found["path"]
