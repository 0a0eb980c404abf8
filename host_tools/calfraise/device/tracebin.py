"""Trace samples to the binary rows the simulated IMU plays back (port/simhw/world.py).

Integers so that MicroPython reads them without floats: accel in 1e-5 g and gyro in 1e-3 deg/s,
the trace CSV's own resolution (calfraise.trace.world_units; calfraise.boardview converts a trace
CSV's values with it too).
"""

from calfraise.trace import world_units

MAGIC = b"CFTR"


def write_rows(f, t_ms, world):
    """Append rows (t_ms (N,), world units (N, 6)) to an open binary trace."""
    import numpy as np

    rows = np.empty((len(t_ms), 7), dtype="<i4")
    rows[:, 0] = t_ms
    rows[:, 1:] = world
    f.write(rows.tobytes())


def write_tracebin(path, t_ms, accel_g, gyro_dps):
    """Write samples (t_ms (N,), accel_g (N, 3), gyro_dps (N, 3)) as a binary trace."""
    with open(path, "wb") as f:
        f.write(MAGIC)
        write_rows(f, t_ms, world_units(accel_g, gyro_dps))
    return path
