"""Hardware in the loop, with a person at the board: standby and the wake on a shake.
`make hil PORT=/dev/ttyUSB0` runs it (skipped without --board); the operator leaves the board
still, then shakes it when told. Where the board file wires the IMU's INT the board
deep-sleeps and must come back by itself, booting with reset_cause DEEPSLEEP_RESET and the app
reporting {"type": "wake", "cause": "motion"}; elsewhere standby polls the IMU in light sleep
and must see the shake. The boot's length after the wake is printed (runner.BOOT_MS models it).
"""

import time

import pytest
import serial

from calfraise.device.runner import BOOT_MS, parse_event
from test_hil import MP, last_json, on_board, script, target  # noqa: F401 (the fixture)

pytestmark = pytest.mark.hil

SHAKE_S = 60  # the operator has this long; then the timer wakes it (cause "timer": a failure)
POLL_S = 20  # a polled board's deep sleep before its timer boot asks the IMU
DEEPSLEEP_RESET = 4


def console_events(port, seconds, done):
    """The app's console events for up to `seconds`, until done(event). DTR and RTS stay low:
    on auto-reset boards they would reset the ESP32 out of its sleep."""
    link = serial.Serial()
    link.port, link.baudrate, link.timeout = port, 115200, 1
    link.dtr = link.rts = False
    events = []
    deadline = time.monotonic() + seconds
    with link:  # opens it
        while time.monotonic() < deadline:
            event = parse_event(link.readline().decode(errors="replace"))
            if event is None:
                continue
            event["at_s"] = time.monotonic()
            events.append(event)
            if done(event):
                break
    return events


def test_standby_wakes_on_a_shake_and_reports_why(target, capsys):  # noqa: F811
    port, board = target
    with capsys.disabled():
        print(f"\n>>> {board.title}: leave it still; shake it when told (within {SHAKE_S} s)")
    if board.imu.int_pin is None:
        with capsys.disabled():
            print(">>> polled standby (no IMU INT wired): shake it now")
        said = last_json(on_board(port, *script(MP / "hil_sleep.py", SHAKE_S)))
        assert said == {"armed": "polled", "woke": "motion"}
        return
    said = last_json(on_board(port, *script(MP / "hil_sleep.py", SHAKE_S + 30)))
    assert said["armed"] == "deep"
    shaken_wakes_by_motion(port, capsys, SHAKE_S + 40)


def test_polled_standby_deep_sleeps_and_a_timer_boot_finds_the_shake(target, capsys):  # noqa: F811
    """A board without the IMU's INT, in the deep part of its standby: the RTC timer boots it
    after POLL_S; the app's boot reads the IMU's latched flag (power.deep_poll) and, shaken
    meanwhile, boots on with the wake cause "motion"."""
    port, board = target
    if board.imu.int_pin is not None:
        pytest.skip("the IMU's INT is wired: standby never polls")
    with capsys.disabled():
        print(f"\n>>> {board.title}: leave it still; shake it when told (within {POLL_S} s)")
    said = last_json(on_board(port, *script(MP / "hil_sleep.py", SHAKE_S, POLL_S)))
    assert said["armed"] == "deep"
    shaken_wakes_by_motion(port, capsys, POLL_S + 30)


def shaken_wakes_by_motion(port, capsys, seconds):
    """Prompt the shake of a deep-sleeping board; its app must boot from the deep sleep and
    say it woke by motion. Prints how long that took."""
    time.sleep(2)  # asleep by now
    with capsys.disabled():
        print(">>> asleep: shake it now")
    shaken = time.monotonic()
    events = console_events(port, seconds, lambda e: e["type"] == "wake")
    boots = [e for e in events if e["type"] == "boot"]
    wakes = [e for e in events if e["type"] == "wake"]
    assert boots and boots[-1]["reset_cause"] == DEEPSLEEP_RESET, events
    assert wakes and wakes[-1]["cause"] == "motion", events
    with capsys.disabled():
        print(
            f"wake to the app's wake event: {wakes[-1]['at_s'] - shaken:.1f} s after the prompt"
            f" (the twin assumes a {BOOT_MS} ms boot)"
        )
