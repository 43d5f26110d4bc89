"""Request body contracts: the API's JSON Schemas, shipped inside the package.

One schema per operation with a JSON body (``schemas/<SchemaName>.json``, generated from the
official OpenAPI description by ``tests/reference/generate_body_schemas.py``: ``$ref``s
inlined, ``nullable`` turned into "or null", prose removed). They are package data found
with ``importlib.resources``, so a checkout, an installed wheel and KNIME's extension folder
all find them the same way, and they load when a body is first checked, not at import
(KNIME imports the node modules just to list the nodes).

A validator is built once per schema and process: building it costs more than validating a
body, and KNIME executes a node many times in one process. Violations are listed completely,
each as ``json.path: rule``, in document order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ..errors import InvalidSettingsError

SCHEMA_PACKAGE = "openai_assistants.operations.schemas"
CREATE_RUN_SCHEMA = "CreateRunRequest"
PATH_PARAMETER = "thread_id"  # Create Run's path parameter; the body may carry it (see create_run)


@dataclass(frozen=True)
class BodyProblems:
    """Schema violations (errors) and fields the schema does not know (errors or warnings)."""

    violations: list[str]
    unknown_fields: list[str]


def schema_names() -> list[str]:
    """The names of every packaged body schema (``CreateRunRequest``, ...), sorted."""
    folder = resources.files(SCHEMA_PACKAGE)
    return sorted(
        entry.name.removesuffix(".json")
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    )


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The packaged schema ``name`` (e.g. ``CreateMessageRequest``); treat it as read-only."""
    entry = resources.files(SCHEMA_PACKAGE).joinpath(f"{name}.json")
    if not entry.is_file():
        raise InvalidSettingsError(
            f"No request body schema named '{name}' is packaged "
            f"(known: {', '.join(schema_names())}). Reinstall the extension."
        )
    return json.loads(entry.read_text(encoding="utf-8"))


def load_body_schema(name: str = CREATE_RUN_SCHEMA) -> dict[str, Any]:
    """The schema a body is checked against; by default Create Run's."""
    return load_schema(name)


def allowed_fields(name: str = CREATE_RUN_SCHEMA) -> list[str]:
    """Top-level fields the schema defines, in the schema's order."""
    return list(load_schema(name).get("properties", {}))


@cache
def _validator(name: str) -> Any:
    import jsonschema  # imported here: KNIME imports the node modules just to list nodes

    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    return cls(schema)


def check_body(body: dict[str, Any], schema: str = CREATE_RUN_SCHEMA) -> BodyProblems:
    """Every way ``body`` breaks the schema, each as ``path: what is wrong``, in document order.

    ``schema`` names the packaged schema (an operation's ``body_schema``); Create Run's by
    default.
    """
    from .quick_schema import surely_valid

    if surely_valid(load_schema(schema), body):
        return BodyProblems(violations=[], unknown_fields=[])  # jsonschema need not load
    violations: list[str] = []
    unknown: list[str] = []
    errors = sorted(_validator(schema).iter_errors(body), key=lambda e: [str(p) for p in e.path])
    for error in errors:
        path = _json_path(error.absolute_path)
        if error.validator == "additionalProperties":
            known = list(error.schema.get("properties", {}))
            extra = sorted(set(error.instance) - set(known))
            where = f" in {path}" if path != "$" else ""
            unknown.append(
                f"unknown field{'s' if len(extra) > 1 else ''} "
                + ", ".join(f"'{name}'" for name in extra)
                + f"{where} (allowed: {', '.join(known)})"
            )
        elif error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else error.message
            violations.append(f"{_json_path([*error.absolute_path, missing])}: is required")
        elif error.validator in ("oneOf", "anyOf") and error.context:
            violations.append(_describe_alternatives(error))
        else:
            violations.append(f"{path}: {error.message}")
    return BodyProblems(violations=violations, unknown_fields=unknown)


def _describe_alternatives(error: Any) -> str:
    """For "one of these forms", explain against the forms whose JSON type fits the value.

    Alternatives that differ only by a ``type`` constant (tools, content parts) are merged,
    so the user reads "'bogus' is not one of 'code_interpreter', 'file_search', 'function'"
    instead of three unrelated complaints.
    """
    base = list(error.absolute_path)
    branches: dict[int, list[Any]] = {}
    for e in error.context:
        branches.setdefault(e.relative_schema_path[0], []).append(e)
    # a branch whose JSON type does not fit the value says nothing useful
    fitting = [
        errs
        for errs in branches.values()
        if not any(e.validator == "type" and not list(e.relative_path) for e in errs)
    ]
    if not fitting:
        kinds = sorted({_kind(alt) for alt in error.validator_value if _kind(alt)})
        return f"{_json_path(base)}: {_short(error.instance)} is not of type {' or '.join(kinds)}"
    # a branch whose constants (enum) all matched is the form the user meant
    meant = [errs for errs in fitting if not any(e.validator == "enum" for e in errs)]
    if meant:
        from jsonschema.exceptions import best_match

        best = best_match([e for errs in meant for e in errs])
        if best.validator in ("oneOf", "anyOf") and best.context:
            return _describe_alternatives(best)
        if best.validator == "required":
            missing = best.message.split("'")[1] if "'" in best.message else best.message
            return f"{_json_path([*best.absolute_path, missing])}: is required"
        return f"{_json_path(best.absolute_path)}: {best.message}"
    enums: dict[tuple, list] = {}
    for errs in fitting:
        for e in errs:
            if e.validator == "enum":
                enums.setdefault(tuple(e.absolute_path), []).extend(e.validator_value)
    where, allowed = max(enums.items(), key=lambda item: len(item[1]))
    value = _short(_at(error.instance, where[len(base) :]))
    options = ", ".join(_short(v) for v in dict.fromkeys(allowed))
    return f"{_json_path(where)}: {value} is not one of {options}"


def _kind(schema: Any) -> str:
    kind = schema.get("type") if isinstance(schema, dict) else None
    return "/".join(kind) if isinstance(kind, list) else (kind or "")


def _at(value: Any, path: tuple) -> Any:
    for part in path:
        value = value[part]
    return value


def _json_path(parts: Any, root: str = "$") -> str:
    """``additional_messages[0].content`` style; the document root is ``$``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or root


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"
