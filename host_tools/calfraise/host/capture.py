"""`calfraise capture`: the device's raw IMU samples, streamed between START_RAW and STOP_RAW,
written as a trace CSV (calfraise.trace), which `calfraise analyze` and `--sim` read.

Sample k of the stream is at k / rate_hz s; counts become g and °/s with the scales START_RAW
answered. Batches lost on the way (the radio fell behind) leave a gap in time, as a FIFO
overflow does on the board.
"""

import asyncio
import contextlib
import math

import numpy as np

from calfraise.errors import UserError
from calfraise.host import protocol as p
from calfraise.host.link import LinkLost
from calfraise.trace import write_trace


def check_scales(rate_hz, accel_lsb_per_g, gyro_lsb_per_dps):
    """START_RAW's answer, refused (UserError) unless every scale is a positive number."""
    for name, value in (("rate", rate_hz), ("accel", accel_lsb_per_g), ("gyro", gyro_lsb_per_dps)):
        if not (math.isfinite(value) and value > 0):
            raise UserError(f"the device's start_raw answer has a bad {name} scale: {value!r}")
    return rate_hz, accel_lsb_per_g, gyro_lsb_per_dps


class RawCapture:
    """Raw batches collected in index order; add() returns False for one it cannot use."""

    def __init__(self, rate_hz, accel_lsb_per_g, gyro_lsb_per_dps):
        self.rate_hz, self.accel_lsb, self.gyro_lsb = check_scales(
            rate_hz, accel_lsb_per_g, gyro_lsb_per_dps
        )
        self.index = []
        self.counts = []
        self.next_index = 0
        self.lost = 0  # samples the stream skipped
        self.bad = 0  # notifications that did not decode, or came out of order

    def __len__(self):
        return len(self.index)

    def add(self, data):
        try:
            first, samples = p.decode_raw(data)
        except p.ProtocolError:
            self.bad += 1
            return False
        if first < self.next_index:
            self.bad += 1
            return False
        self.lost += first - self.next_index
        self.index += range(first, first + len(samples))
        self.counts += samples
        self.next_index = first + len(samples)
        return True

    def write(self, path, comments=()):
        """The samples as a trace CSV; UserError if there are none."""
        if not self.index:
            raise UserError("no raw samples arrived: nothing to write")
        counts = np.asarray(self.counts, dtype=np.float64)
        t_ms = np.rint(np.asarray(self.index) * 1000 / self.rate_hz).astype(np.int64)
        accel_g = counts[:, :3] / self.accel_lsb
        write_trace(path, t_ms, accel_g, counts[:, 3:] / self.gyro_lsb, comments)


async def capture(link, seconds, on_batch=None):
    """Stream raw samples for `seconds`; returns the RawCapture. STOP_RAW is sent at the end,
    also on Ctrl-C, unless the link is gone."""
    capture = RawCapture(*await link.command(p.START_RAW))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    try:
        while (left := deadline - loop.time()) > 0:
            try:
                _kind, data = await link.inbox.get(left)
            except TimeoutError:
                break
            capture.add(data)
            if on_batch is not None:
                on_batch(capture)
    finally:
        with contextlib.suppress(LinkLost):  # a lost link ends the stream anyway
            await link.command(p.STOP_RAW)
    for _kind, data in link.inbox.take_all():
        capture.add(data)
    return capture
