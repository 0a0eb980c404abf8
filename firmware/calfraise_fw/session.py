"""The session: idle until the first rep (or the button, or a command), then sets of reps, then
idle again after a long pause (or the button, or a command).

Every session counts its sets and reps from 1. The button or a command starts a fresh
detector; after a timeout the detector tracks on (Sampler.new_session), so the reps are those
one detector finds over the whole trace, as `calfraise analyze` does. It turns detector
output into the app's events: "rep", "target" (the set reached the reps-per-set target),
"set_end" and "state". Event times are ms since boot on the sample clock.

The detector alone decides where a set ends (RepDetector.set_open): the session publishes
"set_end" when the detector has closed the set, or when the session stops, with the detector's
set and rep numbers, so the LED, the records and the host all see the same sets. A set closed
by the pause ends when the detector closed it (set_end_ms), not when the app looked: after a
light sleep (power.py) one drain hands the detector half a second of samples.
"""

IDLE = "idle"
IN_SESSION = "in_session"


class Session:
    def __init__(self, publish, sampler, settings):
        self.publish = publish
        self.sampler = sampler
        self.settings = settings
        self.state = IDLE
        self.set_no = 0  # current (or last) set
        self.rep_no = 0  # reps in it
        self.reps = 0  # reps in the session
        self._set_open = False
        self._set_start_ms = 0  # first rep of the current set began, detector clock
        self._last_ms = 0  # last rep ended (or the session started), detector clock
        self._quiet_ms = 0  # the session's activity ended: last rep plus the set gap

    def _now(self):
        return self.sampler.t_ms

    def _event(self, kind, t_ms):
        return {"type": kind, "t_ms": self.sampler.epoch_ms + t_ms}

    def start(self, reason):
        """Begin a session (button, command); a rep while idle begins one by itself."""
        if self.state == IN_SESSION:
            return
        self.sampler.restart_detector()
        self._begin(reason, self._now())

    def _begin(self, reason, t_ms):
        self.state = IN_SESSION
        self.set_no = self.rep_no = self.reps = 0
        self._set_open = False
        self._last_ms = self._quiet_ms = t_ms
        event = self._event("state", t_ms)
        event["state"] = IN_SESSION
        event["reason"] = reason
        self.publish(event)

    def stop(self, reason):
        """End the session: "button", "command" or "timeout". A timeout ends it when its last
        set did (the idle wait is not part of it)."""
        if self.state != IN_SESSION:
            return
        t_ms = self._quiet_ms if reason == "timeout" else self._now()
        self._close_set(t_ms)
        self.state = IDLE
        event = self._event("state", t_ms)
        event["state"] = IDLE
        event["reason"] = reason
        event["sets"] = self.set_no
        event["reps"] = self.reps
        self.publish(event)
        if reason == "timeout":
            self.sampler.new_session()
        else:
            self.sampler.restart_detector()

    def on_rep(self, rep):
        """A completed rep from the detector (called in the sampling task)."""
        if self.state == IDLE:
            self._begin("rep", rep.start_ms)
        if rep.set != self.set_no:
            self._close_set(rep.start_ms)
            self.set_no = rep.set
            self._set_open = True
            self._set_start_ms = rep.start_ms
        self.rep_no = rep.rep
        self.reps += 1
        self._last_ms = rep.end_ms
        event = rep.as_dict()
        epoch = self.sampler.epoch_ms
        for key in ("start_ms", "top_ms", "lower_ms", "end_ms"):
            event[key] += epoch
        event["type"] = "rep"
        self.publish(event)
        if rep.rep == self.settings["reps_per_set"]:
            event = self._event("target", rep.end_ms)
            event["set"] = rep.set
            event["reps"] = rep.rep
            self.publish(event)

    def tick(self):
        """After every FIFO drain: end the set the detector closed, end an idle session."""
        if self.state != IN_SESSION:
            return
        detector = self.sampler.detector
        if self._set_open and not detector.set_open:
            self._quiet_ms = detector.set_end_ms
            self._close_set(self._quiet_ms)
        if self._now() - self._last_ms > self.settings["idle_end_s"] * 1000:
            self.stop("timeout")

    def _close_set(self, t_ms):
        if not self._set_open:
            return
        self._set_open = False
        event = self._event("set_end", t_ms)
        epoch = self.sampler.epoch_ms
        event["set"] = self.set_no
        event["reps"] = self.rep_no
        event["start_ms"] = epoch + self._set_start_ms
        event["end_ms"] = epoch + self._last_ms
        event["target"] = self.settings["reps_per_set"]
        self.publish(event)
