"""Trace CSV samples to the binary rows the simulated IMU plays back (port/simhw/world.py).

Integers so that MicroPython reads them without floats: accel in 1e-5 g and gyro in 1e-3 deg/s,
the trace CSV's own resolution, so nothing is lost in the conversion.
"""

MAGIC = b"CFTR"
ACCEL_UNIT = 100_000  # per g
GYRO_UNIT = 1000  # per deg/s


def _rows(t_ms, accel_g, gyro_dps):
    import numpy as np  # here, not at the top: the command line starts without it

    rows = np.empty((len(t_ms), 7), dtype="<i4")
    rows[:, 0] = t_ms
    rows[:, 1:4] = np.rint(np.asarray(accel_g) * ACCEL_UNIT)
    rows[:, 4:7] = np.rint(np.asarray(gyro_dps) * GYRO_UNIT)
    return rows.tobytes()


def write_tracebin(path, t_ms, accel_g, gyro_dps):
    """Write samples (t_ms (N,), accel_g (N, 3), gyro_dps (N, 3)) as a binary trace."""
    with open(path, "wb") as f:
        f.write(MAGIC)
        f.write(_rows(t_ms, accel_g, gyro_dps))
    return path


def convert_trace(path, chunks):
    """Write a trace CSV's chunks (calfraise.trace.iter_trace) as a binary trace, one chunk at
    a time; returns the last sample's t_ms."""
    last_ms = None
    with open(path, "wb") as f:
        f.write(MAGIC)
        for chunk in chunks:
            f.write(_rows(chunk.t_ms, chunk.accel_g, chunk.gyro_dps))
            last_ms = int(chunk.t_ms[-1])
    return last_ms
