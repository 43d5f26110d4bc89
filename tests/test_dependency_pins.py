"""The private parts of httpx/httpcore the client uses: pinned, and checked loudly at import.

The cancel-aware network backend and the direct route reach below httpx's public API. A
release that moves those parts must fail when the client is imported, with the versions to
install, not silently when a user presses cancel.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpcore
import httpx
import pytest

from openai_assistants.client import httpx_internals
from openai_assistants.client.httpx_internals import (
    HTTPCORE_RANGE,
    HTTPX_RANGE,
    UnsupportedDependencyError,
    check_versions,
)

ROOT = Path(__file__).resolve().parents[1]


def _import_client_after(prelude: str) -> subprocess.CompletedProcess[str]:
    """Import the sending part of the client in a fresh process after ``prelude`` ran."""
    code = f"{prelude}\nimport openai_assistants.client.attempt\nprint('imported')"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )


def test_the_installed_versions_are_in_the_tested_range() -> None:
    check_versions(httpx.__version__, httpcore.__version__)  # raises otherwise


@pytest.mark.parametrize(
    ("httpx_version", "httpcore_version", "named"),
    [
        ("0.30.0", "1.0.9", "httpx 0.30.0"),
        ("1.0.0", "1.0.9", "httpx 1.0.0"),
        ("0.27.2", "1.0.9", "httpx 0.27.2"),
        ("0.28.1", "1.1.0", "httpcore 1.1.0"),
        ("0.28.1", "2.0.0.dev1", "httpcore 2.0.0.dev1"),
    ],
)
def test_a_version_outside_the_range_is_refused_naming_what_to_install(
    httpx_version: str, httpcore_version: str, named: str
) -> None:
    with pytest.raises(UnsupportedDependencyError) as caught:
        check_versions(httpx_version, httpcore_version)
    message = str(caught.value)
    assert named in message
    assert '"httpx>=0.28,<0.30"' in message and '"httpcore>=1.0.9,<1.1"' in message
    assert isinstance(caught.value, ImportError)  # what a failed import raises


def test_the_pins_of_both_environments_are_the_checked_range() -> None:
    """pyproject.toml (pip) and pixi.toml (KNIME's environment) pin what the import checks."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    pixi = (ROOT / "pixi.toml").read_text(encoding="utf-8")
    lowest, excluded = HTTPX_RANGE
    httpx_pin = f">={'.'.join(map(str, lowest))},<{'.'.join(map(str, excluded))}"
    lowest, excluded = HTTPCORE_RANGE
    httpcore_pin = f">={'.'.join(map(str, lowest))},<{'.'.join(map(str, excluded))}"
    assert f'"httpx{httpx_pin}"' in pyproject and f'"httpcore{httpcore_pin}"' in pyproject
    assert re.search(rf'^httpx = "{httpx_pin}"$', pixi, re.M)
    assert re.search(rf'^httpcore = "{httpcore_pin}"$', pixi, re.M)
    assert f"httpx{httpx_pin} and httpcore{httpcore_pin}" == httpx_internals.PINS


def test_another_httpx_version_fails_at_import() -> None:
    result = _import_client_after("import httpx; httpx.__version__ = '0.31.0'")
    assert result.returncode != 0 and "imported" not in result.stdout
    assert "UnsupportedDependencyError" in result.stderr
    assert "httpx 0.31.0" in result.stderr and "httpx>=0.28,<0.30" in result.stderr


def test_a_private_name_that_moved_fails_at_import() -> None:
    result = _import_client_after("import httpx._transports.default as d; del d.ResponseStream")
    assert result.returncode != 0 and "imported" not in result.stdout
    assert "UnsupportedDependencyError" in result.stderr and "ResponseStream" in result.stderr


def test_a_private_attribute_that_moved_fails_at_import() -> None:
    """httpx keeps its pool in ``HTTPTransport._pool``: a release that renames it is caught
    from the code of ``__init__``, without making a client."""
    result = _import_client_after(
        "import httpx\n"
        "original = httpx.HTTPTransport.__init__\n"
        "def renamed(self, *args, **kwargs):\n"
        "    original(self, *args, **kwargs)\n"
        "    self.connection_pool = vars(self).pop('_' + 'pool')\n"
        "httpx.HTTPTransport.__init__ = renamed"
    )
    assert result.returncode != 0 and "imported" not in result.stdout
    assert "httpx.HTTPTransport._pool" in result.stderr


def test_the_client_works_with_the_installed_versions() -> None:
    result = _import_client_after("")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "imported"
