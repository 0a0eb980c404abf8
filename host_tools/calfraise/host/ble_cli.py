"""`calfraise scan | pair | unpair | live | sync | capture | reset-calibration`: the commands
that talk to a device over BLE.

Each finds the device (--device NAME|ADDRESS when several advertise), connects through bleak
and says HELLO (link.py). The radio is the OS's Bluetooth, or the virtual device with the
global --sim / --sim-flash options (radio.py). Errors a person can act on are UserErrors. The
device serves bonded hosts only: `pair` bonds this computer while the device's pairing window
is open, `unpair` forgets the bond here.
"""

import asyncio
import json
import sys
from contextlib import closing
from pathlib import Path

from rich.console import Console
from rich.table import Table

from calfraise.errors import UserError
from calfraise.host.cli import db_path
from calfraise.host.db import open_db
from calfraise.host.discovery import SCAN_SECONDS, find, scan
from calfraise.host.plan import Plan, advice, load_plan, record_variant, send_plan
from calfraise.host.radio import open_radio
from calfraise.host.sync import ATTEMPTS, Sync
from calfraise.host.times import local

INTERRUPTED = 130  # exit status after Ctrl-C (128 + SIGINT)


def _device_option(parser):
    parser.add_argument(
        "--device", metavar="NAME|ADDRESS", help="the device to use when several advertise"
    )


def _run(main, args, interrupted=INTERRUPTED):
    """asyncio.run(main(args)); Ctrl-C ends it with `interrupted` as the exit status."""
    try:
        return asyncio.run(main(args))
    except KeyboardInterrupt:
        return interrupted


async def _connected(radio, args, channels):
    from calfraise.host.link import DeviceLink

    return await DeviceLink.connect(radio, await find(radio, args.device), channels)


# --- scan ------------------------------------------------------------------------------------


def add_scan_parser(subparsers):
    parser = subparsers.add_parser("scan", help="list the calfraise devices advertising nearby")
    parser.add_argument("--seconds", type=float, default=SCAN_SECONDS, help="how long to listen")
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    parser.set_defaults(func=lambda args: _run(run_scan, args))


async def run_scan(args):
    async with open_radio(args) as radio:
        found = await scan(radio, args.seconds)
        radio.check_alive()
    rows = [
        {"name": f.name, "address": f.address, "rssi": f.rssi, "battery_pct": f.battery_pct}
        for f in found
    ]
    if args.json:
        print(json.dumps(rows))
        return 0
    console = Console()
    if not rows:
        console.print(f"No calfraise device advertised within {args.seconds:g} s.")
        return 0
    table = Table("Name", "Address", "RSSI", "Battery", title_justify="left")
    for r in rows:
        battery = "?" if r["battery_pct"] is None else f"{r['battery_pct']} %"
        table.add_row(r["name"] or "?", r["address"], f"{r['rssi']} dBm", battery)
    console.print(table)
    return 0


# --- pair, unpair ------------------------------------------------------------------------------


def add_pair_parsers(subparsers):
    parser = subparsers.add_parser(
        "pair", help="bond this computer with a device (hold its button 3 s first)"
    )
    _device_option(parser)
    parser.set_defaults(func=lambda args: _run(run_pair, args))
    parser = subparsers.add_parser("unpair", help="forget a device's bond on this computer")
    _device_option(parser)
    parser.set_defaults(func=lambda args: _run(run_unpair, args))


async def run_pair(args):
    from calfraise.host.link import DeviceLink

    async with open_radio(args) as radio:
        device = await find(radio, args.device)
        async with await DeviceLink.connect(radio, device, pair=True) as link:
            Console().print(
                f"Paired with [bold]{link.name}[/] (serial {link.device_id}, firmware "
                f"{link.firmware}): live, sync and capture can use it now.",
                highlight=False,
            )
    return 0


async def run_unpair(args):
    from bleak.exc import BleakError

    from calfraise.host.link import HOW_TO_PAIR

    async with open_radio(args) as radio:
        device = await find(radio, args.device)
        name = device.name or device.address
        try:
            await radio.client(device, None).unpair()
        except BleakError as err:
            raise UserError(f"cannot unpair {name}: {err}") from None
    Console().print(
        f"Forgot the bond with [bold]{name}[/] on this computer. To forget this computer on "
        f"the device too, hold its button for 8 s. To pair again: {HOW_TO_PAIR}.",
        highlight=False,
    )
    return 0


# --- live --------------------------------------------------------------------------------------


def add_live_parser(subparsers):
    parser = subparsers.add_parser("live", help="show reps as they happen, with their tempo")
    _device_option(parser)
    parser.add_argument("--seconds", type=float, help="stop after this long (default: Ctrl-C)")
    parser.add_argument(
        "--until-end",
        action="store_true",
        help="stop when the session ends (the one under way, or the next)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON line per event (as `device run`)"
    )
    parser.set_defaults(func=lambda args: _run(run_live, args, interrupted=0))


async def run_live(args):
    from calfraise.host.live import follow, start_live
    from calfraise.host.live_view import LiveView

    plan = _stored_plan(args)
    async with (
        open_radio(args) as radio,
        await _connected(radio, args, ("rep", "event", "status")) as link,
    ):
        await send_plan(link, plan)
        targets, status = await start_live(link)
        if args.json:
            _print_json(status)
            await follow(link, _print_json, args.seconds, args.until_end, status)
            return 0
        with LiveView(Console(), link, targets, status) as view:
            await follow(link, view.on_event, args.seconds, args.until_end, status)
    return 0


def _stored_plan(args):
    """The plan in the database (the default one if there is no database: none is created)."""
    path = Path(db_path(args))
    if not path.exists():
        return Plan()
    with closing(open_db(path, create=False)) as db:
        return load_plan(db)


def _print_json(event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


# --- sync --------------------------------------------------------------------------------------


def add_sync_parser(subparsers):
    parser = subparsers.add_parser(
        "sync", help="set the device's clock, download its new sessions into the database"
    )
    _device_option(parser)
    parser.add_argument(
        "--attempts",
        type=int,
        default=ATTEMPTS,
        help=f"reconnects after a lost link (default {ATTEMPTS})",
    )
    parser.set_defaults(func=lambda args: _run(run_sync, args))


async def run_sync(args):
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    console = Console()
    path = db_path(args)
    with closing(open_db(path)) as db:
        plan = load_plan(db)
        async with open_radio(args) as radio:
            device = await find(radio, args.device)
            columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn())
            with Progress(*columns, TransferSpeedColumn(), console=console) as progress:
                tasks = {}

                def on_progress(download):
                    entry = download.entry
                    if entry.id not in tasks:
                        label = f"session {entry.id} ({entry.reps} reps)"
                        tasks[entry.id] = progress.add_task(label, total=download.answer[0])
                    total, done = download.answer[0], len(download.kept)
                    progress.update(tasks[entry.id], total=total, completed=done)

                sync = Sync(
                    radio, device, db, on_progress, progress.console.print, args.attempts, plan
                )
                result = await sync.run()
        record_variant(db, [s.id for s in result.stored], plan)
        next_step = advice(db, plan)
    print_sync_summary(console, result, path)
    if next_step:
        console.print(f"[bold]{next_step}[/]", highlight=False)
    if result.unreadable:
        raise UserError(
            "; ".join(f"session {sid} was not stored ({why})" for sid, why in result.unreadable)
            + ": left on the device, unmarked"
        )
    return 0


def print_sync_summary(console, result, path):
    console.print(
        f"[bold]{result.name}[/] (serial {result.device}): clock set to "
        f"{local(result.clock_s * 1000)}.",
        highlight=False,
    )
    for s in result.stored:
        console.print(
            f"Stored session {s.device_session} as [bold]{s.id}[/]: {s.reps} reps in {s.sets} "
            f"sets (`calfraise show {s.id}`).{_damage(s)}",
            highlight=False,
        )
    for s in result.already:
        console.print(
            f"Session {s.device_session} was stored already (as {s.id}): now marked synced."
            f"{_damage(s)}",
            highlight=False,
        )
    if result.recording:
        ids = ", ".join(map(str, result.recording))
        console.print(f"Still being recorded, left for the next sync: session(s) {ids}.")
    if result.plan_sent:
        changes = ", ".join(f"{k} {v}" for k, v in result.plan_sent.items())
        console.print(f"The plan is on the device now: {changes}.", highlight=False)
    if not result.stored and not result.already:
        console.print("Nothing new to sync.")
    reconnects = f" after {result.reconnects} reconnect(s)" if result.reconnects else ""
    console.print(f"Database: {path}{reconnects}.", highlight=False)


def _damage(imported):
    """What a sync line adds for a session file with damaged records (they were skipped)."""
    n = imported.skipped
    if not n:
        return ""
    stretches = "stretch was" if n == 1 else "stretches were"
    return f" [yellow]{n} damaged {stretches} skipped: their records are lost.[/]"


# --- reset-calibration ---------------------------------------------------------------------------


def add_reset_calibration_parser(subparsers):
    parser = subparsers.add_parser(
        "reset-calibration",
        help="make the device forget its saved gyro bias and learned rest (it learns them again)",
    )
    _device_option(parser)
    parser.set_defaults(func=lambda args: _run(run_reset_calibration, args))


async def run_reset_calibration(args):
    from calfraise_fw import protocol as p

    async with open_radio(args) as radio, await _connected(radio, args, ()) as link:
        await link.command(p.RESET_CALIBRATION)
        name = link.name
    Console().print(
        f"{name} forgot its gyro bias and rest: keep the foot still for a few seconds and it "
        "learns them again.",
        highlight=False,
    )
    return 0


# --- capture -----------------------------------------------------------------------------------


def add_capture_parser(subparsers):
    parser = subparsers.add_parser("capture", help="record the raw IMU stream as a trace CSV")
    _device_option(parser)
    parser.add_argument("--seconds", type=float, required=True, help="how long to record")
    parser.add_argument("-o", "--output", required=True, metavar="TRACE.csv", help="file to write")
    parser.set_defaults(func=lambda args: _run(run_capture, args))


async def run_capture(args):
    from calfraise.host.capture import capture
    from calfraise_fw import protocol as p

    console = Console()
    async with open_radio(args) as radio, await _connected(radio, args, ("raw",)) as link:
        with console.status("starting the raw stream") as status:

            def on_batch(cap):
                status.update(f"{len(cap):,} samples at {cap.rate_hz} Hz, {cap.lost:,} lost")

            raw = await capture(link, args.seconds, on_batch)
        source = f"{link.name} (firmware {link.firmware}, board {link.board})"
    raw.write(
        args.output,
        comments=(
            f"captured from {source} at {raw.rate_hz} Hz, protocol {p.VERSION}",
            f"samples lost on the way: {raw.lost}",
        ),
    )
    console.print(
        f"{len(raw):,} samples ({len(raw) / raw.rate_hz:.1f} s at {raw.rate_hz} Hz, "
        f"{raw.lost:,} lost) written to {args.output}",
        highlight=False,
    )
    return 0
