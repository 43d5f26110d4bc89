"""Structured results: the typed columns of each object kind and how a field becomes a cell."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from openai_assistants import operations
from openai_assistants.tables import results
from openai_assistants.tables.object_columns import (
    KINDS,
    message_text,
    object_columns,
    object_record,
)

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads(
    (Path(__file__).parent / "reference" / "assistants-schemas.json").read_text("utf-8")
)["schemas"]
COLUMN_KINDS = {"string", "int32", "int64", "double", "bool", "datetime"}


def test_every_result_kind_of_the_operations_has_columns() -> None:
    assert {op.result_kind.value for op in operations.ALL} == set(KINDS)
    for kind in KINDS:
        columns = object_columns(kind)
        assert {k for _, k in columns} <= COLUMN_KINDS
        assert len({name for name, _ in columns}) == len(columns), kind


def test_run_columns_are_create_runs_structured_columns() -> None:
    assert object_columns(operations.ResultKind.RUN) == results.STRUCTURED_COLUMNS[:-2]


def test_a_run_record_equals_create_runs_structured_row() -> None:
    run = json.loads((DATA / "run-object.json").read_text("utf-8"))
    assert object_record("run", run) == results.structured_run(run)


@pytest.mark.parametrize(
    ("kind", "schema"),
    [
        ("assistant", "AssistantObject"),
        ("thread", "ThreadObject"),
        ("message", "MessageObject"),
        ("run", "RunObject"),
    ],
)
def test_columns_are_fields_of_the_reference_object(kind: str, schema: str) -> None:
    fields = set(REFERENCE[schema]["properties"])
    derived = {"text", "usage_prompt_tokens", "usage_completion_tokens", "usage_total_tokens"}
    assert {name for name, _ in object_columns(kind)} - derived <= fields
    if "usage" in fields:
        assert {"usage_total_tokens"} <= {name for name, _ in object_columns(kind)}


def test_message_record_has_typed_cells_and_the_joined_text() -> None:
    message = {
        "id": "msg_1",
        "object": "thread.message",
        "created_at": 1700000000,
        "thread_id": "thread_1",
        "status": "completed",
        "completed_at": None,
        "role": "assistant",
        "content": [
            {"type": "text", "text": {"value": "Hello", "annotations": []}},
            {"type": "image_file", "image_file": {"file_id": "file_1"}},
            {"type": "text", "text": {"value": "Grüße", "annotations": []}},
        ],
        "assistant_id": "asst_1",
        "run_id": "run_1",
        "attachments": [],
        "metadata": {"k": "v"},
    }
    record = object_record("message", message)
    assert set(record) == {name for name, _ in object_columns("message")}
    assert record["text"] == "Hello\n\nGrüße"
    assert record["created_at"] == datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)
    assert record["completed_at"] is None and record["incomplete_at"] is None
    assert json.loads(record["content"]) == message["content"]
    assert record["metadata"] == '{"k": "v"}'
    assert record["attachments"] == "[]"


def test_message_without_text_parts_has_no_text() -> None:
    assert message_text({"content": [{"type": "image_file", "image_file": {}}]}) is None
    assert message_text({"content": "plain"}) == "plain"


def test_run_step_usage_is_flattened() -> None:
    step = {
        "id": "step_1",
        "type": "tool_calls",
        "step_details": {"type": "tool_calls", "tool_calls": []},
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
        "expired_at": None,
    }
    record = object_record("run_step", step)
    assert (
        record["usage_prompt_tokens"],
        record["usage_completion_tokens"],
        record["usage_total_tokens"],
    ) == (3, 4, 7)
    assert json.loads(record["step_details"]) == step["step_details"]


def test_deletion_status() -> None:
    record = object_record("deletion", {"id": "t", "object": "thread.deleted", "deleted": True})
    assert record == {"id": "t", "object": "thread.deleted", "deleted": True}


def test_strange_values_become_missing_cells_not_errors() -> None:
    record = object_record(
        "assistant",
        {"created_at": "yesterday", "temperature": True, "top_p": "1", "name": 5, "tools": None},
    )
    assert record["created_at"] is None
    assert record["temperature"] is None and record["top_p"] is None
    assert record["name"] == "5" and record["tools"] is None
    assert object_record("thread", ["not", "an", "object"]) == dict.fromkeys(
        name for name, _ in object_columns("thread")
    )


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown object kind 'folder'"):
        object_columns("folder")
