"""Boots as main.py does, with the app failing as it runs: App.run() raises before its tasks
start, a fault no task's supervisor catches. The board must say so, show red and reset."""

from calfraise_fw.app import App
from calfraise_fw.startup import main


async def _broken(self):
    raise RuntimeError("injected")


App.run = _broken
main().main()
