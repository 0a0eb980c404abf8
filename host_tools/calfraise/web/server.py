"""The aiohttp application of `calfraise serve`. Every request opens the database read-only for
its own short use (the CLI may sync into it meanwhile); charts are the CLI's own plots as SVG;
/live/events streams the LiveHub's snapshots as server-sent events."""

import asyncio
import json
from contextlib import closing
from datetime import date
from pathlib import Path

from aiohttp import web

from calfraise.errors import UserError
from calfraise.host.db import open_db
from calfraise.host.plan import load_plan
from calfraise.host.progress import progress
from calfraise.host.queries import list_sessions, load_session
from calfraise.web import pages
from calfraise.web.live_hub import LiveHub

STATIC = Path(__file__).parent / "static"
WEEKS = 8  # weeks of progress on the history page
HUB = web.AppKey("hub", LiveHub)
DB = web.AppKey("db", str)


def _db(request):
    return closing(open_db(request.app[DB], create=False))


def _html(text):
    return web.Response(text=text, content_type="text/html")


def _svg(data):
    return web.Response(body=data, content_type="image/svg+xml")


def _session(request, db):
    try:
        return load_session(db, int(request.match_info["id"]))
    except UserError as err:
        raise web.HTTPNotFound(text=str(err)) from None


async def history(request):
    with _db(request) as db:
        return _html(pages.history_page(list_sessions(db), progress(db, WEEKS, date.today())))


async def progress_chart(request):
    from calfraise.host.progress_plot import render_progress

    with _db(request) as db:
        return _svg(render_progress(progress(db, WEEKS, date.today()), "svg"))


async def session(request):
    with _db(request) as db:
        return _html(pages.session_page(_session(request, db)))


async def session_chart(request):
    from calfraise.host.plot import render

    with _db(request) as db:
        return _svg(render(_session(request, db), "svg"))


async def live(_request):
    return _html(pages.live_page())


async def live_events(request):
    """Server-sent events: one JSON snapshot per change, until the page goes away."""
    hub = request.app[HUB]
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    response.headers["Cache-Control"] = "no-cache"
    await response.prepare(request)
    queue = hub.subscribe()
    try:
        while (snapshot := await queue.get()) is not None:
            await response.write(f"data: {json.dumps(snapshot)}\n\n".encode())
    except (ConnectionResetError, asyncio.CancelledError):
        return response
    finally:
        hub.unsubscribe(queue)


def make_app(db_path, connect_args):
    """The application over the database at db_path; connect_args (the parsed command line)
    say which device the live page follows."""
    with closing(open_db(db_path)) as db:  # created here, so pages can open it read-only
        plan = load_plan(db)
    app = web.Application()
    app[DB] = str(db_path)
    app[HUB] = LiveHub(connect_args, plan)
    app.router.add_get("/", history)
    app.router.add_get("/progress.svg", progress_chart)
    app.router.add_get("/session/{id:\\d+}", session)
    app.router.add_get("/session/{id:\\d+}.svg", session_chart)
    app.router.add_get("/live", live)
    app.router.add_get("/live/events", live_events)
    app.router.add_static("/static", STATIC)
    app.on_shutdown.append(_stop_hub)
    return app


async def _stop_hub(app):
    await app[HUB].stop()
