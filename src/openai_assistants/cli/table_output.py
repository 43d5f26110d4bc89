"""How the command line shows and writes a result table: ``name: value`` blocks on the
terminal, or a ``.csv``, ``.json`` or ``.parquet`` file. Takes the Arrow table or the plain
rows the engine builds it from, so printing a result or writing CSV or JSON never needs
pyarrow or pandas (together about 400 ms of a one-shot process); only Parquet loads them.

The CSV is written with the standard library's ``csv`` module, cell for cell as pandas'
``DataFrame.to_csv`` wrote it from the Arrow table before (kept byte for byte, so scripts
reading our files see no change): see :func:`_csv_cells`.
"""

from __future__ import annotations

import csv
import datetime
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..tables.results import ROW_ID

if TYPE_CHECKING:
    import pyarrow as pa

    from ..tables.results import ResultRows

OUTPUT_FORMATS = (".csv", ".json", ".parquet")
LONG_COLUMNS = ("body",)  # printed last, on their own lines


def format_table(table: pa.Table | ResultRows, with_row_ids: bool = False) -> str:
    """Each row as ``name: value`` lines (missing values left out), the body last.

    A raw row reads ``status: 200`` then ``body:`` and the body as received; an events row
    reads like the event stream itself. Rows are separated by a blank line.
    """
    blocks = []
    listed = table.to_pylist()
    for row_id, row in zip(_row_ids(listed), _plain_rows(listed), strict=True):
        lines = [f"row: {row_id}"] if with_row_ids else []
        lines += [
            f"{name}: {value}"
            for name, value in row.items()
            if value is not None and name not in LONG_COLUMNS
        ]
        for name in LONG_COLUMNS:
            if row.get(name) is not None:
                lines += [f"{name}:", str(row[name]).rstrip("\n")]
        blocks.append("\n".join(lines) + "\n")
    return _printable("\n".join(blocks))


def table_rows(table: pa.Table | ResultRows) -> list[dict[str, Any]]:
    """The table as plain JSON-ready rows (without the row IDs): missing -> None, times ->
    ISO 8601. ``table``: Arrow, or the plain rows the engine builds it from (no pyarrow)."""
    return _plain_rows(table.to_pylist())


def _plain_rows(listed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {name: _plain(value) for name, value in row.items() if name != ROW_ID} for row in listed
    ]


def write_table(table: pa.Table | ResultRows, path: Path, with_row_ids: bool = False) -> None:
    """By extension: ``.csv``, ``.json`` (a list of row objects) or ``.parquet``.

    With an input table the row IDs come first as a ``row_id`` column, so each result can
    be matched to its input row.
    """
    suffix = path.suffix.lower()
    if suffix == ".json":
        listed = table.to_pylist()
        rows = _plain_rows(listed)
        if with_row_ids:
            rows = [{"row_id": rid, **row} for rid, row in zip(_row_ids(listed), rows, strict=True)]
        text = json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
        path.write_text(text, "utf-8", errors="backslashreplace")
        return
    if suffix == ".csv":
        _write_csv(table, path, with_row_ids)
        return
    if suffix != ".parquet":  # the command line refuses this before sending
        raise ValueError(f"unsupported output format {suffix!r}")
    frame = table.to_pandas()  # pandas and pyarrow only for Parquet
    if with_row_ids:
        frame = frame.rename(columns={ROW_ID: "row_id"})
    else:
        frame = frame.drop(columns=[ROW_ID])
    for column in frame.columns:  # Parquet strings must be valid UTF-8
        if frame[column].dtype == object:
            frame[column] = frame[column].map(lambda v: _printable(v) if isinstance(v, str) else v)
    frame.to_parquet(path, index=False)


def _write_csv(table: pa.Table | ResultRows, path: Path, with_row_ids: bool) -> None:
    """The table as CSV: a header row, then one line per row (``row_id`` first if asked)."""
    kinds = _column_kinds(table)
    listed = table.to_pylist()
    names = [name for name in kinds if with_row_ids or name != ROW_ID]
    columns = [_csv_cells([row[name] for row in listed], kinds[name]) for name in names]
    header = ["row_id" if name == ROW_ID else name for name in names]
    # as pandas opens and writes it: UTF-8, os.linesep, minimal quoting, "" for missing
    with open(path, "w", encoding="utf-8", errors="backslashreplace", newline="") as file:
        writer = csv.writer(file, lineterminator=os.linesep, quoting=csv.QUOTE_MINIMAL)
        writer.writerow(header)
        writer.writerows(zip(*columns, strict=True) if columns else ())


def _csv_cells(cells: list[Any], kind: str) -> list[str]:
    """One column's cells as pandas wrote them after ``pa.Table.to_pandas()``.

    An integer column holding a missing value became float64 in pandas (``200.0``); doubles
    are written as Python's ``repr`` (numpy's shortest round-trip text, the same digits),
    NaN and missing as empty; booleans ``True``/``False``; UTC times as
    ``str(datetime)``, ``2023-11-14 22:13:20+00:00`` (microseconds only where there are).
    """
    if kind in ("int32", "int64"):
        if any(cell is None for cell in cells):
            return ["" if cell is None else repr(float(cell)) for cell in cells]
        return [str(cell) for cell in cells]
    if kind == "double":
        return ["" if cell is None or math.isnan(cell) else repr(float(cell)) for cell in cells]
    return ["" if cell is None else str(cell) for cell in cells]  # text, booleans, times


def _column_kinds(table: pa.Table | ResultRows) -> dict[str, str]:
    """Each column's type name (as :mod:`..tables.results` names them), row IDs first."""
    if hasattr(table, "schema"):  # an Arrow table
        return {field.name: _arrow_kind(str(field.type)) for field in table.schema}
    return {ROW_ID: "string", **dict(table.columns)}  # plain rows: their declared kinds


def _arrow_kind(arrow_type: str) -> str:
    """``int32``, ``int64``, ``double``, ``bool``, ``string`` are Arrow's names too."""
    return "datetime" if arrow_type.startswith("timestamp") else arrow_type


def _row_ids(listed: list[dict[str, Any]]) -> list[str]:
    return [row[ROW_ID] for row in listed]


def _printable(text: str) -> str:
    """Lone surrogates (from ``\\ud800`` escapes in an answer) as ``\\ud800`` text: files and
    terminals take only valid Unicode."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value
