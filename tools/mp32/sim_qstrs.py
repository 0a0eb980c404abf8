"""Writes the simulated hardware's names (host_tools/calfraise/device/port) as Q(name) lines for
the 32-bit port's ROM qstr pool (make mp32): on a board, machine, bluetooth and the chips' drivers
are C in the firmware image and their names are in ROM, so here the stand-ins' names must not fill
the heap's qstr pools either, where they would push the firmware's names into a bigger pool
earlier than on a board. Names the firmware or the board files use are left out (interned in the
heap, as on a board: a little more than a board, whose bluetooth and machine names are in ROM),
so the firmware gets no name for free; tests/test_memory.py checks that the build's list still
holds none of them. A name the list misses (the port changed since) is interned in the heap and
counted in the simulated hardware's footprint.

usage: python sim_qstrs.py PORT_DIR FIRMWARE_DIR BOARDS_DIR OUT.h
"""

import ast
import sys
from pathlib import Path


def names(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, ast.Attribute):
            yield node.attr
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.name
        elif isinstance(node, ast.arg):
            yield node.arg
        elif isinstance(node, ast.keyword) and node.arg:
            yield node.arg
        elif isinstance(node, ast.alias):
            yield from node.name.split(".")
            if node.asname:
                yield node.asname
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield from node.module.split(".")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value


def names_in(folder):
    """The identifiers the .py files under folder intern (and their module names)."""
    found = set()
    for path in Path(folder).rglob("*.py"):
        found.update(n for n in names(ast.parse(path.read_text())) if n.isidentifier())
        found.add(path.stem)
    return found


def main(port, firmware, boards, out):
    sim = names_in(port) - names_in(firmware) - names_in(boards)
    lines = ["// the simulated hardware's names (tools/mp32/sim_qstrs.py)"]
    lines += [f"Q({name})" for name in sorted(sim)]
    Path(out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
