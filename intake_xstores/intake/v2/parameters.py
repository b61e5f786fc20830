"""JSON Schemas as Intake 2 user parameters.

An Intake 2 catalog entry declares its parameters as
:class:`~intake.readers.user_parameters.BaseUserParameter` objects and
templates them into its arguments (``chunks: "{chunks}"``). Ours are made
from the same JSON Schemas, by the same mapping, as the Intake v1 user
parameters (:func:`intake_xstores.intake.params.user_parameter`: type,
default, allowed values, bounds, description), and they keep the schema, so
a value is checked by the JSON Schema itself and a bad one gets its error:
the parameter, the value and what is allowed.

A parameter without a default has the default ``None``, which means "not
given": :func:`drop_unset` removes it before the store sees the values, as
it removes the ``None`` an ``{env(NAME)}`` template gives for an unset
environment variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema
from intake.readers.user_parameters import BaseUserParameter

from ...schema import JsonObjectSchema, JsonSchema, to_json_value
from ..params import coerce_rendered, user_parameter


class SchemaParameter(BaseUserParameter):
    """An Intake 2 user parameter described by a JSON Schema.

    Parameters
    ----------
    name:
        The parameter's name, as the schema's property.
    schema:
        The property's JSON Schema.
    default:
        A default overriding the schema's (e.g. a value a catalog fixes).

    ``type`` and, where the schema has them, ``allowed``, ``min`` and ``max``
    tell a reader of the catalog what the parameter takes; ``schema`` decides. Text values (from a
    template or a text field) are read as the schema's type.
    """

    def __init__(
        self, name: str, schema: JsonSchema | Mapping[str, Any], default: Any = None
    ) -> None:
        schema = schema.to_dict() if isinstance(schema, JsonSchema) else dict(schema)
        described = user_parameter(name, schema)  # the mapping shared with Intake v1
        if default is None:
            default = schema.get("default")
        super().__init__(default=to_json_value(default), description=described.description)
        self.name = name
        self.type = described.type
        for key in ("allowed", "min", "max"):
            if getattr(described, key) is not None:
                setattr(self, key, to_json_value(getattr(described, key)))
        self.schema = schema

    def __getattribute__(self, name: str) -> Any:
        # Intake 2.0.9's Catalog.to_dict() writes a parameter's attributes but not
        # its class (only the parameter's own to_dict() does), and from_dict()
        # restores the class from a "cls" attribute: keep one among the attributes,
        # so a catalog saved, loaded and saved again still makes SchemaParameters.
        if name == "__dict__":
            attrs = super().__getattribute__(name)
            attrs.setdefault("cls", type(self).qname())
            return attrs
        return super().__getattribute__(name)

    def coerce(self, value: Any) -> Any:
        """*value* as the schema's type: text parsed, dates as ISO strings."""
        if isinstance(value, str):
            coerced = coerce_rendered({"properties": {self.name: self.schema}}, {self.name: value})
            return coerced.get(self.name)
        return to_json_value(value)

    def check(self, value: Any) -> None:
        """Raise ``DataStoreParamsError`` naming the parameter unless *value* is allowed."""
        if value is not None:
            _object_schema({self.name: self.schema}).validate_instance({self.name: value})

    def _validate(self, value: Any) -> bool:
        self.check(value)
        return True

    def set_default(self, value: Any) -> None:
        """Take *value* (how Intake 2 sets a parameter), or say why it is not allowed."""
        value = self.coerce(value)
        self.check(value)
        self.default = value

    def __repr__(self) -> str:
        return (
            f"SchemaParameter({self.name!r}, type={self.type!r}, default={self.default!r}): "
            f"{self.description}"
        )


def _object_schema(properties: Mapping[str, Any]) -> JsonObjectSchema:
    return JsonObjectSchema.from_dict({"type": "object", "properties": dict(properties)})


def schema_parameters(
    schema: JsonSchema | Mapping[str, Any], defaults: Mapping[str, Any] | None = None
) -> dict[str, SchemaParameter]:
    """One :class:`SchemaParameter` per property of an object schema, in schema order."""
    properties = (schema.to_dict() if isinstance(schema, JsonSchema) else schema).get(
        "properties", {}
    )
    defaults = defaults or {}
    return {name: SchemaParameter(name, p, defaults.get(name)) for name, p in properties.items()}


def drop_unset(schema: JsonSchema | Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """*params* without the ``None`` values their schema does not allow: "not given".

    ``None`` reaches here from a parameter nobody set and from an
    ``{env(NAME)}`` template of an unset variable; nested objects described
    by the schema are cleaned the same way.
    """
    properties = (schema.to_dict() if isinstance(schema, JsonSchema) else schema).get(
        "properties", {}
    )
    result: dict[str, Any] = {}
    for name, value in params.items():
        prop = properties.get(name)
        if prop is not None:
            if value is None and not jsonschema.Draft202012Validator(prop).is_valid(None):
                continue
            if isinstance(value, Mapping) and "properties" in prop:
                value = drop_unset(prop, value)
        result[name] = value
    return result
