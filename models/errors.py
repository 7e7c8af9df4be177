"""What the code says to the user, as a message key and the values of its {fields}: never a sentence.

The rule, for models/ and studio/ alike:
- A user error is raised as `InputError.of(key, **values)` (bad input) or `ModelUnavailable.of(key, **values)`
  (weights or a package missing, a load that failed); there is no other way to raise one.
- A note, a progress step or a name used inside another message is a `Phrase(key, **values)`.
- The text is studio/locales/<language>.json[namespace + "." + key]: namespace "error" for the two errors,
  "phrase" for a Phrase. `InputError.of("audio.empty")` says "error.audio.empty"; `Phrase("model.ready",
  model=...)` says "phrase.model.ready". Every locale file has that key, with the same {fields}.
- A value that is itself a Phrase is said in the same language before it fills its field.
- str() of any of them is the key and its values, "audio.too_long(minutes=12.5, limit=10)": for logs and
  tests; the studio says them in the page's language (studio.common.in_user_language).
"""
from typing import ClassVar, Self


def described(key: str, values: dict) -> str:
    """'key(name=value, ...)': a message as the logs and the tests see it."""
    fields = ", ".join(f"{name}={value!r}" for name, value in values.items())
    return f"{key}({fields})" if values else key


class Phrase:
    """A note, a progress step or a setting's name: a message key and the values of its {fields}."""

    namespace: ClassVar[str] = "phrase"

    def __init__(self, key: str, /, **values):
        self.key, self.values = key, values

    @property
    def locale_key(self) -> str:
        return f"{self.namespace}.{self.key}"

    def __eq__(self, other) -> bool:
        return isinstance(other, Phrase) and (self.key, self.values) == (other.key, other.values)

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return described(self.key, self.values)

    __str__ = __repr__


class KeyedMessage:
    """Mixed into an exception: the message key it says and the values of its {fields}."""

    namespace: ClassVar[str] = "error"

    def __init__(self, key: str, values: dict):
        super().__init__(described(key, values))
        self.key, self.values = key, values

    @property
    def locale_key(self) -> str:
        return f"{self.namespace}.{self.key}"

    @classmethod
    def of(cls, key: str, /, **values) -> Self:
        """The error saying `key` with its {fields} filled in from `values`."""
        return cls(key, values)


class InputError(KeyedMessage, ValueError):
    """Bad user input: the studio shows what is wrong and what to do."""


class ModelUnavailable(KeyedMessage, RuntimeError):
    """A model's weights or package are missing, or it failed to load: the message says what to install."""
