"""The wall clock: the board's RTC, which the host sets and which keeps running through soft
resets, watchdog resets and deep sleep (not through a power loss).

A "run" is the time from one power-on to the next: its RTC counts from 2000-01-01 until a host
sets it, so before that its reading is the run's own monotonic clock (run_ms). The run's number
and the latest wall time the board knew (known_ms, saved when the clock is set and when a
session begins or ends) persist in clock.json. A session begun without the wall clock carries
(run, run_ms, known_ms): the board dates it itself when a host sets the clock within the same
run (offset()), and the host estimates a date for it from known_ms after a power loss.
"""

import gc
import json
import time

import machine

_Y2K_MS = 946684800000  # 2000-01-01 in Unix ms: where an unset RTC starts
_EPOCH_S = 946684800 if time.gmtime(0)[0] == 2000 else 0  # Unix seconds at the port's epoch
_VALID_MS = 1577836800000  # 2020-01-01: an earlier reading was never set
FILE = "clock.json"


class Clock:
    def __init__(self, path=FILE):
        self.path = path
        self._rtc = machine.RTC()
        try:
            with open(path) as f:
                state = json.load(f)
        except (OSError, ValueError):
            state = {}
        self.run = state.get("run", 0)
        self.known_ms = state.get("known_ms", 0)  # latest wall time known (0: none yet)
        self.new_run = False
        if not self.is_set() and (not state or machine.reset_cause() == machine.PWRON_RESET):
            self.run += 1  # the RTC started over: a power-on
            self.new_run = True
            self._save()

    def rtc_ms(self):
        """The RTC's reading in Unix ms (before it is set: 2000-01-01 plus the run)."""
        return time.time_ns() // 1000000 + _EPOCH_S * 1000

    def is_set(self):
        return self.rtc_ms() >= _VALID_MS

    def wall_ms(self):
        """Unix ms now, or None while no host has set the clock in this run."""
        now = self.rtc_ms()
        return now if now >= _VALID_MS else None

    def run_ms(self):
        """Ms since this run began, on the RTC (meaningful while the clock is not set)."""
        return self.rtc_ms() - _Y2K_MS

    def set(self, unix_s):
        """The host told the time (Unix seconds). Returns the offset from this run's run_ms to
        Unix ms if the clock was not set before (to date the run's sessions), else None."""
        offset = None if self.is_set() else unix_s * 1000 - self.run_ms()
        tm = time.gmtime(unix_s - _EPOCH_S)
        self._rtc.datetime((tm[0], tm[1], tm[2], tm[6], tm[3], tm[4], tm[5], 0))
        self.remember()
        return offset

    def remember(self):
        """Save the wall time now as the latest known (a later power loss starts from it)."""
        # a long int that lives on, made mid-visit (SET_TIME) or at a session's start or end:
        # made after a collect, it takes the heap's lowest hole instead of splitting its free
        # blocks
        gc.collect()
        wall = self.wall_ms()
        if wall is None:
            return
        self.known_ms = wall
        try:
            self._save()
        except OSError:
            pass  # a full flash: the estimate after a power loss is older, nothing else

    def _save(self):
        with open(self.path, "w") as f:
            json.dump({"run": self.run, "known_ms": self.known_ms}, f)
