"""What an execution gives: the result rows, built into KNIME's Arrow table on first use, and
the warnings; and the last net under the table code (an answer it cannot type is reported).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from ..client.exchange import ApiResponse
from ..errors import ResponseFormatError
from ..tables.results import ResultFormat, ResultRows, RowResult
from .run_polling import run_status

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class OperationOutcome:
    """What an execution gave: ``table`` (Arrow, ``"<RowID>"`` first, then exactly
    ``output_columns(...)``) is built from ``data`` on first use, so a command that prints
    the rows (``data``) never loads pyarrow."""

    data: ResultRows
    rows: list[RowResult]
    warnings: list[str] = field(default_factory=list)

    @cached_property
    def batch(self) -> pa.RecordBatch:
        """The table as one record batch (what KNIME's backend takes most cheaply)."""
        try:
            return self.data.to_arrow_batch()
        except TABLE_ERRORS as exc:  # data.check() refused these already; a last net
            raise table_error(exc, self.data.result_format, self.rows) from None

    @cached_property
    def table(self) -> pa.Table:
        import pyarrow as pa

        return pa.Table.from_batches([self.batch], schema=self.batch.schema)

    @cached_property
    def summary(self) -> str:
        """The one short warning a node shows: failed rows counted with the first reason,
        other warnings grouped (:mod:`.warning_summary`); ``warnings`` keeps every message."""
        from .warning_summary import summarize_warnings

        return summarize_warnings(self.warnings, self.rows, self.data.result_format)

    @property
    def response(self) -> ApiResponse | None:
        """The (first) row's answer: for the single-call case."""
        return self.rows[0].response if self.rows else None


TABLE_ERRORS = (TypeError, ValueError, OverflowError, RecursionError)


def table_error(
    exc: BaseException, result_format: ResultFormat, rows: Sequence[RowResult]
) -> ResponseFormatError:
    made = [f"{r.row_id}: {run_status(r.response)[0]}" for r in rows if r.response]
    made = [m for m in made if not m.endswith(": ")]
    return ResponseFormatError(
        f"The answer could not be put into the {result_format.value} table "
        f"({type(exc).__name__}: {str(exc)[:200]}); choose the Raw Response format to see "
        "it as received." + (f" Created: {', '.join(made)}." if made else "")
    )
