"""The main loop: feeds the watchdog while every supervised task is healthy, commits pending
session records (durable within 1 s), collects garbage at a quiet moment every second (and times
it), keeps the runtime stats, reads the battery, and saves the gyro calibration once learned.

If a task keeps failing or stops beating (supervisor.py), the watchdog is no longer fed and the
board resets: better a reboot than a sensor that silently stopped counting. The loop itself is
the watchdog's heartbeat: if it dies or hangs, nothing feeds the watchdog either.
"""

import asyncio
import gc
import time

from calfraise_fw import settings as settings_file

LOOP_MS = 1000
WDT_MS = 8000  # watchdog timeout
STATS_EVERY = 60  # loops between "stats" events
BIAS_SAVE_MDPS = 100  # save the calibration again when it moved this far


class Monitor:
    def __init__(self, app, wdt):
        self.app = app
        self.wdt = wdt
        self.gc_max_us = 0
        self.heap_peak = 0
        # read after each gc.collect() only (_collect): now, mid-build, garbage would count
        self.heap_free_min = gc.mem_free() + gc.mem_alloc()
        self.battery_mv = None
        self.battery_pct = None
        self._loops = 0
        self.stuck = None  # the task that keeps the watchdog from being fed

    async def run(self):
        while True:
            stuck = self.app.supervisor.check()
            if stuck is None:
                self.wdt.feed()
            elif self.stuck is None:
                self.app.publish({"type": "error", "code": "watchdog", "message": stuck})
            self.stuck = stuck
            self.app.recorder.tick(self.app.now_ms())
            self._collect()
            if self._loops % STATS_EVERY == 0:
                self._read_battery()
                self._save_bias()
            self._loops += 1
            if self._loops % STATS_EVERY == 0:
                self.app.publish(self.app.status("stats"))
            await asyncio.sleep_ms(LOOP_MS)

    def _collect(self):
        used = gc.mem_alloc()
        if used > self.heap_peak:
            self.heap_peak = used
        t0 = time.ticks_us()
        gc.collect()
        pause = time.ticks_diff(time.ticks_us(), t0)
        if pause > self.gc_max_us:
            self.gc_max_us = pause
        free = gc.mem_free()
        if free < self.heap_free_min:
            self.heap_free_min = free

    def _read_battery(self):
        battery = self.app.battery
        if battery is not None:
            self.battery_mv = battery.millivolts()
            self.battery_pct = battery.percent()

    def _save_bias(self):
        """Keep the detector's gyro bias (in mdps, so it survives a change of range). A failed
        save (flash error, or no room in a fragmented heap) is reported and tried again next
        minute: this loop feeds the watchdog, so it must not die of it."""
        app = self.app
        mdps = app.sampler.learned_bias_mdps()
        if mdps is None:
            return
        saved = app.settings.get("gyro_bias_mdps")
        if saved and max(abs(a - b) for a, b in zip(mdps, saved)) < BIAS_SAVE_MDPS:
            return
        app.settings["gyro_bias_mdps"] = mdps
        try:
            app.store.aside(settings_file.save, app.settings)
        except (OSError, MemoryError) as err:
            app.settings["gyro_bias_mdps"] = saved  # not on flash: the next minute tries again
            app.publish({"type": "error", "code": "settings_write", "message": str(err)})
