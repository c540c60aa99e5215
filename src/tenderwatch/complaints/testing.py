"""Builders for tests and the demo: filings as a filer would make them, and small files of each
allowed type (made here, byte for byte, so no binary test data sits in the repository)."""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
from typing import Any

from tenderwatch.complaints.identity import Identity
from tenderwatch.complaints.models import Channel, FilerKind, FilerRole, Kind, Purpose, Subject
from tenderwatch.complaints.services import Filing

PERSON = Identity(
    name="陈志远",
    id_number="421102198805120318",
    phone="13871234567",
    email="chenzy@example.cn",
    address="湖北省黄冈市黄州区东门路18号",
)
COMPANY = Identity(
    name="湖北鸿达建设工程有限公司",
    id_number="91421100MA4910XK3C",
    contact_person="李红梅",
    phone="0713-8661234",
    email="hongda@example.cn",
    address="湖北省黄冈市黄州区赤壁大道66号",
)


def pdf_bytes(text: str = "evidence") -> bytes:
    body = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n"
        b"3 0 obj<</Length " + str(len(body)).encode() + b">>stream\n" + body + b"\nendstream"
        b"\nendobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def png_bytes() -> bytes:
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def gif_bytes() -> bytes:
    return b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"


def _office_zip(main_type: str, part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/' + part + '" ContentType="' + main_type + '"/>'
            "</Types>",
        )
        archive.writestr(part, "<document/>")
    return buffer.getvalue()


def docx_bytes() -> bytes:
    return _office_zip(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "word/document.xml",
    )


def docm_bytes() -> bytes:
    return _office_zip(
        "application/vnd.ms-word.document.macroEnabled.main+xml", "word/document.xml"
    )


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["报价", 100])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def ole_bytes(stream_name: str) -> bytes:
    """An OLE2 compound file header followed by a directory entry naming `stream_name`."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    entry = stream_name.encode("utf-16-le") + b"\x00\x00"
    return header + entry.ljust(128, b"\x00") + b"\x00" * 384


def exe_bytes() -> bytes:
    return (
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
    )


def upload(name: str, content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def complaint_filing(
    *,
    project: Any = None,
    identity: Identity = COMPANY,
    filer_kind: str = FilerKind.ENTITY,
    subject: str = Subject.EVALUATION_RESULT,
    knew_on: dt.date | None = None,
    objection_on: dt.date | None = None,
    objection_reply_on: dt.date | None = None,
    files: list[tuple[str, Any]] | None = None,
    **extra: Any,
) -> Filing:
    """A complete complaint of a losing bidder against the evaluation result."""
    values: dict[str, Any] = {
        "kind": Kind.COMPLAINT,
        "subject": subject,
        "filer_kind": filer_kind,
        "filer_role": FilerRole.BIDDER,
        "identity": identity,
        "respondent_name": "黄冈市黄州区城市建设投资有限公司",
        "respondent_address": "湖北省黄冈市黄州区西湖二路8号",
        "respondent_contact": "0713-8350000",
        "project": project,
        "project_text": "" if project is not None else "黄州区东湖片区老旧小区改造工程",
        "industry": "" if project is not None else "housing_municipal",
        "knew_on": knew_on,
        "objection_on": objection_on,
        "objection_reply_on": objection_reply_on,
        "facts": (
            "第一中标候选人拟派项目经理同时在其他在建项目担任项目经理，评标委员会未按招标文件"
            "第三章评审，我公司已于公示期内提出异议，招标人答复不予采纳。"
        ),
        "grounds": "招标投标法实施条例 第五十四条、第六十条",
        "requests": "请求责令招标人重新评标，并依法查处。",
        "declaration": True,
        "files": files
        if files is not None
        else [
            (Purpose.EVIDENCE, upload("evidence.pdf", pdf_bytes())),
            (Purpose.OBJECTION, upload("objection.pdf", pdf_bytes("objection"))),
            (Purpose.SIGNED_LETTER, upload("complaint-signed.pdf", pdf_bytes("signed"))),
        ],
    }
    values.update(extra)
    return Filing(**values)


def tip_off_filing(*, anonymous: bool = False, **extra: Any) -> Filing:
    values: dict[str, Any] = {
        "kind": Kind.TIP_OFF,
        "subject": Subject.COLLUSION,
        "filer_kind": FilerKind.ANONYMOUS if anonymous else FilerKind.PERSON,
        "identity": Identity() if anonymous else PERSON,
        "respondent_name": "黄冈市楚天路桥工程有限公司",
        "project_text": "黄州区农村公路安全生命防护工程",
        "industry": "transport",
        "facts": ("多家投标人的投标文件由同一台电脑编制，投标保证金从同一账户转出，疑似围标串标。"),
        "files": [],
        "channel": Channel.ONLINE,
    }
    values.update(extra)
    return Filing(**values)
