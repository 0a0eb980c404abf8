"""The athlete's movement, as the IMU would measure it: a binary trace played back in time.

File (calfraise.device.tracebin writes it): b"CFTR", then little-endian int32 rows of
t_ms, ax, ay, az (1e-5 g), gx, gy, gz (1e-3 deg/s). Rows are read in chunks into buffers
allocated once, so playing a session of any length takes fixed memory and no allocation.
"""

from array import array

MAGIC = b"CFTR"
_COLS = 7
_CHUNK = 64  # rows per read


class World:
    def __init__(self, path, origin_us=None, on_end=None, held=False):
        self._on_end = on_end  # called once, when the last row has been played
        self._file = open(path, "rb")
        if self._file.read(4) != MAGIC:
            raise ValueError("not a calfraise binary trace: " + path)
        self._buf = array("i", bytes(4 * _COLS * _CHUNK))
        self._pos = 0
        self._fill = 0
        self._cur = array("i", bytes(4 * _COLS))
        self._nxt = array("i", bytes(4 * _COLS))
        self._probe = array("i", bytes(4 * 6))
        self._has_next = self._load(self._cur) and self._load(self._nxt)
        # simulated (ms, µs beyond) at which the trace's time 0 falls: small ints, as the
        # times sample() is given (a long int would be garbage in the firmware's heap)
        self._origin_ms = self._origin_sub = 0
        self._engaged = False
        self._held = held  # the athlete waits for a cue (release()) before the trace starts
        if origin_us is not None:  # a wake from deep sleep: the trace went on meanwhile
            self._origin_ms, self._origin_sub = divmod(origin_us, 1000)
            self._engaged = True

    @property
    def origin_us(self):
        """Simulated us at which the trace's time 0 falls (None until engaged)."""
        return self._origin_ms * 1000 + self._origin_sub if self._engaged else None

    def ended(self, t_us):
        """True when t_us lies past the last row: from then on the foot keeps still. Like
        sample(), it moves the trace on to t_us: ask only once every sample before is made."""
        if not self._engaged or self._held:
            return False
        self.sample(*divmod(t_us, 1000), self._probe)
        return not self._has_next

    def engage(self):
        """The sample read last went into a FIFO: the trace's time starts with it."""
        self._engaged = True

    def release(self):
        """The cue a held trace waited for (a test's, through the BLE bridge): its time starts
        with the next sample, so what the athlete does after a step of the test does not
        depend on how long that step took."""
        self._held = False

    def _load(self, row):
        """Next row of the file into `row`; False at the end."""
        if self._pos == self._fill:
            self._fill = self._file.readinto(self._buf) // (4 * _COLS)
            self._pos = 0
            if self._fill == 0:
                return False
        base = self._pos * _COLS
        for i in range(_COLS):
            row[i] = self._buf[base + i]
        self._pos += 1
        return True

    def sample(self, ms, us, out):
        """The row nearest to the simulated time ms * 1000 + us (calls must not go back in
        time) into out[0:6].

        The trace starts with the first sample that reaches a FIFO (see engage()), or a held
        one at its release(): until then every call reads row 0. After the last row the foot
        keeps still.
        """
        ms += us // 1000
        us %= 1000
        if not self._engaged or self._held:
            self._origin_ms = ms
            self._origin_sub = us
        ms -= self._origin_ms
        us -= self._origin_sub
        if us < 0:
            ms -= 1
            us += 1000
        # the next row is nearer (or as near) when (nxt + cur) / 2 <= t, t = ms + us / 1000
        while self._has_next and (self._nxt[0] + self._cur[0] - 2 * ms) * 1000 <= 2 * us:
            self._cur, self._nxt = self._nxt, self._cur
            self._has_next = self._load(self._nxt)
            if not self._has_next and self._on_end is not None:
                self._on_end()
        for i in range(6):
            out[i] = self._cur[i + 1]
