"""Runs at power-on: the calfraise app on the board named in config.json (see startup.py).
Hold the button while powering on for safe mode (no app, REPL free)."""

import gc

gc.threshold(2048)  # boot collects as it goes: startup.main() says why and turns it off
from calfraise_fw.startup import main  # noqa: E402

app = main()
del main  # startup.py is boot only: it released its module, this was its last reference
if app is not None:
    app.main()
