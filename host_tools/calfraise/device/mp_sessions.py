"""Runs on the board (`calfraise device flash` sends it with `mpremote exec` before it erases
anything): the sessions the board holds that the host has not synced, as one line the host
parses.

The host appends a call, `report("sessions")`. The line is MARKER and then a JSON list of
session ids. The index is read by the firmware's own SessionStore, after the recovery every boot
runs (a session a power cut left open is closed, unsynced). A board whose firmware cannot read
it (none, too old to have the store, or an index it fails on) still holds the logs: each counts
as unsynced.
"""

import json
import os

MARKER = "calfraise-unsynced "
_SUFFIX = ".cfs"


def report(root):
    try:
        names = os.listdir(root)
    except OSError:
        names = []  # no sessions folder: nothing recorded
    ids = (n[: -len(_SUFFIX)] for n in names if n.endswith(_SUFFIX))
    unsynced = sorted(int(i) for i in ids if i.isdigit())
    try:
        from calfraise_fw.storage import SessionStore

        store = SessionStore(root)
        store.recover()
        unsynced = [sid for sid, _size, synced, _open in store.sessions() if not synced]
    except Exception:  # noqa: BLE001 - any failure: the logs are there, unread
        pass  # (a traceback here would fail mpremote, read by the host as no MicroPython)
    print(MARKER + json.dumps(unsynced))
