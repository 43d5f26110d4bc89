"""The demo's chain, in-process: every node of the chain through the engine, in order.

Create Assistant (function tool) -> Create Thread -> Create Message -> Create Run (wait,
requires action) -> Submit Tool Outputs to Run (wait, completed) -> List Messages
(Structured), against the embedded sandbox on 127.0.0.1.
"""

from __future__ import annotations

from openai_assistants import operations
from openai_assistants.engine.execute import output_columns
from openai_assistants.sandbox.demo import run_demo
from openai_assistants.tables.results import ResultFormat, arrow_schema


def test_the_chain_runs_every_node_and_the_reply_is_one_cell_away() -> None:
    seen: list[str] = []
    result = run_demo(
        "Count these four words", run_duration=0, on_step=lambda s: seen.append(s.node)
    )
    names = [step.node for step in result.steps]
    assert (
        names
        == seen
        == [
            "Create Assistant",
            "Create Thread",
            "Create Message",
            "Create Run",
            "Submit Tool Outputs to Run",
            "List Messages",
        ]
    )
    by_name = {op.node_name: op for op in operations.ALL}
    for step in result.steps:  # every table exactly as configure() declares it
        columns = output_columns(by_name[step.node], ResultFormat.STRUCTURED)
        assert step.outcome.table.schema == arrow_schema(columns)
    assert result.statuses == ("requires_action", "completed")
    messages = result.steps[-1].outcome.table.to_pylist()
    assert [(m["role"], m["text"]) for m in messages] == [
        ("user", "Count these four words"),
        ("assistant", "Echo: Count these four words (tool output: 4 words)"),
    ]
    assert messages[1]["run_id"] == result.run_id
    assert result.reply == "Echo: Count these four words (tool output: 4 words)"
