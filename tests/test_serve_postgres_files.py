"""Files, vector stores and ``file_search`` across ``serve`` instances on one PostgreSQL database.

Real ``openai-assistants serve`` processes (echo backend, :func:`test_serve_postgres.instances`)
and the official SDK as the client: a file uploaded on one instance is downloaded byte for byte
from the other, a batch uploaded on one is searched on the other, a ``file_search`` run created
on the other cites it (with the results' content when asked), all of it is still there after both
restart; and an instance killed (kill -9) while it ingests leaves its file to the other, which
takes it over once the lease runs out and completes it.
"""

from __future__ import annotations

import io
import random
import time

import openai
import pytest
from test_serve_postgres import HEADERS, instances

from openai_assistants.server.retrieval.library import TEST_INGEST_DELAY_ENV

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CONTENT = "step_details.tool_calls[*].file_search.results[*].content"
HARBOUR = (
    b"The harbour of Port Lune opens at dawn. Ferries to the island leave every hour.\n\n"
    b"The lighthouse keeper is named Ada Quill; she has kept the light since 1998.\n"
)
POLL = {"poll_interval_ms": 50}


@pytest.fixture(scope="module")
def database(postgres_server) -> str:
    postgres_server.new_database("files_instances")
    postgres_server.admin("CREATE EXTENSION IF NOT EXISTS vector", database="files_instances")
    return postgres_server.url("files_instances", password=False)


def client(instance) -> openai.OpenAI:
    return openai.OpenAI(
        api_key="sk-test", base_url=instance.url, max_retries=0, timeout=30
    ).with_options(default_headers={"OpenAI-Beta": HEADERS["OpenAI-Beta"]})


def test_what_one_instance_stores_the_other_serves_searches_and_cites_also_after_a_restart(
    database,
) -> None:
    blob = random.Random(5).randbytes(5 * 1024 * 1024 + 17)  # several parts of 2 MiB
    with instances(database, 2, run_duration=0) as (a, b):
        on_a, on_b = client(a), client(b)
        uploaded = on_a.files.create(file=("blob.bin", io.BytesIO(blob)), purpose="assistants")
        assert on_b.files.content(uploaded.id).content == blob
        store = on_a.vector_stores.create(name="harbour")
        batch = on_a.vector_stores.file_batches.upload_and_poll(
            vector_store_id=store.id, files=[("harbour.txt", io.BytesIO(HARBOUR))], **POLL
        )
        assert batch.status == "completed" and batch.file_counts.completed == 1
        (harbour_id,) = [f.id for f in on_a.vector_stores.files.list(store.id)]
        found = on_b.vector_stores.search(store.id, query="who keeps the lighthouse")
        assert [r.file_id for r in found.data] == [harbour_id]
        assert "Ada Quill" in found.data[0].content[0].text
        assistant = on_b.beta.assistants.create(
            model="echo",
            tools=[{"type": "file_search"}],
            tool_resources={"file_search": {"vector_store_ids": [store.id]}},
        )
        thread = on_b.beta.threads.create(
            messages=[{"role": "user", "content": "Who keeps the lighthouse?"}]
        )
        run = on_b.beta.threads.runs.create_and_poll(
            thread_id=thread.id, assistant_id=assistant.id, include=[CONTENT], **POLL
        )
        assert run.status == "completed", run.last_error
        reply = on_a.beta.threads.messages.list(thread.id).data[0].content[0].text
        assert [c.file_citation.file_id for c in reply.annotations] == [harbour_id]
        steps = on_a.beta.threads.runs.steps.list(run.id, thread_id=thread.id, include=[CONTENT])
        (search,) = [s for s in steps.data if s.type == "tool_calls"]
        result = search.step_details.tool_calls[0].file_search.results[0]
        assert result.file_id == harbour_id and "Ada Quill" in result.content[0].text

    with instances(database, 2, run_duration=0) as (a, b):  # both restarted
        assert client(b).files.content(uploaded.id).content == blob
        found = client(a).vector_stores.search(store.id, query="ferries")
        assert [r.file_id for r in found.data] == [harbour_id]
        client(a).files.delete(uploaded.id)
        assert client(b).files.list().data[0].id == harbour_id


def test_a_file_whose_instance_was_killed_while_ingesting_is_completed_by_the_other(
    database, monkeypatch
) -> None:
    monkeypatch.setenv(TEST_INGEST_DELAY_ENV, "2")  # each ingestion waits 2 s before it works
    with instances(database, 2, run_duration=0) as (a, b):
        on_a, on_b = client(a), client(b)
        file = on_a.files.create(file=("harbour.txt", io.BytesIO(HARBOUR)), purpose="assistants")
        store = on_a.vector_stores.create(name="taken over")
        added = on_a.vector_stores.files.create(vector_store_id=store.id, file_id=file.id)
        assert added.status == "in_progress"
        a.kill()
        assert on_b.vector_stores.files.retrieve(file.id, vector_store_id=store.id).status == (
            "in_progress"
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            status = on_b.vector_stores.files.retrieve(file.id, vector_store_id=store.id).status
            if status != "in_progress":
                break
            time.sleep(0.1)
        assert status == "completed"
        found = on_b.vector_stores.search(store.id, query="lighthouse")
        assert [r.file_id for r in found.data] == [file.id]
        assert on_b.vector_stores.retrieve(store.id).file_counts.completed == 1
