"""BLE on the host: the virtual link to the firmware running on this PC (bridge.py, virtual.py)
and the bleak backend that reaches it (bumble_backend.py). No radio is needed: two Bumble
controllers share a software LocalLink."""
