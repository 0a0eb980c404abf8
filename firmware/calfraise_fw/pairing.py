"""Who may use the device over BLE: the pairing window, the bonded hosts, the rules for a link.

The window opens for WINDOW_MS on a long press, and at boot while no host is bonded; the LED
blinks blue meanwhile. A device with no bond at all stays pairable (out of the box, after
"forget all hosts"), or its owner could never pair it. Outside the window NimBLE does not bond
(config(bond=False)) and no new host's keys are kept, so a pairing there gives no bond and the
link is dropped. A link is trusted once encrypted with a bonded host's keys
(_IRQ_ENCRYPTION_UPDATE); an untrusted one is closed after GRACE_MS when the window is shut, and
any link that does nothing for IDLE_MS (no command, no session, no transfer) is closed too, so
nobody can hold the device. Each change of the window is published as a "pairing" event.
"""

import time

from micropython import const

WINDOW_MS = const(60_000)
GRACE_MS = const(5_000)  # for a bonded host to encrypt the link it just opened
IDLE_MS = const(300_000)
_CCCD = const(3)  # NimBLE's BLE_STORE_OBJ_TYPE_CCCD: a host's subscriptions
_HOST = const(7)  # a key's head that names the host (bonds.py)


class Pairing:
    def __init__(self, ble, publish, bonds):
        self._ble = ble
        self._publish = publish
        self.bonds = bonds
        self._until = None  # ticks_ms when the window closes (None: shut)
        self._bonding = None  # what NimBLE was last told (config(bond=...))
        self.trusted = False  # the link is encrypted with a bonded host's keys
        self._refused = False  # this link tried to bond outside the window
        self._admitted = None  # the host this link bonds (admitted in the window)
        self._since = 0  # ticks_ms of the connection
        self._last = 0  # ... and of its last sign of life

    def start(self):
        """At boot: a device nobody is bonded to opens its window."""
        if self.bonds.hosts():
            self._apply()
        else:
            self.open_window("boot")

    def is_open(self):
        return self._until is not None or not self.bonds.hosts()

    def open_window(self, why):
        self._until = time.ticks_add(time.ticks_ms(), WINDOW_MS)
        self._changed(why)

    def forget_hosts(self):
        """The very long press: every bond goes; the link in use loses its trust."""
        self.bonds.forget_hosts()
        self.trusted = False
        self._changed("forget")

    def tick(self, now):
        if self._until is not None and time.ticks_diff(now, self._until) >= 0:
            self._until = None
            self._changed("timeout")
        self._apply()

    def _changed(self, why):
        self._apply()
        self._publish(
            {
                "type": "pairing",
                "window": self._until is not None,
                "why": why,
                "hosts": len(self.bonds.hosts()),
            }
        )

    def _apply(self):
        bonding = self.is_open()
        if bonding != self._bonding:
            self._bonding = bonding
            self._ble.config(bond=bonding)

    # --- NimBLE's key store (called from the IRQ handler) ---------------------------------
    def set_secret(self, sec_type, key, value):
        """Store or delete (value None) what NimBLE asks to; False when refused."""
        if not self._may_store(sec_type, key):
            self._refused = True
            return False
        return self.bonds.set(sec_type, key, value)

    def _may_store(self, sec_type, key):
        """In the window anything (and the link's host may finish bonding after it shuts);
        outside it no host's keys change, not even a bonded host's (its address can be
        spoofed), only a bonded host's subscriptions (CCCDs). The board's own keys always."""
        if not len(key):
            return True
        host = bytes(key[:_HOST])
        if self.is_open():
            self._admitted = host
            return True
        if host == self._admitted:
            return True
        return sec_type == _CCCD and self.bonds.knows(key)

    # --- the link --------------------------------------------------------------------------
    def connected(self, now):
        self.trusted = self._refused = False
        self._admitted = None
        self._since = self._last = now

    def encrypted(self, encrypted, bonded):
        """_IRQ_ENCRYPTION_UPDATE; True when the link must go (encrypted, but no bond)."""
        self.trusted = bool(encrypted and bonded) and not self._refused
        return bool(encrypted) and not self.trusted

    def alive(self, now):
        self._last = now

    def must_close(self, now, busy):
        """True when the link has to go: untrusted too long outside the window, or idle."""
        if busy:
            self._last = now
        if not self.trusted and not self.is_open():
            if time.ticks_diff(now, self._since) >= GRACE_MS:
                return True
        return time.ticks_diff(now, self._last) >= IDLE_MS
