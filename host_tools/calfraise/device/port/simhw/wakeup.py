"""Simulated hardware that talks to the host over a socket (the BLE link), seen by select.poll().

The firmware idles in asyncio's poll; a board's radio interrupts that idle when a central
writes. So every poller also waits on these sockets and, when one is ready, hands it to its
source (which dispatches the IRQs) instead of returning it to asyncio, which never registered
it. A source has `stream` (what poll registers), `on_ready(flags)`, `busy()`: true while
it waits for the host (notifications in flight), when fast mode must wait for real, and
`wakes()`: true while the host looks for the board (scans or connects), which wakes it from
deep sleep (port/machine.py): the sim's stand-in for the person who picks it up to sync.
"""

sources = []


def add(source):
    sources.append(source)


def pump():
    """Read what the sources have sent meanwhile (the board sleeps: nobody polls them)."""
    for source in sources:
        source.on_ready(0)


def host_looks():
    return any(source.wakes() for source in sources)


def remove(source):
    if source in sources:
        sources.remove(source)
