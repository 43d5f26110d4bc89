"""The dialog sections of an API node, built from the operation's data.

A path parameter or query parameter becomes a setting under its API name, a body a ``body``
setting, a list a *Fetch all pages* option, a run a *Waiting* section, and the optional input
table a section choosing the columns each row's values come from. Settings keys are the
attribute names: flow variables address them and saved workflows store them, so none is ever
renamed; every parameter carries the version that introduced it.

Only the operation data and KNIME's parameter classes are used here: building the dialog is
part of listing the nodes, which must not load the engine.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

import knime.extension as knext

from openai_assistants.operations import Operation, QueryKind, QueryParameter
from openai_assistants.operations.choices import (
    MAX_CONCURRENCY,
    MAX_ITEMS_LIMIT,
    QUERY_LABELS,
    RAW,
    can_wait,
    path_id_label,
)
from openai_assistants.operations.model import LIST_LIMIT_MAX, LIST_LIMIT_MIN

from ..errors import in_range
from .options import (
    ErrorHandlingOptions,
    IncludeOptions,
    OrderOptions,
    code,
    result_format_options,
)
from .table_input import holds_json_text, input_table_connected, is_string_column

# The extension version that introduced these nodes: every parameter carries it, so settings
# saved before a parameter existed load with its default.
SINCE_VERSION = "0.2.0"

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
    # files and vector stores (nodes/files.py, nodes/vector_stores.py)
    "createFile": "{}",  # file and purpose have settings of their own
    "createVectorStore": '{\n  "name": "My documents",\n  "file_ids": []\n}',
    "modifyVectorStore": '{\n  "name": "My documents"\n}',
    "searchVectorStore": '{\n  "max_num_results": 10\n}',  # the query has its own setting
    "createVectorStoreFile": "{}",  # the file_id has a setting of its own
    "updateVectorStoreFileAttributes": '{\n  "attributes": {}\n}',
    "createVectorStoreFileBatch": '{\n  "file_ids": [""]\n}',
}


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
            RAW,
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


def wait_parameters(label: str, text: str, poll_text: str, max_wait_text: str) -> dict[str, Any]:
    """The switch, poll interval and maximum wait of a Waiting section (a run's, or the
    processing of vector-store files): the same keys, defaults and bounds, their own texts.
    The interval and maximum wait show only when the switch is on."""
    wait = knext.BoolParameter(label, text, False, since_version=SINCE_VERSION)
    shown = (knext.OneOf(wait, [True]), knext.Effect.SHOW)
    poll_interval = knext.DoubleParameter(
        "Poll interval (seconds)",
        poll_text,
        1.0,
        min_value=0.1,
        is_advanced=True,
        since_version=SINCE_VERSION,
    ).rule(*shown)
    max_wait = knext.DoubleParameter(
        "Maximum wait (seconds)",
        max_wait_text,
        600.0,
        min_value=1.0,
        is_advanced=True,
        since_version=SINCE_VERSION,
    ).rule(*shown)
    poll_interval.validator(in_range("Poll interval (seconds)", 0.1))
    max_wait.validator(in_range("Maximum wait (seconds)", 1.0))
    return {"wait_for_completion": wait, "poll_interval": poll_interval, "max_wait": max_wait}


def waiting_group(output: str = "output the final run.") -> Any:
    """The Waiting section; ``output`` ends the description of its switch."""
    params = wait_parameters(
        "Wait until the run ends",
        "Poll the run until it is completed, failed, cancelled, expired or incomplete (or "
        f"requires action) and {output}",
        "Time between two status checks while waiting for the run.",
        "How long to wait for the run to end before failing (the run goes on on the server).",
    )
    shown = (knext.OneOf(params["wait_for_completion"], [True]), knext.Effect.SHOW)
    cancel = knext.BoolParameter(
        "Cancel the run when the node is cancelled",
        "When you cancel the node while it waits, also cancel the run on the server.",
        False,
        is_advanced=True,
        since_version=SINCE_VERSION,
    ).rule(*shown)
    params["cancel_run_on_cancel"] = cancel
    return _group(
        "Waiting", "WaitSettings", "Whether to wait for the run to end, and how.", params
    )()


def _column(label: str, description: str, json_too: bool = False) -> Any:
    """An input-table column setting: string columns, and JSON columns too where the value
    is JSON text (a body, a tool output)."""
    return knext.ColumnParameter(
        label,
        description,
        port_index=1,
        column_filter=holds_json_text if json_too else is_string_column,
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
            "The string or JSON column holding each row's JSON body (None: the dialog's body "
            "for every row). A row whose cell is missing is not sent; its output row holds "
            'missing values and the error "missing body".',
            json_too=True,
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
            "The string or JSON column with each row's tool output (None: a column named "
            "`output`).",
            json_too=True,
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
    if can_wait(operation):
        groups["waiting"] = waiting_group()
    groups["input_table"] = _input_table_group(operation)
    if operation.has_body:
        groups["advanced"] = advanced_group()
    return groups
