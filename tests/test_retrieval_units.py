"""Retrieval's pure parts: text extraction, chunking, filters, the BM25 index, fusion."""

from __future__ import annotations

import io
import zipfile

import pytest

from openai_assistants.server.retrieval.chunking import (
    ChunkingStrategy,
    chunk_text,
    parse_chunking_strategy,
)
from openai_assistants.server.retrieval.errors import InvalidParameterError, RetrievalError
from openai_assistants.server.retrieval.extraction import extract_text
from openai_assistants.server.retrieval.filters import check_filter, matches
from openai_assistants.server.retrieval.fusion import reciprocal_rank_fusion
from openai_assistants.server.retrieval.index import ChunkIndex, match_expression, query_terms
from openai_assistants.server.retrieval.tokens import count_tokens, token_starts


def pdf_bytes(text: str) -> bytes:
    """A one-page PDF whose page shows ``text`` (built by hand: no PDF writer needed)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def docx_bytes(paragraphs: list[str]) -> bytes:
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    xml = f'<?xml version="1.0"?><w:document xmlns:w="{ns}"><w:body>{body}</w:body></w:document>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", xml)
    return out.getvalue()


# extraction


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("notes.txt", b"plain words", "plain words"),
        ("README.md", "# Title\n\nCaf\u00e9".encode(), "Caf\u00e9"),
        ("data.json", b'{"answer": 42}', '"answer": 42'),
        ("table.csv", b"city,country\nLyon,France\n", "Lyon,France"),
        ("main.py", b"def tide():\n    return 'high'\n", "def tide()"),
        ("latin.txt", "na\u00efve".encode("latin-1"), "na\u00efve"),
        ("bom.txt", "with bom".encode("utf-8-sig"), "with bom"),
    ],
)
def test_text_files_give_their_text(name: str, data: bytes, expected: str) -> None:
    text = extract_text(data, name)
    assert expected in text
    assert not text.startswith("\ufeff")


def test_html_gives_visible_text_only() -> None:
    page = b"<html><head><style>p{}</style><script>var x = 'hidden';</script></head>"
    page += b"<body><h1>Harbour</h1><p>Ferries leave at <b>noon</b>.</p></body></html>"
    text = extract_text(page, "page.html")
    assert "Harbour" in text and "Ferries leave at noon." in text
    assert "hidden" not in text and "p{}" not in text


def test_pdf_text_is_read() -> None:
    assert "The lighthouse keeper is Ada" in extract_text(
        pdf_bytes("The lighthouse keeper is Ada"), "doc.pdf"
    )


def test_docx_paragraphs_are_read() -> None:
    text = extract_text(docx_bytes(["First point", "Second point"]), "memo.docx")
    assert text.splitlines() == ["First point", "Second point"]


def test_an_unknown_name_with_a_text_type_is_read_as_text() -> None:
    assert extract_text(b"hello", "noextension", "text/plain") == "hello"


@pytest.mark.parametrize(
    ("name", "data", "code", "words"),
    [
        ("empty.txt", b"", "invalid_file", "empty"),
        ("photo.png", b"\x89PNG\r\n", "unsupported_file", "'.png'"),
        ("binary.txt", b"abc\x00\x01\x02def", "invalid_file", "binary"),
        ("broken.pdf", b"%PDF-1.4 this is not a pdf", "invalid_file", "not a readable PDF"),
        ("broken.docx", b"PK\x03\x04 nonsense", "invalid_file", "Office document"),
        ("blank.txt", b"   \n\t ", "invalid_file", "no text"),
    ],
)
def test_bad_files_are_error_values_with_api_codes(
    name: str, data: bytes, code: str, words: str
) -> None:
    with pytest.raises(RetrievalError) as caught:
        extract_text(data, name)
    assert caught.value.code == code
    assert words in caught.value.message
    assert caught.value.last_error() == {"code": code, "message": caught.value.message}


def test_an_encrypted_pdf_is_refused_as_encrypted() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes("secret plans"))))
    writer.encrypt(user_password="pw", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(RetrievalError) as caught:
        extract_text(out.getvalue(), "locked.pdf")
    assert caught.value.code == "invalid_file"
    assert "encrypted" in caught.value.message


# tokens and chunking


def test_every_character_belongs_to_one_token() -> None:
    text = "Hello, world!  It's 2026: internationalization_rocks\n\n\tcaf\u00e9 \u4e2d\u6587"
    starts = token_starts(text)
    assert starts[0] == 0 and starts == sorted(set(starts))
    assert count_tokens(text) == len(starts)
    assert count_tokens("a" + " a" * 99) == 100  # one token a short word with its space


def test_auto_is_800_tokens_with_400_overlap() -> None:
    strategy = parse_chunking_strategy({"type": "auto"})
    assert strategy.as_response() == {
        "type": "static",
        "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400},
    }
    assert parse_chunking_strategy(None) == strategy


def test_static_chunks_have_the_size_and_overlap_asked_for() -> None:
    text = " ".join(f"w{i}" for i in range(1000))  # "w12" is two tokens: " w" and "12"
    chunks = chunk_text(text, ChunkingStrategy(100, 20))
    assert all(count_tokens(chunk) <= 100 for chunk in chunks)
    assert chunks[0].startswith("w0 ") and chunks[-1].endswith("w999")
    # 20 shared tokens: the last 20 tokens of one chunk start the next one
    first_tokens = token_starts(chunks[0])
    assert chunks[1].startswith(chunks[0][first_tokens[80] :])


def test_a_short_text_is_one_chunk_and_whitespace_none() -> None:
    assert chunk_text("just this", ChunkingStrategy()) == ["just this"]
    assert chunk_text("   ", ChunkingStrategy()) == []


@pytest.mark.parametrize(
    ("value", "param"),
    [
        ({"type": "static", "static": {"max_chunk_size_tokens": 99, "chunk_overlap_tokens": 0}},
         "chunking_strategy.static.max_chunk_size_tokens"),
        ({"type": "static", "static": {"max_chunk_size_tokens": 4097, "chunk_overlap_tokens": 0}},
         "chunking_strategy.static.max_chunk_size_tokens"),
        ({"type": "static", "static": {"max_chunk_size_tokens": 200, "chunk_overlap_tokens": 101}},
         "chunking_strategy.static.chunk_overlap_tokens"),
        ({"type": "static", "static": {"max_chunk_size_tokens": 200}},
         "chunking_strategy.static.chunk_overlap_tokens"),
        ({"type": "static"}, "chunking_strategy.static"),
        ({"type": "semantic"}, "chunking_strategy.type"),
        ("auto", "chunking_strategy"),
    ],
)  # fmt: skip
def test_chunking_out_of_bounds_is_refused_not_clamped(value: object, param: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        parse_chunking_strategy(value)
    assert caught.value.param == param


def test_static_bounds_are_inclusive() -> None:
    for size, overlap in ((100, 50), (4096, 2048), (100, 0)):
        value = {"max_chunk_size_tokens": size, "chunk_overlap_tokens": overlap}
        assert parse_chunking_strategy({"type": "static", "static": value}) == ChunkingStrategy(
            size, overlap
        )


# filters


ATTRS = {"author": "Ada", "year": 2024, "draft": False}


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"type": "eq", "key": "author", "value": "Ada"}, True),
        ({"type": "ne", "key": "author", "value": "Ada"}, False),
        ({"type": "gt", "key": "year", "value": 2023}, True),
        ({"type": "gte", "key": "year", "value": 2024}, True),
        ({"type": "lt", "key": "year", "value": 2024}, False),
        ({"type": "lte", "key": "year", "value": 2024.0}, True),
        ({"type": "eq", "key": "draft", "value": False}, True),
        ({"type": "eq", "key": "draft", "value": 0}, False),
        ({"type": "gt", "key": "author", "value": 5}, False),
        ({"type": "in", "key": "author", "value": ["Bo", "Ada"]}, True),
        ({"type": "nin", "key": "author", "value": ["Bo", "Ada"]}, False),
        ({"type": "eq", "key": "missing", "value": 1}, False),
        ({"type": "ne", "key": "missing", "value": 1}, True),
        (
            {
                "type": "and",
                "filters": [
                    {"type": "eq", "key": "author", "value": "Ada"},
                    {"type": "or", "filters": [
                        {"type": "lt", "key": "year", "value": 2000},
                        {"type": "eq", "key": "draft", "value": False},
                    ]},
                ],
            },
            True,
        ),
        ({"type": "or", "filters": []}, False),
    ],
)  # fmt: skip
def test_filters_compare_attributes(flt: dict, expected: bool) -> None:
    assert matches(check_filter(flt), ATTRS) is expected


@pytest.mark.parametrize(
    ("flt", "param"),
    [
        ({"type": "like", "key": "a", "value": 1}, "filters.type"),
        ({"type": "eq", "value": 1}, "filters.key"),
        ({"type": "eq", "key": "a"}, "filters.value"),
        ({"type": "eq", "key": "a", "value": {"x": 1}}, "filters.value"),
        ({"type": "in", "key": "a", "value": "x"}, "filters.value"),
        ({"type": "and", "filters": [{"type": "eq", "key": 1, "value": 1}]},
         "filters.filters[0].key"),
        ({"type": "eq", "key": "a", "value": 1, "extra": 1}, "filters.extra"),
    ],
)  # fmt: skip
def test_malformed_filters_name_the_path(flt: dict, param: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        check_filter(flt)
    assert caught.value.param == param


# the index


@pytest.fixture
def index() -> ChunkIndex:
    idx = ChunkIndex()
    idx.add("vs_a", "file-1", "doc 1", ["The lighthouse keeper is named Ada Lovelace."])
    idx.add("vs_a", "file-2", "doc 2", ["Ferries to the island leave every hour at noon."])
    idx.add("vs_a", "file-3", "doc 3", ["Keeper keeper keeper: the island lighthouse keeper."])
    idx.add("vs_b", "file-4", "doc 4", ["A lighthouse in another store."])
    yield idx
    idx.close()


def test_a_question_finds_chunks_sharing_only_some_words(index: ChunkIndex) -> None:
    hits = index.search(["vs_a"], "Who keeps the lighthouse on the island?", limit=10)
    assert {hit.file_id for hit in hits} == {"file-1", "file-2", "file-3"}
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < score <= 1 for score in scores)


def test_search_stays_in_the_stores_and_files_asked_for(index: ChunkIndex) -> None:
    assert {h.file_id for h in index.search(["vs_b"], "lighthouse", limit=10)} == {"file-4"}
    both = index.search(["vs_a", "vs_b"], "lighthouse", limit=10)
    assert {h.file_id for h in both} == {"file-1", "file-3", "file-4"}
    only = index.search(["vs_a"], "lighthouse", limit=10, file_ids=["file-3"])
    assert [h.file_id for h in only] == ["file-3"]
    assert index.search(["vs_a"], "lighthouse", limit=10, file_ids=[]) == []
    assert len(index.search(["vs_a", "vs_b"], "lighthouse", limit=2)) == 2


@pytest.mark.parametrize(
    "query",
    ['"keeper', "keeper AND NOT", "NEAR(keeper)", "keeper*", "text: keeper", "-keeper ^"],
)
def test_fts_syntax_in_a_query_is_just_text(index: ChunkIndex, query: str) -> None:
    hits = index.search(["vs_a"], query, limit=10)
    assert [hit.file_id for hit in hits] == ["file-3", "file-1"]


def test_query_terms_are_quoted_words() -> None:
    assert query_terms('Caf\u00e9 "AND" caf\u00e9 NEAR*') == ["cafe", "and", "near"]
    assert match_expression(["a", 'b"c']) == '"a" OR "b""c"'


def test_a_query_without_known_words_finds_nothing(index: ChunkIndex) -> None:
    assert index.search(["vs_a"], "zebra!!", limit=5) == []
    assert index.search(["vs_a"], "   ?? ", limit=5) == []


def test_removing_a_file_or_store_leaves_nothing(index: ChunkIndex) -> None:
    index.remove_file("vs_a", "file-3")
    assert "file-3" not in {h.file_id for h in index.search(["vs_a"], "keeper", limit=10)}
    assert index.document("vs_a", "file-3") is None
    index.remove_store("vs_a")
    assert index.search(["vs_a"], "keeper lighthouse ferries", limit=10) == []
    assert index.chunk_count == 1
    tables = ("retrieval_chunks", "retrieval_documents", "retrieval_fts")
    for table in tables:
        assert index._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 1
    terms = dict(index._db.execute("SELECT term, doc FROM retrieval_vocab").fetchall())
    assert terms == {"a": 1, "lighthouse": 1, "in": 1, "another": 1, "store": 1}


def test_the_index_survives_a_restart(tmp_path) -> None:
    path = tmp_path / "index.sqlite"
    first = ChunkIndex(path)
    first.add("vs_a", "file-1", "the whole text", ["persistent harbour"])
    first.close()
    again = ChunkIndex(path)
    assert [h.file_id for h in again.search(["vs_a"], "harbour", limit=3)] == ["file-1"]
    assert again.document("vs_a", "file-1") == "the whole text"
    again.close()


def test_vectors_are_ranked_by_cosine(index: ChunkIndex) -> None:
    from openai_assistants.server.retrieval.embeddings import pack

    ids = {f: index.chunk_ids("vs_a", f)[0] for f in ("file-1", "file-2", "file-3")}
    index.set_vectors(
        "vs_a",
        [
            (ids["file-1"], pack([1, 0])),
            (ids["file-2"], pack([0, 1])),
            (ids["file-3"], pack([1, 1])),
        ],
    )
    hits = index.vector_search(["vs_a"], [1.0, 0.1], limit=3)
    assert [h.file_id for h in hits] == ["file-1", "file-3", "file-2"]
    assert hits[0].score == pytest.approx(0.995, abs=0.01)


def test_fusion_rewards_agreement_and_stays_in_0_1() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "a", "d"]])
    assert [item for item, _ in fused][:2] in (["a", "b"], ["b", "a"])
    assert fused[-1][0] in ("c", "d")
    assert reciprocal_rank_fusion([["x"], ["x"]]) == [("x", 1.0)]
    assert all(0 < score <= 1 for _, score in fused)


def test_a_run_prompt_shows_an_expired_image_as_missing_and_leaves_deleting_it_to_the_loop():
    """The prompt is built on a worker thread: it must not delete (and recount stores) there."""
    from openai_assistants.server.retrieval.library import FILE, Library
    from openai_assistants.server.runs.model_request import image_file_part
    from openai_assistants.server.store.sqlite import SqliteStore

    clock = [1000.0]
    library = Library(SqliteStore(), clock=lambda: clock[0])
    library.store.insert(
        FILE,
        {"id": "file-img", "object": "file", "bytes": 3, "filename": "a.png", "expires_at": 1500},
    )
    clock[0] = 2000.0
    shown = image_file_part({"file_id": "file-img"}, library)
    assert shown == {"type": "text", "text": "[image file file-img not available]"}
    assert library.store.get(FILE, "file-img") is not None  # not deleted from the worker
    assert library.file("file-img") is None  # the next request on the loop deletes it
    assert library.store.get(FILE, "file-img") is None
