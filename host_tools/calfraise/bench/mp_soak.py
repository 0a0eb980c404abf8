"""Runs on the MicroPython unix port in place of firmware/main.py (calfraise.bench.soak): the
firmware as a board runs it, plus a heap report once a minute of the board's clock, right after
the main loop's gc.collect(): micropython.mem_info() prints the heap's used bytes and its
largest free block ("max free sz", in GC blocks), which no other call gives. The board's clock,
not the loop's count of seconds, paces the reports: the loop stands still while the CPU
light-sleeps between FIFO drains.
"""

import gc

gc.threshold(2048)  # as main.py boots
import time  # noqa: E402

import micropython  # noqa: E402

from calfraise_fw import monitor  # noqa: E402
from calfraise_fw.startup import main  # noqa: E402

REPORT_MS = 60_000
_collect = monitor.Monitor._collect
_due = []  # ticks_ms of the next report, once the first is printed


def _collect_and_report(self):
    _collect(self)
    now = time.ticks_ms()
    if not _due or time.ticks_diff(now, _due[0]) >= 0:
        micropython.mem_info()
        if _due:
            _due[0] = time.ticks_add(_due[0], REPORT_MS)
        else:
            _due.append(time.ticks_add(now, REPORT_MS))


monitor.Monitor._collect = _collect_and_report
app = main()
del main  # as main.py: startup's module leaves the heap
app.main()
