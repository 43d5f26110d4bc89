"""Text out of an uploaded file: bytes and a file name (and the declared type) in, text out.

What the API's ``file_search`` reads: plain text and markup (``.txt .md .json .csv .html``
…), source code, PDF (with pypdf: pure Python, no further dependencies, and it tells an
encrypted document from a broken one) and Word/PowerPoint (``.docx``/``.pptx``: a zip of XML
that the standard library reads). The kind is decided by the file name's extension, as the API
does, with the declared type as a fallback for names without a known one.

A file that cannot be read is a :class:`~.errors.RetrievalError` with the API's code:
``unsupported_file`` for a kind that is not read, ``invalid_file`` for an empty, corrupt,
encrypted or textless file, binary bytes under a text name and the like. Nothing here raises
anything else for bad input.
"""

from __future__ import annotations

import io
import zipfile
from html.parser import HTMLParser
from pathlib import PurePath
from xml.etree import ElementTree

from .errors import INVALID_FILE, UNSUPPORTED_FILE, RetrievalError

SOURCE_EXTENSIONS = frozenset(
    [
        ".c",
        ".cc",
        ".cpp",
        ".cxx",
        ".h",
        ".hpp",
        ".cs",
        ".css",
        ".go",
        ".java",
        ".js",
        ".jsx",
        ".mjs",
        ".ts",
        ".tsx",
        ".kt",
        ".kts",
        ".php",
        ".py",
        ".pyi",
        ".rb",
        ".rs",
        ".scala",
        ".sh",
        ".bash",
        ".ps1",
        ".sql",
        ".swift",
        ".r",
        ".m",
        ".pl",
        ".lua",
        ".dart",
        ".vue",
        ".svelte",
        ".tex",
        ".xml",
        ".yaml",
        ".yml",
        ".toml",
        ".ini",
        ".cfg",
        ".conf",
        ".properties",
        ".bat",
        ".gradle",
        ".groovy",
        ".ipynb",
        ".jl",
        ".hs",
        ".ex",
        ".exs",
        ".erl",
        ".clj",
        ".fs",
        ".vb",
    ]
)
TEXT_EXTENSIONS = frozenset(
    [".txt", ".text", ".md", ".markdown", ".rst", ".json", ".jsonl", ".csv", ".tsv", ".log"]
)
HTML_EXTENSIONS = frozenset((".html", ".htm", ".xhtml"))
SUPPORTED = "text, Markdown, JSON, CSV, HTML, PDF, DOCX, PPTX and source-code files"
MAX_XML_BYTES = 256 * 1024 * 1024  # the unpacked XML of one Office document part
WORD_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DRAWING_NS = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


def supported_extensions() -> frozenset[str]:
    """Every file-name extension this module reads."""
    return SOURCE_EXTENSIONS | TEXT_EXTENSIONS | HTML_EXTENSIONS | {".pdf", ".docx", ".pptx"}


def extract_text(data: bytes, filename: str, content_type: str | None = None) -> str:
    """The text of a file, or a :class:`RetrievalError` saying why there is none."""
    if not data:
        raise RetrievalError(INVALID_FILE, f"The file {filename!r} is empty.")
    kind = _kind(filename, content_type)
    if kind == "pdf":
        text = _pdf_text(data, filename)
    elif kind == "docx":
        text = _docx_text(data, filename)
    elif kind == "pptx":
        text = _pptx_text(data, filename)
    elif kind == "html":
        text = html_text(decode_text(data, filename))
    else:
        text = decode_text(data, filename)
    if not text.strip():
        raise RetrievalError(INVALID_FILE, f"The file {filename!r} contains no text to search.")
    return text


def _kind(filename: str, content_type: str | None) -> str:
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".pdf":
        return "pdf"
    if suffix in (".docx", ".pptx"):
        return suffix[1:]
    if suffix in HTML_EXTENSIONS:
        return "html"
    if suffix in TEXT_EXTENSIONS or suffix in SOURCE_EXTENSIONS:
        return "text"
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared == "application/pdf":
        return "pdf"
    if declared == "text/html":
        return "html"
    if declared.startswith("text/") or declared in ("application/json", "application/xml"):
        return "text"
    what = f"extension {suffix!r}" if suffix else "no extension"
    raise RetrievalError(
        UNSUPPORTED_FILE,
        f"The file {filename!r} has {what}, which is not a supported file type for retrieval; "
        f"supported are {SUPPORTED}.",
    )


def decode_text(data: bytes, filename: str) -> str:
    """Bytes of a text file as text: UTF-8 (with or without BOM), UTF-16 with BOM, else Latin-1.

    Bytes with NUL characters or mostly control characters are not text: an image renamed to
    ``.txt`` is refused rather than indexed as noise.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise RetrievalError(
                INVALID_FILE, f"The file {filename!r} is not valid UTF-16 text."
            ) from None
    head = data[:8192]
    if b"\x00" in head:
        raise RetrievalError(INVALID_FILE, f"The file {filename!r} is binary, not text.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13))
    if controls > len(head) // 20:
        raise RetrievalError(INVALID_FILE, f"The file {filename!r} is binary, not text.")
    return data.decode("latin-1")


class _HtmlText(HTMLParser):
    """The visible text of an HTML page: no scripts or styles, blocks on lines of their own."""

    BLOCKS = frozenset(
        [
            "p",
            "div",
            "br",
            "li",
            "ul",
            "ol",
            "tr",
            "table",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "section",
            "article",
            "header",
            "footer",
            "pre",
            "blockquote",
            "dt",
            "dd",
            "title",
        ]
    )
    HIDDEN = frozenset(("script", "style", "noscript", "template"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_text(markup: str) -> str:
    """The visible text of an HTML document, one block a line."""
    parser = _HtmlText()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _pdf_text(data: bytes, filename: str) -> str:
    from pypdf import PdfReader  # imported on first use: the server starts without it
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _opened_without_password(reader):
            raise RetrievalError(
                INVALID_FILE,
                f"The PDF {filename!r} is encrypted; upload it without a password.",
            )
        pages = [page.extract_text() or "" for page in reader.pages]
    except RetrievalError:
        raise
    except FileNotDecryptedError:
        raise RetrievalError(
            INVALID_FILE, f"The PDF {filename!r} is encrypted; upload it without a password."
        ) from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise RetrievalError(
            INVALID_FILE, f"The file {filename!r} is not a readable PDF ({exc})."
        ) from None
    except Exception as exc:  # pypdf on hostile input can fail in many more ways
        raise RetrievalError(
            INVALID_FILE, f"The file {filename!r} is not a readable PDF ({type(exc).__name__})."
        ) from None
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    if not text:
        raise RetrievalError(
            INVALID_FILE,
            f"The PDF {filename!r} has no text layer (a scan?); only PDFs with text are read.",
        )
    return text


def _opened_without_password(reader: object) -> bool:
    """Whether an encrypted PDF opens with the empty user password (many "protected" ones do)."""
    try:
        return bool(reader.decrypt(""))  # type: ignore[attr-defined]
    except Exception:  # e.g. AES without the optional cryptography package
        return False


def _office_parts(data: bytes, filename: str, names: list[str] | None, prefix: str) -> list[bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise RetrievalError(
            INVALID_FILE, f"The file {filename!r} is not a valid Office document (not a zip)."
        ) from None
    with archive:
        infos = {info.filename: info for info in archive.infolist()}
        wanted = names if names is not None else _slides(infos, prefix)
        parts = []
        for name in wanted:
            info = infos.get(name)
            if info is None:
                raise RetrievalError(
                    INVALID_FILE, f"The file {filename!r} is not a valid Office document ({name})."
                )
            if info.file_size > MAX_XML_BYTES:
                raise RetrievalError(INVALID_FILE, f"The document {filename!r} is too large.")
            try:
                parts.append(archive.read(info))
            except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
                raise RetrievalError(
                    INVALID_FILE, f"The file {filename!r} is a damaged Office document ({exc})."
                ) from None
        return parts


def _slides(infos: dict[str, zipfile.ZipInfo], prefix: str) -> list[str]:
    def number(name: str) -> int:
        digits = name[len(prefix) : -len(".xml")]
        return int(digits) if digits.isdigit() else 0

    return sorted(
        (n for n in infos if n.startswith(prefix) and n.endswith(".xml") and "/_rels" not in n),
        key=number,
    )


def _xml(part: bytes, filename: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(part)
    except ElementTree.ParseError as exc:
        raise RetrievalError(
            INVALID_FILE, f"The file {filename!r} is a damaged Office document ({exc})."
        ) from None


def _docx_text(data: bytes, filename: str) -> str:
    (part,) = _office_parts(data, filename, ["word/document.xml"], "")
    paragraphs = []
    for paragraph in _xml(part, filename).iter(f"{WORD_NS}p"):
        pieces = []
        for node in paragraph.iter():
            if node.tag == f"{WORD_NS}t":
                pieces.append(node.text or "")
            elif node.tag == f"{WORD_NS}tab":
                pieces.append("\t")
            elif node.tag in (f"{WORD_NS}br", f"{WORD_NS}cr"):
                pieces.append("\n")
        paragraphs.append("".join(pieces))
    return "\n".join(paragraphs)


def _pptx_text(data: bytes, filename: str) -> str:
    slides = []
    for part in _office_parts(data, filename, None, "ppt/slides/slide"):
        root = _xml(part, filename)
        lines = []
        for paragraph in root.iter(f"{DRAWING_NS}p"):
            line = "".join(node.text or "" for node in paragraph.iter(f"{DRAWING_NS}t"))
            if line.strip():
                lines.append(line)
        slides.append("\n".join(lines))
    return "\n\n".join(slides)
