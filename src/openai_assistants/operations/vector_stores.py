"""Vector stores: ``/vector_stores[/{vector_store_id}[/search|/files|/file_batches]]``.

The SDK (``client.vector_stores``) sends ``OpenAI-Beta: assistants=v2`` with every one of
these, so we do too. Creating a vector store, a vector-store file or a file batch starts
processing on the server; ``poll_operation`` says how the engine reads the object again to
wait until it is no longer ``in_progress``.
"""

from __future__ import annotations

from .model import PAGINATION, Operation, QueryKind, QueryParameter, ResultKind

GROUP = "Vector Stores"
STORES = "/vector_stores"
STORE = "/vector_stores/{vector_store_id}"
FILES = STORE + "/files"
FILE = FILES + "/{file_id}"
BATCHES = STORE + "/file_batches"
BATCH = BATCHES + "/{batch_id}"
FILE_STATUSES = ("in_progress", "completed", "failed", "cancelled")

FILTER = QueryParameter(
    "filter",
    "filter",
    QueryKind.STRING,
    allowed=FILE_STATUSES,
    description="Only files with this status: `in_progress`, `completed`, `failed` or `cancelled`.",
)

OPERATIONS = (
    Operation(
        "createVectorStore",
        "Create Vector Store",
        GROUP,
        "POST",
        STORES,
        (),
        "CreateVectorStoreRequest",
        ResultKind.VECTOR_STORE,
        may_create=True,
        subject="a vector store",
        summary="Create a vector store.",
        poll_operation="getVectorStore",
        poll_id="vector_store_id",
    ),
    Operation(
        "listVectorStores",
        "List Vector Stores",
        GROUP,
        "GET",
        STORES,
        PAGINATION,
        None,
        ResultKind.VECTOR_STORE,
        returns_list=True,
        summary="Returns a list of vector stores.",
    ),
    Operation(
        "getVectorStore",
        "Get Vector Store",
        GROUP,
        "GET",
        STORE,
        (),
        None,
        ResultKind.VECTOR_STORE,
        summary="Retrieves a vector store.",
    ),
    Operation(
        "modifyVectorStore",
        "Modify Vector Store",
        GROUP,
        "POST",
        STORE,
        (),
        "UpdateVectorStoreRequest",
        ResultKind.VECTOR_STORE,
        subject="vector store '{vector_store_id}'",
        summary="Modifies a vector store.",
    ),
    Operation(
        "deleteVectorStore",
        "Delete Vector Store",
        GROUP,
        "DELETE",
        STORE,
        (),
        None,
        ResultKind.DELETION,
        summary="Delete a vector store.",
        answer_object="vector_store.deleted",
    ),
    Operation(
        "searchVectorStore",
        "Search Vector Store",
        GROUP,
        "POST",
        STORE + "/search",
        (),
        "VectorStoreSearchRequest",
        ResultKind.SEARCH_RESULT,
        returns_list=True,  # one page of results, one row per result
        summary="Search a vector store for relevant chunks based on a query and file "
        "attributes filter.",
        list_object="vector_store.search_results.page",
        field_settings=("query",),
    ),
    Operation(
        "createVectorStoreFile",
        "Create Vector Store File",
        GROUP,
        "POST",
        FILES,
        (),
        "CreateVectorStoreFileRequest",
        ResultKind.VECTOR_STORE_FILE,
        may_create=True,
        subject="a file in vector store '{vector_store_id}'",
        summary="Create a vector store file by attaching a File to a vector store.",
        poll_operation="getVectorStoreFile",
        poll_id="file_id",
        field_settings=("file_id",),  # one file per row, e.g. Upload File's id column
    ),
    Operation(
        "listVectorStoreFiles",
        "List Vector Store Files",
        GROUP,
        "GET",
        FILES,
        (*PAGINATION, FILTER),
        None,
        ResultKind.VECTOR_STORE_FILE,
        returns_list=True,
        summary="Returns a list of vector store files.",
    ),
    Operation(
        "getVectorStoreFile",
        "Get Vector Store File",
        GROUP,
        "GET",
        FILE,
        (),
        None,
        ResultKind.VECTOR_STORE_FILE,
        summary="Retrieves a vector store file.",
    ),
    Operation(
        "updateVectorStoreFileAttributes",
        "Update Vector Store File Attributes",
        GROUP,
        "POST",
        FILE,
        (),
        "UpdateVectorStoreFileAttributesRequest",
        ResultKind.VECTOR_STORE_FILE,
        subject="file '{file_id}' in vector store '{vector_store_id}'",
        summary="Update attributes on a vector store file.",
    ),
    Operation(
        "deleteVectorStoreFile",
        "Delete Vector Store File",
        GROUP,
        "DELETE",
        FILE,
        (),
        None,
        ResultKind.DELETION,
        summary="Delete a vector store file. This removes the file from the vector store; "
        "the file itself is not deleted (use Delete File for that).",
        answer_object="vector_store.file.deleted",
    ),
    Operation(
        "retrieveVectorStoreFileContent",
        "Get Vector Store File Content",
        GROUP,
        "GET",
        FILE + "/content",
        (),
        None,
        ResultKind.VECTOR_STORE_FILE_CONTENT,
        returns_list=True,  # one row per text part of the parsed content
        summary="Retrieve the parsed contents of a vector store file.",
        list_object="vector_store.file_content.page",
    ),
    Operation(
        "createVectorStoreFileBatch",
        "Create Vector Store File Batch",
        GROUP,
        "POST",
        BATCHES,
        (),
        "CreateVectorStoreFileBatchRequest",
        ResultKind.VECTOR_STORE_FILE_BATCH,
        may_create=True,
        subject="a file batch in vector store '{vector_store_id}'",
        summary="Create a vector store file batch.",
        answer_object="vector_store.files_batch",
        poll_operation="getVectorStoreFileBatch",
        poll_id="batch_id",
        row_list=("file_ids", "file_id"),  # a column of file IDs: one batch per vector store
    ),
    Operation(
        "getVectorStoreFileBatch",
        "Get Vector Store File Batch",
        GROUP,
        "GET",
        BATCH,
        (),
        None,
        ResultKind.VECTOR_STORE_FILE_BATCH,
        summary="Retrieves a vector store file batch.",
        answer_object="vector_store.files_batch",
    ),
    Operation(
        "cancelVectorStoreFileBatch",
        "Cancel Vector Store File Batch",
        GROUP,
        "POST",
        BATCH + "/cancel",
        (),
        None,
        ResultKind.VECTOR_STORE_FILE_BATCH,
        subject="file batch '{batch_id}' in vector store '{vector_store_id}'",
        summary="Cancel a vector store file batch: processing of its files stops as soon as "
        "possible.",
        answer_object="vector_store.files_batch",
    ),
    Operation(
        "listFilesInVectorStoreBatch",
        "List Vector Store File Batch Files",
        GROUP,
        "GET",
        BATCH + "/files",
        (*PAGINATION, FILTER),
        None,
        ResultKind.VECTOR_STORE_FILE,
        returns_list=True,
        summary="Returns a list of vector store files in a batch.",
    ),
)
