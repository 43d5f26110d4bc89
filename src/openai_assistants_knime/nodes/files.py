"""The Files nodes: upload, list, get, delete files and get a file's content."""

from __future__ import annotations

from typing import Any

import knime.extension as knext

from ..api_node.documents import DocumentNode, document_node
from ..api_node.table_output import knime_schema
from ..configuration.port import OpenAIConfigurationSpec
from ..errors import settings_errors_as_invalid_parameters

ICON = "icons/file.png"


@document_node("createFile", ICON, ["upload", "document", "multipart"])
class UploadFileNode(DocumentNode):
    """**Local file**: the file to upload, streamed from disk as the multipart `file` part
    exactly as the official SDK's `client.files.create` sends it (its name is the file's
    `filename`). **Purpose**: `assistants` for documents to search.

    **Body**: further form fields, e.g. `{"expires_after": {"anchor": "created_at",
    "seconds": 86400}}`; a `file` or `purpose` in the body is used when the setting is empty.

    **From a table**: choose the *Local file column* (paths, one upload per row, sent up to
    *Concurrent requests* at once). A file that is missing or unreadable is an error naming
    its path: with *Output error responses*, only that row fails.

    The Structured output's `id` is the file ID that Create Vector Store File needs."""


@document_node("listFiles", ICON, ["list", "documents"])
class ListFilesNode(DocumentNode):
    """In the Structured format, one row per file (`id`, `filename`, `bytes`, `purpose`...)."""


@document_node("retrieveFile", ICON, ["retrieve", "metadata"])
class GetFileNode(DocumentNode):
    """**File ID**: the file to describe, e.g. `file-abc123`."""


@document_node("deleteFile", ICON, ["remove"])
class DeleteFileNode(DocumentNode):
    """Deletes the file and removes it from every vector store. The Structured output is the
    deletion status: `id`, `object` and `deleted`."""


@document_node("downloadFile", ICON, ["download", "bytes", "text"])
class GetFileContentNode(DocumentNode):
    """**File ID**: the file whose content to get.

    The Structured output has the content as `text` when it is UTF-8 text (a missing cell
    for binary files such as PDFs), its size in `bytes` and its `content_type`. With
    **Write files to folder**, the exact bytes are also written there, one file per row."""

    def _folder(self) -> str:
        return str(self.save.folder).strip()

    def configure(
        self,
        config_context: knext.ConfigurationContext,
        spec: OpenAIConfigurationSpec,
        table_schema: knext.Schema | None = None,
    ) -> tuple[knext.Schema, OpenAIConfigurationSpec]:
        schema, spec = super().configure(config_context, spec, table_schema)
        if not self._folder():
            return schema, spec
        from ..api_node import engine_calls as calls  # the engine: when a node first runs

        with settings_errors_as_invalid_parameters():
            calls.check_folder(self._folder())
        options = self.call_options(with_table=table_schema is not None)
        return knime_schema(calls.saved_columns(self.operation, options)), spec

    def finish_outcome(self, outcome: Any, inputs: list[Any]) -> Any:
        """With a folder, each file's bytes written there (the ``saved_to`` column)."""
        if not self._folder():
            return outcome
        from ..api_node import engine_calls as calls  # the engine: when a node first runs

        return calls.save_contents(outcome, inputs, self._folder())
