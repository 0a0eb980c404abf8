"""A board that mpremote can talk to without hardware: MicroPython's unix port, with the simulated
hardware (calfraise.device.PORT) first on its path, behind a pseudo-terminal.

The unix port speaks the raw REPL that mpremote uses. Two things a board does it does not: a
soft reset (Ctrl-D in the raw REPL ends the process) and a hard reset (the fake machine.reset()
exits). The relay restarts the interpreter then, as a board reboots, says "soft reboot" as a
board does, and returns to the raw REPL mpremote was in. The board's filesystem is a folder (its
working directory), so a test can look at what a deploy left there.
"""

import os
import pty
import select
import subprocess
import threading
import tty

from calfraise.device import PORT
from conftest import MICROPYTHON

CTRL_A, CTRL_B = 0x01, 0x02  # enter / leave the raw REPL


class FakeBoard:
    def __init__(self, root, env=None):
        self.root = root
        # the simulated hardware stands for the board's built-in modules; then, as on a board,
        # the filesystem's root and the frozen modules (asyncio)
        path = os.pathsep.join([str(PORT), "", ".frozen"])
        self.env = {**os.environ, **(env or {}), "MICROPYPATH": path}
        self._host, self._host_side = pty.openpty()  # mpremote opens the side's path
        tty.setraw(self._host_side)
        self.port = os.ttyname(self._host_side)
        self.boots = 0
        self._raw = False
        self._stop = threading.Event()
        self._spawn()
        self._thread = threading.Thread(target=self._relay, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)
        self._proc.kill()
        self._proc.wait()
        for fd in (self._board, self._host, self._host_side):
            os.close(fd)

    def _spawn(self):
        self._board, side = pty.openpty()
        tty.setraw(side)  # no newline translation: mpremote matches exact bytes
        self._proc = subprocess.Popen(
            [str(MICROPYTHON)], stdin=side, stdout=side, stderr=side, cwd=self.root, env=self.env
        )
        os.close(side)
        self.boots += 1

    def _reboot(self):
        """The interpreter ended (a reset): start it again, back in the REPL mpremote was in."""
        self._proc.wait()
        os.close(self._board)
        self._spawn()
        if self._raw:
            os.write(self._host, b"soft reboot\r\n")
            os.write(self._board, bytes([CTRL_A]))

    def _relay(self):
        while not self._stop.is_set():
            ready, _, _ = select.select([self._host, self._board], [], [], 0.05)
            if self._host in ready:
                data = os.read(self._host, 4096)
                for byte in data:
                    if byte in (CTRL_A, CTRL_B):
                        self._raw = byte == CTRL_A
                os.write(self._board, data)
            if self._board in ready:
                try:
                    data = os.read(self._board, 4096)
                except OSError:  # EIO: the interpreter exited
                    data = b""
                if data:
                    os.write(self._host, data)
                else:
                    self._reboot()
