"""`calfraise analyze`: bad input is one line on stderr with exit code 2; good input is counted by
the firmware detector fed with raw counts. Bad-input tests fail before any detection runs.
"""

import json
import subprocess
import sysconfig
from pathlib import Path

import numpy as np
import pytest

from calfraise import analyze
from calfraise.boardview import TAIL_MS
from calfraise.trace import read_trace, write_trace
from test_trace import BAD_TRACES, HEADER

CALFRAISE = Path(sysconfig.get_path("scripts")) / "calfraise"


@pytest.fixture
def main():
    """calfraise.cli.main, imported per test so a broken sub-command fails tests, not collection."""
    from calfraise.cli import main

    return main


def _still(path, seconds=10, rate_hz=104):
    """A clip lying still, flat: 1 g on z, a small gyro bias; int-ms stamps like a device's."""
    t = np.floor(np.arange(int(seconds * rate_hz)) * 1000 / rate_hz).astype(np.int64)
    accel = np.tile([0.01, -0.02, 1.0], (len(t), 1))
    gyro = np.tile([0.3, -0.2, 0.1], (len(t), 1))
    write_trace(path, t, accel, gyro)
    return path


def _one_error_line(capsys):
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, err
    return err.rstrip("\n")


@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
@pytest.mark.parametrize("case", BAD_TRACES)
def test_bad_trace(main, tmp_path, capsys, case, as_json):
    text, line, words = BAD_TRACES[case]
    path = tmp_path / "bad.csv"
    path.write_text(text)
    assert main(["analyze", str(path)] + ["--json"] * as_json) == 2
    message = _one_error_line(capsys)
    assert message.startswith(f"calfraise: error: {path}:{line}: ")
    assert words in message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (f"{HEADER}\n0,0,0,1,0,0,0\n", "only one sample"),
        (f"{HEADER}\n5,0,0,1,0,0,0\n5,0,0,1,0,0,0\n5,0,0,1,0,0,0\n", "timestamps do not advance"),
    ],
    ids=["one_sample", "stuck_clock"],
)
def test_no_sample_rate(main, tmp_path, capsys, text, words):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    assert main(["analyze", str(path)]) == 2
    message = _one_error_line(capsys)
    assert message == f"calfraise: error: {path}: {words}: cannot tell the sample rate"


def test_missing_file(main, tmp_path, capsys):
    path = tmp_path / "missing.csv"
    assert main(["analyze", str(path)]) == 2
    assert _one_error_line(capsys) == (
        f"calfraise: error: {path}: cannot read: No such file or directory"
    )


def test_console_script_reports_bad_input(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(f"{HEADER}\n0,0,0,1,0,0,0\n10,0,0,1,0,zero,0\n")
    proc = subprocess.run(
        [str(CALFRAISE), "analyze", str(path)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert proc.stderr == f"calfraise: error: {path}:3: gy_dps is not a number: 'zero'\n"


def test_rate_ignores_gaps_and_ms_rounding(tmp_path):
    t = np.floor(np.arange(2000) * 1000 / 104).astype(np.int64)
    t[1000:] += 5000  # a pause in the capture
    write_trace(tmp_path / "t.csv", t, np.zeros((2000, 3)), np.zeros((2000, 3)))
    assert analyze.estimate_rate_hz(read_trace(tmp_path / "t.csv")) == pytest.approx(104, abs=0.2)


class _Rep:
    def __init__(self, t, set_no, rep_no, partial):
        self.fields = {
            "start_ms": t - 900,
            "top_ms": t - 400,
            "lower_ms": t - 300,
            "end_ms": t,
            "up_ms": 500,
            "hold_ms": 100,
            "down_ms": 300,
            "amplitude_deg": 20.0,
            "set": set_no,
            "rep": rep_no,
            "partial": partial,
        }

    def as_dict(self):
        return dict(self.fields)


class _FakeDetector:
    """Records what analyze feeds it; 'finds' a rep at every 100th of the trace's 500 samples
    (not in the still tail after them), partial every 3rd."""

    instances = []

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.samples = []
        _FakeDetector.instances.append(self)

    def update(self, t, *counts):
        self.samples.append((t, *counts))
        n = len(self.samples)
        if n % 100 == 0 and n <= 500:
            k = n // 100
            return _Rep(t, 1 + (k > 2), k if k <= 2 else k - 2, k % 3 == 0)
        return None


def test_feeds_raw_counts_and_reports_json(main, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(analyze, "RepDetector", _FakeDetector)
    _FakeDetector.instances.clear()
    t = np.arange(500) * 10
    accel = np.tile([0.5, -9.0, 1.0], (500, 1))  # -9 g saturates at +-8 g
    gyro = np.tile([1.0, 1500.0, -0.01], (500, 1))  # 1500 dps saturates at +-1000 dps
    write_trace(tmp_path / "t.csv", t, accel, gyro)
    assert main(["analyze", str(tmp_path / "t.csv"), "--json"]) == 0
    (det,) = _FakeDetector.instances
    assert det.kwargs == {"rate_hz": 100.0, "accel_lsb_per_g": 4096, "gyro_lsb_per_dps": 32.8}
    assert det.samples[7] == (70, 2048, -32768, 4096, 33, 32767, 0)
    assert all(type(v) is int for v in det.samples[7])  # Python ints, as on the board
    # then the foot keeps still, as on the board after a trace: the last row held, clock on
    assert len(det.samples) == 500 + TAIL_MS // 10
    assert det.samples[-1] == ((len(det.samples) - 1) * 10, *det.samples[499][1:])
    report = json.loads(capsys.readouterr().out)
    numbers = [(r["set"], r["rep"]) for r in report["reps"]]
    assert numbers == [(1, 1), (1, 2), (2, 1), (2, 2), (2, 3)]
    assert report["sets"] == [
        {"set": 1, "reps": 2, "start_ms": 90, "end_ms": 1990, "partial": 0,
         "mean_up_ms": 500, "mean_down_ms": 300},
        {"set": 2, "reps": 3, "start_ms": 2090, "end_ms": 4990, "partial": 1,
         "mean_up_ms": 500, "mean_down_ms": 300},
    ]  # fmt: skip


def test_human_summary(main, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(analyze, "RepDetector", _FakeDetector)
    write_trace(tmp_path / "t.csv", np.arange(500) * 10, np.zeros((500, 3)), np.zeros((500, 3)))
    assert main(["analyze", str(tmp_path / "t.csv")]) == 0
    out = capsys.readouterr().out
    assert "Set 1: 2 reps, 0 partial" in out and "Set 2: 3 reps, 1 partial" in out
    assert "0.50" in out and "0.30" in out and "20.0" in out and "partial" in out
    assert "Session: 2 sets, 5 reps (1 partial) in 0:05 of trace at 100 Hz" in out


def test_real_detector_runs_on_a_still_trace(main, tmp_path, capsys):
    """Only the wiring to calfraise_fw.detector: its call shape and as_dict() keys."""
    assert main(["analyze", str(_still(tmp_path / "still.csv")), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"reps", "sets"}


def test_plot_draws_the_trace_and_its_reps(main, tmp_path):
    from calfraise.sim import simulate_session

    trace = simulate_session("clean", 1)
    csv = tmp_path / "s.csv"
    write_trace(csv, trace.t_ms, trace.accel_g, trace.gyro_dps)
    png = tmp_path / "s.png"
    assert main(["analyze", str(csv), "--json", "--plot", str(png)]) == 0
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_plot_to_an_unwritable_place_is_a_clear_error(main, tmp_path, capsys):
    png = tmp_path / "missing" / "s.png"
    assert main(["analyze", str(_still(tmp_path / "t.csv")), "--plot", str(png)]) == 2
    assert "cannot write" in _one_error_line(capsys)
