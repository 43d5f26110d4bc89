"""The 21 Files and Vector Stores operations through the engine, against a deterministic fake.

What a user relies on: every operation answers in Raw and Structured with the declared
columns; Upload File streams local files (one upload per row, a missing file a clear error
naming its path, per row when errors are output); the three creating operations can wait
until processing ends; Search gives one row per result with its input row and query; Get
File Content gives text when it is text and the exact bytes in a folder; the OpenAI-Beta
header goes with the vector-store operations only, as the SDK sends it.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from fake_documents import FakeDocumentsServer
from hypothesis import given, settings
from hypothesis import strategies as st
from test_engine import call

from openai_assistants import operations
from openai_assistants.client.client import ApiClient
from openai_assistants.client.connection import ConnectionConfig
from openai_assistants.client.exchange import ApiResponse
from openai_assistants.client.multipart import UploadBody, UploadReadError, upload_body
from openai_assistants.engine.body_fields import inputs_with_field_columns, with_fields
from openai_assistants.engine.execute import (
    CallInput,
    CallSettings,
    ErrorHandling,
    expected_object,
    output_columns,
)
from openai_assistants.engine.file_content import (
    SAVED_COLUMN,
    check_folder,
    file_name,
    save_contents,
)
from openai_assistants.engine.prepare import prepare_call
from openai_assistants.engine.processing_wait import wait_until_processed
from openai_assistants.engine.run_polling import WaitOptions
from openai_assistants.errors import (
    CancelledError,
    HttpStatusError,
    InvalidSettingsError,
    RunWaitTimeoutError,
)
from openai_assistants.tables.results import ResultFormat, arrow_schema

ENV = {"OPENAI_API_KEY": "sk-documents-test"}
FAST_WAIT = WaitOptions(poll_interval=0.01, max_wait=20.0)
HANDBOOK = "# Handbook\n\nThe warranty lasts two years.\n\nReturns within 30 days.\n"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeDocumentsServer]:
    with FakeDocumentsServer(polls=2) as server:
        yield server


# one operation executed on the fake, path values and options as keywords (test_engine's)
run = partial(call, env=ENV)


def answer(outcome, n: int = 0) -> dict[str, Any]:
    return json.loads(outcome.rows[n].response.text)


def upload(fake: FakeDocumentsServer, path: Path, **options: Any) -> dict[str, Any]:
    return answer(run(fake, "createFile", {"file": str(path), "purpose": "assistants"}, **options))


@pytest.fixture(scope="module")
def world(fake: FakeDocumentsServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A file, a vector store holding it (processed), a file batch."""
    folder = tmp_path_factory.mktemp("docs")
    (folder / "handbook.md").write_text(HANDBOOK, "utf-8")
    file_id = upload(fake, folder / "handbook.md")["id"]
    store = answer(
        run(fake, "createVectorStore", {"name": "S", "file_ids": [file_id]}, wait=FAST_WAIT)
    )
    assert store["status"] == "completed"
    batch = answer(run(fake, "createVectorStoreFileBatch", {"file_ids": [file_id]}, **{
        "vector_store_id": store["id"]}))  # fmt: skip
    return {"file_id": file_id, "vector_store_id": store["id"], "batch_id": batch["id"]}


def values_for(fake, world, tmp_path: Path, operation_id: str) -> tuple[Any, dict[str, str]]:
    """(body, path values) that make the operation succeed (fresh objects to delete)."""
    operation = operations.by_id(operation_id)
    path = {name: world[name] for name in operation.path_parameters}
    if operation_id == "deleteFile":
        (tmp_path / "gone.txt").write_text("bye")
        path["file_id"] = upload(fake, tmp_path / "gone.txt")["id"]
    elif operation_id == "deleteVectorStore":
        path["vector_store_id"] = answer(run(fake, "createVectorStore", {}))["id"]
    elif operation_id == "deleteVectorStoreFile":
        (tmp_path / "detach.txt").write_text("detach me")
        other = upload(fake, tmp_path / "detach.txt")["id"]
        run(fake, "createVectorStoreFile", {"file_id": other}, **path)
        path["file_id"] = other
    (tmp_path / "new.txt").write_text("new")
    bodies = {
        "createFile": {"file": str(tmp_path / "new.txt"), "purpose": "assistants"},
        "createVectorStore": {"name": "Docs"},
        "modifyVectorStore": {"name": "Renamed"},
        "searchVectorStore": {"query": "warranty"},
        "createVectorStoreFile": {"file_id": world["file_id"]},
        "updateVectorStoreFileAttributes": {"attributes": {"lang": "en"}},
        "createVectorStoreFileBatch": {"file_ids": [world["file_id"]]},
    }
    return bodies.get(operation_id, None if not operation.has_body else {}), path


@pytest.mark.parametrize("result_format", [ResultFormat.RAW, ResultFormat.STRUCTURED])
@pytest.mark.parametrize("operation_id", [op.operation_id for op in operations.DOCUMENTS_API])
def test_every_operation_in_raw_and_structured(
    fake, world, tmp_path: Path, operation_id: str, result_format: ResultFormat
) -> None:
    operation = operations.by_id(operation_id)
    body, path = values_for(fake, world, tmp_path, operation_id)
    outcome = run(fake, operation_id, body, result_format=result_format, **path)
    assert outcome.table.schema == arrow_schema(output_columns(operation, result_format))
    table = outcome.table.to_pylist()
    assert table, "every operation answers with at least one row here"
    if result_format is ResultFormat.RAW:
        assert [row["status"] for row in table] == [200]
        if not operation.raw_answer:
            assert json.loads(table[0]["body"])["object"] == expected_object(operation)
    elif operation.returns_list:
        assert [row["<RowID>"] for row in table] == [f"Row0#{n}" for n in range(len(table))]
        assert {row["http_status"] for row in table} == {200}
    else:
        assert len(table) == 1 and table[0]["http_status"] == 200 and table[0]["error"] is None
        if "object" in table[0]:
            assert table[0]["object"] == expected_object(operation)


def test_the_sdks_headers_beta_only_for_vector_stores(fake, world) -> None:
    fake.state.log.clear()
    run(fake, "retrieveFile", file_id=world["file_id"])
    run(fake, "downloadFile", file_id=world["file_id"])
    run(fake, "getVectorStore", vector_store_id=world["vector_store_id"])
    got_file, content, got_store = fake.state.log[-3:]
    assert "openai-beta" not in got_file.headers and "openai-beta" not in content.headers
    assert content.headers["accept"] == "application/binary"
    assert got_store.headers["openai-beta"] == "assistants=v2"


def test_structured_columns_of_a_file_and_a_vector_store(fake, world) -> None:
    (row,) = run(
        fake, "retrieveFile", result_format=ResultFormat.STRUCTURED, file_id=world["file_id"]
    ).table.to_pylist()
    assert row["filename"] == "handbook.md" and row["bytes"] == len(HANDBOOK)
    assert row["purpose"] == "assistants" and row["created_at"].year == 2026
    (store,) = run(
        fake,
        "getVectorStore",
        result_format=ResultFormat.STRUCTURED,
        vector_store_id=world["vector_store_id"],
    ).table.to_pylist()
    assert store["status"] == "completed"
    assert store["file_counts_total"] >= 1 and store["file_counts_in_progress"] == 0


# --- Upload File ----------------------------------------------------------------------------


def test_uploads_one_file_per_row_and_a_missing_file_fails_only_its_row(
    fake, tmp_path: Path
) -> None:
    (tmp_path / "a.txt").write_text("alpha")
    (tmp_path / "b.json").write_text('{"b": 1}')
    rows = ["r0", "r1", "r2"]
    inputs = [CallInput(r, CallSettings(body='{"purpose": "assistants"}')) for r in rows]
    paths = [str(tmp_path / "a.txt"), str(tmp_path / "missing.pdf"), str(tmp_path / "b.json")]
    inputs = inputs_with_field_columns(inputs, {"file": paths})
    before = len(fake.state.files)
    outcome = run(
        fake,
        "createFile",
        inputs=inputs,
        on_error=ErrorHandling.OUTPUT,
        result_format=ResultFormat.STRUCTURED,
        concurrency=2,
    )
    table = outcome.table.to_pylist()
    assert [row["<RowID>"] for row in table] == rows
    assert [row["filename"] for row in table] == ["a.txt", None, "b.json"]
    assert [row["bytes"] for row in table] == [5, None, 8]
    assert "missing.pdf" in table[1]["error"] and "No such file" in table[1]["error"]
    assert any("r1:" in w and "missing.pdf" in w for w in outcome.warnings)
    assert len(fake.state.files) == before + 2


def test_a_missing_file_fails_before_anything_is_sent(fake, tmp_path: Path) -> None:
    fake.state.log.clear()
    missing = tmp_path / "nope" / "report.pdf"
    with pytest.raises(InvalidSettingsError, match=r"report\.pdf") as caught:
        upload(fake, missing)
    assert caught.value.setting == "file"
    with pytest.raises(InvalidSettingsError, match="is a folder"):
        upload(fake, tmp_path)
    assert fake.state.log == []


def test_an_upload_is_streamed_from_disk_not_read_into_memory(fake, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    piece = bytes(range(256)) * 4096  # 1 MiB
    with big.open("wb") as handle:
        for _ in range(24):
            handle.write(piece)
    tracemalloc.start()
    try:
        created = upload(fake, big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert created["bytes"] == 24 * len(piece)
    logged = next(e for e in reversed(fake.state.log) if e.upload)
    assert logged.upload.filename == "big.bin" and logged.upload.size == 24 * len(piece)
    assert peak < 8 * len(piece), f"peak {peak} bytes while uploading 24 MiB"


def test_a_file_that_changes_while_it_is_sent_stops_the_upload(tmp_path: Path) -> None:
    path = tmp_path / "growing.log"
    path.write_text("first line\n")
    body = upload_body({"file": str(path), "purpose": "assistants"}, "file", ("file", "purpose"))
    assert isinstance(body, UploadBody) and len(body) == len(b"".join(body))
    path.write_text("first line\nsecond line\n")
    with pytest.raises(UploadReadError, match="changed while it was sent"):
        b"".join(body)


def test_form_fields_follow_the_schema_order_and_the_sdks_spelling(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n")
    body = upload_body(
        {"expires_after": {"anchor": "created_at", "seconds": 3600}, "file": str(path),
         "purpose": "batch"},
        "file",
        ("file", "purpose", "expires_after"),
    )  # fmt: skip
    sent = b"".join(body).decode()
    assert sent.index('name="purpose"') < sent.index('name="expires_after[anchor]"')
    assert sent.index('name="expires_after[seconds]"\r\n\r\n3600\r\n') < sent.index("x.csv")
    assert 'filename="x.csv"\r\nContent-Type: text/csv' in sent


@pytest.mark.parametrize("path", ["a\x00b.txt", "\ud800.txt"])
def test_an_impossible_path_is_a_settings_error(path: str) -> None:
    with pytest.raises(InvalidSettingsError, match="not a usable file path") as caught:
        upload_body({"file": path, "purpose": "assistants"}, "file")
    assert caught.value.setting == "file"


def test_form_text_that_is_not_utf8_is_sent_not_crashed_on(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_text("x")
    body = upload_body({"file": str(path), "note": "\udcff\ud800"}, "file")
    assert b'name="note"\r\n\r\n\xed\xb3\xbf\xed\xa0\x80\r\n' in b"".join(body)


def test_dialog_fields_go_into_the_body_and_a_broken_body_stays_broken() -> None:
    merged = json.loads(with_fields('{"purpose": "batch"}', {"file": " /a b.txt ", "x": ""}))
    assert merged == {"purpose": "batch", "file": "/a b.txt"}
    assert with_fields("{broken", {"file": "/a"}) == "{broken"
    assert with_fields("{}", {"file": ""}) == "{}"


# --- waiting, search, content -----------------------------------------------------------------


def test_create_vector_store_waits_until_processing_ends(fake, world) -> None:
    body = {"name": "Wait", "file_ids": [world["file_id"]]}
    assert answer(run(fake, "createVectorStore", body))["status"] == "in_progress"
    fake.state.log.clear()
    outcome = run(fake, "createVectorStore", body, wait=FAST_WAIT)
    final = answer(outcome)
    assert final["status"] == "completed" and final["file_counts"]["completed"] == 1
    polls = [e for e in fake.state.log if e.method == "GET"]
    assert len(polls) == 2 and polls[0].path == f"/v1/vector_stores/{final['id']}"


@pytest.mark.parametrize("operation_id", ["createVectorStoreFile", "createVectorStoreFileBatch"])
def test_a_file_or_batch_waits_until_processed(fake, world, operation_id: str) -> None:
    store = answer(run(fake, "createVectorStore", {"name": "W"}))["id"]
    body = (
        {"file_id": world["file_id"]}
        if operation_id == "createVectorStoreFile"
        else {"file_ids": [world["file_id"]]}
    )
    outcome = run(
        fake, operation_id, body, wait=FAST_WAIT, result_format=ResultFormat.STRUCTURED,
        vector_store_id=store,
    )  # fmt: skip
    (row,) = outcome.table.to_pylist()
    assert row["status"] == "completed" and row["vector_store_id"] == store


def test_waiting_that_runs_out_names_what_goes_on(tmp_path: Path) -> None:
    (tmp_path / "slow.txt").write_text("slow")
    with FakeDocumentsServer(polls=10_000) as slow:
        file_id = upload(slow, tmp_path / "slow.txt")["id"]
        with pytest.raises(RunWaitTimeoutError) as caught:
            run(
                slow, "createVectorStore", {"file_ids": [file_id]},
                wait=WaitOptions(poll_interval=0.01, max_wait=0.05),
            )  # fmt: skip
    message = str(caught.value)
    assert "Vector store 'vs_" in message and "still 'in_progress' after 0.05 s" in message
    assert "Processing goes on on the server" in message


def test_a_cancel_while_waiting_for_processing_stops_the_wait_not_the_processing(fake) -> None:
    """The wait polls through the execution's client: its cancel flag ends the wait before
    the next poll, and the message says processing goes on."""
    config = ConnectionConfig(base_url=fake.base_url, timeout=10.0, max_retries=0)
    operation = operations.by_id("createVectorStore")
    ready = prepare_call(operation, CallSettings(body='{"name": "C"}'), config)
    created = ApiResponse(200, text=json.dumps({"id": "vs_c", "status": "in_progress"}))
    client = ApiClient.connect(config, environ=ENV, is_canceled=lambda: True)
    fake.state.log.clear()
    with pytest.raises(CancelledError) as caught:
        wait_until_processed(operation, created, ready, client, FAST_WAIT)
    assert fake.state.log == []  # no poll was sent
    message = str(caught.value)
    assert "while waiting for Vector store 'vs_c'" in message
    assert "processing goes on on the server" in message


def test_search_gives_one_row_per_result_with_its_query_row(fake, world) -> None:
    store = world["vector_store_id"]
    inputs = [
        CallInput(r, CallSettings(path_values={"vector_store_id": store}, body="{}"))
        for r in ("q0", "q1", "q2")
    ]
    queries = ["How long is the warranty?", "nothing matches zzz", "Returns policy"]
    inputs = inputs_with_field_columns(inputs, {"query": queries})
    outcome = run(fake, "searchVectorStore", inputs=inputs, result_format=ResultFormat.STRUCTURED)
    table = outcome.table.to_pylist()
    assert [row["<RowID>"] for row in table] == ["q0#0", "q2#0"]  # q1 found nothing: no row
    first = table[0]
    assert first["query_row"] == "q0" and first["query"] == "How long is the warranty?"
    assert first["file_id"] == world["file_id"] and first["filename"] == "handbook.md"
    assert 0 < first["score"] <= 1 and "two years" in first["text"]
    assert json.loads(first["attributes"]) == {}


def test_get_file_content_gives_text_and_writes_the_exact_bytes(
    fake, world, tmp_path: Path
) -> None:
    binary = tmp_path / "image.bin"
    binary.write_bytes(b"\x89PNG\x00\xff\xfe")
    binary_id = upload(fake, binary)["id"]
    ids = [world["file_id"], binary_id]
    inputs = [
        CallInput(f"Row{n}", CallSettings(path_values={"file_id": file_id}))
        for n, file_id in enumerate(ids)
    ]
    outcome = run(fake, "downloadFile", inputs=inputs, result_format=ResultFormat.STRUCTURED)
    saved = save_contents(outcome, inputs, str(tmp_path / "out"))
    columns = output_columns(operations.by_id("downloadFile"), ResultFormat.STRUCTURED)
    assert saved.table.schema == arrow_schema(columns + SAVED_COLUMN)
    text_row, binary_row = saved.table.to_pylist()
    assert text_row["text"] == HANDBOOK and text_row["bytes"] == len(HANDBOOK)
    assert binary_row["text"] is None and binary_row["bytes"] == 7
    assert Path(binary_row["saved_to"]).read_bytes() == b"\x89PNG\x00\xff\xfe"
    assert Path(text_row["saved_to"]).name == file_name(world["file_id"])
    assert Path(text_row["saved_to"]).read_text("utf-8") == HANDBOOK


def test_an_unusable_folder_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidSettingsError, match="not a usable folder path"):
        check_folder("out\x00put")
    (tmp_path / "plain").write_text("x")
    with pytest.raises(InvalidSettingsError, match="is a file, not a folder"):
        check_folder(str(tmp_path / "plain"))


def test_a_file_name_from_an_id_stays_in_its_folder() -> None:
    assert file_name("file-abc123") == "file-abc123"
    assert file_name("../../etc/passwd") == ".._.._etc_passwd"
    assert file_name("..") == "_.." and file_name("") == "file"


def test_a_wrong_id_is_a_404_naming_the_ids_to_check(fake) -> None:
    with pytest.raises(HttpStatusError, match="Check the vector store ID, the file ID"):
        run(fake, "getVectorStoreFile", vector_store_id="vs_nope", file_id="file-nope")


def test_a_search_query_out_of_range_is_refused_before_sending(fake, world) -> None:
    with pytest.raises(InvalidSettingsError, match="max_num_results"):
        run(
            fake, "searchVectorStore", {"query": "x", "max_num_results": 51},
            vector_store_id=world["vector_store_id"],
        )  # fmt: skip


httpx2 = pytest.importorskip("httpx2")  # the HTTP library of the official SDK


@settings(max_examples=150, deadline=None)
@given(
    name=st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"),
        min_size=1,
        max_size=40,
    ).filter(  # a path setting is taken without surrounding blanks
        lambda n: n == n.strip() and n not in (".", "..") and len(n.encode()) < 200
    ),
    purpose=st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
    seconds=st.integers(min_value=0, max_value=2**40),
    content=st.binary(max_size=200),
)
def test_the_multipart_body_is_byte_for_byte_what_the_sdks_http_library_writes(
    name: str, purpose: str, seconds: int, content: bytes
) -> None:
    """Whatever the file's name, the fields' text and the bytes: the SDK's library (httpx2's
    ``files=``, as ``client.files.create`` uses it) writes the very same body."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        expires = {"anchor": "created_at", "seconds": seconds}
        theirs = httpx2.Request(
            "POST",
            "http://127.0.0.1/v1/files",
            data={"purpose": purpose, "expires_after[anchor]": "created_at",
                  "expires_after[seconds]": str(seconds)},
            files={"file": (path.name, content)},
        )  # fmt: skip
        boundary = theirs.headers["content-type"].split("boundary=", 1)[1]
        ours = upload_body(
            {"file": str(path), "purpose": purpose, "expires_after": expires},
            "file",
            ("file", "purpose", "expires_after"),
        )
        ours = UploadBody(
            [("purpose", purpose), ("expires_after[anchor]", "created_at"),
             ("expires_after[seconds]", str(seconds))],
            "file", ours.path, ours.size, boundary,
        )  # fmt: skip
        assert b"".join(ours) == theirs.read()
        assert len(ours) == len(theirs.read())
