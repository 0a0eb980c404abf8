"""One device connection shared by every open live page, held only while a page is open (the
sensor's battery is not spent on nobody): it connects (and reconnects with back-off), sends the
plan, follows the session with calfraise.host.live, and after each event
hands every page a snapshot of where the session stands (so a page that opens late, or misses
one, draws the same thing)."""

import asyncio

from calfraise.errors import UserError
from calfraise.host.discovery import find
from calfraise.host.live import follow, start_live
from calfraise.host.plan import send_plan
from calfraise.host.radio import open_radio
from calfraise.host.tempo import on_target

QUEUE = 64  # snapshots a slow page may fall behind by before it loses the oldest
BACKOFF_S = (1, 2, 5, 10)  # waits between connection attempts, the last repeated


def _offer(queue, item):
    """Queue item for a page; one that fell behind loses its oldest snapshot."""
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(item)


class LiveHub:
    """connect_args: the parsed command line (device, --sim options); plan: the stored plan."""

    def __init__(self, connect_args, plan):
        self.args = connect_args
        self.plan = plan
        self.queues = set()
        self._task = None
        self.snapshot = {
            "connected": False,
            "device": None,
            "message": "looking for the sensor",
            "state": "idle",
            "set": 0,
            "rep": 0,
            "reps": 0,
            "targets": {},
            "last": None,
        }

    def subscribe(self):
        """A queue of snapshots for one page (the current one first); connects if need be."""
        queue = asyncio.Queue(QUEUE)
        self.queues.add(queue)
        queue.put_nowait(dict(self.snapshot))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run())
        return queue

    def unsubscribe(self, queue):
        """The page went away; the last one leaving ends the connection."""
        self.queues.discard(queue)
        if not self.queues:
            self._disconnect()

    async def stop(self):
        """Disconnect, and wait till the link is closed (a simulated sensor's firmware ended);
        pages still open get None (the server is going away)."""
        for queue in self.queues:
            _offer(queue, None)
        task = self._task
        self._disconnect()
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)

    def _disconnect(self):
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def publish(self, event):
        """Update the snapshot with an event (a rep's tempo judged), then hand it to every page."""
        self._update(self._judged(event))
        for queue in self.queues:
            _offer(queue, dict(self.snapshot))

    def _judged(self, event):
        if event["type"] != "rep":
            return event
        targets = self.snapshot["targets"]
        return {
            **event,
            "up_on_target": on_target("up", event["up_ms"], targets.get("tempo_up_ms")),
            "down_on_target": on_target("down", event["down_ms"], targets.get("tempo_down_ms")),
        }

    def _update(self, event):
        s = self.snapshot
        kind = event["type"]
        if kind == "rep":
            s.update(state="in_session", set=event["set"], rep=event["rep"], last=event)
            s["reps"] += 1
        elif kind == "status":
            s.update(state=event["state"], set=event["set"], rep=event["rep"])
        elif kind == "state" and event["state"] == "in_session":
            s.update(state="in_session", set=0, rep=0, reps=0, last=None)
        elif kind == "state":
            s["state"] = "idle"
        elif kind == "link":
            s.update(connected=event["connected"], device=event.get("device"))
            s["message"] = event["message"]
        elif kind == "targets":
            s["targets"] = event["targets"]

    async def run(self):
        """Connect, follow, reconnect: until cancelled."""
        attempt = 0
        while True:
            try:
                await self._follow_once()
                attempt = 0
            except UserError as err:  # no device in range, a lost link, a refused command
                self.publish({"type": "link", "connected": False, "message": str(err)})
            await asyncio.sleep(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
            attempt += 1

    async def _follow_once(self):
        from calfraise.host.link import DeviceLink

        async with open_radio(self.args) as radio:
            device = await find(radio, getattr(self.args, "device", None))
            link = await DeviceLink.connect(radio, device, ("rep", "event", "status"))
            async with link:
                await send_plan(link, self.plan)
                targets, status = await start_live(link)
                self.publish({"type": "targets", "targets": targets})
                message = f"connected to {link.name}"
                self.publish(
                    {"type": "link", "connected": True, "device": link.name, "message": message}
                )
                self.publish(status)
                await follow(link, self.publish)
