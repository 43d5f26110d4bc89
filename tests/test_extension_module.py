"""What KNIME sees when it lists the extension's nodes, and the files it reads."""

from __future__ import annotations

import os
import subprocess
import sys
import zlib
from pathlib import Path

import knime.extension as knext
import pytest

from openai_assistants_knime.configuration.node import OpenAIConfigurationNode
from openai_assistants_knime.nodes.create_run import CreateRunNode

ROOT = Path(__file__).resolve().parents[1]
# knext.node may hand back a factory rather than the class: inspect what it builds
NODES = [type(OpenAIConfigurationNode()), type(CreateRunNode())]


# What only configuring or executing a node needs: KNIME lists the nodes by importing the
# extension, and every module here would add to that for each of the extension's users.
EXECUTION_ONLY = (
    "httpx", "httpcore", "h11", "jsonschema", "pandas", "pyarrow", "numpy",
    "openai_assistants.engine", "openai_assistants.tables", "openai_assistants.client.transport",
    "openai_assistants.client.exchange", "openai_assistants.operations.body_schema",
    "openai_assistants_knime.api_node.engine_calls",
)  # fmt: skip


def test_listing_the_nodes_loads_nothing_only_execution_needs() -> None:
    """KNIME imports extension.py to list the nodes: the engine, HTTP, schemas and tables
    wait for configure()/execute(). Measured against what KNIME's API itself loads."""
    probe = (
        f"PREFIXES = {EXECUTION_ONLY!r}\n"
        "import sys, knime.extension, knime.extension.testing\n"
        "before = set(sys.modules)\n"
        "import extension\n"
        "new = set(sys.modules) - before\n"
        "print(sorted(m for m in new if any(m == p or m.startswith(p + '.') for p in PREFIXES)))"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", probe],
        capture_output=True, text=True, env=env, cwd=ROOT / "src", check=True, timeout=60,
    )  # fmt: skip
    assert result.stdout.strip() == "[]"


def test_the_first_configure_loads_the_engine() -> None:
    """The other half of the deal: the engine is there once a node runs (not silently
    missing), loaded by the one module that calls it."""
    code = (
        "import sys, knime.extension, knime.extension.testing, extension\n"
        "from openai_assistants_knime.nodes.assistants import GetAssistantNode\n"
        "from openai_assistants_knime.configuration.port import OpenAIConfigurationSpec\n"
        "from openai_assistants.client.connection import ConnectionConfig\n"
        "class Context:\n"
        "    def set_warning(self, text): pass\n"
        "node = GetAssistantNode()\n"
        "node.request.assistant_id = 'asst_1'\n"
        "node.configure(Context(), OpenAIConfigurationSpec(ConnectionConfig()))\n"
        "print('openai_assistants.engine.execute' in sys.modules, "
        "'openai_assistants_knime.api_node.engine_calls' in sys.modules)"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        capture_output=True, text=True, env=env, cwd=ROOT / "src", timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]


def test_create_run_short_description_is_the_seeds() -> None:
    assert type(CreateRunNode()).__doc__.strip().splitlines()[0] == "Create a run."


def settings_of(cls: type, prefix: str = "") -> dict[str, object]:
    """Every parameter of a node class by its settings path ("group.key" inside a section)."""
    found: dict[str, object] = {}
    for klass in reversed(cls.__mro__):
        for key, value in vars(klass).items():
            if isinstance(value, knext.parameter._BaseParameter):
                found[prefix + key] = value
            elif type(value).__name__ == "ParameterGroupHolder":
                found[prefix + key] = value
                found.update(settings_of(type(value), f"{prefix}{key}."))
    return found


@pytest.mark.parametrize("node", NODES)
def test_every_setting_has_a_label_and_description(node: type) -> None:
    params = list(settings_of(node).values())
    assert len(params) >= 5
    for param in params:
        assert param._label and param.__doc__ and len(param.__doc__) > 15


def test_settings_keys_are_the_documented_public_names() -> None:
    def keys(node: type) -> set[str]:
        return set(settings_of(node))

    assert keys(NODES[1]) == {
        "request", "request.thread_id", "request.include", "request.body",
        "result", "result.result_format", "result.include_headers",
        "errors", "errors.error_handling",
        "waiting", "waiting.wait_for_completion", "waiting.poll_interval", "waiting.max_wait",
        "waiting.cancel_run_on_cancel",
        "runs_table", "runs_table.thread_id_column", "runs_table.body_column",
        "runs_table.concurrency",
        "advanced", "advanced.allow_unknown_fields",
    }  # fmt: skip
    assert keys(NODES[0]) == {
        "base_url", "key_source", "credentials", "organization", "project", "check_connection",
        "beta_header",
        "auth_header",
        "api_version", "timeout", "max_retries", "total_timeout", "max_response_mib", "ca_bundle",
    }  # fmt: skip


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert zlib.crc32(data[12:29]) == int.from_bytes(data[29:33], "big")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.parametrize("icon", ["category.png", "openai-configuration.png", "create-run.png"])
def test_icons_are_16x16_pngs(icon: str) -> None:
    assert _png_size(ROOT / "icons" / icon) == (16, 16)


def test_knime_yml_names_the_entry_module_environment_and_license() -> None:
    fields = {}
    for line in (ROOT / "knime.yml").read_text().splitlines():
        if ":" in line and not line.startswith((" ", "#")):
            key, value = line.split(":", 1)
            fields[key] = value.split(" #")[0].strip()
    for key in ("name", "author", "description", "long_description", "group_id", "version",
                "vendor"):  # fmt: skip
        assert fields.get(key), key
    assert fields["extension_module"] == "src/extension"
    assert (ROOT / fields["extension_module"]).with_suffix(".py").is_file()
    assert (ROOT / fields["pixi_toml_path"]).is_file()
    assert (ROOT / fields["license_file"]).read_text().startswith("MIT License")
