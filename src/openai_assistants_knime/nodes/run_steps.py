"""The Run steps nodes: list a run's steps and get one."""

from __future__ import annotations

from ..api_node import OperationNode, operation_node

ICON = "icons/run-step.png"


@operation_node("listRunSteps", ICON, ["list", "steps", "tool calls"])
class ListRunStepsNode(OperationNode):
    """In the Structured format, one row per step (`message_creation` or `tool_calls`, its
    details as JSON text in `step_details`)."""


@operation_node("getRunStep", ICON, ["retrieve", "step"])
class GetRunStepNode(OperationNode):
    """**Thread ID**, **Run ID** and **Step ID**: the run step to retrieve."""
