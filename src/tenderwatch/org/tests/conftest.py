"""Fixtures for org: the Huangzhou configuration loaded, roster spreadsheets built in memory."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import Workbook

from tenderwatch.org import roster
from tenderwatch.org.testing import load_district


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """Personas get passwords; hashing them for real would dominate these tests' time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def district(personas: Any) -> Any:
    """The personas, then `tenderwatch setup --district huangzhou` run by the administrator."""
    return load_district(actor=personas.admin)


def xlsx(rows: list[list[Any]], headers: list[str] | None = None) -> bytes:
    """A roster spreadsheet with the template's headers (or `headers`) and `rows`."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = roster.SHEET
    sheet.append(headers or roster.HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# Invented officers (not real people or certificate numbers).
GOOD_ROWS: list[list[Any]] = [
    [
        "陈静",
        "区住房和城乡建设局",
        "42110220230001",
        "黄冈市人民政府",
        dt.date(2023, 3, 1),
        dt.date(2028, 2, 28),
        "房建市政、电子招投标",
        "在岗",
        "0713-8600001",
    ],
    [
        "周涛",
        "交通运输",
        "42110220230002",
        "黄冈市人民政府",
        "2023-03-01",
        "2028-02-28",
        "交通",
        "在岗",
        "13900000002",
    ],
    [
        "吴洁",
        "water",
        "42110220230003",
        "黄冈市人民政府",
        "2023/03/01",
        "2024年12月31日",
        "水利、政府采购",
        "休假",
        "",
    ],
]
