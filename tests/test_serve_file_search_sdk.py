"""``file_search`` in runs of ``serve``, with the official ``openai`` SDK as the client.

The app is mounted in-process (ASGI transport) on the echo backend, which searches with the
user's question and cites the best result, so a run answers from the uploaded document
offline: the reply carries a ``file_citation`` of the file, the run's steps show the search
(with the results' text only when ``include[]`` asks for it), and attachments put their files
into the thread's own vector store.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import openai
import pytest
from fake_chat_completions import Calls, FakeChatCompletions, Text
from test_serve_files_sdk import HARBOUR, POLL, RECIPES, run, serving, upload

from openai_assistants.server.backends.chat_completions import ChatCompletionsBackend
from openai_assistants.server.runs.context_fit import IMAGE_TOKENS, estimate_tokens

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CONTENT = "step_details.tool_calls[*].file_search.results[*].content"


async def _search_assistant(client: openai.AsyncOpenAI, **tool: object) -> tuple[str, str]:
    """An assistant with file_search over a store of the harbour and recipe documents;
    (assistant ID, the harbour file's ID)."""
    harbour = await upload(client, "harbour.txt", HARBOUR)
    recipes = await upload(client, "recipes.md", RECIPES)
    store = await client.vector_stores.create(file_ids=[harbour.id, recipes.id])
    assistant = await client.beta.assistants.create(
        model="m",
        tools=[{"type": "file_search", **({"file_search": tool} if tool else {})}],
        tool_resources={"file_search": {"vector_store_ids": [store.id]}},
    )
    return assistant.id, harbour.id


def test_a_run_answers_with_a_citation_of_the_file_that_holds_the_answer() -> None:
    async def scenario() -> None:
        async with serving() as (client, _):
            assistant_id, harbour_id = await _search_assistant(client)
            beta = client.beta
            run_ = await beta.threads.create_and_run_poll(
                assistant_id=assistant_id,
                thread={"messages": [{"role": "user", "content": "Who keeps the lighthouse?"}]},
                **POLL,
            )
            assert run_.status == "completed", run_.last_error
            assert run_.required_action is None
            messages = await beta.threads.messages.list(run_.thread_id)
            reply = messages.data[0].content[0].text
            assert reply.value.startswith("Echo: Who keeps the lighthouse?")
            (citation,) = reply.annotations
            assert citation.type == "file_citation"
            assert citation.file_citation.file_id == harbour_id
            assert reply.value[citation.start_index : citation.end_index] == citation.text
            assert citation.text == "【0:0†harbour.txt】"

    run(scenario)


def test_run_steps_show_the_search_with_content_only_when_included() -> None:
    async def scenario() -> None:
        async with serving() as (client, _):
            assistant_id, harbour_id = await _search_assistant(
                client,
                max_num_results=1,
                ranking_options={"ranker": "auto", "score_threshold": 0.0},
            )
            beta = client.beta
            thread = await beta.threads.create(
                messages=[{"role": "user", "content": "When do the ferries leave the harbour?"}]
            )
            run_ = await beta.threads.runs.create_and_poll(
                thread_id=thread.id, assistant_id=assistant_id, **POLL
            )
            assert run_.status == "completed", run_.last_error
            steps = await beta.threads.runs.steps.list(run_id=run_.id, thread_id=thread.id)
            kinds = [step.type for step in reversed(steps.data)]
            assert kinds == ["tool_calls", "message_creation"]
            search_step = steps.data[-1]
            (call,) = search_step.step_details.tool_calls
            assert call.type == "file_search"
            assert call.file_search.ranking_options.ranker == "auto"
            (result,) = call.file_search.results  # max_num_results 1
            assert result.file_id == harbour_id and result.file_name == "harbour.txt"
            assert 0 < result.score <= 1
            assert result.content is None
            included = await beta.threads.runs.steps.retrieve(
                step_id=search_step.id, run_id=run_.id, thread_id=thread.id, include=[CONTENT]
            )
            (shown,) = included.step_details.tool_calls[0].file_search.results
            assert "Ferries to the island" in shown.content[0].text
            listed = await beta.threads.runs.steps.list(
                run_id=run_.id, thread_id=thread.id, include=[CONTENT]
            )
            assert listed.data[-1].step_details.tool_calls[0].file_search.results[0].content
            plain = await beta.threads.runs.steps.retrieve(
                step_id=search_step.id, run_id=run_.id, thread_id=thread.id
            )
            assert plain.step_details.tool_calls[0].file_search.results[0].content is None

    run(scenario)


def test_an_attached_file_goes_into_the_threads_own_vector_store() -> None:
    async def scenario() -> None:
        async with serving() as (client, _):
            recipes = await upload(client, "recipes.md", RECIPES)
            beta = client.beta
            assistant = await beta.assistants.create(model="m", tools=[{"type": "file_search"}])
            thread = await beta.threads.create()
            await beta.threads.messages.create(
                thread.id,
                role="user",
                content="How long do I knead bread?",
                attachments=[{"file_id": recipes.id, "tools": [{"type": "file_search"}]}],
            )
            thread = await beta.threads.retrieve(thread.id)
            (store_id,) = thread.tool_resources.file_search.vector_store_ids
            files = await client.vector_stores.files.list(store_id)
            assert [f.id for f in files.data] == [recipes.id]
            made = await client.vector_stores.retrieve(store_id)
            assert made.expires_after.days == 7  # the API's default for a thread's store
            run_ = await beta.threads.runs.create_and_poll(
                thread_id=thread.id, assistant_id=assistant.id, **POLL
            )
            assert run_.status == "completed", run_.last_error
            messages = await beta.threads.messages.list(thread.id)
            (citation,) = messages.data[0].content[0].text.annotations
            assert citation.file_citation.file_id == recipes.id

    run(scenario)


def test_the_vector_stores_helper_makes_a_store_from_files() -> None:
    async def scenario() -> None:
        async with serving() as (client, _):
            harbour = await upload(client, "harbour.txt", HARBOUR)
            thread = await client.beta.threads.create(
                tool_resources={"file_search": {"vector_stores": [{"file_ids": [harbour.id]}]}}
            )
            (store_id,) = thread.tool_resources.file_search.vector_store_ids
            files = await client.vector_stores.files.list(store_id)
            assert [f.id for f in files.data] == [harbour.id]
            with pytest.raises(openai.NotFoundError, match="No vector store found"):
                await client.beta.assistants.create(
                    model="m",
                    tools=[{"type": "file_search"}],
                    tool_resources={"file_search": {"vector_store_ids": ["vs_missing"]}},
                )
            with pytest.raises(openai.NotFoundError, match="No such File object"):
                await client.beta.threads.create(
                    messages=[
                        {
                            "role": "user",
                            "content": "hi",
                            "attachments": [
                                {"file_id": "file-nope", "tools": [{"type": "file_search"}]}
                            ],
                        }
                    ]
                )

    run(scenario)


def test_a_search_without_results_answers_without_a_citation() -> None:
    async def scenario() -> None:
        async with serving() as (client, _):
            assistant_id, _ = await _search_assistant(client)
            run_ = await client.beta.threads.create_and_run_poll(
                assistant_id=assistant_id,
                thread={"messages": [{"role": "user", "content": "zebra quantum"}]},
                **POLL,
            )
            assert run_.status == "completed", run_.last_error
            messages = await client.beta.threads.messages.list(run_.thread_id)
            text = messages.data[0].content[0].text
            assert text.value == "Echo: zebra quantum" and text.annotations == []

    run(scenario)


def _model_serving(fake: FakeChatCompletions) -> Any:
    return serving(
        backend=ChatCompletionsBackend(
            "http://model.test/v1", api_key="sk-model", transport=fake.transport()
        )
    )


def test_a_model_searches_then_cites_and_the_client_never_answers_the_search() -> None:
    fake = FakeChatCompletions(
        [
            Calls((("file_search", '{"queries": ["lighthouse keeper"]}'),)),
            Text("The keeper is Ada Quill 【0:0†harbour.txt】."),
        ]
    )

    async def scenario() -> None:
        async with _model_serving(fake) as (client, _):
            assistant_id, harbour_id = await _search_assistant(client)
            beta = client.beta
            thread = await beta.threads.create(
                messages=[{"role": "user", "content": "Who keeps the light?"}]
            )
            events = []
            async with beta.threads.runs.stream(
                thread_id=thread.id, assistant_id=assistant_id
            ) as stream:
                async for event in stream:
                    events.append(event)
            kinds = [event.event for event in events]
            assert "thread.run.requires_action" not in kinds
            assert kinds[-1] == "thread.run.completed"
            created = [e.data for e in events if e.event == "thread.run.step.created"]
            assert created[0].step_details.tool_calls[0].type == "file_search"
            offered = fake.received[0].body
            (tool,) = offered["tools"]
            assert tool["function"]["name"] == "file_search"
            assert tool["function"]["parameters"]["required"] == ["queries"]
            assert any("【0:0†notes.txt】" in str(m["content"]) for m in offered["messages"])
            results = fake.received[1].body["messages"][-1]
            assert results["role"] == "tool" and results["tool_call_id"] == "call_0"
            assert results["content"].startswith("【0:0†harbour.txt】\nThe harbour of Port Lune")
            messages = await beta.threads.messages.list(thread.id)
            text = messages.data[0].content[0].text
            (citation,) = text.annotations
            assert citation.file_citation.file_id == harbour_id
            assert (citation.start_index, citation.end_index) == (24, 41)
            assert text.value[24:41] == "【0:0†harbour.txt】"

    run(scenario)


def test_a_search_beside_a_function_call_waits_only_for_the_function_output() -> None:
    fake = FakeChatCompletions(
        [
            Calls((("file_search", '{"queries": ["ferries"]}'), ("get_weather", "{}"))),
            Text("Ferries hourly 【0:0†harbour.txt】, weather sunny."),
        ]
    )
    weather = {"type": "function", "function": {"name": "get_weather", "parameters": {}}}

    async def scenario() -> None:
        async with _model_serving(fake) as (client, _):
            assistant_id, harbour_id = await _search_assistant(client)
            beta = client.beta
            thread = await beta.threads.create(
                messages=[{"role": "user", "content": "Ferries and weather?"}]
            )
            waiting = await beta.threads.runs.create_and_poll(
                thread_id=thread.id,
                assistant_id=assistant_id,
                tools=[{"type": "file_search"}, weather],
                **POLL,
            )
            assert waiting.status == "requires_action"
            (call,) = waiting.required_action.submit_tool_outputs.tool_calls
            assert call.function.name == "get_weather"
            done = await beta.threads.runs.submit_tool_outputs_and_poll(
                thread_id=thread.id,
                run_id=waiting.id,
                tool_outputs=[{"tool_call_id": call.id, "output": "sunny"}],
                **POLL,
            )
            assert done.status == "completed", done.last_error
            answered = fake.received[1].body["messages"]
            tools = [m for m in answered if m["role"] == "tool"]
            assert {m["tool_call_id"] for m in tools} == {"call_0", "call_1"}
            messages = await beta.threads.messages.list(thread.id)
            (citation,) = messages.data[0].content[0].text.annotations
            assert citation.file_citation.file_id == harbour_id

    run(scenario)


@pytest.mark.parametrize("include", [True, False])
def test_a_streamed_run_shows_the_results_content_only_when_create_run_includes_it(
    include: bool,
) -> None:
    async def scenario() -> None:
        async with serving() as (client, _):
            assistant_id, harbour_id = await _search_assistant(client)
            beta = client.beta
            thread = await beta.threads.create(
                messages=[{"role": "user", "content": "Who is the lighthouse keeper?"}]
            )
            async with beta.threads.runs.stream(
                thread_id=thread.id,
                assistant_id=assistant_id,
                include=[CONTENT] if include else openai.NOT_GIVEN,
            ) as stream:
                events = [event async for event in stream]
            (done,) = [
                e.data
                for e in events
                if e.event == "thread.run.step.completed" and e.data.type == "tool_calls"
            ]
            best = done.step_details.tool_calls[0].file_search.results[0]
            assert best.file_id == harbour_id
            if include:
                assert "Ada Quill" in best.content[0].text
            else:
                assert best.content is None
            assert events[-1].event == "thread.run.completed"

    run(scenario)


def test_an_image_file_reaches_the_model_as_an_image_of_the_stored_bytes() -> None:
    fake = FakeChatCompletions([Text("A red dot.")])
    pixels = b"\x89PNG\r\n\x1a\n" + bytes(range(64))

    async def scenario() -> None:
        async with _model_serving(fake) as (client, _):
            image = await upload(client, "dot.png", pixels)
            gone = await upload(client, "gone.png", pixels)
            await client.files.delete(gone.id)
            beta = client.beta
            assistant = await beta.assistants.create(model="m")
            run_ = await beta.threads.create_and_run_poll(
                assistant_id=assistant.id,
                thread={
                    "messages": [
                        {
                            "role": "user",
                            "content": [
                                {"type": "text", "text": "What is this?"},
                                {
                                    "type": "image_file",
                                    "image_file": {"file_id": image.id, "detail": "low"},
                                },
                                {"type": "image_file", "image_file": {"file_id": gone.id}},
                            ],
                        }
                    ]
                },
                **POLL,
            )
            assert run_.status == "completed", run_.last_error
            user = fake.received[0].body["messages"][-1]
            text, shown, missing = user["content"]
            assert text == {"type": "text", "text": "What is this?"}
            url = "data:image/png;base64," + base64.b64encode(pixels).decode()
            assert shown == {"type": "image_url", "image_url": {"url": url, "detail": "low"}}
            assert missing == {"type": "text", "text": f"[image file {gone.id} not available]"}

    run(scenario)


def test_an_image_counts_as_an_image_not_as_its_data_url_when_the_prompt_is_fitted() -> None:
    big = "data:image/png;base64," + "A" * 3_000_000
    message = {
        "role": "user",
        "content": [
            {"type": "text", "text": "hi"},
            {"type": "image_url", "image_url": {"url": big}},
        ],
    }
    assert IMAGE_TOKENS < estimate_tokens([message]) < IMAGE_TOKENS + 50


def test_a_file_search_run_after_a_restart_finds_and_cites_what_was_stored(tmp_path) -> None:
    db = tmp_path / "serve.db"

    async def before() -> tuple[str, str, str]:
        async with serving(db) as (client, library):
            assistant_id, harbour_id = await _search_assistant(client)
            thread = await client.beta.threads.create(
                messages=[{"role": "user", "content": "Who keeps the lighthouse?"}]
            )
            await library.wait_idle()
            return assistant_id, harbour_id, thread.id

    assistant_id, harbour_id, thread_id = asyncio.run(before())

    async def after() -> None:
        async with serving(db) as (client, _):
            run_ = await client.beta.threads.runs.create_and_poll(
                thread_id=thread_id, assistant_id=assistant_id, **POLL
            )
            assert run_.status == "completed", run_.last_error
            messages = await client.beta.threads.messages.list(thread_id)
            (citation,) = messages.data[0].content[0].text.annotations
            assert citation.file_citation.file_id == harbour_id

    run(after)


def test_a_forced_file_search_searches_once_and_needs_the_tool() -> None:
    async def scenario() -> None:
        async with serving() as (client, _):
            assistant_id, harbour_id = await _search_assistant(client)
            beta = client.beta
            plain = await beta.assistants.create(model="m")
            thread = await beta.threads.create(
                messages=[{"role": "user", "content": "Who keeps the lighthouse?"}]
            )
            with pytest.raises(openai.BadRequestError, match="no file_search tool"):
                await beta.threads.runs.create(
                    thread_id=thread.id,
                    assistant_id=plain.id,
                    tool_choice={"type": "file_search"},
                )
            run_ = await beta.threads.runs.create_and_poll(
                thread_id=thread.id,
                assistant_id=assistant_id,
                tool_choice={"type": "file_search"},
                **POLL,
            )
            assert run_.status == "completed", run_.last_error
            steps = await beta.threads.runs.steps.list(run_id=run_.id, thread_id=thread.id)
            assert [s.type for s in reversed(steps.data)] == ["tool_calls", "message_creation"]
            messages = await beta.threads.messages.list(thread.id)
            (citation,) = messages.data[0].content[0].text.annotations
            assert citation.file_citation.file_id == harbour_id

    run(scenario)
