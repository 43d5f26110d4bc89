"""Answers -> the node's output table, in the format the user chose.

Column types are named as plain strings ("string", "int32") so this module stays free of
KNIME; the KNIME shell maps them to ``knext`` types for configure().
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

import pandas as pd

from .exchange import ApiResponse


class ResultFormat(str, Enum):
    RAW = "raw"


RAW_COLUMNS: tuple[tuple[str, str], ...] = (("body", "string"), ("status", "int32"))


def result_columns(result_format: ResultFormat) -> tuple[tuple[str, str], ...]:
    """(name, type) of every output column, known before anything is sent."""
    if result_format is ResultFormat.RAW:
        return RAW_COLUMNS
    raise ValueError(f"unknown result format {result_format!r}")


def result_table(responses: Sequence[ApiResponse], result_format: ResultFormat) -> pd.DataFrame:
    """One row per answer."""
    if result_format is ResultFormat.RAW:
        return raw_table(responses)
    raise ValueError(f"unknown result format {result_format!r}")


def raw_table(responses: Sequence[ApiResponse]) -> pd.DataFrame:
    """The seed's "Raw Response": the body exactly as received, and the HTTP status."""
    return pd.DataFrame(
        {
            "body": pd.Series([r.text for r in responses], dtype=object),
            "status": pd.Series([r.status for r in responses], dtype="int32"),
        }
    )
