"""The STAC ``query`` extension: mapped onto CQL2, or evaluated on items here.

A query reads ``{"eo:cloud_cover": {"lt": 10}, "platform": {"eq": "sentinel-2a"}}``:
every property must pass every comparison. Servers that conform to the query
extension get it as it is; servers that conform to ``filter`` get the same
condition as CQL2 JSON (:func:`query_to_cql2`); for servers with neither
(``rustac serve``, static catalogs) the items are filtered here
(:func:`matches_query`), so a search means the same on every catalog.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from ...errors import param_error

_COMPARISONS: dict[str, tuple[str, Callable[[Any, Any], bool]]] = {
    "eq": ("=", operator.eq),
    "neq": ("<>", operator.ne),
    "lt": ("<", operator.lt),
    "lte": ("<=", operator.le),
    "gt": (">", operator.gt),
    "gte": (">=", operator.ge),
}
_TEXT = ("startsWith", "endsWith", "contains")
OPERATORS = (*_COMPARISONS, *_TEXT, "in")


def check_query(query: dict[str, Any]) -> None:
    """A query of unknown operators or malformed conditions is an error naming them."""
    for prop, condition in query.items():
        if not isinstance(condition, dict) or not condition:
            raise param_error(
                "query",
                {prop: condition},
                problem="each property needs an object of comparisons",
                allowed='e.g. {"eo:cloud_cover": {"lt": 10}}',
            )
        for op, value in condition.items():
            if op not in OPERATORS:
                raise param_error(
                    "query",
                    {prop: condition},
                    problem=f"unknown operator {op!r}",
                    allowed=", ".join(OPERATORS),
                )
            if op == "in" and not isinstance(value, list):
                raise param_error("query", {prop: condition}, problem="'in' needs a list")


def query_to_cql2(query: dict[str, Any]) -> dict[str, Any]:
    """*query* as one CQL2 JSON expression (the ``filter`` extension's form)."""
    args = []
    for prop, condition in query.items():
        subject = {"property": prop}
        for op, value in condition.items():
            if op in _COMPARISONS:
                args.append({"op": _COMPARISONS[op][0], "args": [subject, value]})
            elif op == "in":
                args.append({"op": "in", "args": [subject, list(value)]})
            else:
                pattern = {"startsWith": "{}%", "endsWith": "%{}", "contains": "%{}%"}[op]
                args.append({"op": "like", "args": [subject, pattern.format(value)]})
    return args[0] if len(args) == 1 else {"op": "and", "args": args}


def matches_query(properties: dict[str, Any], query: dict[str, Any]) -> bool:
    """Whether an item's *properties* pass every comparison of *query*."""
    for prop, condition in query.items():
        value = properties.get(prop)
        for op, wanted in condition.items():
            if not _passes(value, op, wanted):
                return False
    return True


def _passes(value: Any, op: str, wanted: Any) -> bool:
    if value is None:
        return op == "neq" and wanted is not None
    if op == "in":
        return value in wanted
    if op in _TEXT:
        text, part = str(value), str(wanted)
        return {
            "startsWith": text.startswith,
            "endsWith": text.endswith,
            "contains": text.__contains__,
        }[op](part)
    try:
        return _COMPARISONS[op][1](value, wanted)
    except TypeError:  # a number against text: no match, as a server would answer
        return False
