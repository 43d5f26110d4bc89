"""Get File Content's second output: each file's bytes written into a folder.

The engine gives each row's answer with its bytes (``ApiResponse.content``, asked for by the
operation's ``raw_answer``); this step writes them to ``<folder>/<file_id>`` and adds the
``saved_to`` column with each written path (missing for a row without content), so a
workflow can go on with the files. The folder is created when missing. An existing file of
that name is replaced: executing again gives the same folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from ..errors import InvalidSettingsError, OutputWriteError
from ..tables.results import Columns, ResultRows
from .inputs import CallInput
from .outcome import OperationOutcome

SAVED_COLUMN: Columns = (("saved_to", "string"),)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def file_name(file_id: str) -> str:
    """A file name for a file ID on any system (IDs are ``file-…``; anything else is kept
    readable with ``_`` for characters a file system may refuse)."""
    name = _UNSAFE.sub("_", file_id.strip()) or "file"
    return "_" + name if name.strip(".") == "" else name


def check_folder(folder: str) -> Path:
    """The folder as a path; raise naming the setting when it cannot hold files."""
    path = Path(folder.strip()).expanduser()
    try:
        os.fsencode(path)  # a NUL character, text the file system cannot encode
        if "\x00" in str(path):
            raise ValueError("NUL")
        is_file = path.exists() and not path.is_dir()
    except (OSError, ValueError):
        raise InvalidSettingsError(
            f"{folder.strip()!r} is not a usable folder path.", setting="folder"
        ) from None
    if is_file:
        raise InvalidSettingsError(
            f"'{path}' is a file, not a folder: choose the folder to write the files into.",
            setting="folder",
        )
    return path


def save_contents(
    outcome: OperationOutcome, inputs: Sequence[CallInput], folder: str
) -> OperationOutcome:
    """Write each row's bytes into ``folder``; the outcome with the ``saved_to`` column."""
    path = check_folder(folder)
    saved: list[str | None] = []
    for item, row in zip(inputs, outcome.rows, strict=True):
        response = row.response
        if response is None or not response.ok or response.content is None:
            saved.append(None)
            continue
        target = path / file_name(item.settings.path_values.get("file_id", "") or row.row_id)
        try:
            path.mkdir(parents=True, exist_ok=True)
            target.write_bytes(response.content)
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise OutputWriteError(
                f"{row.row_id}: the content of file '{item.settings.path_values.get('file_id')}' "
                f"was downloaded but could not be written to '{target}' "
                f"({reason}). Check the folder setting."
            ) from None
        saved.append(str(target))
    data = outcome.data
    if len(data.row_ids) != len(saved):  # one row per call: the content is no list
        raise AssertionError("Get File Content gives one row per input row")
    values = {**data.values, SAVED_COLUMN[0][0]: saved}
    table = ResultRows(data.columns + SAVED_COLUMN, data.row_ids, values, data.result_format)
    return OperationOutcome(data=table, rows=outcome.rows, warnings=outcome.warnings)
