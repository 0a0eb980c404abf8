"""`esp32` for the firmware on the unix port: the wake sources of deep and light sleep, armed
in the fake `machine` (which checks their pins while the board sleeps)."""

import machine

WAKEUP_ALL_LOW = False
WAKEUP_ANY_HIGH = True


def wake_on_ext0(pin, level):
    """EXT0: one RTC pin at `level` (WAKEUP_ALL_LOW: low, WAKEUP_ANY_HIGH: high) wakes the
    board (None disarms it)."""
    machine.arm_wake("ext0", None if pin is None else (pin.id,), int(level))


def wake_on_ext1(pins, level):
    """EXT1: WAKEUP_ANY_HIGH (any pin high) or WAKEUP_ALL_LOW (every pin low) wakes it."""
    machine.arm_wake("ext1", None if not pins else tuple(p.id for p in pins), level)
