"""`calfraise serve`: the web app (calfraise.web) on this computer, for a browser or a phone."""

from calfraise.host.cli import db_path

DEFAULT_PORT = 8765


def add_serve_parser(subparsers):
    parser = subparsers.add_parser(
        "serve", help="a local web page: history, progress, sessions and live reps, for a phone"
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on; 0.0.0.0 lets a phone on the same network open it",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port to listen on")
    parser.add_argument("--device", metavar="NAME|ADDRESS", help="the device the live page follows")
    parser.set_defaults(func=run_serve)


def run_serve(args):
    from aiohttp import web

    from calfraise.web.server import make_app

    app = make_app(db_path(args), args)
    shown = "this computer's address" if args.host in ("0.0.0.0", "::") else args.host
    print(f"calfraise serve: http://{shown}:{args.port}/ (live page: /live). Ctrl-C stops it.")
    web.run_app(app, host=args.host, port=args.port, print=None, handle_signals=True)
    return 0
