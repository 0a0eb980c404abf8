"""The heap the firmware keeps alive, measured on the unix port with the modules compiled as
`calfraise device run` compiles them (runner.build()): each module's import cost, and the live
heap once the app is built on a board's simulated hardware (the IMU lying still: no trace).

Measured on the 32-bit unix port (`make mp32`), where objects and GC blocks have their ESP32
size (the PyPI port is 64-bit: about 1.45x these figures). Interned names
(qstrs) are counted too: they sit in pools that double when full, so one name too many can cost
a whole new pool at once.
"""

import ast
import json
import re
import subprocess
from graphlib import TopologicalSorter
from itertools import pairwise
from pathlib import Path

from calfraise.device import BOARDS, FIRMWARE, runner

MP_MEMORY = Path(__file__).with_name("mp_memory.py")
HEAP = "2M"  # room enough that the measurement never runs short
RUN_MS = 2000  # simulated ms the app runs after boot (tasks started, the IMU read)
QSTR_INFO = re.compile(
    r"qstr pool: n_pool=(\d+), n_qstr=(\d+), n_str_data_bytes=(\d+), n_total_bytes=(\d+)"
)


def _source(module):
    """The source text of a firmware or board module ("" for a folder without __init__.py)."""
    root = BOARDS.parent if module.startswith("boards") else FIRMWARE
    path = root.joinpath(*module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    return path.read_text() if path.exists() else ""


def _imports(module, known):
    """The modules among `known` that `module` imports when it loads (top-level statements),
    with the packages they belong to."""
    found = set()
    for node in ast.parse(_source(module)).body:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    parts = module.split(".")
    found.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return (found & known) - {module}


def _run(launch, deployment, *args):
    """mp_memory.py's JSON result, and its qstr_info() lines as (pools, qstrs, heap bytes): with
    romfs the names' characters stay in the image (qstr_info counts them all the same); frozen,
    the modules' names are in the interpreter's ROM pools, which qstr_info leaves out."""
    argv = launch.command(MP_MEMORY, HEAP, *args)
    proc = subprocess.run(argv, env=launch.env, cwd=launch.cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"mp_memory.py {args[0]} failed:\n{proc.stdout}{proc.stderr}")
    lines = proc.stdout.splitlines()
    found = [tuple(map(int, m.groups())) for m in map(QSTR_INFO.match, lines) if m]
    romfs = deployment == "romfs"
    qstrs = [(pools, n, total - chars if romfs else total) for pools, n, chars, total in found]
    return json.loads(lines[-1]), qstrs


def module_costs(board="sim", run_ms=RUN_MS, bits=32, deployment="mpy_files"):
    """What the firmware keeps in the heap on `board`'s simulated hardware, in bytes:

    modules: [{"module", "bytes", "qstrs": names it interned, "qstr_bytes": of its bytes, those
    the names take (with a whole new pool if it needed one), "with": modules it brought
    along}, ...] in import order, dependencies first (so each costs only itself);
    boot: the firmware once the app is built, as startup.main() builds it; parts: [(what App()
    builds, bytes it keeps), ...], the objects and buffers of the boot figure; running: the same
    after run_ms simulated ms; qstrs, qstr_bytes, qstr_pools: the names the firmware interned
    by boot, the heap they take and the pools holding all names then; sim: the simulated
    hardware's own bytes (not in the others); bits: of the unix port; deployment: how the modules
    reach it (runner.DEPLOYMENTS)."""
    options = {"board": board, "script": MP_MEMORY, "bits": bits, "deployment": deployment}
    with runner.prepared(None, **options) as launch:
        booted, (sim_q, boot_q) = _run(launch, deployment, "boot", run_ms)
        loaded = set(booted["loaded"])
        order = TopologicalSorter({m: _imports(m, loaded) for m in sorted(loaded)}).static_order()
        imported, qstrs = _run(launch, deployment, "imports", *order)
    modules = [
        {
            "module": name,
            "bytes": cost,
            "qstrs": after[1] - before[1],
            "qstr_bytes": after[2] - before[2],
            "with": came,
        }
        for (name, cost, came), (before, after) in zip(
            imported["modules"], pairwise(qstrs), strict=True
        )
    ]
    return {
        "modules": modules,
        "boot": booted["boot"],
        "running": booted["running"],
        "run_ms": run_ms,
        "qstrs": boot_q[1] - sim_q[1],
        "qstr_bytes": boot_q[2] - sim_q[2],
        "qstr_pools": boot_q[0],
        "sim": booted["sim"],
        "parts": booted["parts"],
        "bits": bits,
        "deployment": deployment,
    }


def memory_table(costs):
    """Markdown rows of module_costs(), the costliest module first, and a note on the names."""
    rows = ["| module | bytes | of which names | names |", "|---|---|---|---|"]
    for m in sorted(costs["modules"], key=lambda m: -m["bytes"]):
        came = f" (with {', '.join(m['with'])})" if m["with"] else ""
        rows.append(
            f"| {m['module']}{came} | {m['bytes']:,} | {m['qstr_bytes']:,} | {m['qstrs']} |"
        )
    rows += [
        f"| **the app built (boot)** | **{costs['boot']:,}** | {costs['qstr_bytes']:,} "
        f"| {costs['qstrs']} |",
        f"| the app after {costs['run_ms'] / 1000:g} s running | {costs['running']:,} | | |",
        "",
        f"Bytes on the {costs['bits']}-bit unix port, the simulated hardware left out"
        + {
            "mpy_files": ", the modules as .mpy files on the filesystem",
            "romfs": ", the modules run in place from a ROMFS image (their names' characters too)",
            "frozen": ", the modules frozen into the interpreter (their names in its ROM)",
        }[costs["deployment"]]
        + f". Names "
        f"(qstrs) sit in {costs['qstr_pools']} pools, the simulated hardware's included; when "
        "the last is full the next one is twice its size, so one name more can cost a new pool "
        "at once "
        '(that module\'s "of which names" shows it).',
    ]
    return "\n".join(rows)


def parts_table(costs):
    """Markdown rows of module_costs()'s parts: what the app's objects keep, the costliest
    first (the modules' own cost is in memory_table)."""
    rows = ["| what App() builds | bytes |", "|---|---|"]
    for name, cost in sorted(costs["parts"], key=lambda p: -p[1]):
        rows.append(f"| {name} | {cost:,} |")
    rows.append(f"| **all of them** | **{sum(c for _, c in costs['parts']):,}** |")
    return "\n".join(rows)
