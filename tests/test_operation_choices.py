"""The facts a node's dialog is built from (``operations.choices``, read when KNIME lists the
nodes) are the facts the engine enforces when the node runs."""

from __future__ import annotations

from openai_assistants.engine import execute as engine
from openai_assistants.engine.create_run import DEFAULT_BODY
from openai_assistants.engine.request_builder import QUERY_LABELS
from openai_assistants.engine.request_parts import path_id_label
from openai_assistants.operations import ALL, choices


def test_result_formats_and_waiting_are_the_engines() -> None:
    for op in ALL:
        assert choices.result_format_names(op) == tuple(f.name for f in engine.result_formats(op))
        assert choices.can_wait(op) == engine.can_wait(op), op.operation_id


def test_bounds_labels_and_templates_are_the_engines() -> None:
    assert choices.MAX_CONCURRENCY == engine.MAX_CONCURRENCY
    assert choices.MAX_ITEMS_LIMIT == engine.MAX_ITEMS_LIMIT
    assert choices.QUERY_LABELS == QUERY_LABELS
    assert choices.CREATE_RUN_DEFAULT_BODY == DEFAULT_BODY
    names = {name for op in ALL for name in op.path_parameters}
    assert names >= {"assistant_id", "thread_id", "message_id", "run_id", "step_id"}
    for name in names:
        assert choices.path_id_label(name) == path_id_label(name), name


def test_a_new_resources_id_gets_a_readable_label() -> None:
    assert choices.path_id_label("vector_store_id") == "Vector Store ID"
    assert choices.path_id_label("file_batch_id") == "File Batch ID"
