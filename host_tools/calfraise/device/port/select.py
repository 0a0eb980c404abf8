"""`select` for the firmware on the unix port: poll() whose waits the simulated clock skips.

asyncio sleeps in `poll.ipoll(dt)`. In fast mode (the default) ready I/O is returned at once and
an idle wait of dt ms is added to the clock in time.py instead of being slept; in real-time mode
(`"realtime": true` in the sim config) waits are real.
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

from simhw import config  # noqa: E402


class poll:  # noqa: N801  (the real API's name)
    def __init__(self):
        self._poll = _real.poll()
        self._realtime = config.get("realtime", False)

    def register(self, obj, flags=_real.POLLIN | _real.POLLOUT):
        self._poll.register(obj, flags)

    def modify(self, obj, flags):
        self._poll.modify(obj, flags)

    def unregister(self, obj):
        self._poll.unregister(obj)

    def poll(self, timeout=-1):
        return list(self.ipoll(timeout))

    def ipoll(self, timeout=-1, flags=0):
        if self._realtime or timeout < 0:
            return self._poll.ipoll(timeout, flags)
        ready = self._poll.poll(0)
        if not ready and timeout > 0:
            time.skip_us(timeout * 1000)
        return ready
