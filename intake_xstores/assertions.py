"""Validating parameters and configurations against their JSON Schemas, as
xcube's ``assert_valid_params``/``assert_valid_config`` do."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import DataStoreParamsError
from .schema import JsonObjectSchema


def assert_valid_params(
    params: Mapping[str, Any] | None,
    schema: JsonObjectSchema | None = None,
    name: str = "params",
) -> None:
    """Raise :class:`DataStoreParamsError` unless the keyword arguments *params*
    are valid for *schema* (``None`` is valid: nothing was given)."""
    _assert_valid(params, schema, name, "parameterization")


def assert_valid_config(
    config: Mapping[str, Any] | None,
    schema: JsonObjectSchema | None = None,
    name: str = "config",
) -> None:
    """Raise :class:`DataStoreParamsError` unless the JSON object *config* is
    valid for *schema*."""
    _assert_valid(config, schema, name, "configuration")


def _assert_valid(
    obj: Mapping[str, Any] | None, schema: JsonObjectSchema | None, name: str, kind: str
) -> None:
    if obj is None:
        return
    if not isinstance(obj, Mapping):
        raise TypeError(f"{name} must be a dict, was {type(obj).__name__}")
    if schema is None:
        return
    if not isinstance(schema, JsonObjectSchema):
        raise TypeError(f"{name}_schema must be a JsonObjectSchema, was {type(schema).__name__}")
    try:
        schema.validate_instance(dict(obj))
    except DataStoreParamsError as error:
        raise DataStoreParamsError(f"Invalid {kind} detected: {error}") from None
