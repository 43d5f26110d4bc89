"""Body fields with a setting and a column of their own (``Operation.field_settings``), and
body lists filled from a column (``Operation.row_list``).

Upload File's ``file`` (the local path) and ``purpose``, Search Vector Store's ``query``,
Create Vector Store File's ``file_id``: each is a field of the operation's body, but a user
sets it in the dialog (or a command-line flag) or takes it from a table column, one value
per row, rather than editing JSON. A file batch's ``file_ids`` come from a column of file
IDs: the rows of one vector store become one request (as the tool outputs of one run do).
These functions write such values into the body text, so everything after (checks against
the schema, errors by JSON path, the request) is the body's as for any operation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace

from ..errors import InvalidSettingsError
from ..operations.model import Operation
from .inputs import CallInput, CallSettings, inputs_from_rows


def with_fields(body: str | None, values: Mapping[str, str | None]) -> str | None:
    """``body`` with each non-empty value set as a top-level field (replacing the body's).

    A body that is not a JSON object is returned as it is: its check then reports the
    syntax error with line and column, as for any body."""
    chosen = {k: v.strip() for k, v in values.items() if isinstance(v, str) and v.strip()}
    if not chosen:
        return body
    text = body if body is not None and body.strip() else "{}"
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return body
    if not isinstance(parsed, dict):
        return body
    return json.dumps({**parsed, **chosen}, indent=2, ensure_ascii=False)


def settings_with_fields(settings: CallSettings, values: Mapping[str, str | None]) -> CallSettings:
    """The dialog's settings with its field settings written into the body."""
    body = with_fields(settings.body, values)
    return settings if body is settings.body else replace(settings, body=body)


def inputs_with_field_columns(
    inputs: Sequence[CallInput], columns: Mapping[str, Sequence[str | None]]
) -> list[CallInput]:
    """One value per row from each field's column (a missing cell keeps the dialog's)."""
    for key, cells in columns.items():
        if len(cells) != len(inputs):
            raise InvalidSettingsError(
                f"The column for '{key}' has {len(cells)} cells for {len(inputs)} rows.",
                setting=f"{key}_column",
            )
    if not columns:
        return list(inputs)
    return [
        CallInput(
            item.row_id,
            settings_with_fields(item.settings, {key: cells[n] for key, cells in columns.items()}),
        )
        for n, item in enumerate(inputs)
    ]


def grouped_list_inputs(
    row_ids: Sequence[str],
    settings: CallSettings,
    row_list: tuple[str, str],
    items: Sequence[str | None],
    path_columns: Mapping[str, Sequence[str | None]],
) -> list[CallInput]:
    """Rows with the same path values (a column's value, else the dialog's) become one call
    whose body is the dialog body with ``row_list[0]`` = the rows' items, in row order; its
    row ID is the first row's. A missing item is an error naming its row."""
    field, setting = row_list
    base: dict = {}
    if settings.body is not None and settings.body.strip():
        from .request_parts import parse_body

        base = parse_body(settings.body)
    groups: dict[tuple[tuple[str, str], ...], tuple[str, dict[str, str], list[str]]] = {}
    for n, row_id in enumerate(row_ids):
        item = items[n]
        if item is None or not str(item).strip():
            raise InvalidSettingsError(
                f"{row_id}: the {setting} cell is missing; every row of the "
                f"{setting}_column names one item of the body's {field}.",
                setting=f"{setting}_column",
            )
        path = dict(settings.path_values)
        for key, cells in path_columns.items():
            if cells[n] is not None and str(cells[n]).strip():
                path[key] = str(cells[n]).strip()
        key = tuple(sorted(path.items()))
        if key not in groups:
            groups[key] = (str(row_id), path, [])
        groups[key][2].append(str(item).strip())
    return [
        CallInput(
            row_id,
            replace(
                settings,
                path_values=path,
                body=json.dumps({**base, field: values}, indent=2, ensure_ascii=False),
            ),
        )
        for row_id, path, values in groups.values()
    ]


def table_inputs(
    operation: Operation,
    row_ids: Sequence[str],
    settings: CallSettings,
    columns: Mapping[str, Sequence[str | None]],
    column_names: Mapping[str, str] | None = None,
) -> list[CallInput]:
    """An input table -> the calls, for any operation: ``columns`` maps a settings key (a
    path ID, ``body``, a field setting, the row list's setting) to its column's cells;
    ``column_names`` to the column's name (for the messages of rows with a missing cell)."""
    field_names = operation.field_settings
    row_list = operation.row_list
    plain = {k: v for k, v in columns.items() if k not in field_names and k not in row_list[1:]}
    fields = {k: v for k, v in columns.items() if k in field_names}
    if row_list and row_list[1] in columns:
        for key, cells in columns.items():
            if len(cells) != len(row_ids):
                raise InvalidSettingsError(
                    f"The column for '{key}' has {len(cells)} cells for {len(row_ids)} rows.",
                    setting=f"{key}_column",
                )
        path_columns = {k: v for k, v in plain.items() if k != "body"}
        return grouped_list_inputs(row_ids, settings, row_list, columns[row_list[1]], path_columns)
    plain_inputs = inputs_from_rows(row_ids, settings, plain, column_names)
    return inputs_with_field_columns(plain_inputs, fields)
