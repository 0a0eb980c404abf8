"""`calfraise device run`: the firmware, unchanged, on this PC: main.py on the MicroPython unix
port, the board's chips simulated at register level, the IMU replaying a trace, faster than
real time. Events print as they happen; --events keeps them as JSON lines.

`calfraise device deploy` / `flash`: the firmware onto a real board (deploy.py, flash.py)."""

import json

from calfraise.device.flash import BAUD
from calfraise.device.runner import (
    FLASH_BYTES,
    HEAP,
    HEAP_32,
    HEAP_FROZEN,
    HEAP_ROMFS,
    board_names,
)
from calfraise.errors import UserError


def add_device_parser(subparsers):
    p = subparsers.add_parser(
        "device", help="the firmware: on this PC (simulated board), or onto a real board"
    )
    sub = p.add_subparsers(dest="device_command", required=True, metavar="ACTION")
    run = sub.add_parser("run", help="run firmware/main.py on the unix port over a trace")
    run.add_argument("--trace", required=True, metavar="TRACE.csv", help="what the IMU measures")
    run.add_argument(
        "--board",
        default="sim",
        help=f"board file to run (default sim; {', '.join(board_names())})",
    )
    run.add_argument(
        "--heap",
        help=f"the firmware's MicroPython heap (default {HEAP}, with --bits 32 {HEAP_32}, "
        f"with --romfs {HEAP_ROMFS}, with --frozen {HEAP_FROZEN})",
    )
    run.add_argument(
        "--bits",
        type=int,
        choices=(64, 32),
        default=64,
        help="the unix port: 64 (PyPI) or 32 (`make mp32`: the heap as an ESP32 lays it out)",
    )
    _deployment_options(
        run,
        "with --bits 32: the modules run in place from a ROMFS image, as from a board's romfs "
        "partition",
        "with --bits 32: the modules frozen into the interpreter (`make mp32-frozen`), as in a "
        "board's MicroPython image built with tools/manifest.py",
    )
    run.add_argument("--events", metavar="OUT.jsonl", help="write every event as a JSON line")
    run.add_argument(
        "--flash",
        metavar="FILE",
        help="the board's flash image (LittleFS), kept between runs: settings, sessions",
    )
    run.add_argument(
        "--press",
        action="append",
        default=[],
        metavar="AT_MS[:DURATION_MS]",
        help="press the button at simulated time AT_MS (repeatable; default 200 ms long)",
    )
    run.set_defaults(func=run_command)

    dep = sub.add_parser("deploy", help="compile the firmware for a board and copy what changed")
    _board_options(dep)
    _board_deployment_options(dep)
    dep.set_defaults(func=deploy_command)

    fl = sub.add_parser("flash", help="erase a board, write MicroPython, then deploy")
    _board_options(fl)
    fl.add_argument(
        "--image", metavar="FILE.bin", help="MicroPython image (default: build/images/, by chip)"
    )
    fl.add_argument("--baud", type=int, default=BAUD, help=f"esptool baud rate (default {BAUD})")
    fl.add_argument(
        "--erase-sessions",
        action="store_true",
        help="erase the sessions the host has not synced too (without it, a board holding "
        "any is left as it is)",
    )
    _board_deployment_options(fl)
    fl.set_defaults(func=flash_command)

    fmt = sub.add_parser(
        "format",
        help="erase a simulated board's flash image: it is formatted at the next boot",
        description="Erase a flash image that `device run --flash` or `--sim-flash` refused "
        "as damaged (or any image): every setting and session on it is lost. The virtual "
        "device formats an erased image when it boots, as a new chip; it never formats one "
        "by itself.",
    )
    fmt.add_argument("--flash", required=True, metavar="FILE", help="the flash image to erase")
    fmt.set_defaults(func=format_command)

    repl = sub.add_parser("repl", help="stop the app on a board and open its REPL")
    repl.add_argument("--port", required=True, help="serial port, e.g. /dev/ttyUSB0")
    repl.set_defaults(func=repl_command)


def _deployment_options(parser, romfs_help, frozen_help):
    """--romfs or --frozen into args.deployment (runner.DEPLOYMENTS; default mpy_files)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--romfs",
        dest="deployment",
        action="store_const",
        const="romfs",
        default="mpy_files",
        help=romfs_help,
    )
    group.add_argument(
        "--frozen", dest="deployment", action="store_const", const="frozen", help=frozen_help
    )


def _board_deployment_options(parser):
    _deployment_options(
        parser,
        "the modules into the board's romfs partition, run in place from flash (needs a "
        "MicroPython built with one: docs/deploy.md)",
        "the modules are frozen into the board's MicroPython image (built with "
        "tools/manifest.py: docs/deploy.md): only main.py and config.json are copied",
    )


def _board_options(parser):
    parser.add_argument("--board", required=True, help=f"board file: {', '.join(board_names())}")
    parser.add_argument("--port", required=True, help="serial port, e.g. /dev/ttyUSB0")
    parser.add_argument(
        "--dry-run", action="store_true", help="print every step; no board is needed"
    )


def deploy_command(args):
    from calfraise.device.deploy import deploy

    deploy(args.board, args.port, dry_run=args.dry_run, deployment=args.deployment)
    return 0


def flash_command(args):
    from calfraise.device.flash import flash

    options = {"baud": args.baud, "dry_run": args.dry_run, "deployment": args.deployment}
    flash(args.board, args.port, args.image, erase_sessions=args.erase_sessions, **options)
    return 0


def format_command(args):
    from calfraise.device.runner import erase_flash_image

    erase_flash_image(args.flash)
    print(f"{args.flash}: erased ({FLASH_BYTES:,} bytes); formatted when the device next boots")
    return 0


def parse_press(text):
    at, _, duration = text.partition(":")
    try:
        return int(at), int(duration or 200)
    except ValueError:
        raise UserError(f"--press {text}: expected AT_MS or AT_MS:DURATION_MS") from None


def run_command(args):
    from rich.console import Console

    from calfraise.device.runner import run_device

    console = Console()
    presses = [parse_press(p) for p in args.press]
    out = open(args.events, "w") if args.events else None  # noqa: SIM115 (closed below)
    try:
        result = run_device(
            args.trace,
            board=args.board,
            heap=args.heap,
            bits=args.bits,
            deployment=args.deployment,
            flash=args.flash,
            presses=presses,
            on_event=lambda e: show(console, e, out),
        )
    finally:
        if out is not None:
            out.close()
    if result.stderr:
        console.print(result.stderr, markup=False, highlight=False, style="dim")
    reps = result.of_type("rep")
    stats = result.of_type("stats")
    console.print(
        f"[bold]{len(reps)} reps[/] in {len({r['set'] for r in reps})} sets; {result.cause}"
    )
    if stats:
        s = stats[-1]
        console.print(
            f"heap peak {s['heap_peak']:,} B, min free {s['heap_free_min']:,} B, "
            f"longest gc {s['gc_max_us']} µs, worst loop latency {s['worst_latency_ms']} ms, "
            f"FIFO overflows {s['fifo_overflows']}, samples {s['samples']:,}"
        )
    if result.meter:
        states = ", ".join(f"{k} {ms / 1000:.0f} s" for k, ms in sorted(result.meter.items()) if ms)
        console.print(f"time per power state (cpu|radio): {states}; boots {result.boots}")
    return 0 if result.returncode == 0 else 1


_SHOWN = ("state", "error", "boot", "safe_mode", "target", "power", "wake")


def show(console, event, out):
    if out is not None:
        out.write(json.dumps(event) + "\n")
    kind = event["type"]
    t = event.get("t_ms", event.get("end_ms", 0)) / 1000
    if kind == "rep":
        flag = " [yellow]partial[/]" if event["partial"] else ""
        console.print(
            f"{t:8.1f} s  set {event['set']} rep {event['rep']:2d}  up {event['up_ms']} ms "
            f"hold {event['hold_ms']} ms down {event['down_ms']} ms  "
            f"{event['amplitude_deg']:.1f}°{flag}"
        )
    elif kind == "set_end":
        console.print(f"{t:8.1f} s  [bold]set {event['set']} done: {event['reps']} reps[/]")
    elif kind in _SHOWN or kind.startswith("sim."):
        fields = {k: v for k, v in event.items() if k not in ("type", "t_ms")}
        console.print(f"{t:8.1f} s  {kind} {fields}", markup=False, highlight=False)


def repl_command(args):
    """mpremote's REPL once the app is stopped and its watchdog fed (remote.QUIET_WDT)."""
    from calfraise.device.remote import mpremote

    print("The app is stopped. Ctrl-D restarts it, Ctrl-] leaves.")
    return mpremote("open the REPL", args.port, ("repl",)).interact()
