"""Boot: find the board, honour safe mode, run the app.

config.json names the board file (`{"board": "atom_matrix"}`; `make deploy` writes it). It may
also name the IMU a unit really carries, or another output data rate, than its board file:
`"imu": {"kind": "mpu6886", "addr": 104, "rate_hz": 200}` (the simulated board follows a trace's
rate this way).
Holding the button at power-on is safe mode: the app does not start and the REPL stays free,
so a broken build can always be replaced. main() builds the app and main.py runs it
(App.main()): this module is boot only, and leaves the heap once the app is built.
"""

import asyncio
import gc
import json
import sys
import time

from calfraise_fw import settings as settings_file
from calfraise_fw.app import App
from calfraise_fw.boardspec import Imu
from calfraise_fw.button import Button
from calfraise_fw.events import print_event
from calfraise_fw.feedback import Led

CONFIG = "config.json"
SAFE_HOLD_MS = 300  # the button must read pressed this long at boot


class ConfigError(Exception):
    """config.json is missing, malformed or names no board file."""


def load_board(path=CONFIG):
    try:
        with open(path) as f:
            config = json.load(f)
        name = config["board"]
        imu = config.get("imu")
        if imu is not None:
            imu = (imu["kind"], imu["addr"], imu["rate_hz"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise ConfigError(
            path + ' must hold {"board": "<board file name>"} and may hold '
            '"imu": {"kind", "addr", "rate_hz"}'
        ) from None
    try:
        __import__("boards." + name)
    except ImportError as err:
        raise ConfigError(f"no board file boards/{name}.py ({err})") from err
    board = sys.modules["boards." + name].BOARD
    release("boards." + name, "boards", "calfraise_fw.boardspec")
    if imu is not None:
        wired = board.imu
        board.imu = Imu(imu[0], imu[1], wired.axes, imu[2], wired.int_pin, wired.int_active_low)
    return board


def release(*modules):
    """Forget modules only boot needed, so their globals leave the heap: the board file's (the
    app keeps its BOARD, whose parts keep their classes), boardspec's, the IMU package's and
    this one's."""
    for name in modules:
        sys.modules.pop(name, None)
        package, _, leaf = name.rpartition(".")
        if package in sys.modules and hasattr(sys.modules[package], leaf):
            delattr(sys.modules[package], leaf)


def safe_mode_requested(board):
    if board.button is None:
        return False
    button = Button(board.button, print)
    for _ in range(SAFE_HOLD_MS // 20):
        if not button.pressed():
            return False
        time.sleep_ms(20)
    return True


async def _nap():
    await asyncio.sleep_ms(0)


def main():
    """Boot: the app built, or None (no board, or safe mode). Boot only: it releases this
    module, so main.py runs the app with startup's functions out of the heap."""
    try:
        board = load_board()
    except ConfigError as err:
        print_event({"type": "error", "code": "config", "message": str(err)})
        return None
    if safe_mode_requested(board):
        Led(board.led).show(0, 0, 255)
        print_event({"type": "safe_mode", "board": board.name})
        return None
    settings, problems = settings_file.load()
    # asyncio.sleep_ms() ends every sleep by raising one long-lived StopIteration, whose
    # traceback buffer the first raise makes: made now, it sits with the boot's objects, not
    # at the heap's top, where it would split the free heap for good (events._raised)
    asyncio.run(_nap())
    gc.collect()  # the imports' garbage gone, the app's long-lived buffers pack together
    app = App(board, settings)
    # open_imu's package (the driver's own modules stay), and this module: boot is over
    release("calfraise_fw.imu", "calfraise_fw.startup")
    # main.py had the imports and App() collect every 2 KB allocated, so their garbage (a
    # module's outgrown dict, a loader's leftovers) was reused at once, not left as holes between
    # long-lived objects; at run time the monitor collects once a second, at a quiet moment
    gc.threshold(-1)
    for problem in problems:
        app.publish({"type": "error", "code": "settings", "message": problem})
    return app
