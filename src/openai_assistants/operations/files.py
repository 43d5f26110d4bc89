"""Files: ``/files[/{file_id}[/content]]``, the documents a vector store is made of.

The SDK (``client.files``) sends no ``OpenAI-Beta`` header for these, so neither do we.
Upload File is a multipart request: its body's ``file`` is the local path whose bytes are
streamed as the ``file`` part, the other fields (``purpose``, ``expires_after``) are form
fields, as ``client.files.create`` writes them.
"""

from __future__ import annotations

from .model import PAGINATION, Operation, QueryKind, QueryParameter, ResultKind

GROUP = "Files"
FILE = "/files/{file_id}"
FILE_LIMIT_MAX = 10_000  # the reference: 1 to 10,000, default 10,000

LIST_FILES_QUERY = (
    QueryParameter(
        "purpose",
        "purpose",
        QueryKind.STRING,
        description="Only return files with the given purpose (e.g. `assistants`).",
    ),
    QueryParameter(
        "limit",
        "limit",
        QueryKind.INTEGER,
        default=FILE_LIMIT_MAX,
        minimum=1,
        maximum=FILE_LIMIT_MAX,
        description="How many files one request returns, 1 to 10,000 (the API's default: 10,000).",
    ),
    next(q for q in PAGINATION if q.setting == "order"),
    next(q for q in PAGINATION if q.setting == "after"),
)

OPERATIONS = (
    Operation(
        "createFile",
        "Upload File",
        GROUP,
        "POST",
        "/files",
        (),
        "CreateFileRequest",
        ResultKind.FILE,
        may_create=True,
        subject="a file",
        summary="Upload a file that can be used across various endpoints.",
        beta_header=False,
        answer_object="file",
        upload_field="file",
        field_settings=("file", "purpose"),
    ),
    Operation(
        "listFiles",
        "List Files",
        GROUP,
        "GET",
        "/files",
        LIST_FILES_QUERY,
        None,
        ResultKind.FILE,
        returns_list=True,
        summary="Returns a list of files.",
        beta_header=False,
    ),
    Operation(
        "retrieveFile",
        "Get File",
        GROUP,
        "GET",
        FILE,
        (),
        None,
        ResultKind.FILE,
        summary="Returns information about a specific file.",
        beta_header=False,
        answer_object="file",
    ),
    Operation(
        "deleteFile",
        "Delete File",
        GROUP,
        "DELETE",
        FILE,
        (),
        None,
        ResultKind.DELETION,
        summary="Delete a file and remove it from all vector stores.",
        beta_header=False,
        answer_object="file",  # the reference's DeleteFileResponse: object "file"
    ),
    Operation(
        "downloadFile",
        "Get File Content",
        GROUP,
        "GET",
        FILE + "/content",
        (),
        None,
        ResultKind.FILE_CONTENT,
        summary="Returns the contents of the specified file.",
        beta_header=False,
        raw_answer=True,
        accept="application/binary",
    ),
)
