"""pytest plugin of tools/mutate.py: runs a module's tests cheapest-to-kill first.

With `pytest -x` a mutant costs the time up to its first failing test, so the tests that kill
often and quickly go first. MUTATE_ORDER names a JSON file {nodeid: [seconds, kills]}: the
baseline run writes the seconds (MUTATE_RECORD=1), mutate.py adds the kills, and every mutant's
run sorts its tests by seconds / (1 + kills). A test the file does not know (new) goes first.
The order changes no verdict: every test still runs on a mutant that none of them kills.
"""

import json
import os
from pathlib import Path

_seconds = {}


def _table():
    path = os.environ.get("MUTATE_ORDER")
    return Path(path) if path else None


def pytest_collection_modifyitems(items):
    path = _table()
    if path is None or os.environ.get("MUTATE_RECORD") or not path.exists():
        return
    known = json.loads(path.read_text())

    def cost(item):
        seconds, kills = known.get(item.nodeid, (0.0, 0))
        return seconds / (1 + kills)

    items.sort(key=cost)  # stable: ties keep the file's order


def pytest_runtest_logreport(report):
    if os.environ.get("MUTATE_RECORD"):
        _seconds[report.nodeid] = _seconds.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish():
    path = _table()
    if path is not None and os.environ.get("MUTATE_RECORD"):
        path.write_text(json.dumps({nodeid: [s, 0] for nodeid, s in _seconds.items()}))
