"""An input table -> one call per row (the nodes' optional table, the CLI's --input).

``runs_from_table`` is Create Run's (one run per row); ``column_cells`` gives any operation's
column as the engine's cells (:func:`engine.inputs_from_rows`, ``tool_output_inputs``).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InvalidSettingsError
from .create_run import CreateRunSettings
from .execution import RunInput

if TYPE_CHECKING:
    import pandas as pd  # imported where a table is read: a single run never needs pandas


def runs_from_table(
    table: pd.DataFrame,
    settings: CreateRunSettings,
    thread_id_column: str = "",
    body_column: str = "",
) -> list[RunInput]:
    """One run per row, keeping the row IDs; a missing cell falls back to ``settings``."""
    threads = column_cells(table, thread_id_column) if thread_id_column else None
    bodies = column_cells(table, body_column) if body_column else None
    runs = []
    for n, row_id in enumerate(table.index):
        values = {}
        if threads is not None and threads[n] is not None:
            values["thread_id"] = threads[n]
        if bodies is not None and bodies[n] is not None:
            values["body"] = bodies[n]
        runs.append(RunInput(str(row_id), replace(settings, **values)))
    return runs


def column_cells(table: pd.DataFrame, column: str) -> list[str | None]:
    """A column's cells as text; a missing cell is ``None`` (the dialog's value applies).
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
