"""The app's event bus: producers publish, subscribers react later, in their own task.

publish() only queues the event and wakes the dispatcher, so the sampling task never runs a
subscriber's code (an LED pattern, a flash write, a BLE notify, a console line). Events are
dicts with a "type" key (docs/device.md lists them). A full queue drops the oldest event and
counts it; a subscriber that raises is reported and stays subscribed. The dispatcher beats
for the supervisor (heartbeat_ms) and wakes when poked.
"""

import json
import sys
import time
from asyncio import core  # pyright: ignore[reportAttributeAccessIssue] (the stubs are CPython's)
from collections import deque

from micropython import const

_NAP_MS = const(60_000)  # the dispatcher's longest wait (the supervisor pokes it every second)


def print_event(event):
    """The console's subscriber: every event as one JSON line on the console (USB serial: `make
    logs` on a board, the event stream of `calfraise device run` on the PC). json.dump writes it
    piece by piece, so an event costs no string of its own in the heap."""
    json.dump(event, sys.stdout)
    sys.stdout.write("\n")


def _raised(err):
    """err, raised once: a raise gives an exception its traceback buffer, which it keeps (and
    reuses once `__traceback__ = None` empties it). Raised here, while the app is built, the
    buffer sits among the boot's objects, not wherever the heap's top is at the first wake,
    where it would split the free heap for good."""
    try:
        raise err
    except StopIteration:
        return err


class Alarm:
    """asyncio.Event for the loop's own tasks, with a timeout and nothing allocated per wait:
    `await alarm.wait(ms)` returns True when set() is called, False when ms have passed (also
    `alarm.state`). Event.wait() builds a generator per wait and wait_for_ms() two tasks, a
    generator and a queue besides; this waits as asyncio.sleep_ms() does, on one long-lived
    object, and set() brings the sleeper forward as Event.set() does. One task waits on it at a
    time; set() only from the asyncio loop (a radio's IRQ uses ThreadSafeFlag)."""

    def __init__(self):
        self.state = False
        self._sleeper = None  # the task asleep in wait()
        self._until = None  # the next wait's deadline, until its task sleeps
        self._set = _raised(StopIteration(True))  # what ends a wait: await's value
        self._timed_out = _raised(StopIteration(False))

    def set(self):
        self.state = True
        task = self._sleeper
        self._sleeper = None
        if task is not None and task.data is None:  # not cancelled meanwhile
            core._task_queue.remove(task)
            core._task_queue.push(task)

    def clear(self):
        self.state = False

    def wait(self, ms):
        # a raise adds to its exception's traceback: empty it, so that the buffer made at init
        # (_raised) serves every wait and never grows
        self._set.__traceback__ = self._timed_out.__traceback__ = None
        self._until = None if self.state else time.ticks_add(time.ticks_ms(), ms)
        return self

    def __iter__(self):
        return self

    def __next__(self):
        if self._until is not None:  # go to sleep
            self._sleeper = core.cur_task
            core._task_queue.push(core.cur_task, self._until)
            self._until = None
            return None
        self._sleeper = None  # woken, or set before the wait
        raise self._set if self.state else self._timed_out


class EventBus:
    def __init__(self, size=32):
        self._queue = deque((), size)
        self._size = size
        self._ready = Alarm()
        self._subscribers = []
        self.dropped = 0
        self.subscriber_errors = 0
        self.heartbeat_ms = time.ticks_ms()

    def subscribe(self, callback):
        """callback(event) runs in the dispatcher task for every event; it must not block."""
        self._subscribers.append(callback)

    def publish(self, event):
        if len(self._queue) == self._size:
            self._queue.popleft()
            self.dropped += 1
        self._queue.append(event)
        self._ready.set()

    def poke(self):
        self._ready.set()

    async def run(self):
        while True:
            await self._ready.wait(_NAP_MS)  # pyright: ignore[reportGeneralTypeIssues] (MicroPython awaits an iterator)
            if not self._ready.state:
                continue
            self._ready.clear()
            self.heartbeat_ms = time.ticks_ms()
            while self._queue:
                self.dispatch(self._queue.popleft())

    def dispatch(self, event):
        for callback in self._subscribers:
            try:
                callback(event)
            except Exception as err:  # one broken consumer must not silence the others
                self.subscriber_errors += 1
                sys.print_exception(err)
