"""Errors raised by the data store framework."""

import jsonschema


class DataStoreError(Exception):
    """A data store operation failed or was asked for something impossible."""


class DataStoreParamsError(DataStoreError, ValueError, jsonschema.ValidationError):
    """A parameter failed validation against its JSON Schema.

    The message names the parameter, the value and what is allowed. Being a
    ``ValueError`` too, it is caught by code that expects bad arguments to
    raise one; being a ``jsonschema.ValidationError`` as well, it is caught
    by code written for xcube, whose schemas raise that (``e.message`` is
    the message).
    """

    def __init__(self, message: str):
        jsonschema.ValidationError.__init__(self, message)
        self.args = (message,)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"

    def __reduce__(self):
        return type(self), (self.message,)


def error_text(error: BaseException) -> str:
    """*error* as one message says it: its type, and its text when it has one.

    Library errors such as aiohttp's ``InvalidUrlClientError`` may have no text;
    their type is then all a user can go on.
    """
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
