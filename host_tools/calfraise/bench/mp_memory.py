"""Runs on the MicroPython unix port (calfraise.bench.memory): the heap the firmware keeps alive,
module by module, and once the app is built as startup.main() builds it at boot.

usage: micropython mp_memory.py imports MODULE...   import in this order (dependencies first,
                                                    so each costs only itself)
       micropython mp_memory.py boot RUN_MS         build the app, then run it RUN_MS
MICROPYPATH: calfraise.device.runner.build(); CALFRAISE_SIM: the board's simulated hardware;
its flash holds config.json naming the board (runner.prepared() sets all this up).

Bytes are gc.mem_alloc() after gc.collect(), on top of the simulated hardware (on a board that
is not in the heap). Interned names (qstrs) live in the heap too, in pools that double in size
when full: micropython.qstr_info() prints a "qstr pool: ..." line after the simulated hardware
is built and after every step, for the caller to read. The last line printed is one JSON object
(the app's console events may come before it): imports: {"modules": [[name, bytes, [modules it
brought along]], ...]}; boot: {"sim": the simulated hardware's own bytes, "boot": bytes the app
keeps once built, "running": ... after RUN_MS, "loaded": the firmware's modules by then,
"parts": [[what App() built, bytes], ...] (PARTS)}.
"""

import gc
import json
import sys

import micropython


def live():
    gc.collect()
    return gc.mem_alloc()


def simulated_hardware():
    """Build the simulated board first, so what follows is the firmware's own."""
    import select  # noqa: F401  (the port's stand-ins for built-in modules)

    import bluetooth  # noqa: F401
    import esp32  # noqa: F401  (in the simulated hardware's footprint too: not the firmware's)
    import machine
    import neopixel  # noqa: F401

    machine.I2C(0)
    micropython.qstr_info()


def imports(names):
    simulated_hardware()
    out = []
    for name in names:
        before = set(sys.modules)
        start = live()
        __import__(name)
        cost = live() - start
        micropython.qstr_info()
        out.append([name, cost, sorted(set(sys.modules) - before - {name})])
    return {"modules": out}


# what App() builds, by the names app.py calls them (their objects and buffers, after a gc)
PARTS = (
    "EventBus",
    "Supervisor",
    "open_board_imu",
    "Sampler",
    "Session",
    "Led",
    "Feedback",
    "Button",
    "open_battery",
    "SessionStore",
    "Clock",
    "Recorder",
    "Monitor",
    "BleServer",
    "Power",
)


def measured(make, name, parts):
    """make(), appending [name, bytes it keeps alive] to parts."""

    def wrapper(*args, **kwargs):
        start = live()
        made = make(*args, **kwargs)
        parts.append([name, live() - start])
        return made

    return wrapper


def boot(run_ms):
    start = live()
    simulated_hardware()
    base = live()
    import asyncio

    from calfraise_fw import app as app_module
    from calfraise_fw import imu
    from calfraise_fw import settings as settings_file
    from calfraise_fw.startup import load_board, release

    parts = []
    for name in PARTS:
        module = imu if name == "open_board_imu" else app_module  # App() imports it at boot
        setattr(module, name, measured(getattr(module, name), name, parts))
    board = load_board()
    settings, _problems = settings_file.load()
    app = app_module.App(board, settings)
    release("calfraise_fw.imu", "calfraise_fw.startup")  # as startup.main() does
    del imu, load_board, release
    built = live() - base
    micropython.qstr_info()
    try:
        asyncio.run(asyncio.wait_for_ms(app.run(), run_ms))
    except asyncio.TimeoutError:
        pass
    running = live() - base
    loaded = sorted(m for m in sys.modules if m.startswith(("calfraise_fw", "boards")))
    return {
        "sim": base - start,
        "boot": built,
        "running": running,
        "loaded": loaded,
        "parts": parts,
    }


def main():
    if sys.argv[1] == "imports":
        result = imports(sys.argv[2:])
    else:
        result = boot(int(sys.argv[2]))
    print(json.dumps(result))


main()
