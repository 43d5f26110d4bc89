"""What every Assistants API node shares: its dialog sections, ports, configure and execute.

Each node (``assistant_nodes.py``, ``thread_nodes.py``, ...) is a short class decorated with
:func:`operation_node`, which reads the operation's data (``openai_assistants.operations``) and
builds the dialog from it: a path parameter or query parameter becomes a setting under its API
name, a body a ``body`` setting, a list a *fetch all pages* option, a run a *Waiting* section.
configure() and execute() are the same for every node and call the core's engine, so a new
node costs an operation entry plus a few lines, and every node behaves alike.

Only light modules are imported here (KNIME imports the node modules just to list them): the
operations are plain data, and the engine loads its HTTP and schema libraries on first use.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from copy import deepcopy
from dataclasses import replace
from typing import Any, ClassVar

import knime.extension as knext

from openai_assistants.client.connection import ConnectionConfig, KeySource
from openai_assistants.engine import execute as engine
from openai_assistants.engine.request_builder import QUERY_LABELS
from openai_assistants.engine.request_parts import path_id_label
from openai_assistants.engine.run_polling import WaitOptions
from openai_assistants.errors import InvalidSettingsError
from openai_assistants.operations import (
    INCLUDE_FILE_SEARCH_CONTENT,
    Operation,
    QueryKind,
    QueryParameter,
    by_id,
)
from openai_assistants.operations.model import LIST_LIMIT_MAX, LIST_LIMIT_MIN, ResultKind
from openai_assistants.tables.results import ResultFormat

from .category import openai_assistants_category
from .configuration_port import (
    OpenAIConfigurationPortObject,
    OpenAIConfigurationSpec,
    openai_configuration_port_type,
)
from .errors import in_range, report_warnings, settings_errors_as_invalid_parameters
from .table_schema import knime_schema

# The extension version that introduced these nodes (knime.yml's version): every parameter
# carries it, so settings saved before a parameter existed load with its default.
SINCE_VERSION = "0.2.0"
MAX_CONCURRENCY = engine.MAX_CONCURRENCY  # the bounds the engine checks
MAX_ITEMS_LIMIT = engine.MAX_ITEMS_LIMIT

# A body a user can start from: required fields present (an empty ID still fails configure,
# naming the field, as Create Run's template does); every field of "modify" bodies optional.
DEFAULT_BODIES = {
    "createAssistant": '{\n  "model": "gpt-4o-mini",\n  "name": "My assistant",\n'
    '  "instructions": "You are a helpful assistant."\n}',
    "modifyAssistant": '{\n  "instructions": "You are a helpful assistant."\n}',
    "createThread": "{}",
    "modifyThread": '{\n  "metadata": {}\n}',
    "createThreadAndRun": '{\n  "assistant_id": "",\n  "thread": {\n    "messages": [\n'
    '      {"role": "user", "content": "Hello!"}\n    ]\n  }\n}',
    "createMessage": '{\n  "role": "user",\n  "content": "Hello!"\n}',
    "modifyMessage": '{\n  "metadata": {}\n}',
    "modifyRun": '{\n  "metadata": {}\n}',
    "submitToolOuputsToRun": '{\n  "tool_outputs": []\n}',
    # files and vector stores (file_nodes.py, vector_store_nodes.py)
    "createFile": "{}",  # file and purpose have settings of their own
    "createVectorStore": '{\n  "name": "My documents",\n  "file_ids": []\n}',
    "modifyVectorStore": '{\n  "name": "My documents"\n}',
    "searchVectorStore": '{\n  "max_num_results": 10\n}',  # the query has its own setting
    "createVectorStoreFile": "{}",  # the file_id has a setting of its own
    "updateVectorStoreFileAttributes": '{\n  "attributes": {}\n}',
    "createVectorStoreFileBatch": '{\n  "file_ids": [""]\n}',
}

_KIND_WORDS = {
    ResultKind.ASSISTANT: "assistant",
    ResultKind.THREAD: "thread",
    ResultKind.MESSAGE: "message",
    ResultKind.RUN: "run",
    ResultKind.RUN_STEP: "run step",
    ResultKind.DELETION: "deletion status",
    ResultKind.FILE: "file",
    ResultKind.FILE_CONTENT: "file content",
    ResultKind.VECTOR_STORE: "vector store",
    ResultKind.VECTOR_STORE_FILE: "vector store file",
    ResultKind.VECTOR_STORE_FILE_BATCH: "vector store file batch",
    ResultKind.VECTOR_STORE_FILE_CONTENT: "parsed content part",
    ResultKind.SEARCH_RESULT: "search result",
}


def code(text: str) -> str:
    """Text as Markdown code: KNIME renders descriptions as Markdown, where ``[*]...[*]``
    would turn into italics and lose its asterisks."""
    return f"`{text}`"


def error_handling_options(
    output_text: str = "An error response becomes the output row (body and status, or the error "
    "column) and the node shows a warning instead of failing.",
) -> type[knext.EnumParameterOptions]:
    """The two answers to an API error (names = engine.ErrorHandling), with the text that
    says where an output error goes (Create Run's dialog keeps its own wording)."""
    members = [
        (
            "FAIL",
            ("Fail the node", "An error response (HTTP 4xx/5xx) fails the node with its message."),
        ),
        ("OUTPUT", ("Output error responses", output_text)),
    ]
    return knext.EnumParameterOptions(  # type: ignore[call-arg]
        "ErrorHandlingOptions", members, module=__name__
    )


ErrorHandlingOptions = error_handling_options()


class IncludeOptions(knext.EnumParameterOptions):
    FILE_SEARCH_RESULT_CONTENT = (
        "File search result content",
        "Fetch the content of file search results: "
        f"{code('include[]=' + INCLUDE_FILE_SEARCH_CONTENT)}.",
    )


class OrderOptions(knext.EnumParameterOptions):
    DESC = ("Descending", "Newest first (`order=desc`, the API's default).")
    ASC = ("Ascending", "Oldest first (`order=asc`).")


def result_format_options(
    operation: Operation,
    described: dict[ResultFormat, tuple[str, str]] | None = None,
) -> type[knext.EnumParameterOptions]:
    """The result formats this operation supports, as dialog options (names = ResultFormat);
    ``described`` replaces the generated (label, description) texts (Create Run keeps its own)."""
    texts = described or _described_formats(operation)
    members = [(f.name, texts[f]) for f in engine.result_formats(operation)]
    return knext.EnumParameterOptions(  # type: ignore[call-arg]
        "ResultFormatOptions", members, module=__name__
    )


def _described_formats(operation: Operation) -> dict[ResultFormat, tuple[str, str]]:
    what = _KIND_WORDS[operation.result_kind]
    rows = "one row per item of the list" if operation.returns_list else "one row"
    return {
        ResultFormat.RAW: (
            "Raw Response",
            "The columns body (the response body exactly as received) and status (the HTTP "
            "status code)" + (": one row per page fetched." if operation.returns_list else "."),
        ),
        ResultFormat.STRUCTURED: (
            "Structured",
            f"A typed column per field of the {what} object ({rows}; timestamps as UTC "
            "date-times, nested objects as JSON text"
            + (", a message's text parts joined in the text column" if what == "message" else "")
            + "), the HTTP status (http_status) and the error message of a failed request "
            "(error).",
        ),
        ResultFormat.EVENTS: (
            "Events",
            'One row per server-sent event (event, data); for bodies with "stream": true.',
        ),
    }


def is_string_column(column: knext.Column) -> bool:
    return column.ktype == knext.string()


def chosen(column: str | None) -> str:
    """A column parameter's value, with "no column" ("", None or "<none>") as ""."""
    return "" if column in (None, "", knext.ColumnParameter.NONE) else column


def input_table_connected(context: knext.DialogCreationContext) -> bool:
    """Whether the optional input table is connected (when the dialog opens)."""
    specs = list(context.get_input_specs())
    return len(specs) > 1 and specs[1] is not None


def _plain_init(self: object) -> None:
    """A group's own ``__init__`` in Python: KNIME inspects the group's ``__init__`` signature
    each time a group is made, which for ``object.__init__`` means parsing its text signature
    (about 0.2 ms, 100 groups at import)."""


_IMMUTABLE = frozenset({str, int, float, bool, type(None), knext.Version})


def copy_values_only(self: object, memo: dict[int, Any]) -> object:
    """A section's ``__deepcopy__``: KNIME deep-copies a section on every attribute access of
    the node (to bind it to the node's values), about 25 µs for one of ours, five times per
    execute. Most of a section's state is immutable (label, versions, flags), which a copy
    can share; the rest (its values) is deep-copied as before, so the access costs half."""
    cls = type(self)
    state = {
        name: value if type(value) in _IMMUTABLE else deepcopy(value, memo)
        for name, value in object.__getattribute__(self, "__dict__").items()
    }
    copied = cls.__new__(cls)
    object.__getattribute__(copied, "__dict__").update(state)
    return copied


def _group(label: str, name: str, doc: str, params: dict[str, Any], **kw: Any) -> Any:
    """A parameter group class built from ``params`` (``type`` calls ``__set_name__``), as
    the ``@knext.parameter_group`` class statement would build it."""
    attrs = {
        "__doc__": doc,
        "__module__": __name__,
        "__init__": _plain_init,
        "__deepcopy__": copy_values_only,
        **params,
    }
    cls = type(name, (), attrs)
    return knext.parameter_group(label, since_version=SINCE_VERSION, **kw)(cls)


def _query_parameter(query: QueryParameter) -> Any:
    label = QUERY_LABELS.get(query.setting, query.setting)
    if query.setting == "include":
        return knext.EnumSetParameter(
            label, query.description, [], IncludeOptions, since_version=SINCE_VERSION
        )
    if query.setting == "order":
        return knext.EnumParameter(
            label,
            query.description,
            OrderOptions.DESC.name,
            OrderOptions,
            since_version=SINCE_VERSION,
        )
    if query.kind is QueryKind.INTEGER:
        minimum, maximum = query.minimum or LIST_LIMIT_MIN, query.maximum or LIST_LIMIT_MAX
        param = knext.IntParameter(
            label,
            query.description,
            int(query.default or minimum),
            min_value=minimum,
            max_value=maximum,
            since_version=SINCE_VERSION,
        )
        param.validator(in_range(label, minimum, maximum))
        return param
    return knext.StringParameter(
        label, query.description + " Empty: not sent.", "", since_version=SINCE_VERSION
    )


def _request_group(operation: Operation) -> Any:
    params: dict[str, Any] = {}
    for name in operation.path_parameters:
        label = path_id_label(name)
        params[name] = knext.StringParameter(
            label,
            f"The {label} ({code(name)}) of the request path, e.g. "
            f"{code(name.removesuffix('_id') + '_abc123')}.",
            "",
            since_version=SINCE_VERSION,
        )
    for query in operation.query_parameters:
        params[query.setting] = _query_parameter(query)
    if operation.has_body:
        params["body"] = knext.MultilineStringParameter(
            "Body",
            f"The JSON request body, checked against the {operation.node_name} schema of the "
            "Assistants API v2 before anything is sent; every problem is listed with its JSON "
            "path.",
            DEFAULT_BODIES.get(operation.operation_id, "{}"),
            number_of_lines=12,
            since_version=SINCE_VERSION,
        )
    return _group(
        "Request",
        "RequestSettings",
        "What is sent: the IDs in the path, the query and the JSON body.",
        params,
    )()


def result_group(
    operation: Operation, options: type[knext.EnumParameterOptions] | None = None
) -> Any:
    """The Result section; ``options``: the result formats with a node's own texts."""
    options = options or result_format_options(operation)
    params: dict[str, Any] = {
        "result_format": knext.EnumParameter(
            "Result Format",
            "How the response is mapped to the output table.",
            ResultFormat.RAW.name,
            options,
            since_version=SINCE_VERSION,
        ),
        "include_headers": knext.BoolParameter(
            "Add response headers as columns",
            "Adds x-request-id, openai-processing-ms and the x-ratelimit-* headers as string "
            "columns.",
            False,
            is_advanced=True,
            since_version=SINCE_VERSION,
        ),
    }
    if operation.pages:  # a list with cursors (a search answers one page)
        all_pages = knext.BoolParameter(
            "Fetch all pages",
            "Follow the list while the API says it has more (`has_more`, asking for the "
            "next page `after` the last item), up to the maximum number of items.",
            False,
            since_version=SINCE_VERSION,
        )
        max_items = knext.IntParameter(
            "Maximum items",
            "With all pages: stop after this many items.",
            1000,
            min_value=1,
            max_value=MAX_ITEMS_LIMIT,
            since_version=SINCE_VERSION,
        ).rule(knext.OneOf(all_pages, [True]), knext.Effect.SHOW)
        max_items.validator(in_range("Maximum items", 1, MAX_ITEMS_LIMIT))
        params |= {"all_pages": all_pages, "max_items": max_items}
    return _group("Result", "ResultSettings", "How the answer becomes the output table.", params)()


def errors_group(options: type[knext.EnumParameterOptions] = ErrorHandlingOptions) -> Any:
    params = {
        "error_handling": knext.EnumParameter(
            "If the API answers with an error",
            "Fail the node (default), or output the error response as the result row.",
            options.FAIL.name,
            options,
            since_version=SINCE_VERSION,
        )
    }
    return _group(
        "Error handling",
        "ErrorSettings",
        "What an error answer of the API does to the node.",
        params,
    )()


def waiting_group(output: str = "output the final run.") -> Any:
    """The Waiting section; ``output`` ends the description of its switch."""
    wait = knext.BoolParameter(
        "Wait until the run ends",
        "Poll the run until it is completed, failed, cancelled, expired or incomplete (or "
        f"requires action) and {output}",
        False,
        since_version=SINCE_VERSION,
    )
    shown = (knext.OneOf(wait, [True]), knext.Effect.SHOW)
    poll_interval = knext.DoubleParameter(
        "Poll interval (seconds)",
        "Time between two status checks while waiting for the run.",
        1.0,
        min_value=0.1,
        is_advanced=True,
        since_version=SINCE_VERSION,
    ).rule(*shown)
    max_wait = knext.DoubleParameter(
        "Maximum wait (seconds)",
        "How long to wait for the run to end before failing (the run goes on on the server).",
        600.0,
        min_value=1.0,
        is_advanced=True,
        since_version=SINCE_VERSION,
    ).rule(*shown)
    poll_interval.validator(in_range("Poll interval (seconds)", 0.1))
    max_wait.validator(in_range("Maximum wait (seconds)", 1.0))
    cancel = knext.BoolParameter(
        "Cancel the run when the node is cancelled",
        "When you cancel the node while it waits, also cancel the run on the server.",
        False,
        is_advanced=True,
        since_version=SINCE_VERSION,
    ).rule(*shown)
    params = {
        "wait_for_completion": wait,
        "poll_interval": poll_interval,
        "max_wait": max_wait,
        "cancel_run_on_cancel": cancel,
    }
    return _group(
        "Waiting", "WaitSettings", "Whether to wait for the run to end, and how.", params
    )()


def _column(label: str, description: str) -> Any:
    return knext.ColumnParameter(
        label,
        description,
        port_index=1,
        column_filter=is_string_column,
        include_none_column=True,
        since_version=SINCE_VERSION,
    )


def _input_table_group(operation: Operation) -> Any:
    params: dict[str, Any] = {}
    for name in operation.path_parameters:
        label = path_id_label(name)
        params[f"{name}_column"] = _column(
            f"{label} column",
            f"The string column holding each row's {label} (None: the dialog's {label} for "
            "every row; a missing cell also falls back to it).",
        )
    if operation.has_body:
        params["body_column"] = _column(
            "Body column",
            "The string column holding each row's JSON body (None: the dialog's body for every "
            "row; a missing cell also falls back to it).",
        )
    if operation.operation_id == "submitToolOuputsToRun":
        params["tool_call_id_column"] = _column(
            "Tool call ID column",
            "The string column with the ID of the tool call each row answers (None: a column "
            "named `tool_call_id`). With it, the rows of one run become one request whose "
            "`tool_outputs` are the rows' (`tool_call_id`, `output`) pairs, in row order.",
        )
        params["output_column"] = _column(
            "Output column",
            "The string column with each row's tool output (None: a column named `output`).",
        )
    concurrency = knext.IntParameter(
        "Concurrent requests",
        "How many requests are sent at the same time. A rate limit (429) pauses all of them.",
        4,
        min_value=1,
        max_value=MAX_CONCURRENCY,
        is_advanced=True,
        since_version=SINCE_VERSION,
    )
    concurrency.validator(in_range("Concurrent requests", 1, MAX_CONCURRENCY))
    params["concurrency"] = concurrency
    doc = "With the optional input table: where each row's values come from."
    holder = _group("Input table", "InputTableSettings", doc, params)()
    return holder.rule(knext.DialogContextCondition(input_table_connected), knext.Effect.SHOW)


def advanced_group() -> Any:
    params = {
        "allow_unknown_fields": knext.BoolParameter(
            "Allow unknown fields",
            "Send body fields that the schema does not define (e.g. fields newer than this "
            "node) as written, with a warning, instead of failing.",
            False,
            is_advanced=True,
            since_version=SINCE_VERSION,
        )
    }
    return _group(
        "Advanced", "AdvancedSettings", "Rarely needed request options.", params, is_advanced=True
    )()


def parameter_groups(operation: Operation) -> dict[str, Any]:
    """The dialog sections of a node for ``operation``, by settings key."""
    groups = {
        "request": _request_group(operation),
        "result": result_group(operation),
        "errors": errors_group(),
    }
    if engine.can_wait(operation):
        groups["waiting"] = waiting_group()
    groups["input_table"] = _input_table_group(operation)
    if operation.has_body:
        groups["advanced"] = advanced_group()
    return groups


def description(operation: Operation, details: str) -> str:
    """The node description: the reference's summary, the request line, the node's details,
    and what each result format outputs."""
    lines = [
        operation.summary,
        "",
        f"`{operation.method} {operation.path}` of the OpenAI Assistants API (v2). Every call "
        "sends the beta header `OpenAI-Beta: assistants=v2` (set in the OpenAI Configuration "
        "node).",
    ]
    if details.strip():
        lines += ["", details.strip()]
    from_columns = [code(name) for name in operation.path_parameters]
    from_columns += ["the body"] if operation.has_body else []
    table = "With the optional input table, one request is sent per row (RowIDs and order kept)"
    if from_columns:
        table += (
            f"; {', '.join(from_columns[:-1])}{' and ' if len(from_columns) > 1 else ''}"
            f"{from_columns[-1]} can each come from a string column, a missing cell falling back "
            "to the dialog."
        )
    lines += ["", table + ("" if from_columns else ".")]
    for query in operation.query_parameters:
        lines += ["", f"**{code(query.name)}**: {query.description}"]
    return "\n".join(lines)


class OperationNode:
    """configure() and execute() of every Assistants API node; see :func:`operation_node`."""

    operation: ClassVar[Operation]
    # the settings key of the optional input table's section (Create Run's is "runs_table")
    table_group: ClassVar[str] = "input_table"

    def _table_settings(self) -> Any:
        return getattr(self, self.table_group)

    def progress_message(self, count: int) -> str:
        """What the progress bar says when execution starts."""
        return f"{self.operation.node_name}: {count} request(s)"

    # --- the dialog as the engine's plain data -------------------------------------------

    def call_settings(self) -> engine.CallSettings:
        op = self.operation
        request = self.request
        query: dict[str, object] = {}
        for q in op.query_parameters:
            value = getattr(request, q.setting)
            if q.setting == "include":
                query["include"] = tuple(_INCLUDE_VALUES[name] for name in value)
            elif q.setting == "order":
                query["order"] = str(value).lower()
            elif q.kind is QueryKind.INTEGER:
                query[q.setting] = int(value)
            else:
                query[q.setting] = str(value).strip()
        return engine.CallSettings(
            path_values={name: str(getattr(request, name)).strip() for name in op.path_parameters},
            query_values=query,
            body=str(request.body) if op.has_body else None,
            allow_unknown_fields=bool(self.advanced.allow_unknown_fields) if op.has_body else False,
        )

    def call_options(self, with_table: bool = True) -> engine.OperationOptions:
        """The dialog's options. KNIME deep-copies a section on every attribute access of the
        node, so each section is read once, and the input table's only when one is connected
        (its concurrency is hidden and unused otherwise)."""
        result = self.result
        wait = None
        if engine.can_wait(self.operation):
            waiting = self.waiting
            if waiting.wait_for_completion:
                wait = WaitOptions(
                    poll_interval=float(waiting.poll_interval),
                    max_wait=float(waiting.max_wait),
                    cancel_run_on_abort=bool(waiting.cancel_run_on_cancel),
                )
        extra: dict[str, Any] = {}
        if self.operation.pages:
            extra = {"all_pages": bool(result.all_pages), "max_items": int(result.max_items)}
        if with_table:
            extra["concurrency"] = int(self._table_settings().concurrency)
        return engine.OperationOptions(
            on_error=engine.ErrorHandling[self.errors.error_handling],
            result_format=ResultFormat[result.result_format],
            include_headers=bool(result.include_headers),
            wait=wait,
            **extra,
        )

    def column_choices(self, schema: knext.Schema) -> dict[str, str]:
        """settings key (path parameter name or "body") -> the chosen input column."""
        keys = [*self.operation.path_parameters, *(["body"] if self.operation.has_body else [])]
        table = self._table_settings()
        found = {}
        for key in keys:
            column = chosen(getattr(table, f"{key}_column"))
            if column:
                check_string_column(schema, column, f"{key}_column")
                found[key] = column
        return found

    def tool_output_columns(self, schema: knext.Schema) -> tuple[str, str] | None:
        """Submit Tool Outputs: the (tool_call_id, output) columns when the table has them."""
        if self.operation.operation_id != "submitToolOuputsToRun":
            return None
        call = chosen(self.input_table.tool_call_id_column)
        output = chosen(self.input_table.output_column)
        if not call and "tool_call_id" in schema.column_names:
            call = "tool_call_id"
        if not output and "output" in schema.column_names:
            output = "output"
        if not call:
            return None
        if not output:
            raise InvalidSettingsError(
                "The input table has tool call IDs but no output column: choose the Output "
                "column (or name a column 'output').",
                setting="output_column",
            )
        check_string_column(schema, call, "tool_call_id_column")
        check_string_column(schema, output, "output_column")
        return call, output

    # --- KNIME's calls ---------------------------------------------------------------------

    def configure(
        self,
        config_context: knext.ConfigurationContext,
        spec: OpenAIConfigurationSpec,
        table_schema: knext.Schema | None = None,
    ) -> tuple[knext.Schema, OpenAIConfigurationSpec]:
        with settings_errors_as_invalid_parameters():
            options = self.call_options(with_table=table_schema is not None)
            settings = self.call_settings()
            from_columns: list[str] = []
            if table_schema is not None:
                from_columns = list(self.column_choices(table_schema))
                if self.tool_output_columns(table_schema) is not None:
                    settings = _with_table_tool_outputs(settings)
            warnings = engine.check_call(
                self.operation,
                settings,
                spec.connection,
                options,
                from_columns=from_columns,
            )
        report_warnings(config_context.set_warning, warnings)
        columns = engine.output_columns(
            self.operation, options.result_format, options.include_headers
        )
        return knime_schema(columns), spec

    def execute(
        self,
        exec_context: knext.ExecutionContext,
        configuration: OpenAIConfigurationPortObject,
        table: knext.Table | None = None,
    ) -> tuple[knext.Table, OpenAIConfigurationPortObject]:
        settings = self.call_settings()
        inputs = (
            [engine.CallInput("Row0", settings)]
            if table is None
            else self._inputs_from_table(table, settings)
        )
        exec_context.set_progress(0.0, self.progress_message(len(inputs)))
        from openai_assistants.client.client import ApiClient  # what only execution needs

        connection = configuration.spec.connection
        client = ApiClient.connect(
            connection,
            key_lookup(exec_context, connection),
            is_canceled=exec_context.is_canceled,
        )
        outcome = engine.execute_operation(
            self.operation,
            inputs,
            client,
            options=self.call_options(with_table=table is not None),
            progress=exec_context.set_progress,
        )
        report_warnings(exec_context.set_warning, outcome.warnings)
        return knime_table(outcome), configuration

    def _inputs_from_table(
        self, table: knext.Table, settings: engine.CallSettings
    ) -> list[engine.CallInput]:
        frame = table.to_pandas()
        row_ids = [str(row_id) for row_id in frame.index]
        schema = table.schema
        columns = {key: _cells(frame[name]) for key, name in self.column_choices(schema).items()}
        tool_columns = self.tool_output_columns(schema)
        if tool_columns is None:
            return engine.inputs_from_rows(row_ids, settings, columns)
        call, output = tool_columns
        return engine.tool_output_inputs(
            row_ids,
            settings,
            _cells(frame[call]),
            _cells(frame[output]),
            thread_ids=columns.get("thread_id"),
            run_ids=columns.get("run_id"),
        )


_INCLUDE_VALUES = {"FILE_SEARCH_RESULT_CONTENT": INCLUDE_FILE_SEARCH_CONTENT}


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


def _cells(series: Any) -> list[str | None]:
    """A column's cells as text, missing cells (None, NaN, pandas' NA) as None."""
    import pandas as pd  # loaded by KNIME's table anyway; not needed to list the nodes

    return [
        value if isinstance(value, str) else None if pd.isna(value) else str(value)
        for value in series
    ]


# KNIME writes an output table in batches of about this size (its ColumnarWriteCursor's)
KNIME_BATCH_BYTES = 1 << 26


def knime_table(outcome: engine.OperationOutcome) -> knext.Table:
    """The engine's result as KNIME's output table, without a pandas round trip: the engine
    built it as Arrow with the declared types (first column ``<RowID>``).

    Up to KNIME's batch size it goes as one record batch: KNIME's Arrow backend takes a
    record batch as it is (since 5.8 at least) and wraps its columns for half of what a
    table's chunked columns cost (about 50 µs of the ~1 ms of a single call). A larger
    result goes as a table, which KNIME cuts into its batches, and so does an empty one
    (KNIME writes an empty table's schema its own way)."""
    batch = outcome.batch
    if batch.num_rows and batch.get_total_buffer_size() <= KNIME_BATCH_BYTES:
        return knext.Table.from_pyarrow(batch)
    return knext.Table.from_pyarrow(outcome.table)


def key_lookup(
    exec_context: knext.ExecutionContext, connection: ConnectionConfig
) -> Callable[[str], str | None]:
    """KNIME's lookup for the key source the configuration names (called at send time)."""
    if connection.source is KeySource.CREDENTIAL_PORT:
        # KNIME resolves its credential handle through the running session (Java side)
        return lambda reference: knext.CredentialPortObjectSpec(reference).auth_parameters
    return lambda name: exec_context.get_credentials(name).password


def check_string_column(schema: knext.Schema, column: str, setting: str) -> None:
    if column not in schema.column_names:
        raise InvalidSettingsError(
            f"The input table has no column '{column}'. Choose another column.", setting=setting
        )
    if schema[column].ktype != knext.string():
        raise InvalidSettingsError(f"The column '{column}' must hold strings.", setting=setting)


def operation_node(
    operation_id: str,
    icon: str,
    keywords: Sequence[str] = (),
) -> Callable[[type], type]:
    """Make ``cls`` (a subclass of :class:`OperationNode` whose docstring holds the node's
    own details) the KNIME node for the operation: dialog sections, ports, name, category."""

    def register(cls: type) -> type:
        operation = by_id(operation_id)
        attrs = {
            "__doc__": description(operation, cls.__doc__ or ""),
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
            "operation": operation,
            **parameter_groups(operation),
        }
        node_cls: Any = type(cls.__name__, (cls,), attrs)
        return api_node(
            operation.node_name,
            icon,
            dict.fromkeys(["OpenAI", "Assistants", operation.group, "REST", *keywords]),
            "Input table",
            "Optional: one request per row. Path parameters and body come from the chosen "
            "columns; a missing cell falls back to the dialog's value.",
        )(node_cls)

    return register


def api_node(
    name: str,
    icon: str,
    keywords: Iterable[str],
    table_label: str,
    table_description: str,
) -> Callable[[type], type]:
    """What makes a class one of the Assistants API nodes in KNIME: its name, icon and
    category, the configuration port in and out (passed through for chaining), the optional
    input table and the result table."""

    def decorate(cls: Any) -> Any:
        cls = knext.output_port(
            "Configuration data",
            "Configuration data (this is the same as the input port; it is provided as "
            "passthrough for sequentially chaining nodes to declutter your workflow "
            "connections).",
            openai_configuration_port_type,
        )(cls)
        cls = knext.output_table(
            "Result", "Result of the request depending on the selected Result Format."
        )(cls)
        cls = knext.input_table(table_label, table_description, optional=True)(cls)
        cls = knext.input_port(
            "Configuration data",
            "The OpenAI configuration (from the OpenAI Configuration node or a previous API node).",
            openai_configuration_port_type,
        )(cls)
        return knext.node(
            name=name,
            node_type=knext.NodeType.MANIPULATOR,
            icon_path=icon,
            category=openai_assistants_category,
            keywords=list(keywords),
        )(cls)

    return decorate
