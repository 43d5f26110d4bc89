"""The choice lists of the API nodes' dialogs: result formats, error handling, include, order.

Each option's name is the name of the core's matching enum member (``ResultFormat``,
``ErrorHandling``), so execute() maps a saved choice back by name; the labels and texts are
what KNIME shows in the dialog and the node description.
"""

from __future__ import annotations

import knime.extension as knext

from openai_assistants.operations import INCLUDE_FILE_SEARCH_CONTENT, Operation
from openai_assistants.operations.choices import (
    EVENTS,
    RAW,
    STRUCTURED,
    result_format_names,
)
from openai_assistants.operations.model import ResultKind

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
    """The two answers to an API error (names = the engine's ErrorHandling), with the text
    that says where an output error goes (Create Run's dialog keeps its own wording)."""
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


# an Include[] option's name -> the value sent
INCLUDE_VALUES = {IncludeOptions.FILE_SEARCH_RESULT_CONTENT.name: INCLUDE_FILE_SEARCH_CONTENT}


class OrderOptions(knext.EnumParameterOptions):
    DESC = ("Descending", "Newest first (`order=desc`, the API's default).")
    ASC = ("Ascending", "Oldest first (`order=asc`).")


def result_format_options(
    operation: Operation,
    described: dict[str, tuple[str, str]] | None = None,
) -> type[knext.EnumParameterOptions]:
    """The result formats this operation supports, as dialog options (names = ResultFormat's);
    ``described`` replaces the generated (label, description) texts (Create Run keeps its own)."""
    texts = described or _described_formats(operation)
    members = [(name, texts[name]) for name in result_format_names(operation)]
    return knext.EnumParameterOptions(  # type: ignore[call-arg]
        "ResultFormatOptions", members, module=__name__
    )


def _described_formats(operation: Operation) -> dict[str, tuple[str, str]]:
    what = _KIND_WORDS[operation.result_kind]
    rows = "one row per item of the list" if operation.returns_list else "one row"
    return {
        RAW: (
            "Raw Response",
            "The columns body (the response body exactly as received) and status (the HTTP "
            "status code)" + (": one row per page fetched." if operation.returns_list else "."),
        ),
        STRUCTURED: (
            "Structured",
            f"A typed column per field of the {what} object ({rows}; timestamps as UTC "
            "date-times, nested objects as JSON text"
            + (", a message's text parts joined in the text column" if what == "message" else "")
            + "), the HTTP status (http_status) and the error message of a failed request "
            "(error).",
        ),
        EVENTS: (
            "Events",
            'One row per server-sent event (event, data); for bodies with "stream": true.',
        ),
    }
