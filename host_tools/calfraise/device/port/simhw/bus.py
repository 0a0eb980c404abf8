"""The simulated I2C bus: the chips named in the sim config, and the faults to inject.

Transfers never allocate, so the drivers' FIFO drains can be checked under heap_lock().
Errors are those of the ESP32 port: a missing device is ENODEV, a stuck bus ETIMEDOUT, a NACK
mid-transfer EIO. A "crash" fault raises a non-I/O error, as a firmware bug would.
"""

import errno
import json
import time

from simhw import config, meter
from simhw.chips import make_chip
from simhw.world import World


class _Fault:
    def __init__(self, spec):
        self.at_ms = spec.get("at_ms", 0)
        self.addr = spec["addr"]
        self.kind = spec["kind"]
        self.count = spec.get("count", 1)
        self.after_bytes = spec.get("after_bytes", 0)
        self.min_len = spec.get("min_len", 0)

    def error(self):
        if self.kind == "crash":
            return RuntimeError("injected firmware fault")
        return OSError(getattr(errno, self.kind.upper()))


class _Replayed:
    """Says "sim.replayed" once the trace has played to its end. The trace ends inside a
    transfer, which must not allocate: the line is printed at the next skipped wait."""

    def __init__(self):
        self.state = bytearray(1)  # 0: playing, 1: ended, 2: said
        time.on_skip(self.say)

    def ended(self):
        self.state[0] = 1

    def say(self):
        if self.state[0] == 1:
            self.state[0] = 2
            print(json.dumps({"type": "sim.replayed", "t_ms": time.sim_ms()}))


class Bus:
    def __init__(self):
        trace = config.get("trace")
        on_end = _Replayed().ended if trace and config.get("replayed_event") else None
        held = config.get("trace_held", False)
        world = World(trace, config.get("trace_origin_us"), on_end, held) if trace else None
        self.world = world
        self.chips = {}
        kept = config.get("chip_state") or {}  # through a deep sleep (machine.deepsleep)
        for spec in config.get("chips", ()):
            chip = make_chip(spec["kind"], spec["addr"], world)
            state = kept.get(str(spec["addr"]))
            if state is not None:
                chip.restore(bytes.fromhex(state[0]), state[1])
            self.chips[spec["addr"]] = chip
        self.faults = [_Fault(f) for f in config.get("faults", ())]

    def _fault(self, addr, n):
        """The fault that hits this transfer, if any (and count it)."""
        if not self.faults:
            return None
        now = time.sim_ms()
        for f in self.faults:
            if f.count > 0 and f.addr == addr and now >= f.at_ms and n >= f.min_len:
                f.count -= 1
                return f
        return None

    def _chip(self, addr):
        chip = self.chips.get(addr)
        if chip is None:
            raise OSError(errno.ENODEV)
        return chip

    def read(self, addr, reg, buf, n):
        meter.transfer(n)
        fault = self._fault(addr, n)
        chip = self._chip(addr)
        if fault is not None:
            if fault.kind != "enodev" and fault.after_bytes:
                chip.read_into(reg, buf, min(fault.after_bytes, n))
            raise fault.error()
        chip.read_into(reg, buf, n)

    def write(self, addr, reg, buf, n):
        meter.transfer(n)
        fault = self._fault(addr, n)
        chip = self._chip(addr)
        if fault is not None:
            raise fault.error()
        chip.write(reg, buf, n)


_bus = None


def bus():
    """The one simulated bus, built on first use (after the sim config is loaded)."""
    global _bus
    if _bus is None:
        _bus = Bus()
    return _bus
