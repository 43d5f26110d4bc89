"""What the Files and Vector Stores nodes add to every Assistants API node.

They are operation nodes like the others (the dialog generated from the operation's data,
the same configure and execute, the same engine). Three things are theirs:

- body fields with a setting and a column of their own (``Operation.field_settings``):
  Upload File's local ``file`` and ``purpose``, Search Vector Store's ``query``, written into
  the body before it is checked (``engine.body_fields``);
- *Wait until processing ends* for Create Vector Store, Create Vector Store File and Create
  Vector Store File Batch (the engine polls the object while it is ``in_progress``);
- node descriptions that say which header is sent: the SDK sends ``OpenAI-Beta`` with the
  vector-store operations, none with the file operations.

As the rest of this package, listing these nodes uses the operation data only; their calls
into the engine go through :mod:`.engine_calls` when a node first runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import knime.extension as knext

from openai_assistants.operations import Operation, by_id

from .node import OperationNode, api_node, node_class
from .options import code
from .sections import SINCE_VERSION, copy_values_only, parameter_groups, wait_parameters
from .table_input import check_column, chosen, input_table_connected, is_string_column, read_columns

if TYPE_CHECKING:  # the engine loads when a node first runs, not when KNIME lists the nodes
    from .engine_calls import engine


def _engine_calls() -> Any:
    """The engine, loaded on first use (see :mod:`.engine_calls`)."""
    from . import engine_calls

    return engine_calls


# (label, description, default) of each field setting, by its API name
FIELD_TEXTS = {
    "file": (
        "Local file",
        "The path of the file to upload on this machine, e.g. `/data/handbook.pdf` or "
        "`C:\\data\\handbook.pdf`. Its bytes are streamed (never read whole into memory); its "
        "name is the uploaded file's `filename`.",
        "",
    ),
    "purpose": (
        "Purpose",
        "The `purpose` of the upload: `assistants` for files to search (vector stores, "
        "`file_search`), else `batch`, `fine-tune`, `vision`, `user_data` or `evals`.",
        "assistants",
    ),
    "file_id": (
        "File ID",
        "The ID of the uploaded file to add (the body's `file_id`), e.g. `file-abc123`; from a "
        "table, e.g. Upload File's `id` column. Empty: the body's `file_id`.",
        "",
    ),
    "query": (
        "Query",
        "The text to search for (the body's `query`). Empty: the body's `query`.",
        "",
    ),
}


def _plain_init(self: object) -> None:
    """Groups get a Python ``__init__`` (KNIME inspects its signature; see operation_node)."""


def _group(label: str, name: str, doc: str, params: dict[str, Any], **kw: Any) -> Any:
    attrs = {
        "__doc__": doc,
        "__module__": __name__,
        "__init__": _plain_init,
        "__deepcopy__": copy_values_only,
        **params,
    }
    return knext.parameter_group(label, since_version=SINCE_VERSION, **kw)(type(name, (), attrs))


def fields_group(operation: Operation) -> Any:
    """The settings of the body fields that have their own (``file``, ``purpose``, ``query``)."""
    params = {}
    for name in operation.field_settings:
        label, text, default = FIELD_TEXTS[name]
        params[name] = knext.StringParameter(label, text, default, since_version=SINCE_VERSION)
    doc = "What the request is about, without editing the JSON body."
    label = {"file": "File", "file_id": "File", "query": "Query"}[operation.field_settings[0]]
    return _group(label, "FieldSettings", doc, params)()


def field_columns_group(operation: Operation) -> Any:
    """With the input table: the column of each field setting (one value per row), or of a
    body list's items (a file batch's file IDs: one batch per vector store)."""
    params = {}
    if operation.row_list:
        field, setting = operation.row_list
        params[f"{setting}_column"] = knext.ColumnParameter(
            f"{FIELD_TEXTS[setting][0]} column",
            f"The string column of the IDs to add: the rows of one vector store become one "
            f"request whose `{field}` are the rows' IDs, in row order (the output row has the "
            "first row's RowID), e.g. Upload File's `id` column. None: the body's "
            f"`{field}`, one request per row.",
            port_index=1,
            column_filter=is_string_column,
            include_none_column=True,
            since_version=SINCE_VERSION,
        )
    for name in operation.field_settings:
        label = FIELD_TEXTS[name][0]
        params[f"{name}_column"] = knext.ColumnParameter(
            f"{label} column",
            f"The string column holding each row's {label.lower()} (None: the dialog's for "
            "every row; a missing cell also falls back to it).",
            port_index=1,
            column_filter=is_string_column,
            include_none_column=True,
            since_version=SINCE_VERSION,
        )
    doc = "With the optional input table: the column of each setting above."
    holder = _group("Columns", "FieldColumnSettings", doc, params)()
    return holder.rule(knext.DialogContextCondition(input_table_connected), knext.Effect.SHOW)


def processing_wait_group() -> Any:
    """The Waiting section of the three creating nodes (the keys of Create Run's)."""
    params = wait_parameters(
        "Wait until processing ends",
        "Read the created object again until its status is no longer `in_progress` "
        "(`completed`, `failed`, `cancelled`) and output it, as the SDK's `create_and_poll`.",
        "Time between two status checks while waiting.",
        "How long to wait before failing (processing goes on on the server).",
    )
    doc = "Whether to wait until the files are processed, and how."
    return _group("Waiting", "ProcessingWaitSettings", doc, params)()


def save_group() -> Any:
    """Get File Content's Save section: the folder to write each file's bytes into."""
    folder = knext.StringParameter(
        "Write files to folder",
        "A folder on this machine: each file's bytes are written to `<folder>/<file ID>` "
        "(an existing file of that name is replaced; the folder is created) and the path is "
        "added as the `saved_to` column. Empty: nothing is written.",
        "",
        since_version=SINCE_VERSION,
    )
    doc = "Where to write each file's bytes."
    return _group("Save", "SaveSettings", doc, {"folder": folder})()


def document_description(operation: Operation, details: str) -> str:
    """The node description: summary, request line and header, details, the input table."""
    header = (
        "It sends the beta header `OpenAI-Beta: assistants=v2`, as the official SDK does."
        if operation.beta_header
        else "As the official SDK, it sends no `OpenAI-Beta` header."
    )
    lines = [operation.summary, "", f"`{operation.method} {operation.path}` of the OpenAI API. "]
    lines[-1] += header
    if details.strip():
        lines += ["", inspect.cleandoc(details)]  # dedented: KNIME renders it as Markdown
    keys = [code(name) for name in (*operation.path_parameters, *operation.column_settings)]
    keys += ["the body"] if operation.has_body else []
    table = "With the optional input table, one request is sent per row (RowIDs and order kept)"
    if keys:
        table += (
            f"; {', '.join(keys[:-1])}{' and ' if len(keys) > 1 else ''}{keys[-1]} can each "
            "come from a string column, a missing cell falling back to the dialog."
        )
    lines += ["", table + ("" if keys else ".")]
    for query in operation.query_parameters:
        lines += ["", f"**{code(query.name)}**: {query.description}"]
    return "\n".join(lines)


def document_groups(operation: Operation) -> dict[str, Any]:
    """The generated sections, with the field sections after Request and the processing
    wait in place of the run's."""
    generated = parameter_groups(operation)
    groups: dict[str, Any] = {}
    for key, group in generated.items():
        if key == "waiting" and operation.poll_operation:
            group = processing_wait_group()
        groups[key] = group
        if key == "request" and operation.field_settings:
            groups["fields"] = fields_group(operation)
        if key == "result" and operation.raw_answer:
            groups["save"] = save_group()
    if operation.column_settings:
        groups["field_columns"] = field_columns_group(operation)
    return groups


class DocumentNode(OperationNode):
    """configure() and execute() of the Files and Vector Stores nodes (OperationNode's, with
    the field settings; OperationNode's call_options reads the processing wait)."""

    def field_values(self) -> dict[str, str]:
        if not self.operation.field_settings:
            return {}
        fields = self.fields
        return {name: str(getattr(fields, name)) for name in self.operation.field_settings}

    def call_settings(self) -> engine.CallSettings:
        return _engine_calls().settings_with_fields(super().call_settings(), self.field_values())

    def column_choices(self, schema: knext.Schema) -> dict[str, str]:
        found = super().column_choices(schema)
        if not self.operation.column_settings:
            return found
        columns = self.field_columns
        for name in self.operation.column_settings:
            column = chosen(getattr(columns, f"{name}_column"))
            if column:
                check_column(schema, column, f"{name}_column", json_too=False)
                found[name] = column
        return found

    def _inputs_from_table(
        self, calls: Any, table: knext.Table, settings: engine.CallSettings
    ) -> list[engine.CallInput]:
        choices = self.column_choices(table.schema)
        row_ids, cells = read_columns(table, choices)
        return calls.document_inputs(self.operation, row_ids, settings, cells, choices)


def document_node(
    operation_id: str, icon: str, keywords: Sequence[str] = ()
) -> Callable[[type], type]:
    """Make ``cls`` (a :class:`DocumentNode` subclass whose docstring holds the node's own
    details) the KNIME node for a Files or Vector Stores operation."""

    def register(cls: type) -> type:
        operation = by_id(operation_id)
        doc = document_description(operation, cls.__doc__ or "")
        node_cls = node_class(cls, operation, doc, document_groups(operation))
        keys = [code(name) for name in (*operation.path_parameters, *operation.column_settings)]
        table_text = "Optional: one request per row. " + (
            f"{', '.join(keys)} and the body can come from chosen columns"
            if keys
            else "The body can come from a chosen column"
        )
        return api_node(
            operation.node_name,
            icon,
            dict.fromkeys(["OpenAI", operation.group, "documents", "REST", *keywords]),
            "Input table",
            table_text + "; a missing cell falls back to the dialog's value.",
        )(node_cls)

    return register


__all__ = ["DocumentNode", "document_node"]
