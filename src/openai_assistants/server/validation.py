"""Request bodies of the non-run operations, checked the way the OpenAI API checks them.

Run bodies go through the node's own schema (:func:`openai_assistants.body_schema.check_body`);
everything else is checked here, field by field, so that a client gets the API's 400 with the
``param`` it got wrong instead of an object stored half-valid. Every failure is a
:class:`RequestError`, which the HTTP layer turns into OpenAI's error shape.
"""

from __future__ import annotations

import copy
from typing import Any

ASSISTANT_FIELDS = frozenset(
    {
        "model",
        "name",
        "description",
        "instructions",
        "reasoning_effort",
        "tools",
        "tool_resources",
        "metadata",
        "temperature",
        "top_p",
        "response_format",
    }
)
THREAD_FIELDS = frozenset({"messages", "tool_resources", "metadata"})
MESSAGE_FIELDS = frozenset({"role", "content", "attachments", "metadata"})
TOOL_TYPES = ("code_interpreter", "file_search", "function")
UNSUPPORTED_TOOLS = ("code_interpreter",)
UNSUPPORTED_TOOL_MESSAGE = (
    "The tool type '{kind}' in '{param}' is not supported by this server: it runs function "
    "tools and file_search (code_interpreter needs OpenAI's hosted sandbox). Remove the tool "
    "or replace it with a function tool."
)


class RequestError(Exception):
    """The request cannot be served; carries what the OpenAI error shape needs."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        param: str | None = None,
        code: str | None = None,
        error_type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.param = param
        self.code = code
        self.error_type = error_type


class NotFoundError(RequestError):
    """An unknown assistant, thread, message, run or step: 404 with the real API's wording."""

    def __init__(self, kind: str, object_id: str) -> None:
        super().__init__(f"No {kind} found with id '{object_id}'.", status=404)


def object_body(body: Any, allowed: frozenset[str]) -> dict[str, Any]:
    """A JSON object with only known fields (the API refuses unknown ones)."""
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise RequestError("The request body must be a JSON object.")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise RequestError(
            f"Unknown parameter: '{unknown[0]}'.", param=unknown[0], code="unknown_parameter"
        )
    return body


def check_type(body: dict[str, Any], name: str, kind: Any, *, nullable: bool = False) -> None:
    value = body.get(name)
    if value is None and (nullable or name not in body):
        return
    if isinstance(value, bool) or not isinstance(value, kind):
        raise RequestError(
            f"Invalid type for '{name}': expected {_kind_name(kind)}.",
            param=name,
            code="invalid_type",
        )


def _kind_name(kind: Any) -> str:
    return "a string" if kind is str else "a number" if isinstance(kind, tuple) else "an object"


def optional_object(body: dict[str, Any], name: str) -> dict[str, Any] | None:
    check_type(body, name, dict, nullable=True)
    return body.get(name)


def metadata(value: Any, param: str = "metadata") -> dict[str, str]:
    """At most 16 string pairs (keys <= 64, values <= 512 characters), as documented."""
    if value is None:
        return {}
    if (
        not isinstance(value, dict)
        or len(value) > 16
        or not all(isinstance(k, str) and len(k) <= 64 for k in value)
        or not all(isinstance(v, str) and len(v) <= 512 for v in value.values())
    ):
        raise RequestError(
            f"Invalid '{param}': expected an object of at most 16 string values.", param=param
        )
    return dict(value)


def tools(value: Any, param: str = "tools") -> list[dict[str, Any]]:
    """Function and file_search tools; code_interpreter is refused, never ignored."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise RequestError(f"Invalid type for '{param}': expected an array.", param=param)
    for i, tool in enumerate(value):
        kind = tool.get("type") if isinstance(tool, dict) else None
        where = f"{param}[{i}].type"
        if kind not in TOOL_TYPES:
            raise RequestError(
                f"Invalid value for '{where}': expected one of "
                + ", ".join(f"'{t}'" for t in TOOL_TYPES)
                + ".",
                param=where,
                code="invalid_value",
            )
        refuse_unsupported_tool(kind, where)
        if kind == "file_search":
            _file_search_tool(tool, f"{param}[{i}]")
            continue
        function = tool.get("function")
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise RequestError(
                f"Missing required parameter: '{param}[{i}].function.name'.",
                param=f"{param}[{i}].function.name",
                code="missing_required_parameter",
            )
    return copy.deepcopy(value)


def _file_search_tool(tool: dict[str, Any], param: str) -> None:
    """``max_num_results`` 1-50 and ``score_threshold`` 0-1, as the API bounds them."""
    options = tool.get("file_search")
    if options is None:
        return
    if not isinstance(options, dict):
        raise RequestError(
            f"Invalid type for '{param}.file_search': expected an object.",
            param=f"{param}.file_search",
        )
    limit = options.get("max_num_results")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
        limit = -1
    if limit is not None and not 1 <= limit <= 50:
        raise RequestError(
            f"Invalid '{param}.file_search.max_num_results': it must be an integer from 1 to 50.",
            param=f"{param}.file_search.max_num_results",
            code="invalid_value",
        )
    ranking = options.get("ranking_options")
    if ranking is None:
        return
    where = f"{param}.file_search.ranking_options"
    threshold = ranking.get("score_threshold") if isinstance(ranking, dict) else None
    if (
        not isinstance(threshold, (int, float))
        or isinstance(threshold, bool)
        or not 0 <= threshold <= 1
    ):
        raise RequestError(
            f"Invalid '{where}.score_threshold': it must be a number from 0 to 1.",
            param=f"{where}.score_threshold",
            code="invalid_value",
        )
    if ranking.get("ranker", "auto") not in ("auto", "default_2024_08_21"):
        raise RequestError(
            f"Invalid value for '{where}.ranker': expected 'auto' or 'default_2024_08_21'.",
            param=f"{where}.ranker",
            code="invalid_value",
        )


def refuse_unsupported_tool(kind: Any, param: str) -> None:
    if kind in UNSUPPORTED_TOOLS:
        raise RequestError(
            UNSUPPORTED_TOOL_MESSAGE.format(kind=kind, param=param),
            param=param,
            code="unsupported_tool",
        )


def response_format(value: Any) -> Any:
    if value is None or value == "auto":
        return "auto"
    if isinstance(value, dict) and isinstance(value.get("type"), str):
        return copy.deepcopy(value)
    raise RequestError(
        "Invalid 'response_format': expected 'auto' or an object with a 'type'.",
        param="response_format",
    )


def assistant_fields(body: Any, *, creating: bool) -> dict[str, Any]:
    """The fields of a create (``model`` required) or modify assistant body, normalised."""
    body = object_body(body, ASSISTANT_FIELDS)
    if creating and body.get("model") is None:
        raise RequestError(
            "Missing required parameter: 'model'.",
            param="model",
            code="missing_required_parameter",
        )
    check_type(body, "model", str, nullable=not creating)
    for name in ("name", "description", "instructions", "reasoning_effort"):
        check_type(body, name, str, nullable=True)
    for name in ("temperature", "top_p"):
        check_type(body, name, (int, float), nullable=True)
    fields: dict[str, Any] = {}
    if body.get("model") is not None:
        fields["model"] = body["model"]
    for name in ("name", "description", "instructions"):
        if name in body:
            fields[name] = body[name]
    if "tools" in body:
        fields["tools"] = tools(body["tools"])
    if "tool_resources" in body:
        fields["tool_resources"] = optional_object(body, "tool_resources") or {}
    if "metadata" in body:
        fields["metadata"] = metadata(body["metadata"])
    for name, default in (("temperature", 1.0), ("top_p", 1.0)):
        if name in body:
            fields[name] = default if body[name] is None else body[name]
    if "response_format" in body:
        fields["response_format"] = response_format(body["response_format"])
    if "reasoning_effort" in body:
        fields["reasoning_effort"] = body["reasoning_effort"]
    return fields


def thread_fields(body: Any) -> tuple[dict[str, Any], list[Any]]:
    """A create/modify thread body -> (stored fields, initial message requests)."""
    body = object_body(body, THREAD_FIELDS)
    messages = body.get("messages") or []
    if not isinstance(messages, list):
        raise RequestError("Invalid type for 'messages': expected an array.", param="messages")
    fields: dict[str, Any] = {}
    if "tool_resources" in body:
        fields["tool_resources"] = optional_object(body, "tool_resources") or {}
    if "metadata" in body:
        fields["metadata"] = metadata(body["metadata"])
    parsed = [message_request(m, f"messages[{i}]") for i, m in enumerate(messages)]
    return fields, parsed


def metadata_only(body: Any) -> dict[str, str] | None:
    """Modify Message / Modify Run: only ``metadata`` can change (None: leave it)."""
    body = object_body(body, frozenset({"metadata"}))
    return metadata(body["metadata"]) if "metadata" in body else None


def message_request(
    body: Any, where: str | None
) -> tuple[str, list[dict[str, Any]], list[Any] | None, dict[str, str]]:
    """A create-message body -> (role, content parts as stored, attachments, metadata)."""
    prefix = f"{where}." if where else ""
    if not isinstance(body, dict):
        raise RequestError(f"Invalid '{where or 'body'}': expected an object.", param=where)
    unknown = sorted(set(body) - MESSAGE_FIELDS)
    if unknown:
        raise RequestError(
            f"Unknown parameter: '{prefix}{unknown[0]}'.",
            param=prefix + unknown[0],
            code="unknown_parameter",
        )
    for name in ("role", "content"):
        if name not in body:
            raise RequestError(
                f"Missing required parameter: '{prefix}{name}'.",
                param=prefix + name,
                code="missing_required_parameter",
            )
    role = body["role"]
    if role not in ("user", "assistant"):
        raise RequestError(
            f"Invalid value: '{role}'. Supported values are: 'user' and 'assistant'.",
            param=prefix + "role",
            code="invalid_value",
        )
    content = body["content"]
    if isinstance(content, str):
        parts = [text_part(content)]
    elif isinstance(content, list) and content:
        parts = [_content_part(part, f"{prefix}content[{i}]") for i, part in enumerate(content)]
    else:
        raise RequestError(
            f"Invalid '{prefix}content': expected a string or a non-empty array of parts.",
            param=prefix + "content",
        )
    attachments = body.get("attachments")
    if attachments is not None and not isinstance(attachments, list):
        raise RequestError(
            f"Invalid type for '{prefix}attachments': expected an array.",
            param=prefix + "attachments",
        )
    for i, attachment in enumerate(attachments or []):
        for j, tool in enumerate((attachment or {}).get("tools") or []):
            kind = tool.get("type") if isinstance(tool, dict) else None
            refuse_unsupported_tool(kind, f"{prefix}attachments[{i}].tools[{j}].type")
    return role, parts, attachments, metadata(body.get("metadata"), prefix + "metadata")


def _content_part(part: Any, where: str) -> dict[str, Any]:
    kind = part.get("type") if isinstance(part, dict) else None
    if kind == "text" and isinstance(part.get("text"), str):
        return text_part(part["text"])
    if kind in ("image_file", "image_url") and isinstance(part.get(kind), dict):
        return copy.deepcopy(part)
    raise RequestError(
        f"Invalid '{where}': expected a text, image_file or image_url content part.",
        param=where,
    )


def text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": {"value": text, "annotations": []}}


def text_of(message: dict[str, Any]) -> str:
    """The text parts of a stored message, joined by line breaks."""
    return "\n".join(p["text"]["value"] for p in message["content"] if p["type"] == "text")


def tool_outputs(body: Any) -> tuple[list[dict[str, str]], bool]:
    """Submit Tool Outputs: ``tool_outputs`` (each with ``tool_call_id``) and ``stream``."""
    body = object_body(body, frozenset({"tool_outputs", "stream"}))
    outputs = body.get("tool_outputs")
    if outputs is None:
        raise RequestError(
            "Missing required parameter: 'tool_outputs'.",
            param="tool_outputs",
            code="missing_required_parameter",
        )
    if not isinstance(outputs, list):
        raise RequestError(
            "Invalid type for 'tool_outputs': expected an array.", param="tool_outputs"
        )
    parsed = []
    for i, item in enumerate(outputs):
        where = f"tool_outputs[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("tool_call_id"), str):
            raise RequestError(
                f"Missing required parameter: '{where}.tool_call_id'.",
                param=f"{where}.tool_call_id",
                code="missing_required_parameter",
            )
        output = item.get("output", "")
        if not isinstance(output, str):
            raise RequestError(
                f"Invalid type for '{where}.output': expected a string.",
                param=f"{where}.output",
                code="invalid_type",
            )
        parsed.append({"tool_call_id": item["tool_call_id"], "output": output})
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise RequestError("Invalid type for 'stream': expected a boolean.", param="stream")
    return parsed, bool(stream)
