"""Writes the simulated board's setup (port/simhw/config.py documents every key) and gives the
environment that points the unix port at it."""

import json


def write_sim_config(path, **config):
    """Write `config` as the sim config file; returns the env entries that select it."""
    path.write_text(json.dumps(config))
    return {"CALFRAISE_SIM": str(path)}
