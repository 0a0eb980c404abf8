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


# a supervised task's entry: a list, not an object (no class, no attribute dict per task)
_NAME = const(0)
_TASK = const(1)
_FAILURES = const(2)  # in a row
_RESTARTS = const(3)  # since boot
_BACKING_OFF = const(4)
_GAVE_UP = const(5)


class Supervisor:
    def __init__(self, publish):
        self.publish = publish
        self.tasks = []

    def start(self, name, task):
        """Run task.run() supervised, under `name` (its error events say it)."""
        entry = [name, task, 0, 0, False, False]
        self.tasks.append(entry)
        asyncio.create_task(self._keep(entry))

    async def _keep(self, entry):
        task = entry[_TASK]
        while True:
            started = time.ticks_ms()
            try:
                await task.run()
                raise RuntimeError("returned")  # a long-lived task never ends
            except Exception as err:  # any failure: report it, restart the task
                sys.print_exception(err)
                message = repr(err)
            if time.ticks_diff(time.ticks_ms(), started) > STABLE_MS:
                entry[_FAILURES] = 0
            entry[_FAILURES] += 1
            entry[_RESTARTS] += 1
            self.publish(
                {
                    "type": "error",
                    "code": "task_failed",
                    "task": entry[_NAME],
                    "restarts": entry[_RESTARTS],
                    "message": message,
                }
            )
            if entry[_FAILURES] >= MAX_FAILURES:
                entry[_GAVE_UP] = True
                return
            entry[_BACKING_OFF] = True
            await asyncio.sleep_ms(BACKOFF_MS << (entry[_FAILURES] - 1))
            entry[_BACKING_OFF] = False
            task.heartbeat_ms = time.ticks_ms()

    def check(self):
        """Once a second, from the monitor: wake the waiting tasks, and return the name of a
        task that gave up or stopped beating (the watchdog must not be fed), else None."""
        now = time.ticks_ms()
        for name, task, _failures, _restarts, backing_off, gave_up in self.tasks:
            if gave_up:
                return name
            if backing_off:
                continue
            if time.ticks_diff(now, task.heartbeat_ms) > STALE_MS:
                return name
            poke = getattr(task, "poke", None)
            if poke is not None:
                poke()
        return None
