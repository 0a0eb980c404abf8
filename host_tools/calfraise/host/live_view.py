"""What `calfraise live` shows a person: one line per rep, its tempo against the targets set on
the device, a line per finished set, and a status bar that stays at the bottom.

A set is finished when the device says so (its "set_end" event, with the device's count): the
host never decides sets itself (docs/detector.md)."""

import time

from rich.live import Live
from rich.text import Text

from calfraise.host.tempo import on_target


def phase(label, ms, target_ms=None):
    """'up 1.62/2.0 s fast': a phase, its target and a colour when there is one (markup)."""
    good = on_target(label, ms, target_ms)
    if good is None:
        return f"{label} {ms / 1000:.2f} s"
    if good:
        colour, word = "green", "    "
    else:
        colour, word = "yellow", "fast" if ms < target_ms else "slow"
    return f"{label} [{colour}]{ms / 1000:.2f}[/]/{target_ms / 1000:.1f} s [{colour}]{word}[/]"


def rep_line(rep, targets):
    flag = "  [bold yellow]partial[/]" if rep["partial"] else ""
    return (
        f"set {rep['set']} rep {rep['rep']:2d}  "
        f"{phase('up', rep['up_ms'], targets.get('tempo_up_ms'))}  "
        f"{phase('hold', rep['hold_ms'])}  "
        f"{phase('down', rep['down_ms'], targets.get('tempo_down_ms'))}  "
        f"{rep['amplitude_deg']:4.1f}°{flag}"
    )


class SetTotals:
    """The reps of the set under way, for its summary line. target: reps_per_set."""

    def __init__(self, target=None):
        self.target = target
        self.set_no = None
        self.reps = []

    def add(self, rep):
        if self.set_no != rep["set"]:
            self.set_no, self.reps = rep["set"], []
        self.reps.append(rep)

    def end(self, set_end=None):
        """The finished set's summary line (None if no rep of it was seen), then forgets it.
        set_end: the device's event, whose count wins (reps missed live still count)."""
        summary = self.summary(set_end["reps"] if set_end else None)
        self.set_no, self.reps = None, []
        return summary

    def summary(self, count=None):
        if not self.reps:
            return None
        seen = len(self.reps)
        n = seen if count is None else count
        partial = sum(r["partial"] for r in self.reps)
        up = sum(r["up_ms"] for r in self.reps) / seen / 1000
        down = sum(r["down_ms"] for r in self.reps) / seen / 1000
        reached = f", target {self.target} reached" if self.target and n >= self.target else ""
        partial_text = f" ({partial} partial)" if partial else ""
        plural = "s" if n > 1 else ""
        return (
            f"[bold]Set {self.set_no}: {n} rep{plural}{partial_text}, mean up {up:.2f} s, "
            f"down {down:.2f} s{reached}[/]"
        )


class LiveView:
    """The rich rendering of live events; use as a context manager around the stream."""

    def __init__(self, console, link, targets, status):
        self.console = console
        self.targets = targets
        self.status = status
        self.sets = SetTotals(self.targets.get("reps_per_set"))
        self.reps = 0
        self.started = time.monotonic()
        self._live = Live(self._bar(), console=console, transient=True, auto_refresh=False)
        console.print(
            f"Connected to [bold]{link.name}[/] (firmware {link.firmware}, board {link.board}). "
            f"Targets: {targets.get('reps_per_set')} reps a set, up "
            f"{targets.get('tempo_up_ms', 0) / 1000:.1f} s, down "
            f"{targets.get('tempo_down_ms', 0) / 1000:.1f} s. Ctrl-C stops.",
            highlight=False,
        )
        if status["state"] == "in_session":
            console.print(f"A session is under way: {status['reps']} reps so far.")

    def __enter__(self):
        self._live.__enter__()
        return self

    def __exit__(self, *exc):
        self._live.__exit__(*exc)
        summary = self.sets.end()
        if summary:
            self.console.print(summary)
        self.console.print(f"{self.reps} reps seen live.")

    def on_event(self, event):
        """Take in an event, then show it. The bar is redrawn before the lines are printed: each
        print draws the bar below it as last drawn (rich's Live keeps the drawn one, which
        update() changes only with a refresh), so a bar drawn after is never one event behind."""
        lines = self._take(event)
        with self._live.console:  # one write to the terminal: no half-drawn state shows
            self._live.update(self._bar(), refresh=True)
            for line in lines:
                self._live.console.print(line, highlight=False)

    def _take(self, event):
        """Update the counts and the state with an event; the lines it prints (markup)."""
        kind = event["type"]
        lines = []
        if kind == "rep":
            if self.status["state"] == "idle":  # a rep comes before the status saying so
                lines += self._status_changed({**self.status, "state": "in_session"})
            self.reps += 1
            self.sets.add(event)
            lines.append(rep_line(event, self.targets))
        elif kind == "set_end":
            lines.append(self.sets.end(event))
        elif kind == "storage_full":
            lines.append(
                f"[red]the device's flash is full (at rep {event['reps']}): reps are still "
                "counted, without their detail; sync to make room[/]"
            )
        elif kind == "missed":
            lines.append(
                f"[yellow]{event['reps']} reps missed live (the session has them: sync)[/]"
            )
        elif kind == "status":
            lines += self._status_changed(event)
        return [line for line in lines if line]

    def _status_changed(self, status):
        before = self.status
        self.status = status
        lines = []
        if status["state"] != before["state"] and status["state"] == "in_session":
            lines.append("[bold]Session started[/]")
        elif status["state"] != before["state"]:
            lines.append(self.sets.end())  # the set_end event did not come (a lost notification)
            lines.append(f"[bold]Session ended[/]: {status['reps']} reps")
        new_errors = set(status["errors"]) - set(before["errors"])
        if new_errors:
            lines.append(f"[red]device errors: {', '.join(sorted(new_errors))}[/]")
        return lines

    def _bar(self):
        s = self.status
        battery = "?" if s["battery_pct"] is None else f"{s['battery_pct']} %"
        elapsed = round(time.monotonic() - self.started)
        state = "in session" if s["state"] == "in_session" else "idle"
        return Text(
            f"● {state} · {self.reps} reps live · battery {battery} · "
            f"{s['free_hours']:.1f} h of storage free · {elapsed // 60}:{elapsed % 60:02d}",
            style="reverse",
        )
