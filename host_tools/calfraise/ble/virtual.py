"""The virtual device: the firmware on the MicroPython unix port, over simulated hardware, with a
software BLE link to this process, so the host's bleak code runs with no radio at all.

    async with VirtualDevice("session.csv") as dev:
        device = await BleakScanner.find_device_by_name(name, backend=dev.scanner_backend)
        async with BleakClient(device, backend=dev.client_backend) as client:
            ...
        event = await dev.next_event("rep")   # the firmware's console, one JSON event a line

The firmware runs in real time by default (a live session plays at the athlete's pace); a
replay (realtime=False) runs ahead of the clock until the trace is over and no session is under
way, then keeps real time as an idle board does (its idle-link timeout and pairing window are in
real minutes, and a core is not spent spinning the clock). A watchdog or machine.reset()
restarts it, as a board reboots. Link loss: drop_after_bytes=N, or
dev.drop_link_after(N) at any time, cuts every connection once N more bytes crossed the air.

Standby (firmware power.py): the virtual device sleeps as a board does, off the air, and a
deep-sleep wake boots it again. Motion in the trace wakes it, and so does the host looking for
it (scanning or connecting), as its owner's press would: the virtual device stands for a board
in the hand of someone about to sync (port/machine.py, docs/power.md).
"""

import asyncio
import contextlib
import shutil
import tempfile
from pathlib import Path

from calfraise.ble.bridge import Bridge
from calfraise.ble.bumble_backend import client_backend, scanner_backend
from calfraise.device.runner import (
    EXIT_CAUSES,
    EXIT_DEEPSLEEP,
    parse_event,
    prepared,
    wake_config,
)
from calfraise.errors import UserError

RESETS = (3, 4, EXIT_DEEPSLEEP)  # watchdog, machine.reset(), deep sleep: it boots again
STOP_GRACE_S = 3.0


class DeviceStopped(UserError):
    """The firmware's process ended while the host waited for one of its events."""


class VirtualDevice:
    """The firmware and its BLE bridge, for `async with`.

    trace_csv: what the IMU measures (None: lying still). board: the board file. flash: the
    flash image file kept between runs (None: a fresh one). realtime: waits are real (False:
    skipped, see port/select.py). script: a MicroPython file to run instead of main.py.
    max_in_flight: notifications NimBLE may hold before ENOMEM. host_keys: the JSON file of the
    host's bonds (None: kept in memory, for this device's life). open_table: the GATT table's
    security flags do not reach the radio (tests: the firmware must refuse by itself). setup:
    the other keywords of
    calfraise.device.runner.prepared() (heap, files, presses, faults, extra, after_ms: None
    keeps the power on)."""

    def __init__(
        self,
        trace_csv=None,
        *,
        board="sim",
        flash=None,
        realtime=True,
        script=None,
        max_in_flight=10,
        drop_after_bytes=None,
        host_keys=None,
        open_table=False,
        **setup,
    ):
        self._trace_csv = trace_csv
        self._setup = {"board": board, "flash": flash, "script": script, "after_ms": None}
        self._setup.update(setup)
        self._realtime = realtime
        self._max_in_flight = max_in_flight
        self._drop_after_bytes = drop_after_bytes
        self._host_keys = host_keys
        self._open_table = open_table
        self.events = []  # every event the firmware printed, across restarts
        self.output = []  # its other console lines (tracebacks), stdout and stderr
        self.returncodes = []  # one per process that ended
        self.bridge = None
        self._cursor = 0
        self._changed = asyncio.Condition()
        self._stack = contextlib.AsyncExitStack()
        self._process = None
        self._closing = False
        self._stopped = False  # no process runs any more, none will
        self._supervisor = None

    # for bleak

    @property
    def scanner_backend(self):
        """The class to pass as BleakScanner(..., backend=)."""
        return scanner_backend(self.bridge.central)

    @property
    def client_backend(self):
        """The class to pass as BleakClient(..., backend=)."""
        return client_backend(self.bridge.central)

    # link loss

    @property
    def air_bytes(self):
        """Bytes the connections carried so far (L2CAP PDUs, both ways)."""
        return self.bridge.air_bytes

    def drop_link_after(self, n_bytes):
        self.bridge.drop_link_after(n_bytes)

    # the athlete

    def start_moving(self):
        """A trace held still (extra={"trace_held": True}) starts now: a test's steps then take
        as long as the machine needs, the athlete waits for them."""
        self.bridge.start_moving()

    # the firmware's console

    async def next_event(self, match, timeout=10.0):
        """The next event (after those already returned) of type `match`, or for which
        `match(event)` is true. Raises TimeoutError, or DeviceStopped if the firmware ended."""

        def found():
            for i in range(self._cursor, len(self.events)):
                event = self.events[i]
                if event.get("type") == match if isinstance(match, str) else match(event):
                    self._cursor = i + 1
                    return event
            if self._stopped:
                raise DeviceStopped(f"the virtual device stopped: {self.describe_exit()}")
            return None

        async with asyncio.timeout(timeout), self._changed:
            while (event := found()) is None:
                await self._changed.wait()
            return event

    @property
    def pid(self):
        """The firmware's process id (the one running now)."""
        return self._process.pid

    def describe_exit(self):
        causes = [EXIT_CAUSES.get(c, f"crashed (exit code {c})") for c in self.returncodes]
        return ", ".join(causes) + ("\n" + "".join(self.output[-40:]) if self.output else "")

    # lifetime

    async def __aenter__(self):
        try:
            await self._start()
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def _start(self):
        socket_dir = Path(tempfile.mkdtemp(prefix="cf-ble-"))  # short: a socket path is <108
        self._stack.callback(shutil.rmtree, socket_dir, ignore_errors=True)
        self.bridge = Bridge(socket_dir / "ble.sock", self._host_keys)
        await self.bridge.start()
        self._stack.push_async_callback(self.bridge.close)
        if self._drop_after_bytes is not None:
            self.bridge.drop_link_after(self._drop_after_bytes)
        ble = {"socket": self.bridge.address, "max_in_flight": self._max_in_flight}
        ble["open_table"] = self._open_table
        extra = {**(self._setup.pop("extra", None) or {}), "realtime": self._realtime, "ble": ble}
        extra["replayed_event"] = True
        launching = prepared(self._trace_csv, extra=extra, **self._setup)
        launch = await asyncio.to_thread(self._stack.enter_context, launching)
        self._supervisor = asyncio.create_task(self._supervise(launch))

    async def __aexit__(self, *exc):
        self._closing = True
        try:
            await self.bridge.close()  # the firmware sees its link closed and powers off
            try:
                await asyncio.wait_for(asyncio.shield(self._supervisor), STOP_GRACE_S)
            except TimeoutError:
                self._kill()
                await self._supervisor
        finally:  # also when the event loop's end cancels this task and the supervisor
            await self._stack.aclose()

    async def _supervise(self, launch):
        while True:
            first = len(self.events)
            self._process = await asyncio.create_subprocess_exec(
                *launch.argv,
                cwd=launch.cwd,
                env=launch.env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # a terminal's Ctrl-C is the host's, not the board's
            )
            try:
                await asyncio.gather(self._read_events(), self._read_stderr())
            except BaseException:  # cancelled (the event loop ends), or a reader failed
                await self._end_process()
                raise
            returncode = await self._process.wait()
            self.returncodes.append(returncode)
            if self._closing or returncode not in RESETS:
                break
            if returncode == EXIT_DEEPSLEEP:
                [sleep] = [e for e in self.events[first:] if e["type"] == "sim.deepsleep"][-1:]
                if not sleep["wake_reason"]:
                    break  # nothing will wake it
                await asyncio.to_thread(wake_config, launch, sleep)
        async with self._changed:
            self._stopped = True
            self._changed.notify_all()

    async def _end_process(self):
        """Kills the firmware and reaps it, its pipes drained: its transport closes on this
        event loop, not in a garbage collection after the loop has closed."""
        if self._process.returncode is None:
            self._kill()
        await asyncio.shield(self._process.communicate())

    def _kill(self):
        with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
            self._process.kill()

    async def _read_events(self):
        pace = _Pace(self.bridge)  # a new process replays from the start
        async for raw in self._process.stdout:
            line = raw.decode(errors="replace")
            event = parse_event(line)
            if event is None:
                self.output.append(line)
                continue
            pace.saw(event)
            async with self._changed:
                self.events.append(event)
                self._changed.notify_all()

    async def _read_stderr(self):
        async for raw in self._process.stderr:
            self.output.append(raw.decode(errors="replace"))


class _Pace:
    """Watches one firmware process's events: once its trace is replayed ("sim.replayed") and no
    session is under way (the session the trace recorded has ended by its idle timeout, still
    on the fast clock), the board keeps real time."""

    def __init__(self, bridge):
        self.bridge = bridge
        self.replayed = False
        self.in_session = False
        self.done = False

    def saw(self, event):
        kind = event.get("type")
        if kind == "sim.replayed":
            self.replayed = True
        elif kind == "state":
            self.in_session = event.get("state") == "in_session"
        if self.replayed and not self.in_session and not self.done:
            self.done = True
            self.bridge.keep_real_time()
