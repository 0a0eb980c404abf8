"""Errors caused by the user's input: the CLI prints them as one line and exits 2, no traceback."""


class UserError(Exception):
    """Bad input or arguments; str(err) is the whole message, one line."""
