"""Every call the API nodes make into the core engine, in one place.

The nodes read their dialog into plain values and hand them here; this module turns them into
the engine's types and calls it. Two reasons for one module:

* Listing the nodes must not load the engine (and with it the HTTP client, the result tables
  and their libraries): :mod:`.node` imports this module only inside configure() and
  execute(), so KNIME pays for the engine when a node first runs, not when it lists nodes.
* When the engine's entry point changes (e.g. it takes one client object built from the
  configuration and the key), this file is the one to adapt.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from openai_assistants.client.client import ApiClient
from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.engine import body_fields, file_content
from openai_assistants.engine import execute as engine
from openai_assistants.engine.run_polling import WaitOptions
from openai_assistants.operations import Operation
from openai_assistants.tables.results import ResultFormat

Columns = tuple[tuple[str, str], ...]  # (name, core type name) in output order


@dataclass(frozen=True)
class Waiting:
    """The dialog's Waiting section, when "Wait until the run ends" is on."""

    poll_interval: float
    max_wait: float
    cancel_run_on_cancel: bool


def call_settings(
    operation: Operation,
    path_values: Mapping[str, str],
    query_values: Mapping[str, object],
    body: str | None,
    allow_unknown_fields: bool,
) -> engine.CallSettings:
    return engine.CallSettings(
        path_values=dict(path_values),
        query_values=dict(query_values),
        body=body if operation.has_body else None,
        allow_unknown_fields=allow_unknown_fields if operation.has_body else False,
    )


def call_options(
    on_error: str,
    result_format: str,
    include_headers: bool,
    waiting: Waiting | None,
    **extra: Any,
) -> engine.OperationOptions:
    """The dialog's options; ``on_error`` and ``result_format`` are the options' names."""
    wait = None
    if waiting is not None:
        wait = WaitOptions(
            poll_interval=waiting.poll_interval,
            max_wait=waiting.max_wait,
            cancel_run_on_abort=waiting.cancel_run_on_cancel,
        )
    return engine.OperationOptions(
        on_error=engine.ErrorHandling[on_error],
        result_format=ResultFormat[result_format],
        include_headers=include_headers,
        wait=wait,
        **extra,
    )


def check(
    operation: Operation,
    settings: engine.CallSettings,
    connection: ConnectionConfig,
    options: engine.OperationOptions,
    from_columns: Sequence[str],
    tool_outputs_from_table: bool,
) -> list[str]:
    """configure(): everything checkable before execution; raises the core's settings errors,
    returns warnings."""
    if tool_outputs_from_table:
        settings = _with_table_tool_outputs(settings)
    return engine.check_call(
        operation, settings, connection, options, from_columns=list(from_columns)
    )


def warning_text(warnings: Sequence[str]) -> str:
    """configure()'s warnings as the one bounded warning KNIME shows."""
    from openai_assistants.engine.warning_summary import summarize_warnings

    return summarize_warnings(warnings)


def output_columns(operation: Operation, options: engine.OperationOptions) -> Columns:
    return engine.output_columns(operation, options.result_format, options.include_headers)


def single_input(settings: engine.CallSettings) -> list[engine.CallInput]:
    """No input table: one call with the dialog's values."""
    return [engine.CallInput("Row0", settings)]


def table_inputs(
    settings: engine.CallSettings,
    row_ids: Sequence[str],
    columns: Mapping[str, Sequence[str | None]],
    tool_columns: tuple[Sequence[str | None], Sequence[str | None]] | None,
    column_names: Mapping[str, str] | None = None,
) -> list[engine.CallInput]:
    """An input table's rows as calls: one per row, or for tool outputs one per run.
    ``column_names`` (settings key -> column) names the column of a missing cell."""
    if tool_columns is None:
        return engine.inputs_from_rows(row_ids, settings, columns, column_names)
    calls, outputs = tool_columns
    return engine.tool_output_inputs(
        row_ids,
        settings,
        calls,
        outputs,
        thread_ids=columns.get("thread_id"),
        run_ids=columns.get("run_id"),
    )


def execute(
    operation: Operation,
    inputs: Sequence[engine.CallInput],
    connection: ConnectionConfig,
    options: engine.OperationOptions,
    key_lookup: Callable[[str], str | None],
    is_canceled: Callable[[], bool],
    progress: Callable[[float, str], None],
) -> engine.OperationOutcome:
    """The engine's one execute path through one client (the configuration and KNIME's key
    enter it once), with KNIME's cancel flag and progress."""
    client = ApiClient.connect(connection, key_lookup, is_canceled=is_canceled)
    return engine.execute_operation(operation, inputs, client, options=options, progress=progress)


# --- the Files and Vector Stores nodes (documents.py) -------------------------------------------


def settings_with_fields(
    settings: engine.CallSettings, values: Mapping[str, str | None]
) -> engine.CallSettings:
    """The dialog's field settings (a file to upload, a query, ...) written into the body."""
    return body_fields.settings_with_fields(settings, values)


def document_inputs(
    operation: Operation,
    row_ids: Sequence[str],
    settings: engine.CallSettings,
    columns: Mapping[str, Sequence[str | None]],
    column_names: Mapping[str, str] | None = None,
) -> list[engine.CallInput]:
    """An input table's rows as calls, field columns and a file batch's row list included."""
    return body_fields.table_inputs(operation, row_ids, settings, columns, column_names)


def check_folder(folder: str) -> None:
    """Get File Content's folder can hold files; raises the core's settings error."""
    file_content.check_folder(folder)


def saved_columns(operation: Operation, options: engine.OperationOptions) -> Columns:
    """The output columns with Get File Content's ``saved_to`` column."""
    return output_columns(operation, options) + file_content.SAVED_COLUMN


def save_contents(
    outcome: engine.OperationOutcome, inputs: Sequence[engine.CallInput], folder: str
) -> engine.OperationOutcome:
    """Each row's bytes written into ``folder``; the outcome with the ``saved_to`` column."""
    return file_content.save_contents(outcome, inputs, folder)


def _with_table_tool_outputs(settings: engine.CallSettings) -> engine.CallSettings:
    """The dialog body as it is sent with a tool-outputs table: its ``tool_outputs`` are the
    table's (checked per run at execution), so configure checks the rest of the body."""
    try:
        body = json.loads(settings.body or "{}")
    except ValueError:
        return settings  # the check reports the syntax error with line and column
    if not isinstance(body, dict):
        return settings
    return replace(settings, body=json.dumps({**body, "tool_outputs": []}))
