"""Run semantics of ``serve`` as the Assistants API defines them, on the answers real models
give (issue 18, items 9-13), proved deterministically with the fake endpoint through the
official SDK: a model cut off by its token limit, token budgets of a whole run, one tool call
per step when parallel calls are off, a thread longer than the model's context, and tool calls
streamed as they are written. ``tests/real_model`` runs the same against a real model.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fake_chat_completions import Calls, Fail, FakeChatCompletions, Text
from openai import AsyncAssistantEventHandler
from test_serve_sdk import MODEL_KEY, POLL, WEATHER, assistant_and_thread, run, serving

from openai_assistants.server.backends.chat_completions import ChatCompletionsBackend

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CONTEXT_ERROR = Fail(
    400,
    "This model's maximum context length is 8192 tokens. However, your messages resulted in "
    "9105 tokens. Please reduce the length of the messages.",
    code="context_length_exceeded",
)


async def steps_of(client: Any, thread_id: str, run_id: str) -> list[Any]:
    page = await client.beta.threads.runs.steps.list(
        thread_id=thread_id, run_id=run_id, order="asc"
    )
    return page.data


# 9: finish_reason "length"


def test_a_model_cut_off_by_its_token_limit_leaves_run_and_message_incomplete():
    fake = FakeChatCompletions([Text("Once upon a", finish="length")], usage=(30, 256))

    async def scenario() -> None:
        async with serving(fake) as (client, _):
            assistant, thread = await assistant_and_thread(client)
            done = await client.beta.threads.runs.create_and_poll(
                thread_id=thread.id, assistant_id=assistant.id, max_completion_tokens=256, **POLL
            )
            assert done.status == "incomplete"
            assert done.incomplete_details.reason == "max_completion_tokens"
            assert done.usage.completion_tokens == 256
            reply = (await client.beta.threads.messages.list(thread_id=thread.id)).data[0]
            assert reply.status == "incomplete" and reply.incomplete_at is not None
            assert reply.incomplete_details.reason == "max_tokens"
            assert reply.content[0].text.value == "Once upon a"
            (step,) = await steps_of(client, thread.id, done.id)
            assert step.status == "completed" and step.usage.completion_tokens == 256

    run(scenario)


def test_a_streamed_run_cut_off_by_the_token_limit_ends_incomplete_as_the_polled_one():
    fake = FakeChatCompletions([Text("Once upon a", finish="length")])

    async def scenario() -> None:
        async with serving(fake) as (client, _):
            assistant, thread = await assistant_and_thread(client)
            async with client.beta.threads.runs.stream(
                thread_id=thread.id, assistant_id=assistant.id
            ) as stream:
                events = [event.event async for event in stream]
                final = await stream.get_final_run()
            assert final.status == "incomplete"
            assert final.incomplete_details.reason == "max_completion_tokens"
            assert "thread.message.incomplete" in events and events[-1] == "thread.run.incomplete"
            assert "thread.message.completed" not in events

    run(scenario)
    assert fake.received[0].body["stream"] is True


@pytest.mark.parametrize("stream", [False, True], ids=["polled", "streamed"])
def test_a_tool_call_cut_off_by_the_token_limit_is_never_handed_to_the_client(stream):
    cut = '{"city": "Par'
    fake = FakeChatCompletions([Calls((("get_weather", cut),), finish="length")])

    async def scenario() -> None:
        async with serving(fake) as (client, _):
            assistant, thread = await assistant_and_thread(client, tools=[WEATHER])
            if stream:
                async with client.beta.threads.runs.stream(
                    thread_id=thread.id, assistant_id=assistant.id
                ) as events:
                    await events.until_done()
                    done = await events.get_final_run()
            else:
                done = await client.beta.threads.runs.create_and_poll(
                    thread_id=thread.id, assistant_id=assistant.id, **POLL
                )
            assert done.status == "incomplete" and done.required_action is None
            assert done.incomplete_details.reason == "max_completion_tokens"
            (step,) = await steps_of(client, thread.id, done.id)
            assert step.type == "tool_calls" and step.status == "failed"
            assert "token limit" in step.last_error.message
            assert cut not in step.model_dump_json()
            fetched = await client.beta.threads.runs.retrieve(done.id, thread_id=thread.id)
            assert cut not in fetched.model_dump_json()

    run(scenario)


# 10: token budgets of the whole run


def test_max_completion_tokens_is_a_budget_of_the_whole_run_across_its_model_calls():
    fake = FakeChatCompletions(
        [Calls((("get_weather", '{"city": "Oslo"}'),)), Text("Cold.")], usage=(40, 200)
    )

    async def scenario() -> None:
        async with serving(fake) as (client, _):
            assistant, thread = await assistant_and_thread(client, tools=[WEATHER])
            waiting = await client.beta.threads.runs.create_and_poll(
                thread_id=thread.id, assistant_id=assistant.id, max_completion_tokens=300, **POLL
            )
            (call,) = waiting.required_action.submit_tool_outputs.tool_calls
            fake.usage = (60, 30)
            done = await client.beta.threads.runs.submit_tool_outputs_and_poll(
                thread_id=thread.id,
                run_id=waiting.id,
                tool_outputs=[{"tool_call_id": call.id, "output": "-3 C"}],
                **POLL,
            )
            assert done.status == "completed"
            assert done.usage.completion_tokens == 230 and done.usage.prompt_tokens == 100

    run(scenario)
    first, second = fake.received
    assert first.body["max_completion_tokens"] == 300
    assert second.body["max_completion_tokens"] == 100  # what the first call left


@pytest.mark.parametrize(
    ("budget", "usage", "reason"),
    [
        ({"max_completion_tokens": 256}, (40, 256), "max_completion_tokens"),
        ({"max_prompt_tokens": 256}, (256, 10), "max_prompt_tokens"),
    ],
)
def test_a_run_whose_budget_is_spent_ends_incomplete_instead_of_calling_the_model_again(
    budget, usage, reason
):
    fake = FakeChatCompletions([Calls((("get_weather", '{"city": "Oslo"}'),))], usage=usage)

    async def scenario() -> None:
        async with serving(fake) as (client, _):
            assistant, thread = await assistant_and_thread(client, tools=[WEATHER])
            waiting = await client.beta.threads.runs.create_and_poll(
                thread_id=thread.id, assistant_id=assistant.id, **budget, **POLL
            )
            (call,) = waiting.required_action.submit_tool_outputs.tool_calls
            done = await client.beta.threads.runs.submit_tool_outputs_and_poll(
                thread_id=thread.id,
                run_id=waiting.id,
                tool_outputs=[{"tool_call_id": call.id, "output": "-3 C"}],
                **POLL,
            )
            assert done.status == "incomplete"
            assert done.incomplete_details.reason == reason
            assert done.usage.prompt_tokens == usage[0]

    run(scenario)
    assert len(fake.received) == 1


def test_max_prompt_tokens_leaves_out_the_oldest_messages_to_keep_the_prompt_in_budget():
    fake = FakeChatCompletions([Text("ok")])
    long = "word " * 400  # about 700 tokens by any count

    async def scenario() -> None:
        async with serving(fake) as (client, _):
            assistant, thread = await assistant_and_thread(client, text=long)
            for text in (long, "What now?"):
                await client.beta.threads.messages.create(thread.id, role="user", content=text)
            done = await client.beta.threads.runs.create_and_poll(
                thread_id=thread.id, assistant_id=assistant.id, max_prompt_tokens=300, **POLL
            )
            assert done.status == "completed"

    run(scenario)
    (sent,) = fake.received
    assert sent.body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What now?"},
    ]


# 11: parallel_tool_calls false


@pytest.mark.parametrize("stream", [False, True], ids=["polled", "streamed"])
def test_parallel_tool_calls_false_makes_at_most_one_tool_call_per_step(stream):
    two = Calls((("get_weather", '{"city": "Oslo"}'), ("get_weather", '{"city": "Rome"}')))
    fake = FakeChatCompletions([two])

    async def scenario() -> None:
        async with serving(fake) as (client, _):
            assistant, thread = await assistant_and_thread(client, tools=[WEATHER])
            options = {"thread_id": thread.id, "assistant_id": assistant.id}
            if stream:
                async with client.beta.threads.runs.stream(
                    **options, parallel_tool_calls=False
                ) as events:
                    deltas = [
                        event.data.delta.step_details.tool_calls
                        async for event in events
                        if event.event == "thread.run.step.delta"
                    ]
                    waiting = await events.get_final_run()
                assert {call.index for calls in deltas for call in calls} == {0}
            else:
                waiting = await client.beta.threads.runs.create_and_poll(
                    **options, parallel_tool_calls=False, **POLL
                )
            (call,) = waiting.required_action.submit_tool_outputs.tool_calls
            assert json.loads(call.function.arguments) == {"city": "Oslo"}
            (step,) = await steps_of(client, thread.id, waiting.id)
            assert [c.id for c in step.step_details.tool_calls] == [call.id]

    run(scenario)
    assert fake.received[0].body["parallel_tool_calls"] is False


# 12: truncation_strategy auto keeps a long thread within the model's context


def test_a_context_length_error_drops_the_oldest_messages_and_calls_again():
    fake = FakeChatCompletions([CONTEXT_ERROR, Text("Short answer.")])

    async def scenario() -> None:
        async with serving(fake) as (client, _):
            assistant, thread = await assistant_and_thread(client, text="oldest " * 300)
            for n in range(6):
                await client.beta.threads.messages.create(
                    thread.id, role="user", content=f"message {n} " * 300
                )
            await client.beta.threads.messages.create(thread.id, role="user", content="Question?")
            done = await client.beta.threads.runs.create_and_poll(
                thread_id=thread.id, assistant_id=assistant.id, **POLL
            )
            assert done.status == "completed", done.last_error
            reply = (await client.beta.threads.messages.list(thread_id=thread.id)).data[0]
            assert reply.content[0].text.value == "Short answer."

    run(scenario)
    first, second = (r.body["messages"] for r in fake.received)
    assert len(second) < len(first) == 9
    assert second[0] == {"role": "system", "content": "Be brief."}  # instructions stay
    assert second[-1] == {"role": "user", "content": "Question?"}  # and the newest message
    assert second[1:] == first[len(first) - len(second) + 1 :]  # the oldest went first


def test_the_endpoints_context_error_fails_the_run_when_truncation_is_last_messages():
    fake = FakeChatCompletions([CONTEXT_ERROR, Text("never")])

    async def scenario() -> None:
        async with serving(fake) as (client, _):
            assistant, thread = await assistant_and_thread(client)
            done = await client.beta.threads.runs.create_and_poll(
                thread_id=thread.id,
                assistant_id=assistant.id,
                truncation_strategy={"type": "last_messages", "last_messages": 5},
                **POLL,
            )
            assert done.status == "failed"
            assert "maximum context length is 8192" in done.last_error.message

    run(scenario)
    assert len(fake.received) == 1


def test_a_llama_cpp_context_error_is_recognised_by_its_own_wording():
    llama = Fail(
        400,
        "request (3031 tokens) exceeds the available context size (2048 tokens), try increasing it",
        code=None,
    )
    fake = FakeChatCompletions([llama, Text("ok")])

    async def scenario() -> None:
        async with serving(fake) as (client, _):
            assistant, thread = await assistant_and_thread(client, text="a " * 2000)
            await client.beta.threads.messages.create(thread.id, role="user", content="Hi?")
            done = await client.beta.threads.runs.create_and_poll(
                thread_id=thread.id, assistant_id=assistant.id, **POLL
            )
            assert done.status == "completed", done.last_error

    run(scenario)
    assert fake.received[1].body["messages"][-1] == {"role": "user", "content": "Hi?"}
    assert len(fake.received[1].body["messages"]) == 2


def test_a_configured_context_size_keeps_the_prompt_inside_it_before_any_error():
    fake = FakeChatCompletions([Text("ok")])
    backend = ChatCompletionsBackend(
        "http://model.test/v1", api_key=MODEL_KEY, transport=fake.transport(), context_tokens=1000
    )

    async def scenario() -> None:
        async with serving(backend=backend) as (client, _):
            assistant, thread = await assistant_and_thread(client, text="old " * 600)
            await client.beta.threads.messages.create(thread.id, role="user", content="new " * 50)
            done = await client.beta.threads.runs.create_and_poll(
                thread_id=thread.id, assistant_id=assistant.id, **POLL
            )
            assert done.status == "completed"

    run(scenario)
    (sent,) = fake.received
    assert [m["content"] for m in sent.body["messages"]] == ["Be brief.", "new " * 50]


# 13: streamed tool calls are streamed


def test_streamed_tool_calls_fire_the_sdks_tool_call_handlers_and_usage_waits_for_completion():
    arguments = '{"city": "Oslo", "unit": "celsius"}'
    fake = FakeChatCompletions([Calls((("get_weather", arguments),)), Text("Cold.")])
    seen: list[tuple[str, Any]] = []

    class Watch(AsyncAssistantEventHandler):
        async def on_tool_call_created(self, tool_call: Any) -> None:
            seen.append(("created", (tool_call.id, tool_call.function.name)))

        async def on_tool_call_delta(self, delta: Any, snapshot: Any) -> None:
            seen.append(("delta", delta.function.arguments))

        async def on_tool_call_done(self, tool_call: Any) -> None:
            seen.append(("done", tool_call.function.arguments))

        async def on_run_step_created(self, run_step: Any) -> None:
            seen.append(("step", (run_step.type, run_step.usage)))

    async def scenario() -> None:
        async with serving(fake) as (client, _):
            assistant, thread = await assistant_and_thread(client, tools=[WEATHER])
            async with client.beta.threads.runs.stream(
                thread_id=thread.id, assistant_id=assistant.id, event_handler=Watch()
            ) as stream:
                await stream.until_done()
                waiting = await stream.get_final_run()
            (call,) = waiting.required_action.submit_tool_outputs.tool_calls
            assert seen[0] == ("step", ("tool_calls", None))
            assert seen[1] == ("created", (call.id, "get_weather"))
            pieces = [value for kind, value in seen if kind == "delta"]
            assert len(pieces) >= 1 and "".join(pieces) == arguments[len(arguments) // 2 :]
            assert seen[-1] == ("done", arguments)
            (pending,) = await steps_of(client, thread.id, waiting.id)
            assert pending.status == "in_progress" and pending.usage is None
            await client.beta.threads.runs.submit_tool_outputs_and_poll(
                thread_id=thread.id,
                run_id=waiting.id,
                tool_outputs=[{"tool_call_id": call.id, "output": "-3 C"}],
                **POLL,
            )
            tool_step = (await steps_of(client, thread.id, waiting.id))[0]
            assert tool_step.status == "completed"
            assert tool_step.usage.total_tokens == 18  # the fake's usage of that model call

    run(scenario)
