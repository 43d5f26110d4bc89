"""A quick yes/unsure answer to "does this body fit its schema?", without jsonschema.

Importing jsonschema (with referencing, attrs, rpds) takes about 40 ms, a sixth of a one-shot
``create-run`` process, while almost every body fits. :func:`surely_valid` implements the
Draft 7 keywords the packaged schemas use, exactly as jsonschema's ``Draft7Validator``
(without a format checker) applies them, and answers True only when the body certainly
fits. Anything else (a violation, a keyword or value it does not handle) answers False, and
the caller asks jsonschema, which also words the violations. So the quick path can only
make a valid body faster, never let an invalid one through.
"""

from __future__ import annotations

from typing import Any

# keywords that do not constrain the instance under Draft 7 without a format checker
_ANNOTATIONS = frozenset(("$comment", "format", "title", "description", "default", "examples"))


class _Unsure(Exception):
    """The schema or the value is outside what this module decides exactly."""


def surely_valid(schema: dict[str, Any], instance: Any) -> bool:
    """True only if ``instance`` certainly fits ``schema`` (False: ask jsonschema)."""
    try:
        return _fits(schema, instance)
    except (_Unsure, RecursionError):
        return False


def _fits(schema: Any, instance: Any) -> bool:
    if schema is True or schema == {}:
        return True
    if not isinstance(schema, dict):
        raise _Unsure  # False schemas and anything odd: let jsonschema decide
    for keyword, value in schema.items():
        check = _KEYWORDS.get(keyword)
        if check is None:
            if keyword in _ANNOTATIONS:
                continue
            raise _Unsure
        if not check(value, instance, schema):
            return False
    return True


def _is_type(instance: Any, name: str) -> bool:
    if name == "object":
        return isinstance(instance, dict)
    if name == "array":
        return isinstance(instance, list)
    if name == "string":
        return isinstance(instance, str)
    if name == "boolean":
        return isinstance(instance, bool)
    if name == "null":
        return instance is None
    if isinstance(instance, bool):
        return False
    if name == "number":
        return isinstance(instance, (int, float))
    if name == "integer":
        return isinstance(instance, int) or (isinstance(instance, float) and instance.is_integer())
    raise _Unsure


def _type(value: Any, instance: Any, schema: dict) -> bool:
    names = value if isinstance(value, list) else [value]
    return any(_is_type(instance, name) for name in names)


def _enum(value: Any, instance: Any, schema: dict) -> bool:
    if not isinstance(value, list):
        raise _Unsure
    if instance is None:
        return any(option is None for option in value)
    if isinstance(instance, str):
        return any(isinstance(option, str) and option == instance for option in value)
    raise _Unsure  # numbers, booleans and containers: jsonschema's own equality rules


def _properties(value: Any, instance: Any, schema: dict) -> bool:
    if not isinstance(instance, dict):
        return True
    return all(_fits(value[name], item) for name, item in instance.items() if name in value)


def _additional(value: Any, instance: Any, schema: dict) -> bool:
    if not isinstance(instance, dict):
        return True
    if "patternProperties" in schema:
        raise _Unsure
    known = schema.get("properties", {})
    extra = [item for name, item in instance.items() if name not in known]
    if value is False:
        return not extra
    return all(_fits(value, item) for item in extra)


def _required(value: Any, instance: Any, schema: dict) -> bool:
    return not isinstance(instance, dict) or all(name in instance for name in value)


def _items(value: Any, instance: Any, schema: dict) -> bool:
    if not isinstance(instance, list):
        return True
    if not isinstance(value, dict) and value is not True:
        raise _Unsure  # the tuple form
    return all(_fits(value, item) for item in instance)


def _any_of(value: Any, instance: Any, schema: dict) -> bool:
    return any(_fits(branch, instance) for branch in value)


def _one_of(value: Any, instance: Any, schema: dict) -> bool:
    return sum(1 for branch in value if _fits(branch, instance)) == 1


def _number(instance: Any) -> bool:
    return isinstance(instance, (int, float)) and not isinstance(instance, bool)


def _minimum(value: Any, instance: Any, schema: dict) -> bool:
    return not _number(instance) or instance >= value


def _maximum(value: Any, instance: Any, schema: dict) -> bool:
    return not _number(instance) or instance <= value


def _max_items(value: Any, instance: Any, schema: dict) -> bool:
    return not isinstance(instance, list) or len(instance) <= value


def _min_items(value: Any, instance: Any, schema: dict) -> bool:
    return not isinstance(instance, list) or len(instance) >= value


def _max_length(value: Any, instance: Any, schema: dict) -> bool:
    return not isinstance(instance, str) or len(instance) <= value


_KEYWORDS = {
    "type": _type,
    "enum": _enum,
    "properties": _properties,
    "additionalProperties": _additional,
    "required": _required,
    "items": _items,
    "anyOf": _any_of,
    "oneOf": _one_of,
    "minimum": _minimum,
    "maximum": _maximum,
    "maxItems": _max_items,
    "minItems": _min_items,
    "maxLength": _max_length,
}
