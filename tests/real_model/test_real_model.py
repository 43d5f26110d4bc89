"""``serve`` on a real model: the official SDK against ``serve --backend chat-completions`` in
front of llama.cpp's server with SmolLM2-135M (see ``conftest.py``).

A fake endpoint answers what a test scripts; a real server answers what it answers: a
``finish_reason`` of ``length``, its own usage, its own context-length error. These tests hold
``serve`` to the Assistants API's semantics on such answers: a run cut off by its token limit
is ``incomplete``, a thread longer than the model's context is truncated, not failed, and so
on. The model server writes at most ``MAX_ANSWER_TOKENS`` for a run without a limit, and
a run cut off is cut off by a small context (the API's smallest ``max_completion_tokens`` is
256, minutes of writing on a busy 2-core machine), so the whole file stays within a few
minutes; sampling is pinned there, so answers repeat.
"""

from __future__ import annotations

import time

import openai
import pytest
from real_model_server import CONTEXT_TOKENS, MAX_ANSWER_TOKENS, SMALL_CONTEXT_TOKENS

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

POLL = {"poll_interval_ms": 100}
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


def thread_with(client: openai.OpenAI, *texts: str):
    assistant = client.beta.assistants.create(model="smollm2-135m", instructions="Be brief.")
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": text} for text in texts]
    )
    return assistant, thread


def reply_of(client: openai.OpenAI, thread_id: str):
    messages = client.beta.threads.messages.list(thread_id=thread_id, order="desc", limit=1)
    return messages.data[0]


def test_a_run_completes_with_the_models_answer_and_its_usage(serve):
    client = serve.client()
    assistant, thread = thread_with(client, "Say hello.")
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, **POLL
    )
    assert run.status == "completed", run.last_error or run.incomplete_details
    reply = reply_of(client, thread.id)
    assert reply.role == "assistant" and reply.status == "completed"
    assert reply.content[0].text.value.strip()
    assert run.usage.prompt_tokens > 0 and 0 < run.usage.completion_tokens < MAX_ANSWER_TOKENS
    assert run.usage.total_tokens == run.usage.prompt_tokens + run.usage.completion_tokens


def test_a_run_cut_off_by_the_token_limit_is_incomplete_polled_and_streamed(serve_small_context):
    client = serve_small_context.client()
    notes = " ".join(["the dragon sleeps"] * 45)  # about 200 tokens: room for a few dozen more
    assistant, thread = thread_with(client, f"Notes: {notes}. Tell me a long story about it.")
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, max_completion_tokens=256, **POLL
    )
    assert run.status == "incomplete", run.last_error
    assert run.incomplete_details.reason == "max_completion_tokens"
    assert run.usage.prompt_tokens + run.usage.completion_tokens >= SMALL_CONTEXT_TOKENS - 1
    reply = reply_of(client, thread.id)
    assert reply.status == "incomplete"
    assert reply.incomplete_details.reason == "max_tokens"

    client.beta.threads.messages.create(
        thread.id, role="user", content=f"Notes: {notes}. Another story, please."
    )
    with client.beta.threads.runs.stream(
        thread_id=thread.id, assistant_id=assistant.id, max_completion_tokens=256
    ) as stream:
        events = [event.event for event in stream]
        streamed = stream.get_final_run()
    assert "thread.run.incomplete" in events and "thread.run.completed" not in events
    assert streamed.status == "incomplete"
    assert streamed.incomplete_details.reason == "max_completion_tokens"
    assert "thread.message.incomplete" in events


def test_a_streamed_run_streams_the_models_text(serve):
    client = serve.client()
    assistant, thread = thread_with(client, "Say hello.")
    deltas: list[str] = []
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        for event in stream:
            if event.event == "thread.message.delta":
                deltas.extend(part.text.value for part in event.data.delta.content)
        run = stream.get_final_run()
    assert run.status == "completed", run.last_error
    assert len(deltas) > 1  # the model's text arrived in pieces, as it was written
    reply = reply_of(client, thread.id)
    assert reply.content[0].text.value == "".join(deltas)
    assert run.usage.completion_tokens > 0


def test_a_cancelled_run_stops_while_the_model_is_writing(serve):
    client = serve.client()
    assistant, thread = thread_with(client, "Tell me a long story about a dragon.")
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    deadline = time.monotonic() + 60
    while run.status == "queued" and time.monotonic() < deadline:
        time.sleep(0.05)
        run = client.beta.threads.runs.retrieve(run.id, thread_id=thread.id)
    assert run.status == "in_progress", run.last_error
    client.beta.threads.runs.cancel(run.id, thread_id=thread.id)
    started = time.monotonic()
    run = client.beta.threads.runs.poll(run.id, thread_id=thread.id, **POLL)
    assert run.status == "cancelled" and run.cancelled_at is not None
    assert time.monotonic() - started < 5  # not after the model wrote all it would
    # the thread takes a new run at once
    again = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, **POLL
    )
    assert again.status in ("completed", "incomplete")


def test_a_thread_longer_than_the_models_context_is_truncated_not_failed(serve):
    client = serve.client()
    # each message about 200 tokens: together well past the model's context
    filler = " ".join(f"line {i} of the report says nothing new." for i in range(25))
    messages = [f"Message {n}: {filler}" for n in range(CONTEXT_TOKENS // 150)]
    assistant, thread = thread_with(client, *messages, "Say hello.")
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, **POLL
    )
    assert run.status in ("completed", "incomplete"), run.last_error
    assert run.usage.prompt_tokens + run.usage.completion_tokens <= CONTEXT_TOKENS

    # truncation "last_messages" keeps what it is told to; the model still sees its question
    client.beta.threads.messages.create(thread.id, role="user", content="Say hello again.")
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id,
        assistant_id=assistant.id,
        truncation_strategy={"type": "last_messages", "last_messages": 1},
        **POLL,
    )
    assert run.status in ("completed", "incomplete"), run.last_error
    assert run.usage.prompt_tokens < 100


def test_max_prompt_tokens_keeps_the_prompt_within_the_budget(serve):
    client = serve.client()
    filler = " ".join(f"fact {i} is dull." for i in range(40))
    assistant, thread = thread_with(client, filler, filler, "Say hello.")
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id,
        assistant_id=assistant.id,
        max_prompt_tokens=256,
        **POLL,
    )
    assert run.status in ("completed", "incomplete"), run.last_error
    assert run.usage.prompt_tokens <= 256


def test_a_configured_context_size_truncates_before_the_model_refuses(serve_with_context_size):
    client = serve_with_context_size.client()
    filler = " ".join(f"line {i} of the log is quiet." for i in range(25))
    assistant, thread = thread_with(client, *([filler] * 8), "Say hello.")
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, **POLL
    )
    assert run.status in ("completed", "incomplete"), run.last_error
    assert run.usage.prompt_tokens + run.usage.completion_tokens <= CONTEXT_TOKENS
