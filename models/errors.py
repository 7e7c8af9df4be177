"""Errors whose message is shown to the user. str(error) is the English text; `key` and `values` (when the
message comes from models/messages.py) let the studio say it in the user's language."""
from typing import Self

from models.messages import MESSAGES


class Phrase(str):
    """A message of models/messages.py, filled in, as plain text that still knows its key and values: used as
    another message's {field} value (a setting's name) or as a note the studio shows, so that the studio can
    say it in the user's language."""

    key: str
    values: dict

    def __new__(cls, key: str, /, **values) -> Self:
        phrase = super().__new__(cls, MESSAGES[key].format(**values))
        phrase.key, phrase.values = key, values
        return phrase


class KeyedMessage:
    """Mixed into an exception: its message, and the key and values it was made from (None: a literal)."""

    def __init__(self, message: str, key: str | None = None, values: dict | None = None):
        super().__init__(message)
        self.key, self.values = key, dict(values or {})

    @classmethod
    def of(cls, key: str, /, **values):
        """The error saying MESSAGES[key] with its {fields} filled in from `values`."""
        return cls(MESSAGES[key].format(**values), key, values)


class InputError(KeyedMessage, ValueError):
    """Bad user input; the message is shown to the user as is (translated when it has a key)."""


class ModelUnavailable(KeyedMessage, RuntimeError):
    """A model's weights or package are missing; the message says what to install."""
