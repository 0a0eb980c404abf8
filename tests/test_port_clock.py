"""The simulated board's clock (calfraise/device/port/time.py) on the 32-bit unix port, whose
ticks_us wraps every 2**30 µs (under 18 minutes of real time): a run of hours must not see its
simulated time jump back then (the IMU model would stop making samples for 18 minutes)."""

from calfraise.device import PORT

ACROSS_THE_WRAP = """
import time
real = time._real


class Wrapping:
    # the port's ticks_us, 100 us before it wraps
    now = real.ticks_add(0, -100)

    def ticks_us(self):
        return self.now

    def ticks_diff(self, a, b):
        return real.ticks_diff(a, b)


fake = Wrapping()
time._real = fake
time.sim_us()
before = time.sim_us()
fake.now = real.ticks_add(fake.now, 300)
print(time.sim_us() - before)
"""


def test_simulated_time_runs_on_across_the_tick_counters_wrap(micropython32):
    assert micropython32(ACROSS_THE_WRAP, path=[PORT]).split() == ["300"]
