"""calfraise firmware package: the modules that run on the board (and are imported by the host)."""

VERSION = "0.1.0"
