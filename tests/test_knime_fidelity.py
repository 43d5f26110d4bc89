"""Every result format and option through KNIME's own output conversion.

For each format (Raw Response, Structured, Events), with and without header columns, for a
run as created, waited for, streamed, an error answer output as a row, and a table of runs,
the node is configured and executed as KNIME does, and its output table is written the way
KNIME writes it after execute(). Asserted: execute succeeds, writing succeeds, and the
executed schema equals the schema configure() declared, so downstream nodes configured on
the declared spec keep working.

On KNIME's real API (see tests/README.md) this runs ``knime._arrow``'s conversion; on the
test double, its table backend is at least as strict (it refuses what KNIME refuses and
keeps Arrow ``null`` columns distinct from String). Both catch issue 9's defects 1 (an
all-missing date-time column) and 2 (all-missing columns of type ``null``).
"""

from __future__ import annotations

import json
from pathlib import Path

import knime.extension as knext
import pandas as pd
import pytest
from http_stub import Reply, StubServer
from knime_contexts import ConfigurationContext, ExecutionContext
from knime_fidelity import write_output
from node_factories import SENTINEL_KEY, configuration_port, create_run_node

RUN = json.loads((Path(__file__).parent / "data" / "run-object.json").read_text())
QUEUED = RUN | {"status": "queued", "completed_at": None, "usage": None}
DONE = RUN | {"status": "completed", "usage": {"prompt_tokens": 1, "completion_tokens": 2,
                                                "total_tokens": 3}}  # fmt: skip
ERROR = json.dumps({"error": {"message": "No thread found", "type": "invalid_request_error"}})
SSE = {"Content-Type": "text/event-stream"}
STREAM_BODY = '{"assistant_id": "asst_1", "stream": true}'
CREDENTIALS = {"openai": SENTINEL_KEY}


def _stream(*runs: dict) -> str:
    events = [f"event: thread.run.{r['status']}\ndata: {json.dumps(r)}\n\n" for r in runs]
    return "".join(events) + "event: done\ndata: [DONE]\n\n"


def _json(run: dict) -> Reply:
    return Reply(200, json.dumps(run), headers={"x-request-id": "req_1"})


# scenario -> (node settings, replies, input table or None)
SCENARIOS = {
    "created": ({}, [_json(QUEUED)], None),
    "waited": (
        {"wait_for_completion": True, "poll_interval": 0.1},
        [_json(QUEUED), _json(DONE)],
        None,
    ),
    "streamed": ({"body": STREAM_BODY}, [Reply(200, _stream(QUEUED, DONE), headers=SSE)], None),
    "error-output": ({"error_handling": "OUTPUT"}, [Reply(404, ERROR)], None),
    "table": (
        {"thread_id_column": "thread", "error_handling": "OUTPUT", "concurrency": 1},
        [_json(QUEUED), Reply(404, ERROR)],
        pd.DataFrame({"thread": ["thread_a", "thread_b"]}, index=["r1", "r2"]),
    ),
}
FORMATS = ["RAW", "STRUCTURED", "EVENTS"]


def _cases() -> list:
    cases = []
    for result_format in FORMATS:
        for scenario in SCENARIOS:
            if result_format == "EVENTS" and scenario not in ("streamed", "error-output"):
                continue  # Events needs "stream": true (configure refuses it otherwise)
            for headers in (False, True):
                cases.append(pytest.param(result_format, scenario, headers,
                                          id=f"{result_format}-{scenario}-{headers=}"))  # fmt: skip
    return cases


@pytest.mark.parametrize(("result_format", "scenario", "include_headers"), _cases())
def test_execute_output_is_what_configure_declared(
    result_format: str, scenario: str, include_headers: bool
) -> None:
    settings, replies, frame = SCENARIOS[scenario]
    settings = dict(settings, result_format=result_format, include_headers=include_headers)
    if result_format == "EVENTS":
        settings.setdefault("body", STREAM_BODY)
    node = create_run_node(**settings)
    with StubServer() as server:
        server.reply(*replies)
        port = configuration_port(server.base_url, credentials="openai")
        table_in = None if frame is None else knext.Table.from_pandas(frame)
        spec_in = None if table_in is None else table_in.schema
        declared, _ = node.configure(ConfigurationContext(CREDENTIALS), port.spec, spec_in)
        args = () if table_in is None else (table_in,)
        output, _ = node.execute(ExecutionContext(CREDENTIALS), port, *args)
    assert output.schema == declared
    write_output(output)  # what KNIME does with the table after execute()
    assert output.num_rows >= (1 if frame is None else len(frame))


def test_structured_run_has_all_missing_date_times_and_headers() -> None:
    """The case of defects 1 and 2: a queued run (cancelled_at, failed_at, ... null) with
    header columns the server did not send."""
    node = create_run_node(result_format="STRUCTURED", include_headers=True)
    with StubServer() as server:
        server.reply(Reply(200, json.dumps(QUEUED)))
        port = configuration_port(server.base_url, credentials="openai")
        declared, _ = node.configure(ConfigurationContext(CREDENTIALS), port.spec)
        output, _ = node.execute(ExecutionContext(CREDENTIALS), port)
    assert output.schema == declared
    assert declared["cancelled_at"].ktype == knext.datetime(date=True, time=True, timezone=True)
    assert declared["x-request-id"].ktype == knext.string()
    frame = output.to_pandas()
    assert frame["cancelled_at"].isna().all() and frame["x-request-id"].isna().all()
    assert frame["status"].tolist() == ["queued"]


def test_a_result_beyond_knimes_batch_size_goes_as_a_table_with_the_same_content(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Up to KNIME's batch size the node hands KNIME one record batch, beyond it a table
    (which KNIME cuts into batches); KNIME reads and writes both alike."""
    import openai_assistants_knime.api_node.table_output as table_output

    settings, replies, frame = SCENARIOS["table"]
    outputs = []
    with StubServer() as server:
        port = configuration_port(server.base_url, credentials="openai")
        for limit in (table_output.KNIME_BATCH_BYTES, 0):
            monkeypatch.setattr(table_output, "KNIME_BATCH_BYTES", limit)
            node = create_run_node(**settings, result_format="STRUCTURED")
            server.reply(*replies)
            output, _ = node.execute(
                ExecutionContext(CREDENTIALS), port, knext.Table.from_pandas(frame)
            )
            write_output(output)
            outputs.append(output.to_pandas())
    as_batch, as_table = outputs
    pd.testing.assert_frame_equal(as_batch, as_table)
    assert list(as_batch.index) == ["r1", "r2"] and as_batch["http_status"].tolist() == [200, 404]
