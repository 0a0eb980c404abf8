"""`calfraise device deploy` and the hardware-in-the-loop tests end to end, without hardware: the
board is MicroPython's unix port over the simulated hardware, behind a pseudo-terminal
(tests/fake_board.py), driven by the real mpremote with the very commands a board gets. The
`sim` board's build (x64) is what the unix port loads; its IMU model lies still.
"""

import json
import subprocess
import sys

import numpy as np
import pytest

from calfraise.device import PORT
from calfraise.device.deploy import build, deploy
from calfraise.device.remote import mpremote
from calfraise.device.runner import load_board, sim_setup
from calfraise.device.simconfig import write_sim_config
from calfraise.device.tracebin import write_tracebin
from calfraise.sim import build_session_plan, render
from conftest import REPO, run_micropython
from fake_board import FakeBoard


def still_trace(path, seconds=600, rate_hz=104):
    """The board lying flat and still: 1 g on z, a little sensor noise."""
    t_ms = np.arange(int(seconds * rate_hz)) * 1000 // rate_hz
    noise = np.random.default_rng(0).normal(0, 0.003, (len(t_ms), 6))
    accel = np.array([0.02, -0.01, 1.0]) + noise[:, :3]
    gyro = np.array([0.4, -0.3, 0.2]) + 20 * noise[:, 3:]
    return write_tracebin(path, t_ms, accel, gyro)


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("board")
    root = tmp / "flash"
    root.mkdir()
    trace = still_trace(tmp / "still.bin")
    env = write_sim_config(
        tmp / "sim.json", chips=[{"kind": "lsm6dsox", "addr": 0x6A}], trace=str(trace)
    )
    with FakeBoard(root, env) as fake:
        yield fake


def tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def planned():
    return {u.remote: u.local.read_bytes() for u in build("sim").uploads}


@pytest.fixture(scope="module")
def first_deploy(board):
    said = []
    boots = board.boots
    deploy("sim", board.port, out=said.append)
    return said, board.boots - boots


def test_deploy_puts_exactly_the_plan_on_the_board(board, first_deploy):
    said, reboots = first_deploy
    assert tree(board.root) == planned()
    assert said[-1].startswith(f"{len(planned())} copied, 0 unchanged, 0 removed")
    assert reboots >= 2  # mpremote's soft resets, then the hard reset that ends the deploy


def test_a_second_deploy_copies_nothing(board, first_deploy):
    said = []
    deploy("sim", board.port, out=said.append)
    assert said[-1] == f"0 copied, {len(planned())} unchanged, 0 removed"
    assert "+ reset" in said[-2] and "fs cp" not in said[-2]


def test_a_deploy_puts_right_what_changed_on_the_board(board, first_deploy):
    (board.root / "calfraise_fw" / "app.py").write_text("raise SystemExit  # shadows app.mpy\n")
    (board.root / "boards" / "atom_matrix.mpy").write_bytes(b"M\x06")
    (board.root / "calfraise_fw" / "detector.mpy").write_bytes(b"M\x06 stale")
    (board.root / "settings.json").write_text('{"reps_per_set": 8}')
    said = []
    deploy("sim", board.port, out=said.append)
    assert said[-1] == f"1 copied, {len(planned()) - 1} unchanged, 2 removed"
    assert tree(board.root) == {**planned(), "settings.json": b'{"reps_per_set": 8}'}


def test_the_deployed_firmware_boots_and_counts(board, first_deploy, tmp_path):
    """main.py from the board's folder, as the board would boot it, over a session with reps."""
    trace = render(build_session_plan("clean", 0), rate_hz=104)
    keep = trace.t_ms < 25_000
    trace_bin = write_tracebin(
        tmp_path / "reps.bin", trace.t_ms[keep], trace.accel_g[keep], trace.gyro_dps[keep]
    )
    config = sim_setup(load_board("sim"), trace_bin, power_off_ms=30_000)
    env = write_sim_config(tmp_path / "sim.json", **config)
    out = run_micropython(
        script=board.root / "main.py", path=[board.root, PORT], env=env, cwd=board.root
    )
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    kinds = [e["type"] for e in events]
    assert events[0]["type"] == "boot" and events[0]["board"] == "sim"
    assert kinds.count("rep") >= 3
    assert "error" not in kinds, [e for e in events if e["type"] == "error"]


def test_the_hil_tests_pass_on_the_simulated_board(board, first_deploy):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-m",
            "hil",
            "--board",
            board.port,
            "-p",
            "no:cacheprovider",
            "-q",
            "tests/test_hil.py",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 passed" in proc.stdout
    assert "| µs per sample, loop + update() |" in proc.stdout


def test_mip_installs_the_firmware_from_package_json(board, first_deploy):
    """`mpremote mip install` with firmware/package.json puts every firmware source file on the
    board (into a folder here: the unix port's "/" is this machine's)."""
    mpremote(
        "mip install", board.port, ("mip", "install", "--target", "mip", "firmware/package.json")
    ).run(capture=True)
    sources = {
        p.relative_to(REPO / "firmware").as_posix(): p.read_bytes()
        for p in (REPO / "firmware").rglob("*.py")
    }
    assert tree(board.root / "mip") == sources
