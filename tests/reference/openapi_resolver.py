"""The one OpenAPI -> JSON Schema conversion both run-by-hand generators use
(``generate_body_schemas.py``, ``generate_assistants_schemas.py``).

- every ``$ref`` is inlined, so each schema is self-contained and ``jsonschema`` needs no
  registry;
- OpenAPI 3.0's ``nullable: true`` becomes JSON Schema's "or null", including the
  ``allOf: [{$ref}, {nullable: true}]`` and ``{$ref, nullable: true}`` spellings;
- prose (the keys in ``prose`` and ``x-*``) is dropped: it does not constrain a body. Property
  *names* such as "description" are data, not prose: every one is kept.
"""

from __future__ import annotations

from typing import Any

PROSE = frozenset({"description", "example", "title", "default", "deprecated"})


def null_or(target: Any) -> Any:
    """``target`` or ``null``; a top-level ``anyOf``/``oneOf`` just gains a null branch."""
    if isinstance(target, dict):
        for key in ("anyOf", "oneOf"):
            if set(target) == {key}:
                return {key: [*target[key], {"type": "null"}]}
    return {"anyOf": [target, {"type": "null"}]}


def resolve(
    node: Any,
    schemas: dict[str, Any],
    seen: tuple[str, ...] = (),
    *,
    prose: frozenset[str] = PROSE,
    legacy_nulls: bool = False,
) -> Any:
    """Inline ``$ref``s, turn ``nullable`` into ``null`` alternatives, drop prose.

    ``legacy_nulls``: the spelling ``assistants-schemas.json`` was generated with, kept so the
    file stays byte-identical: a nullable ``$ref`` is wrapped as ``anyOf: [target, null]``
    (not merged into the target's ``anyOf``/``oneOf``), and ``allOf: [X, {nullable: true}]``
    stays ``allOf: [X, {}]``, which does not admit null (a quirk of that file)."""
    options = {"prose": prose, "legacy_nulls": legacy_nulls}
    if isinstance(node, list):
        return [resolve(item, schemas, seen, **options) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            raise ValueError(f"recursive schema {name}")
        target = resolve(schemas[name], schemas, (*seen, name), **options)
        if not node.get("nullable"):
            return target
        return {"anyOf": [target, {"type": "null"}]} if legacy_nulls else null_or(target)
    all_of = node.get("allOf")
    nullable_all_of = isinstance(all_of, list) and len(all_of) == 2
    if nullable_all_of and all_of[1] == {"nullable": True} and not legacy_nulls:
        return null_or(resolve(all_of[0], schemas, seen, **options))
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: resolve(sub, schemas, seen, **options) for name, sub in value.items()}
        elif key not in prose and not key.startswith("x-") and key != "nullable":
            out[key] = resolve(value, schemas, seen, **options)
    if node.get("nullable"):
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        elif "anyOf" in out or "oneOf" in out:
            key = "anyOf" if "anyOf" in out else "oneOf"
            out[key] = [*out[key], {"type": "null"}]
    return out
