"""The Assistant Prompter's output: the input table as it came, plus the answer columns.

The input's columns are kept as Arrow columns (types, values and RowIDs untouched: no pandas
round trip that could turn an integer column with missing cells into doubles, or a date into
text); the answer columns are appended with the types configure() declared, so the table
survives KNIME's strict conversion of declared vs actual types (an all-missing column is
still typed, never Arrow ``null``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .results import arrow_types

if TYPE_CHECKING:
    import pyarrow as pa

    from ..engine.prompter import PrompterOutcome


def answer_arrays(outcome: PrompterOutcome) -> list[pa.Array]:
    """The appended columns as typed Arrow arrays, in the declared order."""
    import pyarrow as pa

    types = arrow_types()
    return [
        pa.array(cells, type=types[kind])
        for (_, kind), cells in zip(outcome.columns, outcome.column_cells(), strict=True)
    ]


def with_answers(table: pa.Table, outcome: PrompterOutcome) -> pa.Table:
    """``table`` (KNIME's, ``<RowID>`` first) with the answer columns appended."""
    if table.num_rows != len(outcome.answers):
        raise ValueError(f"{table.num_rows} input rows but {len(outcome.answers)} answers")
    for (name, _), array in zip(outcome.columns, answer_arrays(outcome), strict=True):
        table = table.append_column(name, array)
    return table
