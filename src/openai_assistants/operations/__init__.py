"""Every Assistants API v2 operation as data, and the registry the engine, nodes and CLI read.

``ALL`` lists the 44 operations in the reference's order of groups (assistants, threads,
messages, runs, run steps), then files and vector stores (their own reference,
``openai-files-vector-stores-openapi.json``); ``by_id`` finds one by operationId, ``by_cli_name`` by
subcommand. Importing this package loads no schema: that happens when a body is checked.

May import: :mod:`openai_assistants.errors`, :mod:`openai_assistants.memo`, jsonschema (when a
body is checked). Never the client, the engine, the tables, the command line, the server,
the sandbox or KNIME (``tests/test_layers.py``).
"""

from __future__ import annotations

from . import assistants, files, messages, run_steps, runs, threads, vector_stores
from .model import (
    INCLUDE_FILE_SEARCH_CONTENT,
    Operation,
    QueryKind,
    QueryParameter,
    ResultKind,
)

ASSISTANTS_API: tuple[Operation, ...] = (  # the 23 of the Assistants API reference
    *assistants.OPERATIONS,
    *threads.OPERATIONS,
    *messages.OPERATIONS,
    *runs.OPERATIONS,
    *run_steps.OPERATIONS,
)
DOCUMENTS_API: tuple[Operation, ...] = (*files.OPERATIONS, *vector_stores.OPERATIONS)  # 21
ALL: tuple[Operation, ...] = (*ASSISTANTS_API, *DOCUMENTS_API)
_BY_ID = {op.operation_id: op for op in ALL}
_BY_CLI_NAME = {op.cli_name: op for op in ALL}


def by_id(operation_id: str) -> Operation:
    """The operation with this operationId (``createRun``); ``KeyError`` names the known ones."""
    try:
        return _BY_ID[operation_id]
    except KeyError:
        raise KeyError(f"unknown operation '{operation_id}' (known: {', '.join(_BY_ID)})") from None


def by_cli_name(name: str) -> Operation:
    """The operation behind a subcommand (``create-thread-and-run``)."""
    try:
        return _BY_CLI_NAME[name]
    except KeyError:
        raise KeyError(f"unknown subcommand '{name}' (known: {', '.join(_BY_CLI_NAME)})") from None


__all__ = [
    "ALL",
    "ASSISTANTS_API",
    "DOCUMENTS_API",
    "INCLUDE_FILE_SEARCH_CONTENT",
    "Operation",
    "QueryKind",
    "QueryParameter",
    "ResultKind",
    "by_cli_name",
    "by_id",
]
