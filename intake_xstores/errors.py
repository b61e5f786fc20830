"""Errors raised by the data store framework."""


class DataStoreError(Exception):
    """A data store operation failed or was asked for something impossible."""


class DataStoreParamsError(DataStoreError, ValueError):
    """A parameter failed validation against its JSON Schema.

    The message names the parameter, the value and what is allowed. Being a
    ``ValueError`` too, it is caught by code that expects bad arguments to
    raise one.
    """
