"""Every operation is a subcommand generated from the operation data, on the engine's path.

In-process against the embedded sandbox on 127.0.0.1; the key is a sentinel that must
never be printed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import partial

import pandas as pd
import pytest
from cli_runs import field, run_cli

from openai_assistants import operations
from openai_assistants.cli import main as cli
from openai_assistants.sandbox import SandboxServer, start_sandbox

SENTINEL = "sk-SENTINEL-cli-operations-never-print-me"
TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {}}}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL)
    with start_sandbox(api_key=SENTINEL, run_duration=0) as sandbox:
        monkeypatch.setenv("OPENAI_BASE_URL", sandbox.base_url)
        yield sandbox


run = partial(run_cli, SENTINEL)  # fails a test that prints the key


def test_every_operation_has_its_subcommand_with_its_parameters(capsys) -> None:
    parser = cli.build_parser()
    for operation in operations.ALL:
        with pytest.raises(SystemExit):
            parser.parse_args([operation.cli_name, "--help"])
        help_text = capsys.readouterr().out
        for name in operation.path_parameters:
            assert f"--{name.replace('_', '-')} " in help_text, operation.cli_name
        for parameter in operation.query_parameters:
            assert f"--{parameter.setting.replace('_', '-')}" in help_text
        assert ("--body" in help_text) == operation.has_body
        assert ("--wait" in help_text) == (
            operation.operation_id
            in (
                "createRun", "createThreadAndRun", "getRun", "submitToolOuputsToRun",
                "createVectorStore", "createVectorStoreFile", "createVectorStoreFileBatch",
            )
        )  # fmt: skip
        assert ("--all-pages" in help_text) == operation.pages
        assert operation.pages == (operation.returns_list and "after" in operation.settings_keys)
        assert ("events" in help_text) == operation.can_stream


def test_the_chain_on_the_command_line(server, capsys) -> None:
    code, out, _ = run(
        capsys, "create-assistant", "--body", json.dumps({"model": "m", "tools": [TOOL]}),
        "--format", "structured",
    )  # fmt: skip
    assert code == 0 and field(out, "object") == ["assistant"]
    assistant = field(out, "id")[0]
    code, out, _ = run(capsys, "create-thread", "--format", "structured")
    thread = field(out, "id")[0]
    body = json.dumps({"role": "user", "content": "Hi there"})
    assert run(capsys, "create-message", "--thread-id", thread, "--body", body)[0] == 0
    code, out, _ = run(
        capsys, "create-run", "--thread-id", thread, "--body",
        json.dumps({"assistant_id": assistant}), "--wait", "--poll-interval", "0.01",
        "--format", "structured",
    )  # fmt: skip
    assert code == 0 and field(out, "status") == ["requires_action"]
    run_id = field(out, "id")[0]
    (call_id,) = re.findall(r'"id": "(call_[0-9a-f]+)"', out)
    code, out, _ = run(
        capsys, "submit-tool-outputs-to-run", "--thread-id", thread, "--run-id", run_id,
        "--body", json.dumps({"tool_outputs": [{"tool_call_id": call_id, "output": "7"}]}),
        "--wait", "--poll-interval", "0.01", "--format", "structured",
    )  # fmt: skip
    assert code == 0 and field(out, "status") == ["completed"]
    code, out, _ = run(
        capsys, "list-messages", "--thread-id", thread, "--order", "asc", "--format", "structured"
    )
    assert code == 0
    assert field(out, "row") == ["Row0#0", "Row0#1"]
    assert field(out, "text") == ["Hi there", "Echo: Hi there (tool output: 7)"]


def test_tool_outputs_and_ids_from_an_input_table(server, capsys, tmp_path) -> None:
    code, out, _ = run(capsys, "create-thread", "--format", "structured")
    threads = [field(out, "id")[0]]
    threads.append(field(run(capsys, "create-thread", "--format", "structured")[1], "id")[0])
    table = tmp_path / "messages.csv"
    pd.DataFrame({"thread": threads, "text": ['{"role": "user", "content": "a"}', None]}).to_csv(
        table, index=False
    )
    code, out, err = run(
        capsys, "create-message", "--input", str(table), "--thread-id-column", "thread",
        "--body-column", "text", "--body", '{"role": "user", "content": "dialog"}',
        "--format", "structured",
    )  # fmt: skip
    assert code == 2 and "Row1: missing body: the body column 'text' has a missing cell" in err
    pd.DataFrame({"thread": threads, "text": ['{"role": "user", "content": "a"}'] * 2}).to_csv(
        table, index=False
    )
    code, out, err = run(
        capsys, "create-message", "--input", str(table), "--thread-id-column", "thread",
        "--body-column", "text", "--format", "structured",
    )  # fmt: skip
    assert code == 0, err
    assert field(out, "row") == ["Row0", "Row1"]
    assert field(out, "thread_id") == threads
    assert field(out, "text") == ["a", "a"]


def test_pages_on_the_command_line(server, capsys, tmp_path) -> None:
    thread = field(run(capsys, "create-thread", "--format", "structured")[1], "id")[0]
    for n in range(3):
        body = json.dumps({"role": "user", "content": f"m{n}"})
        run(capsys, "create-message", "--thread-id", thread, "--body", body)
    output = tmp_path / "all.json"
    code, _, err = run(
        capsys, "list-messages", "--thread-id", thread, "--limit", "1", "--order", "asc",
        "--all-pages", "--max-items", "2", "--format", "structured", "--output", str(output),
    )  # fmt: skip
    assert code == 0 and "wrote 2 row(s)" in err
    rows = json.loads(output.read_text("utf-8"))
    assert [(r["row_id"], r["text"]) for r in rows] == [("Row0#0", "m0"), ("Row0#1", "m1")]


def test_invalid_input_exits_2_and_http_errors_exit_1(server, capsys) -> None:
    code, _, err = run(capsys, "get-thread")
    assert code == 2 and "Thread ID is empty" in err
    code, _, err = run(capsys, "list-runs", "--thread-id", "t", "--limit", "500")
    assert code == 2 and "Limit: 500 is above the maximum 100" in err
    code, _, err = run(capsys, "get-run", "--thread-id", "t", "--run-id-column", "r")
    assert code == 2 and "--run-id-column needs --input FILE" in err
    code, _, err = run(
        capsys, "create-thread-and-run", "--body", '{"assistant_id": "a"}', "--format", "events"
    )
    assert code == 2 and '"stream": true' in err
    code, _, err = run(capsys, "delete-thread", "--thread-id", "thread_missing")
    assert code == 1 and "DELETE " in err and "/threads/thread_missing failed: HTTP 404" in err
    code, out, err = run(
        capsys, "get-thread", "--thread-id", "thread_missing", "--on-error", "output",
        "--format", "structured",
    )  # fmt: skip
    assert code == 0 and field(out, "http_status") == ["404"] and "warning:" in err


def test_a_table_shows_its_progress_on_stderr_unless_quiet(server, capsys, tmp_path) -> None:
    threads = [field(run(capsys, "create-thread", "--format", "structured")[1], "id")[0]]
    threads.append(field(run(capsys, "create-thread", "--format", "structured")[1], "id")[0])
    table = tmp_path / "threads.csv"
    pd.DataFrame({"thread": threads}).to_csv(table, index=False)
    args = ("get-thread", "--input", str(table), "--thread-id-column", "thread")
    code, out, err = run(capsys, *args, "--format", "structured")
    assert code == 0, err
    # not a terminal: plain lines, the last one when the table is done
    assert re.search(r"^2 of 2 requests done \(HTTP 200\), 0:\d\d elapsed$", err, re.M), err
    assert field(out, "id") == threads  # standard output keeps only the result
    code, out, err = run(capsys, *args, "--format", "structured", "--quiet")
    assert code == 0 and "requests done" not in err
