"""``demo`` and ``sandbox``: the commands that start a server on this machine (``serve`` is
added from :mod:`openai_assistants.server.cli`, where the server lives).

``demo`` runs the node chain against the embedded sandbox, each step through the engine;
``sandbox`` serves the Assistants-compatible echo server with fault injection until stopped.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
import threading
from typing import Any

from .argument_types import count, positive, seconds
from .exit_codes import EXIT_OK, UsageError
from .terminal import say, stop_on_sigterm


def add_demo_parser(commands: Any) -> None:
    demo = commands.add_parser(
        "demo",
        help="the whole node chain on the embedded sandbox (no network, no key)",
        description="Start the sandbox on a free loopback port and run the node chain as the "
        "nodes execute it: Create Assistant (with a function tool), Create Thread, Create "
        "Message, Create Run (wait), Submit Tool Outputs to Run (wait), List Messages.",
    )
    demo.add_argument("--message", default="Hello from KNIME!", help="the user message to send")
    demo.add_argument("--run-duration", type=seconds, default=0.3, metavar="S")
    demo.add_argument("--model-base-url", metavar="URL", help="answer with a real model (serve)")
    demo.add_argument("--model-api-key-env", metavar="NAME", help="its key's variable")
    demo.add_argument("--model", default="gpt-4o-mini", help="the model the assistant uses")
    demo.add_argument(
        "--max-wait",
        type=positive,
        default=120.0,
        metavar="S",
        help="seconds to wait for a run; then the demo cancels it and stops (default 120)",
    )
    demo.set_defaults(handler=run_demo)


def add_sandbox_parser(commands: Any) -> None:
    sandbox = commands.add_parser(
        "sandbox",
        help="serve the Assistants-compatible sandbox until stopped",
        description="Print the base URL on the first line, then serve until Ctrl+C. "
        "Fault counts apply to the next N API requests.",
    )
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=0, help="0 = any free port")
    sandbox.add_argument("--run-duration", type=seconds, default=0.3, metavar="S")
    sandbox.add_argument(
        "--api-key-env", metavar="NAME", help="require the key held by this variable (else any)"
    )
    sandbox.add_argument("--quiet", action="store_true", help="do not log requests to stderr")
    faults = sandbox.add_argument_group("fault injection")
    faults.add_argument("--latency-ms", type=count, default=0, metavar="MS")
    faults.add_argument("--rate-limit", type=count, default=0, metavar="N", help="429s")
    faults.add_argument("--retry-after", type=seconds, default=1.0, metavar="S")
    faults.add_argument("--server-error", type=count, default=0, metavar="N", help="5xx")
    faults.add_argument("--server-error-status", type=int, default=500, metavar="CODE")
    faults.add_argument("--drop-connection", type=count, default=0, metavar="N")
    faults.add_argument("--malformed-json", type=count, default=0, metavar="N")
    faults.add_argument("--truncated-stream", type=count, default=0, metavar="N")
    sandbox.set_defaults(handler=run_sandbox)


def run_demo(args: argparse.Namespace) -> int:
    from ..sandbox.demo import run_demo as demo_chain

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
        say(f"{next(numbered)}. {step.node}: {step.summary}", out)

    def started(base_url: str) -> None:
        if model is None:
            say(f"Sandbox: {base_url} (throwaway key; nothing leaves this machine)", out)
        else:
            say(f"Server: {base_url}, answering with {args.model} at {model.url}", out)
        say(f"User: {args.message}", out)

    lettered = iter("abcdefghij")
    document_lines: list[str] = []  # shown after the main chain's answer

    def show_document_step(step: Any) -> None:
        document_lines.append(f"  {next(lettered)}. {step.node}: {step.summary}")

    result = demo_chain(
        args.message,
        args.run_duration,
        model=model,
        model_name=args.model,
        on_step=show,
        on_start=started,
        max_wait=args.max_wait,
        documents=True,
        on_document_step=show_document_step,
    )
    say("List Messages output table (Structured), the columns that matter:", out)
    listing = next(step for step in result.steps if step.node == "List Messages")
    for row in listing.outcome.table.to_pylist():
        say(f"  {row['<RowID>']}  {row['role']}: {row['text']}", out)
    say(f"Run {result.run_id}: {' -> '.join(result.statuses)}", out)
    say(f"Final status: {result.statuses[-1]}", out)
    say(f"Assistant: {result.reply}", out)
    document = result.document
    if document is not None:
        say("Answers from a document (file_search):", out)
        for line in document_lines:
            say(line, out)
        say(f"Document question: {document.question}", out)
        say(f"Assistant: {document.reply}", out)
        for file_name, file_id in document.citations:
            say(f"Cited: {file_name} ({file_id})", out)
        if not document.citations:
            say("Cited: nothing (the reply names no search result)", out)
        if document.passage:
            say(f"Passage found: {document.passage}", out)
    if result.answers is not None:  # last: the one-node workflow's table
        from .table_output import format_table

        say("Assistant Prompter output table: the questions' table, 'Response' appended:", out)
        shown = result.answers.select(["<RowID>", "question", "topic", "Response", "status"])
        out.write(format_table(shown))
    return EXIT_OK


def run_sandbox(args: argparse.Namespace) -> int:
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
    log = None if args.quiet else (lambda line: say(line, sys.stderr))
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
    with server, stop_on_sigterm(stopped):
        say(server.base_url, sys.stdout)
        if not _is_loopback(args.host):
            say(f"warning: the sandbox on {args.host} can be reached from other hosts", sys.stderr)
        keys = f"the key in ${args.api_key_env}" if api_key else "any API key"
        say(f"Sandbox serving the Assistants API v2; accepts {keys}. Ctrl+C stops it.", sys.stderr)
        while not stopped.wait(0.2):  # a short wait keeps Ctrl+C and SIGTERM prompt
            pass
    return EXIT_OK


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
