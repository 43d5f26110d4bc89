"""Create Run's dialog as KNIME shows it: sections, rules, versions, readable messages."""

from __future__ import annotations

import json
import re

import knime.extension as knext
import pytest
from knime.extension import parameter as kp
from test_extension_module import settings_of

from openai_assistants.operations.model import INCLUDE_FILE_SEARCH_CONTENT
from openai_assistants_knime.configuration.node import OpenAIConfigurationNode
from openai_assistants_knime.nodes import create_run as crn
from openai_assistants_knime.nodes.create_run import CreateRunNode, IncludeOptions

# knext.node may hand back a factory rather than the class: inspect what it builds
CREATE_RUN = type(CreateRunNode())
CONFIGURATION = type(OpenAIConfigurationNode())

# Create Run's settings exactly as version 0.1.0 saved them (flat, no sections)
SETTINGS_0_1_0 = {
    "thread_id": "thread_saved", "include": ["FILE_SEARCH_RESULT_CONTENT"],
    "body": '{"assistant_id": "asst_saved"}', "result_format": "STRUCTURED",
    "error_handling": "OUTPUT", "include_headers": True, "wait_for_completion": True,
    "poll_interval": 2.5, "max_wait": 30.0, "cancel_run_on_cancel": True,
    "thread_id_column": "thread", "body_column": "<none>", "concurrency": 7,
    "allow_unknown_fields": True,
}  # fmt: skip
KEYS_0_1_0 = {
    CREATE_RUN: set(SETTINGS_0_1_0),
    CONFIGURATION: {
        "base_url", "credentials", "organization", "project", "beta_header", "auth_header",
        "api_version", "timeout", "max_retries", "ca_bundle",
    },
}  # fmt: skip


def test_settings_saved_by_0_1_0_load_into_the_sections() -> None:
    node = CreateRunNode()
    kp.validate_parameters(node, {"model": dict(SETTINGS_0_1_0)}, "0.1.0")
    kp.inject_parameters(node, {"model": dict(SETTINGS_0_1_0)}, "0.1.0")
    assert node.request.thread_id == "thread_saved"
    assert list(node.request.include) == ["FILE_SEARCH_RESULT_CONTENT"]
    assert node.result.result_format == "STRUCTURED" and node.result.include_headers is True
    assert node.errors.error_handling == "OUTPUT"
    assert (node.waiting.wait_for_completion, node.waiting.poll_interval) == (True, 2.5)
    assert node.waiting.max_wait == 30.0 and node.waiting.cancel_run_on_cancel is True
    assert node.runs_table.thread_id_column == "thread" and node.runs_table.concurrency == 7
    assert node.advanced.allow_unknown_fields is True
    saved = kp.extract_parameters(node)["model"]
    assert saved["request"]["thread_id"] == "thread_saved" and "thread_id" not in saved


def test_settings_saved_now_load_again() -> None:
    node = CreateRunNode()
    node.request.thread_id = "thread_now"
    node.runs_table.concurrency = 3
    saved = kp.extract_parameters(node)
    again = CreateRunNode()
    kp.validate_parameters(again, saved, "0.2.0")
    kp.inject_parameters(again, saved, "0.2.0")
    assert (again.request.thread_id, again.runs_table.concurrency) == ("thread_now", 3)


@pytest.mark.parametrize("node", [CREATE_RUN, CONFIGURATION])
def test_every_setting_added_after_0_1_0_carries_since_version(node: type) -> None:
    added = {
        path: param
        for path, param in settings_of(node).items()
        if path.split(".")[-1] not in KEYS_0_1_0[node] and "." not in path
    }
    assert added  # sections (Create Run) and the key source (Configuration)
    for path, param in added.items():
        assert param._since_version >= knext.Version(0, 2, 0), path


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("runs_table", "concurrency", 0, "Concurrent requests: 0 is below the minimum 1"),
        ("runs_table", "concurrency", 33, "Concurrent requests: 33 is above the maximum 32"),
        ("waiting", "poll_interval", 0.0, r"Poll interval \(seconds\): 0.0 is below"),
        ("waiting", "max_wait", 0.5, r"Maximum wait \(seconds\): 0.5 is below the minimum"),
    ],
)
def test_numeric_range_errors_name_the_setting(section, key, value, message) -> None:
    node = CreateRunNode()
    with pytest.raises(ValueError, match=message):
        setattr(getattr(node, section), key, value)
    saved = kp.extract_parameters(node)
    saved["model"][section][key] = value
    with pytest.raises(ValueError, match=message):
        kp.validate_parameters(CreateRunNode(), saved, "0.2.0")


def test_configuration_range_errors_name_the_setting() -> None:
    node = OpenAIConfigurationNode()
    with pytest.raises(ValueError, match="Maximum retries: 11 is above the maximum 10"):
        node.max_retries = 11
    with pytest.raises(ValueError, match=r"Timeout \(seconds\): 0.0 is below the minimum"):
        node.timeout = 0.0
    with pytest.raises(ValueError, match=r"Total time limit \(seconds\): 0.0 is below"):
        node.total_timeout = 0.0
    with pytest.raises(ValueError, match=r"Maximum response size \(MiB\): 5000 is above"):
        node.max_response_mib = 5000


def test_poll_settings_show_only_when_waiting() -> None:
    waiting = settings_of(CREATE_RUN)
    for key in ("poll_interval", "max_wait", "cancel_run_on_cancel"):
        rule = waiting[f"waiting.{key}"]._rule
        assert rule.effect is knext.Effect.SHOW
        assert rule.condition._subject is waiting["waiting.wait_for_completion"]
        assert rule.condition._values == [True]


class _DialogContext:
    def __init__(self, *specs: object) -> None:
        self.specs = list(specs)

    def get_input_specs(self) -> list:
        return self.specs


def test_runs_table_section_shows_only_with_the_table_connected() -> None:
    rule = vars(CREATE_RUN)["runs_table"]._rule
    assert rule.effect is knext.Effect.SHOW
    table = knext.Schema.from_columns([knext.Column(knext.string(), "thread")])
    assert rule.condition._ctx_predicate(_DialogContext(object(), table)) is True
    assert rule.condition._ctx_predicate(_DialogContext(object(), None)) is False
    assert rule.condition._ctx_predicate(_DialogContext(object())) is False


def _descriptions() -> list[str]:
    texts = [CREATE_RUN.__doc__ or "", CONFIGURATION.__doc__ or ""]
    for node in (CREATE_RUN, CONFIGURATION):
        texts += [param.__doc__ or "" for param in settings_of(node).values()]
    for options in (IncludeOptions, crn.ResultFormatOptions, crn.ErrorHandlingOptions):
        texts += [f"{option.value[0]} {option.value[1]}" for option in options]
    return texts


def test_markdown_never_sees_bracket_stars_outside_code() -> None:
    """KNIME renders descriptions as Markdown: `[*]...[*]` outside code became italics."""
    described = [t for t in _descriptions() if INCLUDE_FILE_SEARCH_CONTENT in t]
    assert len(described) >= 3  # node description, setting and option all name the value
    for text in _descriptions():
        outside_code = re.sub(r"`[^`]*`", "", text)
        assert "[*]" not in outside_code, text


def _ui_elements(ui: dict) -> list[dict]:
    found = [ui]
    for element in ui.get("elements", []):
        found += _ui_elements(element)
    return found


@pytest.mark.skipif(
    not hasattr(kp, "extract_ui_schema"), reason="the dialog is generated by KNIME's real API"
)
@pytest.mark.parametrize("connected", [True, False])
def test_knime_generates_the_sectioned_dialog(connected: bool) -> None:
    """What KNIME renders: sections, the waiting rule and the Runs-table rule."""
    metadata = {  # what KNIME attaches to an input column
        "preferred_value_type": "org.knime.core.data.StringValue",
        "displayed_column_type": "String",
    }
    column = knext.Column(knext.string(), "thread", metadata)
    context = _DialogContext(None, knext.Schema.from_columns([column]) if connected else None)
    context.get_credential_names = lambda: ["openai"]
    context.get_flow_variables = lambda: {}
    node = CreateRunNode()
    schema = kp.extract_schema(node, "0.2.0", context)["properties"]["model"]["properties"]
    assert list(schema) == ["request", "result", "errors", "waiting", "runs_table", "advanced"]
    elements = _ui_elements(kp.extract_ui_schema(node, context))
    sections = {e["label"]: e for e in elements if e.get("type") == "Section"}
    assert list(sections) == [
        "Request", "Result", "Error handling", "Waiting", "Runs table", "Advanced",
    ]  # fmt: skip
    runs_rule = sections["Runs table"]["rule"]
    assert runs_rule["effect"] == "SHOW"
    assert runs_rule["condition"]["schema"]["type"] == (["object"] if connected else ["null"])
    poll = next(e for e in elements if e.get("scope", "").endswith("/poll_interval"))
    assert poll["rule"]["condition"]["scope"].endswith("/waiting/properties/wait_for_completion")
    assert "Concurrent requests" in json.dumps(kp.extract_parameter_descriptions(node))
