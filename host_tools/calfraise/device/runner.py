"""Run firmware/main.py on the MicroPython unix port over simulated hardware.

The board file (boards/NAME.py) decides which chip models sit on the fake I2C bus, where the
button and the battery are; the trace is what the IMU measures. The firmware's console (one
JSON event per line) comes back as a list of events; anything else it prints (a traceback)
goes to stderr. Exit codes of the run: 0 (the simulated power went off), 3 (watchdog reset),
4 (machine.reset()), anything else: the firmware crashed.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sysconfig
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from calfraise.device import PORT
from calfraise.device.mpy import compile_tree
from calfraise.device.simconfig import write_sim_config
from calfraise.device.tracebin import write_tracebin
from calfraise.errors import UserError
from calfraise.trace import read_trace

REPO = PORT.parents[3]
FIRMWARE = REPO / "firmware"
BOARDS = REPO / "boards"
MICROPYTHON = Path(sysconfig.get_path("scripts")) / "micropython"
BUILD = REPO / "build" / "mpy" / "x64"  # what the unix port loads, compiled as for a board
AFTER_TRACE_MS = 310_000  # stay on after the trace: past the default 300 s session timeout
BATTERY_MV = 3900
EXIT_CAUSES = {0: "power off", 3: "watchdog reset", 4: "machine.reset()"}


@dataclass
class DeviceRun:
    returncode: int
    events: list = field(default_factory=list)
    stderr: str = ""
    heap_bytes: int = 0  # the firmware's heap budget plus the simulated hardware's footprint
    sim_bytes: int = 0  # the simulated hardware's footprint (on a board it is not in the heap)

    @property
    def cause(self):
        return EXIT_CAUSES.get(self.returncode, f"crashed (exit code {self.returncode})")

    def of_type(self, kind):
        return [e for e in self.events if e.get("type") == kind]


def board_names():
    return sorted(p.stem for p in BOARDS.glob("*.py"))


def load_board(name):
    """The BOARD a board file declares, imported here under CPython."""
    path = BOARDS / f"{name}.py"
    if not path.exists():
        raise UserError(f"no board file {path}; boards: {', '.join(board_names())}")
    spec = importlib.util.spec_from_file_location(f"boards.{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BOARD


def sim_setup(board, trace_bin, power_off_ms, presses=(), faults=(), extra=None):
    """The sim config for a board: its IMU (and power chip) on the bus, its button, battery."""
    chips = [{"kind": board.imu.kind, "addr": board.imu.addr}]
    config = {"trace": str(trace_bin), "chips": chips, "power_off_ms": power_off_ms}
    battery = board.battery
    if battery is not None and type(battery).__name__ == "Axp192Battery":
        chips.append({"kind": "axp192", "addr": battery.addr})
        config["battery_mv"] = BATTERY_MV
    elif battery is not None:
        config["adc_mv"] = {str(battery.pin): round(BATTERY_MV / battery.ratio)}
    if board.button is not None:
        config["button"] = {
            "pin": board.button.pin,
            "active_low": board.button.active_low,
            "presses": [list(p) for p in presses],
        }
    config["faults"] = list(faults)
    config.update(extra or {})
    return config


def run_device(
    trace_csv,
    *,
    board="sim",
    heap="100K",
    root=None,
    after_ms=AFTER_TRACE_MS,
    presses=(),
    faults=(),
    extra=None,
    on_event=None,
    timeout=600,
):
    """Run the firmware on a trace; returns a DeviceRun. root: the device's filesystem (a
    folder kept between runs: settings survive); None for a fresh one."""
    spec = load_board(board)
    trace = read_trace(trace_csv)
    with tempfile.TemporaryDirectory(prefix="calfraise-device-") as tmp:
        tmp = Path(tmp)
        root = Path(root) if root is not None else tmp / "flash"
        root.mkdir(parents=True, exist_ok=True)
        (root / "config.json").write_text(json.dumps({"board": board}))
        trace_bin = write_tracebin(tmp / "trace.bin", trace.t_ms, trace.accel_g, trace.gyro_dps)
        power_off = int(trace.t_ms[-1]) + after_ms
        config = sim_setup(spec, trace_bin, power_off, presses, faults, extra)
        env = write_sim_config(tmp / "sim.json", **config)
        return _run(root, heap, env, on_event, timeout)


def build():
    """The firmware, the board files and the simulated hardware as x64 .mpy, with main.py as
    source beside them (as on a board); returns the module path for MICROPYPATH."""
    compile_tree(FIRMWARE, BUILD / "firmware", "x64", skip=("main.py",))
    shutil.copy2(FIRMWARE / "main.py", BUILD / "firmware" / "main.py")
    compile_tree(BOARDS, BUILD / "boards" / "boards", "x64")
    compile_tree(PORT, BUILD / "port", "x64")
    return [BUILD / "port", BUILD / "firmware", BUILD / "boards", ".frozen"]


def parse_heap(text):
    """'100K', '2M' or bytes -> bytes."""
    scale = {"K": 1024, "M": 1024 * 1024}.get(text[-1:].upper(), 1)
    try:
        return int(text[:-1] if scale > 1 else text) * scale
    except ValueError:
        raise UserError(f"--heap {text}: expected bytes, or a number with K or M") from None


def sim_footprint(env):
    """Bytes of heap the simulated hardware takes in the firmware's process."""
    argv = [str(MICROPYTHON), "-m", "simhw.footprint"]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    return int(proc.stdout)


def _run(root, heap, env, on_event, timeout):
    if not MICROPYTHON.exists():
        raise UserError(f"{MICROPYTHON} is missing: run `make venv`")
    path = os.pathsep.join(str(p) for p in build())
    env = {**os.environ, **env, "MICROPYPATH": path}
    sim_bytes = sim_footprint(env)
    heap_bytes = parse_heap(heap) + sim_bytes
    argv = [str(MICROPYTHON), "-X", f"heapsize={heap_bytes}", str(BUILD / "firmware" / "main.py")]
    events = []
    other = []
    with subprocess.Popen(
        argv, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        for line in proc.stdout:
            event = _parse(line)
            if event is None:
                other.append(line)
                continue
            events.append(event)
            if on_event is not None:
                on_event(event)
        stderr = proc.stderr.read()
        returncode = proc.wait(timeout)
    return DeviceRun(returncode, events, "".join(other) + stderr, heap_bytes, sim_bytes)


def _parse(line):
    if not line.startswith("{"):
        return None
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) and "type" in event else None
