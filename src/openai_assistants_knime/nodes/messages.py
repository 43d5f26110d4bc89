"""The Messages nodes: create, list, get, modify and delete a thread's messages."""

from __future__ import annotations

from ..api_node import OperationNode, operation_node

ICON = "icons/message.png"


@operation_node("createMessage", ICON, ["create", "user", "prompt"])
class CreateMessageNode(OperationNode):
    """**Body**: `role` (`user` or `assistant`) and `content` (text, or a list of content
    parts), both required; optional `attachments` and `metadata`."""


@operation_node("listMessages", ICON, ["list", "reply", "answer"])
class ListMessagesNode(OperationNode):
    """In the Structured format, one row per message, its text parts joined in the `text`
    column: the assistant's reply is one cell away. **Run ID** lists only the messages a run
    created; *Order* `asc` lists the oldest first."""


@operation_node("getMessage", ICON, ["retrieve"])
class GetMessageNode(OperationNode):
    """**Thread ID** and **Message ID**: the message to retrieve."""


@operation_node("modifyMessage", ICON, ["update", "metadata"])
class ModifyMessageNode(OperationNode):
    """**Body**: the `metadata` to set on the message."""


@operation_node("deleteMessage", ICON, ["remove"])
class DeleteMessageNode(OperationNode):
    """The Structured output is the deletion status: `id`, `object` and `deleted`."""
