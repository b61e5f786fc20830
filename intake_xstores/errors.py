"""Errors raised by the data store framework."""


class DataStoreError(Exception):
    """A data store operation failed or was asked for something impossible."""


class DataStoreParamsError(DataStoreError, ValueError):
    """A parameter failed validation against its JSON Schema.

    The message names the parameter, the value and what is allowed. Being a
    ``ValueError`` too, it is caught by code that expects bad arguments to
    raise one.
    """


def error_text(error: BaseException) -> str:
    """*error* as one message says it: its type, and its text when it has one.

    Library errors such as aiohttp's ``InvalidUrlClientError`` may have no text;
    their type is then all a user can go on.
    """
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
