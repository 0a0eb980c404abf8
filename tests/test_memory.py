"""The firmware's heap on the 32-bit unix port (`make mp32`), where objects and GC blocks have
their ESP32 size: a long session and the sync of an hour-long session fit the budget, and a soak
of sessions, live views, reconnects and syncs neither grows the heap nor fragments it (in the
soak's heap: fragmentation needs more room than the budget).

Three deployments, each with its own budget: the modules run in place from a ROMFS image, as from
a board's romfs partition (code and constants in flash: runner.HEAP_ROMFS), frozen into the
interpreter, as into a board's MicroPython image (code, constants and names in its ROM:
runner.HEAP_FROZEN; its soak at issue 13's 64K), and as .mpy files on the filesystem, loaded into
the heap (runner.HEAP_32). The goal for all is 64K (docs/benchmark.md says what is left).

The simulated hardware's own heap is measured first and given on top (runner.prepared()), and
the simulated radio receives outside the budget, as a board's radio does: the budgets are the
firmware's alone.
"""

import asyncio
from contextlib import closing

import pytest

from calfraise.bench.ble import session_file, write_flash
from calfraise.bench.device import long_session
from calfraise.bench.soak import (
    LARGEST_FREE,
    SOAK_HEAP,
    SOAK_HEAP_FROZEN,
    SOAK_HEAP_ROMFS,
    growth,
    soak,
)
from calfraise.bench.storage import schedule
from calfraise.device.runner import FROZEN, HEAP_32, HEAP_FROZEN, HEAP_ROMFS, run_device
from calfraise.host.db import open_db
from calfraise.host.discovery import find
from calfraise.host.radio import virtual_radio
from calfraise.host.sync import Sync
from conftest import require_mp32

# deployment -> (the firmware's heap budget, the soak's heap); the goal is 64K for all
BUDGETS = {
    "romfs": (HEAP_ROMFS, SOAK_HEAP_ROMFS),
    "frozen": (HEAP_FROZEN, SOAK_HEAP_FROZEN),
    "mpy_files": (HEAP_32, SOAK_HEAP),
}
SESSION_MIN = 30
AFTER_MS = 65_000  # the board stays on after the trace
SOAK_HOURS = 0.5  # of the board's clock; `make bench` soaks for 8 hours (bench.soak)
GROWTH_SLACK = 512  # bytes the soak's second half may peak above its first


@pytest.fixture(scope="module")
def hour_image(tmp_path_factory):
    """A flash image holding one finished, unsynced session an hour long; (image, its reps)."""
    require_mp32()
    image = tmp_path_factory.mktemp("hour") / "flash.img"
    hour = schedule(typical=0)["hour"]
    data = session_file(1, hour["events"], hour["duration_ms"])
    write_flash(image, {"sessions/000001.cfs": data})
    return image, sum(1 for e in hour["events"] if e[0] == "r")


@pytest.fixture(scope="module")
def long_trace(tmp_path_factory):
    csv = tmp_path_factory.mktemp("long") / "long.csv"
    long_session(csv, SESSION_MIN)
    return csv


@pytest.fixture(scope="module", params=sorted(BUDGETS))
def deployment(request):
    """(the deployment, the firmware's heap budget, the soak's heap) of each."""
    if request.param == "frozen":
        require_mp32(FROZEN)
    return request.param, *BUDGETS[request.param]


@pytest.fixture(scope="module")
def budget_run(long_trace, hour_image, deployment, tmp_path_factory):
    """30 minutes of sessions recorded in the budget beside the unsynced hour, on a copy of the
    hour's image; (the run, that image as the power-off left it)."""
    modules, budget, _ = deployment
    image = tmp_path_factory.mktemp("budget") / "flash.img"
    image.write_bytes(hour_image[0].read_bytes())
    options = {"heap": budget, "bits": 32, "deployment": modules, "after_ms": AFTER_MS}
    run = run_device(long_trace, flash=image, **options)
    return run, image


@pytest.fixture(scope="module")
def roomy_reps(long_trace):
    return reps(run_device(long_trace, after_ms=AFTER_MS))


def reps(run):
    return [(r["set"], r["rep"], r["start_ms"], r["end_ms"]) for r in run.of_type("rep")]


def test_a_long_session_fits_the_budget(budget_run, roomy_reps):
    """No MemoryError, and the same reps as the 64-bit port reports with room to spare."""
    run, _ = budget_run
    assert run.returncode == 0, run.stderr
    assert "MemoryError" not in run.stderr
    assert run.of_type("error") == []
    assert run.of_type("stats")[-1]["events_dropped"] == 0
    assert reps(run) == roomy_reps and len(roomy_reps) > 100


async def _sync(image, db_path, deployment):
    modules, budget, _ = deployment
    async with virtual_radio(None, flash=image, heap=budget, bits=32, deployment=modules) as radio:
        with closing(open_db(db_path)) as db:
            result = await Sync(radio, await find(radio), db, lambda _d: None, print).run()
        return result, radio.device


def test_syncing_an_hour_fits_the_budget(tmp_path, hour_image, budget_run, deployment):
    """A sync in the budget hands over the hour and the sessions recorded since, every rep."""
    _, hour_reps = hour_image
    run, image = budget_run
    result, device = asyncio.run(_sync(image, tmp_path / "db.sqlite", deployment))
    output = "".join(device.output)
    assert "MemoryError" not in output, output
    assert [e for e in device.events if e["type"] == "error"] == []
    assert len(result.stored) >= 2 and result.recording == []
    assert sum(s.reps for s in result.stored) == hour_reps + len(reps(run))


def test_a_soak_neither_grows_nor_fragments_the_heap(deployment):
    """Sessions with rests and a host coming back for a live view and a sync, in the soak's
    heap: after every minute's gc the heap keeps a free block of LARGEST_FREE, and its second
    half peaks no higher than its first."""
    require_mp32()
    modules, _, soak_heap = deployment
    figures = soak(SOAK_HOURS, soak_heap, modules)
    reports = figures["reports"]
    assert figures["memory_errors"] == 0 and figures["errors"] == []
    assert figures["returncodes"] == []  # no reset, no crash
    # pairing runs in real time on the virtual link while the replay runs ahead, so a visit can
    # take longer than its 5 simulated minutes: 3 visits in half an hour, each a live view + sync
    assert figures["visits"] >= 3 and figures["synced"] >= 1 and figures["reps"] > 0
    assert len(reports) == int(SOAK_HOURS * 60)
    assert min(largest for _used, largest in reports) >= LARGEST_FREE
    first, second = growth(reports)
    assert second <= first + GROWTH_SLACK
