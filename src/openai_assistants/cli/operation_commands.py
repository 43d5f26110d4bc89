"""The run of an operation subcommand: its flags -> the node's settings and input rows ->
the engine (through :mod:`.engine_calls`) -> the table printed or written.

Everything that can be checked is checked before anything is sent (the output file, the
body, flags that need ``--input``): a result that cannot be written would be lost.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..engine.configure import check_format_fits_body
from ..errors import OutputWriteError
from ..operations.runs import CREATE_RUN_DEFAULT_BODY as DEFAULT_BODY
from ..tables.results import ResultFormat
from . import engine_calls
from .argument_types import option
from .document_options import field_values, save_if_asked
from .exit_codes import EXIT_OK, UsageError
from .table_output import OUTPUT_FORMATS, format_table, write_table
from .terminal import say

if TYPE_CHECKING:
    from ..client.exchange import ApiResponse
    from ..engine.options import OperationOptions


def run_operation(args: argparse.Namespace) -> int:
    """Any operation but create-run: the engine's execute path, as the operation's node."""
    from ..engine import execute as engine
    from ..engine.body_fields import table_inputs, with_fields
    from ..engine.inputs import column_cells, read_table_file

    operation = args.operation
    check_output_path(args.output)
    column_flags = {
        key: getattr(args, f"{key}_column", "")
        for key in (
            *operation.path_parameters,
            *operation.column_settings,
            "body",
            "tool_call_id",
            "output",
        )
    }
    column_flags = {key: column for key, column in column_flags.items() if column}
    if column_flags and not args.input:
        flags = ", ".join(option(f"{key}_column") for key in column_flags)
        raise UsageError(f"{flags} need{'s' if len(column_flags) == 1 else ''} --input FILE")
    tool_columns = [column_flags.get("tool_call_id"), column_flags.get("output")]
    if any(tool_columns) and not all(tool_columns):
        raise UsageError("--tool-call-id-column and --output-column go together")
    query = {
        parameter.setting: getattr(args, f"query_{parameter.setting}")
        for parameter in operation.query_parameters
    }
    body = None
    if operation.has_body and args.body is not None:
        body = read_body(args.body)
    if operation.field_settings:
        body = with_fields(body, field_values(args, operation))
    settings = engine.CallSettings(
        path_values={name: getattr(args, f"path_{name}") for name in operation.path_parameters},
        query_values={k: v for k, v in query.items() if v not in (None, [])},
        body=body,
        allow_unknown_fields=getattr(args, "allow_unknown_fields", False),
    )
    options = call_options(args)
    config = engine_calls.connection_config(args)
    from_columns = [key for key in column_flags if key not in ("tool_call_id", "output")]
    if all(tool_columns):
        from_columns += ["body"]
    engine_calls.check_call(operation, settings, config, options, from_columns)
    if args.input:
        table = read_table_file(args.input)
        row_ids = [str(row_id) for row_id in table.index]
        cells = {key: column_cells(table, column) for key, column in column_flags.items()}
        if all(tool_columns):
            inputs = engine.tool_output_inputs(
                row_ids,
                settings,
                cells.pop("tool_call_id"),
                cells.pop("output"),
                thread_ids=cells.get("thread_id"),
                run_ids=cells.get("run_id"),
            )
        else:
            inputs = table_inputs(operation, row_ids, settings, cells, column_flags)
    else:
        inputs = [engine.CallInput("Row0", settings)]
    outcome = engine_calls.execute_operation(operation, inputs, config, options, quiet=args.quiet)
    outcome = save_if_asked(args, outcome, inputs)  # get-file-content --folder
    with_row_ids = bool(args.input) or operation.returns_list  # lists: Row0#0, Row0#1, …
    emit(outcome, args.output, with_row_ids, "requests were made")
    return EXIT_OK


def run_create_run(args: argparse.Namespace) -> int:
    """create-run: Create Run's own flags (as its node's settings) through the engine."""
    from .. import operations
    from ..engine import execute as engine
    from ..engine.inputs import column_cells, read_table_file

    check_output_path(args.output)
    if (args.thread_id_column or args.body_column) and not args.input:
        raise UsageError("--thread-id-column and --body-column need --input FILE")
    if args.body is None and not args.body_column:
        raise UsageError("--body is required (or --input with --body-column)")
    settings = engine.CallSettings(
        path_values={"thread_id": args.thread_id},
        query_values={"include": tuple(args.include)},
        body=DEFAULT_BODY if args.body is None else read_body(args.body),
        allow_unknown_fields=args.allow_unknown_fields,
    )
    if not args.body_column:
        check_format_fits_body(ResultFormat(args.format), settings.body)
    config = engine_calls.connection_config(args)
    options = call_options(args)
    if args.input:
        table = read_table_file(args.input)
        columns = {"thread_id": args.thread_id_column, "body": args.body_column}
        cells = {key: column_cells(table, name) for key, name in columns.items() if name}
        inputs = engine.inputs_from_rows([str(i) for i in table.index], settings, cells, columns)
    else:
        inputs = [engine.CallInput("Row0", settings)]
    create_run = operations.by_id("createRun")
    outcome = engine_calls.execute_operation(create_run, inputs, config, options, quiet=args.quiet)
    emit(outcome, args.output, bool(args.input), "runs were requested", "Runs created")
    return EXIT_OK


def call_options(args: argparse.Namespace) -> OperationOptions:
    """The options flags of every operation subcommand (create-run's included) as the
    engine's options; flags a subcommand does not have (``--wait`` on an operation that
    answers with no run, ``--all-pages`` where there are no pages) count as not given."""
    from ..engine.options import ErrorHandling, OperationOptions
    from ..engine.run_polling import WaitOptions

    wait = None
    if getattr(args, "wait", False):
        wait = WaitOptions(args.poll_interval, args.max_wait, args.cancel_run_on_interrupt)
    return OperationOptions(
        on_error=ErrorHandling(args.on_error),
        result_format=ResultFormat(args.format),
        include_headers=args.include_headers,
        wait=wait,
        concurrency=args.concurrency,
        all_pages=getattr(args, "all_pages", False),
        max_items=getattr(args, "max_items", 1000),
    )


def emit(
    outcome: Any, output: Path | None, with_row_ids: bool, done: str, created: str = "Created"
) -> None:
    """Warnings to stderr; the table to stdout or the output file (listing, if writing fails,
    what was created so nothing on the server goes unreported). ``done`` and ``created`` word
    that message: "The {done}, but ... {created}: Row0: id, ..." """
    for warning in outcome.warnings:
        say(f"warning: {warning}", sys.stderr)
    if output is None:
        sys.stdout.write(format_table(outcome.data, with_row_ids))
        return
    try:
        write_table(outcome.data, output, with_row_ids)
    except (OSError, ValueError) as exc:
        made = [
            f"{row.row_id}: {object_id}"
            for row in outcome.rows
            if row.response is not None and (object_id := _object_id(row.response))
        ]
        raise OutputWriteError(
            f"The {done}, but {output} could not be written "
            f"({exc.strerror if isinstance(exc, OSError) and exc.strerror else exc})."
            + (f" {created}: {', '.join(made)}." if made else "")
        ) from None
    say(f"wrote {len(outcome.data)} row(s) to {output}", sys.stderr)


def _object_id(response: ApiResponse) -> str:
    from ..engine.run_polling import run_status

    return run_status(response)[0]


def check_output_path(path: Path | None) -> None:
    """Before anything is sent: results that cannot be written would be lost."""
    if path is None:
        return
    if path.suffix.lower() not in OUTPUT_FORMATS:
        raise UsageError(f"--output {path}: the file name must end in {', '.join(OUTPUT_FORMATS)}")
    if path.is_dir():
        raise UsageError(f"--output {path}: is a folder; name a file in it")
    if not path.parent.is_dir():
        raise UsageError(f"--output {path}: the folder {path.parent} does not exist")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"--output {path}: the file is not writable")
    if not path.exists() and not os.access(path.parent, os.W_OK | os.X_OK):
        raise UsageError(f"--output {path}: the folder {path.parent} is not writable")


def read_body(value: str) -> str:
    """``--body`` is JSON text, ``@FILE`` for a file's content, or ``@-`` for stdin."""
    if not value.startswith("@"):
        return value
    name = value[1:]
    try:
        if name == "-":
            stdin = getattr(sys.stdin, "buffer", None)  # a text-only stdin has no bytes
            data = (
                stdin.read()
                if stdin is not None
                else sys.stdin.read().encode("utf-8", "surrogatepass")
            )
        else:
            data = Path(name).read_bytes()
    except OSError as exc:
        raise UsageError(f"--body @{name}: cannot read the file ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"--body @{name}: byte {exc.start} is not UTF-8; save the file as UTF-8"
        ) from None
