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
from asyncio import core  # pyright: ignore[reportAttributeAccessIssue] (the stubs are CPython's)

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
_STARTED = const(4)  # ticks_ms of the run's start
_GAVE_UP = const(5)
_RUNNING = const(6)  # the asyncio Task running it


class Supervisor:
    """Each task runs as an asyncio Task of its own run(), with no wrapper coroutine (one
    generator per task fewer): asyncio calls a Task's state when it is callable, as gather()
    uses it, with the exception that ended it; _ended restarts it from there."""

    def __init__(self, publish):
        self.publish = publish
        self.tasks = []
        self._on_end = self._ended  # one bound method for every task

    def start(self, name, task):
        """Run task.run() supervised, under `name` (its error events say it)."""
        entry = [name, task, 0, 0, 0, False, None]
        self.tasks.append(entry)
        self._run(entry, 0)

    def _run(self, entry, after_ms):
        run = asyncio.create_task(entry[_TASK].run())
        if after_ms:  # back off: the Task waits in the queue as a sleeper does
            core._task_queue.remove(run)
            core._task_queue.push(run, time.ticks_add(time.ticks_ms(), after_ms))
        run.state = self._on_end  # pyright: ignore[reportAttributeAccessIssue] (MicroPython's Task)
        entry[_STARTED] = time.ticks_add(time.ticks_ms(), after_ms)
        entry[_RUNNING] = run

    def _ended(self, run, err):
        for entry in self.tasks:
            if entry[_RUNNING] is run:
                break
        else:
            return
        if isinstance(err, asyncio.CancelledError):  # the loop is closing down
            return
        if isinstance(err, StopIteration):  # returned: a long-lived task never ends
            err = RuntimeError("returned")
        sys.print_exception(err)
        if time.ticks_diff(time.ticks_ms(), entry[_STARTED]) > STABLE_MS:
            entry[_FAILURES] = 0
        entry[_FAILURES] += 1
        entry[_RESTARTS] += 1
        self.publish(
            {
                "type": "error",
                "code": "task_failed",
                "task": entry[_NAME],
                "restarts": entry[_RESTARTS],
                "message": repr(err),
            }
        )
        if entry[_FAILURES] >= MAX_FAILURES:
            entry[_GAVE_UP] = True
            return
        backoff = BACKOFF_MS << (entry[_FAILURES] - 1)
        entry[_TASK].heartbeat_ms = time.ticks_add(time.ticks_ms(), backoff)  # fresh at restart
        self._run(entry, backoff)

    def check(self):
        """Once a second, from the monitor: wake the waiting tasks, and return the name of a
        task that gave up or stopped beating (the watchdog must not be fed), else None."""
        now = time.ticks_ms()
        for name, task, _failures, _restarts, started, gave_up, _run in self.tasks:
            if gave_up:
                return name
            if time.ticks_diff(now, started) < 0:  # backing off
                continue
            if time.ticks_diff(now, task.heartbeat_ms) > STALE_MS:
                return name
            poke = getattr(task, "poke", None)
            if poke is not None:
                poke()
        return None
