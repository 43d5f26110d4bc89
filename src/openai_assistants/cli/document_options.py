"""The command-line flags of the Files and Vector Stores subcommands beyond the generated ones.

As in their nodes: the body fields with a setting of their own (``--file`` and
``--purpose`` of ``upload-file``, ``--query`` of ``search-vector-store``, ``--file-id`` of
``create-vector-store-file``, each also as a ``--<name>-column`` of the ``--input`` table),
``create-vector-store-file-batch --file-id-column`` (the rows' file IDs, one batch per vector
store) and ``get-file-content --folder``, which writes each file's bytes there.
:mod:`.operation_arguments` and :mod:`.operation_commands` call these functions; everything
else about these subcommands is generated from the operation data like any other.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

HELP = {
    "file": "the local file to upload (streamed from disk)",
    "purpose": "the purpose of the upload (default: assistants, as the node's)",
    "query": "the text to search for",
    "file_id": "the ID of the uploaded file to add",
}
DEFAULTS = {"purpose": "assistants"}  # the node's default; "" uses the body's


def add_document_arguments(command: argparse.ArgumentParser, operation: Any) -> None:
    """``--file``/``--purpose``/``--query`` (and their ``--…-column``), ``--folder``."""
    if not operation.column_settings and not operation.raw_answer:
        return
    group = command.add_argument_group("files and vector stores")
    for name in operation.field_settings:
        flag = "--" + name.replace("_", "-")
        group.add_argument(
            flag, dest=f"field_{name}", default=DEFAULTS.get(name, ""), help=HELP[name]
        )
        group.add_argument(
            f"{flag}-column", dest=f"{name}_column", default="", metavar="NAME",
            help=f"with --input: each row's {name}",
        )  # fmt: skip
    if operation.row_list:
        field, setting = operation.row_list
        group.add_argument(
            f"--{setting.replace('_', '-')}-column", dest=f"{setting}_column", default="",
            metavar="NAME", help=f"with --input: the rows' {field}, one request per {field}'s "
            "path IDs",
        )  # fmt: skip
    if operation.raw_answer:
        group.add_argument(
            "--folder", default="", metavar="DIR", help="also write each file's bytes here"
        )


def field_values(args: argparse.Namespace, operation: Any) -> dict[str, str]:
    """The values of ``--file``, ``--purpose``, ``--query`` given on the command line."""
    return {name: getattr(args, f"field_{name}", "") for name in operation.field_settings}


def save_if_asked(args: argparse.Namespace, outcome: Any, inputs: Sequence[Any]) -> Any:
    """``get-file-content --folder``: write the bytes and add the ``saved_to`` column."""
    folder = getattr(args, "folder", "")
    if not folder:
        return outcome
    from ..engine.file_content import save_contents

    return save_contents(outcome, inputs, folder)
