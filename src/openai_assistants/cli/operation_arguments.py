"""The flags of every operation subcommand, generated from the operation data
(:mod:`openai_assistants.operations`): path IDs as ``--thread-id``…, query parameters by
name, ``--body`` where there is one, the connection (the OpenAI Configuration node's
settings), and Create Run's options where they apply. ``create-run`` keeps its own flags,
the Create Run node's settings since 0.1.0.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..client.connection import (
    DEFAULT_API_KEY_ENV,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RESPONSE_MIB,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT_SECONDS,
    DEFAULT_TOTAL_TIMEOUT_SECONDS,
    AuthStyle,
)
from ..tables.results import ResultFormat
from .argument_types import option, positive
from .document_options import add_document_arguments
from .operation_commands import run_create_run, run_operation


def add_operation_parsers(commands: Any) -> None:
    """``create-run``, then one subcommand per other operation."""
    add_create_run_parser(commands)
    for operation in _operations():
        if operation.operation_id != "createRun":  # create-run keeps its own flags
            add_operation_parser(commands, operation)


def _operations() -> tuple:
    from ..operations import ALL

    return ALL


def add_create_run_parser(commands: Any) -> None:
    run = commands.add_parser(
        "create-run",
        help="create a run (the node's execute path outside KNIME)",
        description="POST /threads/{thread_id}/runs with the node's validation, retries and "
        "result table. The API key is read from the environment variable --api-key-env.",
    )
    run.add_argument("--thread-id", default="", help="the thread to run (or thread_id in the body)")
    run.add_argument("--body", metavar="JSON|@FILE", help="request body; @- reads stdin")
    run.add_argument("--include", action="append", default=[], metavar="VALUE", help="include[]")
    run.add_argument("--allow-unknown-fields", action="store_true")
    run.add_argument("--on-error", choices=["fail", "output"], default="fail")
    run.add_argument("--output", type=Path, metavar="FILE", help="write .csv, .json or .parquet")
    run.add_argument("--format", choices=[f.value for f in ResultFormat], default="raw")
    run.add_argument("--include-headers", action="store_true", help="response header columns")
    run.add_argument("--quiet", action="store_true", help="no table progress on stderr")
    add_connection_arguments(run)
    waiting = run.add_argument_group("waiting for the run to end")
    waiting.add_argument("--wait", action="store_true", help="poll until the run ends")
    waiting.add_argument("--poll-interval", type=positive, default=1.0, metavar="S")
    waiting.add_argument("--max-wait", type=positive, default=600.0, metavar="S")
    waiting.add_argument("--cancel-run-on-interrupt", action="store_true")
    batch = run.add_argument_group("one run per row of a table")
    batch.add_argument("--input", metavar="FILE", help="a .csv, .json or .parquet table")
    batch.add_argument("--thread-id-column", default="", metavar="NAME")
    batch.add_argument("--body-column", default="", metavar="NAME")
    batch.add_argument("--concurrency", type=int, default=4, metavar="N")
    run.set_defaults(handler=run_create_run)


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """Where and how to reach the API: the OpenAI Configuration node's settings."""
    connection = parser.add_argument_group("connection")
    connection.add_argument("--base-url", help=f"default: $OPENAI_BASE_URL or {DEFAULT_BASE_URL}")
    connection.add_argument("--api-key-env", default=DEFAULT_API_KEY_ENV, metavar="NAME")
    connection.add_argument("--auth-style", choices=[s.value for s in AuthStyle], default="bearer")
    connection.add_argument("--api-version", default="", help="Azure OpenAI api-version")
    connection.add_argument("--organization", default="", metavar="ID")
    connection.add_argument("--project", default="", metavar="ID")
    connection.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_SECONDS, metavar="S")
    connection.add_argument("--max-retries", type=int, default=DEFAULT_MAX_RETRIES, metavar="N")
    connection.add_argument(
        "--total-timeout",
        type=float,
        default=DEFAULT_TOTAL_TIMEOUT_SECONDS,
        metavar="S",
        help="longest time one request may take, retries and a whole stream included",
    )
    connection.add_argument(
        "--max-response-mib",
        type=int,
        default=DEFAULT_MAX_RESPONSE_MIB,
        metavar="MIB",
        help="largest answer body accepted",
    )


def add_operation_parser(commands: Any, operation: Any) -> None:
    """One subcommand per operation, generated from its data: path IDs as ``--thread-id``…,
    query parameters by name, ``--body`` where there is one, and Create Run's options where
    they apply (waiting for run operations, events for streaming ones, pages for lists)."""
    from ..engine.execute import can_wait, result_formats

    command = commands.add_parser(
        operation.cli_name,
        help=f"{operation.node_name}: {operation.method} {operation.path}",
        description=f"{operation.summary} {operation.method} {operation.path}, with the "
        "node's validation, retries and result table. The API key is read from the "
        "environment variable --api-key-env.",
    )
    for name in operation.path_parameters:
        command.add_argument(
            option(name), dest=f"path_{name}", default="", metavar="ID", help=f"the {name}"
        )
    for parameter in operation.query_parameters:
        flag, dest = option(parameter.setting), f"query_{parameter.setting}"
        if parameter.kind.value == "repeated":
            command.add_argument(flag, dest=dest, action="append", default=[], metavar="VALUE")
        elif parameter.kind.value == "integer":
            command.add_argument(flag, dest=dest, type=int, metavar="N")
        elif parameter.allowed:
            command.add_argument(flag, dest=dest, choices=list(parameter.allowed))
        else:
            command.add_argument(flag, dest=dest, metavar="VALUE")
    if operation.has_body:
        command.add_argument("--body", metavar="JSON|@FILE", help="request body; @- reads stdin")
        command.add_argument("--allow-unknown-fields", action="store_true")
    formats = [f.value for f in result_formats(operation)]
    command.add_argument("--format", choices=formats, default="raw")
    command.add_argument("--on-error", choices=["fail", "output"], default="fail")
    command.add_argument("--include-headers", action="store_true", help="response header columns")
    command.add_argument("--quiet", action="store_true", help="no table progress on stderr")
    command.add_argument("--output", type=Path, metavar="FILE", help="write .csv, .json, .parquet")
    add_connection_arguments(command)
    if can_wait(operation):
        waiting = command.add_argument_group("waiting for the run to end")
        waiting.add_argument("--wait", action="store_true", help="poll until the run ends")
        waiting.add_argument("--poll-interval", type=positive, default=1.0, metavar="S")
        waiting.add_argument("--max-wait", type=positive, default=600.0, metavar="S")
        waiting.add_argument("--cancel-run-on-interrupt", action="store_true")
    if operation.pages:  # a list with cursors (a search answers one page)
        paging = command.add_argument_group("pages")
        paging.add_argument("--all-pages", action="store_true", help="follow has_more / after")
        paging.add_argument("--max-items", type=int, default=1000, metavar="N")
    batch = command.add_argument_group("one request per row of a table")
    batch.add_argument("--input", metavar="FILE", help="a .csv, .json or .parquet table")
    for name in operation.path_parameters:
        batch.add_argument(option(f"{name}_column"), default="", metavar="NAME")
    if operation.has_body:
        batch.add_argument("--body-column", default="", metavar="NAME")
    if operation.operation_id == "submitToolOuputsToRun":
        batch.add_argument(
            "--tool-call-id-column",
            default="",
            metavar="NAME",
            help="with --output-column: one tool output per row, one request per run",
        )
        batch.add_argument("--output-column", default="", metavar="NAME")
    batch.add_argument("--concurrency", type=int, default=4, metavar="N")
    add_document_arguments(command, operation)  # --file, --purpose, --query, --folder
    command.set_defaults(handler=run_operation, operation=operation)
