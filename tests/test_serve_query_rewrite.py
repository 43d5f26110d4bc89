"""``rewrite_query`` on ``POST /vector_stores/{id}/search``: a question searched as keywords.

``serve``'s rewrite is a keyword rewrite (no model): the question's stop words go, so in the
lexical ranking the words that carry the question decide which chunk comes first, and the
answer's ``search_query`` says what was searched.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_serve_files_sdk import run, serving, upload

from openai_assistants.server.retrieval.query_rewrite import rewrite

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

KEEPER = b"Ada Quill keeps the light. She is its keeper."
# shares only the question's stop words, many times
TOWN = b"Who is who? What is the town of the river and of the hills, who is in it and who is not?"
QUESTION = "Who is the keeper of the light?"


@pytest.mark.parametrize(
    ("query", "rewritten"),
    [
        (QUESTION, "keeper light"),
        ("How long do I knead bread?", "long knead bread"),
        ("Can you please tell me when the ferries leave?", "ferries leave"),
        ("What's the Café's name? café CAFE cafe", "café name"),  # one word, as the index folds
        ("ferries, ferries; FERRIES!", "ferries"),
        ("snake_case 1998 v2", "snake case 1998 v2"),  # words as the index cuts them
        ("What is it?", "What is it?"),  # nothing would remain: the query as given
        ("?!", "?!"),
    ],
)
def test_a_question_is_rewritten_into_its_keywords(query: str, rewritten: str) -> None:
    assert rewrite(query) == rewritten


async def _store(client: Any, library: Any) -> tuple[str, str, str]:
    """A store of the keeper and town documents, ingested; (store ID, keeper file ID, town
    file ID)."""
    keeper = await upload(client, "keeper.txt", KEEPER)
    town = await upload(client, "town.txt", TOWN)
    store = await client.vector_stores.create(file_ids=[keeper.id, town.id])
    await library.wait_idle()
    store = await client.vector_stores.retrieve(store.id)
    assert store.file_counts.completed == 2
    return store.id, keeper.id, town.id


def test_the_rewrite_ranks_the_answer_first_where_stop_words_would_dilute() -> None:
    async def scenario() -> None:
        async with serving() as (client, library):
            store_id, keeper_id, town_id = await _store(client, library)
            plain = await client.vector_stores.search(store_id, query=QUESTION)
            assert plain.search_query == [QUESTION]
            assert plain.data[0].file_id == town_id  # "who", "is", "the", "of" win
            rewritten = await client.vector_stores.search(
                store_id, query=QUESTION, rewrite_query=True
            )
            assert rewritten.search_query == ["keeper light"]
            assert rewritten.data[0].file_id == keeper_id
            keywords = await client.vector_stores.search(store_id, query="keeper light")
            assert [r.model_dump() for r in rewritten.data] == [
                r.model_dump() for r in keywords.data
            ]

    run(scenario)


def test_rewrite_query_false_searches_the_queries_as_given() -> None:
    async def scenario() -> None:
        async with serving() as (client, library):
            store_id, _, town_id = await _store(client, library)
            queries = [QUESTION, "Where is the town?"]
            kept = await client.vector_stores.search(store_id, query=queries, rewrite_query=False)
            assert kept.search_query == queries
            assert kept.data[0].file_id == town_id
            both = await client.vector_stores.search(store_id, query=queries, rewrite_query=True)
            assert both.search_query == ["keeper light", "town"]

    run(scenario)
