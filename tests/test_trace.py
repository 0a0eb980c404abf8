"""Trace CSV and truth JSON: round trips, tolerated variations, and every rejected input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from calfraise.trace import (
    COLUMNS,
    TraceError,
    read_trace,
    read_truth,
    truth_path,
    write_trace,
    write_truth,
)

HEADER = ",".join(COLUMNS)

# (file content, line named in the error, words the message must contain)
BAD_TRACES = {
    "empty_file": ("", 1, "empty file"),
    "only_comments": ("# a\n\n# b\n", 1, "no header"),
    "not_csv": ("hello world\n1 2 3\n", 1, "not a trace CSV"),
    "missing_columns": ("t_ms,ax_g,ay_g,az_g,gx_dps\n", 1, "gy_dps, gz_dps"),
    "duplicate_column": (HEADER + ",ax_g\n", 1, "ax_g appears twice"),
    "too_few_fields": (f"{HEADER}\n0,0,0,1,0,0,0\n10,0,0,1,0,0\n", 3, "expected 7 fields, got 6"),
    "too_many_fields": (f"{HEADER}\n0,0,0,1,0,0,0,9\n", 2, "expected 7 fields, got 8"),
    "non_numeric": (f"{HEADER}\n0,0,0,1,0,0,0\n10,0,x,1,0,0,0\n", 3, "ay_g is not a number: 'x'"),
    "empty_value": (f"{HEADER}\n0,0,0,,0,0,0\n", 2, "az_g is not a number: ''"),
    "fractional_time": (f"{HEADER}\n12.5,0,0,1,0,0,0\n", 2, "t_ms is not an integer"),
    "nan": (f"{HEADER}\n0,0,0,1,nan,0,0\n", 2, "gx_dps is not finite: 'nan'"),
    "inf": (f"{HEADER}\n0,0,0,1,0,0,-inf\n", 2, "gz_dps is not finite"),
    "time_backwards": (
        f"# c\n{HEADER}\n0,0,0,1,0,0,0\n10,0,0,1,0,0,0\n9,0,0,1,0,0,0\n",
        5,
        "t_ms goes backwards: 9 after 10",
    ),
    "no_data_rows": (f"# c\n{HEADER}\n\n", 2, "no data rows"),
}


@pytest.mark.parametrize("case", BAD_TRACES)
def test_bad_trace_names_file_and_line(tmp_path, case):
    text, line, words = BAD_TRACES[case]
    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(TraceError) as err:
        read_trace(path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert words in message
    assert "\n" not in message


def test_missing_file(tmp_path):
    with pytest.raises(TraceError, match=r"nope\.csv: cannot read: No such file or directory$"):
        read_trace(tmp_path / "nope.csv")


def test_binary_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(HEADER.encode() + b"\n\xff\xfe\x00\x01\n")
    with pytest.raises(TraceError, match=rf"^{path}:2: not UTF-8"):
        read_trace(path)


def test_columns_by_name_extras_comments_and_blanks(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "\ufeff# board: esp32c3\n"
        "\n"
        "gz_dps, temp_c ,gy_dps,gx_dps,az_g,ay_g,ax_g,t_ms\r\n"
        "6,25.5,5,4,3,2,1,100\r\n"
        "\n"
        "#mid-file comment\n"
        "-6,25.5,-5,-4,-3,-2,-1,100\n"
    )
    trace = read_trace(path)
    assert trace.t_ms.dtype == np.int64
    assert trace.t_ms.tolist() == [100, 100]  # equal stamps are allowed
    assert trace.accel_g.tolist() == [[1, 2, 3], [-1, -2, -3]]
    assert trace.gyro_dps.tolist() == [[4, 5, 6], [-4, -5, -6]]
    assert trace.comments == ("board: esp32c3", "mid-file comment")
    assert len(trace) == 2


def test_written_format(tmp_path):
    path = tmp_path / "sub" / "t.csv"
    accel = [[0, 0.1234567, 1], [0, 0, 1]]
    write_trace(path, [0, 10], accel, [[1.23456, 0, 0], [0, 0, -2]], comments=["hi"])
    assert path.read_text().splitlines() == [
        "# hi",
        HEADER,
        "0,0.00000,0.12346,1.00000,1.235,0.000,0.000",
        "10,0.00000,0.00000,1.00000,0.000,0.000,-2.000",
    ]


def test_write_rejects_mismatched_shapes(tmp_path):
    with pytest.raises(ValueError, match="shapes differ"):
        write_trace(tmp_path / "t.csv", [0, 10], [[0, 0, 1]], [[0, 0, 0], [0, 0, 0]])


@settings(max_examples=50, deadline=None)
@given(
    steps=st.lists(st.integers(0, 50), min_size=1, max_size=40),
    data=st.data(),
)
def test_round_trip(tmp_path_factory, steps, data):
    n = len(steps)
    t = np.cumsum(steps)
    accel = data.draw(arrays(np.float64, (n, 3), elements=st.floats(-16, 16)))
    gyro = data.draw(arrays(np.float64, (n, 3), elements=st.floats(-2000, 2000)))
    path = tmp_path_factory.mktemp("rt") / "t.csv"
    write_trace(path, t, accel, gyro, comments=["seed 7", "#odd"])
    trace = read_trace(path)
    assert trace.t_ms.tolist() == t.tolist()
    assert np.allclose(trace.accel_g, accel, atol=5e-6)
    assert np.allclose(trace.gyro_dps, gyro, atol=5e-4)
    assert trace.comments == ("seed 7", "#odd")


def test_truth_round_trip(tmp_path):
    csv = tmp_path / "s.csv"
    truth = {"version": 1, "reps": [{"set": 1, "rep": 1, "partial": False}], "sets": []}
    assert write_truth(csv, truth) == tmp_path / "s.json" == truth_path(csv)
    assert read_truth(csv) == truth


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, r"s\.json: cannot read: No such file or directory$"),
        ('{\n "version": 1,\n}', r"s\.json:3: not valid JSON: "),
        ("[1, 2]", r"s\.json:1: expected a JSON object$"),
    ],
)
def test_bad_truth(tmp_path, text, message):
    if text is not None:
        (tmp_path / "s.json").write_text(text)
    with pytest.raises(TraceError, match=message):
        read_truth(tmp_path / "s.csv")
