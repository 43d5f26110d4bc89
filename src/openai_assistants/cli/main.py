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

This module is the entry point only: it builds the parser from the subcommands' modules,
runs the chosen one and turns its failure into a one-line message and an exit code
(:mod:`.exit_codes`). Running without a command prints the help and exits 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import CancelledError, InvalidSettingsError, OpenAIAssistantsError
from ..tables.lazy_imports import keep_pandas_unloaded
from .exit_codes import EXIT_INTERRUPTED, EXIT_INVALID, EXIT_REQUEST_FAILED, UsageError
from .local_servers import add_demo_parser, add_sandbox_parser
from .operation_arguments import add_operation_parsers
from .terminal import retry_notices, say


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
        with retry_notices():
            return args.handler(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except (UsageError, InvalidSettingsError) as exc:  # MissingApiKeyError included
        return _fail(exc, EXIT_INVALID)
    except CancelledError as exc:
        say(str(exc), sys.stderr)
        return EXIT_INTERRUPTED
    except OpenAIAssistantsError as exc:  # RequestFailedError and any other failure
        return _fail(exc, EXIT_REQUEST_FAILED)


def build_parser() -> argparse.ArgumentParser:
    """Every subcommand: demo, create-run and the other operations, sandbox, serve."""
    parser = argparse.ArgumentParser(
        prog="openai-assistants",
        description="Every OpenAI Assistants API (v2) operation, as the KNIME nodes execute it.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_demo_parser(commands)
    add_operation_parsers(commands)
    add_sandbox_parser(commands)
    from ..server.cli import add_serve_parser
    from .prompt_command import add_prompt_parser

    add_serve_parser(commands)  # the serve subcommand lives with the server
    add_prompt_parser(commands)  # the Assistant Prompter's subcommand
    return parser


def _fail(exc: BaseException, code: int) -> int:
    say(f"error: {exc}", sys.stderr)
    return code
