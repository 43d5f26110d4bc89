"""The command line's only calls into the engine, and the connection they are given.

Every operation subcommand ends here: the connection settings become the configuration the
OpenAI Configuration node would carry, and the rows go through the execute path the nodes
call, with Ctrl+C as KNIME's cancel button. Kept in one small place so a change in how the
engine is called touches one file of the command line.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from ..client.connection import DEFAULT_BASE_URL, AuthStyle, ConnectionConfig
from .terminal import interrupt_as_cancel


def connection_config(args: argparse.Namespace) -> ConnectionConfig:
    """Where and how to reach the API, from the connection flags (the key stays in the
    environment: only the variable's name is kept)."""
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


def check_call(
    operation: Any,
    settings: Any,
    config: ConnectionConfig,
    options: Any,
    from_columns: Sequence[str],
) -> None:
    """Everything the node's configure() checks, before anything is read or sent."""
    from ..engine import execute as engine

    engine.check_call(operation, settings, config, options, from_columns=list(from_columns))


def execute_operation(
    operation: Any,
    inputs: Sequence[Any],
    config: ConnectionConfig,
    options: Any,
    *,
    quiet: bool = False,
) -> Any:
    """Any operation's rows through the engine, as the operation's node executes them: one
    client (the configuration and the key from the environment enter it once). A table of
    several rows shows its progress on standard error, as the node's bar (``quiet``: not)."""
    from ..client.client import ApiClient
    from ..engine import execute as engine
    from .progress import TableProgress

    progress = None if quiet or len(inputs) < 2 else TableProgress(sys.stderr)
    try:
        with interrupt_as_cancel() as interrupted:
            client = ApiClient.connect(config, is_canceled=interrupted.is_set)
            return engine.execute_operation(
                operation, inputs, client, options=options, progress=progress
            )
    finally:
        if progress is not None:
            progress.close()
