"""The Create Run node: ``POST /threads/{thread_id}/runs`` from a KNIME workflow."""

from __future__ import annotations

import knime.extension as knext

from openai_assistants.operations import by_id
from openai_assistants.operations.model import INCLUDE_FILE_SEARCH_CONTENT
from openai_assistants.operations.runs import CREATE_RUN_DEFAULT_BODY as DEFAULT_BODY
from openai_assistants.tables.results import ResultFormat

from .errors import in_range
from .operation_node import (
    MAX_CONCURRENCY,
    IncludeOptions,
    OperationNode,
    advanced_group,
    api_node,
    code,
    copy_values_only,
    error_handling_options,
    errors_group,
    input_table_connected,
    is_string_column,
    result_format_options,
    result_group,
    waiting_group,
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

    __deepcopy__ = copy_values_only

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


@knext.parameter_group("Runs table", since_version=_GROUPED_SINCE)
class RunsTableSettings:
    """With the optional Runs table: where each row's thread and body come from, and how
    many runs are created at once."""

    __deepcopy__ = copy_values_only

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


@api_node(
    "Create Run",
    "icons/create-run.png",
    ["OpenAI", "Assistants", "run", "thread", "REST"],
    "Runs",
    "Optional: one run per row. Thread ID and/or body come from the chosen columns; a missing "
    "cell falls back to the dialog's value.",
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
    result = result_group(CREATE_RUN, ResultFormatOptions)
    errors = errors_group(ErrorHandlingOptions)
    waiting = waiting_group("output the final run instead of the just-created one.")
    runs_table = RunsTableSettings().rule(
        knext.DialogContextCondition(input_table_connected), knext.Effect.SHOW
    )
    advanced = advanced_group()

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
