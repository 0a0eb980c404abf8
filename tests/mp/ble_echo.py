"""A tiny BLE peripheral for the virtual link's tests (MicroPython, the board's `bluetooth` API).

One service with one read/write/notify characteristic; advertises NAME and the service UUID,
again after every disconnect. Prints each IRQ as {"type": "irq", "event", "data"}. A write is
echoed back as a notification, except the commands:
  b"N" count size   notify `count` values of `size` bytes (value i is i repeated), retrying
                    on ENOMEM, until the link goes; then prints {"type": "burst", "sent",
                    "enomem"}
  b"I"              indicate b"ind"; _IRQ_GATTS_INDICATE_DONE follows
  b"K"              print the connect IRQ's addr memoryview kept past its handler
  b"D"              gap_disconnect() the central; prints {"type": "disconnect", "ok"}
  b"R"              machine.reset(): the board reboots
"""

import asyncio
import errno
import json

import bluetooth
import machine

NAME = "echo-7"
SERVICE = bluetooth.UUID("7a1e0001-5eed-4c0d-a1f0-ca1f0000beef")
CHAR = bluetooth.UUID("7a1e0002-5eed-4c0d-a1f0-ca1f0000beef")
_FLAGS = bluetooth.FLAG_READ | bluetooth.FLAG_WRITE | bluetooth.FLAG_NOTIFY
_CONNECT = 1
_DISCONNECT = 2
_WRITE = 3
_RETRY_MS = 2


def emit(kind, **fields):
    fields["type"] = kind
    print(json.dumps(fields))


def advert():
    name = NAME.encode()
    return b"\x02\x01\x06" + bytes((len(name) + 1, 0x09)) + name + b"\x11\x07" + bytes(SERVICE)


class Echo:
    def __init__(self):
        self.ble = bluetooth.BLE()
        self.ble.active(True)
        self.ble.config(gap_name=NAME)
        self.ble.irq(self.on_irq)
        ((self.handle,),) = self.ble.gatts_register_services(((SERVICE, ((CHAR, _FLAGS),)),))
        self.ble.gatts_set_buffer(self.handle, 200)
        self.conn = None
        self.kept_addr = None
        self.written = []
        self.wake = asyncio.Event()
        self.ble.gap_advertise(20000, advert())
        emit("ready", handle=self.handle, addr=self.ble.config("mac")[1].hex())

    def on_irq(self, event, data):
        shown = [bytes(d).hex() if isinstance(d, memoryview) else d for d in data]
        emit("irq", event=event, data=shown)
        if event == _CONNECT:
            self.conn = data[0]
            self.kept_addr = data[2]  # wrong on purpose: only valid during this call
        elif event == _DISCONNECT:
            self.conn = None
            self.ble.gap_advertise(20000, advert())
        elif event == _WRITE:
            self.written.append(self.ble.gatts_read(data[1]))
            self.wake.set()

    async def run(self):
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.written:
                await self.answer(self.written.pop(0))

    async def answer(self, data):
        if data[:1] == b"N":
            await self.burst(data[1], data[2])
        elif data == b"I":
            self.ble.gatts_indicate(self.conn, self.handle, b"ind")
        elif data == b"K":
            emit("kept_addr", addr=bytes(self.kept_addr).hex())
        elif data == b"D":
            emit("disconnect", ok=self.ble.gap_disconnect(self.conn))
        elif data == b"R":
            machine.reset()
        else:
            await self.notify(data)

    async def burst(self, count, size):
        enomem = sent = 0
        for i in range(count):
            retries = await self.notify(bytes([i]) * size)
            if retries is None:
                break
            enomem += retries
            sent += 1
        emit("burst", sent=sent, enomem=enomem)

    async def notify(self, data):
        """Notify, waiting while NimBLE's buffers are full; returns the ENOMEM count, None if
        the central is gone."""
        retries = 0
        while True:
            try:
                self.ble.gatts_notify(self.conn, self.handle, data)
                return retries
            except OSError as e:
                if e.errno == errno.ENOTCONN:
                    return None
                if e.errno != errno.ENOMEM:
                    raise
                retries += 1
                await asyncio.sleep_ms(_RETRY_MS)


asyncio.run(Echo().run())
