"""Wake on motion, every IMU driver over its register-level chip model on the MicroPython port:
armed on a foot at rest the INT pin stays quiet; the heel's first raise drives it active (at the
board's polarity) within a fraction of a rep; the event holds until motion() reads it; start()
samples again. tests/mp/imu_wake.py runs the driver."""

import json
from pathlib import Path

import numpy as np
import pytest

from calfraise.device import PORT
from calfraise.device.simconfig import write_sim_config
from calfraise.device.tracebin import write_tracebin

RUNNER = Path(__file__).parent / "mp" / "imu_wake.py"
INT_PIN = 34
WAKE_MG = 64  # the firmware's threshold (calfraise_fw.power)
STILL_MS = 8000  # at rest (with sensor noise) before the raise
RISE_MS = 800  # a slow heel raise: the shoe tilts 25 degrees
# The LSM6DS3's slowest rate is 13 Hz: its slope filter sees half the change in 77 ms, under
# one WK_THS step (31 mg at +-2 g) for a slow raise. A brisk step or a pick-up (the same tilt
# in 150 ms) wakes it; its first slow rep may not (docs/power.md).
BRISK_MS = {"lsm6ds3": 150}
CHIPS = (("mpu6050", 0x68), ("mpu6886", 0x68), ("lsm6ds3", 0x6A), ("lsm6ds3trc", 0x6A),
         ("lsm6dsox", 0x6A))  # fmt: skip


def heel_raise_trace(path, rise_ms=RISE_MS):
    """Still (1 mg of noise), then the heel rises: gravity turns 25 degrees in rise_ms."""
    t_ms = np.arange(STILL_MS + 3000)
    rng = np.random.default_rng(1)
    tilt = np.radians(25) * np.clip((t_ms - STILL_MS) / rise_ms, 0, 1)
    accel = np.stack([np.sin(tilt), np.zeros_like(tilt), np.cos(tilt)], axis=1)
    accel += rng.normal(0, 0.001, accel.shape)
    gyro = np.zeros_like(accel)
    return write_tracebin(path, t_ms, accel, gyro)


def wake(micropython, tmp_path, kind, addr, active_low):
    trace = heel_raise_trace(tmp_path / "raise.bin", BRISK_MS.get(kind, RISE_MS))
    config = {
        "chips": [{"kind": kind, "addr": addr}],
        "trace": str(trace),
        "imu_int": {"pin": INT_PIN, "addr": addr},
        "clock": "waits",  # only the runner's sleeps move the clock: the same on a loaded machine
    }
    env = write_sim_config(tmp_path / "sim.json", **config)
    args = (kind, addr, INT_PIN, int(active_low), WAKE_MG, STILL_MS + 3000)
    return json.loads(micropython(script=RUNNER, args=args, path=[PORT], env=env))


@pytest.mark.parametrize("kind,addr", CHIPS, ids=[c[0] for c in CHIPS])
@pytest.mark.parametrize("active_low", [False, True], ids=["active_high", "active_low"])
def test_first_raise_wakes_and_the_event_latches(micropython, tmp_path, kind, addr, active_low):
    result = wake(micropython, tmp_path, kind, addr, active_low)
    assert result["idle_level"] == (1 if active_low else 0)
    assert result["rose_ms"] is not None, "the raise never drove INT"
    # the trace starts with the first sample the chip uses (start()): the raise begins
    # STILL_MS later; INT is up by the first standby sample after it (1.6 Hz at the slowest)
    assert STILL_MS < result["rose_ms"] - result["started_ms"] < STILL_MS + RISE_MS + 650
    assert result["held"] and result["motion"] and result["cleared"]
    assert result["restarted"]
