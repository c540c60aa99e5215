"""Evidence files are allowed by their content, not their name."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from tenderwatch.complaints import files
from tenderwatch.complaints.files import FileRefused
from tenderwatch.complaints.testing import (
    docm_bytes,
    docx_bytes,
    exe_bytes,
    gif_bytes,
    jpeg_bytes,
    ole_bytes,
    pdf_bytes,
    png_bytes,
    upload,
    xlsx_bytes,
)


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("a.pdf", pdf_bytes(), "pdf"),
        ("scan.png", png_bytes(), "png"),
        ("photo.jpg", jpeg_bytes(), "jpeg"),
        ("x.gif", gif_bytes(), "gif"),
        ("letter.docx", docx_bytes(), "docx"),
        ("prices.xlsx", xlsx_bytes(), "xlsx"),
        ("old.doc", ole_bytes("WordDocument"), "doc"),
        ("old.xls", ole_bytes("Workbook"), "xls"),
        # The name does not matter: a PNG called .pdf is a PNG, and is stored as .png.
        ("renamed.pdf", png_bytes(), "png"),
    ],
)
def test_allowed_types_by_content(name: str, content: bytes, code: str) -> None:
    assert files.sniff(io.BytesIO(content), name).code == code


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("合同.pdf", exe_bytes(), "Windows 可执行程序"),
        ("a.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 20, "Linux 可执行程序"),
        ("a.docx", docm_bytes(), "宏"),
        ("setup.doc", ole_bytes("SummaryInformation"), "MSI"),
        ("a.pdf", b"<html><script>alert(1)</script></html>", "网页"),
        ("a.xlsx", b"#!/bin/sh\nrm -rf /\n", "脚本"),
        ("a.pdf", b"PK\x03\x04not really a zip", "ZIP"),
        ("a.pdf", b"", "空"),
    ],
)
def test_refused_with_what_it_is(name: str, content: bytes, says: str) -> None:
    with pytest.raises(FileRefused) as refused:
        files.sniff(io.BytesIO(content), name)
    message = str(refused.value)
    assert says in message
    if content:
        assert name in message and "PDF" in message  # says what is accepted


def test_stored_outside_the_web_root_under_its_hash(settings: Any) -> None:
    stored = files.store(upload("证据 1.PDF", pdf_bytes("one")))
    path = files.path_of(stored.sha256)
    assert path.read_bytes() == pdf_bytes("one")
    assert Path(settings.MEDIA_ROOT) in path.parents
    assert Path(settings.STATIC_ROOT) not in path.parents
    assert stored.name == "证据 1.pdf" and stored.size == len(pdf_bytes("one"))
    # Stored once whatever the name; no temporary file left behind.
    again = files.store(upload("copy.pdf", pdf_bytes("one")))
    assert again.sha256 == stored.sha256
    assert [p.name for p in path.parent.iterdir()] == [stored.sha256]


def test_refused_and_too_big_files_leave_nothing(settings: Any) -> None:
    settings.TW_COMPLAINTS_MAX_FILE_MB = 1
    with pytest.raises(FileRefused, match="1 MB"):
        files.store(upload("big.pdf", b"%PDF-" + b"0" * (1024 * 1024)))
    with pytest.raises(FileRefused):
        files.store(upload("tool.pdf", exe_bytes()))
    leftovers = [p for p in files.root().rglob("*") if p.is_file()]
    assert leftovers == []


def test_display_names_are_cleaned() -> None:
    assert files.clean_name("../../etc/passwd.pdf", files.PDF) == "passwd.pdf"
    assert files.clean_name("C:\\Users\\x\\报告.PDF", files.PDF) == "报告.pdf"
    assert files.clean_name("a\x00b.png", files.PNG) == "ab.png"
