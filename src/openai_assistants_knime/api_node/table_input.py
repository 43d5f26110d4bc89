"""The optional input table of an API node: which columns it may use, and their cells as text.

A row's path IDs come from string columns; its body (and Submit Tool Outputs' output) from a
string column or a KNIME JSON column, whose cells are sent as their JSON text. A missing cell
is ``None`` (an ID: the engine falls back to the dialog's value; a body: the row is not sent
and carries the error "missing body"). The column checks raise the core's
``InvalidSettingsError`` naming the setting, which configure() shows as an invalid setting.

pandas is imported only when a table is read (KNIME loads it for the table anyway); listing
the nodes needs just the column filters.
"""

from __future__ import annotations

import json
from typing import Any

import knime.extension as knext

from openai_assistants.errors import InvalidSettingsError
from openai_assistants.operations import Operation

TOOL_OUTPUTS_OPERATION = "submitToolOuputsToRun"


def is_string_column(column: knext.Column) -> bool:
    return column.ktype == knext.string()


def is_json_column(column: knext.Column) -> bool:
    """A KNIME JSON column: a logical type whose value factory (or cell class) is KNIME's JSON
    one, e.g. ``{"value_factory_class": "org.knime.core.data.json.JSONValueFactory"}``."""
    logical = getattr(column.ktype, "logical_type", None)
    if not isinstance(logical, str):
        return False
    try:
        spec = json.loads(logical)
    except ValueError:
        return False
    if not isinstance(spec, dict):
        return False
    data_type = spec.get("data_type")
    names = [
        spec.get("value_factory_class"),
        data_type.get("cell_class") if isinstance(data_type, dict) else None,
    ]
    return any(isinstance(name, str) and "json" in name.lower() for name in names)


def holds_json_text(column: knext.Column) -> bool:
    """Columns a body or another JSON value may come from: strings and KNIME JSON."""
    return is_string_column(column) or is_json_column(column)


def chosen(column: str | None) -> str:
    """A column parameter's value, with "no column" ("", None or "<none>") as ""."""
    return "" if column in (None, "", knext.ColumnParameter.NONE) else column


def input_table_connected(context: knext.DialogCreationContext) -> bool:
    """Whether the optional input table is connected (when the dialog opens)."""
    specs = list(context.get_input_specs())
    return len(specs) > 1 and specs[1] is not None


def require_column(schema: knext.Schema, column: str, setting: str) -> None:
    """The column chosen in ``setting`` is in the input table (a changed upstream node may
    have removed or renamed it)."""
    if column not in schema.column_names:
        raise InvalidSettingsError(
            f"The input table has no column '{column}'. Choose another column.", setting=setting
        )


def check_column(schema: knext.Schema, column: str, setting: str, json_too: bool) -> None:
    """The chosen column exists and holds what the setting needs."""
    require_column(schema, column, setting)
    if json_too:
        if not holds_json_text(schema[column]):
            raise InvalidSettingsError(
                f"The column '{column}' must hold strings or JSON.", setting=setting
            )
    elif not is_string_column(schema[column]):
        raise InvalidSettingsError(f"The column '{column}' must hold strings.", setting=setting)


def column_choices(operation: Operation, table: Any, schema: knext.Schema) -> dict[str, str]:
    """Settings key (path parameter name or "body") -> the input column chosen in the
    input-table section ``table``."""
    found = {}
    for key in operation.path_parameters:
        column = chosen(getattr(table, f"{key}_column"))
        if column:
            check_column(schema, column, f"{key}_column", json_too=False)
            found[key] = column
    if operation.has_body:
        column = chosen(table.body_column)
        if column:
            check_column(schema, column, "body_column", json_too=True)
            found["body"] = column
    return found


def tool_output_columns(
    operation: Operation, table: Any, schema: knext.Schema
) -> tuple[str, str] | None:
    """Submit Tool Outputs: the (tool_call_id, output) columns when the table has them."""
    if operation.operation_id != TOOL_OUTPUTS_OPERATION:
        return None
    call = chosen(table.tool_call_id_column)
    output = chosen(table.output_column)
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
    check_column(schema, call, "tool_call_id_column", json_too=False)
    check_column(schema, output, "output_column", json_too=True)
    return call, output


def cells(series: Any) -> list[str | None]:
    """A column's cells as text, missing cells (None, NaN, pandas' NA) as None. A JSON cell
    that arrives parsed (a dict or list) is sent as its JSON text, one in bytes decoded."""
    import pandas as pd  # loaded by KNIME's table anyway; not needed to list the nodes

    def text(value: Any) -> str | None:
        if isinstance(value, str):
            return value
        if isinstance(value, (dict, list)):
            return json.dumps(value, ensure_ascii=False)
        if isinstance(value, bytes):
            return value.decode("utf-8")
        return None if pd.isna(value) else str(value)

    return [text(value) for value in series]


def read_columns(
    table: knext.Table, names: dict[str, str]
) -> tuple[list[str], dict[str, list[str | None]]]:
    """The row IDs and each named column's cells (by key), read from KNIME's table once."""
    frame = table.to_pandas()
    row_ids = [str(row_id) for row_id in frame.index]
    return row_ids, {key: cells(frame[name]) for key, name in names.items()}
