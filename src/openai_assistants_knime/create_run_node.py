"""The Create Run node: ``POST /threads/{thread_id}/runs`` from a KNIME workflow."""

from __future__ import annotations

from collections.abc import Callable

import knime.extension as knext

from openai_assistants.connection import ConnectionConfig, KeySource
from openai_assistants.create_run import (
    DEFAULT_BODY,
    INCLUDE_FILE_SEARCH_CONTENT,
    CreateRunSettings,
    check_format_fits_body,
    check_table_settings,
    prepare_create_run,
)
from openai_assistants.errors import InvalidSettingsError
from openai_assistants.execution import (
    MAX_CONCURRENCY,
    ErrorHandling,
    ExecutionOptions,
    RunInput,
)
from openai_assistants.results import ResultFormat, result_columns
from openai_assistants.run_polling import WaitOptions
from openai_assistants.table_input import runs_from_table

from .category import openai_assistants_category
from .configuration_port import (
    OpenAIConfigurationPortObject,
    OpenAIConfigurationSpec,
    openai_configuration_port_type,
)
from .errors import in_range, report_warnings, settings_errors_as_invalid_parameters
from .table_schema import knime_schema


def code(text: str) -> str:
    """Text as Markdown code: KNIME renders descriptions as Markdown, where ``[*]...[*]``
    would turn into italics and lose its asterisks."""
    return f"`{text}`"


class IncludeOptions(knext.EnumParameterOptions):
    FILE_SEARCH_RESULT_CONTENT = (
        "File search result content",
        "Fetch the content of file search results: "
        f"{code('include[]=' + INCLUDE_FILE_SEARCH_CONTENT)}.",
    )


_INCLUDE_VALUES = {"FILE_SEARCH_RESULT_CONTENT": INCLUDE_FILE_SEARCH_CONTENT}


class ResultFormatOptions(knext.EnumParameterOptions):
    RAW = (
        "Raw Response",
        "One row with the columns body (the response body exactly as received) and status "
        "(the HTTP status code).",
    )
    STRUCTURED = (
        "Structured",
        "One row with a typed column per field of the run object (id, status, model, the "
        "timestamps as UTC date-times, token usage, ...; nested objects as JSON text), the "
        "HTTP status (http_status) and the error message of a failed request (error).",
    )
    EVENTS = (
        "Events",
        'One row per server-sent event (event, data); for bodies with "stream": true.',
    )


_RESULT_FORMATS = {
    "RAW": ResultFormat.RAW,
    "STRUCTURED": ResultFormat.STRUCTURED,
    "EVENTS": ResultFormat.EVENTS,
}


class ErrorHandlingOptions(knext.EnumParameterOptions):
    FAIL = ("Fail the node", "An error response (HTTP 4xx/5xx) fails the node with its message.")
    OUTPUT = (
        "Output error responses",
        "An error response becomes the output row (body and status) and the node shows a "
        "warning instead of failing.",
    )


def _is_string_column(column: knext.Column) -> bool:
    return column.ktype == knext.string()


def _chosen(column: str | None) -> str:
    """A column parameter's value, with "no column" ("", None or "<none>") as ""."""
    return "" if column in (None, "", knext.ColumnParameter.NONE) else column


_GROUPED_SINCE = "0.2.0"  # the sections were introduced with settings version 0.2.0


def _runs_table_connected(context: knext.DialogCreationContext) -> bool:
    """Whether the optional Runs table is connected (when the dialog opens)."""
    specs = list(context.get_input_specs())
    return len(specs) > 1 and specs[1] is not None


@knext.parameter_group("Request", since_version=_GROUPED_SINCE)
class RequestSettings:
    """What is sent: the thread, extra response fields and the JSON body."""

    thread_id = knext.StringParameter(
        "Thread ID", "The ID of the thread to run, e.g. thread_abc123.", ""
    )
    include = knext.EnumSetParameter(
        "Include[]",
        "A list of additional fields to include in the response. Currently the only "
        f"supported value is {code(INCLUDE_FILE_SEARCH_CONTENT)} to fetch the file search "
        "result content.",
        [],
        IncludeOptions,
    )
    body = knext.MultilineStringParameter(
        "Body",
        "Request body: a JSON object that must comply with the Create Run JSON Schema "
        "(assistant_id is required).",
        DEFAULT_BODY,
        number_of_lines=12,
    )


@knext.parameter_group("Result", since_version=_GROUPED_SINCE)
class ResultSettings:
    """How the answer becomes the output table."""

    result_format = knext.EnumParameter(
        "Result Format",
        "How the response is mapped to the output table.",
        ResultFormatOptions.RAW.name,
        ResultFormatOptions,
    )
    include_headers = knext.BoolParameter(
        "Add response headers as columns",
        "Adds x-request-id, openai-processing-ms and the x-ratelimit-* headers as string columns.",
        False,
        is_advanced=True,
    )


@knext.parameter_group("Error handling", since_version=_GROUPED_SINCE)
class ErrorSettings:
    """What an error answer of the API does to the node."""

    error_handling = knext.EnumParameter(
        "If the API answers with an error",
        "Fail the node (default), or output the error response as the result row.",
        ErrorHandlingOptions.FAIL.name,
        ErrorHandlingOptions,
    )


@knext.parameter_group("Waiting", since_version=_GROUPED_SINCE)
class WaitSettings:
    """Whether to wait for the run to end, and how."""

    wait_for_completion = knext.BoolParameter(
        "Wait until the run ends",
        "Poll the run until it is completed, failed, cancelled, expired or incomplete (or "
        "requires action) and output the final run instead of the just-created one.",
        False,
    )
    poll_interval = knext.DoubleParameter(
        "Poll interval (seconds)",
        "Time between two status checks while waiting for the run.",
        1.0,
        min_value=0.1,
        is_advanced=True,
    ).rule(knext.OneOf(wait_for_completion, [True]), knext.Effect.SHOW)
    max_wait = knext.DoubleParameter(
        "Maximum wait (seconds)",
        "How long to wait for the run to end before failing (the run goes on on the server).",
        600.0,
        min_value=1.0,
        is_advanced=True,
    ).rule(knext.OneOf(wait_for_completion, [True]), knext.Effect.SHOW)
    cancel_run_on_cancel = knext.BoolParameter(
        "Cancel the run when the node is cancelled",
        "When you cancel the node while it waits, also cancel the run on the server.",
        False,
        is_advanced=True,
    ).rule(knext.OneOf(wait_for_completion, [True]), knext.Effect.SHOW)
    poll_interval.validator(in_range("Poll interval (seconds)", 0.1))
    max_wait.validator(in_range("Maximum wait (seconds)", 1.0))


@knext.parameter_group("Runs table", since_version=_GROUPED_SINCE)
class RunsTableSettings:
    """With the optional Runs table: where each row's thread and body come from, and how
    many runs are created at once."""

    thread_id_column = knext.ColumnParameter(
        "Thread ID column",
        "With an input table: the string column holding each row's thread ID (None: the "
        "dialog's Thread ID for every row).",
        port_index=1,
        column_filter=_is_string_column,
        include_none_column=True,
    )
    body_column = knext.ColumnParameter(
        "Body column",
        "With an input table: the string column holding each row's JSON body (None: the "
        "dialog's body for every row).",
        port_index=1,
        column_filter=_is_string_column,
        include_none_column=True,
    )
    concurrency = knext.IntParameter(
        "Concurrent requests",
        "With an input table: how many runs are created at the same time. A rate limit (429) "
        "pauses all of them.",
        4,
        min_value=1,
        max_value=MAX_CONCURRENCY,
        is_advanced=True,
    )
    concurrency.validator(in_range("Concurrent requests", 1, MAX_CONCURRENCY))


@knext.parameter_group("Advanced", since_version=_GROUPED_SINCE, is_advanced=True)
class AdvancedSettings:
    """Rarely needed request options."""

    allow_unknown_fields = knext.BoolParameter(
        "Allow unknown fields",
        "Send body fields that the schema does not define (e.g. fields newer than this "
        "node) as written, with a warning, instead of failing.",
        False,
        is_advanced=True,
    )


PARAMETER_GROUPS = {
    "thread_id": "request",
    "include": "request",
    "body": "request",
    "result_format": "result",
    "include_headers": "result",
    "error_handling": "errors",
    "wait_for_completion": "waiting",
    "poll_interval": "waiting",
    "max_wait": "waiting",
    "cancel_run_on_cancel": "waiting",
    "thread_id_column": "runs_table",
    "body_column": "runs_table",
    "concurrency": "runs_table",
    "allow_unknown_fields": "advanced",
}  # setting key -> its group (0.1.0 settings were flat)


@knext.node(
    name="Create Run",
    node_type=knext.NodeType.MANIPULATOR,
    icon_path="icons/create-run.png",
    category=openai_assistants_category,
    keywords=["OpenAI", "Assistants", "run", "thread", "REST"],
)
@knext.input_port(
    "Configuration data",
    "The OpenAI configuration (from the OpenAI Configuration node or a previous API node).",
    openai_configuration_port_type,
)
@knext.input_table(
    "Runs",
    "Optional: one run per row. Thread ID and/or body come from the chosen columns; a missing "
    "cell falls back to the dialog's value.",
    optional=True,
)
@knext.output_table(
    "Result",
    "Result of the request depending on the selected Result Format.",
)
@knext.output_port(
    "Configuration data",
    "Configuration data (this is the same as the input port; it is provided as passthrough "
    "for sequentially chaining nodes to declutter your workflow connections).",
    openai_configuration_port_type,
)
class CreateRunNode:
    """Create a run.

    Starts a run of an assistant on a thread: `POST /threads/{thread_id}/runs` of the OpenAI
    Assistants API (v2). Every call sends the beta HTTP header `OpenAI-Beta: assistants=v2`,
    which the Assistants API requires (set in the OpenAI Configuration node).

    **Thread ID**: the thread to run. A `thread_id` in the body is used when this is empty.

    **Include[]**: additional fields to include in the response. Currently the only supported
    value is `step_details.tool_calls[*].file_search.results[*].content`, to fetch the file
    search result content.

    **Body**: the request body, a JSON object that must comply with the Create Run schema:
    `assistant_id` (required), `model`, `reasoning_effort`, `instructions`,
    `additional_instructions`, `additional_messages`, `tools`, `metadata`, `temperature`,
    `top_p`, `stream`, `max_prompt_tokens`, `max_completion_tokens`, `truncation_strategy`,
    `tool_choice`, `parallel_tool_calls` and `response_format`. The body is checked before
    anything is sent; every problem is listed with its JSON path, e.g.
    `temperature: 5 is greater than the maximum of 2`. With `"stream": true` the response is
    an event stream, output as received up to `data: [DONE]`.

    **Result Format** *Raw Response*: one row with the columns `body` (the response body)
    and `status` (the HTTP status code).
    """

    request = RequestSettings()
    result = ResultSettings()
    errors = ErrorSettings()
    waiting = WaitSettings()
    runs_table = RunsTableSettings().rule(
        knext.DialogContextCondition(_runs_table_connected), knext.Effect.SHOW
    )
    advanced = AdvancedSettings()

    def _modify_parameters(self, parameters: dict) -> dict:
        """Settings saved by 0.1.0 were flat: move each into its group."""
        if not any(key in parameters for key in PARAMETER_GROUPS):
            return parameters
        grouped: dict = {
            key: value for key, value in parameters.items() if key not in PARAMETER_GROUPS
        }
        for key, group in PARAMETER_GROUPS.items():
            if key in parameters:
                grouped.setdefault(group, {})[key] = parameters[key]
        return grouped

    def settings(self) -> CreateRunSettings:
        """The dialog as the core's plain settings."""
        request = self.request  # KNIME copies a group on each access: once per group
        return CreateRunSettings(
            thread_id=request.thread_id,
            include=tuple(_INCLUDE_VALUES[name] for name in request.include),
            body=request.body,
            allow_unknown_fields=bool(self.advanced.allow_unknown_fields),
        )

    def options(self) -> ExecutionOptions:
        wait = None
        waiting, result = self.waiting, self.result  # each group accessed once (see settings)
        if waiting.wait_for_completion:
            wait = WaitOptions(
                poll_interval=float(waiting.poll_interval),
                max_wait=float(waiting.max_wait),
                cancel_run_on_abort=bool(waiting.cancel_run_on_cancel),
            )
        return ExecutionOptions(
            on_error=ErrorHandling[self.errors.error_handling],
            result_format=_RESULT_FORMATS[result.result_format],
            include_headers=bool(result.include_headers),
            wait=wait,
            concurrency=int(self.runs_table.concurrency),
        )

    def configure(
        self,
        config_context: knext.ConfigurationContext,
        spec: OpenAIConfigurationSpec,
        table_schema: knext.Schema | None = None,
    ) -> tuple[knext.Schema, OpenAIConfigurationSpec]:
        options = self.options()
        with settings_errors_as_invalid_parameters():
            if table_schema is None:
                warnings = prepare_create_run(self.settings(), spec.connection).warnings
            else:
                thread_column, body_column = (
                    _chosen(self.runs_table.thread_id_column),
                    _chosen(self.runs_table.body_column),
                )
                _check_string_column(table_schema, thread_column, "thread_id_column")
                _check_string_column(table_schema, body_column, "body_column")
                warnings = check_table_settings(
                    self.settings(),
                    spec.connection,
                    thread_from_column=bool(thread_column),
                    body_from_column=bool(body_column),
                )
            if table_schema is None or not _chosen(self.runs_table.body_column):
                check_format_fits_body(options.result_format, self.request.body)
        report_warnings(config_context.set_warning, warnings)
        columns = result_columns(options.result_format, options.include_headers)
        return knime_schema(columns), spec

    def execute(
        self,
        exec_context: knext.ExecutionContext,
        configuration: OpenAIConfigurationPortObject,
        table: knext.Table | None = None,
    ) -> tuple[knext.Table, OpenAIConfigurationPortObject]:
        from openai_assistants.execution import execute_create_runs

        settings = self.settings()
        if table is None:
            inputs = [RunInput("Row0", settings)]
        else:
            inputs = runs_from_table(
                table.to_pandas(),
                settings,
                _chosen(self.runs_table.thread_id_column),
                _chosen(self.runs_table.body_column),
            )
        exec_context.set_progress(0.0, f"Creating {len(inputs)} run(s)")
        outcome = execute_create_runs(
            inputs,
            configuration.spec.connection,
            options=self.options(),
            credential_password=_key_lookup(exec_context, configuration.spec.connection),
            is_canceled=exec_context.is_canceled,
            progress=exec_context.set_progress,
        )
        report_warnings(exec_context.set_warning, outcome.warnings)
        # The core built the table as Arrow with the declared types: KNIME takes it as is
        # (first column <RowID>), no pandas round trip.
        return knext.Table.from_pyarrow(outcome.table), configuration


def _key_lookup(
    exec_context: knext.ExecutionContext, connection: ConnectionConfig
) -> Callable[[str], str | None]:
    """KNIME's lookup for the key source the configuration names (called at send time)."""
    if connection.source is KeySource.CREDENTIAL_PORT:
        # KNIME resolves its credential handle through the running session (Java side)
        return lambda reference: knext.CredentialPortObjectSpec(reference).auth_parameters
    return lambda name: exec_context.get_credentials(name).password


def _check_string_column(schema: knext.Schema, column: str, setting: str) -> None:
    if not column:
        return
    if column not in schema.column_names:
        raise InvalidSettingsError(
            f"The input table has no column '{column}'. Choose another column.", setting=setting
        )
    if schema[column].ktype != knext.string():
        raise InvalidSettingsError(f"The column '{column}' must hold strings.", setting=setting)
