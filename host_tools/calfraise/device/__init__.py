"""The firmware on this PC: the unix port of MicroPython running firmware/main.py over the
simulated hardware in port/ (`calfraise device run`)."""

from pathlib import Path

PORT = Path(__file__).resolve().parent / "port"  # the fake machine, time, select, simhw
