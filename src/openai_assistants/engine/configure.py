"""What configure() needs: the result formats, columns and object an operation has, and
every check of its settings that can run before execution (no row, no key, no I/O).
"""

from __future__ import annotations

import json
from collections.abc import Collection

from ..client.connection import ConnectionConfig
from ..errors import InvalidSettingsError
from ..operations.choices import WAITING_OPERATIONS as WAITING_OPERATIONS
from ..operations.choices import can_wait as can_wait
from ..operations.choices import result_format_names
from ..operations.model import Operation, ResultKind
from ..tables.results import Columns, ResultFormat, result_columns
from .inputs import CallSettings
from .options import MAX_CONCURRENCY, MAX_ITEMS_LIMIT, OperationOptions, check_wait

_OBJECTS = {
    ResultKind.ASSISTANT: "assistant",
    ResultKind.THREAD: "thread",
    ResultKind.MESSAGE: "thread.message",
    ResultKind.RUN: "thread.run",
    ResultKind.RUN_STEP: "thread.run.step",
    ResultKind.FILE: "file",
    ResultKind.VECTOR_STORE: "vector_store",
    ResultKind.VECTOR_STORE_FILE: "vector_store.file",
    ResultKind.VECTOR_STORE_FILE_BATCH: "vector_store.files_batch",  # sic: the reference's
    ResultKind.FILE_CONTENT: "",  # bytes, not JSON
}
_DELETED = {
    "deleteAssistant": "assistant.deleted",
    "deleteThread": "thread.deleted",
    "deleteMessage": "thread.message.deleted",
}


def result_formats(operation: Operation) -> tuple[ResultFormat, ...]:
    """The formats of :func:`~openai_assistants.operations.choices.result_format_names`."""
    return tuple(ResultFormat[name] for name in result_format_names(operation))


def expected_object(operation: Operation) -> str:
    """The ``object`` a success answer carries: ``thread.run``, ``list``, ``thread.deleted``…"""
    if operation.returns_list:
        return operation.list_object
    if operation.answer_object:
        return operation.answer_object
    if operation.result_kind is ResultKind.DELETION:
        return _DELETED.get(operation.operation_id, "")
    return _OBJECTS[operation.result_kind]


def output_columns(
    operation: Operation, result_format: ResultFormat, include_headers: bool = False
) -> Columns:
    """The (name, kind) columns configure() declares. STRUCTURED: the columns of the
    operation's result kind + ``http_status``, ``error`` (lists: one row per item)."""
    return result_columns(result_format, include_headers, kind=operation.result_kind)


def check_options(operation: Operation, options: OperationOptions) -> None:
    """The options' own ranges and fit with the operation; raise naming the setting."""
    if not 1 <= options.concurrency <= MAX_CONCURRENCY:
        raise InvalidSettingsError(
            f"Concurrency must be between 1 and {MAX_CONCURRENCY}, not {options.concurrency}.",
            setting="concurrency",
        )
    if options.result_format not in result_formats(operation):
        raise InvalidSettingsError(
            f'{operation.node_name} has no result format "{options.result_format.value}" '
            f"(it has: {', '.join(f.value for f in result_formats(operation))}).",
            setting="result_format",
        )
    if options.wait is not None and not can_wait(operation):
        raise InvalidSettingsError(
            f"{operation.node_name} answers with no run to wait for; turn off waiting.",
            setting="wait_for_completion",
        )
    check_wait(options.wait)
    if options.all_pages:
        number = options.max_items
        if isinstance(number, bool) or not isinstance(number, int):
            number = -1
        if not 1 <= number <= MAX_ITEMS_LIMIT:
            raise InvalidSettingsError(
                f"Maximum items must be between 1 and {MAX_ITEMS_LIMIT}, not "
                f"{options.max_items!r}.",
                setting="max_items",
            )


def check_call(
    operation: Operation,
    settings: CallSettings,
    config: ConnectionConfig,
    options: OperationOptions,
    *,
    from_columns: Collection[str] = (),
) -> list[str]:
    """configure(): everything checkable before execution; raises InvalidSettingsError (naming
    the setting); returns warnings. ``from_columns``: settings keys whose values come from input
    table columns (checked per row at execution, may be empty in the dialog)."""
    from .request_builder import check_settings

    check_options(operation, options)
    if "body" not in from_columns:
        check_format_fits_body(options.result_format, settings.body)
    return check_settings(
        operation,
        settings.path_values,
        settings.query_values,
        settings.body,
        config,
        allow_unknown_fields=settings.allow_unknown_fields,
        from_columns=from_columns,
    )


def check_format_fits_body(result_format: ResultFormat, body_text: str | None) -> None:
    """The Events format shows a stream's events, so the body must ask for a stream."""
    if result_format is ResultFormat.EVENTS and not asks_for_stream(body_text):
        raise InvalidSettingsError(
            'Result Format "Events" needs "stream": true in the body.', setting="result_format"
        )


def asks_for_stream(body_text: str | None) -> bool:
    """Whether a (valid) body asks for server-sent events."""
    if body_text is None:
        return False
    try:
        parsed = json.loads(body_text)
    except (ValueError, RecursionError, TypeError):
        return False
    return isinstance(parsed, dict) and parsed.get("stream") is True


def checked_object(operation: Operation) -> str:
    """The object the answer check expects; a list page has no ``id``, so lists are checked
    by :func:`follow_ups.check_page` instead."""
    return "" if operation.returns_list else expected_object(operation)
