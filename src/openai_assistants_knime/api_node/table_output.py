"""The result table as KNIME gets it: declared column types, and the engine's Arrow data.

configure() declares the columns (the core names its types in plain words, mapped here to
KNIME's); execute() hands over the Arrow batch the engine built with exactly those types,
without a pandas round trip.
"""

from __future__ import annotations

from typing import Any

import knime.extension as knext

_KNIME_TYPES = {
    "string": knext.string,
    "int32": knext.int32,
    "int64": knext.int64,
    "double": knext.double,
    "bool": knext.bool_,
    # UTC date-times: KNIME's "Date&time (Zoned)"
    "datetime": lambda: knext.datetime(date=True, time=True, timezone=True),
}

# KNIME writes an output table in batches of about this size (its ColumnarWriteCursor's)
KNIME_BATCH_BYTES = 1 << 26


def knime_schema(columns: tuple[tuple[str, str], ...]) -> knext.Schema:
    """``(("body", "string"), ("status", "int32"))`` -> the matching ``knext.Schema``."""
    return knext.Schema.from_columns(
        [knext.Column(_KNIME_TYPES[kind](), name) for name, kind in columns]
    )


def knime_table(outcome: Any) -> knext.Table:
    """The engine's result (an ``OperationOutcome``) as KNIME's output table: the engine
    built it as Arrow with the declared types (first column ``<RowID>``).

    Up to KNIME's batch size it goes as one record batch: KNIME's Arrow backend takes a
    record batch as it is (since 5.8 at least) and wraps its columns for half of what a
    table's chunked columns cost (about 50 µs of the ~1 ms of a single call). A larger
    result goes as a table, which KNIME cuts into its batches, and so does an empty one
    (KNIME writes an empty table's schema its own way)."""
    batch = outcome.batch
    if batch.num_rows and batch.get_total_buffer_size() <= KNIME_BATCH_BYTES:
        return knext.Table.from_pyarrow(batch)
    return knext.Table.from_pyarrow(outcome.table)
