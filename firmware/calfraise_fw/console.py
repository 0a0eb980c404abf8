"""Every event as one JSON line on the console (USB serial): `make logs` on a board, the event
stream of `calfraise device run` on the PC. json.dump writes it piece by piece to the console,
so an event costs no string of its own in the heap."""

import json
import sys


def print_event(event):
    json.dump(event, sys.stdout)
    sys.stdout.write("\n")
