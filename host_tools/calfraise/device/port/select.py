"""`select` for the firmware on the unix port: poll() whose waits the simulated clock skips.

asyncio sleeps in `poll.ipoll(dt)`. In fast mode (the default) ready I/O is returned at once and
an idle wait of dt ms is added to the clock in time.py instead of being slept; in real-time mode
(`"realtime": true` in the sim config) waits are real.

Every poller also waits on the simulated hardware's sockets (simhw/wakeup.py: the BLE link), so
traffic from the host wakes an idle firmware; those are dispatched here, never returned. While a
source is busy (notifications in flight) even fast mode waits for real: the host is not simulated.
Once the host says nothing is left to replay (keep_real_time(): the trace is over and no session
is under way), waits are real for good: an idle board keeps real time, and a core is not spent
spinning its clock ahead. It says so on the console ({"type": "sim.real_time"}): from that
line on, a test may measure the idle board.
"""

import json
import sys

_path = sys.path
sys.path = []
try:
    import select as _real
    from select import *  # noqa: F403
finally:
    sys.path = _path

import time  # noqa: E402  (after the built-in is loaded)

from simhw import config, wakeup  # noqa: E402

_MP_STREAM_POLL = 3  # the ioctl request asyncio's ThreadSafeFlag answers
_real_time = bytearray(1)  # 1: keep_real_time() was called


def keep_real_time():
    """From now on idle waits are real (the BLE bridge's REAL_TIME)."""
    if not _real_time[0]:
        _real_time[0] = 1
        print(json.dumps({"type": "sim.real_time", "t_ms": time.sim_ms()}))


class poll:  # noqa: N801  (the real API's name)
    def __init__(self):
        self._poll = _real.poll()
        self._realtime = config.get("realtime", False)
        self._sources = []  # the wakeup sources registered on this poller
        # Objects without a file descriptor (asyncio.ThreadSafeFlag): the port's own poll checks
        # them in a loop with a 1 ms real sleep, so in fast mode they are asked here instead.
        self._objects = {}
        self._ready = []  # what ipoll() returns, reused

    def _own(self, obj):
        return not self._realtime and not hasattr(obj, "fileno")

    def register(self, obj, flags=_real.POLLIN | _real.POLLOUT):
        if self._own(obj):
            self._objects[obj] = flags
        else:
            self._poll.register(obj, flags)

    def modify(self, obj, flags):
        if obj in self._objects:
            self._objects[obj] = flags
        else:
            self._poll.modify(obj, flags)

    def unregister(self, obj):
        if obj in self._objects:
            del self._objects[obj]
        else:
            self._poll.unregister(obj)

    def _ready_objects(self):
        """The objects whose flags are up, into self._ready; how many."""
        for obj in self._objects:  # keys: iterating items() would make a tuple per object
            events = obj.ioctl(_MP_STREAM_POLL, self._objects[obj])
            if events:
                self._ready.append((obj, events))
        return len(self._ready)

    def poll(self, timeout=-1):
        return list(self.ipoll(timeout))

    def ipoll(self, timeout=-1, flags=0):
        """The ready (object, events) in a list reused by the next call (asyncio reads it at
        once): a board's ipoll allocates nothing, so this stand-in, which runs in the firmware's
        heap, allocates nothing either unless something is ready."""
        self._ready.clear()
        if wakeup.sources or self._sources:
            return self._ipoll_with_sources(timeout)
        if self._realtime or (timeout < 0 and not self._objects):
            self._take(self._poll.ipoll(timeout, flags))
            time.real_passed()  # the watchdog looks
            return self._ready
        self._take(self._poll.ipoll(0))
        if not self._ready_objects() and timeout > 0:
            time.skip_us(timeout * 1000)
        return self._ready

    def _take(self, polled):
        for obj, events in polled:  # ipoll's own tuple: copied only for what is ready
            self._ready.append((obj, events))

    def _ipoll_with_sources(self, timeout):
        self._sync_sources()
        objects = self._ready_objects()  # a flag already up: no wait at all
        real = self._realtime or timeout < 0 or _real_time[0]
        for source in self._sources:
            real = real or source.busy()
        woke = False
        for obj, events in self._poll.ipoll(0 if objects else timeout if real else 0):
            woke = True
            source = self._source_of(obj)
            if source is None:
                self._ready.append((obj, events))
            else:
                source.on_ready(events)
        for _ in range(objects):  # after what the poll found, as asyncio always got them
            self._ready.append(self._ready.pop(0))
        if not woke and not objects and not real and timeout > 0:
            time.skip_us(timeout * 1000)
        elif real:
            time.real_passed()  # the watchdog looks
        return self._ready

    def _sync_sources(self):
        for source in wakeup.sources:
            if source not in self._sources:
                self._poll.register(source.stream, _real.POLLIN)
                self._sources.append(source)
        i = 0
        while i < len(self._sources):  # no copy of the list to remove from it
            source = self._sources[i]
            if source in wakeup.sources:
                i += 1
            else:
                self._poll.unregister(source.stream)
                self._sources.pop(i)

    def _source_of(self, obj):
        for source in self._sources:
            if source.stream is obj:
                return source
        return None
