"""The athlete's settings, kept in a JSON file that a power cut cannot leave half-written.

save() writes a temporary file and renames it over the old one (atomic on LittleFS). load()
falls back to the defaults for anything missing, unknown or out of range, and says what it
ignored, so a damaged file never stops the device.
"""

import json
import os

PATH = "settings.json"

# name: (default, low, high); booleans have no range
DEFAULTS = {
    "reps_per_set": (12, 1, 100),  # target: a cue when a set reaches it
    "tempo_cue": (False, None, None),  # LED metronome during a session
    "tempo_up_ms": (2000, 300, 10000),
    "tempo_down_ms": (2000, 300, 10000),
    "led_brightness": (40, 0, 255),
    "idle_end_s": (300, 30, 3600),  # no rep for this long ends the session
    "standby_s": (600, 30, 86400),  # no motion, session or host this long: standby (power.py)
    "delete_unsynced_when_full": (False, None, None),
}


def defaults():
    return {name: spec[0] for name, spec in DEFAULTS.items()}


def problem(name, value):
    """Why `value` cannot be setting `name` (None if it can)."""
    if name not in DEFAULTS:
        return f"unknown setting {name!r}"
    default, low, high = DEFAULTS[name]
    if isinstance(default, bool):
        return None if isinstance(value, bool) else f"{name} must be true or false"
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        return f"{name} must be a whole number within {low}..{high}"
    return None


def load(path=PATH):
    """(settings, problems): the defaults overlaid with the file's valid entries."""
    settings = defaults()
    problems = []
    try:
        with open(path) as f:
            stored = json.load(f)
    except OSError:
        return settings, problems  # first boot: no file yet
    except ValueError:
        return settings, [f"{path} is not valid JSON: defaults used"]
    if not isinstance(stored, dict):
        return settings, [f"{path} does not hold an object: defaults used"]
    for name, value in stored.items():
        if name == "gyro_bias_mdps":
            if isinstance(value, list) and len(value) == 3:
                settings[name] = value
            continue
        why = problem(name, value)
        if why:
            problems.append(why)
        else:
            settings[name] = value
    return settings, problems


def save(settings, path=PATH):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(settings, f)
    os.rename(tmp, path)
