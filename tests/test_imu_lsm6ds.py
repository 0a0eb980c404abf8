"""LSM6DS3, LSM6DS3TR-C and LSM6DSOX drivers over their register-level chip models, on the
MicroPython port (tests/mp/imu_lsm_run.py).

The trace's gyro z is a steep ramp, so a decoded sample tells which 1 ms trace row (simulated
ms) it came from; all six channels must then equal that row converted at the sensitivity the
driver reports (up to the chip's rounding), which shows misaligned words, swapped sensors,
wrong axes or scales, and how many samples really went missing between two batches.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from calfraise.device import PORT
from calfraise.device.simconfig import write_sim_config
from calfraise.device.tracebin import write_tracebin
from calfraise_fw.imu.lsm6ds import LSM6DS3, LSM6DS3TRC, LSM6DSOX, nearest_odr

MP_RUN = Path(__file__).parent / "mp" / "imu_lsm_run.py"
CHIPS = {"lsm6ds3": LSM6DS3, "lsm6ds3trc": LSM6DS3TRC, "lsm6dsox": LSM6DSOX}
KINDS = sorted(CHIPS)
ADDR = 0x6A  # SA0 low
BUS = "I2C(0, scl=22, sda=21)"
AXES = "-y,x,z"  # board x = -chip y, board y = chip x
TRACE_MS = 20000
ACCEL_LSB, GYRO_LSB = 1000 / 0.244, 1000 / 35  # +-8 g and +-1000 deg/s (datasheet table 3)


@pytest.fixture(scope="module")
def trace(tmp_path_factory):
    """(trace file, expected board-frame counts of every row, as floats)."""
    t_ms = np.arange(TRACE_MS + 1)
    s = t_ms / 1000.0
    accel = np.stack(
        [
            0.7 * np.sin(2 * np.pi * s / 1.3),
            0.4 * np.cos(2 * np.pi * s / 0.7) - 0.2,
            1.0 + 0.3 * np.sin(2 * np.pi * s / 2.3),
        ],
        axis=1,
    )
    gyro = np.stack(
        [
            250 * np.sin(2 * np.pi * s / 0.9),
            -300 * np.cos(2 * np.pi * s / 1.7) + 40,
            -900 + 1800 * t_ms / TRACE_MS,  # 1.7 counts a row: the row it came from
        ],
        axis=1,
    )
    path = write_tracebin(tmp_path_factory.mktemp("trace") / "trace.bin", t_ms, accel, gyro)
    rows = np.fromfile(path, dtype="<i4", offset=4).reshape(-1, 7)
    chip = np.concatenate([rows[:, 1:4] / 100_000 * ACCEL_LSB, rows[:, 4:7] / 1000 * GYRO_LSB], 1)
    board = chip[:, [1, 0, 2, 4, 3, 5]] * [-1, 1, 1, -1, 1, 1]
    return path, board


def run(micropython, tmp_path, kind, plan, *, rate=104, trace=None, faults=(), chips=None):
    """The driver on the port; returns its JSON result."""
    config = {"chips": chips or [{"kind": kind, "addr": ADDR}], "faults": list(faults)}
    if trace is not None:
        config["trace"] = str(trace[0])
    env = write_sim_config(tmp_path / "sim.json", **config)
    args = (kind, ADDR, rate, AXES, plan)
    return json.loads(micropython(script=MP_RUN, args=args, path=[PORT], env=env))


def trace_rows(result, board):
    """The trace row (ms) of each decoded sample; fails on a sample that is no trace row."""
    samples = np.asarray(result["samples"]).reshape(-1, 6)
    at = np.clip(np.searchsorted(board[:, 5], samples[:, 5]), 1, len(board) - 1)
    rows = []
    for sample, i in zip(samples, at, strict=True):
        near = [i - 1, i] if i + 1 == len(board) else [i - 1, i, i + 1]
        errors = np.abs(board[near] - sample).max(axis=1)
        best = near[int(np.argmin(errors))]
        assert errors.min() <= 0.51, f"{sample.tolist()} is no trace row ({board[best]})"
        rows.append(best)
    return np.asarray(rows)


def losses(result, board):
    """[(sample index, samples truly missing before it, gap the driver reported)] wherever
    either is non-zero; a restart's first sample is left out (re-init starts a new clock)."""
    rows = trace_rows(result, board)
    reported = {}
    for first, _, gap in result["batches"]:
        reported[first] = reported.get(first, 0) + gap
    restarted = {index for index, _ in result["errors_seen"]}
    out = []
    for i in range(1, len(rows)):
        if i in restarted:
            continue
        periods = (rows[i] - rows[i - 1]) * result["rate_hz"] / 1000
        assert abs(periods - round(periods)) < 0.25 and periods > 0.5, f"sample {i}: {periods}"
        missing = round(periods) - 1
        if missing or reported.get(i, 0):
            out.append((i, missing, reported.get(i, 0)))
    return out


# ------------------------------------------------------------------------- rate and identity


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("asked", "odr"), [(50, 52), (104, 104), (208, 208)])
def test_reads_one_g_at_rest_at_the_chosen_rate(micropython, tmp_path, kind, asked, odr):
    result = run(micropython, tmp_path, kind, "start,locked:30:100", rate=asked)
    assert result["rate_hz"] == odr
    assert result["lsb"] == [ACCEL_LSB, GYRO_LSB]
    samples = np.asarray(result["samples"]).reshape(-1, 6)
    assert (samples == [0, 0, 4098, 0, 0, 0]).all()  # flat and still: 1 g on board z
    assert abs(len(samples) - odr * result["t_ms"] / 1000) <= 3  # LSM6DS3(TR-C): 1st dropped


def test_rate_choice_is_the_nearest_odr_from_52_hz():
    chosen = [nearest_odr(hz)[0] for hz in (1, 50, 52, 78, 100, 104, 160, 208, 300, 5000)]
    assert chosen == [52, 52, 52, 104, 104, 104, 208, 208, 208, 833]


@pytest.mark.parametrize("kind", KINDS)
def test_rate_and_scale_are_known_before_the_chip_answers(kind):
    """The app sizes its detector from a driver it has not started yet."""
    imu = CHIPS[kind](None, ADDR, rate_hz=200)
    assert (imu.rate_hz, imu.accel_lsb_per_g, imu.gyro_lsb_per_dps) == (208, ACCEL_LSB, GYRO_LSB)


def test_bad_axes_fail_at_construction():
    with pytest.raises(ValueError, match="mirror"):
        LSM6DSOX(None, ADDR, axes="y,x,z")


@pytest.mark.parametrize(
    ("kind", "found"),
    [("lsm6ds3", "lsm6dsox"), ("lsm6ds3trc", "lsm6ds3"), ("lsm6dsox", "lsm6ds3trc")],
)
def test_wrong_chip_names_the_expected_chip_address_and_bus(micropython, tmp_path, kind, found):
    chips = [{"kind": found, "addr": ADDR}]
    [(_, message)] = run(micropython, tmp_path, kind, "start", chips=chips)["errors_seen"]
    name, other = CHIPS[kind], CHIPS[found]
    assert f"expected {name.NAME} (WHO_AM_I 0x{name.WHO_AM_I[0]:02x}) at 0x6a on {BUS}" in message
    assert message.endswith(f"found WHO_AM_I 0x{other.WHO_AM_I[0]:02x}")


@pytest.mark.parametrize("kind", KINDS)
def test_missing_chip_is_not_found(micropython, tmp_path, kind):
    chips = [{"kind": kind, "addr": ADDR + 1}]  # the other address SA0 can give
    [(_, message)] = run(micropython, tmp_path, kind, "start", chips=chips)["errors_seen"]
    assert message.startswith(f"{CHIPS[kind].NAME} not found at 0x6a on {BUS}")


# ---------------------------------------------------------------------------- the samples


@pytest.mark.parametrize("kind", KINDS)
def test_samples_are_the_trace_in_the_board_frame_without_allocating(
    micropython, tmp_path, trace, kind
):
    """Short and long reads (a full batch, several bursts, samples left in the FIFO, words
    split across reads), all under heap_lock()."""
    plan = "start,locked:20:30,locked:10:170,locked:5:300,locked:20:10"
    result = run(micropython, tmp_path, kind, plan, rate=208, trace=trace)
    rows = trace_rows(result, trace[1])
    assert len(rows) > 800
    assert losses(result, trace[1]) == []
    assert result["lost"] == result["overflows"] == 0


@pytest.mark.parametrize("kind", KINDS)
def test_fifo_overflow_is_counted_and_the_gap_reported(micropython, tmp_path, trace, kind):
    """Ten unread seconds (heap locked), longer than any of the FIFOs holds: one overflow, the
    gap matches the samples lost, and the samples after it are whole and in order."""
    plan = "start,locked:20:50,locked:1:10000,locked:40:50"
    result = run(micropython, tmp_path, kind, plan, trace=trace)
    [(_, missing, reported)] = losses(result, trace[1])
    assert result["overflows"] == 1
    assert missing > 300
    assert abs(reported - missing) <= 2
    assert result["lost"] == reported
    assert len(trace_rows(result, trace[1])) > 300


@pytest.mark.parametrize("kind", KINDS)
def test_nack_mid_burst_loses_samples_without_raising(micropython, tmp_path, trace, kind):
    """The chip stops 30 bytes into a burst (mid-word, mid-sample): read() returns, the loss
    is counted and reported with the next batch, and later reads are aligned."""
    nack = {"at_ms": 1500, "addr": ADDR, "kind": "eio", "min_len": 24, "after_bytes": 30}
    result = run(micropython, tmp_path, kind, "start,read:40:100", trace=trace, faults=[nack])
    [(_, missing, reported)] = losses(result, trace[1])
    assert result["errors_seen"] == [] and result["errors"] == 1
    assert missing >= 5 and abs(reported - missing) <= 1 and result["lost"] == reported
    assert len(trace_rows(result, trace[1])) > 300


@pytest.mark.parametrize("kind", KINDS)
def test_register_failure_raises_and_start_recovers(micropython, tmp_path, trace, kind):
    """A register read failing on every retry raises ImuError; start() again re-inits."""
    stuck = {"at_ms": 1500, "addr": ADDR, "kind": "etimedout", "count": 3}
    result = run(micropython, tmp_path, kind, "start,read:40:100", trace=trace, faults=[stuck])
    [(index, message)] = result["errors_seen"]
    assert message.startswith(f"{CHIPS[kind].NAME} at 0x6a on {BUS} stopped answering")
    assert result["reinits"] == 1 and result["errors"] == 3
    assert losses(result, trace[1]) == []
    assert len(result["samples"]) // 6 - index > 200  # reading went on after the re-init


def test_tagged_words_pair_by_time_slot(both_interpreters):
    """Words whose mates were overwritten (gyro of slot 1, accel of slot 2) are dropped, other
    tags skipped, an unpaired word waits for the next read: a pair is one slot's gyro, accel."""
    code = (
        "from calfraise_fw.imu.lsm6ds import pair_words\n"
        "def words(*specs):\n"
        "    return bytearray(b''.join(bytes([t << 3 | c << 1] + [b + i for i in range(6)])\n"
        "                              for t, c, b in specs))\n"
        "pend, pairs = bytearray(14), bytearray(48)\n"
        "first = words((1, 0, 10), (2, 0, 20), (1, 1, 30), (2, 2, 40), (1, 3, 50), (2, 3, 60),\n"
        "              (3, 3, 90), (2, 0, 70))\n"
        "n = pair_words(first, 8, pend, pairs)\n"
        "print(list(pairs[: 12 * n]))\n"
        "n = pair_words(words((1, 0, 80)), 1, pend, pairs)\n"
        "print(list(pairs[: 12 * n]), pend[12])\n"
    )
    first, second = both_interpreters(code=code).splitlines()
    span = list(range(6))
    assert json.loads(first) == [base + i for base in (10, 20, 50, 60) for i in span]
    assert second == str([base + i for base in (80, 70) for i in span]) + " 0"
