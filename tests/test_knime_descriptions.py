"""Every node's description as KNIME renders it: Markdown, after KNIME's own preparation.

KNIME lists a node by taking the first line of its docstring as the short description and
rendering the rest as Markdown after removing the common indentation (PEP 257 "trim"), with
the ``sane_lists``, ``fenced_code`` and ``tables`` extensions (``knime.extension._markdown``,
called from KNIME's node backend). Where KNIME's own parser is importable it is used; else
the same steps run here with the same ``markdown`` package. A paragraph indented deeper than
the rest becomes a code block, which is how a sentence can turn into a grey box in KNIME.
"""

from __future__ import annotations

import html
import inspect
import re
from pathlib import Path
from typing import Any

import knime.extension.nodes as knodes
import pytest
from test_extension_module import settings_of

import extension  # noqa: F401  (registers every node, as KNIME's listing does)
from openai_assistants.operations import ALL, by_id
from openai_assistants_knime.api_node.description import description
from openai_assistants_knime.category import openai_assistants_category

markdown = pytest.importorskip("markdown")

ROOT = Path(__file__).resolve().parents[1]
OURS = {
    registered.name: registered
    for registered in knodes._nodes.values()
    if registered.category == openai_assistants_category
}


class _KnimeLikeParser:
    """KNIME's steps with the same Markdown package and extensions, for the test double."""

    def __init__(self) -> None:
        self._md = markdown.Markdown(
            extensions=["sane_lists", "fenced_code", "tables"], output_format="xhtml"
        )

    def parse_full_description(self, doc: str) -> str:
        return self._md.reset().convert(inspect.cleandoc(doc))

    def parse_option_description(self, doc: str) -> str:
        return self._md.reset().convert(inspect.cleandoc(doc))

    parse_port_description = parse_option_description


def _parser() -> Any:
    try:
        from knime.extension._markdown import KnimeMarkdownParser
    except ImportError:
        return _KnimeLikeParser()
    return KnimeMarkdownParser()


PARSER = _parser()


def split_like_knime(doc: str) -> tuple[str, str]:
    """(short description, full description source) as KNIME's node backend splits them."""
    if doc.startswith("\n"):
        doc = doc[1:]
    first, *rest = doc.splitlines()
    return first, "\n".join(rest)


def _blocks(rendered: str) -> list[str]:
    """The text of each paragraph and list item, tags removed."""
    found = re.findall(r"<(p|li)>(.*?)</\1>", rendered, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", text)).strip() for _, text in found]


def _assert_renders_cleanly(rendered: str, where: str) -> None:
    # KNIME turns <code> into <tt>; a code *block* is <pre> (KNIME keeps it, or makes it <tt>)
    assert "<pre>" not in rendered, f"{where}: an indented paragraph became a code block"
    for block in _blocks(rendered):
        assert re.search(r"[.!?:]\)?$|\.\)$", block), f"{where}: ends mid-sentence: {block!r}"


def node_classes() -> dict[str, type]:
    return {name: type(registered.node_factory()) for name, registered in OURS.items()}


def test_every_node_is_checked() -> None:
    assert len(OURS) == len(ALL) + 2  # every operation, OpenAI Configuration, Assistant Prompter


@pytest.mark.parametrize("name", sorted(OURS))
def test_node_description_renders_without_code_blocks_or_broken_sentences(name: str) -> None:
    doc = node_classes()[name].__doc__
    short, full = split_like_knime(doc)
    assert short.strip() and short.strip()[-1] == "."
    rendered = PARSER.parse_full_description(full)
    _assert_renders_cleanly(rendered, name)
    assert len(_blocks(rendered)) >= 2


@pytest.mark.parametrize("name", sorted(OURS))
def test_setting_and_port_descriptions_render_cleanly(name: str) -> None:
    cls = node_classes()[name]
    for key, param in settings_of(cls).items():
        _assert_renders_cleanly(PARSER.parse_option_description(param.__doc__), f"{name}: {key}")
    ports = OURS[name].to_dict()
    for port in ports["input_port_specifier"] + ports["output_port_specifier"]:
        rendered = PARSER.parse_port_description(port["description"])
        _assert_renders_cleanly(rendered, f"{name}: port {port['name']}")


def test_a_node_with_a_deeper_indented_paragraph_would_be_caught() -> None:
    """The check itself: the old way of joining a class docstring made a code block."""
    details = "First paragraph.\n\n    **Wait until the run ends**: poll the run."
    old_way = f"Get a run.\n\nIntro.\n\n{details.strip()}"
    assert "<pre>" in PARSER.parse_full_description(split_like_knime(old_way)[1])
    new_way = description(by_id("getRun"), details)
    assert "<pre>" not in PARSER.parse_full_description(split_like_knime(new_way)[1])


def test_where_row_values_come_from_reads_as_a_sentence() -> None:
    texts = {op.operation_id: description(op, "") for op in ALL}
    assert "Each row's body can come from a string or JSON column." in texts["createThread"]
    missing = "A row whose body cell is missing is not sent: its output row holds missing values"
    assert missing in texts["createThread"] and missing in texts["createMessage"]
    assert missing not in texts["getRun"]  # no body: nothing to say about one
    assert "a missing ID cell falls back to the dialog's value" in texts["getRun"]
    assert (
        "Each row's `thread_id` can come from a string column, and its body from a string or "
        "JSON column;" in texts["createMessage"]
    )
    assert "Each row's `thread_id` and `run_id` can come from string columns;" in texts["getRun"]
    assert "can each come from" not in "".join(texts.values())
    assert texts["listAssistants"].count("one request is sent per row") == 1


def test_family_texts_name_the_family_not_only_create_run() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    (summary,) = re.findall(r'^description = "(.*)"', pyproject, re.M)
    knime_yml = (ROOT / "knime.yml").read_text()
    yml_description = re.search(r"^description: (.*)$", knime_yml, re.M).group(1)
    long_description = knime_yml.split("long_description:", 1)[1].split("\ngroup_id:")[0]
    configuration = node_classes()["OpenAI Configuration"]
    port_texts = [p["description"] for p in OURS["OpenAI Configuration"].to_dict()[
        "output_port_specifier"]]  # fmt: skip
    texts = (summary, yml_description, long_description, configuration.__doc__, *port_texts)
    for text in texts:
        family = re.search(r"one (node )?per operation|(every|any) OpenAI Assistants node", text)
        assert family, text
        assert "such as **Create Run**" not in text and "Connect it to Create Run" not in text
