"""Citations while a ``file_search`` run streams, with the official SDK's streaming helpers.

A client streaming a run gets each ``file_citation`` in the ``thread.message.delta`` that
completes its marker, so the SDK's ``on_text_delta(delta, snapshot)`` sees the annotations
accumulate as the text does, and the snapshot at the end equals the finished message (text
and annotations), on the echo backend and on a model whose stream cuts markers in pieces.
"""

from __future__ import annotations

from typing import Any

import openai
import pytest
from fake_chat_completions import Calls, FakeChatCompletions, Text
from openai.lib.streaming import AsyncAssistantEventHandler
from openai.types.beta.threads import Message, TextDelta
from openai.types.beta.threads import Text as SnapshotText
from test_serve_files_sdk import HARBOUR, RECIPES, run, serving, upload

from openai_assistants.server.backends import TextDelta as ChunkText
from openai_assistants.server.backends import ToolCallDelta, Usage
from openai_assistants.server.backends.chat_completions import ChatCompletionsBackend

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class Collecting(AsyncAssistantEventHandler):
    """Keeps every text delta and a copy of the snapshot the SDK built with it."""

    def __init__(self) -> None:
        super().__init__()
        self.deltas: list[TextDelta] = []
        self.snapshots: list[SnapshotText] = []

    async def on_text_delta(self, delta: TextDelta, snapshot: SnapshotText) -> None:
        self.deltas.append(delta)
        self.snapshots.append(snapshot.model_copy(deep=True))


def _cited(annotations: Any) -> list[tuple[str, str, int, int, str]]:
    return [
        (a.type, a.text, a.start_index, a.end_index, a.file_citation.file_id) for a in annotations
    ]


async def _streamed_reply(
    client: openai.AsyncOpenAI, question: str
) -> tuple[Collecting, list[str], Message, Message, str]:
    """Stream a file_search run over the harbour and recipe documents; (the handler, the
    ``text_deltas``, the message the stream completed with, the stored message, the harbour
    file's ID)."""
    harbour = await upload(client, "harbour.txt", HARBOUR)
    recipes = await upload(client, "recipes.md", RECIPES)
    store = await client.vector_stores.create(file_ids=[harbour.id, recipes.id])
    beta = client.beta
    assistant = await beta.assistants.create(
        model="m",
        tools=[{"type": "file_search"}],
        tool_resources={"file_search": {"vector_store_ids": [store.id]}},
    )
    thread = await beta.threads.create(messages=[{"role": "user", "content": question}])
    handler = Collecting()
    async with beta.threads.runs.stream(
        thread_id=thread.id, assistant_id=assistant.id, event_handler=handler
    ) as stream:
        texts = [text async for text in stream.text_deltas]
        (completed,) = await stream.get_final_messages()
        final_run = await stream.get_final_run()
    assert final_run.status == "completed", final_run.last_error
    stored = (await beta.threads.messages.list(thread.id)).data[0]
    return handler, texts, completed, stored, harbour.id


def _assert_snapshot_is_the_message(handler: Collecting, texts: list[str], *messages: Message):
    snapshot = handler.snapshots[-1]
    for message in messages:
        final = message.content[0].text
        assert "".join(texts) == snapshot.value == final.value
        assert _cited(snapshot.annotations) == _cited(final.annotations)


def test_the_echo_backends_streamed_citation_equals_the_finished_messages() -> None:
    async def scenario() -> None:
        async with serving() as (client, _):
            handler, texts, completed, stored, harbour_id = await _streamed_reply(
                client, "Who keeps the lighthouse?"
            )
            _assert_snapshot_is_the_message(handler, texts, completed, stored)
            (citation,) = stored.content[0].text.annotations
            assert citation.file_citation.file_id == harbour_id
            (carrying,) = [d for d in handler.deltas if d.annotations]
            assert citation.text in carrying.value  # the marker's text comes with it
            assert carrying.annotations[0].index == 0
            before = handler.deltas.index(carrying)
            assert all(not s.annotations for s in handler.snapshots[:before])

    run(scenario)


def test_markers_cut_across_model_chunks_are_cited_in_the_delta_that_completes_them() -> None:
    reply = (
        "Ada Quill keeps it 【0:0†harbour.txt】; not 【4:2†nowhere.txt】, "
        "since 1998 【0:0†harbour.txt】."
    )
    chunks = (
        "Ada Quill keeps it ",
        "【0",
        ":0†harb",
        "our.txt",
        "】; not 【4:2†",
        "nowhere.txt】, since",
        " 1998 【0:0†harbour.txt",
        "】.",
    )
    assert "".join(chunks) == reply
    fake = FakeChatCompletions(
        [Calls((("file_search", '{"queries": ["lighthouse keeper"]}'),)), Text(reply, chunks)]
    )
    backend = ChatCompletionsBackend(
        "http://model.test/v1", api_key="sk-model", transport=fake.transport()
    )

    async def scenario() -> None:
        async with serving(backend=backend) as (client, _):
            handler, texts, completed, stored, harbour_id = await _streamed_reply(
                client, "Who keeps the light?"
            )
            _assert_snapshot_is_the_message(handler, texts, completed, stored)
            final = stored.content[0].text
            marker = "【0:0†harbour.txt】"
            first, last = reply.index(marker), reply.rindex(marker)
            assert _cited(final.annotations) == [
                ("file_citation", marker, first, first + len(marker), harbour_id),
                ("file_citation", marker, last, last + len(marker), harbour_id),
            ]  # the marker naming no result is plain text
            carrying = [d for d in handler.deltas if d.annotations]
            # held back only while a piece may still become a marker
            assert texts == [
                "Ada Quill keeps it ",
                "【0:0†harbour.txt】; not ",
                "【4:2†nowhere.txt】, since",
                " 1998 ",
                "【0:0†harbour.txt】.",
            ]
            assert [d.value for d in carrying] == [texts[1], texts[4]]
            assert [d.annotations[0].index for d in carrying] == [0, 1]
            grown = [len(s.annotations) for s in handler.snapshots]
            assert grown == sorted(grown) and grown[-1] == 2

    run(scenario)


class _SearchThenTextThenCall:
    """A model that searches, then writes text ending in what may still become a marker and
    calls a function in the same answer (as Chat Completions models do)."""

    queue_delay = 0.0

    def __init__(self) -> None:
        self.calls = 0

    async def respond(self, request: Any) -> Any:
        self.calls += 1
        if self.calls == 1:
            yield ToolCallDelta(
                index=0, id="call_s", name="file_search", arguments='{"queries": ["keeper"]}'
            )
        else:
            yield ChunkText("Ada Quill 【0:0†harbour.txt】, let me check 【0")
            yield ToolCallDelta(index=0, id="call_f", name="lookup", arguments='{"q": 1}')
        yield Usage(5, 5)

    async def aclose(self) -> None:
        return None


def test_text_held_as_a_possible_marker_comes_before_a_tool_call_of_the_same_answer() -> None:
    class Ordered(Collecting):
        def __init__(self) -> None:
            super().__init__()
            self.order: list[str] = []

        async def on_text_delta(self, delta: TextDelta, snapshot: SnapshotText) -> None:
            await super().on_text_delta(delta, snapshot)
            self.order.append(f"text {delta.value}")

        async def on_tool_call_created(self, tool_call: Any) -> None:
            self.order.append(f"call {tool_call.type}")

    async def scenario() -> None:
        async with serving(backend=_SearchThenTextThenCall()) as (client, _):
            harbour = await upload(client, "harbour.txt", HARBOUR)
            store = await client.vector_stores.create(file_ids=[harbour.id])
            beta = client.beta
            assistant = await beta.assistants.create(
                model="m",
                tools=[
                    {"type": "file_search"},
                    {"type": "function", "function": {"name": "lookup", "parameters": {}}},
                ],
                tool_resources={"file_search": {"vector_store_ids": [store.id]}},
            )
            thread = await beta.threads.create(messages=[{"role": "user", "content": "who?"}])
            handler = Ordered()
            async with beta.threads.runs.stream(
                thread_id=thread.id, assistant_id=assistant.id, event_handler=handler
            ) as stream:
                texts = [text async for text in stream.text_deltas]
                final_run = await stream.get_final_run()
            assert final_run.status == "requires_action"
            stored = (await beta.threads.messages.list(thread.id)).data[0]
            _assert_snapshot_is_the_message(handler, texts, stored)
            assert "".join(texts) == "Ada Quill 【0:0†harbour.txt】, let me check 【0"
            assert len(stored.content[0].text.annotations) == 1
            # the whole text is out before the function call starts, as the API streams it
            assert handler.order[-1] == "call function", handler.order

    run(scenario)
