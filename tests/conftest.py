"""Test set-up: the real KNIME API when importable, else the test double in knime_double/.

The real ``knime.extension`` ships with KNIME (and on KNIME's conda channel), not on PyPI. When
it is importable (the pixi environment, or KNIME's Python sources on PYTHONPATH) the tests use
it; otherwise ``tests/knime_double`` stands in for it. The same tests must pass on both.

Either way the date&time value factories are registered and output tables go through KNIME's
Arrow conversion (see ``knime_fidelity.py``). To run the suite on KNIME's real API, see
``tests/README.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SRC = ROOT / "src"

if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))  # KNIME puts the extension module's folder on the path too

try:
    import knime.extension

    KNIME_API = "real"
except ImportError:
    sys.path.insert(0, str(TESTS / "knime_double"))
    import knime.extension

    KNIME_API = "double"

import knime.extension.testing  # noqa: E402  (sets the testing table backend)

if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))
from knime_fidelity import install_knime_arrow_backend, register_date_time_types  # noqa: E402

register_date_time_types()
ARROW_BACKEND = install_knime_arrow_backend()


def pytest_report_header(config: pytest.Config) -> str:
    return (
        f"knime.extension: {KNIME_API} API ({knime.extension.__file__}); "
        f"output tables: {ARROW_BACKEND}"
    )


@pytest.fixture(autouse=True)
def _no_real_openai_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may pick up a developer's real key or proxy from the environment."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--real-model",
        action="store_true",
        help="run tests/real_model against llama.cpp's server with a small real model",
    )


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL on 127.0.0.1 for the session (tests/postgres_server.py); the tests
    that need it skip, saying why, only where none can be had."""
    from postgres_server import PostgresServer, PostgresUnavailable

    try:
        server = PostgresServer()
        server.start()
    except PostgresUnavailable as exc:
        pytest.skip(f"no PostgreSQL for the tests: {exc}")
    try:
        yield server
    finally:
        server.stop()
