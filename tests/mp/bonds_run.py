"""The bond store and the pairing rules on MicroPython (run by tests/test_bonds.py).

usage: bonds_run.py store        the cap, the oldest host dropped, lookups, forget, reload
       bonds_run.py files PATH   PATH holds one blob per line, in hex: each as the bonds file,
                                 what loading it kept (or the exception's name)
       bonds_run.py power_cut    a third host bonded on a NOR flash that loses power at each
                                 program/erase in turn: what each cut left
       bonds_run.py rules        the pairing window and the link rules with a fake radio
       bonds_run.py fuzz SEED    random secrets stored, deleted and asked for, as a confused or
                                 hostile stack could: errors raised, hosts kept, reload equal
Prints one JSON document.
"""

import json
import os
import random
import sys
import time

from simhw.norflash import NorFlash, PowerCut

from calfraise_fw.bonds import Bonds
from calfraise_fw.pairing import GRACE_MS, IDLE_MS, Pairing

OUR_SEC, PEER_SEC, CCCD, OUR_IRK = 1, 2, 3, 10
MNT = "/flash"


def host(n):
    """A host's key head: random address type, address n."""
    return bytes((1, n, 0, 0, 0, 0, 0xC0))


def bond(bonds, n):
    """What NimBLE stores for a new host: our and its keys, then a CCCD."""
    bonds.set(OUR_SEC, host(n), b"our-%d" % n)
    bonds.set(PEER_SEC, host(n), b"peer-%d" % n)
    bonds.set(CCCD, host(n) + b"\x24\x00", b"\x01\x00")


def entries(bonds):
    return sorted([t, k.hex(), v.hex()] for t, k, v in bonds._entries)


def store(path):
    bonds = Bonds(path)
    bonds.set(OUR_IRK, b"", b"irk")
    for n in range(1, 7):
        bond(bonds, n)
    again = Bonds(path)
    out = {
        "hosts": [h[1] for h in bonds.hosts()],
        "reloaded_same": entries(again) == entries(bonds),
        "peer_3": bonds.get(PEER_SEC, 0, host(3)),
        "peer_1": bonds.get(PEER_SEC, 0, host(1)),
        "by_index": [bonds.get(PEER_SEC, i, None) for i in range(5)],
        "irk": bonds.get(OUR_IRK, 0, b""),
    }
    bonds.set(PEER_SEC, host(4), None)
    bonds.set(OUR_SEC, host(4), None)
    bonds.set(CCCD, host(4) + b"\x24\x00", None)
    out["after_delete"] = [h[1] for h in Bonds(path).hosts()]
    bonds.forget_hosts()
    forgot = Bonds(path)
    out["after_forget"] = [len(forgot.hosts()), forgot.get(OUR_IRK, 0, b"")]
    return {k: v.decode() if isinstance(v, bytes) else v for k, v in out.items()}


def files(path, blobs):
    out = []
    for blob in blobs:
        with open(path, "wb") as f:
            f.write(blob)
        try:
            out.append(len(Bonds(path)._entries))
        except Exception as err:  # noqa: BLE001  (the test wants to see any)
            out.append(type(err).__name__)
    return out


def mount(dev):
    os.mount(os.VfsLfs2(dev, mtime=False), MNT)


def power_cut():
    base = NorFlash(16)
    os.VfsLfs2.mkfs(base)
    mount(base)
    path = MNT + "/bonds.bin"
    bonds = Bonds(path)
    bond(bonds, 1)
    bond(bonds, 2)
    before = entries(bonds)
    os.umount(MNT)
    whole = base.copy()
    mount(whole)
    start = whole.ops
    bonds = Bonds(path)
    bonds.set(OUR_SEC, host(3), b"our-3")
    after = entries(bonds)
    ops = whole.ops - start
    os.umount(MNT)
    kept = {"before": 0, "after": 0, "other": []}
    for n in range(1, ops + 1):
        for torn in (False, True):
            dev = base.copy()
            mount(dev)
            dev.cut_at = dev.ops + n
            dev.torn = torn
            try:
                Bonds(path).set(OUR_SEC, host(3), b"our-3")
            except (PowerCut, OSError):
                pass
            os.umount(MNT)
            survivor = dev.copy()
            mount(survivor)
            got = entries(Bonds(path))
            os.umount(MNT)
            if got == before:
                kept["before"] += 1
            elif got == after:
                kept["after"] += 1
            else:
                kept["other"].append([n, torn, got])
    kept["ops"] = ops
    return kept


class FakeRadio:
    def __init__(self):
        self.bond = []

    def config(self, bond):
        self.bond.append(bond)


def rules(path):
    radio = FakeRadio()
    events = []
    pairing = Pairing(radio, events.append, Bonds(path))
    out = {}
    pairing.start()  # no bonds: the window opens
    out["boot"] = [events[-1]["window"], events[-1]["why"], pairing.is_open(), radio.bond[-1]]
    pairing.connected(0)
    out["first_host_stored"] = pairing.set_secret(PEER_SEC, host(1), b"peer-1")
    pairing.tick(time.ticks_add(time.ticks_ms(), 61_000))  # the window shuts mid-bonding
    out["first_host_finishes"] = pairing.set_secret(OUR_SEC, host(1), b"our-1")
    out["first_host_trusted"] = [pairing.encrypted(True, True), pairing.trusted]
    out["closed"] = [events[-1]["window"], events[-1]["why"], pairing.is_open(), radio.bond[-1]]
    out["known_host_cccd"] = pairing.set_secret(CCCD, host(1) + b"\x24\x00", b"\x01\x00")
    pairing.connected(0)  # someone with the first host's address pairs again
    out["spoofed_repair"] = [
        pairing.set_secret(PEER_SEC, host(1), None),
        pairing.set_secret(PEER_SEC, host(1), b"evil"),
        pairing.bonds.get(PEER_SEC, 0, host(1)),
    ]
    out["known_host_cccd_later"] = pairing.set_secret(CCCD, host(1) + b"\x25\x00", b"\x01\x00")
    pairing.connected(0)  # a stranger
    out["stranger_stored"] = pairing.set_secret(PEER_SEC, host(2), b"peer-2")
    out["stranger_encrypted_drop"] = [pairing.encrypted(True, True), pairing.trusted]
    out["stranger_hosts"] = len(pairing.bonds.hosts())
    pairing.connected(0)  # another, that never encrypts
    out["grace"] = [pairing.must_close(GRACE_MS - 1, False), pairing.must_close(GRACE_MS, False)]
    pairing.connected(0)  # the owner again
    pairing.encrypted(True, True)
    out["owner"] = [pairing.must_close(GRACE_MS * 10, False), pairing.must_close(IDLE_MS, False)]
    pairing.connected(0)
    pairing.encrypted(True, True)
    out["busy_is_alive"] = [pairing.must_close(IDLE_MS, True), pairing.must_close(IDLE_MS, False)]
    pairing.encrypted(True, False)  # encrypted, but no bond (paired without bonding)
    out["no_bond"] = pairing.trusted
    pairing.open_window("button")
    out["button"] = [events[-1]["window"], pairing.is_open(), radio.bond[-1]]
    pairing.connected(0)
    out["in_window_stored"] = pairing.set_secret(PEER_SEC, host(2), b"peer-2")
    pairing.forget_hosts()
    out["forgot"] = [events[-1]["why"], events[-1]["hosts"], pairing.trusted]
    return out


def fuzz(path, seed):
    """NimBLE's store calls with random types, keys and values (a key may be shorter than a
    host's head, a value empty): nothing raises, at most MAX_HOSTS hosts, the file says the
    same as the memory after every change."""
    random.seed(seed)
    bonds = Bonds(path)
    errors, most, differ = [], 0, 0

    def blob(n):
        return bytes(random.getrandbits(8) for _ in range(n))

    for i in range(300):
        sec_type = random.getrandbits(4)
        key = host(random.getrandbits(3)) + blob(random.getrandbits(2)) if i % 3 else blob(i % 9)
        try:
            if random.getrandbits(2):
                bonds.set(sec_type, key, None if i % 7 == 0 else blob(random.getrandbits(7)))
            else:
                bonds.get(sec_type, random.getrandbits(3), None if i % 2 else key)
        except Exception as err:  # noqa: BLE001  (the test wants to see any)
            errors.append(repr(err))
        most = max(most, len(bonds.hosts()))
        differ += entries(Bonds(path)) != entries(bonds)
    return {"errors": errors, "most_hosts": most, "differ": differ}


def main():
    what = sys.argv[1]
    path = f"/tmp/calfraise-bonds-{time.ticks_us()}.bin"
    try:
        if what == "store":
            result = store(path)
        elif what == "files":
            with open(sys.argv[2]) as f:
                blobs = [bytes.fromhex(line.strip()) for line in f if line.strip()]
            result = files(path, blobs)
        elif what == "power_cut":
            result = power_cut()
        elif what == "fuzz":
            result = fuzz(path, int(sys.argv[2]))
        else:
            result = rules(path)
    finally:
        for name in (path, path + ".tmp"):
            try:
                os.remove(name)
            except OSError:
                pass
    print(json.dumps(result))


main()
