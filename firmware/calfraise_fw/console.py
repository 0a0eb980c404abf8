"""Every event as one JSON line on the console (USB serial): `make logs` on a board, the event
stream of `calfraise device run` on the PC."""

import json


def print_event(event):
    print(json.dumps(event))
