"""``Table`` and ``BatchOutputTable`` (test double of ``knime.api.table``).

As in the real module, the factories delegate to a backend that something else installs;
in unit tests that is ``knime.extension.testing`` (see there). Without it
``Table.from_pandas`` fails with an AttributeError on ``None``, like the real one.
"""

from __future__ import annotations

from abc import abstractmethod

from knime.api import schema as ks


class _Tabular(ks._Columnar):
    """Columnar data with rows: ``table[columns]`` or ``table[columns, rows]`` give views."""

    @property
    @abstractmethod
    def num_rows(self) -> int: ...

    @property
    @abstractmethod
    def schema(self) -> ks.Schema: ...

    @abstractmethod
    def _select_rows(self, selection): ...

    @property
    def shape(self) -> tuple[int, int]:
        return (self.num_columns, self.num_rows)  # columns first, as in the real API

    def __getitem__(self, slicing) -> _TabularView:
        if isinstance(slicing, int) and slicing >= self.num_columns:
            raise IndexError(
                f"Index {slicing} is too large for {type(self).__name__} "
                f"with {self.num_columns} columns"
            )
        if isinstance(slicing, tuple):
            columns = _TabularView(self, ks._SelectColumns(slicing[0]))
            return _TabularView(columns, _SelectRows(slicing[1]))
        return _TabularView(self, ks._SelectColumns(slicing))

    def to_pandas(self, sentinel=None):
        return self.get().to_pandas()

    def to_pyarrow(self, sentinel=None):
        return self.get().to_pyarrow()


class _SelectRows:
    def __init__(self, selection) -> None:
        self.selection = selection

    def apply(self, target):
        return target._select_rows(self.selection) if isinstance(target, _Tabular) else target

    def __str__(self) -> str:
        return f"RowSlicingOp({self.selection})"


class _TabularView(_Tabular, ks._ColumnarView):
    def __init__(self, delegate, operation) -> None:
        ks._ColumnarView.__init__(self, delegate, operation)

    def to_pandas(self, sentinel=None):
        return self.get().to_pandas(sentinel)

    def to_pyarrow(self, sentinel=None):
        return self.get().to_pyarrow(sentinel)

    @property
    def num_rows(self) -> int:
        return self.get().num_rows

    @property
    def column_names(self):
        return self.get().column_names

    @property
    def schema(self) -> ks.Schema:
        return self.get().schema

    def _select_rows(self, selection):
        raise NotImplementedError(
            "Cannot execute row selection on a view, do that on real data instead!"
        )

    def __str__(self) -> str:
        return f"TableView<delegate={self._delegate}, op={self._operation}>"


class _Backend:
    """What a table backend provides (the testing one lives in knime.extension.testing)."""

    def create_table_from_pandas(self, data, sentinel=None, row_ids: str = "auto"):
        raise RuntimeError("Not implemented")

    def create_table_from_pyarrow(self, data, sentinel=None, row_ids: str = "auto"):
        raise RuntimeError("Not implemented")

    def create_batch_output_table(self, row_ids: str = "keep"):
        raise RuntimeError("Not implemented")

    def close(self) -> None:
        raise RuntimeError("Not implemented")


_backend: _Backend | None = None


class Table(_Tabular):
    """A KNIME table; create it with ``Table.from_pandas`` / ``Table.from_pyarrow``."""

    def __init__(self) -> None:
        raise RuntimeError("Do not use this constructor directly, use the from_ methods instead")

    @staticmethod
    def from_pandas(data, sentinel=None, row_ids: str = "auto"):
        return _backend.create_table_from_pandas(data, sentinel, row_ids=row_ids)

    @staticmethod
    def from_pyarrow(data, sentinel=None, row_ids: str = "auto"):
        return _backend.create_table_from_pyarrow(data, sentinel, row_ids=row_ids)

    def batches(self):
        raise RuntimeError(
            "Retrieving batches is only allowed for unmodified tables, "
            "as they are passed to execute()"
        )

    def to_batches(self):
        return self.batches()


class BatchOutputTable:
    """An output table assembled from batches; create it with ``create``/``from_batches``."""

    def __init__(self) -> None:
        raise RuntimeError(
            "Do not use this constructor directly, use the create or from_batches methods instead"
        )

    @staticmethod
    def create(row_ids: str = "keep"):
        return _backend.create_batch_output_table(row_ids=row_ids)

    @staticmethod
    def from_batches(generator, row_ids: str = "generate"):
        out = _backend.create_batch_output_table(row_ids=row_ids)
        for batch in generator:
            out.append(batch)
        return out

    def append(self, batch) -> None:
        raise RuntimeError("Not implemented")
