"""`select` for the firmware on the unix port: poll() whose waits the simulated clock skips.

asyncio sleeps in `poll.ipoll(dt)`. In fast mode (the default) ready I/O is returned at once and
an idle wait of dt ms is added to the clock in time.py instead of being slept; in real-time mode
(`"realtime": true` in the sim config) waits are real.

Every poller also waits on the simulated hardware's sockets (simhw/wakeup.py: the BLE link), so
traffic from the host wakes an idle firmware; those are dispatched here, never returned. While a
source is busy (notifications in flight) even fast mode waits for real: the host is not simulated.
Once the host says nothing is left to replay (keep_real_time(): the trace is over and no session
is under way), waits are real for good: an idle board keeps real time, and a core is not spent
spinning its clock ahead.
"""

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
    _real_time[0] = 1


class poll:  # noqa: N801  (the real API's name)
    def __init__(self):
        self._poll = _real.poll()
        self._realtime = config.get("realtime", False)
        self._sources = []  # the wakeup sources registered on this poller
        # Objects without a file descriptor (asyncio.ThreadSafeFlag): the port's own poll checks
        # them in a loop with a 1 ms real sleep, so in fast mode they are asked here instead.
        self._objects = {}

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
        ready = []
        for obj, flags in self._objects.items():
            events = obj.ioctl(_MP_STREAM_POLL, flags)
            if events:
                ready.append((obj, events))
        return ready

    def poll(self, timeout=-1):
        return list(self.ipoll(timeout))

    def ipoll(self, timeout=-1, flags=0):
        if wakeup.sources or self._sources:
            return self._ipoll_with_sources(timeout)
        if self._realtime or (timeout < 0 and not self._objects):
            ready = list(self._poll.ipoll(timeout, flags))
            time.real_passed()  # the watchdog looks
            return ready
        ready = self._poll.poll(0) + self._ready_objects()
        if not ready and timeout > 0:
            time.skip_us(timeout * 1000)
        return ready

    def _ipoll_with_sources(self, timeout):
        self._sync_sources()
        objects = self._ready_objects()  # a flag already up: no wait at all
        real = self._realtime or timeout < 0 or _real_time[0]
        for source in self._sources:
            real = real or source.busy()
        ready = self._poll.poll(0 if objects else timeout if real else 0) + objects
        for_app = []
        for entry in ready:
            source = self._source_of(entry[0])
            if source is None:
                for_app.append(entry)
            else:
                source.on_ready(entry[1])
        if not ready and not real and timeout > 0:
            time.skip_us(timeout * 1000)
        elif real:
            time.real_passed()  # the watchdog looks
        return for_app

    def _sync_sources(self):
        for source in wakeup.sources:
            if source not in self._sources:
                self._poll.register(source.stream, _real.POLLIN)
                self._sources.append(source)
        for source in list(self._sources):
            if source not in wakeup.sources:
                self._poll.unregister(source.stream)
                self._sources.remove(source)

    def _source_of(self, obj):
        for source in self._sources:
            if source.stream is obj:
                return source
        return None
