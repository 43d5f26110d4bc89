"""The Create Run node: ``POST /threads/{thread_id}/runs`` from a KNIME workflow.

The family's first node: its dialog texts, its "Runs" input table and its section keys date
from 0.1.0 and stay as they were (saved workflows and flow variables address them); its
configure() and execute() are every API node's (:class:`api_node.OperationNode`).
"""

from __future__ import annotations

import knime.extension as knext

from openai_assistants.operations import INCLUDE_FILE_SEARCH_CONTENT, by_id
from openai_assistants.operations.choices import (
    CREATE_RUN_DEFAULT_BODY,
    EVENTS,
    MAX_CONCURRENCY,
    RAW,
    STRUCTURED,
)

from ..api_node import OperationNode, api_node
from ..api_node.options import (
    IncludeOptions,
    code,
    error_handling_options,
    result_format_options,
)
from ..api_node.sections import (
    advanced_group,
    copy_values_only,
    errors_group,
    result_group,
    waiting_group,
)
from ..api_node.table_input import holds_json_text, input_table_connected, is_string_column
from ..errors import in_range
from ..migrations import CREATE_RUN_SECTIONS, create_run_sections

CREATE_RUN = by_id("createRun")

# The family's option classes, with Create Run's own texts (its dialog since 0.1.0)
ResultFormatOptions = result_format_options(
    CREATE_RUN,
    {
        RAW: (
            "Raw Response",
            "One row with the columns body (the response body exactly as received) and status "
            "(the HTTP status code).",
        ),
        STRUCTURED: (
            "Structured",
            "One row with a typed column per field of the run object (id, status, model, the "
            "timestamps as UTC date-times, token usage, ...; nested objects as JSON text), the "
            "HTTP status (http_status) and the error message of a failed request (error).",
        ),
        EVENTS: (
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
        CREATE_RUN_DEFAULT_BODY,
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
        "With an input table: the string or JSON column holding each row's JSON body (None: "
        "the dialog's body for every row).",
        port_index=1,
        column_filter=holds_json_text,
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


PARAMETER_GROUPS = CREATE_RUN_SECTIONS  # setting key -> its section (for tests and tools)


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

    **Runs table** (optional): one run per row (RowIDs and order kept). Each row's thread ID
    can come from a string column, and its body from a string or JSON column; a missing cell
    falls back to the dialog's value.
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
        """Settings saved by 0.1.0 were flat: see :mod:`openai_assistants_knime.migrations`."""
        return create_run_sections(parameters)

    def progress_message(self, count: int) -> str:
        return f"Creating {count} run(s)"
