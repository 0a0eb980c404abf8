"""Shared test helpers: run code on the MicroPython unix port (and on CPython for comparison),
and the `hil` marker for tests that need a real board (`pytest -m hil --board /dev/ttyUSB0`).

Fixtures:
  micropython        -> run_micropython(code=None, *, script=None, args=(), path=(), heapsize=None)
  micropython32      -> the same on the 32-bit unix port (`make mp32`), where the heap is laid
                        out as on an ESP32: the memory tests use it. Missing, it fails under
                        CI=true and skips (saying what to install) elsewhere.
  both_interpreters  -> the same call shape, parametrised over "cpython" and "micropython";
                        the runner's `.name` says which one a test got.
Runners return stdout and raise ScriptFailed (exit code, stdout, stderr) on a non-zero exit.
Note: this MicroPython build prints uncaught tracebacks on stdout, so ScriptFailed shows both.
"""

import functools
import os
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from calfraise.device.runner import INTERPRETERS

REPO = Path(__file__).resolve().parent.parent
FIRMWARE = REPO / "firmware"
MICROPYTHON = Path(sysconfig.get_path("scripts")) / "micropython"
MICROPYTHON32 = INTERPRETERS[32].micropython  # `make mp32`


class ScriptFailed(AssertionError):
    """A script exited non-zero; the message carries everything it printed."""

    def __init__(self, interpreter, returncode, stdout, stderr):
        super().__init__(
            f"{interpreter} exited {returncode}\n--- stdout ---\n{stdout}--- stderr ---\n{stderr}"
        )
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


def _run(name, argv, env, cwd, timeout):
    proc = subprocess.run(
        argv,
        env={**os.environ, **env},
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise ScriptFailed(name, proc.returncode, proc.stdout, proc.stderr)
    return proc.stdout


def _source(code, script):
    if (code is None) == (script is None):
        raise TypeError("give exactly one of code or script")
    return ["-c", code] if code is not None else [str(script)]


def run_micropython(
    code=None,
    *,
    script=None,
    args=(),
    path=(),
    heapsize=None,
    cwd=None,
    timeout=60,
    env=None,
    interpreter=MICROPYTHON,
):
    """Run a snippet (code) or a file (script) on the unix port with firmware/ importable.

    path: extra folders searched before firmware/ (fake `machine`, `bluetooth`, ...).
    heapsize: e.g. "100K"; the default is the port's 2 MB. env: extra environment (such as
    CALFRAISE_SIM, see calfraise.device.simconfig). Returns stdout.
    """
    search = [str(p) for p in path] + [str(FIRMWARE), ".frozen"]
    argv = [str(interpreter)]
    if heapsize is not None:
        argv += ["-X", f"heapsize={heapsize}"]
    argv += _source(code, script) + [str(a) for a in args]
    env = {**(env or {}), "MICROPYPATH": os.pathsep.join(search)}
    return _run("micropython", argv, env, cwd, timeout)


def run_cpython(
    code=None, *, script=None, args=(), path=(), heapsize=None, cwd=None, timeout=60, env=None
):
    """run_micropython's twin on this CPython (heapsize is ignored: CPython has no such limit)."""
    search = [str(p) for p in path] + [str(FIRMWARE)]
    argv = [sys.executable] + _source(code, script) + [str(a) for a in args]
    env = {**(env or {}), "PYTHONPATH": os.pathsep.join(search)}
    return _run("cpython", argv, env, cwd, timeout)


@pytest.fixture(autouse=True)
def _own_data_home(tmp_path_factory, monkeypatch):
    """Every test gets its own $XDG_DATA_HOME: a command run without --db must not read or
    write the user's real database (nor another test run's)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg_data")))


@pytest.fixture(scope="session")
def pyright_esp32():
    """The pyright command that checks files against the ESP32 stubs as `make lint` does (add
    the files, read --outputjson). Fails, never skips, when the stubs are not installed: without
    them pyright would fall back to CPython's library and pass what the board cannot run."""
    if not (REPO / ".typings" / "esp32").is_dir():
        pytest.fail("ESP32 stubs missing: run `make stubs`")
    pyright = Path(sysconfig.get_path("scripts")) / "pyright"
    return [str(pyright), "--outputjson", "-p", str(FIRMWARE / "pyrightconfig.json")]


@pytest.fixture
def micropython():
    if not MICROPYTHON.exists():
        pytest.fail(f"{MICROPYTHON} is missing: run `make venv`")
    return run_micropython


def require_mp32(interpreter=INTERPRETERS[32]):
    """The 32-bit port (or runner.FROZEN, the one with the firmware frozen in) is there, or the
    test fails under CI=true and skips elsewhere, saying how to get it (`make test` builds both
    first)."""
    if interpreter.micropython.exists():
        return
    message = f"{interpreter.micropython} is missing: {interpreter.missing}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def micropython32():
    require_mp32()
    return functools.partial(run_micropython, interpreter=MICROPYTHON32)


@dataclass(frozen=True)
class Runner:
    name: str  # "cpython" or "micropython"
    run: Callable[..., str]

    def __call__(self, *args, **kwargs):
        return self.run(*args, **kwargs)


@pytest.fixture(params=["cpython", "micropython"])
def both_interpreters(request):
    if request.param == "cpython":
        return Runner("cpython", run_cpython)
    return Runner("micropython", request.getfixturevalue("micropython"))


def pytest_addoption(parser):
    parser.addoption("--board", metavar="PORT", help="serial port of a board for `hil` tests")
    parser.addoption(
        "--ble", metavar="NAME|ADDRESS", help="a board's BLE name or address for BLE `hil` tests"
    )


@pytest.fixture
def board(request):
    """The serial port given with --board (hil tests only run when there is one)."""
    return request.config.getoption("--board")


def pytest_collection_modifyitems(config, items):
    """hil tests run only with what they need: --ble for those using the `ble` fixture, else
    --board."""
    for item in items:
        if "hil" not in item.keywords:
            continue
        option = "--ble" if "ble" in getattr(item, "fixturenames", ()) else "--board"
        if not config.getoption(option):
            what = "NAME|ADDRESS" if option == "--ble" else "PORT"
            item.add_marker(pytest.mark.skip(reason=f"hardware-in-the-loop: give {option} {what}"))
