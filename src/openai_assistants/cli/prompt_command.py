"""``openai-assistants prompt``: the Assistant Prompter node on the command line.

    openai-assistants prompt --input questions.csv --prompt-column question \\
        --assistant-id asst_abc123 --output answers.csv

The input table comes back with the node's answer columns appended (``Response``,
``thread_id``, ``run_id``, ``status``, the token counts, ``citations``, ``required_action``,
``error``), through the same core the node calls (:mod:`openai_assistants.engine.prompter`).
While it works, the rows' progress is shown on standard error (``--quiet`` silences it).
The command line's plumbing (connection flags, Ctrl+C as cancel, the output file's checks)
is the other subcommands' (``operation_arguments``, ``engine_calls``, ``terminal``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidSettingsError, OutputWriteError
from .argument_types import positive
from .exit_codes import EXIT_OK
from .operation_arguments import add_connection_arguments
from .terminal import say

if TYPE_CHECKING:  # the parser is built for every command: the engine loads when it runs
    from ..client.client import ApiClient

THREAD_MODES = {
    "new-per-row": "NEW_PER_ROW",
    "per-group": "PER_GROUP",
    "from-column": "FROM_COLUMN",
}


def add_prompt_parser(commands: Any) -> None:
    """The ``prompt`` subcommand, its flags named as the node's settings."""
    command = commands.add_parser(
        "prompt",
        help="the Assistant Prompter: a question per row, the answer in a column",
        description="Ask an assistant the question in each row of a table and write the "
        "table back with the answer columns of the Assistant Prompter node. The API key is "
        "read from the environment variable --api-key-env.",
    )
    command.add_argument("--input", required=True, metavar="FILE", help=".csv, .json, .parquet")
    command.add_argument("--prompt-column", required=True, metavar="NAME")
    command.add_argument(
        "--prompt-format",
        choices=["text", "json"],
        default="text",
        help="json: each cell is JSON (text, a content array or a message object)",
    )
    command.add_argument("--assistant-id", default="", metavar="ID")
    command.add_argument("--assistant-id-column", default="", metavar="NAME")
    command.add_argument("--instructions", default="", help="sent as additional_instructions")
    command.add_argument("--thread-mode", choices=list(THREAD_MODES), default="new-per-row")
    command.add_argument("--group-column", default="", metavar="NAME", help="with per-group")
    command.add_argument("--thread-id-column", default="", metavar="NAME", help="with from-column")
    command.add_argument("--vector-store-id", default="", metavar="ID", help="for new threads")
    command.add_argument("--response-column", default="Response", metavar="NAME")
    command.add_argument("--concurrency", type=int, default=4, metavar="N", help="1 to 32")
    command.add_argument("--on-error", choices=["fail", "output"], default="fail")
    command.add_argument("--poll-interval", type=positive, default=1.0, metavar="S")
    command.add_argument("--max-wait", type=positive, default=600.0, metavar="S")
    command.add_argument("--output", type=Path, metavar="FILE", help="write .csv, .json, .parquet")
    command.add_argument("--quiet", action="store_true", help="no progress on stderr")
    add_connection_arguments(command)
    command.set_defaults(handler=run_prompt)


def run_prompt(args: argparse.Namespace) -> int:
    """Check the output file, ask the questions (Ctrl+C cancels, runs included), then print
    or write the table."""
    from ..client.client import ApiClient
    from .engine_calls import connection_config
    from .operation_commands import check_output_path
    from .table_output import format_table
    from .terminal import interrupt_as_cancel

    check_output_path(args.output)
    config = connection_config(args)
    with interrupt_as_cancel() as interrupted:
        client = ApiClient.connect(config, is_canceled=interrupted.is_set)
        table, warnings = answer_table(args, client)
    for warning in warnings:
        say(f"warning: {warning}", sys.stderr)
    if args.output is None:
        sys.stdout.write(format_table(table))
        return EXIT_OK
    try:
        write_answers(table, args.output)
    except OSError as exc:
        raise OutputWriteError(
            f"The questions were answered, but {args.output} could not be written "
            f"({exc.strerror or exc})."
        ) from None
    say(f"wrote {table.num_rows} row(s) to {args.output}", sys.stderr)
    return EXIT_OK


def answer_table(args: argparse.Namespace, client: ApiClient) -> tuple[Any, list[str]]:
    """Ask the input file's questions through ``client``; the input table with the answer
    columns appended (Arrow, RowIDs first) and the warnings. Shows the rows' progress on
    stderr."""
    from ..engine.inputs import read_table_file
    from ..engine.options import ErrorHandling
    from ..engine.prompter import Tally, prompt_rows
    from ..engine.prompter_plan import PrompterSettings, ThreadMode
    from ..tables.prompter_table import with_answers
    from .progress import RowProgress

    mode = ThreadMode[THREAD_MODES[args.thread_mode]]
    if mode is ThreadMode.PER_GROUP and not args.group_column:
        raise InvalidSettingsError(
            "--thread-mode per-group needs --group-column NAME", setting="group_column"
        )
    if mode is ThreadMode.FROM_COLUMN and not args.thread_id_column:
        raise InvalidSettingsError(
            "--thread-mode from-column needs --thread-id-column NAME", setting="thread_id_column"
        )
    settings = PrompterSettings(
        assistant_id=args.assistant_id.strip(),
        instructions=args.instructions,
        thread_mode=mode,
        vector_store_id=args.vector_store_id.strip(),
        response_column=args.response_column,
        concurrency=args.concurrency,
        on_error=ErrorHandling(args.on_error),
        poll_interval=args.poll_interval,
        max_wait=args.max_wait,
    )
    frame = read_table_file(args.input)
    rows = prompt_rows_of(frame, args)
    progress = None if args.quiet or len(rows) < 2 else RowProgress(sys.stderr)

    def show(now: Tally) -> None:
        if progress is not None:
            progress.update(now.done, now.total, now.running, now.failed)

    try:
        outcome = prompt_rows(
            rows,
            settings,
            client,
            input_columns=[str(c) for c in frame.columns],
            assistant_from_column=bool(args.assistant_id_column),
            tally=show,
        )
    finally:
        if progress is not None:
            progress.close()
    return with_answers(input_table(frame), outcome), outcome.warnings


def write_answers(table: Any, path: Path) -> None:
    """CSV through Arrow's writer, so the token counts stay whole numbers beside missing
    cells (pandas would write them as 3.0); .json and .parquet as every command writes."""
    from .table_output import write_table

    if path.suffix.lower() != ".csv":
        write_table(table, path)
        return
    import pyarrow.csv as pa_csv

    from ..tables.results import ROW_ID

    body = table.drop_columns([ROW_ID])
    pa_csv.write_csv(body, path, pa_csv.WriteOptions(quoting_style="needed"))


def prompt_rows_of(frame: Any, args: argparse.Namespace) -> list:
    """The file's rows as the core's rows; the columns named by the flags must exist."""
    from ..engine.inputs import column_cells
    from ..engine.prompter_plan import PromptRow

    is_json = args.prompt_format == "json"
    prompts: list[Any] = []
    if args.prompt_column in frame.columns:
        for value in frame[args.prompt_column]:
            if isinstance(value, (dict, list)):  # a .json input holds JSON values as such
                prompts.append(value)
            else:
                prompts.append(None if _missing(value) else str(value))
    else:
        column_cells(frame, args.prompt_column)  # raises, naming the columns there are
    count = len(prompts)

    def cells(column: str) -> list[str | None]:
        return column_cells(frame, column) if column else [None] * count

    assistants = cells(args.assistant_id_column)
    groups = cells(args.group_column if args.thread_mode == "per-group" else "")
    threads = cells(args.thread_id_column if args.thread_mode == "from-column" else "")
    return [
        PromptRow(str(row_id), prompts[n], assistants[n], groups[n], threads[n], is_json)
        for n, row_id in enumerate(frame.index)
    ]


def input_table(frame: Any) -> Any:
    """The input file's table as Arrow, RowIDs first (as KNIME hands a node its table)."""
    import pyarrow as pa

    from ..tables.results import ROW_ID

    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    table = table.replace_schema_metadata(None)
    return table.add_column(0, ROW_ID, pa.array([str(r) for r in frame.index], pa.string()))


def _missing(value: Any) -> bool:
    import pandas as pd

    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))
