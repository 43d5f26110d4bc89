"""An API node's description, as KNIME shows it in the node description panel.

KNIME takes the first line of the node's docstring as the short description and renders the
rest as Markdown, after removing the common indentation (PEP 257). A line indented deeper
than the rest starts a code block there, so the node's own details (a class docstring, whose
continuation lines are indented) are dedented before they are joined to the generated text;
``tests/test_knime_descriptions.py`` renders every node's description the way KNIME does.
"""

from __future__ import annotations

import inspect

from openai_assistants.operations import Operation

from .options import code

_TABLE = "With the optional input table, one request is sent per row (RowIDs and order kept)."
_FALLBACK = "a missing cell falls back to the dialog's value."


def description(operation: Operation, details: str) -> str:
    """The node description: the reference's summary, the request line, the node's details,
    where each row's values can come from, and the query parameters."""
    paragraphs = [
        operation.summary,
        f"`{operation.method} {operation.path}` of the OpenAI Assistants API (v2). Every call "
        "sends the beta header `OpenAI-Beta: assistants=v2` (set in the OpenAI Configuration "
        "node).",
    ]
    if details.strip():
        paragraphs.append(inspect.cleandoc(details))
    paragraphs.append(_table_paragraph(operation))
    for query in operation.query_parameters:
        paragraphs.append(f"**{code(query.name)}**: {query.description}")
    return "\n\n".join(paragraphs)


def _table_paragraph(operation: Operation) -> str:
    ids = [code(name) for name in operation.path_parameters]
    body = "a string or JSON column"
    if not ids:
        if not operation.has_body:
            return _TABLE
        return f"{_TABLE} Each row's body can come from {body}; {_FALLBACK}"
    named = " and ".join([", ".join(ids[:-1]), ids[-1]] if len(ids) > 1 else ids)
    columns = "string columns" if len(ids) > 1 else "a string column"
    also = f", and its body from {body}" if operation.has_body else ""
    return f"{_TABLE} Each row's {named} can come from {columns}{also}; {_FALLBACK}"
