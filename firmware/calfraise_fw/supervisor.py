"""Supervision: the app's long-lived tasks run under one Supervisor, which restarts a task that
raised and tells the monitor whether the watchdog may still be fed.

A task is an object with run() (a coroutine that never returns) and heartbeat_ms (ticks_ms of its
last sign of progress). A task beats at least once a second: one that waits for events has a
poke(), which the supervisor calls every check, so a task that stops beating is stuck, not idle.
When run() raises, the exception is printed and published as an "error" event (code
"task_failed", the task's name: the status's task_failed flag), and the task starts again
after a back-off that doubles from BACKOFF_MS. A task that failed MAX_FAILURES times in a row
(a run shorter than STABLE_MS counts as in a row), or that stopped beating for STALE_MS, makes
healthy() false: the monitor stops feeding the watchdog and the board resets.
"""

import asyncio
import sys
import time

from micropython import const

STALE_MS = const(3000)  # a heartbeat older than this: the task is stuck
BACKOFF_MS = const(200)  # the first restart's wait; it doubles with each failure in a row
MAX_FAILURES = const(5)  # failures in a row before the watchdog resets the board
STABLE_MS = const(60000)  # a run this long clears the failures in a row


class _Supervised:
    def __init__(self, name, task):
        self.name = name
        self.task = task
        self.failures = 0  # in a row
        self.restarts = 0  # since boot
        self.backing_off = False
        self.gave_up = False


class Supervisor:
    def __init__(self, publish):
        self.publish = publish
        self.tasks = []

    def start(self, name, task):
        """Run task.run() supervised, under `name` (its error events say it)."""
        entry = _Supervised(name, task)
        self.tasks.append(entry)
        asyncio.create_task(self._keep(entry))

    async def _keep(self, entry):
        task = entry.task
        while True:
            started = time.ticks_ms()
            try:
                await task.run()
                raise RuntimeError("returned")  # a long-lived task never ends
            except Exception as err:  # any failure: report it, restart the task
                sys.print_exception(err)
                message = repr(err)
            if time.ticks_diff(time.ticks_ms(), started) > STABLE_MS:
                entry.failures = 0
            entry.failures += 1
            entry.restarts += 1
            self.publish(
                {
                    "type": "error",
                    "code": "task_failed",
                    "task": entry.name,
                    "restarts": entry.restarts,
                    "message": message,
                }
            )
            if entry.failures >= MAX_FAILURES:
                entry.gave_up = True
                return
            entry.backing_off = True
            await asyncio.sleep_ms(BACKOFF_MS << (entry.failures - 1))
            entry.backing_off = False
            task.heartbeat_ms = time.ticks_ms()

    def check(self):
        """Once a second, from the monitor: wake the waiting tasks, and return the name of a
        task that gave up or stopped beating (the watchdog must not be fed), else None."""
        now = time.ticks_ms()
        for entry in self.tasks:
            if entry.gave_up:
                return entry.name
            if entry.backing_off:
                continue
            if time.ticks_diff(now, entry.task.heartbeat_ms) > STALE_MS:
                return entry.name
            poke = getattr(entry.task, "poke", None)
            if poke is not None:
                poke()
        return None
