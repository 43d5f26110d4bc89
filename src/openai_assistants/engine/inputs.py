"""The rows to execute: one operation's settings as plain data, one call per row.

:class:`CallSettings` holds what a dialog or the command line set (keys are the KNIME
settings keys); :class:`CallInput` is one row's call. An input table becomes calls by
:func:`inputs_from_rows` (a column per setting; a missing ID cell falls back to the dialog's
value, a missing body cell makes the row an error: KNIME's "missing in, missing out") or, for
Submit Tool Outputs, :func:`tool_output_inputs` (rows of one run grouped into one call).
:func:`column_cells` and :func:`read_table_file` read a table's columns (the command line's
``--input``), with pandas loaded only then.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidSettingsError

if TYPE_CHECKING:
    import pandas as pd  # imported where a table is read: a single call never needs pandas


@dataclass(frozen=True)
class CallSettings:
    """One operation's request settings as plain data (keys are the KNIME settings keys)."""

    path_values: Mapping[str, str] = field(default_factory=dict)  # API names; "" = not set
    query_values: Mapping[str, object] = field(default_factory=dict)
    body: str | None = None  # None for operations without a body
    allow_unknown_fields: bool = False


@dataclass(frozen=True)
class CallInput:
    """One row's call. ``problem``: why the row cannot be sent although its settings may
    be valid (a missing body cell); the engine then sends nothing for it and the row
    carries the problem as its error (or, with "Fail", the node fails naming it)."""

    row_id: str
    settings: CallSettings
    problem: str = ""


def missing_body(column: str = "") -> str:
    """The error of a row whose body cell is missing: which column, and what to do (the
    row's ID goes before it). Why not the dialog's body instead: a missing cell usually
    means the table lost a value (a failed join, an empty prompt), and sending the dialog's
    body for it would make a request the user never meant, silently; KNIME's nodes give a
    missing output for a missing input instead."""
    named = f"the body column '{column}'" if column else "the body column"
    return (
        f"missing body: {named} has a missing cell in this row, so nothing was sent for it. "
        "Fill the cell or leave the row out; to send the same body for every row, choose no "
        "body column."
    )


def inputs_from_rows(
    row_ids: Sequence[str],
    settings: CallSettings,
    columns: Mapping[str, Sequence[str | None]],
    column_names: Mapping[str, str] | None = None,
) -> list[CallInput]:
    """An input table -> one call per row. ``columns`` maps a settings key (a path parameter's
    API name or ``body``) to that column's cells; a missing ID cell (None) falls back to the
    dialog's value in ``settings``, a missing body cell gives a call with a ``problem``
    (:func:`missing_body`; ``column_names`` maps a key to the column's name for its message).
    Row IDs and order are kept."""
    for key, cells in columns.items():
        if len(cells) != len(row_ids):
            raise InvalidSettingsError(
                f"The column for '{key}' has {len(cells)} cells for {len(row_ids)} rows.",
                setting=f"{key}_column",
            )
    inputs = []
    for n, row_id in enumerate(row_ids):
        path_values = dict(settings.path_values)
        body = settings.body
        problem = ""
        for key, cells in columns.items():
            cell = cells[n]
            if cell is None:
                if key == "body":
                    problem = missing_body((column_names or {}).get("body", ""))
                continue
            if key == "body":
                body = cell if isinstance(cell, str) else json.dumps(cell)
            else:
                path_values[key] = cell
        inputs.append(
            CallInput(str(row_id), replace(settings, path_values=path_values, body=body), problem)
        )
    return inputs


def tool_output_inputs(
    row_ids: Sequence[str],
    settings: CallSettings,
    tool_call_ids: Sequence[str | None],
    outputs: Sequence[str | None],
    thread_ids: Sequence[str | None] | None = None,
    run_ids: Sequence[str | None] | None = None,
) -> list[CallInput]:
    """Submit Tool Outputs from a table: rows with the same (thread_id, run_id) (the column's
    value, else the dialog's) become one call whose body is the dialog body with
    ``"tool_outputs": [{"tool_call_id", "output"}, ...]`` in row order; its row ID is the
    first row's. All outputs of a run must be submitted in one request, hence the grouping."""
    total = len(row_ids)
    for name, cells in (
        ("tool_call_id", tool_call_ids),
        ("output", outputs),
        ("thread_id", thread_ids),
        ("run_id", run_ids),
    ):
        if cells is not None and len(cells) != total:
            raise InvalidSettingsError(
                f"The {name} column has {len(cells)} cells for {total} rows.",
                setting=f"{name}_column",
            )
    base: dict[str, Any] = {}
    if settings.body is not None and settings.body.strip():
        from .request_parts import parse_body

        base = parse_body(settings.body)
    groups: dict[tuple[str, str], tuple[str, list[dict[str, str]]]] = {}
    for n, row_id in enumerate(row_ids):
        call_id = tool_call_ids[n]
        if call_id is None or not str(call_id).strip():
            raise InvalidSettingsError(
                f"{row_id}: the tool_call_id cell is missing; every tool output needs the ID "
                "of the tool call it answers (required_action.submit_tool_outputs.tool_calls).",
                setting="tool_call_id_column",
            )
        thread_id = _cell(thread_ids, n) or settings.path_values.get("thread_id", "") or ""
        run_id = _cell(run_ids, n) or settings.path_values.get("run_id", "") or ""
        output = outputs[n]
        entry = {"tool_call_id": str(call_id).strip(), "output": "" if output is None else output}
        key = (thread_id.strip(), run_id.strip())
        if key not in groups:
            groups[key] = (str(row_id), [])
        groups[key][1].append(entry)
    inputs = []
    for (thread_id, run_id), (row_id, entries) in groups.items():
        body = {**base, "tool_outputs": entries}
        path_values = {**settings.path_values, "thread_id": thread_id, "run_id": run_id}
        inputs.append(
            CallInput(
                row_id,
                replace(settings, path_values=path_values, body=json.dumps(body, indent=2)),
            )
        )
    return inputs


def _cell(cells: Sequence[str | None] | None, n: int) -> str:
    if cells is None or cells[n] is None:
        return ""
    return str(cells[n])


def column_cells(table: pd.DataFrame, column: str) -> list[str | None]:
    """A column's cells as text; a missing cell is ``None`` (an ID: the dialog's value
    applies; a body: the row is an error, see :func:`inputs_from_rows`).
    A JSON file may hold a body as an object: it is sent as that object's JSON text."""
    if column not in table.columns:
        raise InvalidSettingsError(
            f"The input table has no column '{column}' (columns: "
            f"{', '.join(map(str, table.columns))}).",
            setting="input",
        )
    cells: list[str | None] = []
    for value in table[column]:
        if isinstance(value, (dict, list)):
            cells.append(json.dumps(value))
        else:
            cells.append(None if _missing(value) else str(value))
    return cells


def read_table_file(path: str) -> pd.DataFrame:
    """A .csv, .json (a list of row objects) or .parquet file, every cell read as text."""
    import pandas as pd

    suffix = Path(path).suffix.lower()
    try:
        if suffix == ".csv":
            table = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        elif suffix == ".json":
            table = pd.read_json(path, orient="records", dtype=False)
        elif suffix == ".parquet":
            table = pd.read_parquet(path)
        else:
            raise InvalidSettingsError(
                f"Input file '{path}' must end in .csv, .json or .parquet.", setting="input"
            )
    except (OSError, ValueError) as exc:
        raise InvalidSettingsError(
            f"Cannot read input file '{path}': {exc}", setting="input"
        ) from None
    table.index = [f"Row{i}" for i in range(len(table))]
    return table


def _missing(value: object) -> bool:
    import pandas as pd  # already loaded: the table is a DataFrame

    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))
