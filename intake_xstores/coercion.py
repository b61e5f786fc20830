"""Parameter values given as text, turned into the types their JSON Schema asks for.

Text reaches parameters from the command line (``--param max_depth=2``), from
GUI text fields and from Intake's YAML templates (``"{{ max_depth }}"`` renders
as ``"2"``). One strict rule serves them all: ``"false"`` is ``False`` where a
boolean is expected, ``"2"`` is ``2`` where an integer is, ``"[1, 2]"`` a list
where an array is; text that is none of the types allowed (``"maybe"`` for a
boolean) is a :class:`DataStoreParamsError` naming the parameter, the value and
what is allowed. Values that are not text are left to the schema's validation.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Mapping
from typing import Any

from .errors import param_error

_TRUTH = {"true": True, "false": False}
_NULL_TEXTS = ("None", "null")
_SAYS = {
    "boolean": "true or false",
    "integer": "an integer",
    "number": "a number",
    "array": 'a list such as ["a", "b"]',
    "object": 'an object such as {"time": 1}',
    "null": "null",
}


def json_types(schema: Mapping[str, Any]) -> list[str]:
    """The non-null JSON types *schema* allows, looking into anyOf/oneOf."""
    type_ = schema.get("type")
    if isinstance(type_, str):
        return [] if type_ == "null" else [type_]
    if isinstance(type_, list):
        return [t for t in type_ if t != "null"]
    types: list[str] = []
    for key in ("anyOf", "oneOf"):
        for sub in schema.get(key, ()):
            types += [t for t in json_types(sub) if t not in types]
    return types


def nullable(schema: Mapping[str, Any]) -> bool:
    """Whether *schema* allows null."""
    type_ = schema.get("type")
    if type_ == "null" or (isinstance(type_, list) and "null" in type_):
        return True
    return any(nullable(s) for key in ("anyOf", "oneOf") for s in schema.get(key, ()))


def parse_literal(text: str) -> Any:
    """*text* as JSON, else as a Python literal (tuples as lists); ``ValueError`` if neither."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        value = ast.literal_eval(text)
    except (SyntaxError, TypeError, MemoryError, RecursionError) as error:
        raise ValueError(str(error)) from None
    return list(value) if isinstance(value, tuple) else value


def _is(value: Any, type_: str) -> bool:
    if type_ == "boolean":
        return isinstance(value, bool)
    if type_ in ("integer", "number"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, {"array": list, "object": dict, "string": str}.get(type_, ()))


def coerce_text(schema: Mapping[str, Any], text: str, name: str) -> Any:
    """The value *text* stands for, as parameter *name* described by *schema* takes it.

    Text for a string is kept; a schema that tells no type keeps it too.
    """
    types = json_types(schema)
    if text.strip() in _NULL_TEXTS and (nullable(schema) or not types):
        return None
    if not types or types == ["string"]:
        return text
    if "boolean" in types and text.strip().lower() in _TRUTH:
        return _TRUTH[text.strip().lower()]
    try:
        value = parse_literal(text)
    except ValueError:
        value = text
    for type_ in types:
        if type_ != "string" and _is(value, type_):
            if type_ == "integer" and isinstance(value, float):
                if not value.is_integer():
                    continue
                return int(value)
            if type_ == "number" and "integer" not in types:
                return float(value)
            return value
    if "string" in types:
        return text  # e.g. "auto" or "007" where a string is allowed too
    allowed = " or ".join(_SAYS.get(t, t) for t in types + (["null"] if nullable(schema) else []))
    raise param_error(name, text, allowed=allowed)


def coerce_params(
    schema: Mapping[str, Any],
    params: Mapping[str, Any],
    unknown: Callable[[str], Any] | None = None,
    prefix: str = "",
) -> dict[str, Any]:
    """*params* with every text value coerced by its property's schema (see :func:`coerce_text`).

    Nested objects are coerced by their own schemas, or by the schema of
    ``additionalProperties``. Empty text for a property without a default
    means "not given" and is dropped (an unset variable in a YAML template).
    Text for a property *schema* does not describe is passed to *unknown*
    (by default kept as it is).
    """
    properties = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    result: dict[str, Any] = {}
    for name, value in params.items():
        prop = properties.get(name, extra if isinstance(extra, Mapping) else None)
        path = f"{prefix}{name}"
        if isinstance(value, Mapping):
            if prop is not None and ("properties" in prop or "additionalProperties" in prop):
                value = coerce_params(prop, value, unknown, path + ".")
            elif prop is None and unknown is not None:
                value = coerce_params({}, value, unknown, path + ".")
            result[name] = value
        elif not isinstance(value, str):
            result[name] = value
        elif prop is None:
            result[name] = unknown(value) if unknown is not None else value
        elif value != "" or "default" in prop:
            result[name] = coerce_text(prop, value, path)
    return result
