"""The demo's chain, in-process: every node of the chain through the engine, in order.

Create Assistant (function tool) -> Create Thread -> Create Message -> Create Run (wait,
requires action) -> Submit Tool Outputs to Run (wait, completed) -> List Messages
(Structured), against the embedded sandbox on 127.0.0.1.
"""

from __future__ import annotations

import time

import pytest
from fake_chat_completions import Calls, FakeChatCompletions, Text

from openai_assistants import operations
from openai_assistants.engine.execute import output_columns
from openai_assistants.sandbox.demo import (
    MODEL_MAX_COMPLETION_TOKENS,
    PROMPTER_QUESTIONS,
    DemoGaveUpError,
    run_demo,
)
from openai_assistants.server.backends.chat_completions import ChatCompletionsBackend
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
            "Create Assistant",
        ]
    )
    by_name = {op.node_name: op for op in operations.ALL}
    for step in result.steps:  # every table exactly as configure() declares it
        columns = output_columns(by_name[step.node], ResultFormat.STRUCTURED)
        assert step.outcome.table.schema == arrow_schema(columns)
    assert result.statuses == ("requires_action", "completed")
    messages = result.steps[5].outcome.table.to_pylist()
    assert [(m["role"], m["text"]) for m in messages] == [
        ("user", "Count these four words"),
        ("assistant", "Echo: Count these four words (tool output: 4 words)"),
    ]
    assert messages[1]["run_id"] == result.run_id
    assert result.reply == "Echo: Count these four words (tool output: 4 words)"
    # the one-node workflow last: the questions' table comes back with the answers appended
    answers = result.answers.to_pylist()
    assert [(a["<RowID>"], a["question"], a["Response"], a["status"]) for a in answers] == [
        (f"Row{n}", question, f"Echo: {question}", "completed")
        for n, (question, _) in enumerate(PROMPTER_QUESTIONS)
    ]
    assert result.answers.column_names[:3] == ["<RowID>", "question", "topic"]


def test_the_demo_with_a_model_bounds_its_answer_and_runs_the_tool_round_trip() -> None:
    fake = FakeChatCompletions(
        [
            Calls((("count_words", '{"text": "Hello there"}'),)),
            Text("Two words."),
            *(Text(f"Answer {n}.") for n in range(len(PROMPTER_QUESTIONS))),
        ]
    )
    backend = ChatCompletionsBackend("http://model.test/v1", transport=fake.transport())
    result = run_demo("Hello there", model=backend, model_name="small-model")
    assert result.statuses == ("requires_action", "completed")
    assert result.reply == "Two words."
    assert [r.body.get("max_completion_tokens") for r in fake.received[:2]] == [
        MODEL_MAX_COMPLETION_TOKENS,
        MODEL_MAX_COMPLETION_TOKENS - 7,  # the run's budget, less what the first call used
    ]
    assert sorted(a["Response"] for a in result.answers.to_pylist()) == [
        "Answer 0.",
        "Answer 1.",
        "Answer 2.",
    ]


def test_the_demo_gives_up_after_max_wait_cancels_the_run_and_says_so() -> None:
    fake = FakeChatCompletions([Text("far too late")], latency=30)
    backend = ChatCompletionsBackend("http://model.test/v1", transport=fake.transport())
    seen: list[str] = []
    started = time.monotonic()
    with pytest.raises(DemoGaveUpError) as raised:
        run_demo(
            "Hello",
            model=backend,
            max_wait=0.5,
            on_step=lambda s: seen.append(f"{s.node}: {s.summary}"),
        )
    assert time.monotonic() - started < 10
    message = str(raised.value)
    assert "after 0.5 s (--max-wait)" in message and "was cancelled" in message
    assert "goes on on the server" not in message  # the demo's server stops with it
    assert seen[-1].startswith("Cancel Run: run_")
    assert seen[-1].endswith(("is 'cancelling'", "is 'cancelled'"))


def test_the_document_step_answers_from_the_bundled_guide_with_its_citation() -> None:
    steps: list[str] = []
    result = run_demo(
        "Hi", run_duration=0, documents=True, on_document_step=lambda s: steps.append(s.node)
    )
    # the chain unchanged (then the Prompter's assistant)
    assert [step.node for step in result.steps][-2:] == ["List Messages", "Create Assistant"]
    document = result.document
    assert document is not None
    assert (
        steps
        == [step.node for step in document.steps]
        == [
            "Upload File",
            "Create Vector Store",
            "Create Assistant",
            "Create Thread and Run",
            "List Messages",
            "List Run Steps",
        ]
    )
    (uploaded,) = document.steps[0].outcome.table.to_pylist()
    assert document.citations == (("port-lune-guide.md", uploaded["id"]),)
    assert document.reply == f"Echo: {document.question} 【0:0†port-lune-guide.md】"
    assert "Its keeper is Ada Quill" in document.passage  # only the guide knows this
    assert "Ada Quill" not in document.question
