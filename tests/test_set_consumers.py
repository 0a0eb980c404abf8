"""One set truth in every host consumer of the database: `sessions`, `show` (text and JSON),
`plot` (its title and per-set table, read from the SVG), the web page of `calfraise serve`,
`progress`, and the CSV/JSON/FIT exports give each set the device's count.

The sessions are the awkward ones: a rep that starts inside the set gap and ends after it,
partial reps, a last set whose SET_END was never written (a power cut mid-set), and a set
whose reps were counted but not all stored (a full flash). tests/test_set_truth.py checks the
same over the real firmware; these run in a second.
"""

import asyncio
import json
import re
from argparse import Namespace
from contextlib import closing
from datetime import date

import pytest
from aiohttp.test_utils import TestClient, TestServer

from calfraise.host.db import open_db
from calfraise.host.export import encode
from calfraise.host.importer import import_session
from calfraise.host.plan import Plan
from calfraise.host.progress import progress
from calfraise.host.queries import load_session
from calfraise.web.server import make_app
from host_sessions import WALL_MS, run_cli, session_file, workout
from set_readers import fit_set_counts, plot_counts, web_counts

SET_GAP_MS = 12_000


def straddling_power_cut():
    """3 sets of 5: set 1's third rep starts 11.7 s after the second ended and ends after the
    gap; a partial rep in each set; set 3 never closed (no SET_END, no END)."""
    reps = workout(sets=3, reps_per_set=5, rest_ms=20_000)
    for r in reps[2:]:
        for name in ("start_ms", "top_ms", "lower_ms", "end_ms"):
            r[name] += 11_000
    assert (
        reps[2]["start_ms"] - reps[1]["end_ms"] < SET_GAP_MS < reps[2]["end_ms"] - reps[1]["end_ms"]
    )
    reps[1]["partial"] = True
    counts = {1: 5, 2: 5, 3: 5}
    return session_file(1, reps, open_sets={3}, end=None), counts, {3}, counts


def full_flash():
    """2 sets of 6, the last three reps counted but not stored (the CSV has a row per stored
    rep: 6 and 3)."""
    reps = workout(sets=2, reps_per_set=6)
    data = session_file(2, reps, lost={9, 10, 11}, end="full")
    return data, {1: 6, 2: 6}, set(), {1: 6, 2: 3}


SESSIONS = (straddling_power_cut, full_flash)


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("sets") / "calfraise.db"
    with closing(open_db(path)) as db:
        for make in SESSIONS:
            import_session(db, "CF-1", make()[0])
    return path


async def fetch(app, path):
    async with TestClient(TestServer(app)) as client:
        response = await client.get(path)
        assert response.status == 200
        return await response.text()


@pytest.mark.parametrize("sid", [1, 2])
def test_every_consumer_counts_the_devices_sets(db_path, sid, capsys, tmp_path):
    _, counts, open_sets, stored = SESSIONS[sid - 1]()
    total, n_sets = sum(counts.values()), len(counts)

    code, out, _ = run_cli(capsys, "--db", db_path, "sessions", "--json")
    [summary] = [s for s in json.loads(out) if s["id"] == sid]
    assert (summary["sets"], summary["reps"]) == (n_sets, total)

    code, out, _ = run_cli(capsys, "--db", db_path, "show", "--json", sid)
    doc = json.loads(out)
    assert {s["set"]: s["reps"] for s in doc["sets"]} == counts
    assert {s["set"] for s in doc["sets"] if not s["ended"]} == open_sets

    code, out, _ = run_cli(capsys, "--db", db_path, "show", sid)
    assert code == 0
    shown = {int(s): int(n) for s, n in re.findall(r"Set (\d+): (\d+) reps", out)}
    assert shown == counts
    assert out.count("(end not recorded)") == len(open_sets)
    assert f"Total: {n_sets} sets, {total} reps" in out

    svg = tmp_path / "plot.svg"
    assert run_cli(capsys, "--db", db_path, "plot", sid, "-o", svg)[0] == 0
    assert plot_counts(svg.read_text()) == (n_sets, total, counts)

    app = make_app(db_path, Namespace(sim=None, sim_flash=None, sim_drop_after=None, device=None))
    assert web_counts(asyncio.run(fetch(app, f"/session/{sid}"))) == (total, counts)

    with closing(open_db(db_path, create=False)) as db:
        session = load_session(db, sid)
        report = progress(db, 4, date.fromtimestamp(WALL_MS / 1000), Plan(reps=5))
    [stats] = [s for s in report["sessions"] if s["id"] == sid]
    assert (stats["sets"], stats["reps"]) == (n_sets, total)
    assert stats["most_reps_in_a_set"] == max(counts.values())
    assert sum(w["reps"] for w in report["weeks"]) == sum(
        sum(make()[1].values()) for make in SESSIONS
    )

    assert {s["set"]: s["reps"] for s in json.loads(encode(session, "json"))["sets"]} == counts
    assert fit_set_counts(encode(session, "fit")) == [counts[n] for n in sorted(counts)]
    csv_sets = [int(row.split(",")[0]) for row in encode(session, "csv").decode().splitlines()[1:]]
    assert {n: csv_sets.count(n) for n in set(csv_sets)} == stored  # a row per stored rep
