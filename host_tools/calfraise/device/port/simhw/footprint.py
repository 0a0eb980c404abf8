"""Prints the heap the simulated hardware itself takes (its modules, chips and trace buffers),
so that `calfraise device run --heap 100K` can give the firmware its whole 100 KB on top:
on a board none of this is in the heap."""

import gc

gc.collect()
before = gc.mem_alloc()
import machine  # noqa: E402, F401  (the simulated hardware: bus, chips, world, clock)
import neopixel  # noqa: E402, F401

machine.I2C(0)  # builds the bus: chip models and the trace player
gc.collect()
print(gc.mem_alloc() - before)
