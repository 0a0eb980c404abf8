"""MPU-6050 and MPU-6886 drivers over their register-level chip models, on the MicroPython port.

The trace is built so that every 1 ms row converts to a distinct sample: a decoded sample then
says which row (simulated ms) it was, so misaligned frames, wrong axes or scales, and the true
number of samples lost between two batches are all visible.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from calfraise.device import PORT
from calfraise.device.simconfig import write_sim_config
from calfraise.device.tracebin import write_tracebin
from calfraise_fw.imu.mpu6xxx import MPU6050, MPU6886, nearest_rate

MP_RUN = Path(__file__).parent / "mp" / "imu_mpu_run.py"
CHIPS = {"mpu6050": MPU6050, "mpu6886": MPU6886}
KINDS = sorted(CHIPS)
ADDR = 0x68
BUS = "I2C(0, scl=22, sda=21)"
AXES = "-y,x,z"  # board x = -chip y, board y = chip x
TRACE_MS = 20000
ACCEL_LSB_X1000, GYRO_LSB_X1000 = 4096000, 32800  # +-8 g and +-1000 deg/s


def to_counts(values, lsb_x1000, unit):
    """The chip's conversion (simhw/chips/base.py to_counts): rounded half away from zero."""
    num = np.asarray(values, dtype=np.int64) * lsb_x1000
    den = unit * 1000
    counts = np.where(num >= 0, (2 * num + den) // (2 * den), -((-2 * num + den) // (2 * den)))
    return np.clip(counts, -32768, 32767)


def board_frame(chip):
    """Chip-axis counts (N, 3) to the board frame of AXES, saturating as the driver does."""
    return np.stack([np.minimum(-chip[:, 1], 32767), chip[:, 0], chip[:, 2]], axis=1)


@pytest.fixture(scope="module")
def trace(tmp_path_factory):
    """(trace file, {board-frame sample: row ms}) for a trace with all rows distinct."""
    t_ms = np.arange(TRACE_MS + 1)
    s = t_ms / 1000.0
    accel = np.stack(
        [
            0.6 * np.sin(2 * np.pi * s / 1.3),
            0.4 * np.cos(2 * np.pi * s / 0.7) + 0.2,
            1.0 + 0.3 * np.sin(2 * np.pi * s / 2.1),
        ],
        axis=1,
    )
    gyro = np.stack(
        [
            300 * np.sin(2 * np.pi * s / 0.9),
            -200 * np.cos(2 * np.pi * s / 1.7) + 50,
            -800 + 1600 * t_ms / TRACE_MS,  # a ramp: no two rows alike
        ],
        axis=1,
    )
    path = write_tracebin(tmp_path_factory.mktemp("trace") / "trace.bin", t_ms, accel, gyro)
    rows = np.fromfile(path, dtype="<i4", offset=4).reshape(-1, 7)
    expected = np.concatenate(
        [
            board_frame(to_counts(rows[:, 1:4], ACCEL_LSB_X1000, 100_000)),
            board_frame(to_counts(rows[:, 4:7], GYRO_LSB_X1000, 1000)),
        ],
        axis=1,
    )
    table = {tuple(sample): int(t) for sample, t in zip(expected.tolist(), rows[:, 0], strict=True)}
    assert len(table) == len(rows), "trace rows must convert to distinct samples"
    return path, table


def run(micropython, tmp_path, kind, schedule, *, rate=104, trace=None, locked=True, faults=()):
    """The driver on the port (tests/mp/imu_mpu_run.py); returns its JSON result."""
    config = {"chips": [{"kind": kind, "addr": ADDR}], "faults": list(faults)}
    if trace is not None:
        config["trace"] = str(trace[0])
    env = write_sim_config(tmp_path / "sim.json", **config)
    args = (kind, rate, AXES, int(locked), schedule)
    return json.loads(micropython(script=MP_RUN, args=args, path=[PORT], env=env))


def trace_rows(result, table):
    """The trace row (ms) each decoded sample came from."""
    rows = []
    for sample in np.asarray(result["samples"]).reshape(-1, 6).tolist():
        assert tuple(sample) in table, f"{sample} is in no trace row: misaligned or misdecoded"
        rows.append(table[tuple(sample)])
    return np.asarray(rows)


def losses(result, table):
    """[(sample index, samples truly missing before it, gap the driver reported)] wherever
    either is non-zero; pairs across a restart are left out (re-init makes a new clock)."""
    rows = trace_rows(result, table)
    period = 1000 // result["rate_hz"]
    reported = {}
    for index, gap in result["gaps"]:
        reported[index] = reported.get(index, 0) + gap
    restarted = {index for index, _ in result["restarts"]}
    out = []
    for i in range(1, len(rows)):
        step = int(rows[i] - rows[i - 1])
        if i in restarted:
            continue
        assert step % period == 0 and step > 0, f"sample {i}: {step} ms after the previous one"
        missing = step // period - 1
        if missing or reported.get(i, 0):
            out.append((i, missing, reported.get(i, 0)))
    return out


# ------------------------------------------------------------------------- rate and identity


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("asked", "odr"), [(50, 50), (104, 100), (208, 200)])
def test_reads_one_g_at_rest_at_the_chosen_rate(micropython, tmp_path, kind, asked, odr):
    result = run(micropython, tmp_path, kind, "100*30", rate=asked)
    assert result["rate_hz"] == odr
    assert (result["accel_lsb_per_g"], result["gyro_lsb_per_dps"]) == (4096, 32.8)
    samples = np.asarray(result["samples"]).reshape(-1, 6)
    assert (samples == [0, 0, 4096, 0, 0, 0]).all()  # flat and still: 1 g on board z
    assert abs(len(samples) - odr * result["t_ms"] / 1000) <= 2


def test_rate_choice_is_the_nearest_whole_rate_from_40_hz():
    chosen = [nearest_rate(hz)[0] for hz in (1, 40, 50, 52, 75, 104, 208, 5000)]
    assert chosen == [40, 40, 50, 50, 100, 100, 200, 1000]


def test_bad_axes_fail_at_construction():
    with pytest.raises(ValueError, match="mirror"):
        MPU6050(None, ADDR, axes="y,x,z")


@pytest.mark.parametrize(("kind", "found"), [("mpu6050", "mpu6886"), ("mpu6886", "mpu6050")])
def test_wrong_chip_names_the_expected_chip_address_and_bus(micropython, tmp_path, kind, found):
    env = write_sim_config(tmp_path / "sim.json", chips=[{"kind": found, "addr": ADDR}])
    message = start_message(micropython, kind, env)
    name, other = CHIPS[kind], CHIPS[found]
    assert f"expected {name.NAME} (WHO_AM_I 0x{name.WHO_AM_I[0]:02x}) at 0x68 on {BUS}" in message
    assert f"found WHO_AM_I 0x{other.WHO_AM_I[0]:02x}" in message


@pytest.mark.parametrize("kind", KINDS)
def test_missing_chip_is_not_found(micropython, tmp_path, kind):
    env = write_sim_config(tmp_path / "sim.json", chips=[])
    message = start_message(micropython, kind, env)
    assert f"{CHIPS[kind].NAME} not found at 0x68 on {BUS}" in message


def start_message(micropython, kind, env):
    """What ImuError says when start() fails (the run fails if start() succeeds)."""
    code = (
        "from machine import I2C\n"
        "from calfraise_fw.imu import open_imu\n"
        "from calfraise_fw.imu.base import ImuError\n"
        f"imu = open_imu(I2C(0), {kind!r}, {ADDR}, bus={BUS!r})\n"
        "try:\n"
        "    imu.start()\n"
        "except ImuError as err:\n"
        "    print(err)\n"
        "else:\n"
        "    raise SystemExit('start() succeeded')\n"
    )
    return micropython(code=code, path=[PORT], env=env)


# ---------------------------------------------------------------------------- the samples


@pytest.mark.parametrize("kind", KINDS)
def test_samples_are_the_trace_in_the_board_frame_without_allocating(
    micropython, tmp_path, trace, kind
):
    """Short and long reads (up to a full 40-sample batch, several bursts, leftovers in the
    FIFO), all under heap_lock(): every sample is the next trace row, converted exactly."""
    result = run(micropython, tmp_path, kind, "30*20,170*10,400*5,10*20", trace=trace)
    rows = trace_rows(result, trace[1])
    assert len(rows) > 400
    assert (np.diff(rows) == 10).all()
    assert result["gaps"] == [] and result["lost"] == 0 and result["overflows"] == 0


@pytest.mark.parametrize("kind", KINDS)
def test_fifo_overflow_is_counted_and_the_gap_reported(micropython, tmp_path, trace, kind):
    """A read that leaves 20 samples in the FIFO, then three unread seconds (heap locked): one
    overflow, the gap matches the samples lost, and the FIFO is aligned again after the flush."""
    result = run(micropython, tmp_path, kind, "50*20,600*1,3000*1,50*20", trace=trace)
    [(_, missing, reported)] = losses(result, trace[1])
    assert result["overflows"] == 1
    assert missing > 250
    assert abs(reported - missing) <= 2
    assert result["lost"] == reported
    assert len(trace_rows(result, trace[1])) > 220  # all aligned


@pytest.mark.parametrize("kind", KINDS)
def test_nack_mid_burst_loses_samples_without_raising(micropython, tmp_path, trace, kind):
    """The chip stops after 30 bytes of a burst (not a whole frame): read() returns, the loss is
    counted and reported, and later reads are aligned."""
    frame = CHIPS[kind].FRAME
    nack = {"at_ms": 1500, "addr": ADDR, "kind": "eio", "min_len": 2 * frame, "after_bytes": 30}
    result = run(micropython, tmp_path, kind, "100*40", trace=trace, locked=False, faults=[nack])
    [(_, missing, reported)] = losses(result, trace[1])
    assert result["restarts"] == [] and result["errors"] == 1
    assert missing >= 5 and abs(reported - missing) <= 1 and result["lost"] == reported
    assert len(trace_rows(result, trace[1])) > 300


@pytest.mark.parametrize("kind", KINDS)
def test_register_failure_raises_and_start_recovers(micropython, tmp_path, trace, kind):
    """A register read failing on every retry raises ImuError; start() again re-inits."""
    stuck = {"at_ms": 1500, "addr": ADDR, "kind": "etimedout", "count": 3}
    result = run(micropython, tmp_path, kind, "100*40", trace=trace, locked=False, faults=[stuck])
    [(index, message)] = result["restarts"]
    assert f"{CHIPS[kind].NAME} at 0x68 on I2C(0) stopped answering" in message
    assert result["reinits"] == 1 and result["errors"] == 3
    assert losses(result, trace[1]) == []
    assert len(result["samples"]) // 6 - index > 200  # reading went on after the re-init
