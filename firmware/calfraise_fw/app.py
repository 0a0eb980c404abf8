"""The app: builds the board's parts and runs the tasks that connect them.

    IMU --> Sampler --> Session --publish--> EventBus --> Feedback (LED), console, ...
                ^                                      (storage, BLE, power subscribe too)
    Button -----+--> Session.start/stop, pairing window, forget hosts
                                                 Monitor: watchdog, gc, stats, battery
                                                 Power: clock, radio, sleep (power.py)

Every task but the monitor runs under the Supervisor (restarted when it raises; the watchdog
resets the board when one keeps failing or stops beating). Everything hardware-specific comes
from the board file; everything the athlete chose from the settings file.
"""

import asyncio
import gc
import sys
import time

import machine

from calfraise_fw import VERSION
from calfraise_fw import settings as settings_file
from calfraise_fw.battery import open_battery
from calfraise_fw.ble import BleServer, Police
from calfraise_fw.button import Button
from calfraise_fw.clock import Clock
from calfraise_fw.events import EventBus, print_event
from calfraise_fw.feedback import Feedback, Led
from calfraise_fw.monitor import WDT_MS, Monitor
from calfraise_fw.power import Power, deep_poll
from calfraise_fw.recorder import Recorder
from calfraise_fw.sampler import Sampler
from calfraise_fw.session import Session
from calfraise_fw.storage import SessionStore
from calfraise_fw.supervisor import Supervisor


class App:
    def __init__(self, board, settings):
        self.board = board
        self.settings = settings
        self.bus = EventBus()
        self.publish = self.bus.publish
        self.supervisor = Supervisor(self.publish)
        from calfraise_fw.imu import open_board_imu  # boot only: startup releases the package

        i2c, self.imu = open_board_imu(board)
        deep_poll(board, self.imu)  # a polled standby's timer wake sleeps on from here
        self.sampler = Sampler(self.imu, self.publish, settings.get("gyro_bias_mdps"))
        self.session = Session(self.publish, self.sampler, settings)
        self.sampler.on_rep = self.session.on_rep
        self.sampler.on_drain = self.session.tick
        self.feedback = Feedback(Led(board.led, settings["led_brightness"]), settings)
        self.button = Button(board.button, self.on_press) if board.button else None
        self.battery = open_battery(board.battery, i2c)
        self.store = SessionStore(delete_unsynced=settings["delete_unsynced_when_full"])
        self.clock = Clock()
        self.recorder = Recorder(
            self.store, board.name, settings, self.publish, self.stamp, self.clock.remember
        )
        self.monitor = Monitor(self, machine.WDT(timeout=WDT_MS))
        self.ble = BleServer(self)
        self.power = Power(self)
        self.bus.subscribe(print_event)
        self.bus.subscribe(self.feedback.on_event)
        self.bus.subscribe(self.recorder.on_event)
        self.bus.subscribe(self.ble.on_event)
        self.bus.subscribe(self.power.on_event)

    def on_press(self, press):
        self.publish({"type": "button", "press": press})
        if press == "short":
            if self.session.state == "idle":
                self.session.start("button")
            else:
                self.session.stop("button")
        elif press == "long":
            self.ble.pairing.open_window("button")
        elif press == "very_long":
            self.ble.forget_hosts()

    def reset_calibration(self):
        """Forget the saved gyro bias and the learned rest (a stale bias can keep the detector
        from ever seeing stillness); both are learned again at the next stillness. Refused
        (False) during a session: a fresh detector would number its sets anew.
        Raises OSError if the settings file cannot be written."""
        if self.session.state != "idle":
            return False
        self.settings.pop("gyro_bias_mdps", None)
        settings_file.save(self.settings)
        self.sampler.forget_calibration()
        return True

    def now_ms(self):
        """ms since the IMU started, on the sample clock (the time of every event)."""
        return self.sampler.epoch_ms + self.sampler.t_ms

    def set_wall_clock(self, epoch_s):
        """The host told the time (Unix seconds): the RTC keeps it; the open session and those
        of this run recorded before it are dated."""
        offset = self.clock.set(epoch_s)
        self.recorder.clock_set(self.now_ms(), epoch_s * 1000, offset)

    def stamp(self, t_ms):
        """When sample-clock time t_ms was: (Unix ms, None), or while the clock is not set
        (None, (run, run_ms, known_ms)) for the host to date it later (clock.py)."""
        clock = self.clock
        ago = self.now_ms() - t_ms
        wall = clock.wall_ms()
        if wall is not None:
            return wall - ago, None
        return None, (clock.run, clock.run_ms() - ago, clock.known_ms)

    def status(self, kind="status"):
        """Everything a status readout shows, as an event dict."""
        imu = self.imu
        sampler = self.sampler
        monitor = self.monitor
        return {
            "type": kind,
            "state": self.session.state,
            "set": self.session.set_no,
            "rep": self.session.rep_no,
            "imu_ok": sampler.imu_ok,
            "samples": sampler.samples,
            "fifo_overflows": imu.overflows,
            "samples_lost": imu.lost,
            "i2c_errors": imu.errors,
            "imu_reinits": imu.reinits,
            "worst_latency_ms": sampler.worst_latency_ms,
            "heap_free": gc.mem_free(),
            "heap_total": gc.mem_free() + gc.mem_alloc(),
            "heap_free_min": monitor.heap_free_min,
            "heap_peak": monitor.heap_peak,
            "gc_max_us": monitor.gc_max_us,
            "events_dropped": self.bus.dropped,
            "storage_free": self.store.free_bytes(),
            "storage_hours": round(self.store.hours_left(), 1),
            "storage_full": self.store.full,
            "battery_mv": monitor.battery_mv,
            "battery_pct": monitor.battery_pct,
        }

    def main(self):
        """Run the app until the board resets (main.py, once startup.main() built it). If the
        app crashes: the red light, then a reset."""
        try:
            asyncio.run(self.run())
        except Exception as err:
            sys.print_exception(err)
            print_event({"type": "error", "code": "app_crashed", "message": repr(err)})
            Led(self.board.led).show(255, 0, 0)
            time.sleep_ms(3000)
            machine.reset()

    async def run(self):
        self.publish(
            {
                "type": "boot",
                "board": self.board.name,
                "firmware": VERSION,
                "reset_cause": machine.reset_cause(),
            }
        )
        self.recorder.recover(self.clock.new_run)
        self.publish(self.self_test())
        start = self.supervisor.start
        start("events", self.bus)
        start("sampler", self.sampler)
        start("feedback", self.feedback)
        if self.button is not None:
            start("button", self.button)
        start("ble", self.ble)
        start("pairing", Police(self.ble))
        start("power", self.power)
        await self.monitor.run()

    def self_test(self):
        """At boot: the IMU answers as the chip the board names, the flash is mounted and
        writable, and the heap left. Failures also raise their own error events (LED, status)."""
        imu_ok = self.sampler.start_imu()
        try:
            self.store.free_bytes()
            storage_ok = True
        except OSError as err:
            storage_ok = False
            self.publish({"type": "error", "code": "storage", "message": str(err)})
        gc.collect()
        return {
            "type": "selftest",
            "ok": imu_ok and storage_ok,
            "imu": imu_ok,
            "storage": storage_ok,
            "heap_free": gc.mem_free(),
        }
