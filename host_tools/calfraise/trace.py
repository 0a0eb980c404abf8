"""Trace CSV: the IMU samples that the simulator writes, a device capture holds and the analyzer
reads (docs/interfaces.md), plus the truth JSON that sits beside a simulated trace.

Columns are found by header name, so their order does not matter and extra columns are ignored.
Lines starting with `#` are comments, blank lines are skipped. Every problem is a TraceError
reading "<path>:<line>: <what>", so a user can go straight to the faulty line.
"""

from __future__ import annotations  # Trace's np.ndarray fields: numpy loads when used

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from calfraise.errors import UserError

if TYPE_CHECKING:
    import numpy as np

COLUMNS = ("t_ms", "ax_g", "ay_g", "az_g", "gx_dps", "gy_dps", "gz_dps")
# The CSV's resolution: accel in 1e-5 g, gyro in 1e-3 deg/s. world_units is its one rounding:
# the writer writes its integers, so a trace in memory and its CSV read back are the same
# integers (calfraise.boardview measures those; the simulated IMU plays them).
ACCEL_UNIT = 100_000  # per g
GYRO_UNIT = 1000  # per deg/s


class TraceError(UserError):
    """A trace or truth file that cannot be used; line is None for whole-file problems."""

    def __init__(self, path, line, what):
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {what}")
        self.path = path
        self.line = line
        self.what = what


@dataclass(frozen=True)
class Trace:
    """Samples in file order: t_ms (N,) int64, accel_g and gyro_dps (N, 3) float64."""

    path: Path
    t_ms: np.ndarray
    accel_g: np.ndarray
    gyro_dps: np.ndarray
    comments: tuple[str, ...]  # text after '#', one leading space removed

    def __len__(self):
        return len(self.t_ms)


CHUNK_ROWS = 8192  # samples per chunk of iter_trace: memory stays this size, whatever the file


def _lines(path):
    """(line number, text) for every line, read as a stream; decoded per line so bad bytes get
    a line number."""
    try:
        f = Path(path).open("rb")
    except OSError as err:
        raise TraceError(path, None, f"cannot read: {err.strerror}") from None
    with f:
        for n, chunk in enumerate(f, 1):
            try:
                yield n, chunk.decode("utf-8-sig" if n == 1 else "utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                raise TraceError(path, n, "not UTF-8 text (is this a CSV file?)") from None


def _header_index(path, n, text):
    """Position of each required column in the header line."""
    names = [name.strip() for name in text.split(",")]
    seen = set()
    for name in names:
        if name in COLUMNS and name in seen:
            raise TraceError(path, n, f"column {name} appears twice in the header")
        seen.add(name)
    missing = [c for c in COLUMNS if c not in seen]
    if len(missing) == len(COLUMNS):
        raise TraceError(path, n, f"not a trace CSV: header should be {','.join(COLUMNS)}")
    if missing:
        raise TraceError(path, n, f"header lacks column(s) {', '.join(missing)}")
    return names, [names.index(c) for c in COLUMNS]


def _number(path, n, column, text, kind):
    try:
        value = kind(text)
    except ValueError:
        what = "an integer" if kind is int else "a number"
        raise TraceError(path, n, f"{column} is not {what}: {text!r}") from None
    if not math.isfinite(value):
        raise TraceError(path, n, f"{column} is not finite: {text!r}")
    return value


def _chunk(path, rows, comments):
    import numpy as np  # here, not at the top: the command line starts without it

    data = np.array(rows, dtype=np.float64)
    return Trace(path, data[:, 0].astype(np.int64), data[:, 1:4], data[:, 4:7], tuple(comments))


def iter_trace(path, rows_per_chunk=CHUNK_ROWS):
    """The trace as consecutive Trace chunks of up to rows_per_chunk samples, read line by line:
    a 2-hour trace takes no more memory than a 10-minute one. Each chunk carries the comments
    read so far. Raises TraceError naming the file and line of the first problem (after the
    chunks before it were yielded)."""
    path = Path(path)
    comments, rows = [], []
    names = index = floats = None
    header_line = last_t = None
    seen_any = seen_rows = False
    for n, text in _lines(path):
        stripped = text.strip()
        if not stripped:
            continue
        seen_any = True
        if stripped.startswith("#"):
            body = stripped[1:]
            comments.append(body[1:] if body.startswith(" ") else body)
            continue
        if index is None:
            names, index = _header_index(path, n, stripped)
            floats = list(zip(COLUMNS[1:], index[1:], strict=True))
            header_line = n
            continue
        fields = stripped.split(",")
        if len(fields) != len(names):
            raise TraceError(path, n, f"expected {len(names)} fields, got {len(fields)}")
        t = _number(path, n, "t_ms", fields[index[0]].strip(), int)
        if last_t is not None and t < last_t:
            raise TraceError(path, n, f"t_ms goes backwards: {t} after {last_t}")
        last_t = t
        rows.append([t] + [_number(path, n, c, fields[i].strip(), float) for c, i in floats])
        if len(rows) == rows_per_chunk:
            yield _chunk(path, rows, comments)
            rows, seen_rows = [], True
    if index is None:
        raise TraceError(path, 1, "no header line, only comments" if seen_any else "empty file")
    if rows:
        yield _chunk(path, rows, comments)
    elif not seen_rows:
        raise TraceError(path, header_line, "header but no data rows")


def read_trace(path):
    """The whole trace in memory (for plots and tests; iter_trace streams it instead).
    Raises TraceError naming the file and line of the first problem."""
    import numpy as np

    chunks = list(iter_trace(path))
    return Trace(
        chunks[0].path,
        np.concatenate([c.t_ms for c in chunks]),
        np.concatenate([c.accel_g for c in chunks]),
        np.concatenate([c.gyro_dps for c in chunks]),
        chunks[-1].comments,
    )


def world_units(accel_g, gyro_dps):
    """Physical values at the CSV's resolution, as integers: (N, 6) int64, accel then gyro.

    Rounded here once (np.rint: half to even on the float's product): a float's own decimal
    rounding (`f"{v:.3f}"`) breaks some ties the other way, e.g. a 0.0175 dps/LSB gyro's
    2.0825 is 2082 here but "2.083" printed, one count of a 1000 dps chip apart."""
    import numpy as np  # here, not at the top: the command line starts without it

    accel = np.rint(np.asarray(accel_g, dtype=np.float64) * ACCEL_UNIT)
    gyro = np.rint(np.asarray(gyro_dps, dtype=np.float64) * GYRO_UNIT)
    return np.hstack((accel, gyro)).astype(np.int64)


class TraceWriter:
    """Writes a trace CSV chunk by chunk (world_units' integers: accel to 1e-5 g, gyro to 1e-3
    dps); creates missing parent folders.
    `with TraceWriter(path, comments) as out: out.write(t_ms, accel, gyro)`."""

    def __init__(self, path, comments=()):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._f = path.open("w", encoding="utf-8", newline="\n")
        for comment in comments:
            self._f.write(f"# {comment}\n")
        self._f.write(",".join(COLUMNS) + "\n")

    def write(self, t_ms, accel_g, gyro_dps):
        import numpy as np

        t_ms = np.asarray(t_ms, dtype=np.int64)
        accel_g = np.asarray(accel_g, dtype=np.float64)
        gyro_dps = np.asarray(gyro_dps, dtype=np.float64)
        n = len(t_ms)
        if t_ms.shape != (n,) or accel_g.shape != (n, 3) or gyro_dps.shape != (n, 3):
            raise ValueError(f"shapes differ: {t_ms.shape}, {accel_g.shape}, {gyro_dps.shape}")
        world = world_units(accel_g, gyro_dps)  # printed back exactly: <= 15 significant digits
        accel_g, gyro_dps = world[:, :3] / ACCEL_UNIT, world[:, 3:] / GYRO_UNIT
        rows = zip(t_ms.tolist(), accel_g.tolist(), gyro_dps.tolist(), strict=True)
        for t, (ax, ay, az), (gx, gy, gz) in rows:
            self._f.write(f"{t},{ax:.5f},{ay:.5f},{az:.5f},{gx:.3f},{gy:.3f},{gz:.3f}\n")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()


def write_trace(path, t_ms, accel_g, gyro_dps, comments=()):
    """Write a whole trace CSV (TraceWriter in one go)."""
    with TraceWriter(path, comments) as out:
        out.write(t_ms, accel_g, gyro_dps)


def truth_path(csv_path):
    """The truth JSON that belongs to a trace: same path, .json instead of .csv."""
    return Path(csv_path).with_suffix(".json")


def read_truth(csv_path):
    """The truth dict beside a simulated trace (schema: docs/interfaces.md)."""
    path = truth_path(csv_path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise TraceError(path, None, f"cannot read: {err.strerror}") from None
    except UnicodeDecodeError:
        raise TraceError(path, None, "not UTF-8 text") from None
    try:
        truth = json.loads(text)
    except json.JSONDecodeError as err:
        raise TraceError(path, err.lineno, f"not valid JSON: {err.msg}") from None
    if not isinstance(truth, dict):
        raise TraceError(path, 1, "expected a JSON object")
    return truth


def write_truth(csv_path, truth):
    """Write the truth dict beside the trace; returns the JSON's path."""
    path = truth_path(csv_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
    return path
