"""The sampling task: drain the IMU's FIFO every PERIOD_MS, run the detector on every sample,
hand completed reps on (the app wires them to the session, and on_drain to its timers).

The detector's clock is the sample count: sample k is stamped round(k * 1000 / rate_hz) ms,
so tempo is measured in the IMU's own time whatever the loop's latency, and samples the FIFO
lost (overflow, a failed burst, a re-init) move the clock on by as long as they would have
lasted, which the detector sees as a gap. The per-sample path allocates nothing.
"""

import asyncio
import time
from array import array

from calfraise_fw.detector import RepDetector
from calfraise_fw.imu.base import ImuError

PERIOD_MS = 60  # drain period; the smallest FIFO (MPU-6886, 200 Hz) lasts 0.37 s
BATCH = 32  # samples per read(); a fuller FIFO takes several reads
RETRY_MS = (500, 1000, 2000, 5000, 10000)  # wait before re-initialising a failed IMU
REBASE_MS = 1 << 26  # restart the detector's clock past this (it must stay below 2**28)


def _no_rep(rep):
    """Until the app wires a session, reps go nowhere."""


def _no_tick():
    pass


def restore_bias(detector, imu, gyro_bias_mdps):
    """Start the detector from a gyro bias saved in mdps (Sampler.learned_bias_mdps), in the
    counts of this imu (anything with gyro_lsb_per_dps: a driver, boardview's BoardImu)."""
    k = 16 * imu.gyro_lsb_per_dps / 1000
    detector.restore_gyro_bias([round(m * k) for m in gyro_bias_mdps])


class Sampler:
    def __init__(self, imu, publish, gyro_bias_mdps=None):
        self.imu = imu
        self.publish = publish  # events: the IMU failed, is missing, is back
        self.on_rep = _no_rep  # on_rep(rep) for every completed rep, in this task
        self.on_drain = _no_tick  # on_drain() after every drain (the session's timers)
        self.on_raw = None  # on_raw(samples, n, index of the first) per batch: raw streaming
        self.detector = RepDetector(imu.rate_hz, imu.accel_lsb_per_g, imu.gyro_lsb_per_dps)
        self._step = 1000 // imu.rate_hz
        self._extra = 1000 % imu.rate_hz
        self._rem = imu.rate_hz // 2  # stamps round to the nearest ms
        self.gyro_bias_mdps = gyro_bias_mdps  # calibration restored into every fresh detector
        self.imu_ok = False
        self.epoch_ms = 0  # detector clock + epoch_ms = ms since boot, in sample time
        self.t_ms = 0
        self.restart_detector()
        self.samples = 0
        self.heartbeat_ms = time.ticks_ms()
        self.worst_latency_ms = 0
        self._buf = array("h", bytes(2 * 6 * BATCH))
        self._latest = 0  # where the newest sample starts in _buf

    async def run(self):
        failures = 0
        down_since = time.ticks_ms()
        while True:
            if not self.imu_ok:
                if self.start_imu(down_since):
                    failures = 0
                else:
                    await self._wait(RETRY_MS[min(failures, len(RETRY_MS) - 1)])
                    failures += 1
                    continue
            # awaited here, not in a helper coroutine: a generator made per drain would be
            # alive at the monitor's gc wherever the heap's top was, splitting its free blocks
            due = time.ticks_add(time.ticks_ms(), PERIOD_MS)
            await asyncio.sleep_ms(PERIOD_MS)
            self._woke(due)
            try:
                self.drain()
            except ImuError as err:
                self.imu_ok = False
                down_since = time.ticks_ms()
                self.publish({"type": "error", "code": "imu_failed", "message": str(err)})

    async def _wait(self, ms):
        """A long wait, in steps that keep the heartbeat fresh for the watchdog."""
        while ms > 0:
            step = min(ms, 1000)
            due = time.ticks_add(time.ticks_ms(), step)
            await asyncio.sleep_ms(step)
            self._woke(due)
            ms -= step

    def _woke(self, due):
        """After a sleep that was due to end at `due`: stay alive for the watchdog, and keep
        the worst wake-up latency."""
        now = time.ticks_ms()
        late = time.ticks_diff(now, due)
        if late > self.worst_latency_ms:
            self.worst_latency_ms = late
        self.heartbeat_ms = now

    def start_imu(self, down_since=None):
        """Start (or restart) the IMU; False, with an error event, if it does not answer."""
        try:
            self.imu.start()
        except ImuError as err:
            self.publish({"type": "error", "code": "imu_missing", "message": str(err)})
            return False
        imu = self.imu
        if self.samples and down_since is not None:  # a re-init: samples made meanwhile are gone
            self._skip(time.ticks_diff(time.ticks_ms(), down_since) * imu.rate_hz // 1000)
        self.imu_ok = True
        self.publish({"type": "imu", "state": "ok", "rate_hz": imu.rate_hz, "reinits": imu.reinits})
        return True

    def learned_bias_mdps(self):
        """The gyro bias the detector has learned, in mdps (None while it still learns); every
        fresh detector starts from it. mdps, not raw counts: it survives a change of range."""
        bias = self.detector.gyro_bias
        if bias is None:
            return None
        k = 1000 / (16 * self.imu.gyro_lsb_per_dps)
        self.gyro_bias_mdps = [round(b * k) for b in bias]
        return self.gyro_bias_mdps

    def forget_calibration(self):
        """A fresh detector with no gyro bias: it learns the bias and the rest again."""
        self.gyro_bias_mdps = None
        self.restart_detector()

    def restart_detector(self):
        """A fresh detector state (a new session numbers its sets from 1), same calibration."""
        self.detector.reset()
        if self.gyro_bias_mdps is not None:
            restore_bias(self.detector, self.imu, self.gyro_bias_mdps)
        if self.t_ms > REBASE_MS:
            self.epoch_ms += self.t_ms
            self.t_ms = 0

    def new_session(self):
        """The detector numbers sets from 1 again and carries on tracking (a session timed out:
        the foot is where it was, and the reps stay those of one detector over the whole trace);
        past REBASE_MS its clock moves back by half that, and the times it keeps with it (the
        last 9 hours keep their times)."""
        self.detector.new_session()
        if self.t_ms > REBASE_MS:
            shift = REBASE_MS >> 1
            self.detector.shift_clock(shift)
            self.epoch_ms += shift
            self.t_ms -= shift

    def drain(self):
        """Read everything the FIFO holds and feed it to the detector. Raises ImuError."""
        imu = self.imu
        while True:
            n = imu.read(self._buf)
            if imu.gap:
                self._skip(imu.gap)
            if n:
                if self.on_raw is not None:
                    self.on_raw(self._buf, n, self.samples)
                self._feed(n)
            if n < BATCH:
                self.on_drain()
                return

    def _feed(self, n):
        det = self.detector
        buf = self._buf
        t = self.t_ms
        rem = self._rem
        rate = self.imu.rate_hz
        step = self._step
        extra = self._extra
        for i in range(0, 6 * n, 6):
            rep = det.update(t, buf[i], buf[i + 1], buf[i + 2], buf[i + 3], buf[i + 4], buf[i + 5])
            if rep is not None:
                self.on_rep(rep)
            t += step
            rem += extra
            if rem >= rate:
                rem -= rate
                t += 1
        self.t_ms = t
        self._rem = rem
        self.samples += n
        self._latest = 6 * (n - 1)

    def latest(self, channel):
        """The newest sample's channel (ax, ay, az, gx, gy, gz: 0..5), in counts."""
        return self._buf[self._latest + channel]

    def prime(self, sample, ms):
        """Feed `ms` of sample time holding `sample` (6 counts) to the detector: after a wake,
        the rest the foot lay at before the board slept, so the detector starts from that rest
        and the movement that woke the board is a rise from it (power.py)."""
        n = ms * self.imu.rate_hz // 1000
        buf = self._buf
        for i in range(6):
            buf[i] = sample[i]
        for _ in range(n):
            self.detector.update(self.t_ms, buf[0], buf[1], buf[2], buf[3], buf[4], buf[5])
            self._skip(1)

    def _skip(self, samples):
        """Move the sample clock on by `samples` that never arrived."""
        rate = self.imu.rate_hz
        total = self._rem + samples * self._extra
        self.t_ms += samples * self._step + total // rate
        self._rem = total % rate
