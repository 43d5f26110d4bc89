"""The KNIME nodes against ``serve`` on a real socket, with a (fake) model behind it: the
Create Run node waits for the model's answer, and a streamed run reaches the node's Events
table with the model's text deltas, which arrive while the model is still writing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from fake_chat_completions import FakeChatCompletions, Text
from knime_contexts import ExecutionContext
from node_factories import SENTINEL_KEY, configuration_port, create_run_node

from openai_assistants.server.app import create_app
from openai_assistants.server.backends.chat_completions import ChatCompletionsBackend
from openai_assistants.server.runner import BackgroundServer
from openai_assistants.server.runs import Engine
from openai_assistants.server.store import SqliteStore

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
HEADERS = {"Authorization": f"Bearer {SENTINEL_KEY}", "OpenAI-Beta": "assistants=v2"}


@contextmanager
def serve(fake: FakeChatCompletions) -> Iterator[tuple[str, str, str]]:
    """``serve`` (chat-completions backend on the fake) on 127.0.0.1; base URL, assistant,
    thread with one user message."""
    backend = ChatCompletionsBackend("http://model.test/v1", transport=fake.transport())
    engine = Engine(SqliteStore(), backend)
    app = create_app(engine, api_keys=[SENTINEL_KEY])
    with (
        BackgroundServer(app, before_shutdown=engine.stop).start() as server,
        httpx.Client(base_url=server.base_url, headers=HEADERS, timeout=10) as http,
    ):
        assistant = http.post("/assistants", json={"model": "gpt-x"}).json()["id"]
        messages = [{"role": "user", "content": "Tell me something."}]
        thread = http.post("/threads", json={"messages": messages}).json()["id"]
        yield server.base_url, assistant, thread


def test_create_run_node_waits_for_the_models_answer_through_serve() -> None:
    fake = FakeChatCompletions([Text("Something.")])
    with serve(fake) as (url, assistant, thread):
        port = configuration_port(url, credentials="openai")
        node = create_run_node(
            thread_id=thread,
            body=json.dumps({"assistant_id": assistant}),
            wait_for_completion=True,
            poll_interval=0.1,
            result_format="STRUCTURED",
        )
        table, _ = node.execute(ExecutionContext({"openai": SENTINEL_KEY}), port)
        row = table.to_pandas().iloc[0]
        with httpx.Client(base_url=url, headers=HEADERS) as http:
            reply = http.get(f"/threads/{thread}/messages").json()["data"][0]
    assert row["status"] == "completed" and row["model"] == "gpt-x"
    assert row["usage_total_tokens"] == 18
    assert reply["content"][0]["text"]["value"] == "Something."
    assert reply["run_id"] == row["id"]
    assert fake.received[0].body["messages"] == [{"role": "user", "content": "Tell me something."}]


def test_streamed_run_delivers_deltas_while_the_model_writes_and_fills_the_events_table() -> None:
    fake = FakeChatCompletions([Text("one two three")], chunk_delay=0.25)
    with serve(fake) as (url, assistant, thread):
        arrivals: list[tuple[float, str]] = []
        with (
            httpx.Client(base_url=url, headers=HEADERS, timeout=10) as http,
            http.stream(
                "POST", f"/threads/{thread}/runs", json={"assistant_id": assistant, "stream": True}
            ) as response,
        ):
            for line in response.iter_lines():
                if line.startswith("event: "):
                    arrivals.append((time.monotonic(), line[7:]))
        deltas = [t for t, name in arrivals if name == "thread.message.delta"]
        completed = next(t for t, name in arrivals if name == "thread.run.completed")
        assert len(deltas) == 3
        assert completed - deltas[0] >= 0.4  # the first word came ~0.5 s before the end
        assert arrivals[-1][1] == "done"

        fake.script(Text("alpha beta"))
        port = configuration_port(url, credentials="openai")
        node = create_run_node(
            thread_id=thread,
            body=json.dumps({"assistant_id": assistant, "stream": True}),
            result_format="EVENTS",
        )
        table, _ = node.execute(ExecutionContext({"openai": SENTINEL_KEY}), port)
    events = table.to_pandas()
    text = "".join(
        json.loads(data)["delta"]["content"][0]["text"]["value"]
        for name, data in zip(events["event"], events["data"], strict=True)
        if name == "thread.message.delta"
    )
    assert text == "alpha beta"
    assert events["event"].tolist()[-2:] == ["thread.run.completed", "done"]
