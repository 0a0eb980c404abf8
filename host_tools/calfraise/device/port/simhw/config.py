"""The simulated board's setup: a JSON file named by $CALFRAISE_SIM, read once at import.

Keys (all optional):
  realtime      false: waits are skipped (fast replay); true: waits are real
  clock         "real" (default): real time passes on the board's clock too; "waits": only
                the firmware's waits move it (runs that must not depend on the machine's load)
  trace         binary trace the IMU measures (calfraise.device.tracebin writes it)
  trace_held    true: the trace holds its first row until the host's MOVE (ble/bridge.py
                start_moving(); a test's cue)
  replayed_event  true: print {"type": "sim.replayed"} once the trace has been played to its
                end (the virtual device then lets the board keep real time: select.py)
  chips         [{"kind": "lsm6dsox", "addr": 106}, ...] on every I2C bus
  faults        [{"at_ms", "addr", "kind": "eio|etimedout|enodev|crash", "count", "after_bytes",
                  "min_len"}]: the next `count` transfers of at least min_len bytes to addr from
                  at_ms on move after_bytes bytes and then fail
  button        {"pin", "active_low", "presses": [[at_ms, duration_ms], ...]}
  adc_mv        {"35": 1950}: millivolts at an ADC pin
  adc_mv_at     {"35": [[at_ms, mv], ...]}: ... from at_ms on (a battery running down)
  power_off_ms  the board loses power at this simulated time (the run ends, exit code 0)
  log_outputs   true: print LED and output-pin changes as {"type": "sim.led"|"sim.pin"} lines
  ble           {"socket": path or TCP port, "max_in_flight": 10}: the BLE bridge the fake
                `bluetooth` talks to (calfraise.ble.bridge; without it nobody hears the radio),
                and the notifications NimBLE may hold before gatts_notify raises ENOMEM
  flash         {"image": path, "blocks": 512}: LittleFS on a NOR flash image (simhw/flash.py)
  files         {"config.json": text, ...}: written to the flash before the firmware starts
  rtc_file      where the RTC's reading waits through a reset (port/time.py; none: lost)
  imu_int       {"pin", "addr", "active_low"}: the GPIO the IMU's interrupt line drives
  reset_cause, wake_reason, start_us, trace_origin_us, rtc_memory, chip_state: set by the
                runner when the board wakes from deep sleep (machine.py): what the new boot
                sees, its clock (simulated us) and where the trace stands, the RTC memory kept
                through sleep, and each chip's registers and latched motion event (the chips
                stay powered: {"106": [registers hex, motion]})
  boot_ms       simulated ms a boot takes before main.py runs (after a deep-sleep wake)
Times are simulated ms since the first boot.
"""

import json
import os

_path = os.getenv("CALFRAISE_SIM")
if _path:
    with open(_path) as f:
        _config = json.load(f)
else:
    _config = {}


def get(key, default=None):
    return _config.get(key, default)
