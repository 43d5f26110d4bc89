"""A plain, non-editable ``pip install .`` gives a working command line (issue 9, defect 6).

The project is copied (pyproject.toml, README, LICENSE, src/) to a temporary folder, installed
from there with the test environment's own pip and setuptools (``--no-build-isolation
--no-deps --no-index --target``: offline, nothing downloaded, dependencies taken from the test
environment) and run from an unrelated working directory. Nothing of the checkout is on the
path, so the body schemas must come from the installed package itself. Each step is bounded
by a timeout; the whole test takes a few seconds.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STEP_TIMEOUT = 60  # seconds; the install takes about 3 s, the demo about 1 s


def _setuptools_builds_wheels() -> bool:
    """setuptools >= 77 builds wheels itself (no ``wheel`` package) and reads the SPDX
    ``license`` string of pyproject.toml."""
    try:
        version = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return False
    return int(version.split(".")[0]) >= 77


pytestmark = pytest.mark.skipif(
    not _setuptools_builds_wheels(),
    reason="needs setuptools >= 77 in the test environment to build offline",
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("install")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    target = work / "site"
    flags = "--quiet --disable-pip-version-check --no-build-isolation --no-deps --no-index"
    pip = [sys.executable, "-m", "pip", "install", *flags.split()]
    result = subprocess.run(
        [*pip, "--target", str(target), str(source)],
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        cwd=work,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (work / "pip-stderr.txt").write_text(result.stderr)  # what the build backend said
    return target


def _run(target: Path, *command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "OPENAI_"))}
    env["PYTHONPATH"] = str(target)  # before the test environment's site-packages
    return subprocess.run(
        list(command),
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        cwd=cwd,
        env=env,
    )


def test_the_installed_package_ships_every_body_schema(installed: Path, tmp_path: Path) -> None:
    schemas = sorted(
        p.name for p in (installed / "openai_assistants" / "operations" / "schemas").glob("*.json")
    )
    assert "CreateRunRequest.json" in schemas and len(schemas) == 17
    probe = (
        "import openai_assistants, openai_assistants.operations.body_schema as b;"
        "print(openai_assistants.__file__);"
        "print(len(b.schema_names()), b.allowed_fields('CreateMessageRequest'))"
    )
    result = _run(installed, sys.executable, "-c", probe, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    location, loaded = result.stdout.splitlines()
    assert Path(location).is_relative_to(installed)  # not the checkout
    assert loaded == "17 ['role', 'content', 'attachments', 'metadata']"


def test_the_installed_command_line_runs_the_demo(installed: Path, tmp_path: Path) -> None:
    script = installed / "bin" / "openai-assistants"  # the console script pip wrote
    assert script.is_file()
    result = _run(installed, str(script), "demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Final status: completed" in result.stdout
    assert "Assistant: Echo: Hello from KNIME!" in result.stdout
    assert "Cited: port-lune-guide.md" in result.stdout  # the guide ships as package data


def test_the_install_is_licensed_mit_without_a_deprecation_warning(installed: Path) -> None:
    """``project.license`` is an SPDX string: no setuptools warning on ``pip install .``, and
    the metadata says MIT and ships the LICENSE file."""
    said = (installed.parent / "pip-stderr.txt").read_text()
    assert "deprecat" not in said.lower(), said[-2000:]
    (dist,) = installed.glob("knime_openai_assistants-*.dist-info")
    metadata = (dist / "METADATA").read_text("utf-8")
    assert "License-Expression: MIT" in metadata.splitlines()
    assert "License-File: LICENSE" in metadata.splitlines()
    assert (dist / "licenses" / "LICENSE").read_text().startswith("MIT License")
