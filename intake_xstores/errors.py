"""Errors raised by the data store framework."""

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

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


class DataExistsError(DataStoreError):
    """Writing *data_id* would overwrite data that is there, and ``replace`` is off.

    A type of its own, carrying the data ID, so that faces can say how *they*
    allow replacing (the command line's ``--replace``) without parsing messages.
    """

    def __init__(self, data_id: str):
        super().__init__(
            f"Data resource {data_id!r} already exists; pass replace=True to overwrite it"
        )
        self.data_id = data_id

    def __reduce__(self):
        return type(self), (self.data_id,)


#: The data ID a store is acting on. Accessors, formats and the write journal
#: see paths only (a write's hidden temp, too), yet their messages should name
#: the data as the user did; chunk reads run inside Dask tasks long after an
#: open, so openers take the name when they open. Set with :func:`naming`.
_DATA_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("data_id", default=None)


@contextlib.contextmanager
def naming(data_id: str) -> Iterator[None]:
    """Let messages made inside (see :func:`shown`) call the data *data_id*."""
    token = _DATA_ID.set(data_id)
    try:
        yield
    finally:
        _DATA_ID.reset(token)


def shown(path: str) -> str:
    """What a message calls the data at *path* (or at its hidden temp): the data ID
    the store is acting on (see :func:`naming`), else *path* itself, as when an
    accessor is used without a store."""
    return _DATA_ID.get() or path


def error_text(error: BaseException) -> str:
    """*error* as one message says it: its type, and its text when it has one.

    Library errors such as aiohttp's ``InvalidUrlClientError`` may have no text;
    their type is then all a user can go on.
    """
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


_NO_VALUE = object()


def param_error(
    name: str,
    value: Any = _NO_VALUE,
    *,
    problem: str | None = None,
    allowed: str | None = None,
) -> DataStoreParamsError:
    """The one way to say that parameter *name* got a bad *value*.

    The message reads ``Invalid value for parameter 'name': value[; problem][; allowed: ...]``,
    so users meet the same shape from every store, format and face.
    """
    parts = [] if value is _NO_VALUE else [repr(value)]
    if problem:
        parts.append(problem)
    if allowed:
        parts.append(f"allowed: {allowed}")
    return DataStoreParamsError(f"Invalid value for parameter {name!r}: {'; '.join(parts)}")
