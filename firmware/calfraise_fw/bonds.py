"""The bonded hosts' keys, kept for NimBLE: it stores none itself on MicroPython but asks the app
(_IRQ_GET_SECRET) and hands it what to keep (_IRQ_SET_SECRET).

An entry is (sec_type, key, value), all opaque to us (NimBLE's ble_store_key_*/value_* structs;
type 10 is the board's own identity key, with an empty key). A host's entries share the head of
their key: its address type and address (7 bytes). At most MAX_HOSTS hosts are kept: a new one
drops the host bonded first. Every change rewrites the file whole, a temporary file renamed over
the old one (atomic on LittleFS), so a power cut leaves the bonds as they were before or after.
"""

import gc
import os
import struct

from micropython import const

PATH = "bonds.bin"
MAX_HOSTS = const(4)
_HOST = const(7)  # a key's head that names the host: address type + address
_HEAD = const("<BBH")  # sec_type, key length, value length; then the key and the value
_HEAD_SIZE = const(4)


class Bonds:
    def __init__(self, path=PATH):
        self.path = path
        self._entries = self._load()  # [sec_type, key, value], in the order stored

    def hosts(self):
        """The bonded hosts (their key heads), the oldest first."""
        seen = []
        for _, key, _ in self._entries:
            if len(key) >= _HOST and key[:_HOST] not in seen:
                seen.append(key[:_HOST])
        return seen

    def knows(self, key):
        """True if the host that `key` belongs to is bonded."""
        return len(key) >= _HOST and bytes(key[:_HOST]) in self.hosts()

    def get(self, sec_type, index, key):
        """The value stored for (sec_type, key); with key None, the index-th of sec_type."""
        for entry in self._entries:
            if entry[0] != sec_type:
                continue
            if key is None:
                if index == 0:
                    return entry[2]
                index -= 1
            elif entry[1] == key:
                return entry[2]
        return None

    def set(self, sec_type, key, value):
        """Store (value None: delete) and save; True when done. A value kept already (a host's
        subscriptions, stored again at each connection) changes nothing."""
        if value is not None and (sec_type, key, value) in self._entries:
            return True
        # what is kept lives on: made after a collect, it takes the heap's lowest holes
        # instead of splitting its free blocks (copies: the arguments may be NimBLE's buffers)
        gc.collect()
        key = bytes(memoryview(key))
        self._entries = [e for e in self._entries if e[0] != sec_type or e[1] != key]
        if value is not None:
            self._entries.append((sec_type, key, bytes(memoryview(value))))
            hosts = self.hosts()
            while len(hosts) > MAX_HOSTS:
                oldest = hosts.pop(0)
                self._entries = [e for e in self._entries if e[1][:_HOST] != oldest]
        self._save()
        return True

    def forget_hosts(self):
        """Drop every host's keys (the board's own identity stays)."""
        self._entries = [e for e in self._entries if len(e[1]) < _HOST]
        self._save()

    def _load(self):
        entries = []
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except OSError:
            return entries  # no bonds yet
        at = 0
        while at + _HEAD_SIZE <= len(data):
            sec_type, n_key, n_value = struct.unpack_from(_HEAD, data, at)
            at += _HEAD_SIZE
            if at + n_key + n_value > len(data):
                break  # cannot happen after a rename; a damaged file keeps what is whole
            entries.append(
                (sec_type, data[at : at + n_key], data[at + n_key : at + n_key + n_value])
            )
            at += n_key + n_value
        return entries

    def _save(self):
        tmp = self.path + ".tmp"
        with open(tmp, "wb") as f:
            for sec_type, key, value in self._entries:
                f.write(struct.pack(_HEAD, sec_type, len(key), len(value)))
                f.write(key)
                f.write(value)
        os.rename(tmp, self.path)
