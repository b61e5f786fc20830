"""JSON Schema <-> Intake user parameters: the one place the two meet.

Every parameter of a store or of opening a data ID is described once, as a
JSON Schema (see :mod:`intake_xstores.schema`). This module derives Intake's
:class:`~intake.catalog.local.UserParameter` objects from those schemas, so
``describe()``, the Intake GUI and ``entry(param=value)`` know each
parameter's type, default, bounds and allowed values, and maps values back:

==================================  ===========================
JSON Schema                         Intake user parameter
==================================  ===========================
``type: string``                    ``type: str``
``type: string, format: date(-time)``  ``type: datetime``
``type: integer``                   ``type: int``
``type: number``                    ``type: float``
``type: boolean``                   ``type: bool``
``type: array``                     ``type: list``
``type: object``                    ``type: dict``
a union including ``string``        ``type: str`` (lists etc. as literals)
anything else                       ``type: other``
``default``                         ``default``
``enum``                            ``allowed``
``minimum`` / ``maximum``           ``min`` / ``max``
``description`` (or ``title``)      ``description``
==================================  ===========================

Values a user gives as text (a GUI field, ``entry(decode_cf="false")``) and
templated catalog arguments (``"{{ max_depth }}"``, ``"{{ env('KEY') }}"``),
which reach drivers as strings, are turned into the types their schema asks
for, strictly (:mod:`intake_xstores.coercion`: ``"false"`` is ``False``,
``"maybe"`` for a boolean an error naming the parameter); then the JSON
Schema validates them (:class:`DataStoreParamsError`). A template that
renders to an empty string for a parameter *without a default* means "not
given", so
``{{ env("AWS_SECRET_ACCESS_KEY") }}`` falls back to the library's own
credential chain when the variable is unset.

Secrets (``writeOnly`` in the schema) never appear in YAML: :func:`redact`
replaces them with ``{{ env("...") }}`` templates naming the environment
variable that supplies them (see :func:`secret_env_var`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from intake.catalog.local import UserParameter

from .. import secrets
from ..coercion import coerce_params, coerce_text, json_types
from ..errors import DataStoreParamsError
from ..schema import JsonObjectSchema, JsonSchema, to_json_value
from ..store import get_data_store_params_schema

INTAKE_TYPES: dict[str, str] = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "array": "list",
    "object": "dict",
}
"""Intake user-parameter type of each JSON Schema type."""

JSON_TYPES: dict[str, str] = {v: k for k, v in INTAKE_TYPES.items()}
"""The reverse of :data:`INTAKE_TYPES`; ``datetime`` maps to a date-time string."""

_DATE_FORMATS = ("date", "date-time")

# Conventional environment variables of well-known secrets, by store ID and path.
_SECRET_ENV_VARS: dict[str, dict[tuple[str, ...], str]] = {
    "s3": {
        ("storage_options", "key"): "AWS_ACCESS_KEY_ID",
        ("storage_options", "secret"): "AWS_SECRET_ACCESS_KEY",
        ("storage_options", "token"): "AWS_SESSION_TOKEN",
    },
    "abfs": {
        ("storage_options", "account_key"): "AZURE_STORAGE_ACCOUNT_KEY",
        ("storage_options", "connection_string"): "AZURE_STORAGE_CONNECTION_STRING",
    },
}


class SchemaUserParameter(UserParameter):
    """A :class:`UserParameter` made from a JSON Schema.

    Unlike its base class, a parameter without a default keeps ``default``
    ``None`` (Intake would show ``0``, ``""`` or ``False``), so that
    ``describe()`` never advertises a default the schema does not have; and
    text given for it is read strictly by its *schema* (``"false"`` is
    ``False``, where Intake's ``bool("false")`` would be ``True``).
    """

    def __init__(self, name: str, schema: Mapping[str, Any] | None = None, **intake_fields: Any):
        """*intake_fields* as :class:`UserParameter` takes them (``description``,
        ``type``, ``default``, ``min``, ``max``, ``allowed``)."""
        super().__init__(name, **intake_fields)
        if intake_fields.get("default") is None:
            self.default = self.expanded_default = None
        self.schema = dict(schema or {})

    def validate(self, value: Any) -> Any:
        """*value*, text read as the schema's type; the schema itself validates later."""
        return coerce_text(self.schema, value, self.name) if isinstance(value, str) else value


def _schema_dict(schema: JsonSchema | Mapping[str, Any]) -> dict[str, Any]:
    return schema.to_dict() if isinstance(schema, JsonSchema) else dict(schema)


def intake_type(schema: JsonSchema | Mapping[str, Any]) -> str:
    """The Intake user-parameter type of a JSON Schema (see the module table)."""
    d = _schema_dict(schema)
    types = json_types(d)
    if len(types) > 1 and "string" in types:
        return "str"  # other values pass as their literal text; see coerce_rendered
    if len(types) != 1:
        return "other"
    if types[0] == "string" and d.get("format") in _DATE_FORMATS:
        return "datetime"
    return INTAKE_TYPES.get(types[0], "other")


def user_parameter(
    name: str, schema: JsonSchema | Mapping[str, Any], default: Any = None
) -> SchemaUserParameter:
    """The Intake user parameter of property *name* described by *schema*.

    *default* overrides the schema's default (e.g. a value a catalog fixes).
    """
    d = _schema_dict(schema)
    type_ = intake_type(d)
    if default is None:
        default = d.get("default")
    allowed = d.get("enum")
    if allowed is not None:
        allowed = [v for v in allowed if v is not None]
    description = d.get("description") or d.get("title") or name
    if d.get("writeOnly"):
        description += " (secret)"
    return SchemaUserParameter(
        name,
        description=description,
        type=type_,
        default=default,
        min=d.get("minimum"),
        max=d.get("maximum"),
        allowed=allowed or None,
        schema=d,
    )


def user_parameters(
    schema: JsonObjectSchema | Mapping[str, Any], exclude: tuple[str, ...] = ()
) -> list[SchemaUserParameter]:
    """One user parameter per property of an object schema, in schema order."""
    properties = _schema_dict(schema).get("properties", {})
    return [user_parameter(n, s) for n, s in properties.items() if n not in exclude]


def entry_yaml(obj: Any, metadata: Mapping[str, Any]) -> dict[str, Any]:
    """A source or catalog *obj* made in Python as a one-entry YAML catalog."""
    metadata = {k: v for k, v in metadata.items() if k != "catalog_dir"}
    entry = {
        "driver": type(obj).name,
        "description": obj.description or "",
        "metadata": to_json_value(metadata),
        "args": obj._args(),
    }
    return {"sources": {obj.name: entry}}


def entry_description(obj: Any, schema: JsonObjectSchema) -> dict[str, Any]:
    """What ``describe()`` tells of a source or catalog *obj* made in Python, as a
    catalog entry's ``describe()`` does: *schema*'s parameters (secrets left
    out) are its user parameters."""
    secret = {name for name, prop in schema.properties.items() if prop.secret}
    return {
        "name": obj.name,
        "container": obj.container,
        "plugin": [type(obj).name],
        "driver": [type(obj).name],
        "description": obj.description,
        "direct_access": True,
        "user_parameters": [p.describe() for p in user_parameters(schema, tuple(secret))],
        "metadata": obj.metadata,
        "args": obj._args(),
    }


def parameter_schema(parameter: UserParameter) -> JsonSchema:
    """The JSON Schema of an Intake user parameter: the reverse mapping."""
    d: dict[str, Any] = {}
    if parameter.type == "datetime":
        d.update(type="string", format="date-time")
    elif parameter.type in JSON_TYPES:
        d["type"] = JSON_TYPES[parameter.type]
    if parameter.description:
        d["description"] = parameter.description
    if parameter.default is not None:
        d["default"] = to_json_value(parameter.default)
    if parameter.allowed:
        d["enum"] = [to_json_value(v) for v in parameter.allowed]
    if parameter.min is not None:
        d["minimum"] = parameter.min
    if parameter.max is not None:
        d["maximum"] = parameter.max
    return JsonSchema.from_dict(d)


def validate_user_values(schema: JsonObjectSchema, values: Mapping[str, Any]) -> dict[str, Any]:
    """*values* read by *schema* (text strictly, see :func:`coerce_rendered`) and validated.

    Returns them JSON-compatible. Any failure raises :class:`DataStoreParamsError`
    naming the parameter, the value and what is allowed.
    """
    result = to_json_value(coerce_rendered(schema, values))
    partial = JsonObjectSchema.from_dict({**schema.to_dict(), "required": []})
    partial.validate_instance(result)
    return result


def coerce_rendered(
    schema: JsonObjectSchema | Mapping[str, Any], params: Mapping[str, Any]
) -> dict[str, Any]:
    """Turn strings in *params* (rendered templates, text fields) into their schema's types.

    ``"2"`` becomes ``2`` where an integer is expected, ``"false"`` ``False``,
    ``"None"`` ``None`` where null is allowed, ``"['a', 'b']"`` a list, and so
    on; nested objects are coerced by their own schemas. An empty string for a
    property that has no default is dropped ("not given"). Text that is none of
    the types allowed raises :class:`DataStoreParamsError` naming the parameter.
    """
    return coerce_params(_schema_dict(schema), params)


def secret_env_var(store_id: str, path: tuple[str, ...], value: str | None = None) -> str:
    """The environment variable a YAML catalog reads the secret at *path* from.

    A variable that holds *value* now is named, so the YAML reopens the same
    data; the conventional one first (``AWS_SECRET_ACCESS_KEY``,
    ``AZURE_STORAGE_ACCOUNT_KEY``, ...), else any. With none holding it, the
    conventional name, or ``XSTORES_<STORE>_<PATH>`` (``XSTORES_FTP_PASSWORD``),
    which must then be set for the YAML to open.
    """
    known = _SECRET_ENV_VARS.get(store_id, {}).get(tuple(path))
    parts = [store_id, *(p for p in path if p != "storage_options")]
    conventional = known or "XSTORES_" + "_".join(
        re.sub(r"[^A-Za-z0-9]", "_", p).upper() for p in parts
    )
    if value is None or os.environ.get(conventional) == value:
        return conventional
    holding = sorted(k for k, v in os.environ.items() if v == value)
    return holding[0] if holding else conventional


def env_template(variable: str) -> str:
    """The Intake template reading environment variable *variable*."""
    return "{{ env(" + repr(variable) + ") }}"


def v2_env_template(variable: str) -> str:
    """The Intake 2 template reading environment variable *variable*."""
    return "{env(" + variable + ")}"


def store_args(
    store_id: str, store_params: Mapping[str, Any] | None, opened_from: Any, **more: Any
) -> dict[str, Any]:
    """The ``args`` of a catalog entry on store *store_id*: its ID and its parameters
    with secrets redacted, their templates kept when *opened_from* was opened
    from a YAML catalog (see :func:`catalog_templates`); then *more*."""
    schema = get_data_store_params_schema(store_id)
    params = to_json_value(store_params)
    templates = catalog_templates(opened_from)
    return {
        "store_id": store_id,
        "store_params": redact(store_id, schema, params, templates=templates),
        **more,
    }


def catalog_templates(obj: Any) -> Mapping[str, Any] | None:
    """The store parameters as written in the YAML catalog *obj* was opened from
    (templates not rendered), or None; :func:`redact` keeps a secret's template."""
    entry = getattr(obj, "_entry", None)
    args = getattr(entry, "_open_args", None)
    templates = args.get("store_params") if isinstance(args, Mapping) else None
    return templates if isinstance(templates, Mapping) else None


def redact(
    store_id: str,
    schema: JsonObjectSchema,
    params: Mapping[str, Any],
    replacement: str | None = None,
    template: Callable[[str], str] = env_template,
    templates: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A copy of *params* with every secret replaced (see :mod:`intake_xstores.secrets`
    for what is one: schema marks, credential-like names at any depth, URL passwords).

    By default a secret becomes the template it was written as in *templates*
    (the catalog's unrendered parameters), else an ``{{ env(...) }}`` template
    (see :func:`secret_env_var`; ``template=v2_env_template`` for Intake 2's
    ``{env(...)}``), so YAML written from it opens the same data; pass
    *replacement* (e.g. ``"***"``) for display.
    """
    if replacement is not None:
        return secrets.redact(dict(params), schema.secret_paths(), mask=replacement)
    secret_paths = schema.secret_paths()

    def walk(value: Any, path: tuple[str, ...], written: Any) -> Any:
        if secrets.is_secret_path(path, secret_paths) and value not in (None, ""):
            if isinstance(value, str) and value.startswith(("{{", "{env(")):
                return value  # already a template, not the secret itself
            if isinstance(written, str) and "{{" in written:
                return written
            known = value if isinstance(value, str) else None
            return template(secret_env_var(store_id, path, known))
        if isinstance(value, Mapping):
            return {
                k: walk(v, path + (k,), written.get(k) if isinstance(written, Mapping) else None)
                for k, v in value.items()
            }
        if isinstance(value, str) and secrets.redact_url(value) != value:
            if isinstance(written, str) and "{{" in written:
                return written
            return secrets.redact_url(value, template(secret_env_var(store_id, path)))
        return value

    return walk(dict(params), (), templates)


def redact_description(store_id: str, described: Mapping[str, Any]) -> dict[str, Any]:
    """A YAML catalog entry's ``describe()`` with the secrets of its
    ``store_params`` replaced as in :func:`redact` (a catalog may hold literal ones)."""
    from ..store import get_data_store_params_schema

    described = dict(described)
    args = dict(described.get("args") or {})
    if isinstance(args.get("store_params"), Mapping):
        schema = get_data_store_params_schema(store_id)
        args["store_params"] = redact(store_id, schema, args["store_params"])
        described["args"] = args
    return described


def _has_secret(schema: Mapping[str, Any]) -> bool:
    if schema.get("writeOnly"):
        return True
    return any(_has_secret(s) for s in schema.get("properties", {}).values())


# Types whose "no value" Intake renders as "" or {}: dropped by coerce_rendered, or harmless.
_EMPTY_DEFAULTS = ("str", "dict", "list", "other")


def store_catalog_entry(
    store_id: str,
    params: Mapping[str, Any] | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """A YAML catalog entry (as a dict) declaring the store *store_id*.

    Each top-level store parameter without secrets becomes a user parameter,
    templated into ``args.store_params``, so ``describe()`` and the GUI show
    it and ``cat.<name>(root=...)`` changes it; its default is the value given
    in *params*, else the schema's. (Numbers and booleans without either are
    left undeclared, as Intake would invent a default for them; a value a user
    gives is still passed on.) Values that are templates (``"{{ env('X') }}"``)
    and objects holding secrets (``storage_options``) are written as
    arguments, each secret replaced by an ``{{ env(...) }}`` template.
    """
    from ..store import get_data_store_class, list_data_store_ids

    store_class = get_data_store_class(store_id)
    schema = store_class.get_data_store_params_schema()
    params = dict(params or {})
    properties = schema.to_dict().get("properties", {})
    unknown = sorted(set(params) - set(properties))
    if unknown and schema.additional_properties is False:
        raise DataStoreParamsError(
            f"Unknown parameter{'s' if len(unknown) > 1 else ''} of data store "
            f"{store_id!r}: {', '.join(map(repr, unknown))}; allowed are: "
            f"{', '.join(properties) or 'none'}"
        )
    parameters: dict[str, dict[str, Any]] = {}
    store_params: dict[str, Any] = {}
    for name, prop in properties.items():
        value = params.get(name, prop.get("default"))
        templated = isinstance(value, str) and "{{" in value
        holds_password = isinstance(value, str) and secrets.redact_url(value) != value
        if _has_secret(prop) or (prop.get("properties") and name in params) or holds_password:
            if name in params:
                store_params[name] = value
            continue
        if templated:
            store_params[name] = value  # rendered when the catalog is opened
            continue
        parameter = user_parameter(name, prop).describe()
        del parameter["name"]
        parameter.pop("default", None)
        if value is not None:
            parameter["default"] = to_json_value(value)
        elif parameter["type"] not in _EMPTY_DEFAULTS:
            # Intake would invent a default (0, False) for it; undeclared, a
            # value given by a user is still passed on (as a keyword argument).
            continue
        # Intake passes a declared parameter only through a template.
        store_params[name] = "{{ " + name + " }}"
        parameters[name] = parameter
    for name in unknown:
        store_params[name] = params[name]
    if description is None:
        description = list_data_store_ids(detail=True).get(store_id, {}).get("description")
    return {
        "description": description or f"The {store_id!r} data store",
        "driver": "xstore",
        "parameters": parameters,
        "args": {
            "store_id": store_id,
            "store_params": redact(store_id, schema, store_params),
        },
    }


def store_catalog_yaml(
    store_id: str,
    params: Mapping[str, Any] | None = None,
    name: str | None = None,
    description: str | None = None,
) -> str:
    """A YAML catalog with one entry, *name* (default: the store ID), for a store.

    ``intake.open_catalog`` opens it; the entry's ``parameters:`` come from
    the store's parameter schema (see :func:`store_catalog_entry`)::

        print(store_catalog_yaml("s3", {"root": "my-bucket/cubes"}))
    """
    import yaml

    entry = store_catalog_entry(store_id, params, description)
    catalog = {"sources": {name or store_id: entry}}
    return yaml.safe_dump(catalog, sort_keys=False, default_flow_style=False)
