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

from http_stub import Reply, StubServer

import openai_assistants

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


def test_one_run_to_stdout_or_json_does_not_load_pandas_or_pyarrow(tmp_path: Path) -> None:
    with StubServer() as server:
        server.reply(Reply(200, RUN))
        server.reply(Reply(200, RUN))
        printed = _create_run(server.base_url, "--format", "structured")
        written = _create_run(server.base_url, "--output", str(tmp_path / "run.json"))
    assert printed.returncode == 0, printed.stderr
    assert "id: run_1" in printed.stdout
    assert "pandas loaded: False" in printed.stderr
    assert written.returncode == 0, written.stderr
    assert json.loads((tmp_path / "run.json").read_text())[0]["status"] == 200
    assert "pandas loaded: False" in written.stderr
    # the rows are printed / written from plain columns; Arrow is built only for KNIME, CSV
    # and Parquet; the server's modules belong to `serve` only
    for result in (printed, written):
        assert "pyarrow loaded: False" in result.stderr
        assert "server loaded: False" in result.stderr


def test_csv_output_still_gets_pandas_when_it_needs_it(tmp_path: Path) -> None:
    with StubServer() as server:
        server.reply(Reply(200, RUN))
        result = _create_run(server.base_url, "--output", str(tmp_path / "run.csv"))
    assert result.returncode == 0, result.stderr
    assert "pandas loaded: True" in result.stderr
    assert RUN.replace('"', '""') in (tmp_path / "run.csv").read_text()


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
