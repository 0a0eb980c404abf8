"""`calfraise device run`: the firmware, unchanged, on this PC: main.py on the MicroPython unix
port, the board's chips simulated at register level, the IMU replaying a trace, faster than
real time. Events print as they happen; --events keeps them as JSON lines."""

import json

from rich.console import Console

from calfraise.device.runner import board_names, run_device
from calfraise.errors import UserError


def add_device_parser(subparsers):
    p = subparsers.add_parser("device", help="run the firmware on this PC (simulated board)")
    sub = p.add_subparsers(dest="device_command", required=True, metavar="ACTION")
    run = sub.add_parser("run", help="run firmware/main.py on the unix port over a trace")
    run.add_argument("--trace", required=True, metavar="TRACE.csv", help="what the IMU measures")
    run.add_argument(
        "--board",
        default="sim",
        help=f"board file to run (default sim; {', '.join(board_names())})",
    )
    run.add_argument(
        "--heap", default="100K", help="MicroPython heap (default 100K: stricter than an ESP32)"
    )
    run.add_argument("--events", metavar="OUT.jsonl", help="write every event as a JSON line")
    run.add_argument(
        "--root", metavar="DIR", help="the device's filesystem, kept between runs (settings)"
    )
    run.add_argument(
        "--press",
        action="append",
        default=[],
        metavar="AT_MS[:DURATION_MS]",
        help="press the button at simulated time AT_MS (repeatable; default 200 ms long)",
    )
    run.set_defaults(func=run_command)


def parse_press(text):
    at, _, duration = text.partition(":")
    try:
        return int(at), int(duration or 200)
    except ValueError:
        raise UserError(f"--press {text}: expected AT_MS or AT_MS:DURATION_MS") from None


def run_command(args):
    console = Console()
    presses = [parse_press(p) for p in args.press]
    out = open(args.events, "w") if args.events else None  # noqa: SIM115 (closed below)
    try:
        result = run_device(
            args.trace,
            board=args.board,
            heap=args.heap,
            root=args.root,
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
    return 0 if result.returncode == 0 else 1


def show(console, event, out):
    if out is not None:
        out.write(json.dumps(event) + "\n")
    kind = event["type"]
    t = event.get("t_ms", 0) / 1000
    if kind == "rep":
        flag = " [yellow]partial[/]" if event["partial"] else ""
        console.print(
            f"{t:8.1f} s  set {event['set']} rep {event['rep']:2d}  up {event['up_ms']} ms "
            f"hold {event['hold_ms']} ms down {event['down_ms']} ms  "
            f"{event['amplitude_deg']:.1f}°{flag}"
        )
    elif kind == "set_end":
        console.print(f"{t:8.1f} s  [bold]set {event['set']} done: {event['reps']} reps[/]")
    elif kind in ("state", "error", "boot", "safe_mode", "target") or kind.startswith("sim."):
        fields = {k: v for k, v in event.items() if k not in ("type", "t_ms")}
        console.print(f"{t:8.1f} s  {kind} {fields}", markup=False, highlight=False)
