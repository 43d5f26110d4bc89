"""Files and vector stores of a real ``serve`` process: the upload streamed over HTTP through
uvicorn, ``--max-file-mib``, and everything kept beside ``--db`` across a restart."""

from __future__ import annotations

import io
import time
from pathlib import Path

import openai
import pytest
from test_serve_process import sdk, serve, stop

from openai_assistants.cli.main import main

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

DOCUMENT = b"The tide tables of Port Lune: high water at 06:12 and 18:40 on the first of May.\n"


def wait_for_file(client: openai.OpenAI, store_id: str, file_id: str) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status = client.vector_stores.files.retrieve(file_id=file_id, vector_store_id=store_id)
        if status.status != "in_progress":
            return status.status
        time.sleep(0.05)
    raise AssertionError("the file was still in progress after 20 s")


def test_uploads_stream_are_limited_and_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "serve.sqlite"
    options = ("--backend", "echo", "--run-duration", "0", "--db", str(db))
    with serve(*options, "--max-file-mib", "0.001") as (process, url):
        client = sdk(url)
        with pytest.raises(openai.APIStatusError) as caught:
            client.files.create(file=("big.txt", io.BytesIO(b"x" * 4096)), purpose="assistants")
        assert caught.value.status_code == 413
        file = client.files.create(file=("tides.txt", io.BytesIO(DOCUMENT)), purpose="assistants")
        store = client.vector_stores.create(name="tides", file_ids=[file.id])
        assert wait_for_file(client, store.id, file.id) == "completed"
        stop(process)
    with serve(*options) as (process, url):
        client = sdk(url)
        assert client.files.content(file.id).content == DOCUMENT
        found = client.vector_stores.search(store.id, query="When is high water?")
        assert [r.filename for r in found.data] == ["tides.txt"]
        assert "18:40" in found.data[0].content[0].text
        stop(process)
    assert (tmp_path / "serve.sqlite-files" / file.id).read_bytes() == DOCUMENT


def test_serve_refuses_bad_file_settings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--backend", "echo", "--port", "0", "--max-file-mib", "0"]) == 2
    assert "--max-file-mib must be > 0" in capsys.readouterr().err
    args = ["serve", "--backend", "echo", "--port", "0", "--embedding-model", "e"]
    assert main(args) == 2
    assert "--embedding-model needs --model-base-url" in capsys.readouterr().err
