"""Runs on the MicroPython unix port in place of firmware/main.py (calfraise.bench.soak): the
firmware as a board runs it, plus a heap report once a simulated minute, right after the main
loop's gc.collect(): micropython.mem_info() prints the heap's used bytes and its largest free
block ("max free sz", in GC blocks), which no other call gives.
"""

import micropython

from calfraise_fw import monitor
from calfraise_fw.startup import main

_collect = monitor.Monitor._collect


def _collect_and_report(self):
    _collect(self)
    if self._loops % monitor.STATS_EVERY == 0:
        micropython.mem_info()


monitor.Monitor._collect = _collect_and_report
main()
