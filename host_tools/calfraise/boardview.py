"""A trace as a board reads it, written once for `calfraise analyze` and `device run`.

A trace CSV says what the foot did; a board measures that with its IMU: at the chip's output
data rate on the chip's own clock, in the chip's counts, and the firmware's Sampler stamps
sample k at round(k * 1000 / rate) ms. Both consumers take the board's samples from here, so
the detector sees the same integers whichever way a trace reaches it, whatever the trace's rate,
jitter or gaps: analyze turns them into counts as the chip does (the driver's exact
sensitivity) and feeds them with the Sampler's stamps (detect); device run writes them as the
binary trace its simulated IMU plays, one row a sample (write_board_trace).

Which chip: the one the simulated board carries for the trace's rate (trace_imu). Sample k,
at k * 1000 / rate ms of the trace's clock, is the row nearest in time, the later on a tie (as
the simulated world plays rows): rows stamped with jitter under half a period are taken one by
one, a gap is bridged by the rows either side of it, and before the first row the foot holds
the first row's reading. After the last row the foot keeps still, the last row held (as the
simulated board goes on after a trace) for TAIL_MS: the detector then finishes a rep the trace
ends in.
"""

from dataclasses import dataclass

from calfraise.device.tracebin import MAGIC, write_rows
from calfraise.trace import ACCEL_UNIT, GYRO_UNIT, TraceError, iter_trace, world_units
from calfraise_fw.imu import open_imu
from calfraise_fw.imu.lsm6ds import nearest_odr
from calfraise_fw.imu.mpu6xxx import nearest_rate

# The detector's rates (RepDetector: 40-420 Hz); a trace outside is measured at the nearest.
RATE_RANGE_HZ = (40, 416)
TAIL_MS = 10_000  # > any rep's wait for confirmation (the detector's _CONFIRM_MS and phases)
CLOCK_LIMIT_MS = 1 << 27  # 37 h: the detector's clock (t_ms < 2**28) with room for the tail
INT16_MIN = -32768
INT16_MAX = 32767


@dataclass(frozen=True)
class BoardImu:
    """The IMU that measures a trace: its driver's kind and address, output data rate (Hz) and
    exact sensitivity (counts per g and per deg/s as (numerator, denominator))."""

    kind: str
    addr: int
    rate_hz: int
    accel_lsb: tuple
    gyro_lsb: tuple

    @property
    def accel_lsb_per_g(self):
        return self.accel_lsb[0] / self.accel_lsb[1]

    @property
    def gyro_lsb_per_dps(self):
        return self.gyro_lsb[0] / self.gyro_lsb[1]

    def config(self):
        """The simulated board's config.json "imu" entry."""
        return {"kind": self.kind, "addr": self.addr, "rate_hz": self.rate_hz}

    def stamp_ms(self, k):
        """The Sampler's stamp of sample k (an int or an int array): round(k * 1000 / rate),
        halves up, in integers as the board counts."""
        return (k * 1000 + self.rate_hz // 2) // self.rate_hz

    def counts(self, world, lsb, unit):
        """Trace values in world units (int array, 1/unit g or deg/s) as the chip's int16
        counts: value * lsb, rounded half away from zero and saturated, as the chip models do
        (simhw.chips.base.to_counts)."""
        import numpy as np

        num = np.asarray(world, dtype=np.int64) * lsb[0]
        den = lsb[1] * unit
        mag = (2 * np.abs(num) + den) // (2 * den)
        return np.clip(np.where(num < 0, -mag, mag), INT16_MIN, INT16_MAX)


def board_imu(kind, addr, rate_hz):
    """The BoardImu a driver of `kind` makes of a requested rate (its nearest own rate)."""
    driver = open_imu(None, kind, addr, rate_hz=rate_hz)  # the constructor does not touch the bus
    return BoardImu(kind, addr, driver.rate_hz, driver.ACCEL_LSB, driver.GYRO_LSB)


def trace_imu(rate_hz):
    """The simulated board's IMU for a trace recorded at rate_hz (TraceTimes.rate_hz).

    An MPU-6886 where one of its rates is within 1 % (40, 50, 100, 125, 200, 250 Hz), else an
    LSM6DSOX at its nearest output data rate (52, 104, 208, 416 Hz); a rate outside what the
    detector takes is measured at the nearest it does."""
    rate_hz = min(max(rate_hz, RATE_RANGE_HZ[0]), RATE_RANGE_HZ[1])
    rate, _ = nearest_rate(rate_hz)
    if abs(rate - rate_hz) <= rate_hz / 100:
        return board_imu("mpu6886", 0x68, rate)
    return board_imu("lsm6dsox", 0x6A, nearest_odr(rate_hz)[0])


def board_samples(chunks, rate_hz, tail_ms=TAIL_MS):
    """The samples a board at rate_hz measures of a trace (iter_trace's chunks, or a Trace), as
    consecutive (N, 6) int64 arrays of world units from sample 0 (the trace's t_ms 0): each the
    row nearest in time, then tail_ms of the last row held. Streams: memory stays a chunk's."""
    import numpy as np

    chunks = (chunks,) if hasattr(chunks, "t_ms") else chunks
    k = 0  # the next sample
    t = rows = None
    for chunk in chunks:
        t_new = np.asarray(chunk.t_ms, dtype=np.int64)
        if t_new[-1] >= CLOCK_LIMIT_MS:
            raise TraceError(
                chunk.path,
                None,
                f"t_ms reaches {int(t_new[-1])}: a board counts ms from t_ms 0 up to "
                f"{CLOCK_LIMIT_MS} ({CLOCK_LIMIT_MS // 3_600_000} h); stamp it from its start",
            )
        rows_new = world_units(chunk.accel_g, chunk.gyro_dps)
        if t is None:
            t, rows = t_new, rows_new
        else:  # the row carried over from the chunk before leads
            t, rows = np.concatenate((t[-1:], t_new)), np.concatenate((rows[-1:], rows_new))
        # the samples before the last row's time: a later row can be nearer to none of them
        end = -(-int(t[-1]) * rate_hz // 1000)  # ceil: sample times 1000 * k / rate < t[-1]
        if end > k:
            yield _nearest(t, rows, k, end, rate_hz)
            k = end
    if t is None:
        return
    # the samples up to the first at or after the last row's time, then the held tail
    end = -(-int(t[-1]) * rate_hz // 1000) + 1 + tail_ms * rate_hz // 1000
    if end > k:
        yield _nearest(t, rows, k, end, rate_hz)


def _nearest(t, rows, k0, k1, rate_hz):
    """Rows of samples k0..k1-1: row i + 1 is taken over row i once the sample's time
    1000 * k / rate reaches their midpoint, (t[i] + t[i + 1]) / 2 (integers: no rounding)."""
    import numpy as np

    twice_mid = (t[:-1] + t[1:]) * rate_hz
    keys = 2000 * np.arange(k0, k1, dtype=np.int64)
    return rows[np.searchsorted(twice_mid, keys, side="right")]


def raw_batches(imu, chunks):
    """What the board's detector is fed: (N, 7) int64 arrays of the Sampler's t_ms and the six
    counts (ax, ay, az, gx, gy, gz) the chip reports, sample by sample."""
    import numpy as np

    k = 0
    for world in board_samples(chunks, imu.rate_hz):
        n = len(world)
        yield np.column_stack(
            (
                imu.stamp_ms(np.arange(k, k + n, dtype=np.int64)),
                imu.counts(world[:, :3], imu.accel_lsb, ACCEL_UNIT),
                imu.counts(world[:, 3:], imu.gyro_lsb, GYRO_UNIT),
            )
        )
        k += n


def write_board_trace(path, trace_csv, imu):
    """The binary trace the simulated IMU plays (port/simhw/world.py): the board's samples of
    trace_csv, one row a sample stamped by the Sampler's clock, so the simulated chip, sampling
    at the same rate, takes each row once. Returns the last row's t_ms before the tail."""
    import numpy as np

    k = 0
    with open(path, "wb") as f:
        f.write(MAGIC)
        for world in board_samples(iter_trace(trace_csv), imu.rate_hz, tail_ms=0):
            k += len(world)
            write_rows(f, imu.stamp_ms(np.arange(k - len(world), k)), world)
    return int(imu.stamp_ms(k - 1))
