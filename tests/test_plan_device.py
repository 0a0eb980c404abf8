"""The plan reaches the device: `live` and `sync` bring its settings in line, so the device's
"target reached" cue comes at the plan's reps; sync notes the variant on what it stores. Runs
the firmware on the virtual device (no radio)."""

import json

from calfraise.cli import main
from calfraise.device.runner import board_id
from calfraise.sim import plan_reps, render
from calfraise.trace import write_trace


def test_the_device_cues_the_plans_target_and_sync_keeps_the_variant(tmp_path, capsys):
    trace = render(plan_reps(4, seed=5))
    csv = tmp_path / "reps.csv"
    write_trace(csv, trace.t_ms, trace.accel_g, trace.gyro_dps)
    db, flash = str(tmp_path / "c.db"), str(tmp_path / "flash.img")
    assert main(["--db", db, "plan", "--range", "3-15", "--reps", "3", "--variant", "seated"]) == 0
    capsys.readouterr()

    argv = ["--db", db, "--sim", str(csv), "--sim-flash", flash, "live", "--json", "--until-end"]
    assert main([*argv, "--seconds", "30"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["rep"] for e in events if e["type"] == "rep"] == [1, 2, 3, 4]
    targets = [e for e in events if e["type"] == "target"]
    assert [(e["set"], e["reps"]) for e in targets] == [(1, 3)]  # the plan's 3, not the 12

    assert main(["sync", "--db", db, "--sim-flash", flash]) == 0
    out = capsys.readouterr().out
    assert "Stored session 1 as 1: 4 reps" in out
    assert "The plan is on the device now" not in out  # live sent it already
    assert main(["--db", db, "sessions", "--json"]) == 0
    [session] = json.loads(capsys.readouterr().out)
    assert session["variant"] == "seated"


def test_each_flash_image_is_its_own_board(tmp_path):
    first, second = tmp_path / "a.img", tmp_path / "b.img"
    assert board_id(first) == board_id(tmp_path / "." / "a.img")  # the same image, run after run
    assert board_id(first) != board_id(second)  # another image: another device in the database
    assert board_id(None) != board_id(None)  # a throwaway image: a new board each time
    assert all(len(bytes.fromhex(board_id(p))) == 6 for p in (first, None))
