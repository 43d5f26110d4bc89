"""``openai-assistants``: the nodes' execute path on the command line.

    openai-assistants demo                      the whole chain against the embedded sandbox
    openai-assistants create-run --thread-id T --body '{"assistant_id": "asst_..."}'
    openai-assistants list-messages --thread-id T --format structured   (every operation)
    openai-assistants sandbox [--port N]        serve the sandbox until stopped
    openai-assistants serve --model-base-url U  the Assistants API on a Chat Completions endpoint

Every operation is a subcommand generated from the operation data (``operations/``); each
calls the execute path the KNIME nodes call (:func:`openai_assistants.engine.execute_operation`)
with the node's options, so a batch job behaves exactly like the node; ``--input`` is the
node's optional input table (one request per row). The API key
is only ever read from an environment variable, never from an argument (arguments show up in
process lists and shell history). Ctrl+C cancels like KNIME's cancel button: the message says
whether a run may already exist on the server.

Exit codes: 0 success; 1 a request failed (HTTP error, connection error, timeout, bad answer);
2 invalid settings or input (nothing was sent); 130 interrupted. Running without a command
prints the help and exits 2.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import logging
import math
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .. import __version__
from ..client.connection import (
    DEFAULT_API_KEY_ENV,
    DEFAULT_BASE_URL,
    DEFAULT_MAX_RESPONSE_MIB,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT_SECONDS,
    DEFAULT_TOTAL_TIMEOUT_SECONDS,
    AuthStyle,
    ConnectionConfig,
)
from ..engine.configure import check_format_fits_body
from ..errors import (
    CancelledError,
    InvalidSettingsError,
    OpenAIAssistantsError,
    OutputWriteError,
)
from ..operations.runs import CREATE_RUN_DEFAULT_BODY as DEFAULT_BODY
from ..tables.lazy_imports import keep_pandas_unloaded
from ..tables.results import ResultFormat
from .document_options import add_document_arguments, field_values, save_if_asked
from .table_output import OUTPUT_FORMATS, format_table, write_table

if TYPE_CHECKING:
    from ..client.exchange import ApiResponse

EXIT_OK, EXIT_REQUEST_FAILED, EXIT_INVALID, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """Bad command-line input found before anything is sent (exit 2)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code (the console script exits with it)."""
    keep_pandas_unloaded()  # a one-shot process: pandas only for the outputs that use it
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2, message printed)
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_INVALID
    try:
        with _retry_notices():
            return args.handler(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except (UsageError, InvalidSettingsError) as exc:  # MissingApiKeyError included
        return _fail(exc, EXIT_INVALID)
    except CancelledError as exc:
        _say(str(exc), sys.stderr)
        return EXIT_INTERRUPTED
    except OpenAIAssistantsError as exc:  # RequestFailedError and any other failure
        return _fail(exc, EXIT_REQUEST_FAILED)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openai-assistants",
        description="Every OpenAI Assistants API (v2) operation, as the KNIME nodes execute it.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="the whole node chain on the embedded sandbox (no network, no key)",
        description="Start the sandbox on a free loopback port and run the node chain as the "
        "nodes execute it: Create Assistant (with a function tool), Create Thread, Create "
        "Message, Create Run (wait), Submit Tool Outputs to Run (wait), List Messages.",
    )
    demo.add_argument("--message", default="Hello from KNIME!", help="the user message to send")
    demo.add_argument("--run-duration", type=_seconds, default=0.3, metavar="S")
    demo.add_argument("--model-base-url", metavar="URL", help="answer with a real model (serve)")
    demo.add_argument("--model-api-key-env", metavar="NAME", help="its key's variable")
    demo.add_argument("--model", default="gpt-4o-mini", help="the model the assistant uses")
    demo.set_defaults(handler=_demo)

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
    _add_connection_arguments(run)
    waiting = run.add_argument_group("waiting for the run to end")
    waiting.add_argument("--wait", action="store_true", help="poll until the run ends")
    waiting.add_argument("--poll-interval", type=_positive, default=1.0, metavar="S")
    waiting.add_argument("--max-wait", type=_positive, default=600.0, metavar="S")
    waiting.add_argument("--cancel-run-on-interrupt", action="store_true")
    batch = run.add_argument_group("one run per row of a table")
    batch.add_argument("--input", metavar="FILE", help="a .csv, .json or .parquet table")
    batch.add_argument("--thread-id-column", default="", metavar="NAME")
    batch.add_argument("--body-column", default="", metavar="NAME")
    batch.add_argument("--concurrency", type=int, default=4, metavar="N")
    run.set_defaults(handler=_create_run)

    for operation in _operations():
        if operation.operation_id != "createRun":  # create-run keeps its own flags above
            _add_operation_parser(commands, operation)

    sandbox = commands.add_parser(
        "sandbox",
        help="serve the Assistants-compatible sandbox until stopped",
        description="Print the base URL on the first line, then serve until Ctrl+C. "
        "Fault counts apply to the next N API requests.",
    )
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=0, help="0 = any free port")
    sandbox.add_argument("--run-duration", type=_seconds, default=0.3, metavar="S")
    sandbox.add_argument(
        "--api-key-env", metavar="NAME", help="require the key held by this variable (else any)"
    )
    sandbox.add_argument("--quiet", action="store_true", help="do not log requests to stderr")
    faults = sandbox.add_argument_group("fault injection")
    faults.add_argument("--latency-ms", type=_count, default=0, metavar="MS")
    faults.add_argument("--rate-limit", type=_count, default=0, metavar="N", help="429s")
    faults.add_argument("--retry-after", type=_seconds, default=1.0, metavar="S")
    faults.add_argument("--server-error", type=_count, default=0, metavar="N", help="5xx")
    faults.add_argument("--server-error-status", type=int, default=500, metavar="CODE")
    faults.add_argument("--drop-connection", type=_count, default=0, metavar="N")
    faults.add_argument("--malformed-json", type=_count, default=0, metavar="N")
    faults.add_argument("--truncated-stream", type=_count, default=0, metavar="N")
    sandbox.set_defaults(handler=_sandbox)
    from ..server.cli import add_serve_parser

    add_serve_parser(commands)  # the serve subcommand lives with the server
    return parser


def _operations() -> tuple:
    from ..operations import ALL

    return ALL


def _add_connection_arguments(parser: argparse.ArgumentParser) -> None:
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


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _add_operation_parser(commands: Any, operation: Any) -> None:
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
            _option(name), dest=f"path_{name}", default="", metavar="ID", help=f"the {name}"
        )
    for parameter in operation.query_parameters:
        flag, dest = _option(parameter.setting), f"query_{parameter.setting}"
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
    command.add_argument("--output", type=Path, metavar="FILE", help="write .csv, .json, .parquet")
    _add_connection_arguments(command)
    if can_wait(operation):
        waiting = command.add_argument_group("waiting for the run to end")
        waiting.add_argument("--wait", action="store_true", help="poll until the run ends")
        waiting.add_argument("--poll-interval", type=_positive, default=1.0, metavar="S")
        waiting.add_argument("--max-wait", type=_positive, default=600.0, metavar="S")
        waiting.add_argument("--cancel-run-on-interrupt", action="store_true")
    if operation.pages:  # a list with cursors (a search answers one page)
        paging = command.add_argument_group("pages")
        paging.add_argument("--all-pages", action="store_true", help="follow has_more / after")
        paging.add_argument("--max-items", type=int, default=1000, metavar="N")
    batch = command.add_argument_group("one request per row of a table")
    batch.add_argument("--input", metavar="FILE", help="a .csv, .json or .parquet table")
    for name in operation.path_parameters:
        batch.add_argument(_option(f"{name}_column"), default="", metavar="NAME")
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
    command.set_defaults(handler=_run_operation, operation=operation)


# commands


def _config(args: argparse.Namespace) -> ConnectionConfig:
    return ConnectionConfig(
        base_url=args.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL,
        api_key_env=args.api_key_env,
        organization=args.organization,
        project=args.project,
        auth_style=AuthStyle(args.auth_style),
        api_version=args.api_version,
        timeout=args.timeout,
        max_retries=args.max_retries,
        total_timeout=args.total_timeout,
        max_response_mib=args.max_response_mib,
    )


def _run_operation(args: argparse.Namespace) -> int:
    """Any operation but create-run: the engine's execute path, as the operation's node."""
    from ..client.client import ApiClient
    from ..engine import execute as engine
    from ..engine.body_fields import table_inputs, with_fields
    from ..engine.inputs import column_cells, read_table_file
    from ..engine.run_polling import WaitOptions

    operation = args.operation
    _check_output_path(args.output)
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
        flags = ", ".join(_option(f"{key}_column") for key in column_flags)
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
        body = _read_body(args.body)
    if operation.field_settings:
        body = with_fields(body, field_values(args, operation))
    settings = engine.CallSettings(
        path_values={name: getattr(args, f"path_{name}") for name in operation.path_parameters},
        query_values={k: v for k, v in query.items() if v not in (None, [])},
        body=body,
        allow_unknown_fields=getattr(args, "allow_unknown_fields", False),
    )
    wait = None
    if getattr(args, "wait", False):
        wait = WaitOptions(args.poll_interval, args.max_wait, args.cancel_run_on_interrupt)
    options = engine.OperationOptions(
        on_error=engine.ErrorHandling(args.on_error),
        result_format=ResultFormat(args.format),
        include_headers=args.include_headers,
        wait=wait,
        concurrency=args.concurrency,
        all_pages=getattr(args, "all_pages", False),
        max_items=getattr(args, "max_items", 1000),
    )
    config = _config(args)
    from_columns = [key for key in column_flags if key not in ("tool_call_id", "output")]
    if all(tool_columns):
        from_columns += ["body"]
    engine.check_call(operation, settings, config, options, from_columns=from_columns)
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
            inputs = table_inputs(operation, row_ids, settings, cells)
    else:
        inputs = [engine.CallInput("Row0", settings)]
    with _interrupt_as_cancel() as interrupted:
        client = ApiClient.connect(config, is_canceled=interrupted.is_set)
        outcome = engine.execute_operation(operation, inputs, client, options=options)
    outcome = save_if_asked(args, outcome, inputs)  # get-file-content --folder
    with_row_ids = bool(args.input) or operation.returns_list  # lists: Row0#0, Row0#1, …
    _emit(outcome, args.output, with_row_ids, "requests were made")
    return EXIT_OK


def _emit(
    outcome: Any, output: Path | None, with_row_ids: bool, done: str, created: str = "Created"
) -> None:
    """Warnings to stderr; the table to stdout or the output file (listing, if writing fails,
    what was created so nothing on the server goes unreported). ``done`` and ``created`` word
    that message: "The {done}, but ... {created}: Row0: id, ..." """
    for warning in outcome.warnings:
        _say(f"warning: {warning}", sys.stderr)
    if output is None:
        sys.stdout.write(format_table(outcome.data, with_row_ids))
        return
    try:
        write_table(outcome.data, output, with_row_ids)
    except (OSError, ValueError) as exc:
        made = [
            f"{row.row_id}: {object_id}"
            for row in outcome.rows
            if row.response is not None and (object_id := _run_id(row.response))
        ]
        raise OutputWriteError(
            f"The {done}, but {output} could not be written "
            f"({exc.strerror if isinstance(exc, OSError) and exc.strerror else exc})."
            + (f" {created}: {', '.join(made)}." if made else "")
        ) from None
    _say(f"wrote {len(outcome.data)} row(s) to {output}", sys.stderr)


def _create_run(args: argparse.Namespace) -> int:
    from .. import operations
    from ..client.client import ApiClient
    from ..engine import execute as engine
    from ..engine.inputs import column_cells, read_table_file
    from ..engine.run_polling import WaitOptions

    _check_output_path(args.output)
    if (args.thread_id_column or args.body_column) and not args.input:
        raise UsageError("--thread-id-column and --body-column need --input FILE")
    if args.body is None and not args.body_column:
        raise UsageError("--body is required (or --input with --body-column)")
    settings = engine.CallSettings(
        path_values={"thread_id": args.thread_id},
        query_values={"include": tuple(args.include)},
        body=DEFAULT_BODY if args.body is None else _read_body(args.body),
        allow_unknown_fields=args.allow_unknown_fields,
    )
    if not args.body_column:
        check_format_fits_body(ResultFormat(args.format), settings.body)
    config = _config(args)
    wait = None
    if args.wait:
        wait = WaitOptions(args.poll_interval, args.max_wait, args.cancel_run_on_interrupt)
    options = engine.OperationOptions(
        on_error=engine.ErrorHandling(args.on_error),
        result_format=ResultFormat(args.format),
        include_headers=args.include_headers,
        wait=wait,
        concurrency=args.concurrency,
    )
    if args.input:
        table = read_table_file(args.input)
        columns = {"thread_id": args.thread_id_column, "body": args.body_column}
        cells = {key: column_cells(table, name) for key, name in columns.items() if name}
        inputs = engine.inputs_from_rows([str(i) for i in table.index], settings, cells)
    else:
        inputs = [engine.CallInput("Row0", settings)]
    with _interrupt_as_cancel() as interrupted:
        client = ApiClient.connect(config, is_canceled=interrupted.is_set)
        outcome = engine.execute_operation(
            operations.by_id("createRun"), inputs, client, options=options
        )
    _emit(outcome, args.output, bool(args.input), "runs were requested", "Runs created")
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from ..sandbox.demo import run_demo

    model = None
    if args.model_base_url:
        from ..sandbox.demo import model_backend

        try:
            model = model_backend(args.model_base_url, args.model_api_key_env)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    out = sys.stdout
    numbered = iter(range(1, 100))

    def show(step: Any) -> None:
        _say(f"{next(numbered)}. {step.node}: {step.summary}", out)

    def started(base_url: str) -> None:
        if model is None:
            _say(f"Sandbox: {base_url} (throwaway key; nothing leaves this machine)", out)
        else:
            _say(f"Server: {base_url}, answering with {args.model} at {model.url}", out)
        _say(f"User: {args.message}", out)

    result = run_demo(
        args.message,
        args.run_duration,
        model=model,
        model_name=args.model,
        on_step=show,
        on_start=started,
    )
    _say("List Messages output table (Structured), the columns that matter:", out)
    for row in result.steps[-1].outcome.table.to_pylist():
        _say(f"  {row['<RowID>']}  {row['role']}: {row['text']}", out)
    _say(f"Run {result.run_id}: {' -> '.join(result.statuses)}", out)
    _say(f"Final status: {result.statuses[-1]}", out)
    _say(f"Assistant: {result.reply}", out)
    return EXIT_OK


def _sandbox(args: argparse.Namespace) -> int:
    from ..sandbox import Faults, start_sandbox

    api_key = None
    if args.api_key_env:
        api_key = os.environ.get(args.api_key_env, "").strip()
        if not api_key:
            raise UsageError(f"--api-key-env: the environment variable {args.api_key_env} is empty")
    try:
        faults = Faults(
            latency_ms=args.latency_ms,
            rate_limit=args.rate_limit,
            retry_after=args.retry_after,
            server_error=args.server_error,
            server_error_status=args.server_error_status,
            drop_connection=args.drop_connection,
            malformed_json=args.malformed_json,
            truncated_stream=args.truncated_stream,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    log = None if args.quiet else (lambda line: _say(line, sys.stderr))
    try:
        server = start_sandbox(
            args.host,
            args.port,
            api_key=api_key,
            run_duration=args.run_duration,
            faults=faults,
            log=log,
        )
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
        ) from None
    stopped = threading.Event()
    with server, _stop_on_sigterm(stopped):
        _say(server.base_url, sys.stdout)
        if not _is_loopback(args.host):
            _say(f"warning: the sandbox on {args.host} can be reached from other hosts", sys.stderr)
        keys = f"the key in ${args.api_key_env}" if api_key else "any API key"
        _say(f"Sandbox serving the Assistants API v2; accepts {keys}. Ctrl+C stops it.", sys.stderr)
        while not stopped.wait(0.2):  # a short wait keeps Ctrl+C and SIGTERM prompt
            pass
    return EXIT_OK


# output


def _run_id(response: ApiResponse) -> str:
    from ..engine.run_polling import run_status

    return run_status(response)[0]


# helpers


def _check_output_path(path: Path | None) -> None:
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


def _read_body(value: str) -> str:
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


MAX_SECONDS = 86_400.0


def _seconds(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and 0 <= value <= MAX_SECONDS):
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_SECONDS:g}")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and 0 < value <= MAX_SECONDS):
        raise argparse.ArgumentTypeError(f"must be > 0 and at most {MAX_SECONDS:g}")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _fail(exc: BaseException, code: int) -> int:
    _say(f"error: {exc}", sys.stderr)
    return code


def _say(text: str, stream: TextIO) -> None:
    """One line, flushed at once (a caller may be waiting for it, e.g. the sandbox URL)."""
    stream.write(" ".join(str(text).splitlines()) + "\n")
    stream.flush()


@contextlib.contextmanager
def _retry_notices() -> Iterator[None]:
    """Show the transport's retry notices as ``note: ...`` on stderr while a command runs.

    The execute path's own warnings come back in ``outcome.warnings`` and are printed once
    from there, so its logger is kept quiet rather than printed twice.
    """
    root = logging.getLogger("openai_assistants")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("note: %(message)s"))
    handler.addFilter(lambda record: record.name.startswith("openai_assistants.transport"))
    saved = root.propagate
    root.addHandler(handler)
    root.propagate = False
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.propagate = saved


@contextlib.contextmanager
def _interrupt_as_cancel() -> Iterator[threading.Event]:
    """The first Ctrl+C cancels like KNIME's cancel button; a second one interrupts at once.

    Cancelling through the core lets it say what may already exist on the server (and cancel
    the run when asked to), instead of dying in the middle of an exchange.
    """
    interrupted = threading.Event()

    def on_sigint(signum: int, frame: object) -> None:
        if interrupted.is_set():
            raise KeyboardInterrupt
        interrupted.set()

    try:
        previous = signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not the main thread
        yield interrupted
        return
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _stop_on_sigterm(stopped: threading.Event) -> Iterator[None]:
    """``kill``/``terminate()`` stops the sandbox cleanly, like Ctrl+C does."""
    try:
        previous = signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    except ValueError:  # not the main thread (e.g. called from a test thread)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
