"""The officer roster as a spreadsheet (执法人员名录库, XLSX): template, reading, export.

The file format is the office's own and fixed: a sheet "执法人员" with the Chinese column headers
of `HEADERS` in row 1 and one officer per row. Department, status and specialties are written as
the office reads them (names and Chinese labels); codes are accepted too. Reading checks every
row and reports each problem by row, column and reason; it writes nothing (see
`services.officers_import_xlsx`, which applies a file only when it has no problem at all).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from tenderwatch.org.models import Department, Officer, OfficerStatus, Specialty

SHEET = "执法人员"
HELP_SHEET = "填写说明"
# (header, field, required)
COLUMNS: list[tuple[str, str, bool]] = [
    ("姓名", "name", True),
    ("所属部门", "department", True),
    ("执法证号", "certificate_number", True),
    ("发证机关", "issuing_body", True),
    ("有效期起", "valid_from", True),
    ("有效期止", "valid_to", True),
    ("专业领域", "specialties", False),
    ("状态", "status", False),
    ("联系电话", "phone", False),
]
HEADERS = [c[0] for c in COLUMNS]
IGNORED_HEADERS = {"序号", "No.", "#"}  # a serial-number column many offices add
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000

# A certificate number: letters, digits and hyphens (e.g. 鄂执法证 numbers are 14–18 digits).
CERTIFICATE = re.compile(r"^[0-9A-Z][0-9A-Z-]{4,38}[0-9A-Z]$")
PHONE = re.compile(r"^[0-9+][0-9 ()+-]{4,28}[0-9]$")
SPLIT = re.compile(r"[、,，;；/\s]+")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
STATUS_SYNONYMS = {"可调派": OfficerStatus.AVAILABLE, "请假": OfficerStatus.ON_LEAVE}


@dataclass(frozen=True)
class RowError:
    """One problem of a file: its row (None for the file itself), column header and reason."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        if not self.column:
            return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}
        return _("Row %(row)s, column “%(column)s”: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class RosterRow:
    row: int
    name: str
    department: Department
    certificate_number: str
    issuing_body: str
    valid_from: dt.date
    valid_to: dt.date
    specialties: list[str]
    status: str
    phone: str


@dataclass
class ParsedRoster:
    sha256: str
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    data_rows: int = 0


def _labels_in(language: str, choices: Iterable[tuple[Any, Any]]) -> dict[str, str]:
    with translation.override(language):
        return {str(label): str(value) for value, label in choices}


def zh_label(choices: Any, value: str) -> str:
    with translation.override("zh-hans"):
        return str(dict(choices.choices).get(value, value))


def _lookup(choices: Any, extra: dict[str, Any] | None = None) -> dict[str, str]:
    out = {str(v): str(v) for v in choices.values}
    out.update(_labels_in("en", choices.choices))
    out.update({k.lower(): v for k, v in _labels_in("en", choices.choices).items()})
    out.update(_labels_in("zh-hans", choices.choices))
    out.update({k: str(v) for k, v in (extra or {}).items()})
    return out


def normal_certificate(value: str) -> str:
    return re.sub(r"\s+", "", value).upper()


# -- reading -----------------------------------------------------------------------------------


def _text(value: Any) -> tuple[str, str | None]:
    """The cell as text, or an error (numbers that Excel would have rounded)."""
    if value is None:
        return "", None
    if isinstance(value, bool):
        return str(value), None
    if isinstance(value, int):
        return str(value), None
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value)), None
        return "", _("Excel stored this as a number; format the column as text and type it again.")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10], None
    return str(value).strip(), None


def _date(value: Any) -> tuple[dt.date | None, str | None]:
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    text = str(value).strip() if value is not None else ""
    if not text:
        return None, _("This date is required.")
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date(), None  # noqa: DTZ007 — a calendar date
        except ValueError:
            continue
    return None, _("“%(value)s” is not a date; write it as 2025-01-31.") % {"value": text}


def _open_sheet(content: bytes) -> Any:
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    if SHEET in workbook.sheetnames:
        return workbook[SHEET]
    return workbook.worksheets[0]


def parse(content: bytes) -> ParsedRoster:
    """Check a roster file row by row. Problems are collected, never raised."""
    result = ParsedRoster(sha256=hashlib.sha256(content).hexdigest())
    if len(content) > MAX_BYTES:
        result.errors.append(
            RowError(None, "", _("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES >> 20})
        )
        return result
    try:
        sheet = _open_sheet(content)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError):
        result.errors.append(
            RowError(None, "", _("This is not an Excel workbook (.xlsx); use the template."))
        )
        return result

    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    by_header = {h: (f, req) for h, f, req in COLUMNS}
    english = {f: f for _h, f, _r in COLUMNS}
    positions: dict[str, int] = {}
    header_errors = []
    for index, raw in enumerate(header or ()):
        title = _text(raw)[0]
        if not title or title in IGNORED_HEADERS:
            continue
        name = by_header.get(title, (english.get(title.lower()), False))[0]
        letter = get_column_letter(index + 1)
        if name is None:
            header_errors.append(
                RowError(
                    1,
                    title,
                    _("unknown column (%(letter)s); the columns are: %(headers)s.")
                    % {"letter": letter, "headers": "、".join(HEADERS)},
                )
            )
        elif name in positions:
            header_errors.append(RowError(1, title, _("this column appears twice.")))
        else:
            positions[name] = index
    for title, name, required in COLUMNS:
        if required and name not in positions:
            header_errors.append(RowError(1, title, _("this column is missing.")))
    if header_errors:
        result.errors.extend(header_errors)
        return result

    departments = _department_lookup()
    statuses = _lookup(OfficerStatus, STATUS_SYNONYMS)
    specialties = _lookup(Specialty)
    first_row_of: dict[str, int] = {}
    for number, values in enumerate(rows, start=2):
        cells = {name: values[i] if i < len(values) else None for name, i in positions.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells.values()):
            continue
        result.data_rows += 1
        if result.data_rows > MAX_ROWS:
            result.errors.append(
                RowError(number, "", _("More than %(n)s officers in one file.") % {"n": MAX_ROWS})
            )
            break
        row = _check_row(number, cells, departments, statuses, specialties, first_row_of, result)
        if row is not None:
            result.rows.append(row)
    if result.data_rows == 0 and not result.errors:
        result.errors.append(RowError(None, "", _("The file lists no officer.")))
    return result


def _department_lookup() -> dict[str, Department | None]:
    """Departments by full name, code and short name; None marks an ambiguous short name."""
    out: dict[str, Department | None] = {}
    by_short: dict[str, list[Department]] = {}
    for dept in Department.objects.all():
        out[dept.name] = dept
        out[dept.code] = dept
        by_short.setdefault(dept.short_name, []).append(dept)
    for short, depts in by_short.items():
        if short not in out:  # a full name or a code wins over a short name
            out[short] = depts[0] if len(depts) == 1 else None
    return out


def _check_row(
    number: int,
    cells: dict[str, Any],
    departments: dict[str, Department | None],
    statuses: dict[str, str],
    specialties: dict[str, str],
    first_row_of: dict[str, int],
    result: ParsedRoster,
) -> RosterRow | None:
    headers = {f: h for h, f, _r in COLUMNS}
    errors: list[RowError] = []

    def fail(name: str, message: str) -> None:
        errors.append(RowError(number, headers[name], message))

    def text(name: str, *, required: bool, max_length: int) -> str:
        value, problem = _text(cells.get(name))
        if problem:
            fail(name, problem)
            return ""
        if required and not value:
            fail(name, _("This cell is required."))
        elif len(value) > max_length:
            fail(name, _("Longer than %(n)s characters.") % {"n": max_length})
        return value

    name = text("name", required=True, max_length=60)

    department: Department | None = None
    dept_text = text("department", required=True, max_length=100)
    if dept_text:
        if dept_text not in departments:
            fail(
                "department",
                _(
                    "Unknown department “%(value)s”; use a department's full name as listed in "
                    "the system."
                )
                % {"value": dept_text},
            )
        elif departments[dept_text] is None:
            fail(
                "department",
                _("“%(value)s” names more than one department; use the full name.")
                % {"value": dept_text},
            )
        else:
            department = departments[dept_text]
            if department is not None and not department.active:
                fail(
                    "department",
                    _("The department “%(value)s” is no longer active.") % {"value": dept_text},
                )

    certificate = normal_certificate(text("certificate_number", required=True, max_length=40))
    if certificate:
        if not CERTIFICATE.match(certificate):
            fail(
                "certificate_number",
                _(
                    "“%(value)s” is not a certificate number (letters, digits and hyphens, "
                    "6 to 40 characters)."
                )
                % {"value": certificate},
            )
        elif certificate in first_row_of:
            fail(
                "certificate_number",
                _("The certificate number %(value)s is already used in row %(row)s.")
                % {"value": certificate, "row": first_row_of[certificate]},
            )
        else:
            first_row_of[certificate] = number

    issuing_body = text("issuing_body", required=True, max_length=100)

    dates: dict[str, dt.date | None] = {}
    for key in ("valid_from", "valid_to"):
        value, problem = _date(cells.get(key))
        if problem:
            fail(key, problem)
        dates[key] = value
    if dates["valid_from"] and dates["valid_to"] and dates["valid_to"] < dates["valid_from"]:
        fail("valid_to", _("The certificate cannot expire before it is valid."))

    chosen: list[str] = []
    raw_specialties, problem = _text(cells.get("specialties"))
    for item in (s for s in SPLIT.split(raw_specialties) if s):
        code = specialties.get(item) or specialties.get(item.lower())
        if code is None:
            fail(
                "specialties",
                _("Unknown specialty “%(value)s”; use: %(choices)s.")
                % {
                    "value": item,
                    "choices": "、".join(zh_label(Specialty, v) for v in Specialty.values),
                },
            )
        elif code not in chosen:
            chosen.append(code)

    status_text = text("status", required=False, max_length=20)
    status = str(OfficerStatus.AVAILABLE)
    if status_text:
        found = statuses.get(status_text) or statuses.get(status_text.lower())
        if found is None:
            fail(
                "status",
                _("Unknown status “%(value)s”; use: %(choices)s.")
                % {
                    "value": status_text,
                    "choices": "、".join(zh_label(OfficerStatus, v) for v in OfficerStatus.values),
                },
            )
        else:
            status = found

    phone = text("phone", required=False, max_length=30)
    if phone and not PHONE.match(phone):
        fail("phone", _("“%(value)s” is not a telephone number.") % {"value": phone})

    if errors:
        result.errors.extend(errors)
        return None
    assert department is not None and dates["valid_from"] and dates["valid_to"]
    return RosterRow(
        row=number,
        name=name,
        department=department,
        certificate_number=certificate,
        issuing_body=issuing_body,
        valid_from=dates["valid_from"],
        valid_to=dates["valid_to"],
        specialties=chosen,
        status=status,
        phone=phone,
    )


# -- writing -----------------------------------------------------------------------------------

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
WIDTHS = [10, 30, 22, 28, 12, 12, 24, 10, 16]


def _sheet(workbook: Workbook) -> Worksheet:
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = SHEET
    sheet.append(HEADERS)
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
        cell = sheet.cell(row=1, column=index)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
    sheet.freeze_panes = "A2"
    # Certificate numbers and phones are text: Excel must not turn them into rounded numbers.
    for letter in ("C", "I"):
        sheet.column_dimensions[letter].number_format = "@"
    status = DataValidation(
        type="list",
        formula1='"' + ",".join(zh_label(OfficerStatus, v) for v in OfficerStatus.values) + '"',
        allow_blank=True,
    )
    status.add(f"H2:H{MAX_ROWS + 1}")
    sheet.add_data_validation(status)
    return sheet


def _help_sheet(workbook: Workbook) -> None:
    sheet = workbook.create_sheet(HELP_SHEET)
    sheet.column_dimensions["A"].width = 40
    sheet.column_dimensions["B"].width = 60
    lines = [
        ("填写说明", ""),
        ("每行一名执法人员；第1行为表头，请勿修改。", ""),
        ("必填：姓名、所属部门、执法证号、发证机关、有效期起、有效期止。", ""),
        ("日期格式：2025-01-31。执法证号、联系电话请按文本填写。", ""),
        ("专业领域可填多个，用顿号“、”分隔。状态留空视为“在岗”。", ""),
        ("按执法证号匹配：已有的人员更新，没有的新增；任一行有误则整个文件不导入。", ""),
        ("", ""),
        ("所属部门（填全称）", "简称"),
    ]
    lines += [(d.name, d.short_name) for d in Department.objects.filter(active=True)]
    lines += [("", ""), ("专业领域", "")]
    lines += [(zh_label(Specialty, v), "") for v in Specialty.values]
    lines += [("", ""), ("状态", "")]
    lines += [(zh_label(OfficerStatus, v), "") for v in OfficerStatus.values]
    for left, right in lines:
        sheet.append([left, right])
    sheet["A1"].font = HEADER_FONT


def _save(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template() -> bytes:
    """An empty roster with the headers, a status list and instructions."""
    workbook = Workbook()
    _sheet(workbook)
    _help_sheet(workbook)
    return _save(workbook)


def export(officers: Iterable[Officer]) -> tuple[bytes, int]:
    """The roster as a file the import reads back unchanged; and how many officers it holds."""
    workbook = Workbook()
    sheet = _sheet(workbook)
    count = 0
    for officer in officers:
        count += 1
        sheet.append(
            [
                officer.name,
                officer.department.name,
                officer.certificate_number,
                officer.issuing_body,
                officer.valid_from,
                officer.valid_to,
                "、".join(zh_label(Specialty, s) for s in officer.specialties or []),
                zh_label(OfficerStatus, officer.status),
                officer.phone,
            ]
        )
        row = sheet.max_row
        for column in ("E", "F"):
            sheet[f"{column}{row}"].number_format = "yyyy-mm-dd"
        for column in ("C", "I"):
            sheet[f"{column}{row}"].number_format = "@"
    _help_sheet(workbook)
    return _save(workbook), count
