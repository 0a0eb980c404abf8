"""Power states: the board spends what its use needs, and sleeps until it moves.

    power-on / wake ──> IDLE ◄────────────────────────► SESSION
                         │   a rep, button, command      │
       N min without     │                               │ battery low: the session ends
       motion, session   │                               │ and is on flash, then
       or connection     ▼                               ▼
                      STANDBY ◄──────────────────── LOW_BATTERY
                         │ the IMU alone watches for motion; the CPU sleeps
                         └──> motion (IMU INT), the button, or the IMU polled ──> IDLE

SESSION: 80 MHz (the lowest clock the radio runs at); with no host connected the radio
advertises for _ADVERTISE_S after the session starts, then goes quiet and the CPU light-sleeps
between FIFO drains (the FIFO fills meanwhile), awake only for the drain and what it wakes; a
button press or a new session advertises again. IDLE: 80 MHz, advertising every _IDLE_ADV_US.
STANDBY: the IMU in its wake-on-motion mode; on a board whose IMU interrupt is wired (board
file: Imu int_pin) deep sleep, woken by it (EXT0) or the button (EXT1); without it, light sleep
polling the IMU's latched motion flag every POLL_MS for LIGHT_POLLS x standby_s, then deep
sleep, the RTC timer booting the board every DEEP_POLL_MS to ask the IMU (deep_poll).
LOW_BATTERY: standby that only the button wakes. After a wake the detector first sees the rest
the foot left (Sampler.prime), so the raise that woke the board is a rise from rest.
docs/device.md (Power) and docs/power.md have the figures.
"""

import asyncio
import struct
import time

import esp32
import machine
from micropython import const

from calfraise_fw.imu.base import ImuError
from calfraise_fw.session import IN_SESSION

IDLE = "idle"
SESSION = "session"
STANDBY = "standby"
LOW_BATTERY = "low_battery"

_MHZ = const(80)  # ESP32 BLE needs an 80 MHz APB clock: no lower CPU clock with the radio on
_TICK_MS = const(1000)
WAKE_MG = const(64)  # "moved": 64 mg, well above a resting foot's noise (a few mg), well
# below the tilt of a heel raise's first centimetres (0.4 g at 25 degrees)
_IDLE_ADV_US = const(1000000)  # idle advertising: a host finds it within a few seconds
_SESSION_ADV_US = const(250000)  # in a session: a host connects for live views at once
_ADVERTISE_S = const(30)  # advertising after a session starts: a host may connect for live
POLL_MS = const(1000)  # standby without an IMU interrupt: how often the CPU asks the IMU...
LIGHT_POLLS = const(3)  # ... in light sleep (0.8 mA) for LIGHT_POLLS x standby_s, while a next
# set is likely, then in deep sleep: the RTC timer boots the board every DEEP_POLL_MS to ask.
# A boot costs ~1 s at ~44 mA (runner.BOOT_MS; MicroPython's own boot from deep sleep is
# ~0.7 s), so 10 min keeps standby near 0.1 mA; motion then wakes it within DEEP_POLL_MS, the
# button at once.
DEEP_POLL_MS = const(600000)
_LOW_MV = const(3400)  # a LiPo under load at 3.4 V has a few % left; the regulator's edge
# In a session with the radio quiet: light sleep for three quarters of the time the IMU's FIFO
# lasts, 0.5 s at most (the LED answers a rep within that; every board's FIFO lasts longer at
# ~100 Hz). Each sleep starts from a FIFO the sampler has just drained (_FRESH_MS), so the
# quarter left is the margin for the wake itself; a flash erase (a NOR sector erase holds the
# CPU up to 400 ms, W25Q32 tSE max) happens awake and is drained before the next sleep. Awake
# only as long as the work takes: a drain, the detector, the tasks they wake. Not with the
# tempo cue on: its metronome needs the LED on time.
_LIGHT_MAX_MS = const(500)
_FRESH_MS = const(10)  # a drain older than this before a sleep: wait for the next one first
_PRIME_MS = const(1000)  # after a wake, the detector first sees this long of the rest before
_REST = "<6h"  # the rest sample kept in RTC memory through a deep sleep

_CAUSES = {machine.EXT0_WAKE: "motion", machine.EXT1_WAKE: "button", machine.TIMER_WAKE: "timer"}


_polled = bytearray(1)  # 1: deep_poll() found the motion the IMU latched


def wake_cause():
    """Why the board is running: "motion" (the IMU's INT, or the motion deep_poll() found),
    "button", "timer" after a deep sleep, else "boot"."""
    if machine.reset_cause() != machine.DEEPSLEEP_RESET:
        return "boot"
    return "motion" if _polled[0] else _CAUSES.get(machine.wake_reason(), "boot")


def deep_poll(board, imu):
    """At boot, on a board without the IMU's INT: a timer wake is its deep standby asking the
    IMU (still in its wake-on-motion mode) whether it latched motion. If not, deep sleep again
    at once, before the app is built; if so (or the IMU does not answer: the app will say),
    boot on."""
    if board.imu.int_pin is not None or wake_cause() != "timer":
        return
    try:
        if not imu.motion():
            _arm_button(board.button)
            machine.deepsleep(DEEP_POLL_MS)
    except ImuError:
        return
    _polled[0] = 1


def _arm_button(button):
    """The button, where wired, ends a sleep (EXT1); a boot forgets it."""
    if button is not None:
        level = esp32.WAKEUP_ALL_LOW if button.active_low else esp32.WAKEUP_ANY_HIGH
        esp32.wake_on_ext1((machine.Pin(button.pin),), level)


class Power:
    def __init__(self, app):
        self.app = app
        imu = app.board.imu
        self.int_pin = imu.int_pin  # the IMU's interrupt line on an RTC GPIO, or None
        self.int_active_low = imu.int_active_low
        self.state = None  # the first tick enters a state, and says so
        self.cause = wake_cause()
        self._active_ms = time.ticks_ms()  # motion, a session, a connection: last seen
        self._advertise_until = time.ticks_ms()  # in a session: advertise until then
        self._ref = [0, 0, 0]  # the accel the last tick saw (counts)
        self._still = round(WAKE_MG * app.imu.accel_lsb_per_g / 1000)
        self._adv_us = -1  # the advertising interval set last (None: stopped)
        self._light_ms = min(_LIGHT_MAX_MS, app.imu.fifo_ms() * 3 // 4)
        self._window = False  # the pairing window is open: a host is about to bond
        self.heartbeat_ms = time.ticks_ms()  # the supervisor's: this task still runs
        machine.freq(_MHZ * 1000000)

    # --- the app's events -------------------------------------------------------------------
    def on_event(self, event):
        kind = event["type"]
        if kind in ("button", "ble", "rep", "state", "set_end"):
            self._active_ms = time.ticks_ms()
        if kind == "button" or (kind == "state" and event["state"] == IN_SESSION):
            self._advertise_until = time.ticks_add(time.ticks_ms(), _ADVERTISE_S * 1000)
        if kind == "pairing":
            self._window = event["window"]

    # --- the task ---------------------------------------------------------------------------
    async def run(self):
        rest = machine.RTC().memory()
        if self.cause != "boot" and len(rest) == struct.calcsize(_REST):
            self.app.sampler.prime(struct.unpack(_REST, rest), _PRIME_MS)
        self.app.publish({"type": "wake", "cause": self.cause})
        while True:
            self.heartbeat_ms = time.ticks_ms()
            self._follow_motion()
            battery = self.app.monitor.battery_mv
            if battery is not None and battery < _LOW_MV:
                await self._low_battery()
            elif self.app.session.state == IN_SESSION:
                self._enter(SESSION)
                await self._session_tick()
                continue
            else:
                self._enter(IDLE)
                idle_ms = time.ticks_diff(time.ticks_ms(), self._active_ms)
                if idle_ms > self.app.settings["standby_s"] * 1000 and self._host_away():
                    await self._standby(STANDBY)
            await asyncio.sleep_ms(_TICK_MS)

    async def _session_tick(self):
        """A second of a session: light sleep between drains while the radio may be quiet."""
        advertise = self._connected() or time.ticks_diff(time.ticks_ms(), self._advertise_until) < 0
        self._radio(_SESSION_ADV_US if advertise else None)
        if advertise or self.app.settings["tempo_cue"]:  # the metronome needs the LED on time
            await asyncio.sleep_ms(_TICK_MS)
            return
        # the watchdog's timer stops in light sleep; the monitor feeds it in the awake windows
        # while the sampler's heartbeat is fresh, as ever
        sampler = self.app.sampler
        for _ in range(max(1, _TICK_MS // self._light_ms)):
            machine.lightsleep(self._light_ms)
            # every task due runs (the sampler first: its wait ended longest ago), then those
            # its drain woke; the sampler's heartbeat is the time of its last drain
            await asyncio.sleep_ms(0)
            await asyncio.sleep_ms(0)
            while time.ticks_diff(time.ticks_ms(), sampler.heartbeat_ms) > _FRESH_MS:
                await asyncio.sleep_ms(_FRESH_MS)  # the CPU was held (an erase): drain first

    def _enter(self, state):
        if state == self.state:
            return
        self.state = state
        if state == IDLE:
            self._radio(_IDLE_ADV_US)
        self.app.publish({"type": "power", "state": state, "mhz": machine.freq() // 1000000})

    def _connected(self):
        return self.app.ble.connected

    def _host_away(self):
        """Standby would strand a host: none is connected, none is about to bond (the pairing
        window). A host that left counts as activity (its "ble" event): standby_s more."""
        return not self._connected() and not self._window

    def _radio(self, interval_us):
        """Advertise every interval_us from now on (None: stop)."""
        if interval_us != self._adv_us:
            self._adv_us = interval_us
            self.app.ble.advertise(interval_us)

    def _follow_motion(self):
        """Once a tick: did the accel move by WAKE_MG on any axis since the tick before?"""
        sampler = self.app.sampler
        moved = False
        for axis in range(3):
            value = sampler.latest(axis)
            if abs(value - self._ref[axis]) > self._still:
                moved = True
            self._ref[axis] = value
        if moved:
            self._active_ms = time.ticks_ms()

    # --- low battery and standby --------------------------------------------------------------
    async def _low_battery(self):
        """End the session and wait until its end is on flash, then standby (button only)."""
        app = self.app
        self._enter(LOW_BATTERY)
        app.session.stop("low_battery")
        for _ in range(100):  # the bus hands the end to the recorder, which commits it
            if app.store.sid is None:
                break
            await asyncio.sleep_ms(20)
        await self._standby(LOW_BATTERY)

    async def _standby(self, why):
        """Everything asleep but the IMU's motion watch (and the button); returns on a polled
        wake. A deep sleep does not return: the board boots again."""
        app = self.app
        self._enter(why)
        await asyncio.sleep_ms(50)  # the power event reaches the console, LED and storage
        if why == STANDBY and not self._host_away():  # a host connected meanwhile: stay
            self._active_ms = time.ticks_ms()
            return
        app.recorder.tick(app.now_ms() + 1000000)  # anything pending goes to flash now
        self._radio(None)
        sampler = app.sampler
        rest = [sampler.latest(i) for i in range(6)]  # still for standby_s: the foot at rest
        machine.RTC().memory(struct.pack(_REST, *rest))
        asleep_ms = time.ticks_ms()
        app.imu.wake_on_motion(WAKE_MG, self.int_active_low)
        _arm_button(app.board.button)
        if self.int_pin is not None and why == STANDBY:
            level = esp32.WAKEUP_ALL_LOW if self.int_active_low else esp32.WAKEUP_ANY_HIGH
            esp32.wake_on_ext0(machine.Pin(self.int_pin), level)
        if self.int_pin is not None or why == LOW_BATTERY:
            machine.deepsleep()
        cause = self._poll(LIGHT_POLLS * app.settings["standby_s"] * 1000 // POLL_MS)
        if cause is None:  # a long rest: deep sleep, the timer asking the IMU (deep_poll)
            machine.deepsleep(DEEP_POLL_MS)
        self._woke(cause, asleep_ms, rest)

    def _poll(self, polls):
        """Standby without the IMU's INT: light sleep, asking the IMU every POLL_MS, `polls`
        times at most; the button (EXT1) ends a sleep early. Every task waits meanwhile: the
        sampler is off, on purpose, so this feeds the watchdog. Returns the wake cause, or None
        when no poll found one."""
        app = self.app
        wdt = app.monitor.wdt
        for _ in range(polls):
            machine.lightsleep(POLL_MS)
            wdt.feed()
            if app.imu.motion():
                return "motion"
            if app.button is not None and app.button.pressed():
                while app.button.pressed():  # the waking press only wakes, as from deep sleep
                    time.sleep_ms(20)
                return "button"

    def _woke(self, cause, asleep_ms, rest):
        """Back from a polled standby: sample again (the clock moves on by the time asleep),
        a fresh detector primed with the rest the foot left, advertise."""
        app = self.app
        self.cause = cause
        self._active_ms = time.ticks_ms()
        app.sampler.start_imu(asleep_ms)
        app.sampler.restart_detector()
        app.sampler.prime(rest, _PRIME_MS)
        self._enter(IDLE)
        app.publish({"type": "wake", "cause": cause})
