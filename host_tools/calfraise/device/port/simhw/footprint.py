"""Prints the heap the simulated hardware itself takes (its modules, chips, trace buffers, the
radio and the port's stand-ins for built-in modules), so that `calfraise device run --heap N`
can give the firmware its whole N on top: on a board none of this is in the heap."""

import gc

gc.collect()
before = gc.mem_alloc()
import select  # noqa: E402, F401  (built into a board's firmware; a .py file here)

import bluetooth  # noqa: E402, F401  (the radio: a socket to the host's BLE bridge)
import esp32  # noqa: E402, F401  (the wake sources)
import machine  # noqa: E402  (the simulated hardware: bus, chips, world, clock)
import neopixel  # noqa: E402, F401

machine.I2C(0)  # builds the bus: chip models and the trace player
gc.collect()
print(gc.mem_alloc() - before)
