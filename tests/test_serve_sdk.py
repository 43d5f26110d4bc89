"""``serve`` with the official ``openai`` SDK as its client, and a fake Chat Completions model.

The application is mounted in-process (the SDK's http client on an ASGI transport), so each
test runs in one event loop with no threads or sockets; the fake model endpoint
(:mod:`fake_chat_completions`) records every request the server sent it. What is proved here
is the issue's "done when": the SDK's assistants code (create assistant, thread, message,
``create_and_poll``, ``stream``, the tool-output round trip, pagination) works unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx2
import openai
import pytest
from fake_chat_completions import Calls, Fail, FakeChatCompletions, Text
from openai import AsyncAssistantEventHandler

from openai_assistants.server.app import create_app
from openai_assistants.server.backends import TextDelta
from openai_assistants.server.backends.chat_completions import ChatCompletionsBackend
from openai_assistants.server.backends.echo import EchoBackend
from openai_assistants.server.runs import Engine
from openai_assistants.server.store import SqliteStore

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

MODEL_KEY = "sk-model-SENTINEL-never-leaves"
BASE = "http://serve.test/v1"
POLL = {"poll_interval_ms": 5}
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


@contextlib.asynccontextmanager
async def serving(
    fake: FakeChatCompletions | None = None,
    *,
    backend: Any = None,
    api_keys: list[str] | None = None,
    **engine_options: Any,
) -> AsyncIterator[tuple[openai.AsyncOpenAI, Engine]]:
    """The server app with a fresh in-memory store, and an SDK client mounted on it."""
    if backend is None:
        backend = ChatCompletionsBackend(
            "http://model.test/v1",
            api_key=MODEL_KEY,
            transport=(fake or FakeChatCompletions()).transport(),
        )
    engine = Engine(SqliteStore(), backend, **engine_options)
    app = create_app(engine, api_keys=api_keys)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=BASE) as http,
    ):
        key = api_keys[0] if api_keys else "sk-client"
        yield (
            openai.AsyncOpenAI(api_key=key, base_url=BASE, http_client=http, max_retries=0),
            engine,
        )


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(test(), timeout=30))


async def assistant_and_thread(
    client: openai.AsyncOpenAI, text: str = "What is the capital of France?", **assistant: Any
) -> tuple[Any, Any]:
    created = await client.beta.assistants.create(
        **{"model": "gpt-test", "instructions": "Be brief.", **assistant}
    )
    thread = await client.beta.threads.create()
    await client.beta.threads.messages.create(thread_id=thread.id, role="user", content=text)
    return created, thread


def test_create_and_poll_sends_the_assistant_and_thread_to_the_model_and_appends_its_answer():
    fake = FakeChatCompletions([Text("Paris.")], usage=(21, 2))

    async def scenario() -> None:
        async with serving(fake) as (client, _):
            assistant, thread = await assistant_and_thread(client, temperature=0.2)
            run_ = await client.beta.threads.runs.create_and_poll(
                thread_id=thread.id,
                assistant_id=assistant.id,
                additional_instructions="Answer in English.",
                max_completion_tokens=300,
                **POLL,
            )
            assert run_.status == "completed" and run_.completed_at is not None
            assert run_.usage.prompt_tokens == 21 and run_.usage.total_tokens == 23
            messages = await client.beta.threads.messages.list(thread_id=thread.id, order="asc")
            reply = messages.data[-1]
            assert reply.role == "assistant" and reply.content[0].text.value == "Paris."
            assert reply.run_id == run_.id and reply.assistant_id == assistant.id
            steps = await client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run_.id)
            assert [(s.type, s.status) for s in steps.data] == [("message_creation", "completed")]
            assert steps.data[0].step_details.message_creation.message_id == reply.id

    run(scenario)
    (sent,) = fake.received
    assert sent.url == "http://model.test/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {MODEL_KEY}"
    assert sent.body["model"] == "gpt-test"
    assert sent.body["messages"] == [
        {"role": "system", "content": "Be brief.\nAnswer in English."},
        {"role": "user", "content": "What is the capital of France?"},
    ]
    assert sent.body["temperature"] == 0.2 and sent.body["max_completion_tokens"] == 300
    assert "stream" not in sent.body and "tools" not in sent.body


def test_run_options_reach_the_model_request():
    fake = FakeChatCompletions([Text("{}")])

    async def scenario() -> None:
        async with serving(fake) as (client, _):
            assistant, thread = await assistant_and_thread(client, text="first")
            await client.beta.threads.messages.create(thread.id, role="assistant", content="ok")
            run_ = await client.beta.threads.runs.create_and_poll(
                thread_id=thread.id,
                assistant_id=assistant.id,
                model="gpt-override",
                instructions="Only JSON.",
                additional_messages=[{"role": "user", "content": "second"}],
                truncation_strategy={"type": "last_messages", "last_messages": 2},
                response_format={"type": "json_object"},
                tools=[WEATHER],
                tool_choice={"type": "function", "function": {"name": "get_weather"}},
                parallel_tool_calls=False,
                top_p=0.5,
                **POLL,
            )
            assert run_.status == "completed"

    run(scenario)
    body = fake.received[0].body
    assert body["model"] == "gpt-override"
    assert body["messages"] == [
        {"role": "system", "content": "Only JSON."},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "second"},
    ]
    assert body["response_format"] == {"type": "json_object"}
    assert body["tools"] == [WEATHER]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert body["parallel_tool_calls"] is False and body["top_p"] == 0.5
    assert "temperature" not in body  # the default 1 is left out (reasoning models refuse it)


def test_reasoning_effort_of_the_assistant_reaches_the_model():
    fake = FakeChatCompletions([Text("ok")])

    async def scenario() -> None:
        async with serving(fake) as (client, _):
            assistant, thread = await assistant_and_thread(
                client, model="o3-mini", reasoning_effort="low"
            )
            done = await client.beta.threads.runs.create_and_poll(
                thread_id=thread.id, assistant_id=assistant.id, **POLL
            )
            assert done.status == "completed"

    run(scenario)
    assert fake.received[0].body["reasoning_effort"] == "low"


def test_default_model_is_used_when_assistant_and_run_name_none():
    fake = FakeChatCompletions([Text("hi")])

    async def scenario() -> None:
        async with serving(fake, default_model="llama3.2") as (client, _):
            assistant, thread = await assistant_and_thread(client, model="")
            done = await client.beta.threads.runs.create_and_poll(
                thread_id=thread.id, assistant_id=assistant.id, **POLL
            )
            assert done.status == "completed" and done.model == "llama3.2"

    run(scenario)
    assert fake.received[0].body["model"] == "llama3.2"


def test_stream_with_event_handler_gets_the_models_text_deltas_as_they_came():
    fake = FakeChatCompletions([Text("Hello there, KNIME", chunks=("Hel", "lo there", ", KNIME"))])

    class Collect(AsyncAssistantEventHandler):
        def __init__(self) -> None:
            super().__init__()
            self.deltas: list[str] = []
            self.events: list[str] = []

        async def on_event(self, event: Any) -> None:
            self.events.append(event.event)

        async def on_text_delta(self, delta: Any, snapshot: Any) -> None:
            self.deltas.append(delta.value)

    async def scenario() -> None:
        async with serving(fake) as (client, _):
            assistant, thread = await assistant_and_thread(client)
            handler = Collect()
            async with client.beta.threads.runs.stream(
                thread_id=thread.id, assistant_id=assistant.id, event_handler=handler
            ) as stream:
                await stream.until_done()
                final = await stream.get_final_run()
                messages = await stream.get_final_messages()
            assert handler.deltas == ["Hel", "lo there", ", KNIME"]
            assert final.status == "completed" and final.usage.completion_tokens == 7
            assert messages[0].content[0].text.value == "Hello there, KNIME"
            names = [e for e in handler.events if e != "thread.message.delta"]
            assert names == [
                "thread.run.created",
                "thread.run.queued",
                "thread.run.in_progress",
                "thread.run.step.created",
                "thread.run.step.in_progress",
                "thread.message.created",
                "thread.message.in_progress",
                "thread.message.completed",
                "thread.run.step.completed",
                "thread.run.completed",
            ]

    run(scenario)
    assert fake.received[0].body["stream"] is True
    assert fake.received[0].body["stream_options"] == {"include_usage": True}


def test_function_tool_round_trip_with_submit_tool_outputs_and_poll():
    fake = FakeChatCompletions(
        [Calls((("get_weather", '{"city": "Paris"}'),)), Text("Sunny in Paris.")]
    )

    async def scenario() -> None:
        async with serving(fake) as (client, _):
            assistant, thread = await assistant_and_thread(
                client, text="Weather in Paris?", tools=[WEATHER]
            )
            waiting = await client.beta.threads.runs.create_and_poll(
                thread_id=thread.id, assistant_id=assistant.id, **POLL
            )
            assert waiting.status == "requires_action"
            (call,) = waiting.required_action.submit_tool_outputs.tool_calls
            assert call.function.name == "get_weather"
            assert json.loads(call.function.arguments) == {"city": "Paris"}
            with pytest.raises(openai.BadRequestError, match="Can't add messages"):
                await client.beta.threads.messages.create(thread.id, role="user", content="x")
            done = await client.beta.threads.runs.submit_tool_outputs_and_poll(
                thread_id=thread.id,
                run_id=waiting.id,
                tool_outputs=[{"tool_call_id": call.id, "output": "22 C, sunny"}],
                **POLL,
            )
            assert done.status == "completed" and done.required_action is None
            assert done.usage.total_tokens == 2 * (11 + 7)  # both model calls
            reply = (await client.beta.threads.messages.list(thread_id=thread.id)).data[0]
            assert reply.content[0].text.value == "Sunny in Paris."
            steps = await client.beta.threads.runs.steps.list(
                thread_id=thread.id, run_id=done.id, order="asc"
            )
            tool_step, message_step = steps.data
            assert tool_step.type == "tool_calls" and tool_step.status == "completed"
            assert tool_step.step_details.tool_calls[0].function.output == "22 C, sunny"
            assert message_step.step_details.message_creation.message_id == reply.id
            one = await client.beta.threads.runs.steps.retrieve(
                step_id=tool_step.id, thread_id=thread.id, run_id=done.id
            )
            assert one.id == tool_step.id

    run(scenario)
    first, second = (r.body for r in fake.received)
    assert first["tools"] == [WEATHER]
    assert second["messages"][-2:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_0",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_0", "content": "22 C, sunny"},
    ]


def test_streamed_tool_call_ends_the_stream_in_requires_action_and_the_outputs_stream_on():
    fake = FakeChatCompletions([Calls((("get_weather", '{"city": "Oslo"}'),)), Text("Cold.")])

    async def scenario() -> None:
        async with serving(fake) as (client, _):
            assistant, thread = await assistant_and_thread(client, tools=[WEATHER])
            async with client.beta.threads.runs.stream(
                thread_id=thread.id, assistant_id=assistant.id
            ) as stream:
                await stream.until_done()
                waiting = await stream.get_final_run()
            assert waiting.status == "requires_action"
            (call,) = waiting.required_action.submit_tool_outputs.tool_calls
            assert json.loads(call.function.arguments) == {"city": "Oslo"}  # joined chunks
            async with client.beta.threads.runs.submit_tool_outputs_stream(
                thread_id=thread.id,
                run_id=waiting.id,
                tool_outputs=[{"tool_call_id": call.id, "output": "-3 C"}],
            ) as stream:
                await stream.until_done()
                final = await stream.get_final_run()
            assert final.status == "completed"
            reply = (await client.beta.threads.messages.list(thread_id=thread.id)).data[0]
            assert reply.content[0].text.value == "Cold."

    run(scenario)
    assert [r.body["stream"] for r in fake.received] == [True, True]


@pytest.mark.parametrize(("status", "code"), [(429, "rate_limit_exceeded"), (500, "server_error")])
def test_backend_errors_fail_the_run_with_the_backends_message(status, code):
    fake = FakeChatCompletions([Fail(status, "Backend says no")])

    async def scenario() -> None:
        async with serving(fake) as (client, _):
            assistant, thread = await assistant_and_thread(client)
            failed = await client.beta.threads.runs.create_and_poll(
                thread_id=thread.id, assistant_id=assistant.id, **POLL
            )
            assert failed.status == "failed" and failed.failed_at is not None
            assert failed.last_error.code == code
            assert failed.last_error.message == (
                f"The model endpoint answered HTTP {status}: Backend says no"
            )
            assert MODEL_KEY not in failed.model_dump_json()

    run(scenario)


def test_cancel_while_the_model_call_is_in_flight():
    fake = FakeChatCompletions([Text("too late")])

    async def scenario() -> None:
        fake.hold, fake.called = asyncio.Event(), asyncio.Event()
        async with serving(fake) as (client, engine):
            assistant, thread = await assistant_and_thread(client)
            started = await client.beta.threads.runs.create(
                thread_id=thread.id, assistant_id=assistant.id
            )
            await asyncio.wait_for(fake.called.wait(), 5)
            cancelling = await client.beta.threads.runs.cancel(
                run_id=started.id, thread_id=thread.id
            )
            assert cancelling.status == "cancelling"
            final = await client.beta.threads.runs.poll(started.id, thread_id=thread.id, **POLL)
            assert final.status == "cancelled" and final.cancelled_at is not None
            assert engine.active_tasks == 0
            replies = await client.beta.threads.messages.list(thread_id=thread.id)
            assert [m.role for m in replies.data] == ["user"]  # no answer was written
            fake.hold.set()
            again = await client.beta.threads.runs.create_and_poll(
                thread_id=thread.id, assistant_id=assistant.id, **POLL
            )
            assert again.status == "completed"  # the thread is free again

    run(scenario)


def test_requires_action_run_expires_at_expires_at():
    now = [1_000_000.0]

    async def scenario() -> None:
        async with serving(backend=EchoBackend(0), clock=lambda: now[0], expires_after=600) as (
            client,
            _,
        ):
            assistant, thread = await assistant_and_thread(client, tools=[WEATHER])
            waiting = await client.beta.threads.runs.create_and_poll(
                thread_id=thread.id, assistant_id=assistant.id, **POLL
            )
            assert waiting.status == "requires_action"
            assert waiting.expires_at == 1_000_600
            now[0] += 600
            expired = await client.beta.threads.runs.retrieve(waiting.id, thread_id=thread.id)
            assert expired.status == "expired"
            with pytest.raises(openai.BadRequestError, match='status "expired"'):
                await client.beta.threads.runs.submit_tool_outputs(
                    run_id=waiting.id,
                    thread_id=thread.id,
                    tool_outputs=[{"tool_call_id": "call_x", "output": "late"}],
                )

    run(scenario)


def test_message_list_paginates_with_the_sdk():
    async def scenario() -> None:
        async with serving(backend=EchoBackend(0)) as (client, _):
            thread = await client.beta.threads.create()
            for i in range(7):
                await client.beta.threads.messages.create(thread.id, role="user", content=f"m{i}")
            first = await client.beta.threads.messages.list(thread.id, limit=3, order="asc")
            assert [m.content[0].text.value for m in first.data] == ["m0", "m1", "m2"]
            assert first.has_more is True
            everything = [m.content[0].text.value async for m in first]  # auto-pagination
            assert everything == [f"m{i}" for i in range(7)]
            newest = await client.beta.threads.messages.list(thread.id, limit=2)
            assert [m.content[0].text.value for m in newest.data] == ["m6", "m5"]
            before = await client.beta.threads.messages.list(
                thread.id, order="asc", before=first.data[2].id
            )
            assert [m.content[0].text.value for m in before.data] == ["m0", "m1"]
            with pytest.raises(openai.BadRequestError, match="limit"):
                await client.beta.threads.messages.list(thread.id, limit=101)

    run(scenario)


def test_all_23_operations_through_the_sdk_on_the_echo_backend():
    async def scenario() -> None:
        async with serving(backend=EchoBackend(0)) as (client, _):
            beta = client.beta
            assistant = await beta.assistants.create(model="echo", tools=[WEATHER])
            assert (await beta.assistants.retrieve(assistant.id)).id == assistant.id
            renamed = await beta.assistants.update(assistant.id, name="Renamed")
            assert renamed.name == "Renamed" and renamed.tools[0].function.name == "get_weather"
            assert [a.id async for a in beta.assistants.list()] == [assistant.id]
            thread = await beta.threads.create(messages=[{"role": "user", "content": "hi"}])
            assert (await beta.threads.retrieve(thread.id)).id == thread.id
            tagged = await beta.threads.update(thread.id, metadata={"k": "v"})
            assert tagged.metadata == {"k": "v"}
            message = await beta.threads.messages.create(thread.id, role="user", content="more")
            assert (await beta.threads.messages.retrieve(message.id, thread_id=thread.id)).id
            updated = await beta.threads.messages.update(
                message.id, thread_id=thread.id, metadata={"m": "1"}
            )
            assert updated.metadata == {"m": "1"}
            deleted = await beta.threads.messages.delete(message.id, thread_id=thread.id)
            assert deleted.deleted is True
            run_ = await beta.threads.runs.create_and_poll(
                thread_id=thread.id, assistant_id=assistant.id, **POLL
            )
            assert run_.status == "requires_action"  # function tools: the echo asks
            call = run_.required_action.submit_tool_outputs.tool_calls[0]
            assert json.loads(call.function.arguments) == {"input": "hi"}
            done = await beta.threads.runs.submit_tool_outputs_and_poll(
                run_id=run_.id,
                thread_id=thread.id,
                tool_outputs=[{"tool_call_id": call.id, "output": "42"}],
                **POLL,
            )
            assert done.status == "completed"
            reply = (await beta.threads.messages.list(thread.id)).data[0]
            assert reply.content[0].text.value == "Echo: hi (tool output: 42)"
            assert [r.id async for r in beta.threads.runs.list(thread.id)] == [run_.id]
            modified = await beta.threads.runs.update(
                run_.id, thread_id=thread.id, metadata={"r": "2"}
            )
            assert modified.metadata == {"r": "2"}
            steps = await beta.threads.runs.steps.list(run_.id, thread_id=thread.id)
            step = await beta.threads.runs.steps.retrieve(
                steps.data[0].id, thread_id=thread.id, run_id=run_.id
            )
            assert step.id == steps.data[0].id
            both = await beta.threads.create_and_run_poll(
                assistant_id=assistant.id,
                thread={"messages": [{"role": "user", "content": "again"}]},
                tool_choice="none",
                **POLL,
            )
            assert both.status == "completed"
            async with beta.threads.create_and_run_stream(
                assistant_id=assistant.id,
                thread={"messages": [{"role": "user", "content": "streamed"}]},
                tool_choice="none",
            ) as stream:
                names = [event.event async for event in stream]
            assert names[:3] == ["thread.created", "thread.run.created", "thread.run.queued"]
            assert names[-1] == "thread.run.completed"
            slow = await beta.threads.create_and_run(
                assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "x"}]}
            )
            cancelled = await beta.threads.runs.cancel(slow.id, thread_id=slow.thread_id)
            assert cancelled.status in ("cancelling", "cancelled")
            with pytest.raises(openai.BadRequestError, match="Cannot cancel run"):
                await beta.threads.runs.cancel(done.id, thread_id=thread.id)
            assert (await beta.threads.delete(thread.id)).deleted is True
            with pytest.raises(openai.NotFoundError, match="No thread found"):
                await beta.threads.retrieve(thread.id)
            assert (await beta.assistants.delete(assistant.id)).deleted is True
            with pytest.raises(openai.NotFoundError, match="No assistant found"):
                await beta.assistants.retrieve(assistant.id)

    run(scenario)


@pytest.mark.parametrize(("tools", "kind"), [([{"type": "code_interpreter"}], "code_interpreter")])
def test_code_interpreter_is_refused_with_a_400(tools, kind):
    async def scenario() -> None:
        async with serving(backend=EchoBackend(0)) as (client, _):
            with pytest.raises(openai.BadRequestError) as refused:
                await client.beta.assistants.create(model="m", tools=tools)
            assert refused.value.code == "unsupported_tool"
            assert f"The tool type '{kind}'" in refused.value.message
            assert "not supported by this server" in refused.value.message
            assistant = await client.beta.assistants.create(model="m")
            thread = await client.beta.threads.create()
            with pytest.raises(openai.BadRequestError, match="not supported by this server"):
                await client.beta.threads.runs.create(
                    thread_id=thread.id, assistant_id=assistant.id, tools=tools
                )
            assert [r async for r in client.beta.threads.runs.list(thread.id)] == []

    run(scenario)


def test_client_keys_are_checked_and_a_wrong_key_is_401():
    async def scenario() -> None:
        async with serving(backend=EchoBackend(0), api_keys=["sk-right", "sk-also"]) as (
            client,
            _,
        ):
            assert (await client.beta.threads.create()).id
            wrong = client.with_options(api_key="sk-wrong-SECRET")
            with pytest.raises(openai.AuthenticationError) as refused:
                await wrong.beta.threads.create()
            assert refused.value.status_code == 401 and "SECRET" not in str(refused.value)
            assert (await client.with_options(api_key="sk-also").beta.threads.create()).id

    run(scenario)


def test_fifty_concurrent_runs_do_not_block_each_other():
    fake = FakeChatCompletions(latency=0.3)

    async def scenario() -> None:
        async with serving(fake) as (client, _):
            assistant = await client.beta.assistants.create(model="m")

            async def one(i: int) -> str:
                thread = await client.beta.threads.create(
                    messages=[{"role": "user", "content": f"q{i}"}]
                )
                done = await client.beta.threads.runs.create_and_poll(
                    thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=20
                )
                return done.status

            loop = asyncio.get_running_loop()
            started = loop.time()
            statuses = await asyncio.gather(*(one(i) for i in range(50)))
            elapsed = loop.time() - started
            assert statuses == ["completed"] * 50
            assert elapsed < 5.0, elapsed  # one at a time: 50 x 0.3 s = 15 s

    run(scenario)
    assert len(fake.received) == 50


def test_a_stopping_server_refuses_new_runs_with_503_and_fails_the_running_ones():
    fake = FakeChatCompletions([Text("never")])

    async def scenario() -> None:
        fake.hold, fake.called = asyncio.Event(), asyncio.Event()
        async with serving(fake) as (client, engine):
            assistant, thread = await assistant_and_thread(client)
            running = await client.beta.threads.runs.create(
                thread_id=thread.id, assistant_id=assistant.id
            )
            await asyncio.wait_for(fake.called.wait(), 5)
            await engine.stop()
            failed = await client.beta.threads.runs.retrieve(running.id, thread_id=thread.id)
            assert failed.status == "failed"
            assert failed.last_error.message.startswith("The server stopped while this run")
            other = await client.beta.threads.create()
            with pytest.raises(openai.InternalServerError) as refused:
                await client.beta.threads.runs.create(thread_id=other.id, assistant_id=assistant.id)
            assert refused.value.status_code == 503 and "shutting down" in refused.value.message

    run(scenario)


class _StallingModel:
    """Says a first piece of its reply, then waits forever (until the run is cancelled)."""

    queue_delay = 0.0

    def __init__(self) -> None:
        self.spoke = asyncio.Event()

    async def aclose(self) -> None:
        pass

    async def respond(self, request: Any) -> Any:
        yield TextDelta("Once upon ")
        self.spoke.set()  # the first piece has been taken (and sent to the run's clients)
        await asyncio.Event().wait()


def test_a_reply_cancelled_while_it_streams_keeps_the_text_its_clients_were_sent():
    model = _StallingModel()

    async def scenario() -> None:
        async with serving(backend=model) as (client, engine):
            assistant, thread = await assistant_and_thread(client)
            started = await client.beta.threads.runs.create(
                thread_id=thread.id, assistant_id=assistant.id
            )
            await asyncio.wait_for(model.spoke.wait(), 5)
            await client.beta.threads.runs.cancel(run_id=started.id, thread_id=thread.id)
            final = await client.beta.threads.runs.poll(started.id, thread_id=thread.id, **POLL)
            assert final.status == "cancelled"
            reply = (await client.beta.threads.messages.list(thread_id=thread.id)).data[0]
            assert reply.role == "assistant" and reply.status == "incomplete"
            assert reply.incomplete_details.reason == "run_cancelled"
            assert reply.content[0].text.value == "Once upon "
            assert engine.active_tasks == 0

    run(scenario)
