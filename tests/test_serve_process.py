"""``openai-assistants serve`` as a real process on 127.0.0.1: the URL line, stopping with
SIGTERM, data that survives a restart, runs cut off by a stop or a crash, and the Create Run
command line running a whole chain through ``serve`` against a (fake) model endpoint.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import openai
import pytest
from fake_chat_completions import Calls, FakeChatCompletions, Text

from openai_assistants.cli.main import main
from openai_assistants.server.runner import BackgroundServer

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CLIENT_KEY = "sk-client-SENTINEL"
MODEL_KEY = "sk-model-SENTINEL"
STARTUP_SECONDS = 20


@contextmanager
def serve(*args: str, env: dict[str, str] | None = None) -> Iterator[tuple[subprocess.Popen, str]]:
    """A ``serve --port 0`` process and its URL; killed at the end if still running."""
    process = subprocess.Popen(
        [sys.executable, "-m", "openai_assistants", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        ready, _, _ = select.select([process.stdout], [], [], STARTUP_SECONDS)
        assert ready, "serve printed nothing"
        first = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/v1", first), first + process.stderr.read()
        yield process, first
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> tuple[str, str]:
    process.send_signal(sig)
    out, err = process.communicate(timeout=15)
    return out, err


def sdk(url: str, key: str = CLIENT_KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=url, api_key=key, max_retries=0, timeout=10)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl+C"])
def test_serve_prints_its_url_first_says_storage_is_memory_and_stops_cleanly(stop_signal):
    with serve("--backend", "echo", "--run-duration", "0") as (process, url):
        assert process.stdout.readline().startswith("Storage: in memory")
        client = sdk(url)
        assistant = client.beta.assistants.create(model="echo")
        thread = client.beta.threads.create(messages=[{"role": "user", "content": "ping"}])
        done = client.beta.threads.runs.create_and_poll(
            thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=20
        )
        assert done.status == "completed"
        out, err = stop(process, stop_signal)
    assert process.returncode == 0
    assert "POST /v1/threads 200" in err and "Traceback" not in err
    assert CLIENT_KEY not in out + err


def test_objects_survive_a_restart_and_cut_off_runs_fail_with_a_reason(tmp_path: Path):
    db = str(tmp_path / "assistants.db")
    with serve("--backend", "echo", "--run-duration", "0", "--db", db) as (process, url):
        assert process.stdout.readline().strip() == f"Storage: {db}"
        client = sdk(url)
        assistant = client.beta.assistants.create(model="echo", name="Keeper")
        thread = client.beta.threads.create(messages=[{"role": "user", "content": "remember"}])
        done = client.beta.threads.runs.create_and_poll(
            thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=20
        )
        assert done.status == "completed"
        stop(process)
    with serve("--backend", "echo", "--run-duration", "60", "--db", db) as (process, url):
        client = sdk(url)
        assert client.beta.assistants.retrieve(assistant.id).name == "Keeper"
        texts = [
            m.content[0].text.value
            for m in client.beta.threads.messages.list(thread.id, order="asc")
        ]
        assert texts == ["remember", "Echo: remember"]
        again = client.beta.threads.runs.retrieve(done.id, thread_id=thread.id)
        assert again.status == "completed" and again.usage == done.usage
        steps = client.beta.threads.runs.steps.list(done.id, thread_id=thread.id)
        assert [s.status for s in steps.data] == ["completed"]
        stopped = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
        crash_thread = client.beta.threads.create(messages=[{"role": "user", "content": "x"}])
        _, err = stop(process)  # SIGTERM: the in-flight run is failed on the way out
        assert process.returncode == 0 and "Traceback" not in err
    with serve("--backend", "echo", "--run-duration", "60", "--db", db) as (process, url):
        client = sdk(url)
        failed = client.beta.threads.runs.retrieve(stopped.id, thread_id=thread.id)
        assert failed.status == "failed" and failed.failed_at is not None
        assert failed.last_error.message.startswith("The server stopped while this run")
        crashed = client.beta.threads.runs.create(
            thread_id=crash_thread.id, assistant_id=assistant.id
        )
        stop(process, signal.SIGKILL)  # a crash: nothing is cleaned up
    with serve("--backend", "echo", "--db", db) as (process, url):
        recovered = sdk(url).beta.threads.runs.retrieve(crashed.id, thread_id=crash_thread.id)
        assert recovered.status == "failed"
        assert recovered.last_error.code == "server_error"
        assert "stopped while this run was in progress" in recovered.last_error.message
        stop(process)


def test_create_run_command_runs_a_chain_through_serve_on_a_model_endpoint(capsys, monkeypatch):
    fake = FakeChatCompletions([Text("Hello from the model.")])
    with BackgroundServer(fake.app()).start() as model:
        env = {"MODEL_KEY": MODEL_KEY, "CLIENTS": CLIENT_KEY}
        with serve(
            "--model-base-url",
            model.base_url,
            "--model-api-key-env",
            "MODEL_KEY",
            "--api-key-env",
            "CLIENTS",
            env=env,
        ) as (process, url):
            client = sdk(url)
            assistant = client.beta.assistants.create(model="gpt-real", instructions="Greet.")
            thread = client.beta.threads.create(messages=[{"role": "user", "content": "Hi!"}])
            monkeypatch.setenv("OPENAI_API_KEY", CLIENT_KEY)
            code = main(
                [
                    "create-run",
                    "--base-url",
                    url,
                    "--thread-id",
                    thread.id,
                    "--body",
                    f'{{"assistant_id": "{assistant.id}"}}',
                    "--wait",
                    "--poll-interval",
                    "0.05",
                    "--format",
                    "structured",
                ]
            )
            out = capsys.readouterr().out
            assert code == 0, out
            assert "status: completed" in out and "usage_total_tokens: 18" in out
            reply = client.beta.threads.messages.list(thread.id).data[0]
            assert reply.content[0].text.value == "Hello from the model."
            wrong = httpx.get(f"{url}/assistants", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_api_key"
            _, err = stop(process)
    (sent,) = fake.received
    assert sent.headers["authorization"] == f"Bearer {MODEL_KEY}"
    assert sent.body["messages"] == [
        {"role": "system", "content": "Greet."},
        {"role": "user", "content": "Hi!"},
    ]
    assert MODEL_KEY not in err and CLIENT_KEY not in err


def test_serve_refuses_settings_it_cannot_start_with(capsys, monkeypatch):
    monkeypatch.delenv("EMPTY_FOR_TEST", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--backend", "echo"]) == 2
    assert "set --api-key-env" in capsys.readouterr().err
    assert main(["serve", "--port", "0"]) == 2
    assert "--backend chat-completions needs --model-base-url" in capsys.readouterr().err
    assert main(["serve", "--model-base-url", "ftp://x", "--port", "0"]) == 2
    assert "--model-base-url: the model base URL must be an http(s) URL" in capsys.readouterr().err
    args = ["serve", "--backend", "echo", "--api-key-env", "EMPTY_FOR_TEST"]
    assert main(args) == 2
    assert "EMPTY_FOR_TEST is empty" in capsys.readouterr().err


def test_demo_shows_a_real_answer_when_a_model_endpoint_is_given(capsys, monkeypatch):
    fake = FakeChatCompletions(
        [
            Text("Hello, KNIME user."),
            *(Text("An answer.") for _ in "abc"),  # the Prompter's three questions
            Calls((("file_search", '{"queries": ["lighthouse keeper"]}'),)),
            Text("Ada Quill 【0:0†port-lune-guide.md】."),
        ]
    )
    monkeypatch.setenv("DEMO_MODEL_KEY", MODEL_KEY)
    with BackgroundServer(fake.app()).start() as model:
        args = ["demo", "--model-base-url", model.base_url, "--model-api-key-env", "DEMO_MODEL_KEY"]
        code = main([*args, "--model", "gpt-demo"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "answering with gpt-demo" in out and "Final status: completed" in out
    assert "Assistant: Hello, KNIME user." in out and MODEL_KEY not in out
    sent, *rest = fake.received  # the chain's run, the Prompter's questions, the document's
    assert len(rest) == 5 and out.count("Response: An answer.") == 3
    assert sent.body["model"] == "gpt-demo"
    assert "Assistant: Ada Quill 【0:0†port-lune-guide.md】." in out  # the document step
    assert "Cited: port-lune-guide.md (file-" in out
    assert [r.body["model"] for r in fake.received] == ["gpt-demo"] * 6
    assert sent.headers["authorization"] == f"Bearer {MODEL_KEY}"
