"""A one-shot ``create-run`` process imports only what its output needs (issue 10, cold start).

pandas alone takes longer to import than the rest of the process; pyarrow would import it on
the first ``pa.array()`` merely to ask whether a list is a pandas object. These run in a fresh
interpreter, since the test process has pandas loaded already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from http_stub import Reply, StubServer

import openai_assistants
from openai_assistants.cli.table_output import OUTPUT_FORMATS

# the fresh interpreter imports the code under test, not another installed copy of it
SOURCE = str(Path(openai_assistants.__file__).resolve().parents[1])
PATH = os.pathsep.join(p for p in (SOURCE, os.environ.get("PYTHONPATH")) if p)

RUN = json.dumps({"id": "run_1", "object": "thread.run", "status": "queued", "created_at": 1})
SCRIPT = """
import sys
from openai_assistants.cli.main import main
code = main(sys.argv[2:])
print("pandas loaded:", "pandas" in sys.modules, file=sys.stderr)
print("pyarrow loaded:", "pyarrow" in sys.modules, file=sys.stderr)
print("server loaded:", any(m in sys.modules for m in ("starlette", "uvicorn")), file=sys.stderr)
sys.exit(code)
"""


def _create_run(base_url: str, *extra: str) -> subprocess.CompletedProcess:
    args = ["create-run", "--base-url", base_url, "--thread-id", "thread_1", "--max-retries",
            "0", "--body", '{"assistant_id": "asst_1"}', *extra]  # fmt: skip
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, "-", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **os.environ,
            "OPENAI_API_KEY": "sk-cold-start-test",
            "NO_PROXY": "127.0.0.1",
            "PYTHONPATH": PATH,
        },
    )


@pytest.mark.parametrize("output", [None, *(f for f in OUTPUT_FORMATS if f != ".parquet")])
def test_one_run_printed_or_written_without_parquet_loads_neither_pandas_nor_pyarrow(
    output: str | None, tmp_path: Path
) -> None:
    """Printing, CSV and JSON are written from plain rows with the standard library; the
    server's modules belong to ``serve`` only."""
    extra = (
        ["--format", "structured"] if output is None else ["--output", f"{tmp_path}/run{output}"]
    )
    with StubServer() as server:
        server.reply(Reply(200, RUN))
        result = _create_run(server.base_url, *extra)
    assert result.returncode == 0, result.stderr
    if output is None:
        assert "id: run_1" in result.stdout
    elif output == ".json":
        assert json.loads((tmp_path / "run.json").read_text())[0]["status"] == 200
    else:
        assert RUN.replace('"', '""') in (tmp_path / f"run{output}").read_text()
    assert "pandas loaded: False" in result.stderr
    assert "pyarrow loaded: False" in result.stderr
    assert "server loaded: False" in result.stderr


def test_parquet_output_still_gets_pandas_and_pyarrow(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    with StubServer() as server:
        server.reply(Reply(200, RUN))
        result = _create_run(server.base_url, "--output", str(tmp_path / "run.parquet"))
    assert result.returncode == 0, result.stderr
    assert "pandas loaded: True" in result.stderr
    assert "pyarrow loaded: True" in result.stderr
    assert pq.read_table(tmp_path / "run.parquet").column("body").to_pylist() == [RUN]


def test_outside_the_command_line_pyarrow_keeps_its_usual_pandas_probe() -> None:
    """Only the one-shot CLI opts in: a library user (or KNIME) sees pyarrow unchanged."""
    code = (
        "import sys\n"
        "from openai_assistants.client.exchange import ApiResponse\n"
        "from openai_assistants.tables.results import ResultFormat, RowResult, result_table\n"
        "result_table([RowResult('Row0', ApiResponse(200, text='{}'))], ResultFormat.RAW)\n"
        "print('pandas loaded:', 'pandas' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": PATH},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "pandas loaded: True" in result.stdout
