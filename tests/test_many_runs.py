"""Many runs per execution: an input table, concurrency, order, errors per row, 429s."""

from __future__ import annotations

import json
import time

import knime.extension as knext
import pandas as pd
import pytest
from http_stub import Reply, StubServer
from knime_contexts import ConfigurationContext, ExecutionContext
from node_factories import SENTINEL_KEY, configuration_port, create_run_node
from run_calls import create_many_runs, run_settings

from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.engine.execute import CallInput, ErrorHandling, OperationOptions
from openai_assistants.errors import CancelledError, HttpStatusError, InvalidSettingsError

CREDENTIALS = {"openai": SENTINEL_KEY}
ERROR = '{"error": {"message": "No thread", "type": "x", "param": null, "code": null}}'


def ok(n: int) -> Reply:
    return Reply(200, json.dumps({"id": f"run_{n}", "object": "thread.run", "status": "queued"}))


def inputs(count: int) -> list[CallInput]:
    return [
        CallInput(f"R{i}", run_settings(thread_id=f"thread_{i}", body='{"assistant_id": "asst_1"}'))
        for i in range(count)
    ]


def create_runs(base_url: str, runs: list[CallInput], **options):
    return create_many_runs(
        runs,
        ConnectionConfig(base_url=base_url, max_retries=2),
        options=OperationOptions(**options),
        environ={"OPENAI_API_KEY": SENTINEL_KEY},
    )


def test_rows_come_back_in_input_order_with_their_row_ids() -> None:
    with StubServer() as server:
        server.reply(*[Reply(200, ok(i).body, delay=0.05 * (6 - i)) for i in range(6)])
        outcome = create_runs(server.base_url, inputs(6), concurrency=3)
    assert outcome.table["<RowID>"].to_pylist() == [f"R{i}" for i in range(6)]
    assert sorted(r.path for r in server.received) == sorted(
        f"/v1/threads/thread_{i}/runs" for i in range(6)
    )


def test_concurrency_overlaps_requests() -> None:
    with StubServer() as server:
        server.reply(*[Reply(200, ok(i).body, delay=0.2) for i in range(8)])
        started = time.monotonic()
        create_runs(server.base_url, inputs(8), concurrency=4)
        elapsed = time.monotonic() - started
    assert elapsed < 0.2 * 8 / 2  # at least twice as fast as one at a time


def test_failing_row_is_output_without_losing_the_others() -> None:
    runs = inputs(3)
    runs[1] = CallInput("R1", run_settings(thread_id="t", body='{"assistant_id": 5}'))
    runs[2] = CallInput("R2", run_settings(thread_id="thread_2", body='{"assistant_id": "a"}'))
    with StubServer() as server:
        server.reply(ok(0), Reply(404, ERROR))
        outcome = create_runs(server.base_url, runs, on_error=ErrorHandling.OUTPUT, concurrency=1)
    status = outcome.table["status"].to_pylist()
    assert status[0] == 200 and status[1] is None
    assert status[2] == 404  # R2's own answer, not lost with R1
    assert any(w.startswith("R1: The JSON body is invalid") for w in outcome.warnings)
    assert any(w.startswith("R2: POST") and "No thread" in w for w in outcome.warnings)
    assert [r.path for r in server.received] == [
        "/v1/threads/thread_0/runs",
        "/v1/threads/thread_2/runs",
    ]  # the invalid row R1 was never sent


def test_first_failure_fails_the_execution_in_fail_mode() -> None:
    with StubServer() as server:
        server.reply(Reply(404, ERROR), *[ok(i) for i in range(5)])
        with pytest.raises(HttpStatusError, match="No thread"):
            create_runs(server.base_url, inputs(3), concurrency=1)


def test_invalid_row_in_fail_mode_names_the_row_and_sends_nothing() -> None:
    runs = inputs(3)
    runs[2] = CallInput("R2", run_settings(thread_id="", body='{"assistant_id": "a"}'))
    with (
        StubServer() as server,
        pytest.raises(InvalidSettingsError, match=r"^R2: The Thread ID is empty"),
    ):
        create_runs(server.base_url, runs)
    assert server.received == []


def test_a_rate_limit_pauses_every_worker() -> None:
    """The first answer is a 429; the two requests already in flight answer 0.2 s later.

    Once the 429 has arrived, no worker may start a request before Retry-After has passed,
    so everything after the first three requests arrives at least 0.5 s after the first.
    """
    slow_ok = Reply(200, '{"id": "run_1", "object": "thread.run", "status": "queued"}', delay=0.2)
    with StubServer() as server:
        # the 429 comes 50 ms late, so all three workers have surely sent before it arrives
        # (answered at once, it could arrive before a third thread had even started)
        rate_limited = Reply(429, ERROR, headers={"Retry-After": "0.5"}, delay=0.05)
        server.reply(rate_limited, *[slow_ok] * 8)
        outcome = create_runs(server.base_url, inputs(6), concurrency=3)
    first = server.received[0].at
    arrivals = sorted(r.at - first for r in server.received)
    assert all(t < 0.1 for t in arrivals[:3])  # three workers start together
    assert all(t >= 0.45 for t in arrivals[3:])  # then everyone waits out the 429
    assert len(arrivals) == 7  # six runs and the one retry
    assert outcome.table["status"].to_pylist() == [200] * 6


def test_node_takes_threads_and_bodies_from_columns_with_fallback() -> None:
    """A missing thread ID cell takes the dialog's thread; a missing body cell creates no run
    (the dialog's body is not sent for it): its row holds missing values."""
    frame = pd.DataFrame(
        {
            "thread": ["thread_a", None, "thread_c"],
            "request": ['{"assistant_id": "asst_x"}', '{"assistant_id": "asst_y"}', None],
        },
        index=["first", "second", "third"],
    )
    with StubServer() as server:
        server.reply(ok(1), ok(2))
        port = configuration_port(server.base_url, credentials="openai")
        node = create_run_node(
            thread_id="thread_default",
            body='{"assistant_id": "asst_default"}',
            thread_id_column="thread",
            body_column="request",
            concurrency=1,
            error_handling="OUTPUT",
        )
        context = ExecutionContext(CREDENTIALS)
        table, passthrough = node.execute(context, port, knext.Table.from_pandas(frame))
    sent = {(r.path, json.loads(r.body)["assistant_id"]) for r in server.received}
    assert sent == {
        ("/v1/threads/thread_a/runs", "asst_x"),
        ("/v1/threads/thread_default/runs", "asst_y"),
    }
    result = table.to_pandas()
    assert list(result.index) == ["first", "second", "third"]
    assert result["status"].isna().tolist() == [False, False, True]
    assert result["status"].iloc[:2].tolist() == [200, 200]
    assert passthrough is port
    assert [round(p, 2) for p, _ in context.progress[1:]] == [0.67, 1.0]
    (warning,) = context.warnings
    assert "third: missing body: the body column 'request'" in warning


def test_configure_checks_the_chosen_columns() -> None:
    port = configuration_port("https://api.openai.com/v1")
    schema = knext.Schema.from_columns(
        [knext.Column(knext.string(), "thread"), knext.Column(knext.int64(), "n")]
    )
    ok_node = create_run_node(thread_id="", thread_id_column="thread")
    table_schema, _ = ok_node.configure(ConfigurationContext(), port.spec, schema)
    assert table_schema.column_names == ["body", "status"]
    with pytest.raises(knext.InvalidParametersError, match="no column 'missing'"):
        create_run_node(thread_id_column="missing").configure(
            ConfigurationContext(), port.spec, schema
        )
    with pytest.raises(knext.InvalidParametersError, match="'n' must hold strings"):
        create_run_node(body_column="n").configure(ConfigurationContext(), port.spec, schema)


def test_none_column_choice_means_the_dialog_value() -> None:
    frame = pd.DataFrame({"thread": ["thread_a"]}, index=["only"])
    with StubServer() as server:
        server.reply(ok(1))
        port = configuration_port(server.base_url, credentials="openai")
        node = create_run_node(
            thread_id="thread_dialog", thread_id_column=knext.ColumnParameter.NONE
        )
        node.execute(ExecutionContext(CREDENTIALS), port, knext.Table.from_pandas(frame))
    assert server.received[0].path == "/v1/threads/thread_dialog/runs"


def test_cancel_stops_a_table_of_runs_within_a_second() -> None:
    with StubServer() as server:
        server.reply(*[Reply(200, ok(i).body, delay=1.0) for i in range(8)])
        cancel_at = time.monotonic() + 0.3
        with pytest.raises(CancelledError):
            create_many_runs(
                inputs(8),
                ConnectionConfig(base_url=server.base_url),
                options=OperationOptions(concurrency=2),
                environ={"OPENAI_API_KEY": SENTINEL_KEY},
                is_canceled=lambda: time.monotonic() > cancel_at,
            )
        assert time.monotonic() - cancel_at < 1.0
    assert len(server.received) == 2  # the rows not yet started were never sent


def test_runs_from_a_table_file_fall_back_to_the_settings_cell_by_cell() -> None:
    """The CLI's --input: one run per row, row IDs kept; a missing thread ID cell (None, NaN)
    takes the settings' value, a missing body cell makes the row "missing body" (nothing
    sent); a JSON file's body object is sent as its JSON text."""
    from openai_assistants.engine.inputs import column_cells, inputs_from_rows

    def runs_from_table(table, settings, thread_id_column="", body_column=""):
        """As ``create-run --input``: the columns' cells, one call per row."""
        columns = {"thread_id": thread_id_column, "body": body_column}
        cells = {key: column_cells(table, name) for key, name in columns.items() if name}
        row_ids = [str(row_id) for row_id in table.index]
        return inputs_from_rows(row_ids, settings, cells, columns)

    settings = run_settings(thread_id="thread_dialog", body='{"assistant_id": "asst_d"}')
    table = pd.DataFrame(
        {
            "thread": ["thread_a", None, float("nan")],
            "body": [None, {"assistant_id": "asst_b"}, '{"assistant_id": "asst_c"}'],
        },
        index=["Row0", "Row1", "Row2"],
    )
    runs = runs_from_table(table, settings, "thread", "body")
    assert [run.row_id for run in runs] == ["Row0", "Row1", "Row2"]
    assert [run.settings.path_values["thread_id"] for run in runs] == [
        "thread_a",
        "thread_dialog",
        "thread_dialog",
    ]
    assert runs[0].problem.startswith("missing body: the body column 'body' has a missing cell")
    assert [json.loads(run.settings.body)["assistant_id"] for run in runs[1:]] == [
        "asst_b",
        "asst_c",
    ]
    assert not runs[1].problem and not runs[2].problem
    assert runs_from_table(table, settings)[1].settings == settings
    with pytest.raises(
        InvalidSettingsError, match=r"no column 'missing' \(columns: thread, body\)"
    ):
        runs_from_table(table, settings, body_column="missing")
