"""Mutation testing: how many small deliberate bugs does the suite catch where a silent bug
costs the athlete data or a wrong count?

`make mutate` (a benchmark, not part of `make test`). For every module in TARGETS it makes one
mutant per token it can change (a comparison flipped, + for -, a number off by one, and/or
swapped, a `not` dropped), writes it over the module, runs that module's own tests (pytest -x:
the first failure kills the mutant) and puts the original back. It reports the share killed per
module and lists the survivors, which docs/testing.md explains or a new test kills. The tests
run cheapest-to-kill first (tools/mutate_order.py), so a killed mutant costs seconds.

    python tools/mutate.py [--module records] [--limit N] [--report build/mutate/report.md]
                           [--tests tests/test_x.py ...] [--timeout S] [--shard K/N]
    python tools/mutate.py --module storage --survivors build/mutate/report.md  # after new tests
    python tools/mutate.py --module detector --function _hold_pending  # one function's mutants

Mutants are token edits, so the module keeps its formatting; one that no longer compiles is not
counted. The file's mtime moves forward on every write so that .mpy and .pyc caches (which
compare mtimes) never run a stale copy. Interrupted runs restore the original in `finally`.
"""

import argparse
import ast
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# module -> (tests that guard it, functions to mutate or None for the whole module)
TARGETS = {
    "records": (
        "firmware/calfraise_fw/records.py",
        ["tests/test_records.py", "tests/test_storage.py", "tests/test_host_db.py"],
        None,
    ),
    "protocol": (
        "firmware/calfraise_fw/protocol.py",
        ["tests/test_protocol.py"],
        None,
    ),
    "storage": (
        "firmware/calfraise_fw/storage.py",
        ["tests/test_storage.py", "tests/test_power_cut.py"],
        None,
    ),
    "sync": (
        "host_tools/calfraise/host/sync.py",
        ["tests/test_sync.py"],
        None,
    ),
    "importer": (
        "host_tools/calfraise/host/importer.py",
        ["tests/test_host_db.py", "tests/test_export.py"],
        None,
    ),
    "export": (
        "host_tools/calfraise/host/export.py",
        [
            "tests/test_export.py",
            # write_output and save: -o - reported on stderr; a full disk or a folder not
            # the user's leaves no partial file and says why
            "tests/test_cli_tidy.py::test_dash_writes_to_stdout_and_reports_on_stderr",
            "tests/test_host_errors.py::test_a_full_disk_for_an_output_file_is_one_line",
            "tests/test_host_errors.py::test_a_disk_full_mid_write_leaves_no_partial_output",
            "tests/test_host_errors.py::test_an_output_folder_the_user_may_not_write_is_named_as_such",
        ],
        None,
    ),
    "fitfile": (
        "host_tools/calfraise/host/fitfile.py",
        ["tests/test_export.py"],
        None,
    ),
    # the per-rep field computations: where a rep's times, amplitude, set and number come from;
    # the tests of rep fields, not the counting properties (a minute of walking and standing)
    "detector": (
        "firmware/calfraise_fw/detector.py",
        [
            "tests/test_rep_timing.py",
            "tests/test_rep_fields.py",
            "tests/test_detector_mutants.py",  # written for the survivors (docs/testing.md)
            *(
                f"tests/test_detector.py::test_{name}"
                for name in (
                    "rep_fields_derive_from_the_four_times",
                    "partial_reps_count_and_are_flagged",
                    "fast_and_slow_reps_count_and_are_timed",
                    "a_long_rest_starts_a_new_set",
                    "a_rep_that_straddles_the_set_gap_stays_in_its_set",
                    "session_state_for_the_app",
                    "micropython_gives_the_same_reps_without_allocating",
                    "toe_raises_after_a_set_do_not_count",
                )
            ),
            # crossing() and the amplitude's integers within +-2**29 (the 32-bit port's check
            # skips itself without build/mp32)
            "tests/test_detector_ranges.py::"
            "test_a_reps_crossings_and_amplitude_stay_within_29_bits",
            # a partial rep's flag and amplitude under the 6 degree floor (_past_top's exception)
            "tests/test_partial_reps.py",
            # a rise from a rest off the one the signal is measured from: _hold_pending's walk
            "tests/test_detector_conditions.py::"
            "test_a_stance_up_to_10_degrees_off_the_rests_counts_every_rep",
            # the set's lever (_pivots) and the rhythm that opens a set (_emit, _close_set)
            "tests/test_detector_exercises.py::"
            "test_a_turn_about_another_point_than_the_sets_ball_counts_no_rep",
            "tests/test_detector_exercises.py::"
            "test_a_slow_set_opened_by_its_second_rep_stays_one_set",
        ],
        {
            "up_ms",
            "hold_ms",
            "down_ms",
            "amplitude_deg",
            "as_dict",
            "isqrt",
            "_u",  # the ring's stored tilt, as every per-rep reader decodes it
            "chord2_to_cdeg",
            "crossing",
            "_past_top",
            "_hold_pending",
            "_emit",
            "_fell_below",
            "_landed",  # the lower's and the end's crossings (main, ea49055)
            "_land",  # the end of a rep that lands elsewhere
            "_rise_from",  # start, top and amplitude of a rise from a drifted rest
            "_quickest",  # the quickest rise a rep's amplitude allows
        },
    ),
}

SWAPS = {
    "<": "<=",
    "<=": "<",
    ">": ">=",
    ">=": ">",
    "==": "!=",
    "!=": "==",
    "+": "-",
    "-": "+",
    "*": "//",
    "//": "*",
    "<<": ">>",
    ">>": "<<",
    "&": "|",
    "|": "&",
    "+=": "-=",
    "-=": "+=",
}
NAMES = {"and": "or", "or": "and", "True": "False", "False": "True"}


@dataclass
class Mutant:
    line: int
    col: int
    old: str
    new: str
    key: str = ""  # its identity without line numbers (`identify`): what --limit samples by

    def describe(self):
        return f"line {self.line}:{self.col}: `{self.old}` -> `{self.new or '(removed)'}`"


@dataclass
class Outcome:
    module: str
    killed: int = 0
    survivors: list = field(default_factory=list)
    uncompilable: int = 0
    seconds: float = 0.0
    rechecked: int = 0  # with --survivors: the earlier run's survivors run again, the rest killed
    timeouts: list = field(default_factory=list)  # killed by --timeout: a hang, or a slow machine

    @property
    def total(self):
        return self.killed + len(self.survivors)


def mutable_lines(source, functions):
    """{line number: the function's name} for the lines whose tokens may be mutated: code, not
    docstrings or constant tables (a nested function's lines are named by the innermost)."""
    tree = ast.parse(source)
    lines = {}
    for node in ast.walk(tree):  # outer functions before the ones inside them
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
            functions is None or node.name in functions
        ):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]  # the docstring
            for stmt in body:
                lines.update(dict.fromkeys(range(stmt.lineno, stmt.end_lineno + 1), node.name))
    return lines


def mutants(source, functions):
    """Every single-token change on the mutable lines, in file order."""
    lines = mutable_lines(source, functions)
    out = []
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    for tok in tokens:
        (line, col), text = tok.start, tok.string
        if line not in lines:
            continue
        if tok.type == tokenize.OP and text in SWAPS:
            out.append(Mutant(line, col, text, SWAPS[text]))
        elif tok.type == tokenize.NAME and text in NAMES:
            out.append(Mutant(line, col, text, NAMES[text]))
        elif tok.type == tokenize.NAME and text == "not":
            out.append(Mutant(line, col, "not ", ""))
        elif tok.type == tokenize.NUMBER and text.isdigit():
            out.append(Mutant(line, col, text, str(int(text) + 1)))
    identify(out, source.splitlines(), lines)
    return out


def identify(found, source_lines, functions):
    """Gives each mutant a key that no edit elsewhere in the module changes: its function's
    name, the text of its line (stripped), the change, and how many mutants before it in that
    function share those three (two `<` on one line, or two lines alike)."""
    seen = {}
    for m in found:
        base = (functions[m.line], source_lines[m.line - 1].strip(), m.old, m.new)
        seen[base] = seen.get(base, -1) + 1
        m.key = "\x1f".join([*base, str(seen[base])])


def sample(found, limit):
    """The `limit` mutants whose keys hash lowest, in file order: a pseudo-random sample that
    keeps every mutant whose function, line and change stay as they were, whatever moved around
    them (an edit adds or drops only the mutants it touches, and shifts the cut by a few)."""
    if not limit or limit >= len(found):
        return found
    rank = sorted(found, key=lambda m: hashlib.sha256(m.key.encode()).digest())
    kept = {id(m) for m in rank[:limit]}
    return [m for m in found if id(m) in kept]


def apply(source, mutant):
    lines = source.splitlines(keepends=True)
    text = lines[mutant.line - 1]
    assert text[mutant.col :].startswith(mutant.old), (mutant, text)
    lines[mutant.line - 1] = text[: mutant.col] + mutant.new + text[mutant.col + len(mutant.old) :]
    return "".join(lines)


class Writer:
    """Writes versions of one file with ever-later mtimes, and puts the original back."""

    def __init__(self, path):
        self.path = path
        self.original = path.read_text()
        self.clock = max(time.time(), path.stat().st_mtime) + 2

    def write(self, text):
        self.path.write_text(text)
        self.clock += 2
        os.utime(self.path, (self.clock, self.clock))
        for cached in self.path.parent.glob(f"__pycache__/{self.path.stem}.*.pyc"):
            cached.unlink()

    def restore(self):
        self.write(self.original)


def run_tests(tests, timeout, order, record=False):
    """True if the tests fail (the mutant is killed); a hang counts as killed too, as "timeout".

    order: the JSON table of tools/mutate_order.py (cheapest-to-kill tests first); the test that
    killed the mutant has its kills counted there."""
    env = {
        **os.environ,
        "PYTHONDONTWRITEBYTECODE": "1",
        "MUTATE_ORDER": str(order),
        "PYTHONPATH": os.pathsep.join([str(REPO / "tools"), os.environ.get("PYTHONPATH", "")]),
    }
    if record:
        env["MUTATE_RECORD"] = "1"
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "mutate_order",
        "--no-header",
        *tests,
    ]
    try:
        proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    if proc.returncode != 0 and not record:
        _count_kill(order, proc.stdout.decode(errors="replace"))
    return proc.returncode != 0


def _count_kill(order, output):
    """Credits the failing test (pytest -ra's "FAILED nodeid - why" line) with one more kill."""
    table = json.loads(order.read_text())
    for line in output.splitlines():
        words = line.split()
        if len(words) > 1 and words[0] in ("FAILED", "ERROR") and words[1] in table:
            table[words[1]][1] += 1
            order.write_text(json.dumps(table))
            return


def listed_survivors(report_text, name):
    """(mutants, survivors as (line, col or None, old, new)) of module `name` in a report."""
    total = None
    survivors = []
    section = None
    for line in report_text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("|") and cells[0] == name:
            total = int(cells[1])
        elif line.startswith("## "):
            section = line.split()[3] if line.startswith("## Survivors in ") else None
        elif section == name and line.startswith("- line "):
            where, old, _arrow, new = line[len("- line ") :].split("`")[:4]
            at = where.rstrip(": ").split(":")
            new = "" if new == "(removed)" else new
            survivors.append((int(at[0]), int(at[1]) if len(at) > 1 else None, old, new))
    if total is None:
        raise SystemExit(f"mutate: the report has no row for {name}")
    return total, survivors


def mutate_module(
    name,
    limit,
    progress,
    earlier=None,
    tests=None,
    timeout=None,
    shard=(1, 1),
    partial=None,
    only=None,
):
    """partial(outcome, note): called after every mutant, so a run stopped early still reports.
    only: mutate just these of the module's functions (the same mutants a whole run makes
    there, so a --limit sample picks the same ones)."""
    rel, guards, functions = TARGETS[name]
    tests = tests or guards
    path = REPO / rel
    tests = [t for t in tests if (REPO / t.split("::")[0]).exists()]  # a file or a test in it
    writer = Writer(path)
    outcome = Outcome(name)
    order = REPO / "build" / "mutate" / f"{name}.order.json"
    order.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if run_tests(tests, 1800, order, record=True):
        raise SystemExit(f"mutate: the tests of {name} fail without a mutant: {' '.join(tests)}")
    timeout = timeout or max(20, 5 * (time.monotonic() - started))  # a hang is killed
    todo = mutants(writer.original, functions)
    todo = sample(todo, limit)
    if only:
        unknown = set(only) - (functions or set(only))
        if unknown:
            raise SystemExit(f"mutate: {name} mutates no function {', '.join(sorted(unknown))}")
        lines = mutable_lines(writer.original, set(only))
        todo = [m for m in todo if m.line in lines]
    todo = todo[shard[0] - 1 :: shard[1]]
    if earlier is not None:  # the survivors of an earlier run
        total, last = listed_survivors(earlier, name)
        todo = [
            m
            for m in todo
            if any(
                (m.line, m.old, m.new) == (ln, old, new) and col in (None, m.col)
                for ln, col, old, new in last
            )
        ]
        outcome.killed = total - len(todo)
        outcome.rechecked = len(todo)
    try:
        for i, mutant in enumerate(todo, 1):
            text = apply(writer.original, mutant)
            try:
                compile(text, str(path), "exec")
            except SyntaxError:
                outcome.uncompilable += 1
                continue
            writer.write(text)
            verdict = run_tests(tests, timeout, order)
            if verdict:
                outcome.killed += 1
                if verdict == "timeout":
                    outcome.timeouts.append(mutant)
            else:
                outcome.survivors.append(mutant)
            progress(f"{name}: {i}/{len(todo)}, {len(outcome.survivors)} survived")
            if partial:
                outcome.seconds = time.monotonic() - started
                partial(outcome, f"{i} of {len(todo)} run")
    finally:
        writer.restore()
    outcome.seconds = time.monotonic() - started
    return outcome


def report(outcomes, seconds):
    rows = ["| module | mutants | killed | share | minutes |", "|---|---:|---:|---:|---:|"]
    for o in outcomes:
        share = 100 * o.killed / o.total if o.total else 100.0
        minutes = f"{o.seconds / 60:.1f}" + (f" ({o.rechecked} rechecked)" if o.rechecked else "")
        rows.append(f"| {o.module} | {o.total} | {o.killed} | {share:.1f} % | {minutes} |")
    text = "\n".join(rows) + f"\n\n{seconds / 60:.1f} minutes.\n"
    for o in outcomes:
        if o.survivors:
            text += f"\n## Survivors in {o.module} ({TARGETS[o.module][0]})\n"
            text += "".join(f"- {m.describe()}\n" for m in o.survivors)
        if o.timeouts:  # counted as killed: a hang, unless the machine was too slow for it
            text += f"\n## Killed by the timeout in {o.module}\n"
            text += "".join(f"- {m.describe()}\n" for m in o.timeouts)
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--module",
        action="append",
        choices=sorted(TARGETS),
        help="only these modules (repeatable); default all",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=0,
        help="at most N mutants per module, picked by a hash of each one's function, line "
        "text and change: the same sample after edits elsewhere (0: all)",
    )
    parser.add_argument(
        "--report",
        default="build/mutate/report.md",
        help="where the table and the survivors go (default %(default)s)",
    )
    parser.add_argument(
        "--tests",
        nargs="+",
        metavar="TEST",
        help="run these tests instead of the module's (a quick first pass that "
        "leaves a slow test to --survivors)",
    )
    parser.add_argument(
        "--survivors",
        metavar="REPORT",
        help="run only the survivors listed in REPORT (an earlier run's), e.g. "
        "after writing tests for them; the other mutants count as killed",
    )
    parser.add_argument(
        "--shard",
        default="1/1",
        metavar="K/N",
        help="only every Nth mutant from the Kth: N runs (in N copies of the "
        "repository, one per core) add up to one full run",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        help="seconds a mutant's tests may take (default: 5 times the tests' run without one)",
    )
    parser.add_argument(
        "--function",
        action="append",
        metavar="NAME",
        help="only the mutants inside this function (repeatable; one of the module's mutated "
        "functions): iterate on the tests of one function",
    )
    args = parser.parse_args(argv)
    earlier = (REPO / args.survivors).read_text() if args.survivors else None
    shard = tuple(int(k) for k in args.shard.split("/"))
    if earlier is not None and shard != (1, 1):
        parser.error("--survivors rechecks a whole report: no --shard")

    def progress(text):
        print(f"\r{text:70}", end="", file=sys.stderr, flush=True)

    signal.signal(signal.SIGTERM, _terminated)  # so that `finally` puts the module back
    started = time.monotonic()
    out = REPO / args.report
    out.parent.mkdir(parents=True, exist_ok=True)
    outcomes = []

    def partial(outcome, note):  # the report so far, the module under way marked as such
        text = report([*outcomes, outcome], time.monotonic() - started)
        out.write_text(f"{outcome.module}: {note} (stopped early, the rows are what ran)\n\n{text}")

    for module in args.module or TARGETS:
        outcomes.append(
            mutate_module(
                module,
                args.limit,
                progress,
                earlier,
                args.tests,
                args.timeout,
                shard,
                partial,
                args.function,
            )
        )
        out.write_text(report(outcomes, time.monotonic() - started))  # kept as it grows
    print(file=sys.stderr)
    print(out.read_text())
    print(f"written to {args.report}")


def _terminated(_signum, _frame):
    raise SystemExit("mutate: terminated; the module under test was restored")


if __name__ == "__main__":
    main()
