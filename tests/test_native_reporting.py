"""What a node tells the user about a table, as KNIME's own nodes do.

* Many failed rows give one short warning ("30 of 40 rows failed; first: …; see the `error`
  column"), not every message joined; other warnings stay readable and bounded.
* While runs are waited on, the progress message says how many are queued, in progress or
  ended, and the progress bar moves: it does not sit at 0 % until the first run ends.

Through the engine and through a node on the test double, against the sandbox server.
"""

from __future__ import annotations

import json
import threading
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
    WaitOptions,
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


# --- waiting for runs: the states in the progress message, a bar that moves -------------------


@pytest.fixture(scope="module")
def slow_runs() -> Iterator[SandboxServer]:
    """Runs that stay queued ~0.2 s, then in_progress ~0.4 s."""
    with start_sandbox(api_key=KEY, run_duration=0.6) as server:
        yield server


def assistant_in(server: SandboxServer) -> str:
    outcome = execute_operation(
        operations.by_id("createAssistant"),
        [CallInput("Row0", CallSettings(body='{"model": "gpt-4o"}'))],
        client_for(server),
    )
    return json.loads(outcome.rows[0].response.text)["id"]


def run_bodies(assistant: str, count: int) -> list[str]:
    return [
        json.dumps({"assistant_id": assistant, "thread": {"messages": [
            {"role": "user", "content": f"question {n}"}]}})
        for n in range(count)
    ]  # fmt: skip


def assert_moves_while_waiting(reports: list[tuple[float, str]], runs: int) -> None:
    """States named while nothing is done yet, the bar above 0 then, never going back."""
    noun = "run" if runs == 1 else "runs"
    before_first_done = [
        (fraction, message) for fraction, message in reports if f"0 of {runs} " in message
    ]
    waiting = [(f, m) for f, m in before_first_done if m.startswith(f"Waiting for {runs} {noun}")]
    assert waiting, reports
    assert any("queued" in m or "in_progress" in m for _, m in waiting), reports
    assert all(0 < f < 1 for f, _ in waiting), reports
    fractions = [f for f, _ in reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0, reports


def test_progress_names_the_runs_states_while_waiting(slow_runs: SandboxServer) -> None:
    assistant = assistant_in(slow_runs)
    inputs = [CallInput(f"Row{n}", CallSettings(body=b)) for n, b in enumerate(
        run_bodies(assistant, 4))]  # fmt: skip
    reports: list[tuple[float, str]] = []
    threads: set[int] = set()

    def progress(fraction: float, message: str) -> None:
        threads.add(threading.get_ident())
        reports.append((fraction, message))

    outcome = execute_operation(
        operations.by_id("createThreadAndRun"),
        inputs,
        client_for(slow_runs),
        options=OperationOptions(
            result_format=ResultFormat.STRUCTURED,
            wait=WaitOptions(poll_interval=0.05, max_wait=20.0),
            concurrency=4,
        ),
        progress=progress,
    )
    assert outcome.table.column("status").to_pylist() == ["completed"] * 4
    assert threads == {threading.get_ident()}  # never from a worker: KNIME's context
    assert_moves_while_waiting(reports, 4)
    assert any(m.startswith("Waiting for 4 runs: ") and "in_progress" in m for _, m in reports)
    assert reports[-1] == (1.0, "4 of 4 requests done (HTTP 200)")


def test_a_single_run_does_not_sit_at_zero(slow_runs: SandboxServer) -> None:
    assistant = assistant_in(slow_runs)
    reports: list[tuple[float, str]] = []
    execute_operation(
        operations.by_id("createThreadAndRun"),
        [CallInput("Row0", CallSettings(body=run_bodies(assistant, 1)[0]))],
        client_for(slow_runs),
        options=OperationOptions(wait=WaitOptions(poll_interval=0.05, max_wait=20.0)),
        progress=lambda fraction, message: reports.append((fraction, message)),
    )
    assert (0.25, "Waiting for 1 run: 1 queued; 0 of 1 requests done") in reports
    assert (0.5, "Waiting for 1 run: 1 in_progress; 0 of 1 requests done") in reports
    assert_moves_while_waiting(reports, 1)


def test_a_node_waiting_for_runs_shows_their_states(slow_runs: SandboxServer) -> None:
    from node_factories import configuration_port

    assistant = assistant_in(slow_runs)
    bodies = run_bodies(assistant, 3)
    table = knext.Table.from_pandas(pd.DataFrame({"body": bodies}, index=["a", "b", "c"]))
    port = configuration_port(slow_runs.base_url, credentials="openai")
    node = set_values(
        node_for(operations.by_id("createThreadAndRun")),
        body=bodies[0],
        body_column="body",
        result_format="STRUCTURED",
        wait_for_completion=True,
        poll_interval=0.1,
    )
    context = ExecutionContext(CREDENTIALS)
    output, _ = node.execute(context, port, table)
    assert output.to_pandas()["status"].tolist() == ["completed"] * 3
    reports = [(f, m or "") for f, m in context.progress[1:]]  # after the start message
    assert_moves_while_waiting(reports, 3)


def test_run_states_are_listed_in_lifecycle_order_and_reported_on_change() -> None:
    from openai_assistants.engine.run_progress import RunProgress

    reports: list[tuple[float, str]] = []
    runs = RunProgress(200, "runs", lambda fraction, message: reports.append((fraction, message)))
    for row, status in enumerate(["completed", "in_progress", "queued", "queued"]):
        runs.update(row, status)
    runs.report(12)
    runs.report(12)  # nothing changed: nothing said again
    assert reports == [
        ((12 + 0.9 + 0.5 + 0.25 * 2) / 200,
         "Waiting for 4 runs: 2 queued, 1 in_progress, 1 completed; 12 of 200 runs done"),
    ]  # fmt: skip
    runs.row_done(0)
    runs.update(1, "failed")
    runs.report(13)
    assert reports[-1][1] == "Waiting for 3 runs: 2 queued, 1 failed; 13 of 200 runs done"
    assert reports[-1][0] > reports[0][0]
