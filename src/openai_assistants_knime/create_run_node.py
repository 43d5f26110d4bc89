"""The Create Run node: ``POST /threads/{thread_id}/runs`` from a KNIME workflow."""

from __future__ import annotations

import knime.extension as knext

from openai_assistants.create_run import DEFAULT_BODY, INCLUDE_FILE_SEARCH_CONTENT
from openai_assistants.operations import by_id
from openai_assistants.results import ResultFormat

from .category import openai_assistants_category
from .configuration_port import openai_configuration_port_type
from .errors import in_range
from .operation_node import (
    MAX_CONCURRENCY,
    IncludeOptions,
    OperationNode,
    code,
    error_handling_options,
    input_table_connected,
    is_string_column,
    result_format_options,
)

CREATE_RUN = by_id("createRun")

# The family's option classes, with Create Run's own texts (its dialog since 0.1.0)
ResultFormatOptions = result_format_options(
    CREATE_RUN,
    {
        ResultFormat.RAW: (
            "Raw Response",
            "One row with the columns body (the response body exactly as received) and status "
            "(the HTTP status code).",
        ),
        ResultFormat.STRUCTURED: (
            "Structured",
            "One row with a typed column per field of the run object (id, status, model, the "
            "timestamps as UTC date-times, token usage, ...; nested objects as JSON text), the "
            "HTTP status (http_status) and the error message of a failed request (error).",
        ),
        ResultFormat.EVENTS: (
            "Events",
            'One row per server-sent event (event, data); for bodies with "stream": true.',
        ),
    },
)
ErrorHandlingOptions = error_handling_options(
    "An error response becomes the output row (body and status) and the node shows a "
    "warning instead of failing."
)


_GROUPED_SINCE = "0.2.0"  # the sections were introduced with settings version 0.2.0


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
        column_filter=is_string_column,
        include_none_column=True,
    )
    body_column = knext.ColumnParameter(
        "Body column",
        "With an input table: the string column holding each row's JSON body (None: the "
        "dialog's body for every row).",
        port_index=1,
        column_filter=is_string_column,
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
class CreateRunNode(OperationNode):
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

    operation = CREATE_RUN
    table_group = "runs_table"  # its key since 0.1.0 (the family's is "input_table")

    request = RequestSettings()
    result = ResultSettings()
    errors = ErrorSettings()
    waiting = WaitSettings()
    runs_table = RunsTableSettings().rule(
        knext.DialogContextCondition(input_table_connected), knext.Effect.SHOW
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

    def progress_message(self, count: int) -> str:
        return f"Creating {count} run(s)"
