"""The Vector Stores nodes: stores, their files and file batches, and search."""

from __future__ import annotations

from ..api_node.documents import DocumentNode, document_node

ICON = "icons/vector-store.png"


@document_node("createVectorStore", ICON, ["create", "file_search", "knowledge base"])
class CreateVectorStoreNode(DocumentNode):
    """**Body**: `name`, the `file_ids` to add (from Upload File), `chunking_strategy`,
    `expires_after`, `metadata`. The Structured output's `id` is the vector store ID that an
    assistant's `tool_resources.file_search.vector_store_ids` takes.

    **Wait until processing ends**: read the vector store again until it is no longer
    `in_progress` and output it with its final `file_counts`."""


@document_node("listVectorStores", ICON, ["list"])
class ListVectorStoresNode(DocumentNode):
    """In the Structured format, one row per vector store."""


@document_node("getVectorStore", ICON, ["retrieve", "status"])
class GetVectorStoreNode(DocumentNode):
    """**Vector store ID**: the vector store to retrieve, e.g. `vs_abc123`."""


@document_node("modifyVectorStore", ICON, ["update", "rename", "metadata"])
class ModifyVectorStoreNode(DocumentNode):
    """**Body**: `name`, `expires_after` and/or `metadata` to set."""


@document_node("deleteVectorStore", ICON, ["remove"])
class DeleteVectorStoreNode(DocumentNode):
    """Deletes the vector store (its files stay; delete them with Delete File)."""


@document_node("searchVectorStore", ICON, ["retrieve", "retriever", "RAG", "query"])
class SearchVectorStoreNode(DocumentNode):
    """A retriever for a KNIME workflow. **Query**: the text to search for; from a table,
    choose the *Query column* to search once per row.

    **Body**: `max_num_results` (1 to 50), `filters` on the files' attributes,
    `ranking_options`, `rewrite_query`.

    The Structured output has one row per result: `query_row` (the RowID of the input row
    whose query found it), `query`, `file_id`, `filename`, `score` (0 to 1, best first),
    `text` (the matching chunks) and `attributes`."""


@document_node("createVectorStoreFile", ICON, ["add", "attach", "file_search"])
class CreateVectorStoreFileNode(DocumentNode):
    """**Body**: the `file_id` to add (from Upload File), optionally `attributes` and
    `chunking_strategy`. From a table, a body column can hold one file per row.

    **Wait until processing ends**: read the vector store file again until it is no longer
    `in_progress` and output it (`completed`, `failed` with its `last_error`, ...)."""


@document_node("listVectorStoreFiles", ICON, ["list", "status"])
class ListVectorStoreFilesNode(DocumentNode):
    """In the Structured format, one row per file of the vector store; **Filter** keeps the
    files of one status."""


@document_node("getVectorStoreFile", ICON, ["retrieve", "status"])
class GetVectorStoreFileNode(DocumentNode):
    """**Vector store ID** and **File ID**: the file to retrieve, with its `status` and
    `last_error`."""


@document_node("updateVectorStoreFileAttributes", ICON, ["update", "attributes", "filter"])
class UpdateVectorStoreFileAttributesNode(DocumentNode):
    """**Body**: the `attributes` (up to 16 keys; strings, numbers or booleans) a search's
    `filters` can select on."""


@document_node("deleteVectorStoreFile", ICON, ["remove", "detach"])
class DeleteVectorStoreFileNode(DocumentNode):
    """Removes the file from the vector store; the file itself stays (Delete File)."""


@document_node("retrieveVectorStoreFileContent", ICON, ["content", "text", "parsed"])
class GetVectorStoreFileContentNode(DocumentNode):
    """The text the vector store parsed from the file: in the Structured format one row per
    part (`type`, `text`)."""


@document_node("createVectorStoreFileBatch", ICON, ["batch", "add", "file_search"])
class CreateVectorStoreFileBatchNode(DocumentNode):
    """**Body**: the `file_ids` to add at once (or `files` with attributes of their own),
    optionally `attributes` and `chunking_strategy` for all of them.

    **Wait until processing ends**: read the file batch again until it is no longer
    `in_progress` and output it (`completed`, `failed` with its `last_error`, ...)."""


@document_node("getVectorStoreFileBatch", ICON, ["retrieve", "status"])
class GetVectorStoreFileBatchNode(DocumentNode):
    """**Vector store ID** and **Batch ID**: the batch to retrieve, with its `file_counts`."""


@document_node("cancelVectorStoreFileBatch", ICON, ["stop", "abort"])
class CancelVectorStoreFileBatchNode(DocumentNode):
    """Sends no body: processing of the batch's files stops as soon as possible."""


@document_node("listFilesInVectorStoreBatch", ICON, ["list", "batch"])
class ListVectorStoreFileBatchFilesNode(DocumentNode):
    """In the Structured format, one row per file of the batch; **Filter** keeps the files
    of one status."""
