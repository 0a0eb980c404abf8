"""The monitor loop feeds the watchdog, so its housekeeping must not kill it: a calibration save
that fails (flash error, or no hole big enough in a fragmented heap) is reported and retried."""

import json

import pytest

SAVE_FAILS = """
from calfraise_fw import monitor
from calfraise_fw.monitor import Monitor

def fail(settings, path=None):
    raise {error}("no room")

monitor.settings_file.save = fail

class Sampler:
    def learned_bias_mdps(self):
        return [120, -40, 15]

class Store:
    def aside(self, write, *args):
        return write(*args)

class App:
    settings = {{}}
    sampler = Sampler()
    store = Store()
    events = []
    def publish(self, event):
        self.events.append(event)

app = App()
m = Monitor(app, None)
m._save_bias()
m._save_bias()
print(json.dumps(app.events))
"""


@pytest.mark.parametrize("error", ["MemoryError", "OSError"])
def test_a_failed_calibration_save_is_reported_not_fatal(micropython, error):
    out = micropython("import json\n" + SAVE_FAILS.format(error=error))
    events = json.loads(out.strip().splitlines()[-1])
    assert [e["code"] for e in events] == ["settings_write", "settings_write"]
    assert all(e["type"] == "error" and "no room" in e["message"] for e in events)
