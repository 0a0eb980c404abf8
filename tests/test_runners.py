"""The interpreter runners in conftest.py behave as documented."""

import pytest

from calfraise.device.mpy import compile_tree
from calfraise.device.runner import INTERPRETERS
from conftest import ScriptFailed

SNIPPET = """
from micropython import const
from calfraise_fw.detector import RepDetector
_N = const(3)
det = RepDetector(rate_hz=104, accel_lsb_per_g=4096, gyro_lsb_per_dps=32.8)
print(_N, det.update(0, 0, 0, 4096, 0, 0, 0))
"""


def test_firmware_imports_under_both(both_interpreters):
    assert both_interpreters(SNIPPET).split() == ["3", "None"]


def test_script_file_and_args(both_interpreters, tmp_path):
    script = tmp_path / "echo.py"
    script.write_text("import sys\nprint(sys.argv[1:])\n")
    assert both_interpreters(script=script, args=["a", 1]).strip() == "['a', '1']"


def test_extra_path_comes_before_firmware(both_interpreters, tmp_path):
    (tmp_path / "machine.py").write_text("FAKE = True\n")
    assert both_interpreters("import machine; print(machine.FAKE)", path=[tmp_path]).strip() == (
        "True"
    )


def test_failure_carries_the_output(both_interpreters):
    with pytest.raises(ScriptFailed) as err:
        both_interpreters("print('before')\nraise ValueError('boom')")
    assert err.value.returncode == 1
    assert "before" in str(err.value) and "boom" in str(err.value)


def test_micropython_is_the_real_thing(micropython):
    assert micropython("import sys; print(sys.implementation.name)").strip() == "micropython"


def test_heapsize_limits_the_heap(micropython):
    micropython("x = bytearray(50_000)", heapsize="100K")
    with pytest.raises(ScriptFailed, match="MemoryError"):
        micropython("x = bytearray(200_000)", heapsize="100K")


def test_the_32_bit_port_lays_out_objects_as_an_esp32(micropython, micropython32):
    """31-bit small ints, and an object half its 64-bit size (16-byte GC blocks, 4-byte words)."""
    code = (
        "import gc, sys\ngc.collect()\na = gc.mem_alloc()\nx = [None] * 100\n"
        "print(sys.maxsize, gc.mem_alloc() - a)"
    )
    small, size32 = map(int, micropython32(code).split())
    _, size64 = map(int, micropython(code).split())
    assert small == 2**31 - 1
    assert size32 * 2 == size64


def test_the_32_bit_port_loads_what_its_mpy_cross_compiles(micropython32, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "hello.py").write_text(
        "@micropython.native\ndef twice(x):\n    return 2 * x\n"
    )
    port = INTERPRETERS[32]
    compile_tree(tmp_path / "src", tmp_path / "out", port.arch, (), port.mpy_cross)
    assert micropython32("import hello; print(hello.twice(21))", path=[tmp_path / "out"]) == "42\n"
