"""The 21 Files and Vector Stores nodes as KNIME sees them, against a deterministic fake.

Listed under their exact names with Create Run's ports, described from the operation (and
the header they send), settings named by the API in sections, and a configure() whose
declared columns are exactly what execute() outputs (written as KNIME writes a table).
Then what the nodes are for: uploading a table of local files, a search per query row,
waiting for processing, a file's content as text and as bytes in a folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import knime.extension as knext
import knime.extension.nodes as knodes
import pandas as pd
import pytest
from fake_documents import FakeDocumentsServer
from knime_contexts import ExecutionContext
from knime_fidelity import write_output
from node_factories import configuration_port
from test_extension_module import settings_of
from test_node_family import (
    CREDENTIALS,
    FAMILY,
    call,
    configured,
    executed_as_declared,
    format_cases,
    node_for,
    set_values,
)

import extension  # noqa: F401  (registers every node, as KNIME's listing does)
from openai_assistants.engine import execute as engine
from openai_assistants.engine.file_content import SAVED_COLUMN
from openai_assistants.operations import DOCUMENTS_API, Operation, by_id
from openai_assistants.tables.results import ResultFormat
from openai_assistants_knime.api_node.documents import DocumentNode
from openai_assistants_knime.api_node.table_output import knime_schema

HANDBOOK = "# Handbook\n\nThe warranty lasts two years.\n"
WAITING = {"createVectorStore", "createVectorStoreFile", "createVectorStoreFileBatch"}


def test_every_document_operation_is_a_node_with_create_runs_ports() -> None:
    def ports(name: str) -> list:
        (found,) = [n for n in knodes._nodes.values() if n.name == name]
        info = found.to_dict()
        specifiers = info["input_port_specifier"] + info["output_port_specifier"]
        return [(p["type_string"], p["optional"]) for p in specifiers]

    names = [op.node_name for op in DOCUMENTS_API]
    assert names[:5] == [
        "Upload File", "List Files", "Get File", "Delete File", "Get File Content",
    ]  # fmt: skip
    for op in DOCUMENTS_API:
        assert isinstance(FAMILY[op.operation_id](), DocumentNode)
        assert ports(op.node_name) == ports("Create Run"), op.node_name


@pytest.mark.parametrize("op", DOCUMENTS_API, ids=lambda op: op.operation_id)
def test_every_node_is_described_with_the_header_it_sends(op: Operation) -> None:
    cls = type(node_for(op))
    short, *rest = cls.__doc__.strip().splitlines()
    assert short == op.summary.splitlines()[0]
    full = "\n".join(rest)
    assert f"`{op.method} {op.path}`" in full
    if op.path.startswith("/files"):
        assert "sends no `OpenAI-Beta` header" in full
    else:
        assert "`OpenAI-Beta: assistants=v2`" in full
    for key, param in settings_of(cls).items():
        assert param._label and param.__doc__ and len(param.__doc__) > 15, key


@pytest.mark.parametrize("op", DOCUMENTS_API, ids=lambda op: op.operation_id)
def test_settings_are_named_by_the_api_in_sections(op: Operation) -> None:
    keys = set(settings_of(type(node_for(op))))
    request = {*op.path_parameters, *(q.setting for q in op.query_parameters)}
    request |= {"body"} if op.has_body else set()
    table = {f"{name}_column" for name in op.path_parameters} | {"concurrency"}
    table |= {"body_column"} if op.has_body else set()
    result = {"result_format", "include_headers"}
    result |= {"all_pages", "max_items"} if op.pages else set()  # no paging of a search
    expected = {f"request.{k}" for k in request} | {f"input_table.{k}" for k in table}
    expected |= {f"result.{k}" for k in result} | {"errors.error_handling"}
    expected |= {"request", "result", "errors", "input_table"}
    if op.operation_id in WAITING:
        expected |= {"waiting"} | {
            f"waiting.{k}" for k in ("wait_for_completion", "poll_interval", "max_wait")
        }
    if op.field_settings:
        expected |= {"fields"} | {f"fields.{k}" for k in op.field_settings}
    if op.column_settings:
        expected |= {"field_columns"}
        expected |= {f"field_columns.{k}_column" for k in op.column_settings}
    if op.operation_id == "downloadFile":
        expected |= {"save", "save.folder"}
    if op.has_body:
        expected |= {"advanced", "advanced.allow_unknown_fields"}
    assert keys == expected
    if op.operation_id == "createFile":
        assert op.field_settings == ("file", "purpose")
    if op.operation_id == "searchVectorStore":
        assert op.field_settings == ("query",)
    if op.operation_id == "createVectorStoreFileBatch":
        assert op.column_settings == ("file_id",) and not op.field_settings


# --- configure == execute against the fake ----------------------------------------------------


@pytest.fixture(scope="module")
def fake():
    with FakeDocumentsServer(polls=2) as server:
        yield server


@pytest.fixture(scope="module")
def port(fake) -> Any:
    return configuration_port(fake.base_url, credentials="openai")


@pytest.fixture(scope="module")
def world(port, tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("nodes")
    (folder / "handbook.md").write_text(HANDBOOK, "utf-8")
    file_id = call(port, "createFile", body={"file": str(folder / "handbook.md"),
                                              "purpose": "assistants"})["id"]  # fmt: skip
    store = call(port, "createVectorStore", body={"name": "S", "file_ids": [file_id]})["id"]
    batch = call(port, "createVectorStoreFileBatch", {"vector_store_id": store},
                 body={"file_ids": [file_id]})["id"]  # fmt: skip
    return {"file_id": file_id, "vector_store_id": store, "batch_id": batch, "folder": str(folder)}


def node_values(op: Operation, port: Any, world: dict[str, str], tmp_path: Path) -> dict:
    """Dialog values that make the node succeed (fresh objects to delete)."""
    values: dict[str, Any] = {name: world[name] for name in op.path_parameters}
    if op.operation_id == "deleteFile":
        (tmp_path / "gone.txt").write_text("bye")
        body = {"file": str(tmp_path / "gone.txt"), "purpose": "assistants"}
        values["file_id"] = call(port, "createFile", body=body)["id"]
    elif op.operation_id == "deleteVectorStore":
        values["vector_store_id"] = call(port, "createVectorStore", body={})["id"]
    elif op.operation_id == "deleteVectorStoreFile":
        store = call(port, "createVectorStore", body={"file_ids": [world["file_id"]]})["id"]
        values["vector_store_id"] = store
    (tmp_path / "up.txt").write_text("upload me")
    values |= {
        "createFile": {"file": str(tmp_path / "up.txt")},
        "searchVectorStore": {"query": "warranty"},
        "createVectorStoreFile": {"body": json.dumps({"file_id": world["file_id"]})},
        "createVectorStoreFileBatch": {"body": json.dumps({"file_ids": [world["file_id"]]})},
        "downloadFile": {"folder": str(tmp_path / "downloads")},
    }.get(op.operation_id, {})
    if op.operation_id in WAITING:
        values |= {"wait_for_completion": True, "poll_interval": 0.1}
    return values


@pytest.mark.parametrize(("op", "result_format", "include_headers"), format_cases(DOCUMENTS_API))
def test_execute_outputs_what_configure_declared(
    port, world, tmp_path: Path, op: Operation, result_format: ResultFormat, include_headers: bool
) -> None:
    values = node_values(op, port, world, tmp_path)
    node = set_values(
        node_for(op), result_format=result_format.name, include_headers=include_headers, **values
    )
    declared = configured(node, port)
    columns = engine.output_columns(op, result_format, include_headers)
    if op.operation_id == "downloadFile":
        columns += SAVED_COLUMN  # a folder to write to: where each file went
    assert declared == knime_schema(columns)
    output, passthrough = node.execute(ExecutionContext(CREDENTIALS), port)
    assert passthrough is port
    assert output.schema == declared
    write_output(output)  # what KNIME does with the table after execute()
    frame = output.to_pandas()
    assert len(frame) >= 1
    if result_format is ResultFormat.RAW:
        assert set(frame["status"]) == {200}
    else:
        assert set(frame["http_status"]) == {200} and frame["error"].isna().all()
    if op.operation_id in WAITING and result_format is ResultFormat.STRUCTURED:
        assert frame["status"].tolist() == ["completed"]


def test_upload_file_asks_for_its_file_and_names_a_missing_one(port, tmp_path: Path) -> None:
    node = node_for(by_id("createFile"))
    with pytest.raises(knext.InvalidParametersError, match=r"No file to upload.*\(file\)"):
        configured(node, port)
    set_values(node, file=str(tmp_path / "missing.pdf"))
    with pytest.raises(knext.InvalidParametersError, match=r"missing\.pdf"):
        configured(node, port)


def test_upload_file_from_a_table_of_paths(port, tmp_path: Path) -> None:
    for name, text in (("a.txt", "alpha"), ("b.md", "# beta")):
        (tmp_path / name).write_text(text)
    frame = pd.DataFrame(
        {"path": [str(tmp_path / "a.txt"), str(tmp_path / "b.md")], "use": ["user_data", None]},
        index=["first", "second"],
    )
    table = knext.Table.from_pandas(frame)
    node = set_values(
        node_for(by_id("createFile")),
        file_column="path",
        purpose_column="use",  # a missing cell: the dialog's purpose
        result_format="STRUCTURED",
    )
    result = executed_as_declared(node, port, table)  # no file in the dialog: it is per row
    assert list(result.index) == ["first", "second"]
    assert result["filename"].tolist() == ["a.txt", "b.md"]
    assert result["purpose"].tolist() == ["user_data", "assistants"]
    assert result["bytes"].tolist() == [5, 6]


def test_search_vector_store_from_a_column_of_questions(port, world) -> None:
    frame = pd.DataFrame({"question": ["warranty length?", "zzz", None]}, index=["q0", "q1", "q2"])
    table = knext.Table.from_pandas(frame)
    node = set_values(
        node_for(by_id("searchVectorStore")),
        vector_store_id=world["vector_store_id"],
        query="handbook",  # the dialog's query: for the missing cell
        query_column="question",
        result_format="STRUCTURED",
    )
    result = executed_as_declared(node, port, table)
    assert list(result.index) == ["q0#0", "q2#0"]
    assert result["query_row"].tolist() == ["q0", "q2"]
    assert result["query"].tolist() == ["warranty length?", "handbook"]
    assert set(result["filename"]) == {"handbook.md"}
    assert "two years" in result["text"].iloc[0]


def test_get_file_content_writes_the_bytes_into_a_folder(port, world, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    node = set_values(
        node_for(by_id("downloadFile")),
        file_id=world["file_id"],
        folder=str(folder),
        result_format="STRUCTURED",
    )
    declared = configured(node, port)
    assert declared.column_names[-1] == "saved_to"
    output, _ = node.execute(ExecutionContext(CREDENTIALS), port)
    (row,) = output.to_pandas().to_dict("records")
    assert row["text"] == HANDBOOK
    assert Path(row["saved_to"]) == folder / world["file_id"]
    assert (folder / world["file_id"]).read_text("utf-8") == HANDBOOK
    (folder / "a-file").write_text("x")
    set_values(node, folder=str(folder / "a-file"))
    with pytest.raises(knext.InvalidParametersError, match="is a file, not a folder"):
        configured(node, port)


def test_uploaded_files_go_into_a_vector_store_one_per_row(port, tmp_path: Path) -> None:
    """Upload File's output table (its id column) feeds Create Vector Store File, which
    waits until each file is processed."""
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(f"text of {name}")
    paths = knext.Table.from_pandas(
        pd.DataFrame({"path": [str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]})
    )
    uploader = set_values(
        node_for(by_id("createFile")), file_column="path", result_format="STRUCTURED"
    )
    uploaded, _ = uploader.execute(ExecutionContext(CREDENTIALS), port, paths)
    store = call(port, "createVectorStore", body={"name": "From a table"})["id"]
    node = set_values(
        node_for(by_id("createVectorStoreFile")),
        vector_store_id=store,
        file_id_column="id",
        result_format="STRUCTURED",
        wait_for_completion=True,
        poll_interval=0.1,
    )
    result = executed_as_declared(node, port, uploaded)
    assert result["id"].tolist() == uploaded.to_pandas()["id"].tolist()
    assert result["status"].tolist() == ["completed", "completed"]
    assert set(result["vector_store_id"]) == {store}


def test_listing_the_document_nodes_loads_nothing_of_the_core_beyond_the_family() -> None:
    """KNIME imports the node modules just to list them: the Files and Vector Stores nodes
    add no engine module to what the family's base already loads (the engine's parts of
    theirs load when a node first runs)."""
    import subprocess
    import sys

    tests = Path(__file__).resolve().parent
    paths = [str(tests.parent / "src"), str(tests / "knime_double"), str(tests)]
    probe = (
        f"import sys; sys.path[:0] = {paths!r};"
        "import knime.extension.testing;"
        "import openai_assistants_knime.api_node;"
        "before = set(sys.modules);"
        "from openai_assistants_knime.nodes import files, vector_stores;"
        "print(sorted(m for m in set(sys.modules) - before if m.startswith('openai_assistants.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_table_of_file_ids_becomes_one_batch_per_vector_store(port, tmp_path: Path) -> None:
    """The rows' file IDs (e.g. Upload File's output) go into one file batch per vector
    store, in row order, named by its first row; waiting gives the processed batch."""
    ids = []
    for name in ("x.txt", "y.txt", "z.txt"):
        (tmp_path / name).write_text(name)
        body = {"file": str(tmp_path / name), "purpose": "assistants"}
        ids.append(call(port, "createFile", body=body)["id"])
    first = call(port, "createVectorStore", body={})["id"]
    second = call(port, "createVectorStore", body={})["id"]
    frame = pd.DataFrame(
        {"id": ids, "store": [first, second, None]}, index=["r0", "r1", "r2"]
    )  # r2: the dialog's vector store
    table = knext.Table.from_pandas(frame)
    node = set_values(
        node_for(by_id("createVectorStoreFileBatch")),
        vector_store_id=first,
        vector_store_id_column="store",
        file_id_column="id",
        result_format="STRUCTURED",
        wait_for_completion=True,
        poll_interval=0.1,
    )
    result = executed_as_declared(node, port, table)  # the body's file_ids: from the table
    assert list(result.index) == ["r0", "r1"]
    assert result["vector_store_id"].tolist() == [first, second]
    assert result["file_counts_total"].tolist() == [2, 1]
    assert result["status"].tolist() == ["completed", "completed"]
