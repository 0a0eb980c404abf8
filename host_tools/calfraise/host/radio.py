"""Which radio the BLE commands use: the OS's Bluetooth through bleak, or the virtual device.

`calfraise --sim TRACE.csv COMMAND` runs the firmware on this PC (calfraise.ble.virtual), the
trace as the athlete's movement, replayed faster than real time; bleak reaches it through the
Bumble backend classes. `--sim-flash FILE` keeps its flash between runs (record with `live`,
`sync` later; alone, it runs the virtual device lying still). The same bleak code runs either
way: only the backend classes differ. The virtual device's host pairs by itself when asked to
(its first boot opens the pairing window); with --sim-flash its keys are kept beside the
flash image (FILE.keys.json), so the bond outlives both ends.

The replay starts when the firmware boots, and runs many times faster than real time, so the
virtual athlete first stands still for SIM_LEAD_IN_S: the host scans and connects meanwhile,
and `live` sees the trace's first rep.
"""

import argparse
import contextlib
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from calfraise.errors import UserError

SIM_LEAD_IN_S = 60  # stillness before the trace (simulated seconds; a few real ones at most)
SETTLE_S = 1.0  # after the first device seen, how long to listen for others (not virtual: one)


@dataclass
class Radio:
    """bleak's backend classes (None: the OS's) and the virtual device when there is one."""

    scanner_backend: type | None = None
    client_backend: type | None = None
    device: object | None = None  # calfraise.ble.virtual.VirtualDevice (imported when used)
    auto_pair: bool = False  # pair when the device refuses an unpaired host

    def scanner(self, callback):
        from bleak import BleakScanner

        return BleakScanner(callback, backend=self.scanner_backend)

    def client(self, device, disconnected_callback):
        from bleak import BleakClient

        return BleakClient(device, disconnected_callback, backend=self.client_backend)

    @property
    def settle_s(self):
        return SETTLE_S if self.device is None else 0.0

    @property
    def what(self):
        """What was scanned, for messages."""
        return "the virtual device" if self.device is not None else "Bluetooth"

    def check_alive(self):
        """UserError if the virtual device's firmware stopped (it crashed, or ran out of heap)."""
        from calfraise.ble.virtual import RESETS  # noqa: PLC0415  (only with a virtual device)

        codes = self.device.returncodes if self.device is not None else ()
        if codes and codes[-1] not in RESETS:  # a reset or a wake boots it again
            raise UserError(f"the virtual device stopped: {self.device.describe_exit()}")


def add_radio_options(parser, default=None, shown=True):
    """The global --sim options (calfraise --sim TRACE.csv COMMAND); a command's copy defaults
    to SUPPRESS, so given after the command it wins and not given it leaves the global one;
    not shown: left out of the command's help (`calfraise --help` has them)."""
    parser.add_argument(
        "--sim",
        metavar="TRACE.csv",
        default=default,
        help="run the BLE commands against a virtual device replaying this trace"
        if shown
        else argparse.SUPPRESS,
    )
    parser.add_argument(
        "--sim-flash",
        metavar="FILE",
        default=default,
        help="the virtual device's flash image, kept between runs (alone: the device lies still)"
        if shown
        else argparse.SUPPRESS,
    )
    parser.add_argument(  # for tests: link loss after N bytes on the air (once)
        "--sim-drop-after", type=int, metavar="BYTES", default=default, help=argparse.SUPPRESS
    )


@contextlib.asynccontextmanager
async def open_radio(args):
    """The Radio for a command's parsed args, for `async with`."""
    trace = getattr(args, "sim", None)
    flash = getattr(args, "sim_flash", None)
    drop = getattr(args, "sim_drop_after", None)
    if trace is None and flash is None:
        if drop is not None:
            raise UserError("--sim-drop-after needs the virtual device (--sim or --sim-flash)")
        yield Radio()
        return
    if trace is not None and not Path(trace).is_file():
        raise UserError(f"--sim {trace}: no such file")
    async with virtual_radio(trace, flash=flash, drop_after_bytes=drop) as radio:
        yield radio


@contextlib.asynccontextmanager
async def virtual_radio(trace=None, lead_in_s=SIM_LEAD_IN_S, **options):
    """A Radio on a new VirtualDevice (options: VirtualDevice's, e.g. flash, drop_after_bytes),
    replaying `trace` after lead_in_s of stillness, as fast as the host keeps up."""
    from calfraise.ble.virtual import VirtualDevice
    from calfraise.device.runner import HEAP

    logging.getLogger("bumble").setLevel(logging.ERROR)  # its per-packet warnings are noise here
    if options.get("flash") is not None:
        options["flash"] = Path(options["flash"]).resolve()  # the firmware runs elsewhere
        options["flash"].parent.mkdir(parents=True, exist_ok=True)
        options.setdefault("host_keys", host_keys_beside(options["flash"]))
    options.setdefault("heap", HEAP)  # the firmware's heap, as `calfraise device run` gives it
    with tempfile.TemporaryDirectory(prefix="calfraise-sim-") as tmp:
        if trace is not None and lead_in_s:
            trace = lead_in_trace(trace, Path(tmp) / "trace.csv", lead_in_s)
        # a replay runs ahead of the clock; a device with nothing to replay keeps real time, as
        # a board does (its idle-link timeout and pairing window are in real minutes)
        realtime = trace is None
        async with VirtualDevice(trace, realtime=realtime, **options) as device:
            yield Radio(device.scanner_backend, device.client_backend, device, auto_pair=True)


def host_keys_beside(flash):
    """Where the virtual host keeps its bonds with the device whose flash image is `flash`."""
    return flash.with_name(flash.name + ".keys.json")


def lead_in_trace(source, path, seconds):
    """Writes `source` after `seconds` of its first sample held still, at its own rate, to
    `path`; returns path. The detector sees the same movement, later by the lead-in. Both
    files are streamed: memory does not grow with the trace's length."""
    import numpy as np

    from calfraise.analyze import estimate_rate_hz
    from calfraise.trace import TraceWriter, iter_trace

    rate_hz = estimate_rate_hz(iter_trace(source))
    n = round(seconds * rate_hz)
    lead_ms = np.rint(np.arange(n) * 1000 / rate_hz).astype(np.int64)
    shift = None
    with TraceWriter(path, (f"{seconds:g} s still, then {source}",)) as out:
        for chunk in iter_trace(source):
            if shift is None:
                shift = round(n * 1000 / rate_hz) - int(chunk.t_ms[0])
                hold = np.repeat
                out.write(lead_ms, hold(chunk.accel_g[:1], n, 0), hold(chunk.gyro_dps[:1], n, 0))
            out.write(chunk.t_ms + shift, chunk.accel_g, chunk.gyro_dps)
    return path
