"""The Files and Vector Stores subcommands, in-process against the deterministic fake.

The chain a script runs to answer from its own documents: upload files (``--file``, or a
table of paths with ``--file-column``), create a vector store and wait until it is
processed, search it (``--query``), and fetch a file's bytes into a folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pandas as pd
import pytest
from cli_runs import field, run_cli
from fake_documents import FakeDocumentsServer

SENTINEL = "sk-SENTINEL-document-cli-never-print-me"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDocumentsServer]:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL)
    with FakeDocumentsServer(polls=2) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        yield server


run = partial(run_cli, SENTINEL)  # fails a test that prints the key


def test_upload_wait_search_and_download_on_the_command_line(fake, capsys, tmp_path: Path) -> None:
    (tmp_path / "manual.txt").write_text("The pump needs new filters every six months.")
    code, out, _ = run(
        capsys, "upload-file", "--file", str(tmp_path / "manual.txt"), "--format", "structured"
    )
    assert code == 0 and field(out, "filename") == ["manual.txt"]
    assert field(out, "purpose") == ["assistants"]  # the default purpose of the node
    file_id = field(out, "id")[0]
    code, out, _ = run(
        capsys, "create-vector-store", "--body", json.dumps({"file_ids": [file_id]}),
        "--wait", "--poll-interval", "0.01", "--format", "structured",
    )  # fmt: skip
    assert code == 0 and field(out, "status") == ["completed"]
    store = field(out, "id")[0]
    code, out, _ = run(
        capsys, "search-vector-store", "--vector-store-id", store,
        "--query", "How often are the filters changed?", "--format", "structured",
    )  # fmt: skip
    assert code == 0 and field(out, "filename") == ["manual.txt"]
    assert field(out, "query_row") == ["Row0"]
    code, out, _ = run(
        capsys, "get-file-content", "--file-id", file_id, "--folder", str(tmp_path / "out"),
        "--format", "structured",
    )  # fmt: skip
    assert code == 0 and field(out, "saved_to") == [str(tmp_path / "out" / file_id)]
    assert (tmp_path / "out" / file_id).read_bytes() == (tmp_path / "manual.txt").read_bytes()


def test_upload_a_table_of_files_and_a_missing_one_is_an_error_row(
    fake, capsys, tmp_path: Path
) -> None:
    (tmp_path / "one.md").write_text("# One")
    table = tmp_path / "files.csv"
    pd.DataFrame({"path": [str(tmp_path / "one.md"), str(tmp_path / "two.md")]}).to_csv(
        table, index=False
    )
    code, out, err = run(
        capsys, "upload-file", "--input", str(table), "--file-column", "path",
        "--on-error", "output", "--format", "structured",
    )  # fmt: skip
    assert code == 0
    assert field(out, "row") == ["Row0", "Row1"]
    assert field(out, "filename") == ["one.md"]  # Row1 has no file, only its error:
    assert "two.md" in field(out, "error")[0] and "No such file" in field(out, "error")[0]
    assert "Row1: Cannot read the file to upload" in err
    assert len(fake.state.files) == 1


def test_a_missing_file_exits_2_naming_it_before_anything_is_sent(
    fake, capsys, tmp_path: Path
) -> None:
    code, _, err = run(capsys, "upload-file", "--file", str(tmp_path / "nowhere.pdf"))
    assert code == 2 and "nowhere.pdf" in err
    assert fake.state.log == []


def test_a_table_of_file_ids_is_one_batch_on_the_command_line(fake, capsys, tmp_path: Path) -> None:
    ids = []
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(name)
        code, out, _ = run(
            capsys, "upload-file", "--file", str(tmp_path / name), "--format", "structured"
        )
        ids.append(field(out, "id")[0])
    code, out, _ = run(capsys, "create-vector-store", "--format", "structured")
    store = field(out, "id")[0]
    table = tmp_path / "ids.json"
    table.write_text(json.dumps([{"file": i} for i in ids]))
    code, out, _ = run(
        capsys, "create-vector-store-file-batch", "--vector-store-id", store,
        "--input", str(table), "--file-id-column", "file", "--format", "structured",
    )  # fmt: skip
    assert code == 0 and field(out, "row") == ["Row0"]  # one batch, named by its first row
    assert field(out, "vector_store_id") == [store] and field(out, "file_counts_total") == ["2"]
    batch = fake.state.log[-1].json()
    assert batch == {"file_ids": ids}
