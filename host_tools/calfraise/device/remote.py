"""Commands for a board on a serial port (mpremote, esptool), as steps a plan can print or run.

The app's watchdog keeps counting after mpremote interrupts the app, and the ESP32's watchdog
cannot be stopped: 8 s later the board would reset in the middle of a copy. So every mpremote
session here starts with QUIET_WDT, which re-arms the watchdog and feeds it from a timer until
the next reset (mpremote's soft reset at connection stops the app and the timers, not the
watchdog). A deploy ends with a hard reset, which clears both.
"""

import json
import shlex
import subprocess
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from calfraise.device import ROOT
from calfraise.errors import UserError

REPO = ROOT  # commands run here: paths in them are relative to it
SCRIPTS = Path(sysconfig.get_path("scripts"))  # where the venv put mpremote and esptool
QUIET_WDT = (
    "import machine\n"
    "_wdt = machine.WDT(timeout=10000)\n"
    "machine.Timer(0).init(period=1000, callback=lambda t: _wdt.feed())\n"
)
# what a printed plan shows instead of code sent with `exec`
LABELS = {QUIET_WDT: "<feed the watchdog from a timer>"}


@dataclass(frozen=True)
class Step:
    """One command of a plan: a tool (mpremote, esptool) and its arguments."""

    what: str  # what it does, for messages
    argv: tuple

    def __str__(self):
        """As a shell command, one chained mpremote command a line."""
        lines = [[]]
        for arg in self.argv:
            if arg == "+":
                lines.append(["+"])
            else:
                lines[-1].append(LABELS.get(arg, arg))
        return " \\\n    ".join(shlex.join(line) for line in lines)

    def tool(self):
        tool = SCRIPTS / self.argv[0]
        if not tool.exists():
            raise UserError(f"{tool} is missing: `make venv` (a checkout) or the [board] extra")
        return str(tool)

    def interact(self):
        """Runs the command on this terminal (a REPL); returns its exit status."""
        return subprocess.call([self.tool(), *self.argv[1:]], cwd=REPO)

    def run(self, capture=False):
        """Runs the command, its output shown as it comes (or returned, with capture).
        UserError if it fails, with the last lines it printed."""
        proc = subprocess.run(
            [self.tool(), *self.argv[1:]],
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE,
            text=True,
        )
        if proc.returncode != 0:
            said = (proc.stderr or "") + (proc.stdout or "")
            detail = "\n  ".join(said.strip().splitlines()[-5:])
            raise UserError(f"{self.what} failed: {self}\n  {detail}")
        return proc.stdout


def label(code, name):
    """Registers how printed plans show `code` sent with exec; returns code."""
    LABELS[code] = name
    return code


def mpremote(what, port, *commands):
    """One mpremote session on `port`: the watchdog quieted, then each command (a tuple of
    arguments, e.g. ("fs", "cp", "-f", "a.mpy", ":a.mpy")), chained with "+"."""
    argv = ["mpremote", "connect", port, "exec", QUIET_WDT]
    for command in commands:
        argv += ["+", *command]
    return Step(what, tuple(argv))


def repo_path(path):
    """A path as commands take it: relative to the repository when inside it, else absolute."""
    path = Path(path).resolve()
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def board_script(module, call, what):
    """Code for `mpremote exec`: a module written to run on the board (mp_files.py,
    mp_sessions.py) and then `call` of it; printed plans show `what` and the module's name."""
    path = Path(module.__file__)
    return label(path.read_text() + call + "\n", f"<{what}: calfraise/device/{path.name}>")


def marked_json(text, marker):
    """The JSON a board script printed after `marker` at the start of a line, or None if no
    line starts so (the board said something else: a traceback, a banner)."""
    for line in text.splitlines():
        if line.startswith(marker):
            return json.loads(line[len(marker) :])
    return None
