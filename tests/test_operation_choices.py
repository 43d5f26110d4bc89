"""The facts a node's dialog is built from (``operations.choices``, read when KNIME lists the
nodes) are the facts the engine enforces when the node runs: one definition, used by both."""

from __future__ import annotations

from openai_assistants.engine import execute as engine
from openai_assistants.engine.request_builder import QUERY_LABELS
from openai_assistants.engine.request_parts import path_id_label
from openai_assistants.operations import ALL, by_id, choices


def test_result_formats_and_waiting_are_the_engines() -> None:
    for op in ALL:
        assert choices.result_format_names(op) == tuple(f.name for f in engine.result_formats(op))
        assert choices.can_wait(op) == engine.can_wait(op), op.operation_id
    assert choices.result_format_names(by_id("createRun")) == ("RAW", "STRUCTURED", "EVENTS")
    assert choices.result_format_names(by_id("getThread")) == ("RAW", "STRUCTURED")
    assert [op.operation_id for op in ALL if choices.can_wait(op)] == [
        "createThreadAndRun",
        "createRun",
        "getRun",
        "submitToolOuputsToRun",
        "createVectorStore",  # these three: 'Wait until processing ends'
        "createVectorStoreFile",
        "createVectorStoreFileBatch",
    ]


def test_bounds_labels_and_templates_are_the_engines() -> None:
    assert (engine.MAX_CONCURRENCY, engine.MAX_ITEMS_LIMIT) == (32, 100_000)
    assert choices.MAX_CONCURRENCY is engine.MAX_CONCURRENCY
    assert choices.QUERY_LABELS is QUERY_LABELS
    assert choices.CREATE_RUN_DEFAULT_BODY == '{\n  "assistant_id": ""\n}'
    for name, label in {"thread_id": "Thread ID", "step_id": "Step ID"}.items():
        assert path_id_label(name) == choices.path_id_label(name) == label


def test_a_new_resources_id_gets_a_readable_label() -> None:
    assert choices.path_id_label("vector_store_id") == "Vector Store ID"
    assert choices.path_id_label("file_batch_id") == "File Batch ID"
