"""firmware/pyrightconfig.json really checks against MicroPython on the ESP32, not CPython.

Without the empty fake venv and the stubs' own stdlib, pyright silently falls back to the host's
CPython library and `import threading` passes. One pyright run checks all the samples below.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

MUST_FAIL = {
    "cpython_threading": "import threading\n\nthreading.Thread()\n",
    "cpython_monotonic": "import time\n\ntime.monotonic()\n",
    "cpython_pathlib": "import pathlib\n\npathlib.Path('x')\n",
    "misspelled_ticks": "import time\n\ntime.tick_ms()\n",
    # the override's signature: conn_handle first (the stock stub lacks it)
    "notify_without_conn": (
        "import bluetooth\n\n\ndef f(ble: bluetooth.BLE, h: int) -> None:\n"
        "    ble.gatts_notify(h)\n"
    ),
}

MUST_PASS = {
    "ticks": "import time\n\nt0 = time.ticks_ms()\nprint(time.ticks_diff(time.ticks_ms(), t0))\n",
    "const": "from micropython import const\n\n_N = const(4)\nprint(_N + 1)\n",
    "viper_native": (
        "import micropython\n\n\n@micropython.viper\ndef f(x: int) -> int:\n    return x + 1\n\n\n"
        "@micropython.native\ndef g(x):\n    return x\n\n\nprint(f(1), g(2))\n"
    ),
    "struct_crc32": (
        "import binascii\nimport struct\n\n"
        "print(struct.pack('<hI', 1, 2), binascii.crc32(b'abc'))\n"
    ),
    "notify": (
        "import bluetooth\n\n\ndef f(ble: bluetooth.BLE, conn: int, h: int) -> None:\n"
        "    ble.gatts_notify(conn, h, b'x')\n    ble.gatts_notify(conn, h)\n"
    ),
    "machine": "from machine import I2C, Pin\n\ni2c = I2C(0, scl=Pin(22), sda=Pin(21))\n",
}


@pytest.fixture(scope="module")
def errors_by_sample(tmp_path_factory, pyright_esp32):
    """Runs pyright once over every sample; returns {sample name: [error messages]}."""
    folder = tmp_path_factory.mktemp("pyright_samples")
    for name, text in {**MUST_FAIL, **MUST_PASS}.items():
        (folder / f"{name}.py").write_text(text)
    proc = subprocess.run(
        [*pyright_esp32, *sorted(map(str, folder.iterdir()))],
        capture_output=True,
        text=True,
        env={**os.environ, "PYRIGHT_PYTHON_IGNORE_WARNINGS": "1"},
    )
    report = json.loads(proc.stdout)
    found = {name: [] for name in {**MUST_FAIL, **MUST_PASS}}
    for diag in report["generalDiagnostics"]:
        if diag["severity"] == "error":
            found[Path(diag["file"]).stem].append(diag["message"])
    return found


@pytest.mark.parametrize("name", MUST_FAIL)
def test_rejected(errors_by_sample, name):
    assert errors_by_sample[name], f"pyright accepted {name}:\n{MUST_FAIL[name]}"


@pytest.mark.parametrize("name", MUST_PASS)
def test_accepted(errors_by_sample, name):
    assert errors_by_sample[name] == []
