"""The Assistants nodes: create, list, get, modify and delete assistants."""

from __future__ import annotations

from ..api_node import OperationNode, operation_node

ICON = "icons/assistant.png"


@operation_node("createAssistant", ICON, ["create", "model", "instructions"])
class CreateAssistantNode(OperationNode):
    """**Body**: `model` (required), `name`, `description`, `instructions`, `tools`,
    `tool_resources`, `metadata`, `temperature`, `top_p`, `reasoning_effort` and
    `response_format`. The Structured output's `id` is the assistant ID that Create Run and
    Create Thread and Run need."""


@operation_node("listAssistants", ICON, ["list"])
class ListAssistantsNode(OperationNode):
    """In the Structured format, one row per assistant; *Fetch all pages* follows the list
    beyond one page."""


@operation_node("getAssistant", ICON, ["retrieve"])
class GetAssistantNode(OperationNode):
    """**Assistant ID**: the assistant to retrieve, e.g. `asst_abc123`."""


@operation_node("modifyAssistant", ICON, ["update"])
class ModifyAssistantNode(OperationNode):
    """**Body**: the fields to change (any of Create Assistant's fields, all optional)."""


@operation_node("deleteAssistant", ICON, ["remove"])
class DeleteAssistantNode(OperationNode):
    """The Structured output is the deletion status: `id`, `object` and `deleted`."""
