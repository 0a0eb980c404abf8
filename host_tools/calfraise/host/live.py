"""`calfraise live`'s stream: rep, event and status notifications turned into events.

A rep notification becomes the very "rep" event `calfraise device run` prints (decode_rep), an
event notification its "state", "set_end" or "target" event (decode_event). The status
characteristic becomes a "status" event (decode_status's fields, the error flags as names). A
jump in the reps' sequence numbers becomes a "missed" event.
"""

import asyncio

from calfraise.host import protocol as p
from calfraise.host.link import set_clock

TARGET_SETTINGS = ("reps_per_set", "tempo_up_ms", "tempo_down_ms")

KEEPALIVE_S = 60  # a command this often: the device closes a link idle for 5 min


def status_event(status):
    """A "status" event from decode_status()'s dict."""
    event = {"type": "status", **status}
    event["errors"] = p.error_names(status["errors"])
    return event


class LiveFeed:
    """Decodes the link's inbox into events; counts what did not decode."""

    def __init__(self):
        self.last_seq = None
        self.bad = 0  # notifications that are not protocol v1 (skipped)

    def events(self, kind, data):
        """The events one notification makes (a list: a gap adds "missed" before the rep)."""
        try:
            if kind == "status":
                return [status_event(p.decode_status(data))]
            if kind == "event":
                return [p.decode_event(data)]
            if kind != "rep":
                return []
            seq, rep = p.decode_rep(data)
        except p.ProtocolError:
            self.bad += 1
            return []
        out = []
        if self.last_seq is not None and p.missed(self.last_seq, seq):
            out.append({"type": "missed", "reps": p.missed(self.last_seq, seq), "seq": seq})
        self.last_seq = seq
        out.append(rep)
        return out


async def start_live(link):
    """The first steps of the live view (docs/protocol.md, Flows): set the device's clock,
    read the targets and the status. Returns (targets dict, the first "status" event)."""
    await set_clock(link)
    targets = dict(await link.command(p.GET_SETTINGS, *TARGET_SETTINGS))
    link.inbox.discard("status")  # notified before what read_status() reads now
    return targets, status_event(await link.read_status())


async def follow(link, on_event, seconds=None, until_end=False, status=None):
    """Call on_event(event) for every event until `seconds` pass, or with until_end once the
    session ends (a status turning idle after a session, or after `status`, the first one, said
    in_session). A quiet minute is answered with a HELLO: the device closes links that stay
    idle for 5 min (docs/protocol.md, Security). Returns the LiveFeed."""
    feed = LiveFeed()
    loop = asyncio.get_running_loop()
    deadline = None if seconds is None else loop.time() + seconds
    in_session = status is not None and status["state"] == "in_session"
    while True:
        left = None if deadline is None else deadline - loop.time()
        if left is not None and left <= 0:
            return feed
        try:
            kind, data = await link.inbox.get(
                KEEPALIVE_S if left is None else min(left, KEEPALIVE_S)
            )
        except TimeoutError:
            if left is None or left > KEEPALIVE_S:
                await link.hello()
            continue
        for event in feed.events(kind, data):
            on_event(event)
            if event["type"] == "rep":
                in_session = True
            elif event["type"] == "status":
                ended = in_session and event["state"] == "idle"
                in_session = event["state"] == "in_session"
                if until_end and ended:
                    return feed
