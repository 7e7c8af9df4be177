class InputError(ValueError):
    """Bad user input; the message is shown to the user as is."""


class ModelUnavailable(RuntimeError):
    """A model's weights or package are missing; the message says what to install."""
