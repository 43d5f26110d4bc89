"""Attribute filters of a search: the API's ``ComparisonFilter`` and ``CompoundFilter``.

A comparison is ``{"type": "eq"|"ne"|"gt"|"gte"|"lt"|"lte"|"in"|"nin", "key", "value"}``
on one attribute of a vector-store file; a compound is ``{"type": "and"|"or", "filters":
[...]}``, nested as deep as :data:`MAX_DEPTH`. :func:`check_filter` refuses a malformed
filter with a 400 naming the JSON path; :func:`matches` decides one file's attributes.

Comparisons follow the values' types: numbers compare with numbers, strings with strings,
booleans only for (in)equality; ordering a string against a number is simply no match. A file
without the key matches only the negative comparisons (``ne``, ``nin``).
"""

from __future__ import annotations

from typing import Any

from .errors import InvalidParameterError

COMPARISONS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "nin")
COMPOUNDS = ("and", "or")
MAX_DEPTH = 8


def check_filter(value: Any, param: str = "filters", depth: int = 0) -> dict[str, Any]:
    """``value`` if it is a well-formed filter, else :class:`InvalidParameterError`."""
    if not isinstance(value, dict):
        raise InvalidParameterError(f"Invalid type for '{param}': expected an object.", param)
    if depth > MAX_DEPTH:
        raise InvalidParameterError(
            f"Invalid '{param}': filters nest at most {MAX_DEPTH} levels deep.", param
        )
    kind = value.get("type")
    if kind in COMPOUNDS:
        _only(value, ("type", "filters"), param)
        filters = value.get("filters")
        if not isinstance(filters, list):
            raise InvalidParameterError(
                f"Invalid type for '{param}.filters': expected an array.", f"{param}.filters"
            )
        for index, item in enumerate(filters):
            check_filter(item, f"{param}.filters[{index}]", depth + 1)
        return value
    if kind not in COMPARISONS:
        raise InvalidParameterError(
            f"Invalid value for '{param}.type': expected one of "
            f"{', '.join(repr(k) for k in COMPARISONS + COMPOUNDS)}, got {kind!r}.",
            f"{param}.type",
        )
    _only(value, ("type", "key", "value"), param)
    if not isinstance(value.get("key"), str):
        raise InvalidParameterError(
            f"Invalid type for '{param}.key': expected a string.", f"{param}.key"
        )
    if "value" not in value:
        raise InvalidParameterError(
            f"Missing required parameter: '{param}.value'.", f"{param}.value"
        )
    operand = value["value"]
    if kind in ("in", "nin"):
        if not isinstance(operand, list) or not all(
            isinstance(item, (str, int, float)) and not isinstance(item, bool) for item in operand
        ):
            raise InvalidParameterError(
                f"Invalid type for '{param}.value': '{kind}' needs an array of strings or numbers.",
                f"{param}.value",
            )
    elif not isinstance(operand, (str, int, float, bool)):
        raise InvalidParameterError(
            f"Invalid type for '{param}.value': expected a string, number or boolean.",
            f"{param}.value",
        )
    return value


def _only(value: dict[str, Any], allowed: tuple[str, ...], param: str) -> None:
    extra = sorted(set(value) - set(allowed))
    if extra:
        raise InvalidParameterError(
            f"Unrecognized request argument supplied: {param}.{extra[0]}", f"{param}.{extra[0]}"
        )


def matches(flt: dict[str, Any], attributes: dict[str, Any] | None) -> bool:
    """Whether a file with these ``attributes`` passes the (checked) filter."""
    kind = flt["type"]
    if kind == "and":
        return all(matches(item, attributes) for item in flt["filters"])
    if kind == "or":
        return any(matches(item, attributes) for item in flt["filters"])
    attributes = attributes or {}
    if flt["key"] not in attributes:
        return kind in ("ne", "nin")
    actual, expected = attributes[flt["key"]], flt["value"]
    if kind in ("in", "nin"):
        found = any(_equal(actual, item) for item in expected)
        return found if kind == "in" else not found
    if kind == "eq":
        return _equal(actual, expected)
    if kind == "ne":
        return not _equal(actual, expected)
    if not _comparable(actual, expected):
        return False
    if kind == "gt":
        return actual > expected
    if kind == "gte":
        return actual >= expected
    if kind == "lt":
        return actual < expected
    return actual <= expected


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if _is_number(left) and _is_number(right):
        return left == right
    return type(left) is type(right) and left == right


def _comparable(left: Any, right: Any) -> bool:
    return (_is_number(left) and _is_number(right)) or (
        isinstance(left, str) and isinstance(right, str)
    )
