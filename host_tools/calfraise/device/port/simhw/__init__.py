"""Simulated hardware for the firmware on the unix port: the chips on the I2C bus, the athlete's
movement they measure (a trace), the button, the battery and the LEDs. Configured by the JSON
file named in $CALFRAISE_SIM (see config.py); `calfraise device run` writes it."""
