"""Evidence files: allowed by what they contain, not by their name; stored outside the web root.

The type is read from the file's first bytes (a small signature table) and, for the Office
formats, from their container: a DOCX or XLSX is a ZIP whose `[Content_Types].xml` names the
main Word or Excel part (macro-enabled DOCM/XLSM are refused); a DOC or XLS is an OLE2 compound
file whose directory holds a `WordDocument` or `Workbook` stream (other OLE2 files, such as MSI
installers, are refused). Anything else — an executable renamed `.pdf`, a script, an archive, a
web page — is refused with a message saying what it was found to be.

Files are written under `MEDIA_ROOT/complaints/<first two hex digits>/<SHA-256>` (MEDIA_ROOT is
`TW_VAR_DIR/files`, which nothing serves: staff download through a view that checks rights).
The name is the content's hash, so a file is stored once however often it is filed; a file is
written before the database rows that point to it and an interrupted filing leaves at most an
unreferenced file, never a row without its file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

from tenderwatch.core.errors import DomainError

HEAD_BYTES = 16
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"
MAX_CONTENT_TYPES_BYTES = 1 << 20


@dataclass(frozen=True)
class FileType:
    code: str
    mime: str
    label: str
    extension: str


PDF = FileType("pdf", "application/pdf", "PDF", "pdf")
PNG = FileType("png", "image/png", "PNG", "png")
JPEG = FileType("jpeg", "image/jpeg", "JPEG", "jpg")
GIF = FileType("gif", "image/gif", "GIF", "gif")
DOCX = FileType(
    "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "Word",
    "docx",
)
XLSX = FileType(
    "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel", "xlsx"
)
DOC = FileType("doc", "application/msword", "Word 97–2003", "doc")
XLS = FileType("xls", "application/vnd.ms-excel", "Excel 97–2003", "xls")
ALLOWED = {t.code: t for t in (PDF, PNG, JPEG, GIF, DOCX, XLSX, DOC, XLS)}

# Simple signatures: the first bytes decide.
SIGNATURES: list[tuple[bytes, FileType]] = [
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
]

# What a refused file was found to be, for the message.
KNOWN_BAD: list[tuple[bytes, str]] = [
    (b"MZ", "Windows executable program (.exe, .dll)"),
    (b"\x7fELF", "Linux executable program"),
    (b"\xcf\xfa\xed\xfe", "macOS executable program"),
    (b"\xca\xfe\xba\xbe", "macOS or Java executable program"),
    (b"#!", "script"),
    (b"Rar!", "RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"\x1f\x8b", "gzip archive"),
    (b"%!PS", "PostScript"),
]

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MACRO_MAIN = ("ms-word.document.macroEnabled", "ms-excel.sheet.macroEnabled")


class FileRefused(DomainError):
    """A file that may not be filed; the message says which and why (in Chinese)."""


def _describe(kind: str) -> str:
    labels = {
        "Windows executable program (.exe, .dll)": _("a Windows executable program (.exe, .dll)"),
        "Linux executable program": _("a Linux executable program"),
        "macOS executable program": _("a macOS executable program"),
        "macOS or Java executable program": _("a macOS or Java executable program"),
        "script": _("a script"),
        "RAR archive": _("a RAR archive"),
        "7-Zip archive": _("a 7-Zip archive"),
        "gzip archive": _("a gzip archive"),
        "PostScript": _("a PostScript file"),
    }
    return labels.get(kind, kind)


def allowed_description() -> str:
    return _("PDF, images (JPEG, PNG, GIF), Word (DOC, DOCX) and Excel (XLS, XLSX)")


def _refuse(name: str, found: str) -> FileRefused:
    return FileRefused(
        _(
            "The file “%(name)s” was refused: its content is %(found)s, whatever its name says. "
            "Only %(allowed)s files are accepted."
        )
        % {"name": name, "found": found, "allowed": allowed_description()},
        code="file_type",
    )


def _zip_type(fh: IO[bytes]) -> FileType | str:
    fh.seek(0)
    try:
        with zipfile.ZipFile(fh) as archive:
            try:
                info = archive.getinfo("[Content_Types].xml")
            except KeyError:
                return _("a ZIP archive")
            if info.file_size > MAX_CONTENT_TYPES_BYTES:
                return _("a ZIP archive")
            with archive.open(info) as part:
                types = part.read(MAX_CONTENT_TYPES_BYTES).decode("utf-8", "replace")
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError):
        return _("a damaged or unreadable ZIP file")
    if any(m in types for m in MACRO_MAIN):
        return _("an Office document with macros (DOCM, XLSM)")
    if WORD_MAIN in types and "word/document.xml" in names:
        return DOCX
    if EXCEL_MAIN in types and "xl/workbook.xml" in names:
        return XLSX
    return _("an Office or ZIP file of another kind")


def _ole_type(fh: IO[bytes]) -> FileType | str:
    """Word or Excel 97–2003 by the stream names in the compound file's directory."""
    fh.seek(0)
    data = fh.read()
    if "WordDocument".encode("utf-16-le") in data:
        return DOC
    if "Workbook".encode("utf-16-le") in data or "Book\x00".encode("utf-16-le") in data:
        return XLS
    return _("an OLE2 file that is neither Word nor Excel (for instance an MSI installer)")


def sniff(fh: IO[bytes], name: str = "") -> FileType:
    """The type of the content of `fh`, or FileRefused."""
    fh.seek(0)
    head = fh.read(HEAD_BYTES)
    if not head:
        raise FileRefused(_("The file “%(name)s” is empty.") % {"name": name}, code="file_empty")
    for signature, file_type in SIGNATURES:
        if head.startswith(signature):
            return file_type
    found: FileType | str
    if head.startswith(ZIP):
        found = _zip_type(fh)
    elif head.startswith(OLE2):
        found = _ole_type(fh)
    else:
        found = next((_describe(k) for sig, k in KNOWN_BAD if head.startswith(sig)), "")
        if not found:
            text = head.lstrip().lower()
            if text.startswith((b"<", b"\xef\xbb\xbf<")):
                found = _("a web page or SVG image (it may contain scripts)")
            else:
                found = _("of an unknown kind")
    if isinstance(found, FileType):
        return found
    raise _refuse(name, found)


# -- storing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredFile:
    name: str
    file_type: FileType
    size: int
    sha256: str


def max_file_bytes() -> int:
    return int(getattr(settings, "TW_COMPLAINTS_MAX_FILE_MB", 20)) * 1024 * 1024


def max_files() -> int:
    return int(getattr(settings, "TW_COMPLAINTS_MAX_FILES", 10))


def root() -> Path:
    return Path(settings.MEDIA_ROOT) / "complaints"


def path_of(sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError("not a SHA-256 hex digest")
    return root() / sha256[:2] / sha256


def clean_name(name: str, file_type: FileType) -> str:
    """A display name: no directories or control characters, the extension of the content."""
    base = unicodedata.normalize("NFKC", (name or "").replace("\\", "/")).rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem[:150] or _("file")
    return f"{stem}.{file_type.extension}"


def _chunks(upload: Any) -> Iterable[bytes]:
    if hasattr(upload, "chunks"):
        yield from upload.chunks()
    else:
        upload.seek(0)
        while True:
            block = upload.read(1 << 16)
            if not block:
                return
            yield block


def store(upload: Any, *, name: str | None = None) -> StoredFile:
    """Check and store one uploaded file (a Django UploadedFile or a binary file object)."""
    display = name if name is not None else str(getattr(upload, "name", "") or "")
    limit = max_file_bytes()
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _too_big(display, limit)
    digest = hashlib.sha256()
    directory = root()
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=".upload-")
    tmp = Path(tmp_name)
    try:
        total = 0
        with os.fdopen(fd, "w+b") as out:
            for block in _chunks(upload):
                total += len(block)
                if total > limit:
                    raise _too_big(display, limit)
                digest.update(block)
                out.write(block)
            out.flush()
            file_type = sniff(out, display)
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        target = path_of(sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            tmp.unlink()
        else:
            tmp.replace(target)
        return StoredFile(clean_name(display, file_type), file_type, total, sha)
    finally:
        if tmp.exists():
            tmp.unlink()


def _too_big(name: str, limit: int) -> FileRefused:
    return FileRefused(
        _("The file “%(name)s” is larger than %(mb)s MB; split it or send a smaller scan.")
        % {"name": name, "mb": limit // (1024 * 1024)},
        code="file_too_big",
    )


def open_stored(sha256: str) -> IO[bytes]:
    return path_of(sha256).open("rb")
