"""JSON Schema objects describing the parameters of stores and operations.

The classes mirror xcube's ``JsonObjectSchema`` and friends. They only
*describe*; validation is delegated to the ``jsonschema`` library, and every
error it reports is rewritten into one that names the parameter, the value
and what is allowed. Secret values (``secret=True``, emitted as the
standard ``writeOnly`` keyword) are never echoed.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import jsonschema

from .errors import DataStoreParamsError
from .secrets import holds_secret


class _Undefined:
    """Marks "no value given" where ``None`` is a legal value."""

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __reduce__(self):
        return "UNDEFINED"


UNDEFINED = _Undefined()

_COMMON = {
    "title": "title",
    "description": "description",
    "default": "default",
    "enum": "enum",
    "const": "const",
    "examples": "examples",
    "format": "format",
}


_MAY_BE_NULL = ("default", "const")


class JsonSchema:
    """Base of all schema objects; holds the keywords common to every type."""

    type: str | None = None
    _keywords: dict[str, str] = {}

    def __init__(
        self,
        *,
        title: str | None = None,
        description: str | None = None,
        default: Any = UNDEFINED,
        enum: list | None = None,
        const: Any = UNDEFINED,
        examples: list | None = None,
        format: str | None = None,
        nullable: bool = False,
        secret: bool = False,
        **keywords: Any,
    ):
        self.title = title
        self.description = description
        self.default = default
        self.enum = list(enum) if enum is not None else None
        self.const = const
        self.examples = examples
        self.format = format
        self.nullable = nullable
        self.secret = secret
        unknown = set(keywords) - set(self._keywords)
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected keyword(s): {sorted(unknown)}")
        for name in self._keywords:
            setattr(self, name, keywords.get(name))

    def to_dict(self) -> dict[str, Any]:
        """This schema as a standard JSON Schema dictionary."""
        d: dict[str, Any] = {}
        if self.type is not None:
            d["type"] = [self.type, "null"] if self.nullable else self.type
        for attr, key in {**_COMMON, **self._keywords}.items():
            value = getattr(self, attr)
            if value is UNDEFINED or (value is None and attr not in _MAY_BE_NULL):
                continue
            d[key] = _to_json(value)
        if self.secret:
            d["writeOnly"] = True
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> JsonSchema:
        """Build the matching schema object from a JSON Schema dictionary."""
        return _from_dict(d)

    def validate_instance(self, instance: Any) -> None:
        """Raise :class:`DataStoreParamsError` unless *instance* is valid."""
        validator = jsonschema.Draft202012Validator(self.to_dict())
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise DataStoreParamsError(_explain(error)) from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JsonSchema) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_dict()!r})"


def _to_json(value: Any) -> Any:
    if isinstance(value, JsonSchema):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    return value


class JsonNullSchema(JsonSchema):
    type = "null"


class JsonBooleanSchema(JsonSchema):
    type = "boolean"


class JsonStringSchema(JsonSchema):
    type = "string"
    _keywords = {
        "min_length": "minLength",
        "max_length": "maxLength",
        "pattern": "pattern",
    }


class JsonNumberSchema(JsonSchema):
    type = "number"
    _keywords = {
        "minimum": "minimum",
        "maximum": "maximum",
        "exclusive_minimum": "exclusiveMinimum",
        "exclusive_maximum": "exclusiveMaximum",
        "multiple_of": "multipleOf",
    }


class JsonIntegerSchema(JsonNumberSchema):
    type = "integer"


class JsonDateSchema(JsonStringSchema):
    """A date or date-time string (ISO 8601)."""

    def __init__(self, *, format: str = "date", **kwargs: Any):
        super().__init__(format=format, **kwargs)


class JsonArraySchema(JsonSchema):
    type = "array"
    _keywords = {
        "items": "items",
        "prefix_items": "prefixItems",
        "min_items": "minItems",
        "max_items": "maxItems",
        "unique_items": "uniqueItems",
    }


class JsonObjectSchema(JsonSchema):
    """An object whose properties are parameters.

    ``additional_properties=False`` makes unknown parameters an error.
    """

    type = "object"
    _keywords = {
        "properties": "properties",
        "required": "required",
        "additional_properties": "additionalProperties",
        "min_properties": "minProperties",
        "max_properties": "maxProperties",
    }

    def __init__(
        self,
        properties: Mapping[str, JsonSchema] | None = None,
        required: list[str] | None = None,
        additional_properties: bool | JsonSchema | None = None,
        **kwargs: Any,
    ):
        super().__init__(
            properties=dict(properties or {}),
            required=list(required) if required else None,
            additional_properties=additional_properties,
            **kwargs,
        )

    def apply_defaults(self, instance: Mapping[str, Any]) -> dict[str, Any]:
        """Return a copy of *instance* with missing properties set to defaults."""
        result = dict(instance)
        for name, prop in self.properties.items():
            if name not in result and prop.default is not UNDEFINED:
                result[name] = copy.deepcopy(prop.default)
            elif isinstance(prop, JsonObjectSchema) and isinstance(result.get(name), Mapping):
                result[name] = prop.apply_defaults(result[name])
        return result

    def process(self, instance: Mapping[str, Any] | None) -> dict[str, Any]:
        """Validate *instance* and return it completed with defaults."""
        instance = dict(instance or {})
        self.validate_instance(instance)
        return self.apply_defaults(instance)

    def secret_paths(self, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
        """Paths of all properties marked secret, for redaction."""
        paths = set()
        for name, prop in self.properties.items():
            if prop.secret:
                paths.add(prefix + (name,))
            if isinstance(prop, JsonObjectSchema):
                paths |= prop.secret_paths(prefix + (name,))
        return paths


class JsonComplexSchema(JsonSchema):
    """A combination: ``one_of``, ``any_of`` or ``all_of`` other schemas."""

    _keywords = {"one_of": "oneOf", "any_of": "anyOf", "all_of": "allOf"}


_TYPES = {
    c.type: c
    for c in (
        JsonNullSchema,
        JsonBooleanSchema,
        JsonStringSchema,
        JsonNumberSchema,
        JsonIntegerSchema,
        JsonArraySchema,
        JsonObjectSchema,
    )
}


def _from_dict(d: Mapping[str, Any]) -> JsonSchema:
    d = dict(d)
    type_ = d.pop("type", None)
    nullable = False
    if isinstance(type_, list):
        types = [t for t in type_ if t != "null"]
        nullable = len(types) < len(type_)
        if len(types) != 1:
            any_of = [{"type": t} for t in type_]
            return JsonComplexSchema(any_of=[_from_dict(s) for s in any_of])
        type_ = types[0]
    if type_ is None:
        if "properties" in d:
            type_ = "object"
        elif not any(k in d for k in ("oneOf", "anyOf", "allOf")):
            type_ = None
    cls = _TYPES.get(type_, JsonComplexSchema if type_ is None else None)
    if cls is None:
        raise ValueError(f"Unknown JSON Schema type {type_!r}")
    reverse = {key: attr for attr, key in {**_COMMON, **cls._keywords}.items()}
    kwargs: dict[str, Any] = {"nullable": nullable, "secret": d.pop("writeOnly", False)}
    for key, value in d.items():
        if key not in reverse:
            continue  # unknown keywords carry no meaning we could use
        attr = reverse[key]
        if key in ("properties",):
            value = {k: _from_dict(v) for k, v in value.items()}
        elif key in ("oneOf", "anyOf", "allOf", "prefixItems"):
            value = [_from_dict(v) for v in value]
        elif key in ("items", "additionalProperties") and isinstance(value, Mapping):
            value = _from_dict(value)
        kwargs[attr] = value
    return cls(**kwargs)


def _explain(error: jsonschema.ValidationError) -> str:
    """Turn a jsonschema error into "parameter, value, what is allowed"."""
    path = ".".join(str(p) for p in error.absolute_path)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    secret = schema.get("writeOnly", False) or holds_secret(schema, error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        where = f" of '{path}'" if path else ""
        return (
            f"Unknown parameter{'s' if len(extra) > 1 else ''}{where}: "
            f"{', '.join(repr(e) for e in extra)}; allowed are: "
            f"{', '.join(allowed) or 'none'}"
        )
    if error.validator == "required":
        return f"Missing required parameter: {error.message.split(' is a required')[0]}"
    value = "<hidden>" if secret else repr(error.instance)
    allowed = _allowed(schema)
    name = f"parameter '{path}'" if path else "parameters"
    message = (
        error.message if not secret else error.message.replace(repr(error.instance), "<hidden>")
    )
    return f"Invalid value for {name}: {value} ({message}); allowed: {allowed}"


def _allowed(schema: Mapping[str, Any]) -> str:
    """A short human description of what *schema* accepts."""
    if "enum" in schema:
        return "one of " + ", ".join(repr(v) for v in schema["enum"])
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return " or ".join(_allowed(s) for s in schema[key])
    type_ = schema.get("type", "any value")
    parts = [" or ".join(type_) if isinstance(type_, list) else str(type_)]
    bounds = {
        "minimum": ">=",
        "maximum": "<=",
        "exclusiveMinimum": ">",
        "exclusiveMaximum": "<",
        "minLength": "length >=",
        "maxLength": "length <=",
        "minItems": "items >=",
        "maxItems": "items <=",
    }
    parts += [f"{op} {schema[k]}" for k, op in bounds.items() if k in schema]
    if "pattern" in schema:
        parts.append(f"matching {schema['pattern']!r}")
    if "items" in schema and isinstance(schema["items"], Mapping):
        parts.append(f"of {_allowed(schema['items'])}")
    return " ".join(parts)
