"""The quick schema check lets no invalid body through (issue 10, cold start).

``quick_schema.surely_valid`` spares a one-shot process the import of jsonschema when a body
fits. It may only ever say "fits" where jsonschema finds no violation: checked here
generatively against every packaged schema, with bodies built from the schemas themselves
(so most are close to valid and many are exactly valid), and checked directly on the
Draft 7 corner cases where a hand-written check could differ from jsonschema.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import openai_assistants
from openai_assistants.operations.body_schema import check_body, load_schema, schema_names
from openai_assistants.operations.quick_schema import surely_valid

SOURCE = str(Path(openai_assistants.__file__).resolve().parents[1])  # the code under test
PATH = os.pathsep.join(p for p in (SOURCE, os.environ.get("PYTHONPATH")) if p)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0, 1, 1.0, 2.0, -1, 0.5, 128000, 2.5, "", "auto", "none", "a" * 600])
    | st.text(max_size=8)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def _values(schema: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values shaped by ``schema``: mostly fitting, sometimes any JSON (to hit violations)."""
    if not isinstance(schema, dict) or depth > 6:
        return JSON
    choices = []
    if "enum" in schema:
        choices.append(st.sampled_from(schema["enum"]))
    for key in ("anyOf", "oneOf"):
        if key in schema:
            choices += [_values(branch, depth + 1) for branch in schema[key]]
    if "properties" in schema:
        properties = schema["properties"]
        required = [name for name in schema.get("required", []) if name in properties]
        choices.append(
            st.fixed_dictionaries(
                {name: _values(properties[name], depth + 1) for name in required},
                optional={
                    name: _values(value, depth + 1)
                    for name, value in properties.items()
                    if name not in required
                },
            )
        )
    if isinstance(schema.get("items"), dict):
        choices.append(st.lists(_values(schema["items"], depth + 1), max_size=3))
    if not choices:
        choices.append(SCALARS)
    return st.one_of(*choices) if len(choices) == 1 else st.one_of(*choices, JSON)


def _violations(schema: dict[str, Any], body: Any) -> list[str]:
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    return [error.message for error in cls(schema).iter_errors(body)]


@pytest.mark.parametrize("name", schema_names())
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_body_the_quick_check_passes_has_no_violation(name: str, data: st.DataObject) -> None:
    schema = load_schema(name)
    body = data.draw(_values(schema))
    if surely_valid(schema, body):
        assert _violations(schema, body) == []


@pytest.mark.parametrize(
    ("schema", "instance", "fits"),
    [
        ({"type": "integer"}, 1.0, True),  # Draft 7: a float without fraction is an integer
        ({"type": "integer"}, True, False),  # a boolean is not a number
        ({"type": "number"}, False, False),
        ({"enum": ["a", None]}, None, True),
        ({"enum": [1, 2]}, 1, False),  # numbers in enums: jsonschema's equality decides
        ({"minimum": 0}, "text", True),  # numeric keywords ignore other types
        ({"maxLength": 2}, "ab", True),
        ({"maxLength": 2}, "abc", False),
        ({"oneOf": [{"type": "number"}, {"type": "integer"}]}, 1, False),  # both fit
        ({"oneOf": [{"type": "number"}, {"type": "string"}]}, 1, True),
        ({"properties": {"a": {}}, "additionalProperties": False}, {"b": 1}, False),
        ({"format": "uri"}, "not a uri", True),  # Draft 7 without a format checker
        ({"pattern": "^a"}, "a", False),  # a keyword it does not know: ask jsonschema
        ({"type": "array", "items": [{"type": "string"}]}, ["a"], False),  # tuple form
    ],
)
def test_draft_7_corner_cases(schema: dict[str, Any], instance: Any, fits: bool) -> None:
    assert surely_valid(schema, instance) is fits
    if fits:
        assert _violations(schema, instance) == []


def test_violations_are_still_worded_by_jsonschema() -> None:
    problems = check_body({"assistant_id": "asst_1", "temperature": 9, "bogus": 1})
    assert problems.violations == ["temperature: 9 is greater than the maximum of 2"]
    assert problems.unknown_fields and "'bogus'" in problems.unknown_fields[0]


def test_a_valid_body_is_checked_without_loading_jsonschema() -> None:
    code = (
        "import sys\n"
        "from openai_assistants.operations.body_schema import check_body\n"
        "body = {'assistant_id': 'asst_1', 'model': 'gpt-4o', 'temperature': 0.5, 'stream': True,\n"
        "        'tools': [{'type': 'code_interpreter'}], 'metadata': {'k': 'v'},\n"
        "        'additional_messages': [{'role': 'user', 'content': 'hi'}]}\n"
        "problems = check_body(body)\n"
        "print(problems.violations, problems.unknown_fields, 'jsonschema' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": PATH},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[]", "[]", "False"]
