"""``openai-assistants`` end to end against the embedded sandbox, in-process and as a process.

The key is a sentinel that must never show up in any output. Exit codes: 0 success, 1 a
request failed, 2 invalid input (nothing sent), 130 interrupted.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pandas as pd
import pytest

from openai_assistants.cli import main as cli
from openai_assistants.cli import operation_commands
from openai_assistants.sandbox import Faults, SandboxServer, start_sandbox

SENTINEL = "sk-SENTINEL-7f3a9c0e-never-print-me"
INCLUDE = "step_details.tool_calls[*].file_search.results[*].content"
RUN_ID = re.compile(r'"id": "(run_[0-9a-f]+)"')
SUBPROCESS_TIMEOUT = 30


@dataclass
class Target:
    """A sandbox with an assistant and a thread ready to run."""

    server: SandboxServer
    assistant_id: str
    thread_id: str

    @property
    def url(self) -> str:
        return self.server.base_url

    def args(self, *extra: str, body: dict | None = None) -> list[str]:
        """``create-run`` arguments for this sandbox's thread and assistant."""
        body = {"assistant_id": self.assistant_id} if body is None else body
        return [
            "create-run",
            "--base-url",
            self.url,
            "--thread-id",
            self.thread_id,
            "--body",
            json.dumps(body),
            *extra,
        ]

    def new_thread(self) -> str:
        response = httpx.post(
            f"{self.url}/threads",
            headers={"Authorization": f"Bearer {SENTINEL}", "OpenAI-Beta": "assistants=v2"},
            json={"messages": [{"role": "user", "content": "Hi from the CLI"}]},
        )
        return response.json()["id"]


@pytest.fixture
def target(monkeypatch: pytest.MonkeyPatch) -> Iterator[Target]:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with start_sandbox(api_key=SENTINEL, run_duration=0) as server:
        headers = {"Authorization": f"Bearer {SENTINEL}", "OpenAI-Beta": "assistants=v2"}
        assistant = httpx.post(
            f"{server.base_url}/assistants", headers=headers, json={"model": "m"}
        )
        target = Target(server, assistant.json()["id"], "")
        target.thread_id = target.new_thread()
        yield target


def run_cli(capsys: pytest.CaptureFixture[str], args: list[str]) -> tuple[int, str, str]:
    code = cli.main(args)
    out, err = capsys.readouterr()
    assert SENTINEL not in out + err
    return code, out, err


def run_process(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "openai_assistants", *args],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        env={**os.environ, **(env or {})},
    )
    assert SENTINEL not in result.stdout + result.stderr
    return result


def runs_sent(target: Target) -> int:
    return sum(1 for r in target.server.request_log if r.path.endswith("/runs"))


# success


def test_create_run_prints_status_and_body_and_sends_the_nodes_request(target, capsys):
    code, out, err = run_cli(capsys, target.args("--include", INCLUDE))
    assert code == 0, err
    assert out.startswith("status: 200\nbody:\n")
    run = json.loads(out.split("body:\n", 1)[1])
    assert run["object"] == "thread.run" and run["thread_id"] == target.thread_id
    sent = target.server.request_log[-1]
    assert (sent.method, sent.path) == ("POST", f"/v1/threads/{target.thread_id}/runs")
    assert sent.query == (("include[]", INCLUDE),)
    assert sent.header("Authorization") == "Bearer <redacted>"
    assert sent.header("OpenAI-Beta") == "assistants=v2"
    assert sent.json() == {"assistant_id": target.assistant_id}


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_output_file_holds_the_result_table(target, capsys, tmp_path, suffix):
    path = tmp_path / f"result{suffix}"
    code, out, err = run_cli(capsys, target.args("--output", str(path)))
    assert code == 0, err
    assert out == "" and f"wrote 1 row(s) to {path}" in err
    if suffix == ".csv":
        rows = pd.read_csv(path).to_dict(orient="records")
    elif suffix == ".json":
        rows = json.loads(path.read_text("utf-8"))
        assert isinstance(rows, list) and set(rows[0]) == {"body", "status"}
    else:
        rows = pd.read_parquet(path).to_dict(orient="records")
    assert len(rows) == 1 and int(rows[0]["status"]) == 200
    assert json.loads(rows[0]["body"])["object"] == "thread.run"


def test_body_from_file_stdin_and_thread_id_from_body(target, capsys, tmp_path, monkeypatch):
    body_file = tmp_path / "body.json"
    body_file.write_text(json.dumps({"assistant_id": target.assistant_id}), "utf-8")
    args = ["create-run", "--base-url", target.url, "--thread-id", target.thread_id]
    assert run_cli(capsys, [*args, "--body", f"@{body_file}"])[0] == 0
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO(body_file.read_text("utf-8")))
    assert run_cli(capsys, [*args, "--body", "@-"])[0] == 0
    thread = target.new_thread()
    body = json.dumps({"assistant_id": target.assistant_id, "thread_id": thread})
    code, _, err = run_cli(capsys, ["create-run", "--base-url", target.url, "--body", body])
    assert code == 0, err
    assert target.server.request_log[-1].path == f"/v1/threads/{thread}/runs"


def test_connection_options_reach_the_request(target, capsys, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", target.url)
    monkeypatch.setenv("MY_KEY", SENTINEL)
    args = target.args("--api-key-env", "MY_KEY", "--organization", "org-1", "--project", "proj-2")
    args[1:3] = []  # no --base-url: taken from OPENAI_BASE_URL
    assert run_cli(capsys, args)[0] == 0
    sent = target.server.request_log[-1]
    assert (sent.header("OpenAI-Organization"), sent.header("OpenAI-Project")) == (
        "org-1",
        "proj-2",
    )
    azure = target.args("--auth-style", "api-key", "--api-version", "2024-05-01-preview")
    assert run_cli(capsys, azure)[0] == 0
    sent = target.server.request_log[-1]
    assert sent.header("api-key") == "<redacted>" and sent.header("Authorization") is None
    assert ("api-version", "2024-05-01-preview") in sent.query


def test_wait_polls_until_the_run_ends_and_outputs_the_final_run(target, capsys):
    code, out, err = run_cli(capsys, target.args("--wait", "--poll-interval", "0.05"))
    assert code == 0, err
    assert json.loads(out.split("body:\n", 1)[1])["status"] == "completed"
    polls = [r for r in target.server.request_log if r.method == "GET"]
    assert polls and polls[-1].path.endswith("/runs/" + RUN_ID.search(out).group(1))


def test_structured_format_prints_typed_run_fields(target, capsys):
    code, out, err = run_cli(capsys, target.args("--format", "structured", "--include-headers"))
    assert code == 0, err
    fields = dict(line.split(": ", 1) for line in out.splitlines())
    assert fields["object"] == "thread.run" and fields["status"] == "queued"
    assert fields["thread_id"] == target.thread_id and fields["http_status"] == "200"
    assert fields["x-request-id"].startswith("req_")


def test_events_format_writes_one_row_per_event(target, capsys, tmp_path):
    body = {"assistant_id": target.assistant_id, "stream": True}
    path = tmp_path / "events.json"
    code, _, err = run_cli(
        capsys, target.args("--format", "events", "--output", str(path), body=body)
    )
    assert code == 0, err
    events = [row["event"] for row in json.loads(path.read_text("utf-8"))]
    assert events[0] == "thread.run.created" and events[-2:] == ["thread.run.completed", "done"]
    code, _, err = run_cli(capsys, target.args("--format", "events"))
    assert code == 2 and 'needs "stream": true' in err


def test_input_table_creates_one_run_per_row_with_row_ids(target, capsys, tmp_path):
    threads = [target.new_thread(), target.new_thread()]
    table = tmp_path / "runs.csv"
    pd.DataFrame({"thread": threads}).to_csv(table, index=False)
    path = tmp_path / "out.csv"
    args = [
        "create-run", "--base-url", target.url, "--input", str(table),
        "--thread-id-column", "thread", "--body", json.dumps({"assistant_id": target.assistant_id}),
        "--output", str(path), "--concurrency", "2",
    ]  # fmt: skip
    code, _, err = run_cli(capsys, args)
    assert code == 0, err
    out = pd.read_csv(path)
    assert list(out["row_id"]) == ["Row0", "Row1"] and list(out["status"]) == [200, 200]
    assert [json.loads(b)["thread_id"] for b in out["body"]] == threads


# invalid input: exit 2, nothing sent


@pytest.mark.parametrize(
    ("extra", "body", "message"),
    [
        (
            (),
            {"assistant_id": ""},
            "error: The JSON body is invalid: assistant_id: must not be empty",
        ),
        ((), {"assistant_id": "a", "bogus": 1}, "unknown field 'bogus'"),
        (("--include", "everything"), None, "Include[] value 'everything' not supported"),
        (("--max-retries", "99"), None, "Maximum retries must be between 0 and 10"),
        (("--output", "result.txt"), None, "must end in .csv, .json, .parquet"),
        (("--api-key-env", "NO_SUCH_KEY_VARIABLE"), None, "environment variable NO_SUCH_KEY"),
    ],
)
def test_invalid_input_exits_2_with_one_line_and_sends_nothing(
    target, capsys, extra, body, message
):
    code, out, err = run_cli(capsys, target.args(*extra, body=body))
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert runs_sent(target) == 0


def test_bad_arguments_exit_2(target, capsys, tmp_path):
    assert run_cli(capsys, ["create-run", "--thread-id", "t"])[0] == 2  # --body missing
    code, _, err = run_cli(capsys, [*target.args()[:5], "--body", f"@{tmp_path / 'nope.json'}"])
    assert code == 2 and "cannot read the file" in err
    assert run_cli(capsys, ["create-run", "--body", "{}", "--timeout", "soon"])[0] == 2
    assert runs_sent(target) == 0


def test_no_command_prints_help_and_exits_2(capsys):
    code, out, _ = run_cli(capsys, [])
    assert code == 2 and "usage: openai-assistants" in out and "create-run" in out


def test_allow_unknown_fields_sends_them_with_a_warning(target, capsys):
    body = {"assistant_id": target.assistant_id, "bogus": 1}
    args = target.args("--allow-unknown-fields", "--on-error", "output", body=body)
    code, out, err = run_cli(capsys, args)
    # sent as written; the sandbox, like the real API, refuses the unknown field
    assert code == 0 and out.startswith("status: 400\n")
    assert "warning: Sent as written: unknown field 'bogus'" in err
    assert target.server.request_log[-1].json()["bogus"] == 1


# request failures: exit 1


def test_output_that_cannot_be_written_exits_1_naming_the_runs_created(
    target, capsys, tmp_path, monkeypatch
):
    """The runs exist on the server although their table is lost: the message lists them."""

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(operation_commands, "write_table", disk_full)
    path = tmp_path / "result.csv"
    code, out, err = run_cli(capsys, target.args("--output", str(path)))
    assert code == 1 and out == ""
    created = target.server.request_log[-1]
    assert (created.method, created.path) == ("POST", f"/v1/threads/{target.thread_id}/runs")
    assert re.fullmatch(
        rf"error: The runs were requested, but {re.escape(str(path))} could not be written "
        r"\(No space left on device\)\. Runs created: Row0: run_[0-9a-f]+\.\n",
        err,
    ), err


def test_http_error_exits_1_or_becomes_a_row_with_on_error_output(target, capsys):
    missing = target.args()
    missing[missing.index(target.thread_id)] = "thread_missing"
    code, out, err = run_cli(capsys, missing)
    assert code == 1 and out == ""
    assert err.startswith("error: POST ") and "HTTP 404 Not Found" in err
    assert "No thread found with id 'thread_missing'" in err and err.count("\n") == 1
    code, out, err = run_cli(capsys, [*missing, "--on-error", "output"])
    assert code == 0 and out.startswith("status: 404\n")
    assert err.startswith("warning: POST ") and "HTTP 404" in err


def test_wrong_key_is_401_and_neither_key_is_printed(target, capsys, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL + "-wrong")
    code, out, err = run_cli(capsys, target.args())
    assert code == 1 and "HTTP 401" in err and "Incorrect API key provided" in err
    assert "wrong" not in out + err


def test_rate_limit_then_success_exits_0_with_a_retry_warning(target, capsys):
    target.server.set_faults(Faults(rate_limit=1, retry_after=0.05))
    code, out, err = run_cli(capsys, target.args("--max-retries", "1"))
    assert code == 0 and out.startswith("status: 200")
    assert "warning: Succeeded after 1 retry (HTTP 429)." in err
    assert "note: Retrying POST" in err
    assert runs_sent(target) == 2


def test_server_error_to_create_run_exits_1_without_a_second_send(target, capsys):
    target.server.set_faults(Faults(server_error=5))
    code, out, err = run_cli(capsys, target.args("--max-retries", "1"))
    assert code == 1 and out == ""
    assert "HTTP 500 Internal Server Error" in err and "The server had an error" in err
    assert f"A run on thread '{target.thread_id}' may have been created" in err
    assert runs_sent(target) == 1  # a 500 may come after the run was made: never re-sent


def test_persistent_503_is_retried_then_exits_1(target, capsys):
    target.server.set_faults(Faults(server_error=5, server_error_status=503))
    code, out, err = run_cli(capsys, target.args("--max-retries", "1"))
    assert code == 1 and out == ""
    assert "HTTP 503" in err and "may have been created" not in err
    assert runs_sent(target) == 2


def test_dropped_connection_exits_1_and_says_the_run_may_exist(target, capsys):
    target.server.set_faults(Faults(drop_connection=1))
    code, _, err = run_cli(capsys, target.args("--max-retries", "2"))
    assert code == 1
    assert f"A run on thread '{target.thread_id}' may have been created" in err
    assert runs_sent(target) == 1  # never re-sent: it could start a second run


def test_malformed_json_with_200_exits_1(target, capsys):
    target.server.set_faults(Faults(malformed_json=1))
    code, _, err = run_cli(capsys, target.args())
    assert code == 1 and "answered HTTP 200 with a body that is not JSON" in err


def test_truncated_stream_exits_1_and_complete_stream_exits_0(target, capsys):
    body = {"assistant_id": target.assistant_id, "stream": True}
    target.server.set_faults(Faults(truncated_stream=1))
    code, _, err = run_cli(capsys, target.args(body=body))
    assert code == 1 and "ended before 'data: [DONE]'" in err
    target.thread_id = target.new_thread()  # the cut stream's run may still go on on its thread
    code, out, err = run_cli(capsys, target.args(body=body))
    assert code == 0, err
    assert "event: thread.run.completed" in out and out.rstrip().endswith("data: [DONE]")


def test_latency_beyond_timeout_exits_1(target, capsys):
    target.server.set_faults(Faults(latency_ms=1500))
    code, _, err = run_cli(capsys, target.args("--timeout", "0.3"))
    assert code == 1 and "No response from POST" in err and "within 0.3 s" in err


# as a real process


def test_demo_process_runs_the_whole_chain_offline():
    started = time.monotonic()
    result = run_process(["demo"], env={"OPENAI_API_KEY": "", "OPENAI_BASE_URL": ""})
    assert result.returncode == 0, result.stderr
    steps = re.findall(r"^\d\. ([A-Za-z ]+): ", result.stdout, re.MULTILINE)
    assert steps == [
        "Create Assistant",
        "Create Thread",
        "Create Message",
        "Create Run",
        "Submit Tool Outputs to Run",
        "List Messages",
        "Create Assistant",
    ]
    assert "Cited: port-lune-guide.md (file-" in result.stdout  # the document step, offline
    assert "Passage found: The Port Lune lighthouse" in result.stdout
    run_id = re.search(r"Create Run: (run_[0-9a-f]+) waited until 'requires_action'", result.stdout)
    assert run_id, result.stdout
    assert f"Run {run_id.group(1)}: requires_action -> completed\n" in result.stdout
    assert "Final status: completed" in result.stdout
    assert "  Row0#1  assistant: Echo: Hello from KNIME! (tool output: 3 words)" in result.stdout
    assert "Assistant: Echo: Hello from KNIME! (tool output: 3 words)" in result.stdout
    prompter = result.stdout.split("Assistant Prompter output table", 1)[1]
    assert prompter.count("status: completed") == 3
    assert "Response: Echo: Where does the answer go?" in prompter
    assert time.monotonic() - started < 15


def test_create_run_process_against_the_sandbox(target):
    result = run_process(target.args(), env={"OPENAI_API_KEY": SENTINEL})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("status: 200") and RUN_ID.search(result.stdout)
    missing = run_process(target.args("--api-key-env", "UNSET_FOR_TEST"), env={})
    assert missing.returncode == 2 and missing.stderr.startswith("error: No API key found")


def test_sandbox_process_prints_its_url_first_and_serves_until_terminated():
    process = subprocess.Popen(
        [sys.executable, "-m", "openai_assistants", "sandbox", "--port", "0",
         "--api-key-env", "SANDBOX_KEY", "--rate-limit", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SANDBOX_KEY": SENTINEL},
    )  # fmt: skip
    try:
        first = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", first)
        headers = {"Authorization": f"Bearer {SENTINEL}", "OpenAI-Beta": "assistants=v2"}
        assert httpx.post(f"{first}/threads", headers=headers).status_code == 429
        assert httpx.post(f"{first}/threads", headers=headers).status_code == 200
        wrong = {**headers, "Authorization": "Bearer sk-other"}
        assert httpx.post(f"{first}/threads", headers=wrong).status_code == 401
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "POST /v1/threads 429" in err and "POST /v1/threads 401" in err
    assert "Traceback" not in err and SENTINEL not in out + err


def test_sandbox_refuses_an_empty_key_variable_and_bad_faults(capsys, monkeypatch):
    monkeypatch.delenv("EMPTY_SANDBOX_KEY", raising=False)
    code, _, err = run_cli(capsys, ["sandbox", "--api-key-env", "EMPTY_SANDBOX_KEY"])
    assert code == 2 and "EMPTY_SANDBOX_KEY is empty" in err
    code, _, err = run_cli(capsys, ["sandbox", "--server-error-status", "404"])
    assert code == 2 and "must be a 5xx status" in err


def test_ctrl_c_cancels_like_knime_and_exits_130_without_traceback(target):
    target.server.set_faults(Faults(latency_ms=5000))
    process = subprocess.Popen(
        [sys.executable, "-m", "openai_assistants", *target.args()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OPENAI_API_KEY": SENTINEL},
    )
    deadline = time.monotonic() + SUBPROCESS_TIMEOUT
    while not runs_sent(target) and time.monotonic() < deadline:  # it is waiting now
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 130
    assert err.startswith("Execution cancelled while waiting for POST")
    assert f"A run on thread '{target.thread_id}' may have been created" in err
    assert "Traceback" not in err and SENTINEL not in out + err
