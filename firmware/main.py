"""Runs at power-on: the calfraise app on the board named in config.json (see startup.py).
Hold the button while powering on for safe mode (no app, REPL free)."""

from calfraise_fw.startup import main

main()
