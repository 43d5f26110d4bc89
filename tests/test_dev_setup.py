"""The documented KNIME development setup and environment (issue 9, items 3, 5 and 8)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = "<path-to-this-repository>"


def _config_entries() -> dict[str, str]:
    entries = {}
    for line in (ROOT / "config" / "config.yml").read_text().splitlines():
        match = re.match(r"^\s+(\w+):\s*(\S+)", line)
        if match:
            entries[match.group(1)] = match.group(2)
    return entries


def test_config_src_is_the_folder_knime_reads_knime_yml_from() -> None:
    """KNIME reads knime.yml from `src` (KnimeYaml.fromDirectory(src))."""
    src = _config_entries()["src"]
    assert src.rstrip("/") == PLACEHOLDER
    folder = ROOT / src.replace(PLACEHOLDER, ".")
    assert (folder / "knime.yml").is_file()
    module = re.search(r"^extension_module:\s*(\S+)", (folder / "knime.yml").read_text(), re.M)
    assert (folder / f"{module.group(1)}.py").is_file()


def test_config_names_the_extension_id_and_the_pixi_environment() -> None:
    text = (ROOT / "config" / "config.yml").read_text()
    knime_yml = (ROOT / "knime.yml").read_text()
    group = re.search(r"^group_id:\s*(\S+)", knime_yml, re.M).group(1)
    name = re.search(r"^name:\s*(\S+)", knime_yml, re.M).group(1)
    assert re.search(rf"^{re.escape(group)}\.{re.escape(name)}:", text, re.M)
    assert _config_entries()["conda_env_path"] == f"{PLACEHOLDER}/.pixi/envs/default"


def _pixi_pin(name: str) -> str:
    match = re.search(rf'^{re.escape(name)} = "([^"]+)"', (ROOT / "pixi.toml").read_text(), re.M)
    assert match, name
    return match.group(1)


def test_pixi_pins_the_supported_knime_range_and_knimes_pandas_and_pyarrow() -> None:
    assert _pixi_pin("knime-extension") == ">=5.8.1,<5.12"
    assert _pixi_pin("knime-python-base") == ">=5.8.1,<5.12"
    assert _pixi_pin("pandas").endswith(",<3")  # pandas 3: large_string, refused by KNIME
    assert _pixi_pin("pyarrow") == ">=21,<22"
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"pandas>=2.0.3,<3"' in pyproject and '"pyarrow>=21,<22"' in pyproject


def test_build_task_uses_the_documented_bundling_command() -> None:
    build = re.search(r'^build = .*cmd = "([^"]+)"', (ROOT / "pixi.toml").read_text(), re.M)
    assert build.group(1) == "build_python_extension.py . {{ dest }}"
    assert "--knime-build" not in (ROOT / "pixi.toml").read_text()


def _section(text: str, header: str) -> str:
    """The lines of one TOML table (up to the next ``[...]`` header)."""
    match = re.search(rf"^\[{re.escape(header)}\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S)
    assert match, header
    return match.group(1)


def test_pixi_test_environment_has_what_the_suite_needs() -> None:
    """``pixi run test`` runs this suite: every package of pyproject's test extra (except
    ruff, which ./dev runs) and every server and table dependency must be in it too."""
    pixi = (ROOT / "pixi.toml").read_text()
    names = set(re.findall(r"^([\w-]+) = ", _section(pixi, "dependencies"), re.M))
    names |= set(re.findall(r"^([\w-]+) = ", _section(pixi, "feature.test.dependencies"), re.M))
    pyproject = (ROOT / "pyproject.toml").read_text()
    extra = re.search(r"^test = \[(.*?)\]", pyproject, re.M | re.S).group(1)
    needed = set(re.findall(r'"([\w-]+)[^"]*"', extra))
    runtime = re.search(r"^dependencies = \[(.*?)\]", pyproject, re.M | re.S).group(1)
    needed |= set(re.findall(r'^\s*"([\w-]+)', runtime, re.M))
    assert needed - {"ruff"} <= names, sorted(needed - {"ruff"} - names)
