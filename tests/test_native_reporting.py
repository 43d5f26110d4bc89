"""What a node tells the user about a table, as KNIME's own nodes do.

* Many failed rows give one short warning ("30 of 40 rows failed; first: …; see the `error`
  column"), not every message joined; other warnings stay readable and bounded.
* While runs are waited on, the progress message says how many are queued, in progress or
  ended, and the progress bar moves: it does not sit at 0 % until the first run ends.

Through the engine and through a node on the test double, against the sandbox server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import knime.extension as knext
import pandas as pd
import pytest
from knime_contexts import ExecutionContext
from test_node_family import CREDENTIALS, KEY, node_for, set_values

from openai_assistants import operations
from openai_assistants.client.client import ApiClient
from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.engine.execute import (
    CallInput,
    CallSettings,
    ErrorHandling,
    OperationOptions,
    execute_operation,
)
from openai_assistants.engine.warning_summary import summarize_warnings
from openai_assistants.sandbox import SandboxServer, start_sandbox
from openai_assistants.tables.results import ResultFormat, RowResult

ENV = {"OPENAI_API_KEY": KEY}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with start_sandbox(api_key=KEY, run_duration=0) as server:
        yield server


def client_for(server: SandboxServer, **kwargs) -> ApiClient:
    config = ConnectionConfig(base_url=server.base_url, timeout=10.0, max_retries=0)
    return ApiClient.connect(config, environ=ENV, **kwargs)


def new_thread(server: SandboxServer) -> str:
    outcome = execute_operation(
        operations.by_id("createThread"),
        [CallInput("Row0", CallSettings(body="{}"))],
        client_for(server),
    )
    return json.loads(outcome.rows[0].response.text)["id"]


# --- many failed rows: one short warning ----------------------------------------------------


def test_many_failed_rows_give_one_short_warning(sandbox: SandboxServer) -> None:
    thread = new_thread(sandbox)
    ids = [thread if n % 4 == 0 else f"thread_gone_{n}" for n in range(40)]
    inputs = [CallInput(f"r{n}", CallSettings({"thread_id": t})) for n, t in enumerate(ids)]
    outcome = execute_operation(
        operations.by_id("getThread"),
        inputs,
        client_for(sandbox),
        options=OperationOptions(
            on_error=ErrorHandling.OUTPUT, result_format=ResultFormat.STRUCTURED
        ),
    )
    assert len(outcome.warnings) == 30  # every message is kept (the log, the CLI)
    summary = outcome.summary
    assert summary.startswith("30 of 40 rows failed; first: r1: ")
    assert "thread_gone_1" in summary and "thread_gone_2" not in summary
    assert summary.endswith("; see the `error` column.")
    assert len(summary) < 450
    errors = outcome.table.column("error").to_pylist()
    assert sum(e is not None for e in errors) == 30  # each row still has its own message


def test_a_node_shows_the_count_and_the_first_failure(sandbox: SandboxServer) -> None:
    from node_factories import configuration_port

    thread = new_thread(sandbox)
    ids = [thread, *(f"thread_gone_{n}" for n in range(1, 12))]
    table = knext.Table.from_pandas(
        pd.DataFrame({"thread": ids}, index=[f"Row{n}" for n in range(len(ids))])
    )
    port = configuration_port(sandbox.base_url, credentials="openai")
    node = set_values(
        node_for(operations.by_id("getThread")),
        thread_id_column="thread",
        result_format="STRUCTURED",
        error_handling="OUTPUT",
    )
    context = ExecutionContext(CREDENTIALS)
    output, _ = node.execute(context, port, table)
    (warning,) = context.warnings
    assert warning.startswith("11 of 12 rows failed; first: Row1: ")
    assert warning.count("HTTP 404") == 1 and warning.endswith("see the `error` column.")
    assert output.to_pandas()["error"].notna().sum() == 11


def test_other_warnings_are_grouped_by_their_text_and_bounded() -> None:
    rows = [RowResult(f"Row{n}", None) for n in range(200)]
    note = "Unknown body field 'colour' was sent as it is (allowed by Allow unknown fields)."
    warnings = [f"Row{n}: {note}" for n in range(200)]
    warnings += [f"Row{n}: distinct note number {n} " + "x" * 500 for n in range(10)]
    summary = summarize_warnings(warnings, rows, ResultFormat.STRUCTURED)
    assert summary.startswith(f"Row0, Row1, Row2 and 197 more rows: {note}")
    assert summary.count(note) == 1
    assert summary.endswith("8 more warnings in the log")
    assert len(summary) < 1200
    failed = [RowResult("a", None, "missing body: …"), RowResult("b", None)]
    assert summarize_warnings(["a: missing body: …"], failed) == (
        "1 of 2 rows failed: a: missing body: …; see the `error` column."
    )
    assert summarize_warnings([], rows) == ""
