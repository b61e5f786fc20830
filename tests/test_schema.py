"""JSON Schema objects: standard dicts out, validation by jsonschema, clear errors."""

import json
import pickle

import pytest

from intake_xstores import (
    UNDEFINED,
    DataStoreParamsError,
    JsonArraySchema,
    JsonBooleanSchema,
    JsonComplexSchema,
    JsonIntegerSchema,
    JsonNullSchema,
    JsonNumberSchema,
    JsonObjectSchema,
    JsonSchema,
    JsonStringSchema,
)


@pytest.fixture
def schema():
    return JsonObjectSchema(
        properties=dict(
            root=JsonStringSchema(default=""),
            max_depth=JsonIntegerSchema(minimum=1, nullable=True, default=1),
            mode=JsonStringSchema(enum=["r", "w"], default="r"),
            scale=JsonNumberSchema(exclusive_minimum=0),
            flags=JsonArraySchema(items=JsonBooleanSchema(), max_items=3),
            token=JsonStringSchema(secret=True),
            nothing=JsonNullSchema(),
            either=JsonComplexSchema(one_of=[JsonIntegerSchema(), JsonStringSchema()]),
            nested=JsonObjectSchema(
                properties=dict(depth=JsonIntegerSchema(default=2)),
                additional_properties=True,
            ),
        ),
        required=["root"],
        additional_properties=False,
    )


def test_to_dict_is_standard_json_schema(schema):
    d = schema.to_dict()
    assert d["type"] == "object"
    assert d["additionalProperties"] is False
    assert d["required"] == ["root"]
    assert d["properties"]["max_depth"] == {"type": ["integer", "null"], "default": 1, "minimum": 1}
    assert d["properties"]["scale"] == {"type": "number", "exclusiveMinimum": 0}
    assert d["properties"]["token"]["writeOnly"] is True
    assert d["properties"]["either"]["oneOf"] == [{"type": "integer"}, {"type": "string"}]
    json.dumps(d)  # plain JSON all the way down


def test_from_dict_round_trips(schema):
    d = schema.to_dict()
    again = JsonSchema.from_dict(json.loads(json.dumps(d)))
    assert isinstance(again, JsonObjectSchema)
    assert again.to_dict() == d
    assert again == schema
    assert again.properties["token"].secret


def test_defaults_are_applied_and_valid_values_kept(schema):
    params = schema.process({"root": "data", "nested": {}, "scale": 0.5})
    assert params == {
        "root": "data",
        "max_depth": 1,
        "mode": "r",
        "scale": 0.5,
        "nested": {"depth": 2},
    }


@pytest.mark.parametrize(
    "params, words",
    [
        ({"root": "x", "colour": "red"}, ["Unknown parameter", "'colour'", "max_depth", "root"]),
        ({"root": "x", "max_depth": "deep"}, ["'max_depth'", "'deep'", "integer or null"]),
        ({"root": "x", "max_depth": 0}, ["'max_depth'", "0", ">= 1"]),
        ({"root": "x", "mode": "a"}, ["'mode'", "'a'", "one of 'r', 'w'"]),
        ({"root": "x", "scale": 0}, ["'scale'", "> 0"]),
        ({"root": "x", "flags": [True, "no"]}, ["'flags.1'", "'no'", "boolean"]),
        ({}, ["Missing required parameter", "root"]),
    ],
)
def test_errors_name_parameter_value_and_what_is_allowed(schema, params, words):
    with pytest.raises(DataStoreParamsError) as info:
        schema.validate_instance(params)
    assert isinstance(info.value, ValueError)
    for word in words:
        assert word in str(info.value)


def test_secret_values_never_appear_in_errors(schema):
    with pytest.raises(DataStoreParamsError) as info:
        schema.validate_instance({"root": "x", "token": 123456789})
    assert "'token'" in str(info.value)
    assert "123456789" not in str(info.value)


def test_undefined_is_distinct_from_none_and_pickles():
    assert JsonStringSchema().default is UNDEFINED
    assert JsonStringSchema(default=None, nullable=True).to_dict()["default"] is None
    assert pickle.loads(pickle.dumps(UNDEFINED)) is UNDEFINED


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError, match="minimum"):
        JsonStringSchema(minimum=3)


def test_to_json_value_is_the_one_json_ifier():
    import datetime
    import math

    import numpy as np

    from intake_xstores.schema import JsonStringSchema, to_json_value

    value = {
        1: (np.float32(1.5), np.arange(2)),
        "when": datetime.datetime(2021, 3, 1),
        "at": datetime.datetime(2021, 3, 1, 12, 30),
        "nan": np.float64("nan"),
        "schema": JsonStringSchema(min_length=1),
    }
    plain = to_json_value(value)
    assert plain["1"] == [1.5, [0, 1]] and plain["when"] == "2021-03-01"
    assert plain["at"] == "2021-03-01T12:30:00" and plain["nan"] is math.nan
    assert plain["schema"] == {"type": "string", "minLength": 1}
    assert json.loads(json.dumps(plain))["1"] == [1.5, [0, 1]]
    assert to_json_value({"x": object}) == {"x": object}  # left as it is...
    assert to_json_value({"x": object}, fallback=str) == {"x": "<class 'object'>"}  # ...or said


def test_count_and_seconds_schemas_bound_what_users_may_give():
    from intake_xstores.schema import count_schema, seconds_schema

    page_size = count_schema("Items asked for per page", 100, maximum=1000)
    assert page_size.to_dict() == {
        "type": "integer",
        "minimum": 1,
        "maximum": 1000,
        "default": 100,
        "description": "Items asked for per page",
    }
    with pytest.raises(DataStoreParamsError, match=r"0 .*allowed: integer >= 1 <= 1000"):
        page_size.validate_instance(0)
    count_schema("Times a request is retried", 5, minimum=0).validate_instance(0)

    poll = seconds_schema("Seconds between polls", 1.0, zero=False)
    with pytest.raises(DataStoreParamsError, match=r"allowed: number > 0"):
        poll.validate_instance(0)
    seconds_schema("Seconds before the first retry", 0.5).validate_instance(0)
    with pytest.raises(DataStoreParamsError, match=r"allowed: number >= 0"):
        seconds_schema("Seconds before the first retry", 0.5).validate_instance(-1)
    assert "default" not in seconds_schema("Seconds to wait; by default no limit").to_dict()
