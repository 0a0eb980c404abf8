"""BLE hardware in the loop: the board advertising as --ble NAME|ADDRESS, through the OS's
Bluetooth stack and bleak's own backend (`make hil PORT=... BLE=calfraise-1A2B`). Without --ble
they are skipped. The same checks run on the virtual device in the test at the end (not hil),
so what a board is held to is known to pass somewhere.

Live reps need someone doing calf raises; here `live` must connect, say hello and report the
device's status. The reps themselves are checked on the virtual device (test_host_ble.py).
"""

import json

import pytest

from calfraise.cli import main
from calfraise.host.db import open_db
from calfraise.host.queries import list_sessions
from calfraise.sim import plan_reps
from calfraise.sim.render import render
from calfraise.trace import write_trace


def scanned(capsys, radio_args, want):
    """`scan --json` lists a calfraise device (the one named `want`, if given)."""
    assert main([*radio_args, "scan", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found, "no calfraise device advertised"
    if want is not None:
        assert any(want in (d["name"], d["address"]) for d in found), found


def lives(capsys, radio_args, device_args, seconds):
    """`live --json` connects, runs `seconds` and reports the device's status."""
    assert main([*radio_args, "live", *device_args, "--json", "--seconds", str(seconds)]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert any(e["type"] == "status" for e in events), events


def syncs_twice(capsys, radio_args, device_args, db, recorded=False):
    """Two syncs: the second has nothing new to store. With `recorded` (a session known to be
    on the device), the first must store it, so the second has something not to store again."""
    assert main([*radio_args, "--db", str(db), "sync", *device_args]) == 0
    first = capsys.readouterr().out
    if recorded:
        assert "Stored session 1 as 1:" in first, first
    assert main([*radio_args, "--db", str(db), "sync", *device_args]) == 0
    second = capsys.readouterr().out
    assert "Nothing new to sync" in second and "Stored" not in second, second
    if recorded:
        conn = open_db(db)
        assert [s["reps"] for s in list_sessions(conn)] == [3]  # stored once, all its reps
        conn.close()


def resets_calibration(capsys, radio_args, device_args):
    """`reset-calibration` on an idle board: it forgets its gyro bias and rest."""
    assert main([*radio_args, "reset-calibration", *device_args]) == 0
    assert "forgot its gyro bias and rest" in capsys.readouterr().out


@pytest.fixture
def ble(request):
    """The board's BLE name or address (conftest skips these tests without --ble)."""
    return request.config.getoption("--ble")


@pytest.mark.hil
def test_scan_finds_the_board(ble, capsys):
    scanned(capsys, [], ble)


@pytest.mark.hil
def test_live_connects_and_reports_status(ble, capsys):
    lives(capsys, [], ["--device", ble], 10)


@pytest.mark.hil
def test_sync_twice_stores_nothing_the_second_time(ble, capsys, tmp_path):
    syncs_twice(capsys, [], ["--device", ble], tmp_path / "hil.db")


@pytest.mark.hil
def test_reset_calibration_on_an_idle_board(ble, capsys):
    resets_calibration(capsys, [], ["--device", ble])


def test_the_hil_checks_pass_on_the_virtual_device(capsys, tmp_path):
    radio = ["--sim-flash", str(tmp_path / "flash.img")]
    scanned(capsys, radio, None)
    lives(capsys, radio, [], 3)
    trace = render(plan_reps(3, seed=5))  # then a session is recorded, for the syncs to fetch
    csv = tmp_path / "reps.csv"
    write_trace(csv, trace.t_ms, trace.accel_g, trace.gyro_dps)
    argv = ["--sim", str(csv), *radio, "live", "--json", "--until-end", "--seconds", "60"]
    assert main(argv) == 0
    capsys.readouterr()
    syncs_twice(capsys, radio, [], tmp_path / "d.db", recorded=True)
    resets_calibration(capsys, radio, [])
