"""The app's event bus: producers publish, subscribers react later, in their own task.

publish() only queues the event and wakes the dispatcher, so the sampling task never runs a
subscriber's code (an LED pattern, a flash write, a BLE notify, a console line). Events are
dicts with a "type" key (docs/device.md lists them). A full queue drops the oldest event and
counts it; a subscriber that raises is reported and stays subscribed. The dispatcher beats
for the supervisor (heartbeat_ms) and wakes when poked.
"""

import asyncio
import sys
import time
from collections import deque


class EventBus:
    def __init__(self, size=32):
        self._queue = deque((), size)
        self._size = size
        self._ready = asyncio.Event()
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
            await self._ready.wait()
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
