"""The bonded hosts' keys and the pairing rules on MicroPython (tests/mp/bonds_run.py): the cap
on hosts, lookups as NimBLE makes them, a bonds file that power cuts cannot tear and that no
damage makes unreadable, and who may bond and stay connected when."""

import json
import random
from pathlib import Path

import pytest

from calfraise.device import PORT

SCRIPT = Path(__file__).parent / "mp" / "bonds_run.py"


@pytest.fixture
def run(micropython):
    def run(*args):
        # the JSON document is the last line: a file a power cut left open may print its
        # finaliser's OSError when a gc (Bonds.set collects) closes it
        return json.loads(micropython(script=SCRIPT, args=list(args), path=[PORT]).splitlines()[-1])

    return run


def test_four_hosts_at_most_the_oldest_dropped_and_forget_keeps_the_identity(run):
    got = run("store")
    assert got["hosts"] == [3, 4, 5, 6]  # six bonded: the first two went
    assert got["reloaded_same"]
    assert (got["peer_3"], got["peer_1"]) == ("peer-3", None)
    assert got["by_index"] == ["peer-3", "peer-4", "peer-5", "peer-6", None]
    assert got["irk"] == "irk"
    assert got["after_delete"] == [3, 5, 6]
    assert got["after_forget"] == [0, "irk"]  # the board's own identity key stays


def test_a_damaged_bonds_file_keeps_what_is_whole_and_never_raises(run, tmp_path):
    rng = random.Random(12)
    good = bytes.fromhex("0207") + (5).to_bytes(2, "little") + bytes(7) + b"value"
    blobs = [b"", good, good[:-1], good + good[:9], bytes(3), b"\xff" * 40]
    blobs += [rng.randbytes(rng.randrange(1, 120)) for _ in range(60)]
    path = tmp_path / "blobs.txt"
    path.write_text("\n".join(b.hex() or "00" for b in blobs))
    got = run("files", str(path))
    assert all(isinstance(n, int) for n in got), got
    assert got[1:4] == [1, 0, 1]


@pytest.mark.parametrize("seed", [1, 2])
def test_random_store_calls_raise_nothing_and_keep_the_cap(run, seed):
    got = run("fuzz", str(seed))
    assert got == {"errors": [], "most_hosts": 4, "differ": 0}


def test_a_power_cut_while_bonding_leaves_the_old_bonds_or_the_new(run):
    got = run("power_cut")
    assert got["other"] == []  # every cut, lost or torn, left one of the two whole
    assert got["ops"] >= 2 and got["before"] + got["after"] == 2 * got["ops"]


def test_who_may_bond_and_stay_connected(run):
    got = run("rules")
    assert got["boot"] == [True, "boot", True, True]  # no bonds: the window opens at boot
    assert got["first_host_stored"] and got["first_host_trusted"] == [False, True]
    assert got["first_host_finishes"]  # admitted in the window, it finishes bonding after it
    assert got["closed"] == [False, "timeout", False, False]  # NimBLE told not to bond
    assert got["known_host_cccd"]
    # outside the window a bonded host's keys neither go nor change (addresses can be spoofed)
    assert got["spoofed_repair"] == [False, False, "peer-1"]
    assert got["known_host_cccd_later"]  # its subscriptions may
    assert got["stranger_stored"] is False  # a new host, the window shut
    assert got["stranger_encrypted_drop"] == [True, False] and got["stranger_hosts"] == 1
    assert got["grace"] == [False, True]
    assert got["owner"] == [False, True]  # trusted: only idleness closes the link
    assert got["busy_is_alive"] == [False, False]
    assert got["no_bond"] is False
    assert got["button"] == [True, True, True]
    assert got["in_window_stored"]
    assert got["forgot"] == ["forget", 0, False]
