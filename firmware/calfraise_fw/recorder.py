"""Keeps every session on the flash: the event bus's storage subscriber.

The session's events become SessionStore records (storage.py): "state" begins and ends a
session log, "rep" and "set_end" append to it. Records wait in RAM and the main loop's tick()
commits them once a second, so a rep is durable within 1 s and a quiet second costs no flash
wear. Storage trouble is published as an "error" event and never stops the counting. When the
flash fills, the session goes on without per-rep records: an "error" (storage_full: red blink,
status flag) and a "storage_full" event (the live view says it) tell when.
"""

from calfraise_fw import VERSION
from calfraise_fw.storage import StorageFull

# why the app ended a session -> the end reason the log records
_END_REASONS = {"timeout": "timeout", "button": "button", "command": "ended"}


class _RepView:
    """A "rep" event read like the detector's Rep, which the record encoder takes."""

    def __init__(self, event):
        self._event = event

    def __getattr__(self, name):
        if name == "amplitude_cdeg":
            return round(self._event["amplitude_deg"] * 100)
        return self._event[name]


class Recorder:
    def __init__(self, store, board_name, settings, publish, stamp, remember):
        self.store = store
        self.board_name = board_name
        self.settings = settings
        self.publish = publish
        self.stamp = stamp  # stamp(t_ms): (Unix ms, None) or (None, (run, run_ms, known_ms))
        self.remember = remember  # remember(): save the wall time now, if known (clock.py)

    def recover(self, new_run):
        """At boot: close a session a power cut left open ("interrupted"). new_run: the RTC
        started over, so the undated sessions can no longer be dated here (the host will)."""
        try:
            closed = self.store.recover()
            if new_run:
                self.store.forget_undated()
        except (OSError, ValueError) as err:
            self._failed("storage", err)
            return
        if closed:
            self.publish({"type": "recovered", "sessions": closed})

    def on_event(self, event):
        kind = event["type"]
        store = self.store
        if kind == "state":
            self.remember()
        try:
            if kind == "state" and event["state"] == "in_session":
                t_ms = event["t_ms"]
                wall, run = self.stamp(t_ms)
                sid = store.begin(t_ms, VERSION, self.board_name, self.settings, wall, run)
                self.publish({"type": "recording", "session": sid})
                if not store.detail:
                    self._detail_off(t_ms)
            elif kind == "state":
                store.end(_END_REASONS.get(event["reason"], "ended"), event["t_ms"])
            elif kind == "rep":
                store.rep(_RepView(event))
            elif kind == "set_end":
                store.set_end(event["set"], event["reps"], event["start_ms"], event["end_ms"])
        except StorageFull as err:
            self._failed("storage_full", err)
        except (OSError, ValueError) as err:
            self._failed("storage", err)

    def clock_set(self, t_ms, wall_ms, run_offset):
        """The host told the time: date the open session (records keep both clocks) and, if
        the clock was not set in this run (run_offset: Unix ms - run_ms), its closed ones."""
        try:
            self.store.clock_fix(t_ms, wall_ms)
            if run_offset is not None:
                self.store.date_undated(run_offset)
        except (OSError, ValueError) as err:
            self._failed("storage", err)

    def tick(self, now_ms):
        """From the main loop, once a second: commit what is pending."""
        if self.store.due(now_ms):
            try:
                if self.store.flush():
                    self._detail_off(now_ms)
            except (OSError, ValueError, MemoryError) as err:  # pending: the next tick retries
                self._failed("storage", err)

    def _detail_off(self, t_ms):
        store = self.store
        self.publish({"type": "storage_full", "t_ms": t_ms, "set": store.sets, "reps": store.reps})
        message = "the flash is full: reps are counted, not detailed; sync with the host"
        self.publish({"type": "error", "code": "storage_full", "message": message})

    def _failed(self, code, err):
        self.publish({"type": "error", "code": code, "message": str(err)})
