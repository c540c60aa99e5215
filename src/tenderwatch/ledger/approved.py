"""应进必进: the development-and-reform department's list of approved projects. REQ-09.

The office receives, as an Excel file, the projects the 发展和改革 department examined and
approved (审批), ratified (核准) or filed (备案), with the tendering scope, method and form the
approval fixed. Each row is assessed against 必须招标的工程项目规定 (国家发改委令第16号,
`thresholds.assess_must_tender`) and matched to the projects that entered the trading
platform; an approved must-tender project without a match has not entered (应进未进). The
warning rule on it comes with the rule engine; this module keeps the list and the match.

Import (DESIGN.md, "Imports": office spreadsheets are all-or-nothing per file): every row is
checked first; one bad row and nothing is written, and the report names each bad row and
column in Chinese. A good file is upserted by approval number in one transaction with one audit
entry (file SHA-256 and counts).

Matching, in order (`match_project`):
1. the approval number: a ledger project carrying the same 审批/核准/备案文号 (bracket variants
   〔〕 [] 【】 () are the same number);
2. the owner's unified social credit code: among the projects whose tenderer has that code, the
   one whose normalised name is most similar, if the similarity reaches
   `NAME_SIMILARITY_THRESHOLD`;
3. without a code, the same with the tenderer's exact name.
Name similarity is `difflib.SequenceMatcher.ratio()` on names normalised by NFKC, with
whitespace, punctuation and the generic words in `GENERIC_WORDS` removed. 0.8 accepts
"黄州区赤壁路改造工程" for "黄州区赤壁路改造工程施工" and rejects a different road of the same
owner; it is a lead for the office, and the page shows how each match was made.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenderwatch.audit import services as audit
from tenderwatch.core import timeutil
from tenderwatch.ledger import thresholds
from tenderwatch.ledger.identifiers import USCC_SCHEME, InvalidIdentifier, normalize_uscc
from tenderwatch.ledger.models import (
    ApprovalType,
    ApprovedProject,
    Category,
    OrganisationForm,
    ProcurementMethod,
    Project,
)
from tenderwatch.org.models import Industry, Role
from tenderwatch.org.scoping import can, ensure_allowed, has_any_role, register
from tenderwatch.org.selectors import normalise_industry

register(
    {
        # The office keeps the list (it receives it from the development-and-reform department).
        "ledger.approved.import": has_any_role(Role.OFFICE_STAFF, Role.ADMINISTRATOR),
    }
)

NAME_SIMILARITY_THRESHOLD = 0.8
GENERIC_WORDS = ("建设项目", "项目", "招标", "采购")
MAX_ROWS = 20000
MAX_FILE_BYTES = 10 * 1024 * 1024
CANDIDATES_PER_OWNER = 2000

AMOUNT_HEADER = "总投资/估算金额（元）"


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    note: str = ""


# The file's columns. The headers are the file format, in Chinese whatever the UI language.
COLUMNS: list[Column] = [
    Column("approval_no", "审批/核准/备案文号", True, ("文号", "批复文号", "审批文号", "核准文号")),
    Column("approval_type", "类型", True, ("审批类型", "批复类型"), "审批、核准或备案"),
    Column("name", "项目名称", True),
    Column("owner_name", "项目单位", True, ("项目法人", "建设单位", "项目业主")),
    Column(
        "owner_identifier",
        "统一社会信用代码",
        False,
        ("信用代码",),
        "项目单位的18位代码，校验位须正确",
    ),
    Column("industry", "行业", False, (), "房屋建筑和市政、交通运输、水利、农业农村等"),
    Column("category", "类别", False, ("项目类别", "招标类别"), "工程（施工）、货物或服务"),
    Column(
        "amount",
        AMOUNT_HEADER,
        False,
        ("总投资/估算金额", "估算金额", "总投资", "金额"),
        "单位为元（表头写明“万元”时按万元读取）；必须招标按此金额与16号令标准比较",
    ),
    Column(
        "state_owned_share",
        "国有资金占比（%）",
        False,
        ("国有资金占比", "国有资金比例"),
        "0至100的百分数，如 100 或 60%",
    ),
    Column("approved_scope", "招标范围", False, (), "如：勘察、设计、施工、监理、重要设备"),
    Column("approved_method", "招标方式", False, (), "公开招标、邀请招标或不招标"),
    Column("approved_form", "组织形式", False, ("招标组织形式",), "自行招标或委托招标"),
    Column("approved_on", "批复日期", False, ("审批日期", "核准日期", "备案日期"), "如 2026-03-05"),
]

TYPE_WORDS = {
    "审批": ApprovalType.EXAMINED,
    "核准": ApprovalType.RATIFIED,
    "备案": ApprovalType.FILED,
}
CATEGORY_WORDS = {
    "工程": Category.WORKS,
    "施工": Category.WORKS,
    "工程施工": Category.WORKS,
    "工程建设": Category.WORKS,
    "货物": Category.GOODS,
    "设备": Category.GOODS,
    "服务": Category.SERVICES,
    "勘察": Category.SERVICES,
    "设计": Category.SERVICES,
    "监理": Category.SERVICES,
}
METHOD_WORDS = {
    "公开招标": ProcurementMethod.OPEN,
    "公开": ProcurementMethod.OPEN,
    "邀请招标": ProcurementMethod.INVITED,
    "邀请": ProcurementMethod.INVITED,
    "不招标": ProcurementMethod.DIRECT,
    "可以不招标": ProcurementMethod.DIRECT,
    "不进行招标": ProcurementMethod.DIRECT,
}
FORM_WORDS = {
    "自行招标": OrganisationForm.SELF,
    "自行": OrganisationForm.SELF,
    "委托招标": OrganisationForm.ENTRUSTED,
    "委托": OrganisationForm.ENTRUSTED,
    "委托代理": OrganisationForm.ENTRUSTED,
    "委托招标代理机构": OrganisationForm.ENTRUSTED,
}
INDUSTRY_WORDS = {
    "房屋建筑和市政": Industry.HOUSING_MUNICIPAL,
    "房屋建筑": Industry.HOUSING_MUNICIPAL,
    "房建": Industry.HOUSING_MUNICIPAL,
    "市政": Industry.HOUSING_MUNICIPAL,
    "住建": Industry.HOUSING_MUNICIPAL,
    "交通运输": Industry.TRANSPORT,
    "交通": Industry.TRANSPORT,
    "公路": Industry.TRANSPORT,
    "水利": Industry.WATER,
    "水利和湖泊": Industry.WATER,
    "农业农村": Industry.AGRICULTURE,
    "农业": Industry.AGRICULTURE,
}

MATCH_METHODS = {
    "approval_no": gettext_lazy("approval number"),
    "owner_id_and_name": gettext_lazy("owner's credit code and project name"),
    "owner_name_and_name": gettext_lazy("owner's name and project name"),
}


# -- reading the file --------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    row: int  # the Excel row number (0 for the file as a whole)
    column: str
    message: str

    def __str__(self) -> str:
        if not self.row:
            return self.message
        return _("Row %(row)s, %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class ParsedRow:
    row: int
    values: dict[str, Any]


@dataclass
class Parsed:
    rows: list[ParsedRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _norm_header(text: Any) -> str:
    text = unicodedata.normalize("NFKC", str(text or "")).strip()
    return re.sub(r"\s+", "", text)


def _header_base(text: str) -> str:
    return re.split(r"[(（]", text, maxsplit=1)[0]


def _map_headers(cells: Iterable[Any]) -> tuple[dict[int, Column], float]:
    """{column index: Column} for a header row, and the amount unit its header states."""
    by_name: dict[str, Column] = {}
    for col in COLUMNS:
        for name in (col.header, *col.aliases):
            by_name[_header_base(_norm_header(name))] = col
    mapping: dict[int, Column] = {}
    unit = 1.0
    for i, cell in enumerate(cells):
        text = _norm_header(cell)
        found = by_name.get(_header_base(text)) or by_name.get(text)
        if found is None or found in mapping.values():
            continue
        col = found
        mapping[i] = col
        if col.field == "amount" and "万元" in text:
            unit = 10000.0
    return mapping, unit


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _choice(value: str, words: Mapping[str, str], choices: Iterable[str]) -> str | None:
    if value in words:
        return words[value]
    if value.lower() in choices:
        return value.lower()
    return None


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]


def _parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if " " in text:  # "2026-03-05 00:00:00" typed as text
        text = text.split(" ", 1)[0]
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return None
    return None


def _parse_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    text = _text(value).replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
    text = text.removesuffix("元")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _row_values(
    row_no: int,
    cells: list[Any],
    formats: list[str],
    mapping: dict[int, Column],
    unit: float,
    today: dt.date,
) -> tuple[dict[str, Any], list[Problem]]:
    values: dict[str, Any] = {}
    problems: list[Problem] = []

    def bad(col: Column, message: str) -> None:
        problems.append(Problem(row_no, col.header, message))

    for i, col in mapping.items():
        raw = cells[i] if i < len(cells) else None
        text = _text(raw)
        if not text:
            if col.required:
                bad(col, _("required, but empty."))
            continue
        f = col.field
        if f == "approval_type":
            choice = _choice(text, TYPE_WORDS, ApprovalType.values)
            if choice is None:
                bad(col, _("unknown type “%(value)s”; write 审批, 核准 or 备案.") % {"value": text})
            values[f] = choice
        elif f == "owner_identifier":
            try:
                values[f] = normalize_uscc(text)
            except InvalidIdentifier as exc:
                bad(col, str(exc))
        elif f == "category":
            choice = _choice(text, CATEGORY_WORDS, Category.values)
            if choice is None:
                bad(
                    col,
                    _("unknown category “%(value)s”; write 工程, 货物 or 服务.") % {"value": text},
                )
            values[f] = choice
        elif f == "industry":
            values[f] = str(INDUSTRY_WORDS.get(text) or normalise_industry(text))[:40]
        elif f == "amount":
            number = _parse_decimal(raw)
            if number is None:
                bad(col, _("“%(value)s” is not an amount.") % {"value": text})
            elif number < 0:
                bad(col, _("the amount is negative (%(value)s).") % {"value": text})
            else:
                values[f] = (number * Decimal(str(unit))).quantize(Decimal("0.01"))
        elif f == "state_owned_share":
            number = _parse_decimal(text.removesuffix("%"))
            percent_cell = "%" in (formats[i] if i < len(formats) else "")
            if number is not None and percent_cell and not text.endswith("%"):
                number *= 100  # a cell formatted as a percentage holds 0.6 for 60%
            if number is None or not (0 <= number <= 100):
                bad(col, _("“%(value)s” is not a share between 0 and 100%%.") % {"value": text})
            else:
                values[f] = number.quantize(Decimal("0.01"))
        elif f == "approved_method":
            choice = _choice(text, METHOD_WORDS, ProcurementMethod.values)
            if choice is None:
                bad(
                    col,
                    _("unknown method “%(value)s”; write 公开招标, 邀请招标 or 不招标.")
                    % {"value": text},
                )
            values[f] = choice
        elif f == "approved_form":
            choice = _choice(text, FORM_WORDS, OrganisationForm.values)
            if choice is None:
                bad(
                    col,
                    _("unknown organisation form “%(value)s”; write 自行招标 or 委托招标.")
                    % {"value": text},
                )
            values[f] = choice
        elif f == "approved_on":
            day = _parse_date(raw)
            if day is None:
                bad(col, _("“%(value)s” is not a date (write 2026-03-05).") % {"value": text})
            elif day > today:
                bad(col, _("the date %(value)s is in the future.") % {"value": day.isoformat()})
            else:
                values[f] = day
        else:
            limit = getattr(ApprovedProject._meta.get_field(f), "max_length", None) or 300
            if len(text) > limit:
                bad(col, _("longer than %(n)s characters.") % {"n": limit})
            values[f] = text
    return values, problems


def _cells(row: Iterable[Any]) -> tuple[list[Any], list[str]]:
    values, formats = [], []
    for cell in row:
        values.append(getattr(cell, "value", None))
        formats.append(str(getattr(cell, "number_format", "") or ""))
    return values, formats


def parse_workbook(data: bytes) -> Parsed:
    """Check every row of an approved-projects workbook; write nothing.

    The header row is the first of the first ten rows that names the required columns (a title
    line above it is allowed). Empty rows are skipped. Rows are numbered as Excel numbers them.
    """
    from openpyxl import load_workbook

    parsed = Parsed()
    if len(data) > MAX_FILE_BYTES:
        parsed.problems.append(
            Problem(0, "", _("The file is larger than %(n)s MB.") % {"n": MAX_FILE_BYTES >> 20})
        )
        return parsed
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        parsed.problems.append(
            Problem(0, "", _("This is not an Excel (.xlsx) workbook: %(error)s") % {"error": exc})
        )
        return parsed
    try:
        ws = wb.worksheets[0]
        today = timeutil.china_date()
        rows: Iterator[Any] = ws.iter_rows()
        mapping: dict[int, Column] = {}
        unit = 1.0
        header_row = 0
        for n, row in enumerate(rows, start=1):
            cells, _formats = _cells(row)
            mapping, unit = _map_headers(cells)
            if all(
                any(c.field == r.field for c in mapping.values()) for r in COLUMNS if r.required
            ):
                header_row = n
                break
            if n >= 10:
                break
        if not header_row:
            missing = "、".join(c.header for c in COLUMNS if c.required)
            parsed.problems.append(
                Problem(
                    0,
                    "",
                    _(
                        "No header row found in the first sheet: the columns %(columns)s are "
                        "required. Download the template."
                    )
                    % {"columns": missing},
                )
            )
            return parsed
        seen: dict[str, int] = {}
        no_col = next(c for c in COLUMNS if c.field == "approval_no")
        for n, row in enumerate(rows, start=header_row + 1):
            cells, formats = _cells(row)
            if not any(_text(c) for c in cells):
                continue
            if len(parsed.rows) + len(parsed.problems) >= MAX_ROWS:
                parsed.problems.append(
                    Problem(0, "", _("More than %(n)s rows: split the file.") % {"n": MAX_ROWS})
                )
                break
            values, problems = _row_values(n, cells, formats, mapping, unit, today)
            number = values.get("approval_no")
            if number:
                key = normalize_approval_no(number)
                if key in seen:
                    problems.append(
                        Problem(
                            n,
                            no_col.header,
                            _("approval number %(no)s is also on row %(other)s.")
                            % {"no": number, "other": seen[key]},
                        )
                    )
                else:
                    seen[key] = n
            parsed.problems.extend(problems)
            if not problems:
                parsed.rows.append(ParsedRow(n, values))
    finally:
        wb.close()
    if not parsed.rows and not parsed.problems:
        parsed.problems.append(Problem(0, "", _("The file has no data rows.")))
    return parsed


# -- matching ----------------------------------------------------------------------------------

_BRACKETS = str.maketrans({"〔": "[", "〕": "]", "【": "[", "】": "]", "(": "[", ")": "]"})
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def normalize_approval_no(number: str) -> str:
    text = unicodedata.normalize("NFKC", number).strip()
    return re.sub(r"\s+", "", text).translate(_BRACKETS)


def approval_no_variants(number: str) -> list[str]:
    """The spellings of one approval number a platform may carry: 〔2026〕, [2026], 【2026】…"""
    base = normalize_approval_no(number)
    out = {number.strip(), base}
    for left, right in (("〔", "〕"), ("【", "】"), ("(", ")"), ("（", "）")):
        out.add(base.replace("[", left).replace("]", right))
    return sorted(out)


def normalize_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", name or "")
    text = _PUNCT.sub("", text)
    for word in GENERIC_WORDS:
        text = text.replace(word, "")
    return text


def name_similarity(a: str, b: str) -> float:
    na, nb = normalize_name(a), normalize_name(b)
    if not na or not nb:
        return 0.0
    return difflib.SequenceMatcher(None, na, nb, autojunk=False).ratio()


def _best_by_name(name: str, candidates: Iterable[Project]) -> Project | None:
    best: tuple[float, int, Project] | None = None
    for project in candidates:
        score = name_similarity(name, project.name)
        if score >= NAME_SIMILARITY_THRESHOLD and (
            best is None or (score, -project.pk) > (best[0], best[1])
        ):
            best = (score, -project.pk, project)
    return best[2] if best else None


def match_project(
    *,
    approval_no: str,
    name: str,
    owner_name: str,
    owner_identifier: str = "",
) -> tuple[Project | None, str]:
    """The ledger project an approved project became, and how it was found ("" if none)."""
    by_no = (
        Project.objects.filter(approval_no__in=approval_no_variants(approval_no))
        .order_by("registered_at", "id")
        .first()
    )
    if by_no is not None:
        return by_no, "approval_no"
    fields = ("id", "name")
    if owner_identifier:
        candidates = Project.objects.filter(
            tenderer__scheme=USCC_SCHEME, tenderer__identifier=owner_identifier
        ).only(*fields)[:CANDIDATES_PER_OWNER]
        found = _best_by_name(name, candidates)
        if found is not None:
            return found, "owner_id_and_name"
    if owner_name:
        candidates = Project.objects.filter(tenderer__name=owner_name.strip()).only(*fields)[
            :CANDIDATES_PER_OWNER
        ]
        found = _best_by_name(name, candidates)
        if found is not None:
            return found, "owner_name_and_name"
    return None, ""


# -- writing -----------------------------------------------------------------------------------


@dataclass
class RowOutcome:
    row: int
    approval_no: str
    name: str
    created: bool
    must_tender: bool | None
    must_tender_reason: str
    matched_project: Project | None
    match_method: str

    @property
    def match_method_label(self) -> str:
        return str(MATCH_METHODS.get(self.match_method, self.match_method))


@dataclass
class ImportReport:
    sha256: str
    filename: str
    written: bool
    problems: list[Problem] = field(default_factory=list)
    rows: list[RowOutcome] = field(default_factory=list)

    @property
    def created(self) -> int:
        return sum(1 for r in self.rows if r.created)

    @property
    def updated(self) -> int:
        return sum(1 for r in self.rows if not r.created)

    @property
    def matched(self) -> int:
        return sum(1 for r in self.rows if r.matched_project is not None)

    @property
    def not_entered(self) -> int:
        return sum(1 for r in self.rows if r.must_tender and r.matched_project is None)

    def counts(self) -> dict[str, int]:
        return {
            "rows": len(self.rows),
            "created": self.created,
            "updated": self.updated,
            "matched": self.matched,
            "must_tender_not_entered": self.not_entered,
        }


def assess(values: dict[str, Any]) -> thresholds.Assessment:
    """16号令 assessment of one approved project (its amount taken as the contract estimate)."""
    result = thresholds.assess_must_tender(
        category=values.get("category") or None,
        amount=values.get("amount"),
        currency="CNY",
        state_owned_share=values.get("state_owned_share"),
    )
    if result.must_tender and values.get("approved_method") == ProcurementMethod.DIRECT:
        # 实施条例 第九条: the approval itself may exempt a project from tendering.
        return thresholds.Assessment(
            True,
            result.reason
            + " "
            + _("The approval decided not to tender (实施条例 Art. 9 exemption): check it."),
        )
    return result


def approved_import(*, actor: Any, data: bytes, filename: str = "") -> ImportReport:
    """Import an approved-projects workbook: all rows or none. REQ-09."""
    ensure_allowed(actor, "ledger.approved.import")
    digest = hashlib.sha256(data).hexdigest()
    parsed = parse_workbook(data)
    report = ImportReport(sha256=digest, filename=filename, written=False)
    if parsed.problems:
        report.problems = parsed.problems
        return report
    with transaction.atomic():
        for row in parsed.rows:
            report.rows.append(_upsert(row, digest))
        report.written = True
        audit.record(
            actor=actor,
            action="ledger.approved.imported",
            object_type=ApprovedProject._meta.label_lower,
            object_id=digest[:16],
            object_repr=filename[:200] or digest[:16],
            after={"sha256": digest, "filename": filename, **report.counts()},
            note=_("approved-projects list (应进必进)"),
        )
    return report


def _upsert(row: ParsedRow, digest: str) -> RowOutcome:
    values = row.values
    number = values["approval_no"]
    existing = (
        ApprovedProject.objects.select_for_update().filter(approval_no=number).first()
        or ApprovedProject.objects.select_for_update()
        .filter(approval_no__in=approval_no_variants(number))
        .first()
    )
    result = assess(values)
    project, method = match_project(
        approval_no=number,
        name=values["name"],
        owner_name=values["owner_name"],
        owner_identifier=values.get("owner_identifier", ""),
    )
    fields = {
        "approval_type": values["approval_type"],
        "name": values["name"],
        "owner_name": values["owner_name"],
        "owner_identifier": values.get("owner_identifier", ""),
        "industry": values.get("industry", ""),
        "category": values.get("category") or "",
        "amount": values.get("amount"),
        "state_owned_share": values.get("state_owned_share"),
        "approved_scope": values.get("approved_scope", ""),
        "approved_method": values.get("approved_method") or "",
        "approved_form": values.get("approved_form") or "",
        "approved_on": values.get("approved_on"),
        "must_tender": result.must_tender,
        "must_tender_reason": result.reason[:300],
        "matched_project": project,
        "match_method": method,
        "source_file_sha256": digest,
    }
    if existing is None:
        obj = ApprovedProject.objects.create(approval_no=number, **fields)
        created = True
    else:
        for key, value in fields.items():
            setattr(existing, key, value)
        existing.save()
        obj, created = existing, False
    return RowOutcome(
        row=row.row,
        approval_no=obj.approval_no,
        name=obj.name,
        created=created,
        must_tender=obj.must_tender,
        must_tender_reason=obj.must_tender_reason,
        matched_project=project,
        match_method=method,
    )


@transaction.atomic
def approved_rematch(*, actor: Any = None) -> int:
    """Match again the approved projects that have no project yet (projects enter later).

    Returns how many found their project; one audit entry when any did.
    """
    found: list[tuple[str, int, str]] = []
    for ap in ApprovedProject.objects.select_for_update().filter(matched_project__isnull=True):
        project, method = match_project(
            approval_no=ap.approval_no,
            name=ap.name,
            owner_name=ap.owner_name,
            owner_identifier=ap.owner_identifier,
        )
        if project is not None:
            ap.matched_project, ap.match_method = project, method
            ap.save(update_fields=["matched_project", "match_method", "imported_at"])
            found.append((ap.approval_no, project.pk, method))
    if found:
        audit.record(
            actor=actor,
            action="ledger.approved.rematched",
            object_type=ApprovedProject._meta.label_lower,
            object_repr=_("approved-projects list (应进必进)"),
            after={"matched": [list(f) for f in found]},
        )
    return len(found)


def approved_match_for_project(project: Project) -> list[ApprovedProject]:
    """Link a project that just entered the ledger to its unmatched approvals, if any.

    For the ingest service to call (in its transaction, so its audit entry covers the link).
    """
    linked = []
    for ap in ApprovedProject.objects.select_for_update().filter(matched_project__isnull=True):
        if normalize_approval_no(ap.approval_no) == normalize_approval_no(
            project.approval_no or ""
        ):
            method = "approval_no"
        elif (
            project.tenderer is not None
            and (
                (ap.owner_identifier and ap.owner_identifier == project.tenderer.identifier)
                or (not ap.owner_identifier and ap.owner_name == project.tenderer.name)
            )
            and name_similarity(ap.name, project.name) >= NAME_SIMILARITY_THRESHOLD
        ):
            method = "owner_id_and_name" if ap.owner_identifier else "owner_name_and_name"
        else:
            continue
        ap.matched_project, ap.match_method = project, method
        ap.save(update_fields=["matched_project", "match_method", "imported_at"])
        linked.append(ap)
    return linked


# -- reading the list --------------------------------------------------------------------------


def _entered_by_number() -> Exists:
    return Exists(Project.objects.filter(approval_no=OuterRef("approval_no")))


def approved_list(*, user: Any, show: str = "", q: str = "") -> QuerySet[ApprovedProject]:
    """The approved list, with `entered` (matched, or a project now carries its number).

    `show`: "" all, "not_entered" must-tender projects that have not entered, "entered",
    "unassessed" (must-tender could not be decided).
    """
    if not can(user, "ledger.view"):
        return ApprovedProject.objects.none()
    qs = ApprovedProject.objects.select_related("matched_project").annotate(
        number_in_ledger=_entered_by_number()
    )
    entered = Q(matched_project__isnull=False) | Q(number_in_ledger=True)
    if show == "not_entered":
        qs = (
            qs.filter(must_tender=True)
            .exclude(entered)
            .exclude(approved_method=ProcurementMethod.DIRECT)
        )
    elif show == "entered":
        qs = qs.filter(entered)
    elif show == "unassessed":
        qs = qs.filter(must_tender__isnull=True)
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(approval_no__icontains=q) | Q(name__icontains=q) | Q(owner_name__icontains=q)
        )
    return qs.order_by("-approved_on", "-id")


def approved_not_entered() -> QuerySet[ApprovedProject]:
    """Approved must-tender projects that have not entered the platform (应进未进).

    Not entered: no matched project and no ledger project carrying the approval number.
    Projects the approval itself decided not to tender are left out (实施条例 第九条).
    """
    return (
        ApprovedProject.objects.filter(must_tender=True, matched_project__isnull=True)
        .exclude(_entered_by_number())
        .exclude(approved_method=ProcurementMethod.DIRECT)
        .order_by("approved_on", "id")
    )


# -- the template ------------------------------------------------------------------------------


def template_workbook() -> bytes:
    """An empty list with the Chinese headers, drop-down lists and a sheet of instructions."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "审批核准备案项目"
    ws.append([c.header for c in COLUMNS])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for i, col in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = max(12, len(col.header) * 2 + 4)
    ws.freeze_panes = "A2"
    lists = {
        "approval_type": ["审批", "核准", "备案"],
        "category": ["工程", "货物", "服务"],
        "approved_method": ["公开招标", "邀请招标", "不招标"],
        "approved_form": ["自行招标", "委托招标"],
    }
    for i, col in enumerate(COLUMNS, start=1):
        letter = get_column_letter(i)
        if col.field in lists:
            dv = DataValidation(type="list", formula1='"' + ",".join(lists[col.field]) + '"')
            dv.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
            ws.add_data_validation(dv)
        if col.field == "approved_on":
            for r in range(2, 202):
                ws.cell(row=r, column=i).number_format = "yyyy-mm-dd"
        if col.field in ("approval_no", "owner_identifier"):
            for r in range(2, 202):
                ws.cell(row=r, column=i).number_format = "@"
    help_ws = wb.create_sheet("填写说明")
    help_ws.append(["列名", "是否必填", "说明"])
    for cell in help_ws[1]:
        cell.font, cell.fill = bold, fill
    for col in COLUMNS:
        help_ws.append([col.header, "必填" if col.required else "选填", col.note])
    help_ws.append([])
    help_ws.append(
        [
            "导入规则",
            "",
            "整个文件校验通过才导入，任何一行有错则全部不导入，并逐行列出错误；"
            "按文号更新已有记录；每次导入留存文件哈希与条数。",
        ]
    )
    help_ws.append(
        [
            "必须招标",
            "",
            "按《必须招标的工程项目规定》（国家发改委令第16号）以金额、类别和国有资金占比评估；"
            "金额视为招标范围内的合同估算价，只知道总投资时填总投资，评估结果偏严，供核查。",
        ]
    )
    help_ws.column_dimensions["A"].width = 24
    help_ws.column_dimensions["B"].width = 10
    help_ws.column_dimensions["C"].width = 90
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def build_workbook(rows: list[dict[str, Any]], *, headers: list[str] | None = None) -> bytes:
    """A workbook in the template's layout with `rows` (dicts keyed by field name) — for tests,
    the demo and exports."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(headers or [c.header for c in COLUMNS])
    for row in rows:
        ws.append([row.get(c.field) for c in COLUMNS])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def entered_status(ap: ApprovedProject) -> str:
    """A short code for the page: entered, exempted, not_entered, not_required, unassessed."""
    if ap.matched_project_id is not None or getattr(ap, "number_in_ledger", False):
        return "entered"
    if ap.approved_method == ProcurementMethod.DIRECT:
        return "exempted"
    if ap.must_tender is None:
        return "unassessed"
    return "not_entered" if ap.must_tender else "not_required"
