"""CPython stand-in for MicroPython's built-in `micropython` module, installed for CPython only.

It lets the host import firmware modules unchanged. MicroPython never sees this file: its own
built-in module always wins, and pyright checks firmware against the real stub.
"""


def const(value):
    """Compile-time constant on the board; just the value here."""
    return value


def native(func):
    """Native-code emitter on the board; the plain function here."""
    return func


def viper(func):
    """Viper emitter on the board; the plain function here."""
    return func


def heap_lock():
    """Forbids allocation on the board; CPython cannot, so a no-op."""


def heap_unlock():
    """Returns the lock depth on the board; always 0 here."""
    return 0
