"""Citation markers found while a reply streams in (``runs.file_search.StreamedCitations``).

A streaming client gets each ``file_citation`` in the message delta that completes its
marker, however the model cut the text into pieces; the streamed text and annotations must
add up to exactly what the finished message says (``citations`` over the whole text).
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from openai_assistants.server.runs.file_search import StreamedCitations, citations

SOURCES = {
    "0:0": {"file_id": "file-harbour", "filename": "harbour.txt"},
    "0:1": {"file_id": "file-recipes", "filename": "recipes.md"},
}


def _stream(pieces: list[str], sources: dict[str, Any] = SOURCES) -> list[tuple[str, list]]:
    citing = StreamedCitations(sources)
    deltas = [citing.feed(piece) for piece in pieces]
    deltas.append((citing.flush(), []))
    return deltas


def _without_index(annotations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in a.items() if k != "index"} for a in annotations]


def test_a_marker_cut_across_pieces_comes_whole_with_its_annotation() -> None:
    pieces = ["Ada keeps it ", "【0", ":0†har", "bour.txt", "】", " daily."]
    deltas = _stream(pieces)
    texts = [text for text, _ in deltas]
    assert texts == ["Ada keeps it ", "", "", "", "【0:0†harbour.txt】", " daily.", ""]
    (annotation,) = deltas[4][1]
    assert annotation == {
        "index": 0,
        "type": "file_citation",
        "text": "【0:0†harbour.txt】",
        "start_index": 13,
        "end_index": 30,
        "file_citation": {"file_id": "file-harbour"},
    }
    assert "".join(texts)[13:30] == annotation["text"]


def test_text_that_cannot_become_a_marker_is_not_held() -> None:
    deltas = _stream(["a 【x", "yz 【1", "2 times", " 【0:0", " no"])
    assert [text for text, _ in deltas] == ["a 【x", "yz ", "【12 times", " ", "【0:0 no", ""]
    assert all(not annotations for _, annotations in deltas)


def test_markers_are_numbered_in_order_and_unknown_ones_get_none() -> None:
    text = "A 【0:1†recipes.md】 B 【7:7†nowhere.txt】 C 【3:3†harbour.txt】 D 【0:0†x】."
    deltas = _stream([text[i : i + 3] for i in range(0, len(text), 3)])
    streamed = [a for _, annotations in deltas for a in annotations]
    assert [a["index"] for a in streamed] == [0, 1, 2]
    assert [a["file_citation"]["file_id"] for a in streamed] == [
        "file-recipes",
        "file-harbour",  # by file name
        "file-harbour",  # by n:m
    ]
    assert _without_index(streamed) == citations(text, SOURCES)


def test_without_sources_nothing_is_held_or_annotated() -> None:
    deltas = _stream(["x 【0:", "0†harbour.txt】"], sources={})
    assert deltas == [("x 【0:", []), ("0†harbour.txt】", []), ("", [])]


def test_a_marker_that_never_ends_is_released_and_still_cited_when_it_ends() -> None:
    long_name = "n" * (StreamedCitations.HELD_AT_MOST + 10)
    deltas = _stream(["see 【0:0†", long_name, "】 ok"])
    assert deltas[0] == ("see ", [])
    assert deltas[1] == ("【0:0†" + long_name, [])  # too long to hold back any longer
    text, (annotation,) = deltas[2]
    assert text == "】 ok" and annotation["start_index"] == 4


_ALPHABET = st.sampled_from(["【", "】", "†", ":", "0", "1", "7", "a", " ", ".", "harbour.txt"])


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(_ALPHABET, max_size=40),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12),
)
def test_streamed_text_and_annotations_equal_the_finished_messages(
    parts: list[str], cuts: list[int]
) -> None:
    text = "".join(parts)
    bounds = sorted({0, len(text), *(c for c in cuts if c < len(text))})
    pieces = [text[a:b] for a, b in itertools.pairwise(bounds)]
    deltas = _stream(pieces)
    assert "".join(t for t, _ in deltas) == text
    streamed = [a for _, annotations in deltas for a in annotations]
    assert [a["index"] for a in streamed] == list(range(len(streamed)))
    assert _without_index(streamed) == citations(text, SOURCES)
    sent = received = 0
    for piece, (delta_text, made) in zip([*pieces, ""], deltas, strict=True):
        before = sent
        sent += len(delta_text)
        received += len(piece)
        held = text[sent:received]  # only what may still become a marker waits
        assert held == "" or (held.startswith("【") and "】" not in held), held
        for annotation in made:  # each comes with the piece that ends its marker
            assert before < annotation["end_index"] <= sent
            assert text[annotation["start_index"] : annotation["end_index"]] == annotation["text"]


class _HoldingLittle(StreamedCitations):
    HELD_AT_MOST = 6  # so that random texts release markers that have not ended yet


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(_ALPHABET, max_size=40),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12),
)
def test_released_markers_still_add_up_to_the_finished_message(
    parts: list[str], cuts: list[int]
) -> None:
    text = "".join(parts)
    bounds = sorted({0, len(text), *(c for c in cuts if c < len(text))})
    citing = _HoldingLittle(SOURCES)
    deltas = [citing.feed(text[a:b]) for a, b in itertools.pairwise(bounds)]
    deltas.append((citing.flush(), []))
    assert "".join(t for t, _ in deltas) == text
    streamed = [a for _, annotations in deltas for a in annotations]
    assert [a["index"] for a in streamed] == list(range(len(streamed)))
    assert _without_index(streamed) == citations(text, SOURCES)


def test_a_long_reply_after_a_marker_that_never_ends_takes_linear_time() -> None:
    """A model that writes one malformed marker (``]`` for ``】``) and then a long answer: each
    piece must not rescan (or copy) everything since the marker began; that was quadratic,
    seconds of the event loop for a long answer (7.5 s for 64,000 characters)."""
    pieces = ["See 【0:0†harbour.txt] and then "] + ["word "] * 40_000  # 200,000 characters
    citing = StreamedCitations(SOURCES)
    started = time.perf_counter()
    sent = [citing.feed(piece)[0] for piece in pieces]
    sent.append(citing.flush())
    elapsed = time.perf_counter() - started
    assert "".join(sent) == "".join(pieces)
    assert elapsed < 1.0, f"{elapsed:.2f} s for 200,000 characters"
    _, (annotation,) = citing.feed("】")  # it may still end, and is cited then
    assert annotation["start_index"] == 4


def test_a_malformed_marker_does_not_swallow_the_next_one() -> None:
    """A name holds no 【: ``【0:0†x] … 【0:0†harbour.txt】`` cites only the second marker."""
    text = "Seen in 【0:1†recipes.md] and in 【0:0†harbour.txt】."
    (cited,) = citations(text, SOURCES)
    assert cited["text"] == "【0:0†harbour.txt】"
    assert cited["file_citation"] == {"file_id": "file-harbour"}
    assert text[cited["start_index"] : cited["end_index"]] == cited["text"]
    pieces = ["Seen in 【0:1†rec", "ipes.md] and", " in 【0:0†harbour", ".txt】."]
    deltas = _stream(pieces)
    assert "".join(t for t, _ in deltas) == text
    assert _without_index([a for _, made in deltas for a in made]) == [cited]
