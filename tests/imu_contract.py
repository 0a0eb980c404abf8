"""The tests every FifoImu driver passes over its chip model (the driver contract), whatever the
chip. A test class per chip family subclasses ImuDriverContract, names its chips and their
constants and quirks, and adds the family's own tests; every method that takes `kind`, or
`asked, odr`, is parametrised over the family's chips, or its RATES.
"""

import numpy as np
import pytest

from imu_harness import AXES, BUS, Trace, run, write_trace


class ImuDriverContract:
    DRIVERS: dict = {}  # kind (as boards name it) -> driver class
    ADDR = 0  # the chips' I2C address; ADDR + 1 is the other one their address pin gives
    RATES: tuple = ()  # (rate asked, output data rate chosen) at 50, 104 and 208 Hz
    ACCEL_LSB = GYRO_LSB = 0.0  # datasheet counts per g and per deg/s at +-8 g, +-1000 deg/s
    DROPS_FIRST: tuple = ()  # kinds whose driver drops the first sample after start()
    STALL_MS = 0  # an unread stretch longer than the family's largest FIFO holds at 104 Hz

    def pytest_generate_tests(self, metafunc):
        if "kind" in metafunc.fixturenames:
            metafunc.parametrize("kind", sorted(self.DRIVERS))
        if "asked" in metafunc.fixturenames:
            metafunc.parametrize(("asked", "odr"), self.RATES)

    @pytest.fixture(scope="class")
    @classmethod
    def trace(cls, tmp_path_factory):
        path = write_trace(tmp_path_factory.mktemp("trace") / "trace.bin")
        return Trace(path, cls.ACCEL_LSB, cls.GYRO_LSB, AXES)

    def check_overflow_read(self, count):
        """What the read that found a FIFO overflow returned (`count` samples): a chip quirk."""
        raise NotImplementedError

    def assert_every_sample_came(self, kind, result, count):
        """`count` samples are all the chip made while reading (but one it drops at start): the
        clock moves only by the plan's sleeps, so nothing but the last part-period is missing."""
        made = result["rate_hz"] * result["t_ms"] / 1000
        assert abs(count + (kind in self.DROPS_FIRST) - made) < 1

    # --------------------------------------------------------------------- rate and identity

    def test_reads_one_g_at_rest_at_the_chosen_rate(self, micropython, tmp_path, kind, asked, odr):
        result = run(micropython, tmp_path, kind, self.ADDR, "start,locked:30:100", rate=asked)
        assert result["rate_hz"] == odr
        assert result["lsb"] == [self.ACCEL_LSB, self.GYRO_LSB]
        samples = np.asarray(result["samples"]).reshape(-1, 6)
        assert (samples == [0, 0, round(self.ACCEL_LSB), 0, 0, 0]).all()  # flat: 1 g on z
        self.assert_every_sample_came(kind, result, len(samples))

    def test_rate_and_scale_are_known_before_the_chip_answers(self, kind):
        """The app sizes its detector from a driver it has not started yet."""
        asked, odr = self.RATES[-1]
        imu = self.DRIVERS[kind](None, self.ADDR, rate_hz=asked)
        scale = (imu.accel_lsb_per_g, imu.gyro_lsb_per_dps)
        assert (imu.rate_hz, scale) == (odr, (self.ACCEL_LSB, self.GYRO_LSB))

    def test_bad_axes_fail_at_construction(self, kind):
        with pytest.raises(ValueError, match="mirror"):
            self.DRIVERS[kind](None, self.ADDR, axes="y,x,z")

    def test_wrong_chip_names_the_expected_chip_address_and_bus(self, micropython, tmp_path, kind):
        kinds = sorted(self.DRIVERS)
        found = kinds[kinds.index(kind) - 1]  # another chip of the family
        chips = [{"kind": found, "addr": self.ADDR}]
        [(_, message)] = run(micropython, tmp_path, kind, self.ADDR, "start", chips=chips)["raised"]
        want, got = self.DRIVERS[kind], self.DRIVERS[found]
        assert message == (
            f"expected {want.NAME} (WHO_AM_I 0x{want.WHO_AM_I[0]:02x}) at 0x{self.ADDR:02x}"
            f" on {BUS}, found WHO_AM_I 0x{got.WHO_AM_I[0]:02x}"
        )

    def test_missing_chip_is_not_found(self, micropython, tmp_path, kind):
        chips = [{"kind": kind, "addr": self.ADDR + 1}]  # at the other address
        [(_, message)] = run(micropython, tmp_path, kind, self.ADDR, "start", chips=chips)["raised"]
        name = self.DRIVERS[kind].NAME
        assert message.startswith(f"{name} not found at 0x{self.ADDR:02x} on {BUS}")

    # ---------------------------------------------------------------------------- the samples

    def test_samples_are_the_trace_in_the_board_frame_without_allocating(
        self, micropython, tmp_path, trace, kind
    ):
        """Short and long reads (a full batch, several bursts, samples left in the FIFO), all
        under heap_lock(): every sample is the next trace row, converted exactly, from the
        first one the FIFO took on."""
        plan = "start,locked:20:30,locked:10:170,locked:1:600,locked:5:400,locked:20:10"
        result = run(micropython, tmp_path, kind, self.ADDR, plan, trace=trace)
        rows = trace.rows(result)
        assert trace.losses(result) == []
        assert result["lost"] == result["overflows"] == 0
        first = 1000 / result["rate_hz"] if kind in self.DROPS_FIRST else 0
        assert abs(rows[0] - first) < 1
        self.assert_every_sample_came(kind, result, len(rows))

    def test_fifo_overflow_is_counted_and_the_gap_reported(
        self, micropython, tmp_path, trace, kind
    ):
        """A read that leaves samples in the FIFO, then STALL_MS unread (heap locked): one
        overflow, the gap matches the samples lost, and the samples after it are whole and in
        order."""
        plan = f"start,locked:20:50,locked:1:600,locked:1:{self.STALL_MS},locked:40:50"
        result = run(micropython, tmp_path, kind, self.ADDR, plan, trace=trace)
        [(index, missing, reported)] = trace.losses(result)
        assert result["overflows"] == 1
        assert missing > 300
        assert abs(reported - missing) <= 1  # the driver counts whole periods of its clock
        assert result["lost"] == reported
        assert len(trace.rows(result)) - index > 150
        [(_, count, _)] = [batch for batch in result["batches"] if batch[2]]
        self.check_overflow_read(count)

    def test_nack_mid_burst_loses_samples_without_raising(self, micropython, tmp_path, trace, kind):
        """The chip stops 30 bytes into a burst of two samples or more (mid-sample): read()
        returns, the loss is counted and reported with the next batch, later reads are aligned."""
        nack = {"at_ms": 1500, "addr": self.ADDR, "kind": "eio", "min_len": 24, "after_bytes": 30}
        plan = "start,read:40:100"
        result = run(micropython, tmp_path, kind, self.ADDR, plan, trace=trace, faults=[nack])
        [(_, missing, reported)] = trace.losses(result)
        assert result["raised"] == [] and result["errors"] == 1
        assert missing >= 5 and abs(reported - missing) <= 1 and result["lost"] == reported
        assert len(trace.rows(result)) > 300

    def test_register_failure_raises_and_start_recovers(self, micropython, tmp_path, trace, kind):
        """A register read failing on every retry raises ImuError; start() again re-inits."""
        stuck = {"at_ms": 1500, "addr": self.ADDR, "kind": "etimedout", "count": 3}
        plan = "start,read:40:100"
        result = run(micropython, tmp_path, kind, self.ADDR, plan, trace=trace, faults=[stuck])
        [(index, message)] = result["raised"]
        name = self.DRIVERS[kind].NAME
        assert message.startswith(f"{name} at 0x{self.ADDR:02x} on {BUS} stopped answering")
        assert result["reinits"] == 1 and result["errors"] == 3
        assert trace.losses(result) == []
        assert len(result["samples"]) // 6 - index > 200  # reading went on after the re-init
