"""The Python reference host for the connector:destination component."""


class SetupError(Exception):
    """The run cannot start: the message is one sentence for the user."""
