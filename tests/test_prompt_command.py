"""``openai-assistants prompt``: the Assistant Prompter on the command line, and the rows'
progress on standard error."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest

from openai_assistants.cli import main as cli
from openai_assistants.cli.progress import RowProgress, TableProgress, clock_time, line
from openai_assistants.sandbox import start_sandbox

KEY = "sk-sandbox-prompt-cli-0123456789"
APPENDED = [
    "Response", "thread_id", "run_id", "status", "prompt_tokens", "completion_tokens",
    "total_tokens", "citations", "required_action", "error",
]  # fmt: skip


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox(api_key=KEY, run_duration=0.05) as server:
        assistant = httpx.post(
            server.base_url + "/assistants",
            json={"model": "gpt-4o"},
            headers={"Authorization": f"Bearer {KEY}", "OpenAI-Beta": "assistants=v2"},
        ).json()["id"]
        yield server, assistant


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMPT_TEST_KEY", KEY)


def prompt(server, *extra: str) -> int:
    return cli.main(["prompt", "--base-url", server.base_url, "--api-key-env", "PROMPT_TEST_KEY",
                     *extra])  # fmt: skip


def test_a_csv_of_questions_comes_back_with_the_nodes_columns(sandbox, tmp_path, capsys) -> None:
    server, assistant = sandbox
    questions = tmp_path / "questions.csv"
    questions.write_text('id,question\n7,What is KNIME?\n8,\n9,"Hi, there"\n', "utf-8")
    answers = tmp_path / "answers.csv"
    code = prompt(server, "--input", str(questions), "--prompt-column", "question",
                  "--assistant-id", assistant, "--output", str(answers))  # fmt: skip
    assert code == 0
    rows = list(csv.DictReader(answers.open(encoding="utf-8")))
    assert list(rows[0]) == ["id", "question", *APPENDED]
    assert [r["id"] for r in rows] == ["7", "8", "9"]
    assert [r["Response"] for r in rows] == ["Echo: What is KNIME?", "", "Echo: Hi, there"]
    assert rows[0]["status"] == "completed" and rows[1]["status"] == ""
    assert rows[0]["total_tokens"].isdigit()  # a whole number, not 7.0
    err = capsys.readouterr().err
    assert "3/3 rows done, 0 running" in err and "wrote 3 row(s)" in err


def test_per_group_and_json_prompts_on_stdout_and_quiet(sandbox, tmp_path, capsys) -> None:
    server, assistant = sandbox
    questions = tmp_path / "q.json"
    content = [{"type": "text", "text": "from json"}]
    questions.write_text(json.dumps([
        {"question": json.dumps("one"), "topic": "a"},
        {"question": json.dumps(content), "topic": "a"},
    ]), "utf-8")  # fmt: skip
    code = prompt(server, "--input", str(questions), "--prompt-column", "question",
                  "--prompt-format", "json", "--assistant-id", assistant,
                  "--thread-mode", "per-group", "--group-column", "topic", "--quiet")  # fmt: skip
    assert code == 0
    captured = capsys.readouterr()
    assert "Response: Echo: one" in captured.out and "Response: Echo: from json" in captured.out
    threads = {ln for ln in captured.out.splitlines() if ln.startswith("thread_id: ")}
    assert len(threads) == 1  # one conversation
    assert "rows done" not in captured.err


def test_usage_errors_name_the_flag(sandbox, tmp_path, capsys) -> None:
    server, assistant = sandbox
    questions = tmp_path / "q.csv"
    questions.write_text("question\nhi\n", "utf-8")
    args = ["--input", str(questions), "--prompt-column", "question", "--assistant-id", assistant]
    assert prompt(server, *args, "--thread-mode", "per-group") == 2
    assert "--group-column" in capsys.readouterr().err
    assert prompt(server, "--input", str(questions), "--prompt-column", "nope") == 2
    assert "no column 'nope'" in capsys.readouterr().err


def test_a_failed_row_fails_the_command_or_is_output(sandbox, tmp_path, capsys) -> None:
    server, _ = sandbox
    questions = tmp_path / "q.csv"
    questions.write_text("question\nhi\n", "utf-8")
    args = ["--input", str(questions), "--prompt-column", "question", "--assistant-id", "asst_no"]
    assert prompt(server, *args) == 1
    assert "Row0: " in capsys.readouterr().err
    assert prompt(server, *args, "--on-error", "output") == 0
    captured = capsys.readouterr()
    assert "error: POST" in captured.out
    assert "warning: 1 of 1 rows failed" in captured.err


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_is_redrawn_in_place_on_a_terminal() -> None:
    stream, clock = io.StringIO(), _Clock()
    shown = RowProgress(stream, in_place=True, clock=clock)
    shown.update(0, 4, 2, 0)
    clock.now += 0.05
    shown.update(1, 4, 2, 0)  # too soon: not drawn
    clock.now += 1.0
    shown.update(2, 4, 2, 1)
    clock.now += 1.0
    shown.update(4, 4, 0, 1)
    text = stream.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n") and text.count("\n") == 1
    assert "\r2/4 rows done, 2 running, 1 failed, 0:01 elapsed, about 0:01 left\x1b[K" in text
    assert "\r4/4 rows done, 0 running, 1 failed, 0:02 elapsed\x1b[K\n" in text


def test_progress_into_a_file_is_plain_lines_now_and_then() -> None:
    stream, clock = io.StringIO(), _Clock()
    shown = RowProgress(stream, in_place=False, clock=clock)
    for done in range(10):
        shown.update(done, 10, 3, 0)
        clock.now += 1.0
    shown.update(10, 10, 0, 0)
    lines = stream.getvalue().splitlines()
    assert lines == [
        "0/10 rows done, 3 running, 0:00 elapsed",
        "5/10 rows done, 3 running, 0:05 elapsed, about 0:05 left",
        "10/10 rows done, 0 running, 0:10 elapsed",
    ]
    assert "\r" not in stream.getvalue() and "\x1b" not in stream.getvalue()


def test_time_reads_as_a_clock() -> None:
    assert [clock_time(s) for s in (7, 723, 3723)] == ["0:07", "12:03", "1:02:03"]
    assert line(1, 4, 1, 0, 10.0).endswith("about 0:30 left")


def test_the_subcommand_is_listed(capsys) -> None:
    assert cli.main(["prompt", "--help"]) == 0
    assert "--prompt-column" in capsys.readouterr().out


def test_a_tables_engine_progress_reads_with_the_time_elapsed_and_left() -> None:
    stream, clock = io.StringIO(), _Clock()
    shown = TableProgress(stream, in_place=False, clock=clock)
    shown(0.0, "0 of 4 runs done")
    clock.now += 6.0
    shown(0.5, "Waiting for 2 runs: 1 queued, 1 in_progress; 2 of 4 runs done")
    clock.now += 0.5
    shown(0.6, "too soon for a plain line")
    clock.now += 6.0
    shown(1.0, "4 of 4 runs done (HTTP 200)")
    assert stream.getvalue().splitlines() == [
        "0 of 4 runs done, 0:00 elapsed",
        "Waiting for 2 runs: 1 queued, 1 in_progress; 2 of 4 runs done, 0:06 elapsed, about "
        "0:06 left",
        "4 of 4 runs done (HTTP 200), 0:12 elapsed",
    ]
