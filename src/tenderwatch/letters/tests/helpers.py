"""Reading rendered letters back, and making .docx files for upload tests."""

from __future__ import annotations

import io
import zipfile

import docx
from docx.oxml.ns import qn

from tenderwatch.letters.docx_builder import OfficialDocument


def texts(content: bytes) -> list[str]:
    document = docx.Document(io.BytesIO(content))
    out = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            out.extend(cell.text for cell in row.cells)
    return out


def east_asia_fonts_of(content: bytes, needle: str) -> set[str]:
    """The w:eastAsia font of every run whose text contains `needle`."""
    document = docx.Document(io.BytesIO(content))
    fonts = set()
    for paragraph in document.paragraphs:
        for run in paragraph.runs:
            if needle in run.text:
                rfonts = run._element.rPr.find(qn("w:rFonts"))
                fonts.add(rfonts.get(qn("w:eastAsia")) if rfonts is not None else None)
    return fonts


def template_with(*paragraphs: str) -> bytes:
    """A .docx template whose body is `paragraphs`, built as the office would in Word."""
    doc = OfficialDocument()
    for text in paragraphs:
        doc.body(text)
    return doc.to_bytes()


def zip_without_word() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "not a document")
    return out.getvalue()
