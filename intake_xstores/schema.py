"""JSON Schema objects describing the parameters of stores and operations.

The classes mirror xcube's ``JsonObjectSchema`` and friends. They only
*describe*; validation is delegated to the ``jsonschema`` library, and every
error it reports is rewritten into one that names the parameter, the value
and what is allowed. Secret values (``secret=True``, emitted as the
standard ``writeOnly`` keyword) are never echoed.
"""

from __future__ import annotations

import copy
import datetime
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jsonschema

from .errors import DataStoreParamsError
from .secrets import holds_secret

FORMAT_CHECKER = jsonschema.FormatChecker(formats=())
"""Checks the ``format`` of strings: ``date`` and ``date-time`` (ISO 8601).

Our own checks, not jsonschema's optional ones: they need no extra package,
and a ``date-time`` may be given as a date (``2021-03-01``), as users do.
"""


@FORMAT_CHECKER.checks("date", raises=ValueError)
def _is_date(instance: Any) -> bool:
    return not isinstance(instance, str) or bool(datetime.date.fromisoformat(instance))


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(instance: Any) -> bool:
    if not isinstance(instance, str):
        return True
    return bool(datetime.datetime.fromisoformat(instance.strip().replace("Z", "+00:00")))


_FORMAT_EXAMPLES = {"date": "2021-03-01", "date-time": "2021-03-01T12:00:00Z or 2021-03-01"}


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


Factory = Callable[..., Any]
"""Makes a Python object from a validated JSON value (``from_instance``)."""
Serializer = Callable[..., Any]
"""Makes a JSON value from a Python object (``to_instance``)."""

_TYPE_NAMES = ("null", "boolean", "integer", "number", "string", "array", "object")


class JsonSchema:
    """Base of all schema objects; holds the keywords common to every type.

    As in xcube, a schema converts between Python objects and JSON values:
    :meth:`to_instance` serializes (with *serializer*, if given) and then
    validates; :meth:`from_instance` validates and then builds the object
    (with *factory*, if given). A schema with no ``type`` accepts any value.
    """

    type: str | None = None
    _keywords: dict[str, str] = {}

    def __init__(
        self,
        type: str | None = None,
        default: Any = UNDEFINED,
        const: Any = UNDEFINED,
        enum: Sequence | None = None,
        nullable: bool | None = None,
        title: str | None = None,
        description: str | None = None,
        examples: Any = None,
        factory: Factory | None = None,
        serializer: Serializer | None = None,
        *,
        format: str | None = None,
        secret: bool = False,
        **keywords: Any,
    ):
        if type is not None:
            if type not in _TYPE_NAMES:
                names = ", ".join(f'"{t}"' for t in sorted(_TYPE_NAMES))
                raise ValueError(f"type must be one of {names}")
            self.type = type
        if factory is not None and not callable(factory):
            raise ValueError("factory must be callable")
        if serializer is not None and not callable(serializer):
            raise ValueError("serializer must be callable")
        self.title = title
        self.description = description
        self.default = default
        self.enum = list(enum) if enum is not None else None
        self.const = const
        self.examples = examples
        self.format = format
        self.nullable = bool(nullable)
        self.secret = secret
        self.factory = factory
        self.serializer = serializer
        unknown = set(keywords) - set(self._keywords)
        if unknown:
            raise TypeError(
                f"{self.__class__.__name__} got unexpected keyword(s): {sorted(unknown)}"
            )
        for name in self._keywords:
            setattr(self, name, keywords.get(name))

    def to_dict(self) -> dict[str, Any]:
        """This schema as a standard JSON Schema dictionary."""
        d: dict[str, Any] = {}
        if self.type is not None:
            d["type"] = [self.type, "null"] if self.nullable and self.type != "null" else self.type
        for attr, key in {**_COMMON, **self._keywords}.items():
            value = getattr(self, attr)
            if value is UNDEFINED or (value is None and attr not in _MAY_BE_NULL):
                continue
            d[key] = to_json_value(value)
        if self.secret:
            d["writeOnly"] = True
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> JsonSchema:
        """Build the matching schema object from a JSON Schema dictionary."""
        return _from_dict(d)

    def validate_instance(self, instance: Any) -> None:
        """Raise :class:`DataStoreParamsError` unless *instance* is valid.

        The error is also a ``jsonschema.ValidationError``, as in xcube.
        """
        validator = _Validator(self.to_dict(), format_checker=FORMAT_CHECKER)
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise DataStoreParamsError(_explain(error)) from None

    def to_instance(self, value: Any) -> Any:
        """The JSON value of the Python object *value*, validated."""
        instance = self._to_unvalidated_instance(value)
        self.validate_instance(instance)
        return instance

    def from_instance(self, instance: Any) -> Any:
        """The Python object of the JSON value *instance*, validated first."""
        self.validate_instance(instance)
        return self._from_validated_instance(instance)

    def _to_unvalidated_instance(self, value: Any) -> Any:
        if self.serializer is not None:
            return self.serializer(value)
        return self._convert(value, "_to_unvalidated_instance")

    def _from_validated_instance(self, instance: Any) -> Any:
        value = self._convert(instance, "_from_validated_instance")
        return self._build(value) if self.factory is not None else value

    def _convert(self, value: Any, method: str) -> Any:
        """*value* with its parts converted by *method* of their schemas
        (arrays and objects); a simple value as it is."""
        return value

    def _build(self, value: Any) -> Any:
        """The object :attr:`factory` makes of the converted *value*."""
        return self.factory(value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JsonSchema) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_dict()!r})"


def to_json_value(value: Any, *, fallback: Callable[[Any], Any] | None = None) -> Any:
    """*value* as a JSON document holds it: the package's one JSON-ifier.

    Schemas become their dictionaries, mappings get string keys, tuples become
    lists, NumPy arrays and scalars plain Python values, dates and times ISO
    strings (a naive midnight as a date alone, as users write it), and NaN
    stays the one ``math.nan`` object (so descriptors compare equal after a
    round trip). Anything else is returned as it is, or passed to *fallback*
    (``fallback=str`` where the result must serialise whatever it holds).
    NumPy is only looked at when already imported, to keep imports light.
    """

    def convert(v: Any) -> Any:
        if isinstance(v, JsonSchema):
            return v.to_dict()
        if isinstance(v, Mapping):
            return {str(k): convert(item) for k, item in v.items()}
        if isinstance(v, (list, tuple)):
            return [convert(item) for item in v]
        if isinstance(v, datetime.datetime):
            midnight = v.time() == datetime.time(0) and v.tzinfo is None
            return v.date().isoformat() if midnight else v.isoformat()
        if isinstance(v, datetime.date):
            return v.isoformat()
        numpy = sys.modules.get("numpy")
        if numpy is not None and isinstance(v, (numpy.ndarray, numpy.generic)):
            return convert(v.tolist())
        if isinstance(v, float) and math.isnan(v):
            return math.nan
        if fallback is None or v is None or isinstance(v, (str, int, float, bool)):
            return v
        return fallback(v)

    return convert(value)


class JsonSimpleSchema(JsonSchema):
    """A schema of one JSON type, given by name (``JsonSimpleSchema("string")``)."""

    def __init__(self, type: str, **kwargs: Any):
        if not isinstance(type, str):
            raise ValueError(f"illegal type: {type}")
        super().__init__(type, **kwargs)


class JsonNullSchema(JsonSimpleSchema):
    type = "null"

    def __init__(self, **kwargs: Any):
        super().__init__(type="null", **kwargs)


class JsonBooleanSchema(JsonSimpleSchema):
    type = "boolean"

    def __init__(self, **kwargs: Any):
        super().__init__(type="boolean", **kwargs)


class JsonStringSchema(JsonSimpleSchema):
    """A string; keywords as in ``_keywords`` (``pattern``, ``min_length``, ...)."""

    type = "string"
    _keywords = {
        "min_length": "minLength",
        "max_length": "maxLength",
        "pattern": "pattern",
    }

    def __init__(self, format: str | None = None, **kwargs: Any):
        super().__init__(type="string", format=format, **kwargs)


class JsonNumberSchema(JsonSimpleSchema):
    """A number; ``type="integer"`` makes it an integer (as :class:`JsonIntegerSchema`).

    Keywords as in ``_keywords`` (``minimum``, ``exclusive_maximum``, ...).
    """

    type = "number"
    _keywords = {
        "minimum": "minimum",
        "maximum": "maximum",
        "exclusive_minimum": "exclusiveMinimum",
        "exclusive_maximum": "exclusiveMaximum",
        "multiple_of": "multipleOf",
    }

    def __init__(self, type: str = "number", **kwargs: Any):
        if type not in ("integer", "number"):
            raise ValueError('Type must be one of "integer", "number"')
        super().__init__(type, **kwargs)


class JsonIntegerSchema(JsonNumberSchema):
    type = "integer"

    def __init__(self, **kwargs: Any):
        super().__init__(type="integer", **kwargs)


def _check_date_bound(value: str | None, name: str, format: str) -> None:
    if value is not None and not (
        isinstance(value, str) and FORMAT_CHECKER.conforms(value, format)
    ):
        raise ValueError(f'{name} must be formatted as a "{format}"')


class JsonDateSchema(JsonStringSchema):
    """A date string (ISO 8601, ``format: date``), optionally within
    [*min_date*, *max_date*].

    The bounds are written as ``minDate``/``maxDate``, as xcube writes them,
    and, unlike in xcube (where no validator knows these keywords, so the
    bounds were never checked), they are enforced. ``format="date-time"``
    is accepted for older callers; :class:`JsonDatetimeSchema` says it better.
    """

    _keywords = {**JsonStringSchema._keywords, "min_date": "minDate", "max_date": "maxDate"}

    def __init__(
        self,
        min_date: str | None = None,
        max_date: str | None = None,
        *,
        format: str = "date",
        **kwargs: Any,
    ):
        _check_date_bound(min_date, "min_date", "date")
        _check_date_bound(max_date, "max_date", "date")
        super().__init__(format=format, min_date=min_date, max_date=max_date, **kwargs)

    @classmethod
    def new_range(
        cls, min_date: str | None = None, max_date: str | None = None, nullable: bool = False
    ) -> JsonArraySchema:
        """A ``[start, end]`` pair of dates; *nullable*: the pair and either end may be null."""
        item = dict(min_date=min_date, max_date=max_date, nullable=nullable)
        return JsonArraySchema(items=[cls(**item), cls(**item)], nullable=nullable)


class JsonDatetimeSchema(JsonStringSchema):
    """A date-time string (RFC 3339, ``format: date-time``), optionally within
    [*min_datetime*, *max_datetime*] (enforced, unlike in xcube)."""

    _keywords = {
        **JsonStringSchema._keywords,
        "min_datetime": "minDatetime",
        "max_datetime": "maxDatetime",
    }

    def __init__(
        self, min_datetime: str | None = None, max_datetime: str | None = None, **kwargs: Any
    ):
        _check_date_bound(min_datetime, "min_datetime", "date-time")
        _check_date_bound(max_datetime, "max_datetime", "date-time")
        super().__init__(
            format="date-time", min_datetime=min_datetime, max_datetime=max_datetime, **kwargs
        )

    @classmethod
    def new_range(
        cls,
        min_datetime: str | None = None,
        max_datetime: str | None = None,
        nullable: bool = False,
    ) -> JsonArraySchema:
        """A ``[start, end]`` pair of date-times; *nullable* as in ``JsonDateSchema.new_range``."""
        item = dict(min_datetime=min_datetime, max_datetime=max_datetime, nullable=nullable)
        return JsonArraySchema(items=[cls(**item), cls(**item)], nullable=nullable)


class JsonArraySchema(JsonSchema):
    """An array. *items* is one schema for every item, or a list of schemas,
    one per position (written as the standard ``prefixItems``); other keywords
    as in ``_keywords`` (``min_items``, ``unique_items``, ...)."""

    type = "array"
    _keywords = {
        "items": "items",
        "prefix_items": "prefixItems",
        "min_items": "minItems",
        "max_items": "maxItems",
        "unique_items": "uniqueItems",
    }

    def __init__(self, items: JsonSchema | Sequence[JsonSchema] | None = None, **kwargs: Any):
        super().__init__(type="array", items=items, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        if isinstance(self.items, (list, tuple)):
            d["prefixItems"] = d.pop("items")
        return d

    def _build(self, value: Any) -> Any:
        return None if value is None else self.factory(value)

    def _convert(self, sequence: Any, method: str) -> Any:
        if sequence is None:
            return None
        schemas = self.items if isinstance(self.items, (list, tuple)) else self.prefix_items
        if isinstance(self.items, JsonSchema):
            return [getattr(self.items, method)(item) for item in sequence]
        if schemas:
            converted = [getattr(s, method)(v) for s, v in zip(schemas, sequence, strict=False)]
            return converted + list(sequence[len(schemas) :])
        return list(sequence) if isinstance(sequence, tuple) else sequence


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
        "dependencies": "dependencies",
    }

    def __init__(
        self,
        properties: Mapping[str, JsonSchema] | None = None,
        additional_properties: bool | JsonSchema | None = None,
        min_properties: int | None = None,
        max_properties: int | None = None,
        required: Sequence[str] | None = None,
        dependencies: Mapping[str, Sequence[str] | JsonSchema] | None = None,
        **kwargs: Any,
    ):
        super().__init__(
            type="object",
            properties=dict(properties or {}),
            required=list(required or []),
            additional_properties=additional_properties,
            min_properties=min_properties,
            max_properties=max_properties,
            dependencies=dict(dependencies) if dependencies else None,
            **kwargs,
        )

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        if not self.required:
            d.pop("required", None)
        return d

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

    def process_kwargs_subset(
        self, kwargs: Mapping[str, Any], keywords: Sequence[str]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Split *kwargs* into (those named in *keywords*, the rest); *kwargs* is untouched.

        A keyword not given takes its property's ``const``, or its ``default``
        when the property is required, as in xcube.
        """
        rest = dict(kwargs)
        subset: dict[str, Any] = {}
        for name in keywords:
            if name in rest:
                subset[name] = rest.pop(name)
            elif name in self.properties:
                prop = self.properties[name]
                if prop.const is not UNDEFINED:
                    subset[name] = prop.const
                elif prop.default is not UNDEFINED and name in self.required:
                    subset[name] = prop.default
        return subset, rest

    def secret_paths(self, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
        """Paths of all properties marked secret, for redaction."""
        paths = set()
        for name, prop in self.properties.items():
            if prop.secret:
                paths.add(prefix + (name,))
            if isinstance(prop, JsonObjectSchema):
                paths |= prop.secret_paths(prefix + (name,))
        return paths

    def _build(self, value: Any) -> Any:
        return None if value is None else self.factory(**value)

    def _convert(self, value: Any, method: str) -> Any:
        """Convert each property by its schema; an object that is no mapping is
        read by its ``to_dict()`` or, failing that, by its attributes."""
        if value is None:
            return None
        if not isinstance(value, Mapping):
            to_dict = getattr(value, "to_dict", None)
            if callable(to_dict) and not isinstance(value, JsonObject):
                return to_dict()
            value = self._attributes_of(value)
        extra = self.additional_properties
        result: dict[str, Any] = {}
        for name, prop in self.properties.items():
            if name in value:
                result[name] = getattr(prop, method)(value[name])
            elif prop.default is not UNDEFINED:
                converted = getattr(prop, method)(prop.default)
                if converted is not None or name in self.required:
                    result[name] = converted
        if extra is not False:
            for name, item in value.items():
                if name not in result and name not in self.properties:
                    result[name] = (
                        getattr(extra, method)(item) if isinstance(extra, JsonSchema) else item
                    )
        return result

    def _attributes_of(self, obj: Any) -> dict[str, Any]:
        """The public, non-callable attributes of *obj* this schema may hold;
        ``None`` only where required."""
        names = set(self.properties)
        if self.additional_properties is not False and hasattr(obj, "__dict__"):
            names |= {n for n in vars(obj) if not n.startswith("_")}
        attrs = {}
        for name in names:
            value = getattr(obj, name, UNDEFINED)
            if value is UNDEFINED or (callable(value) and name not in self.properties):
                continue
            if value is not None or name in self.required:
                attrs[name] = value
        return attrs

    @classmethod
    def inject_attrs(cls, obj: object, attrs: Mapping[str, Any] | None) -> None:
        """Set each of *attrs* as an attribute of *obj*."""
        for name, value in (attrs or {}).items():
            setattr(obj, name, value)


class JsonComplexSchema(JsonSchema):
    """A combination: exactly one of ``one_of``, ``any_of`` or ``all_of`` other schemas."""

    _keywords = {"one_of": "oneOf", "any_of": "anyOf", "all_of": "allOf"}

    def __init__(
        self,
        one_of: Sequence[JsonSchema] | None = None,
        any_of: Sequence[JsonSchema] | None = None,
        all_of: Sequence[JsonSchema] | None = None,
        **kwargs: Any,
    ):
        if sum(1 for x in (one_of, any_of, all_of) if x) != 1:
            raise ValueError("exactly one of one_of, any_of, all_of must be given")
        super().__init__(one_of=one_of, any_of=any_of, all_of=all_of, **kwargs)


# Parameter kinds many stores declare, one builder each, so that their
# schemas say the same of the same kind; each store gives its own words.


def count_schema(
    description: str, default: int, *, minimum: int = 1, maximum: int | None = None
) -> JsonIntegerSchema:
    """How many of something a store asks for, keeps or does at once (items a
    page, workers, retries, cached entries): a whole number from *minimum* (0
    where "none" makes sense) up to *maximum*, *default* unless given."""
    return JsonIntegerSchema(
        minimum=minimum, maximum=maximum, default=default, description=description
    )


def seconds_schema(
    description: str, default: float | _Undefined = UNDEFINED, *, zero: bool = True
) -> JsonNumberSchema:
    """A duration in seconds (a wait, a timeout): not negative, and more than 0
    unless *zero* is allowed (no wait at all); without a *default*, no limit."""
    bound = dict(minimum=0) if zero else dict(exclusive_minimum=0)
    return JsonNumberSchema(default=default, description=description, **bound)


def names_schema(description: str, **kwargs: Any) -> JsonComplexSchema:
    """A name or a list of names (xcube's ``drop_variables``, ``includes``, ...)."""
    return JsonComplexSchema(
        any_of=[JsonStringSchema(), JsonArraySchema(items=JsonStringSchema())],
        description=description,
        **kwargs,
    )


class JsonObject:
    """Base of objects that are made from, and turn into, JSON dictionaries
    described by their :meth:`get_schema` (whose ``factory`` makes the object)."""

    @classmethod
    def get_schema(cls) -> JsonObjectSchema:
        """The schema of this class's JSON form."""
        raise NotImplementedError(f"{cls.__name__}.get_schema() is not implemented")

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> Any:
        """An instance made from the JSON dictionary *value*, validated first."""
        return cls.get_schema().from_instance(value)

    def to_dict(self) -> dict[str, Any]:
        """This object as a JSON dictionary, validated."""
        return self.get_schema().to_instance(self)

    def _inject_attrs(self, attrs: Mapping[str, Any]) -> None:
        if not isinstance(attrs, Mapping):
            raise TypeError(f"attrs must be a mapping, was {type(attrs).__name__}")
        JsonObjectSchema.inject_attrs(
            self, {**dict.fromkeys(self.get_schema().properties), **attrs}
        )


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


_STRING_FORMATS = {"date": JsonDateSchema, "date-time": JsonDatetimeSchema}


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
    if type_ is None and "properties" in d:
        type_ = "object"
    if type_ is None:
        combined = any(k in d for k in ("oneOf", "anyOf", "allOf"))
        cls = JsonComplexSchema if combined else JsonSchema
    elif type_ == "string" and d.get("format") in _STRING_FORMATS:
        cls = _STRING_FORMATS[d["format"]]
        if cls is JsonDatetimeSchema:
            del d["format"]
    elif type_ in _TYPES:
        cls = _TYPES[type_]
    else:
        raise ValueError(f"Unknown JSON Schema type {type_!r}")
    if "prefixItems" in d and "items" not in d:
        d["items"] = d.pop("prefixItems")
    reverse = {key: attr for attr, key in {**_COMMON, **cls._keywords}.items()}
    kwargs: dict[str, Any] = {"nullable": nullable, "secret": d.pop("writeOnly", False)}
    for key, value in d.items():
        if key not in reverse:
            continue  # unknown keywords carry no meaning we could use
        attr = reverse[key]
        if key in ("properties", "dependencies"):
            value = {k: _from_dict(v) if isinstance(v, Mapping) else v for k, v in value.items()}
        elif key in ("oneOf", "anyOf", "allOf", "prefixItems") or (
            key == "items" and isinstance(value, list)
        ):
            value = [_from_dict(v) for v in value]
        elif key in ("items", "additionalProperties") and isinstance(value, Mapping):
            value = _from_dict(value)
        kwargs[attr] = value
    return cls(**kwargs)


def _as_datetime(value: str) -> datetime.datetime:
    parsed = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:  # naive values are UTC, as the store conventions say
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed


def _date_bound(is_min: bool):
    """A jsonschema keyword checking a date (or date-time) bound (``minDate``, ...)."""

    def check(validator, bound, instance, schema):
        if not isinstance(instance, str):
            return
        try:
            value, limit = _as_datetime(instance), _as_datetime(bound)
        except ValueError:
            return  # the format check reports an unparsable value
        if (value < limit) if is_min else (value > limit):
            word = "earlier" if is_min else "later"
            yield jsonschema.ValidationError(f"{instance!r} is {word} than {bound!r}")

    return check


def _dependencies(validator, dependencies, instance, schema):
    """The draft-7 ``dependencies`` keyword xcube schemas use (a list: required
    properties; a schema: one the object must also match)."""
    if not isinstance(instance, Mapping):
        return
    for name, dependency in dependencies.items():
        if name not in instance:
            continue
        if isinstance(dependency, Mapping):
            yield from validator.descend(instance, dependency, schema_path=name)
        else:
            for each in dependency:
                if each not in instance:
                    yield jsonschema.ValidationError(f"{each!r} is a dependency of {name!r}")


_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    validators={
        "minDate": _date_bound(True),
        "maxDate": _date_bound(False),
        "minDatetime": _date_bound(True),
        "maxDatetime": _date_bound(False),
        "dependencies": _dependencies,
    },
    # A tuple is an array too: Python callers write bbox=(w, s, e, n).
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
        "array", lambda checker, instance: isinstance(instance, (list, tuple))
    ),
)
"""Draft 2020-12 plus the keywords xcube's schemas use; tuples count as arrays."""


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
    if schema.get("format") in _FORMAT_EXAMPLES:
        parts.append(
            f"in ISO 8601 {schema['format']} format, e.g. {_FORMAT_EXAMPLES[schema['format']]}"
        )
    if "items" in schema and isinstance(schema["items"], Mapping):
        parts.append(f"of {_allowed(schema['items'])}")
    return " ".join(parts)
