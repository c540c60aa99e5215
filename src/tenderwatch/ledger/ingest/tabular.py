"""Spreadsheets in: the office's Excel and CSV files of projects, lots, bids and procedure steps.

REQ-05, REQ-21; DESIGN.md "Imports": office spreadsheets are all-or-nothing per file.

**The files.** Three templates the pages offer (`template_xlsx`, `template_csv`), with Chinese
headers, which are the file format whatever the UI language:
- 项目与标段 (`projects`): one row per lot, the project's columns repeated on each of its rows;
  a row with an empty 标段编号 is a project without lots;
- 投标 (`bids`): one row per bid;
- 程序环节 (`events`): one row per procedure step.
The Excel export (`ledger.export_xlsx`) writes a workbook with the sheets 项目, 标段 (`lots`),
投标 and 程序环节; imported whole (`WORKBOOK`), it changes nothing in the ledger it came from.
Excel files (.xlsx) are read with openpyxl in read-only mode; CSV files in UTF-8 (with or without
the BOM Excel writes) or GBK/GB18030 (Excel on Chinese Windows), tried in that order, strictly.

**Checks.** Every row is checked — required columns (a missing header is named), numbers,
dates (2026-03-05, 2026/3/5, 2026年3月5日 or Excel date cells, with an optional time, read as
Asia/Shanghai time), amounts (not negative, at most two decimals), unified social credit codes
(GB 32100-2015 check character, `identifiers.normalize_uscc`), the names of industries,
categories, methods and procedure steps (Chinese or code) — then every project is compared with
the ledger: the project and lots a row refers to must be in the file or in the ledger. Any
problem and nothing is written; the report lists each one with its row (as Excel numbers it,
the header being row 1), column and reason.

**Identity, so that importing the same file again changes nothing.** A project is its 项目编号:
a row updates the ledger's project with that code, whatever source it came from, and a new
project gets the source ``sheet:<name the office gave>`` or ``sheet:<file SHA-256 prefix>`` and
the code as external id. A lot is its 标段编号 within the project (the lot's number, else its
external id); a bid its 投标编号, else its bidder within the lot; a procedure step its
外部编号, else project, step, lot and time together. Only what differs from the ledger is
written: an unchanged row writes nothing, a changed one is the next version (or the 版本 the row
gives, which must then be higher than the ledger's). Columns a file leaves out keep what the
ledger holds; an empty cell in a column that is there empties the value.

**Records of other channels are not edited from spreadsheets.** The feed, OCDS files and
manual entry keep their own versions; a spreadsheet may repeat such a project unchanged (an
exported selection re-imports with no change) but not change or extend it, since the next
version pushed by its channel would then collide (the platform's records are the evidence,
corrected where they come from).

**Streaming.** Rows are checked one at a time and put aside in a temporary SQLite file, grouped
by project; the ledger is read a chunk of projects at a time; the bundles
(`ingest.bundle.ProcessBundle`) are put aside too, then handed one by one to
`writer.bundles_write(all_or_nothing=True)`. Memory stays flat for files of 100,000 rows.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import ipaddress
import json
import os
import pickle
import re
import sqlite3
import tempfile
import unicodedata
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import IO, Any

from django.utils import translation
from django.utils.translation import gettext as _
from pydantic import ValidationError

from tenderwatch.core.timeutil import CHINA
from tenderwatch.ledger import approved, schemas, services
from tenderwatch.ledger.identifiers import USCC_SCHEME, InvalidIdentifier, normalize_identifier
from tenderwatch.ledger.ingest import permissions as _permissions  # noqa: F401 (registers)
from tenderwatch.ledger.ingest.bundle import ProcessBundle
from tenderwatch.ledger.ingest.ocds import CHINESE_METHOD
from tenderwatch.ledger.models import (
    Bid,
    BidStatus,
    Category,
    EventKind,
    Lot,
    OrganisationForm,
    ProcedureEvent,
    ProcurementMethod,
    Project,
)
from tenderwatch.org.models import Industry
from tenderwatch.org.scoping import ensure_allowed
from tenderwatch.org.selectors import normalise_industry

SOURCE_PREFIX = "sheet:"
PROJECTS, LOTS, BIDS, EVENTS = "projects", "lots", "bids", "events"
WORKBOOK = "workbook"  # every recognised sheet of an .xlsx (the export's layout)
KINDS = (PROJECTS, LOTS, BIDS, EVENTS)
KIND_ORDER = {PROJECTS: 0, LOTS: 1, BIDS: 2, EVENTS: 3}
MAX_PROBLEMS = 10_000  # kept in the report; the total is counted beyond
HEADER_SEARCH_ROWS = 10  # a title line or two above the header row is allowed
PLAN_CHUNK_CODES = 200  # projects compared with the ledger at a time
PLAN_CHUNK_ROWS = 5_000
EARLIEST_YEAR, LATEST_YEAR = schemas.EARLIEST_YEAR, schemas.LATEST_YEAR
CENT = Decimal("0.01")


# -- the file format: sheets and columns -----------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a sheet: `key` in the parsed row, `header` in the file (Chinese)."""

    key: str
    header: str
    parse: str = "text"  # see `_parse_cell`; "info" columns are exported and ignored on import
    required: bool = False
    aliases: tuple[str, ...] = ()
    note: str = ""
    max_length: int = 0
    width: int = 0  # the template's column width


def _col(key: str, header: str, parse: str = "text", **kw: Any) -> Column:
    return Column(key, header, parse, **kw)


CODE = _col(
    "code",
    "项目编号",
    required=True,
    aliases=("项目代码", "项目编码", "招标项目编号"),
    max_length=100,
    note="交易平台的项目编号，一个项目一个编号；据此找到台账中的项目",
    width=22,
)
VERSION = _col(
    "version",
    "版本",
    "version",
    aliases=("版本号",),
    note="选填。留空：与台账不同时自动作为下一版本；填写：须大于台账中的版本才更新，等于时内容须相同",
)

PROJECT_COLUMNS: tuple[Column, ...] = (
    CODE,
    _col("name", "项目名称", required=True, aliases=("招标项目名称",), max_length=300, width=36),
    _col(
        "industry",
        "行业",
        "industry",
        required=True,
        aliases=("行业类别", "项目行业"),
        note="房屋建筑和市政基础设施工程、交通运输工程、水利工程、农业农村工程、政府采购等（见“选项”表），或其代码",
        width=24,
    ),
    _col(
        "category",
        "类别",
        "category",
        required=True,
        aliases=("项目类别", "招标类别", "采购类别"),
        note="工程、货物或服务",
    ),
    _col(
        "procurement_method",
        "招标方式",
        "method",
        required=True,
        aliases=("采购方式", "交易方式"),
        note="公开招标、邀请招标、竞争性谈判、竞争性磋商、询价、单一来源、不招标或其他",
    ),
    _col(
        "organisation_form",
        "组织形式",
        "form",
        aliases=("招标组织形式",),
        note="自行招标或委托招标",
    ),
    _col(
        "tenderer_name",
        "招标人名称",
        aliases=("招标人", "建设单位", "项目业主", "采购人"),
        max_length=200,
        width=30,
    ),
    _col(
        "tenderer_id",
        "招标人统一社会信用代码",
        "identifier",
        aliases=("招标人信用代码",),
        note="18位，校验位须正确；境外机构写“方案:编号”，如 MD-IDNO:1003600012345",
        width=24,
    ),
    _col(
        "agency_name",
        "代理机构名称",
        aliases=("招标代理机构", "代理机构", "招标代理机构名称"),
        max_length=200,
        width=30,
    ),
    _col(
        "agency_id",
        "代理机构统一社会信用代码",
        "identifier",
        aliases=("代理机构信用代码",),
        width=24,
    ),
    _col(
        "estimated_amount",
        "估算金额（元）",
        "money",
        aliases=("项目估算金额", "合同估算价", "估算金额", "预算金额"),
        note="单位为元，不能为负数，最多两位小数（表头写明“万元”时按万元读取）",
        width=16,
    ),
    _col(
        "state_owned_share",
        "国有资金占比（%）",
        "percent",
        aliases=("国有资金比例",),
        note="0至100，如 100 或 60%",
    ),
    _col("funding_source", "资金来源", max_length=200),
    _col("budget_funds", "预算资金（元）", "money", aliases=("财政预算资金",), width=16),
    _col("total_investment", "总投资（元）", "money", aliases=("项目总投资",), width=16),
    _col("currency", "币种", "currency", note="留空为人民币（CNY）"),
    _col("region_code", "地区代码", aliases=("行政区划代码", "区划代码"), max_length=12),
    _col(
        "approval_no",
        "审批文号",
        aliases=("审批/核准/备案文号", "批复文号", "核准文号", "备案文号"),
        max_length=100,
        width=24,
    ),
    _col("approved_scope", "核准招标范围", aliases=("招标范围",), max_length=300),
    _col("approved_method", "核准招标方式", "method"),
    _col("approved_form", "核准组织形式", "form"),
    _col("approved_on", "核准日期", "day", aliases=("批复日期", "审批日期"), note="如 2026-03-05"),
    _col(
        "registered_at",
        "登记时间",
        "moment",
        aliases=("项目登记时间", "登记日期"),
        note="如 2026-03-05 09:30 或 2026/3/5；北京时间",
        width=18,
    ),
    _col("ocid", "OCDS编号", aliases=("ocid",), max_length=120),
    VERSION,
)
LOT_NO = _col(
    "lot_no",
    "标段编号",
    aliases=("标段号", "标段（包）编号", "标包编号", "包号"),
    max_length=60,
    note="项目内唯一；项目与标段表中留空表示该行只有项目、没有标段",
    width=18,
)
LOT_COLUMNS: tuple[Column, ...] = (
    LOT_NO,
    _col("lot_name", "标段名称", aliases=("标段（包）名称", "标包名称"), max_length=300, width=36),
    _col(
        "lot_estimated_amount",
        "标段估算金额（元）",
        "money",
        aliases=("标段估算价", "标段合同估算价"),
        width=16,
    ),
    _col(
        "ceiling_price",
        "最高投标限价（元）",
        "money",
        aliases=("招标控制价", "最高限价", "拦标价"),
        width=16,
    ),
    _col("bid_security", "投标保证金（元）", "money", aliases=("保证金金额",), width=14),
    _col(
        "qualification_requirements",
        "资格要求",
        "json_list",
        aliases=("资质要求",),
        note="每条一行或以“；”分隔",
        width=30,
    ),
)
PROJECT_INFO_COLUMNS: tuple[Column, ...] = (
    _col("status", "状态", "info"),
    _col("must_tender", "是否必须招标", "info"),
    _col("source", "来源", "info"),
)

BID_COLUMNS: tuple[Column, ...] = (
    CODE,
    replace(LOT_NO, required=True, note="投标所属标段"),
    _col(
        "bid_id",
        "投标编号",
        aliases=("投标文件编号",),
        max_length=100,
        note="选填；留空时按投标人识别同一标段的投标",
    ),
    _col(
        "bidder_name",
        "投标人名称",
        required=True,
        aliases=("投标人", "投标单位", "投标单位名称", "供应商名称"),
        max_length=200,
        width=30,
    ),
    _col(
        "bidder_id",
        "投标人统一社会信用代码",
        "identifier",
        required=True,
        aliases=("投标人信用代码", "统一社会信用代码"),
        note="18位，校验位须正确",
        width=24,
    ),
    _col(
        "price",
        "投标报价（元）",
        "money",
        aliases=("投标报价", "报价", "投标总价"),
        note="不能为负数，最多两位小数",
        width=16,
    ),
    _col("currency", "币种", "currency"),
    _col(
        "submitted_at",
        "递交时间",
        "moment",
        aliases=("投标文件递交时间", "上传时间"),
        note="北京时间",
        width=18,
    ),
    _col(
        "status",
        "投标状态",
        "bid_status",
        aliases=("状态",),
        note="已递交、已撤回、被否决、有效或不合格；留空为已递交",
    ),
    _col("rejection_reason", "否决原因", aliases=("否决理由",), max_length=300),
    _col("client_ip", "IP地址", "ip", aliases=("投标IP", "上传IP", "IP"), width=16),
    _col("mac_address", "MAC地址", aliases=("网卡MAC地址", "MAC"), max_length=40, width=18),
    _col("hardware_id", "硬件特征码", aliases=("机器码", "硬盘序列号"), max_length=120),
    _col("ca_key_id", "CA锁号", aliases=("CA证书号", "CA锁编号", "数字证书编号"), max_length=120),
    _col(
        "file_hash",
        "投标文件哈希",
        aliases=("文件哈希", "文件摘要", "投标文件MD5"),
        max_length=128,
        width=24,
    ),
    _col("file_author", "文件作者", aliases=("投标文件作者", "文档作者"), max_length=120),
    _col("file_software", "制作软件", aliases=("投标文件制作软件",), max_length=120),
    _col("file_machine", "制作机器码", aliases=("文件制作机器码",), max_length=120),
    _col(
        "security_account",
        "保证金账户",
        aliases=("保证金缴纳账户", "保证金汇款账号"),
        max_length=60,
        note="请设为文本格式，以免长账号被 Excel 改写",
        width=24,
    ),
    _col("security_bank", "保证金开户行", aliases=("保证金缴纳银行",), max_length=120),
    _col("pm_name", "项目经理", aliases=("项目负责人", "拟派项目经理"), max_length=60),
    _col(
        "pm_certificate",
        "项目经理证书号",
        aliases=("项目经理注册证书号", "注册证书编号"),
        max_length=60,
    ),
    _col("contact_name", "联系人", max_length=60),
    _col("contact_phone", "联系电话", max_length=40),
    _col(
        "consortium",
        "联合体成员",
        "members",
        note="联合体投标时填写其他成员：名称（统一社会信用代码），多个以“；”分隔",
        width=30,
    ),
    VERSION,
)

EVENT_COLUMNS: tuple[Column, ...] = (
    CODE,
    replace(LOT_NO, note="选填；环节属于某个标段时填写"),
    _col(
        "kind",
        "环节",
        "event_kind",
        required=True,
        aliases=("程序环节", "环节名称"),
        note="招标公告、开标、中标候选人公示开始等（见“选项”表），或其代码",
        width=22,
    ),
    _col(
        "occurred_at",
        "发生时间",
        "moment",
        required=True,
        aliases=("时间", "发生日期"),
        note="如 2026-03-05 09:30；北京时间；只写日期时为当日零时",
        width=18,
    ),
    _col(
        "external_id",
        "外部编号",
        aliases=("环节编号",),
        max_length=100,
        note="选填；更正一个环节时填写它的外部编号和更大的版本",
    ),
    VERSION,
    _col("note", "备注", aliases=("说明",), max_length=4000, width=30),
)

LOTS_SHEET_COLUMNS: tuple[Column, ...] = (
    CODE,
    replace(LOT_NO, required=True, note="项目内唯一"),
    *(replace(c, required=True) if c.key == "lot_name" else c for c in LOT_COLUMNS[1:-1]),
    _col("lot_currency", "币种", "currency"),
    LOT_COLUMNS[-1],
    _col("status", "状态", "info"),
)


@dataclass(frozen=True)
class SheetSpec:
    kind: str
    title: str  # the sheet's name in templates and exports
    columns: tuple[Column, ...]
    names: tuple[str, ...]  # sheet names recognised in a workbook
    label: str  # for the report and the page

    def required(self) -> list[Column]:
        return [c for c in self.columns if c.required]


SPECS: dict[str, SheetSpec] = {
    PROJECTS: SheetSpec(
        PROJECTS,
        "项目与标段",
        (*PROJECT_COLUMNS[:-1], *LOT_COLUMNS, VERSION, *PROJECT_INFO_COLUMNS),
        ("项目与标段", "项目", "项目信息", "项目标段"),
        "项目与标段",
    ),
    LOTS: SheetSpec(LOTS, "标段", LOTS_SHEET_COLUMNS, ("标段", "标段信息"), "标段"),
    BIDS: SheetSpec(BIDS, "投标", BID_COLUMNS, ("投标", "投标信息", "投标人"), "投标"),
    EVENTS: SheetSpec(
        EVENTS, "程序环节", EVENT_COLUMNS, ("程序环节", "环节", "招标程序"), "程序环节"
    ),
}
INSTRUCTIONS_SHEET = "填写说明"
OPTIONS_SHEET = "选项"


# -- names in Chinese or as codes ------------------------------------------------------------------

CATEGORY_NAMES = {Category.WORKS: "工程", Category.GOODS: "货物", Category.SERVICES: "服务"}
# OCDS's names of the methods, but for 直接发包: offices write 不招标.
METHOD_NAMES = {**CHINESE_METHOD, ProcurementMethod.DIRECT: "不招标"}
FORM_NAMES = {OrganisationForm.SELF: "自行招标", OrganisationForm.ENTRUSTED: "委托招标"}
BID_STATUS_NAMES = {
    BidStatus.SUBMITTED: "已递交",
    BidStatus.WITHDRAWN: "已撤回",
    BidStatus.REJECTED: "被否决",
    BidStatus.VALID: "有效",
    BidStatus.DISQUALIFIED: "不合格",
}
INDUSTRY_NAMES = {
    Industry.HOUSING_MUNICIPAL: "房屋建筑和市政基础设施工程",
    Industry.TRANSPORT: "交通运输工程",
    Industry.WATER: "水利工程",
    Industry.AGRICULTURE: "农业农村工程",
    Industry.GOVERNMENT_PROCUREMENT: "政府采购",
    Industry.LAND_MINING: "土地使用权和矿业权出让",
    Industry.STATE_ASSETS: "国有产权交易",
    Industry.MEDICAL_PROCUREMENT: "药品和医用耗材采购",
    Industry.OTHER: "其他",
}
EVENT_NAMES = {
    EventKind.REGISTRATION: "项目登记",
    EventKind.ANNOUNCEMENT: "招标公告",
    EventKind.PREQUALIFICATION_ISSUED: "发售资格预审文件",
    EventKind.PREQUALIFICATION_DEADLINE: "资格预审申请截止",
    EventKind.PREQUALIFICATION_RESULT: "资格预审结果",
    EventKind.TENDER_DOCUMENTS_ISSUED: "发售招标文件",
    EventKind.TENDER_DOCUMENTS_SALE_END: "招标文件发售截止",
    EventKind.CLARIFICATION: "澄清",
    EventKind.AMENDMENT: "修改",
    EventKind.OBJECTION: "异议",
    EventKind.OBJECTION_REPLY: "异议答复",
    EventKind.SITE_VISIT: "现场踏勘",
    EventKind.BID_DEADLINE: "投标截止",
    EventKind.OPENING: "开标",
    EventKind.EVALUATION_START: "评标开始",
    EventKind.EVALUATION_REPORT: "收到评标报告",
    EventKind.CANDIDATE_PUBLICITY_START: "中标候选人公示开始",
    EventKind.CANDIDATE_PUBLICITY_END: "中标候选人公示结束",
    EventKind.AWARD_NOTICE: "发出中标通知书",
    EventKind.CONTRACT_SIGNED: "签订合同",
    EventKind.SUPERVISOR_REPORT: "向行政监督部门提交书面报告",
    EventKind.BID_SECURITY_REFUND: "退还投标保证金",
    EventKind.SUSPENSION: "暂停",
    EventKind.RESUMPTION: "恢复",
    EventKind.TERMINATION: "终止",
    EventKind.RETENDER: "重新招标",
    EventKind.CONTRACT_CHANGE: "合同变更",
    EventKind.COMPLETION: "竣工验收",
    EventKind.OTHER: "其他",
}
_EXTRA_WORDS: dict[str, dict[str, str]] = {
    "category": dict(approved.CATEGORY_WORDS),
    "method": {
        **approved.METHOD_WORDS,
        "直接发包": ProcurementMethod.DIRECT,
        "直接发包/不招标": ProcurementMethod.DIRECT,
        "单一来源采购": ProcurementMethod.SINGLE_SOURCE,
        "询价采购": ProcurementMethod.INQUIRY,
    },
    "form": dict(approved.FORM_WORDS),
    "bid_status": {
        "递交": BidStatus.SUBMITTED,
        "已提交": BidStatus.SUBMITTED,
        "撤回": BidStatus.WITHDRAWN,
        "否决": BidStatus.REJECTED,
        "评标时被否决": BidStatus.REJECTED,
        "资格不合格": BidStatus.DISQUALIFIED,
    },
    "industry": dict(approved.INDUSTRY_WORDS),
    "event_kind": {
        "开标记录": EventKind.OPENING,
        "中标通知书": EventKind.AWARD_NOTICE,
        "合同签订": EventKind.CONTRACT_SIGNED,
        "公示开始": EventKind.CANDIDATE_PUBLICITY_START,
        "公示结束": EventKind.CANDIDATE_PUBLICITY_END,
    },
}
NAMES: dict[str, Mapping[Any, str]] = {
    "category": CATEGORY_NAMES,
    "method": METHOD_NAMES,
    "form": FORM_NAMES,
    "bid_status": BID_STATUS_NAMES,
    "industry": INDUSTRY_NAMES,
    "event_kind": EVENT_NAMES,
}
_CHOICES: dict[str, Any] = {
    "category": Category,
    "method": ProcurementMethod,
    "form": OrganisationForm,
    "bid_status": BidStatus,
    "industry": Industry,
    "event_kind": EventKind,
}


def _key(text: str) -> str:
    """How names and headers are compared: NFKC, no whitespace, no marks of required columns."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", text).strip("*").lower()


@cache
def _words(kind: str) -> dict[str, str]:
    """{normalised name: code} for a kind of choice: our names, the labels in both languages,
    the codes themselves and the spellings other files use."""
    choices = _CHOICES[kind]
    words: dict[str, str] = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for code, label in choices.choices:
                words[_key(str(label))] = str(code)
    for code in choices.values:
        words[_key(code)] = str(code)
    for word, code in _EXTRA_WORDS.get(kind, {}).items():
        words[_key(word)] = str(code)
    for code, name in NAMES[kind].items():
        words[_key(name)] = str(code)
    return words


def name_of(kind: str, code: str | None) -> str:
    """The Chinese name a file shows for a code (the code itself when it has none)."""
    if not code:
        return ""
    return NAMES[kind].get(code, code)


# -- the report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetProblem(approved.Problem):
    """A problem of one row (as Excel numbers rows, the header being row 1), one column."""

    sheet: str = ""

    def __str__(self) -> str:
        text = super().__str__()
        return f"{self.sheet} · {text}" if self.sheet else text


@dataclass
class SheetReport:
    """What an import found and did. Nothing is written unless `problems` is empty."""

    filename: str
    sha256: str
    kind: str
    file_format: str = ""  # "xlsx" or "csv"
    encoding: str = ""  # CSV: "UTF-8 (BOM)", "UTF-8" or "GB18030"
    source: str = ""  # given to the projects the file creates
    sheets: list[str] = field(default_factory=list)
    rows: int = 0
    problems: list[SheetProblem] = field(default_factory=list)
    problems_total: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    written: bool = False
    dry_run: bool = False
    ingest: Any = None  # writer.IngestReport of the write
    structural: bool = False  # a problem of the file or a header: rows were not all read

    @property
    def ok(self) -> bool:
        return not self.problems_total

    @property
    def more_problems(self) -> int:
        return self.problems_total - len(self.problems)

    def add(self, problem: SheetProblem) -> None:
        self.problems_total += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)

    def summary(self) -> dict[str, Any]:
        """Facts for the audit entry and the command line."""
        return {
            "file": self.filename,
            "sha256": self.sha256,
            "kind": self.kind,
            "format": self.file_format,
            "encoding": self.encoding,
            "source": self.source,
            "rows": self.rows,
            **{k: v for k, v in sorted(self.counts.items())},
        }


# -- reading cells ---------------------------------------------------------------------------------


class _Bad(Exception):
    """A cell that cannot be read; the message says why, in the user's language."""


def cell_text(value: Any) -> str:
    """A cell as text: whole numbers without ".0", surrounding whitespace removed (names keep
    their full-width characters: no NFKC here)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()


def _decimal(raw: Any, text: str) -> Decimal:
    if isinstance(raw, bool):
        raise _Bad(_("“%(value)s” is not a number.") % {"value": text})
    if isinstance(raw, int | Decimal):
        return Decimal(raw)
    if isinstance(raw, float):
        # An Excel number is a double: 52000.00000000001 from a formula is 52000 to the clerk.
        return Decimal(repr(round(raw, 6)))
    clean = unicodedata.normalize("NFKC", text)
    for mark in (",", "，", "¥", "￥", " "):
        clean = clean.replace(mark, "")
    clean = clean.removesuffix("元")
    try:
        number = Decimal(clean)
    except InvalidOperation:
        raise _Bad(_("“%(value)s” is not a number.") % {"value": text}) from None
    if not number.is_finite():
        raise _Bad(_("“%(value)s” is not a number.") % {"value": text})
    return number


def _money(raw: Any, text: str, unit: Decimal) -> Decimal:
    number = _decimal(raw, text) * unit
    if number < 0:
        raise _Bad(_("the amount cannot be negative (%(value)s).") % {"value": text})
    if number != number.quantize(CENT):
        raise _Bad(
            _("“%(value)s” has more than two decimals; amounts are in yuan and fen.")
            % {"value": text}
        )
    if number >= Decimal(10) ** 16:
        raise _Bad(_("“%(value)s” is too large for an amount.") % {"value": text})
    return number.quantize(CENT)


def _percent(raw: Any, text: str, number_format: str) -> Decimal:
    clean = unicodedata.normalize("NFKC", text)
    if clean.endswith("%"):
        number = _decimal(clean[:-1], clean[:-1])
    else:
        number = _decimal(raw, text)
        if "%" in number_format and isinstance(raw, int | float) and number <= 1:
            number *= 100  # a cell formatted as a percentage holds 0.6 for 60%
    if not Decimal(0) <= number <= Decimal(100):
        raise _Bad(_("“%(value)s” is not a share between 0 and 100%%.") % {"value": text})
    if number != number.quantize(CENT):
        raise _Bad(_("“%(value)s” has more than two decimals.") % {"value": text})
    return number.quantize(CENT)


_MOMENT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]+(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*(?:分)?(?:\s*[:：]\s*(\d{1,2})(?:\.(\d{1,6}))?\s*秒?)?)?$"
)


def _in_range(year: int, text: str) -> None:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise _Bad(_("the date %(value)s is out of range.") % {"value": text})


def _moment(raw: Any, text: str) -> dt.datetime:
    """A time: an Excel date cell, or text such as 2026-03-05 09:30 or 2026/3/5; China time
    unless the text carries its UTC offset."""
    if isinstance(raw, dt.datetime):
        moment = raw if raw.tzinfo else raw.replace(tzinfo=CHINA)
    elif isinstance(raw, dt.date):
        moment = dt.datetime(raw.year, raw.month, raw.day, tzinfo=CHINA)
    else:
        clean = unicodedata.normalize("NFKC", text)
        m = _MOMENT.match(clean)
        try:
            if m:
                y, mo, d, h, mi, sec = (int(p) if p else 0 for p in m.groups()[:6])
                micro = int((m[7] or "0").ljust(6, "0"))
                moment = dt.datetime(y, mo, d, h, mi, sec, micro, tzinfo=CHINA)
            else:
                parsed = dt.datetime.fromisoformat(clean)
                moment = parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA)
        except ValueError:
            raise _Bad(
                _("“%(value)s” is not a date and time (write 2026-03-05 09:30 or 2026/3/5).")
                % {"value": text}
            ) from None
    _in_range(moment.year, text)
    return moment


def _day(raw: Any, text: str) -> dt.date:
    if isinstance(raw, dt.datetime):
        day = raw.date()
    elif isinstance(raw, dt.date):
        day = raw
    else:
        found = approved._parse_date(text)
        if found is None:
            raise _Bad(_("“%(value)s” is not a date (write 2026-03-05).") % {"value": text})
        day = found
    _in_range(day.year, text)
    return day


def _version(raw: Any, text: str) -> int:
    try:
        number = _decimal(raw, text)
    except _Bad:
        number = Decimal(-1)
    if number != number.to_integral_value() or not 1 <= number <= schemas.MAX_INT:
        raise _Bad(_("the version is a whole number from 1 (“%(value)s”).") % {"value": text})
    return int(number)


_SCHEMED = re.compile(r"^([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+)\s*[:：]\s*(\S.*)$")


def parse_identifier(text: str) -> tuple[str, str]:
    """(scheme, identifier) of an identifier cell: a USCC, checked, or "SCHEME:ID"."""
    m = _SCHEMED.match(text)
    scheme, value = (m[1].upper(), m[2].strip()) if m else (USCC_SCHEME, text)
    if len(value) > 64:
        raise _Bad(_("longer than %(n)s characters.") % {"n": 64})
    try:
        return normalize_identifier(scheme, value)
    except InvalidIdentifier as exc:
        raise _Bad(str(exc.message)) from None


def identifier_text(scheme: str, identifier: str) -> str:
    """How a file writes an identifier (the inverse of `parse_identifier`)."""
    return identifier if scheme == USCC_SCHEME else f"{scheme}:{identifier}"


_MEMBER = re.compile(r"^(.+?)\s*[(（]\s*([^()（）]+?)\s*[)）]$")


def parse_members(text: str) -> list[tuple[str, str, str]]:
    """Consortium members "名称（代码）；名称（代码）" as [(scheme, identifier, name)]."""
    members = []
    for part in re.split(r"[;；\n]+", text):
        part = part.strip()
        if not part:
            continue
        m = _MEMBER.match(part)
        if not m:
            raise _Bad(
                _("write each member as name (unified social credit code): “%(value)s”.")
                % {"value": part}
            )
        scheme, identifier = parse_identifier(m[2])
        members.append((scheme, identifier, m[1].strip()[:200]))
    return members


def members_text(members: Iterable[tuple[str, str, str]]) -> str:
    return "；".join(f"{name}（{identifier_text(s, i)}）" for s, i, name in members)


def _json_list(text: str) -> list[Any]:
    if text.startswith("["):
        try:
            value = json.loads(text)
        except ValueError:
            raise _Bad(_("“%(value)s” is not a valid list.") % {"value": text[:60]}) from None
        if not isinstance(value, list):
            raise _Bad(_("“%(value)s” is not a valid list.") % {"value": text[:60]})
        return value
    return [p.strip() for p in re.split(r"[;；\n]+", text) if p.strip()]


def requirements_text(value: list[Any]) -> str:
    if not value:
        return ""
    if all(isinstance(v, str) and not re.search(r"[;；\n]", v) for v in value):
        return "；".join(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class _Context:
    """Per-import lookups the cells need (the industries the ledger already uses)."""

    def __init__(self) -> None:
        self._industries: set[str] | None = None

    def known_industry(self, code: str) -> bool:
        if self._industries is None:
            self._industries = set(
                Project.objects.order_by().values_list("industry", flat=True).distinct()
            )
        return code in self._industries


def _choice(kind: str, text: str, ctx: _Context) -> str:
    code = _words(kind).get(_key(text))
    if code is None and kind == "industry":
        normalised = normalise_industry(text)
        if normalised in Industry.values or ctx.known_industry(text):
            code = normalised
    if code is None:
        names = "、".join(dict.fromkeys(NAMES[kind].values()))
        raise _Bad(
            _("unknown value “%(value)s”; write one of: %(names)s.")
            % {"value": text, "names": names}
        )
    return code


def _parse_cell(
    col: Column, raw: Any, text: str, number_format: str, unit: Decimal, ctx: _Context
) -> Any:
    """The value of a non-empty cell, or _Bad."""
    kind = col.parse
    if kind == "text":
        if col.max_length and len(text) > col.max_length:
            raise _Bad(_("longer than %(n)s characters.") % {"n": col.max_length})
        if any(ord(c) < 32 and c not in "\t\r\n" for c in text):
            raise _Bad(_("Control characters are not allowed."))
        return text
    if kind == "money":
        return _money(raw, text, unit)
    if kind == "percent":
        return _percent(raw, text, number_format)
    if kind == "moment":
        return _moment(raw, text)
    if kind == "day":
        return _day(raw, text)
    if kind == "version":
        return _version(raw, text)
    if kind == "identifier":
        return parse_identifier(text)
    if kind == "members":
        return parse_members(text)
    if kind == "json_list":
        return _json_list(text)
    if kind == "currency":
        code = unicodedata.normalize("NFKC", text).upper()
        code = {"人民币": "CNY", "元": "CNY", "RMB": "CNY"}.get(code, code)
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise _Bad(_("write the currency as a three-letter code, e.g. CNY."))
        return code
    if kind == "ip":
        try:
            return str(ipaddress.ip_address(unicodedata.normalize("NFKC", text)))
        except ValueError:
            raise _Bad(_("“%(value)s” is not an IP address.") % {"value": text}) from None
    return _choice(kind, text, ctx)


EMPTY: dict[str, Any] = {"currency": "CNY", "lot_currency": "CNY", "status": BidStatus.SUBMITTED}


def _empty_value(col: Column) -> Any:
    """What an empty cell means."""
    if col.key in EMPTY and col.parse in ("currency", "bid_status"):
        return str(EMPTY[col.key])
    if col.parse in ("text",):
        return ""
    if col.parse in ("members", "json_list"):
        return []
    return None


# -- reading files ---------------------------------------------------------------------------------


@dataclass
class _Sheet:
    spec: SheetSpec
    title: str
    rows: Iterator[tuple[int, list[Any], list[str]]]  # (row number, values, number formats)


def _sniff_encoding(handle: IO[bytes]) -> str | None:
    """The encoding of a CSV file, read once strictly: "utf-8-sig", "utf-8" or "gb18030"."""
    handle.seek(0)
    start = handle.read(4)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    candidates = ["utf-8-sig" if start.startswith(codecs.BOM_UTF8) else "utf-8", "gb18030"]
    for encoding in candidates:
        handle.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


ENCODING_LABELS = {"utf-8-sig": "UTF-8 (BOM)", "utf-8": "UTF-8", "gb18030": "GB18030 (GBK)"}


def _csv_sheet(handle: IO[bytes], spec: SheetSpec, encoding: str, report: SheetReport) -> _Sheet:
    handle.seek(0)
    text = io.TextIOWrapper(handle, encoding=encoding, newline="")
    first = text.readline()
    delimiter = max((",", "\t", ";"), key=first.count) if first else ","
    text.seek(0)
    reader = csv.reader(text, delimiter=delimiter)

    def rows() -> Iterator[tuple[int, list[Any], list[str]]]:
        n = 0
        try:
            for n, row in enumerate(reader, start=1):
                yield n, list(row), []
        except csv.Error as exc:
            report.add(
                SheetProblem(
                    n + 1, "", _("The CSV file cannot be read here: %(error)s") % {"error": exc}
                )
            )
            report.structural = True
        finally:
            text.detach()

    return _Sheet(spec, spec.title, rows())


def _xlsx_sheets(workbook: Any, kind: str) -> tuple[list[_Sheet], list[str]]:
    """The sheets to read: for a kind, the sheet of that kind's name (else the first); for the
    whole workbook, every sheet whose name is one of ours. Returns (sheets, unknown names)."""
    by_name = {_key(name): spec for spec in SPECS.values() for name in spec.names}
    found: list[tuple[Any, SheetSpec]] = []
    for ws in workbook.worksheets:
        spec = by_name.get(_key(ws.title))
        if spec is not None and (kind == WORKBOOK or spec.kind == kind):
            found.append((ws, spec))
    if kind != WORKBOOK:
        if not found:
            first = next(
                (w for w in workbook.worksheets if _key(w.title) not in _META_SHEETS), None
            )
            if first is not None:
                found = [(first, SPECS[kind])]
        found = found[:1]
    found.sort(key=lambda pair: KIND_ORDER[pair[1].kind])

    def rows(ws: Any) -> Iterator[tuple[int, list[Any], list[str]]]:
        ws.reset_dimensions()
        for n, row in enumerate(ws.iter_rows(min_row=1, min_col=1), start=1):
            values, formats = [], []
            for cell in row:
                values.append(getattr(cell, "value", None))
                formats.append(str(getattr(cell, "number_format", "") or ""))
            yield n, values, formats

    unknown = [w.title for w in workbook.worksheets if _key(w.title) not in by_name]
    return [_Sheet(spec, ws.title, rows(ws)) for ws, spec in found], unknown


_META_SHEETS = {_key(INSTRUCTIONS_SHEET), _key(OPTIONS_SHEET)}


def _header_index() -> dict[str, dict[str, Column]]:
    """Per kind: {normalised header or alias: column}, plus bare names of headers that carry
    a unit in brackets ("估算金额（万元）" finds 估算金额（元）)."""
    out: dict[str, dict[str, Column]] = {}
    for kind, spec in SPECS.items():
        index: dict[str, Column] = {}
        for col in spec.columns:
            for name in (col.header, *col.aliases):
                index.setdefault(_key(name), col)
                base = re.split(r"[(（]", name, maxsplit=1)[0]
                if base != name:
                    index.setdefault(_key(base), col)
        out[kind] = index
    return out


_HEADERS = _header_index()


def _header_lookup(kind: str, text: str) -> Column | None:
    index = _HEADERS[kind]
    key = _key(text)
    found = index.get(key)
    if found is None:
        base = re.split(r"[(（]", unicodedata.normalize("NFKC", text), maxsplit=1)[0]
        found = index.get(_key(base))
    return found


@dataclass
class _Header:
    row: int
    mapping: dict[int, Column]
    units: dict[str, Decimal]
    unknown: list[str]


def _find_header(sheet: _Sheet, report: SheetReport) -> _Header | None:
    """The header row: the first of the first rows that names every required column (a title
    line above it is allowed); failing that, the row naming most columns, to say what is
    missing. None when the sheet cannot be read."""
    spec = sheet.spec
    best: tuple[int, int, list[Any]] | None = None
    found: tuple[int, list[Any]] | None = None
    for n, values, _formats in sheet.rows:
        columns = {_header_lookup(spec.kind, t) for t in map(cell_text, values) if t}
        columns.discard(None)
        if all(c in columns for c in spec.required()):
            found = (n, values)
            break
        if columns and (best is None or len(columns) > best[1]):
            best = (n, len(columns), values)
        if n >= HEADER_SEARCH_ROWS:
            break
    if found is None and best is None:
        report.add(
            SheetProblem(
                0,
                "",
                _(
                    "No header row found: the sheet needs the columns %(columns)s. Download the "
                    "template."
                )
                % {"columns": "、".join(c.header for c in spec.required())},
                sheet.title,
            )
        )
        return None
    n, values = found if found is not None else (best[0], best[2])  # type: ignore[index]
    mapping: dict[int, Column] = {}
    units: dict[str, Decimal] = {}
    unknown: list[str] = []
    duplicate = False
    for i, value in enumerate(values):
        text = cell_text(value)
        if not text:
            continue
        col = _header_lookup(spec.kind, text)
        if col is None:
            unknown.append(text)
            continue
        if col in mapping.values():
            report.add(
                SheetProblem(
                    n,
                    text,
                    _("the column %(column)s appears twice.") % {"column": col.header},
                    sheet.title,
                )
            )
            duplicate = True
            continue
        mapping[i] = col
        if col.parse == "money" and "万元" in text:
            units[col.key] = Decimal(10000)
    present = set(mapping.values())
    missing = [c for c in spec.required() if c not in present]
    for col in missing:
        hint = (
            " " + _("Columns not recognised: %(names)s.") % {"names": "、".join(unknown)}
            if unknown
            else ""
        )
        report.add(
            SheetProblem(
                n,
                col.header,
                _("the required column “%(column)s” is missing.") % {"column": col.header} + hint,
                sheet.title,
            )
        )
    if missing or duplicate:
        return None
    return _Header(n, mapping, units, unknown)


@dataclass
class _Row:
    kind: str
    sheet: str
    row: int
    values: dict[str, Any]


def _read_row(
    sheet: _Sheet,
    header: _Header,
    n: int,
    values: list[Any],
    formats: list[str],
    report: SheetReport,
    ctx: _Context,
) -> _Row | None:
    """Check one (non-empty) row; its problems go to the report. None for a bad row."""
    out: dict[str, Any] = {}
    bad = False
    for i, col in header.mapping.items():
        if col.parse == "info":
            continue
        raw = values[i] if i < len(values) else None
        text = cell_text(raw)
        if not text:
            if col.required:
                report.add(SheetProblem(n, col.header, _("required, but empty."), sheet.title))
                bad = True
            out[col.key] = _empty_value(col)
            continue
        try:
            out[col.key] = _parse_cell(
                col,
                raw,
                text,
                formats[i] if i < len(formats) else "",
                header.units.get(col.key, Decimal(1)),
                ctx,
            )
        except _Bad as exc:
            report.add(SheetProblem(n, col.header, str(exc), sheet.title))
            bad = True
    bad = _row_rules(sheet, n, out, report) or bad
    return None if bad else _Row(sheet.spec.kind, sheet.title, n, out)


def _row_rules(sheet: _Sheet, n: int, v: dict[str, Any], report: SheetReport) -> bool:
    """Rules between the cells of one row. True when the row is bad."""
    bad = False

    def problem(column: str, message: str) -> None:
        nonlocal bad
        report.add(SheetProblem(n, column, message, sheet.title))
        bad = True

    for name, ident, label_name, label_id in (
        ("tenderer_name", "tenderer_id", "招标人名称", "招标人统一社会信用代码"),
        ("agency_name", "agency_id", "代理机构名称", "代理机构统一社会信用代码"),
    ):
        if v.get(name) and not v.get(ident) and ident in v:
            problem(label_id, _("required when %(other)s is given.") % {"other": label_name})
        elif (v.get(ident) and not v.get(name) and name in v) or (v.get(ident) and name not in v):
            problem(label_name, _("required when %(other)s is given.") % {"other": label_id})
    if v.get("pm_certificate") and not v.get("pm_name"):
        problem("项目经理", _("required when %(other)s is given.") % {"other": "项目经理证书号"})
    if sheet.spec.kind == PROJECTS and not v.get("lot_no"):
        filled = [
            c.header
            for c in LOT_COLUMNS[1:]
            if v.get(c.key) not in (None, "", [])  # an empty lot part: a project without lots
        ]
        if filled:
            problem(
                "标段编号",
                _("the row has lot columns (%(columns)s) but no lot number.")
                % {"columns": "、".join(filled)},
            )
    if sheet.spec.kind == PROJECTS and v.get("lot_no") and not v.get("lot_name"):
        problem("标段名称", _("required when %(other)s is given.") % {"other": "标段编号"})
    return bad


# -- the spool: rows and bundles put aside on disk -------------------------------------------------


class _Spool:
    """A temporary SQLite file: the checked rows by project, then the bundles to write."""

    def __init__(self) -> None:
        fd, path = tempfile.mkstemp(prefix="tw-sheet-", suffix=".sqlite3")
        os.close(fd)
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute(
            "CREATE TABLE rows (code TEXT, k INTEGER, sheet TEXT, row INTEGER, data BLOB)"
        )
        self.db.execute(
            "CREATE TABLE bundles (seq INTEGER PRIMARY KEY, ext TEXT, data BLOB, origin BLOB)"
        )
        self._buffer: list[tuple[Any, ...]] = []

    def add_row(self, row: _Row) -> None:
        data = pickle.dumps(row.values, protocol=pickle.HIGHEST_PROTOCOL)
        self._buffer.append((row.values["code"], KIND_ORDER[row.kind], row.sheet, row.row, data))
        if len(self._buffer) >= 2000:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self.db.executemany("INSERT INTO rows VALUES (?, ?, ?, ?, ?)", self._buffer)
            self._buffer = []

    def groups(self) -> Iterator[tuple[str, list[_Row]]]:
        """The rows of each project code together, in file order."""
        self._flush()
        self.db.execute("CREATE INDEX rows_code ON rows (code, k, row)")
        kinds = {v: k for k, v in KIND_ORDER.items()}
        code: str | None = None
        group: list[_Row] = []
        cursor = self.db.execute("SELECT code, k, sheet, row, data FROM rows ORDER BY code, k, row")
        while batch := cursor.fetchmany(1000):
            for c, k, sheet, n, data in batch:
                if c != code and group:
                    yield code or "", group
                    group = []
                code = c
                group.append(_Row(kinds[k], sheet, n, pickle.loads(data)))  # noqa: S301 (ours)
        if group:
            yield code or "", group

    def add_bundle(self, bundle: ProcessBundle, origin: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO bundles (ext, data, origin) VALUES (?, ?, ?)",
            (
                bundle.external_id,
                pickle.dumps(bundle, protocol=pickle.HIGHEST_PROTOCOL),
                pickle.dumps(origin, protocol=pickle.HIGHEST_PROTOCOL),
            ),
        )

    def bundles(self) -> Iterator[ProcessBundle]:
        last = 0
        while True:
            batch = self.db.execute(
                "SELECT seq, data FROM bundles WHERE seq > ? ORDER BY seq LIMIT 200", (last,)
            ).fetchall()
            if not batch:
                return
            for seq, data in batch:
                last = seq
                yield pickle.loads(data)  # noqa: S301 (written by this import)

    def origin(self, external_id: str) -> dict[str, Any]:
        found = self.db.execute(
            "SELECT origin FROM bundles WHERE ext = ? ORDER BY seq LIMIT 1", (external_id,)
        ).fetchone()
        return pickle.loads(found[0]) if found else {}  # noqa: S301 (written by this import)

    def close(self) -> None:
        self.db.close()
        Path(self.path).unlink(missing_ok=True)


# -- comparing with the ledger ---------------------------------------------------------------------

PROJECT_KEYS = (*services.PROJECT_FIELDS, "tenderer_id", "agency_id")
LOT_KEYS = {  # column key → Lot field
    "lot_name": "name",
    "lot_estimated_amount": "estimated_amount",
    "ceiling_price": "ceiling_price",
    "bid_security": "bid_security",
    "lot_currency": "currency",
    "qualification_requirements": "qualification_requirements",
}
BID_KEYS = (*services.BID_FIELDS, "bidder_id", "pm", "consortium")
HEADER_OF = {c.key: c.header for spec in SPECS.values() for c in spec.columns}
HEADER_OF.update({"lot_currency": "币种", "pm": "项目经理", "consortium": "联合体成员"})


def _same(a: Any, b: Any) -> bool:
    a = "" if a is None else a
    b = "" if b is None else b
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _differing(have: Mapping[str, Any], want: Mapping[str, Any]) -> list[str]:
    return [k for k, v in want.items() if not _same(have.get(k), v)]


def lot_label(lot: Lot, numbers: Counter[str]) -> str:
    """How a file names a lot: its number when that is unique in the project, else its id."""
    return lot.number if lot.number and numbers[lot.number] == 1 else lot.external_id


@dataclass
class _StoredBid:
    bid: Bid
    values: dict[str, Any]
    names: dict[str, str]  # bidder and member names


@dataclass
class _Stored:
    """What the ledger holds of one project."""

    project: Project
    lots: list[Lot]
    bids: dict[int, list[_StoredBid]] = field(default_factory=dict)  # lot id →
    events: dict[str, list[ProcedureEvent]] = field(default_factory=dict)  # external id →

    @property
    def writable(self) -> bool:
        return self.project.source.startswith(SOURCE_PREFIX)

    def lot(self, label: str) -> Lot | None:
        by_number = [lot for lot in self.lots if lot.number == label]
        if len(by_number) == 1:
            return by_number[0]
        return next((lot for lot in self.lots if lot.external_id == label), None)

    def values(self) -> dict[str, Any]:
        p = self.project
        out = {name: getattr(p, name) for name in services.PROJECT_FIELDS}
        out["tenderer_id"] = (p.tenderer.scheme, p.tenderer.identifier) if p.tenderer else None
        out["agency_id"] = (p.agency.scheme, p.agency.identifier) if p.agency else None
        out["tenderer_name"] = p.tenderer.name if p.tenderer else ""
        out["agency_name"] = p.agency.name if p.agency else ""
        out["version"] = p.version
        return out


def _bid_values(bid: Bid, members: list[tuple[str, str, str]]) -> dict[str, Any]:
    values = {name: getattr(bid, name) for name in services.BID_FIELDS}
    values["bidder_id"] = (bid.bidder.scheme, bid.bidder.identifier)
    pm = bid.project_manager
    values["pm"] = (pm.name, pm.certificate_no) if pm else None
    values["consortium"] = sorted((s, i) for s, i, _n in members)
    return values


def _load(codes: list[str], *, bids: bool, events: bool) -> dict[str, list[_Stored]]:
    """The ledger's projects with these codes (a code may be held by several sources)."""
    out: dict[str, list[_Stored]] = defaultdict(list)
    by_id: dict[int, _Stored] = {}
    for project in Project.objects.filter(code__in=codes).select_related("tenderer", "agency"):
        stored = _Stored(project, [])
        out[project.code].append(stored)
        by_id[project.pk] = stored
    if not by_id:
        return out
    lots_by_id: dict[int, Lot] = {}
    for lot in Lot.objects.filter(project_id__in=list(by_id)).order_by("pk"):
        by_id[lot.project_id].lots.append(lot)
        lots_by_id[lot.pk] = lot
    if bids and lots_by_id:
        members: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
        through = Bid.consortium_members.through
        for bid_id, scheme, identifier, name in (
            through.objects.filter(bid__lot__project_id__in=list(by_id))
            .order_by("pk")
            .values_list(
                "bid_id", "marketentity__scheme", "marketentity__identifier", "marketentity__name"
            )
        ):
            members[bid_id].append((scheme, identifier, name))
        for bid in (
            Bid.objects.filter(lot__project_id__in=list(by_id))
            .select_related("bidder", "project_manager")
            .order_by("pk")
        ):
            stored = by_id[lots_by_id[bid.lot_id].project_id]
            names = {f"{s}:{i}": n for s, i, n in members[bid.pk]}
            stored.bids.setdefault(bid.lot_id, []).append(
                _StoredBid(bid, _bid_values(bid, members[bid.pk]), names)
            )
    if events:
        for event in ProcedureEvent.objects.filter(project_id__in=list(by_id)).order_by(
            "version", "pk"
        ):
            by_id[event.project_id].events.setdefault(event.external_id, []).append(event)
    return out


def event_external_id(code: str, kind: str, lot: str, occurred_at: dt.datetime) -> str:
    """The external id of a procedure step a file gives without one: stable for the same
    project, step, lot and time (so a re-import finds it), unique across projects."""
    stamp = occurred_at.astimezone(CHINA).strftime("%Y%m%dT%H%M%S")
    text = f"{code}/{kind}/{lot or '-'}/{stamp}"
    if len(text) <= 100:
        return text
    return "sheet-" + hashlib.sha256(text.encode()).hexdigest()[:40]


@dataclass
class _Parts:
    """What one project's rows bring, decided against the ledger."""

    project: dict[str, Any] | None = None  # schema dict of the project (None: unchanged)
    version: int = 0
    lots: list[tuple[dict[str, Any], tuple[str, int]]] = field(default_factory=list)
    bids: list[tuple[dict[str, Any], tuple[str, int]]] = field(default_factory=list)
    events: list[tuple[dict[str, Any], tuple[str, int]]] = field(default_factory=list)
    changed_rows: list[tuple[str, int, str]] = field(default_factory=list)  # sheet, row, column


def _entity(ident: tuple[str, str] | None, name: str) -> dict[str, Any] | None:
    if not ident:
        return None
    return {"scheme": ident[0], "identifier": ident[1], "name": name or ident[1]}


class _Planner:
    """Turns the rows of each project into what to write, or into problems."""

    def __init__(self, report: SheetReport, spool: _Spool, source: str) -> None:
        self.report = report
        self.spool = spool
        self.source = source

    def problem(self, row: _Row, column: str, message: str) -> None:
        self.report.add(SheetProblem(row.row, column, message, row.sheet))

    # The stored project a code names.
    def resolve(self, code: str, rows: list[_Row], candidates: list[_Stored]) -> _Stored | None:
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        mine = [s for s in candidates if s.project.source == self.source]
        if len(mine) == 1:
            return mine[0]
        self.problem(
            rows[0],
            CODE.header,
            _(
                "the ledger holds several projects with code %(code)s (sources %(sources)s); "
                "the file cannot say which one it means."
            )
            % {"code": code, "sources": "、".join(s.project.source for s in candidates)},
        )
        return None

    def plan(self, code: str, rows: list[_Row], candidates: list[_Stored]) -> None:
        before = self.report.problems_total
        stored = self.resolve(code, rows, candidates)
        if before != self.report.problems_total:
            return
        by_kind: dict[str, list[_Row]] = defaultdict(list)
        for row in rows:
            by_kind[row.kind].append(row)
        project_rows = by_kind[PROJECTS]
        if stored is None and not project_rows:
            for row in rows:
                self.problem(
                    row,
                    CODE.header,
                    _(
                        "no project with code %(code)s, neither in this file nor in the ledger; "
                        "import the project first (template 项目与标段)."
                    )
                    % {"code": code},
                )
            return
        parts = _Parts()
        project_values, stale = self._project(code, project_rows, stored, parts)
        # The lots of an older version of the project are as old: left out like its columns.
        lot_rows = [*([] if stale else project_rows), *by_kind[LOTS]]
        lots = self._lots(code, lot_rows, stored, parts)
        self._bids(code, by_kind[BIDS], stored, lots, parts)
        self._events(code, by_kind[EVENTS], stored, lots, parts)
        if self.report.problems_total != before:
            return
        self._emit(code, rows, stored, project_values, parts)

    # -- the project --------------------------------------------------------------------------

    def _project(
        self, code: str, rows: list[_Row], stored: _Stored | None, parts: _Parts
    ) -> tuple[dict[str, Any], bool]:
        """The project's values as they will be, and whether the rows are of an older version
        than the ledger's (then ignored); records a change in `parts`."""
        have = stored.values() if stored is not None else {}
        if not rows:
            return have, False
        first = rows[0]
        keys = [k for k in first.values if k in PROJECT_KEYS or k in ("version", "tenderer_name")]
        keys += [k for k in ("agency_name",) if k in first.values]
        for row in rows[1:]:
            for k in keys:
                if k in row.values and not _same(row.values[k], first.values.get(k)):
                    self.problem(
                        row,
                        HEADER_OF[k],
                        _("differs from row %(row)s of the same project %(code)s.")
                        % {"row": first.row, "code": code},
                    )
                    break
        given = {k: first.values[k] for k in keys if k in first.values}
        explicit = given.pop("version", None)
        want = {**have, **given}
        if stored is None:
            parts.version = explicit or 1
            self.report.counts["projects_new"] += 1
            return want, False
        current = stored.project.version
        if explicit is not None and explicit < current:
            self.report.counts["rows_older_version"] += len(rows)
            return have, True
        differing = _differing(have, {k: want[k] for k in PROJECT_KEYS})
        if explicit is not None and explicit == current and differing:
            self.problem(
                first,
                VERSION.header,
                _(
                    "version %(version)s of project %(code)s is already in the ledger with "
                    "other content (%(columns)s); write version %(next)s or leave it empty."
                )
                % {
                    "version": explicit,
                    "code": code,
                    "columns": "、".join(HEADER_OF.get(k, k) for k in differing),
                    "next": current + 1,
                },
            )
            return have, False
        if differing or (explicit is not None and explicit > current):
            parts.changed_rows.append(
                (first.sheet, first.row, HEADER_OF.get(differing[0], "") if differing else "")
            )
            parts.version = max(parts.version, explicit or 0)
            parts.project = want
        return want, False

    # -- lots ---------------------------------------------------------------------------------

    def _lots(
        self, code: str, rows: list[_Row], stored: _Stored | None, parts: _Parts
    ) -> dict[str, str]:
        """{label in the file: lot external id} of the file's and the ledger's lots."""
        known: dict[str, str] = {}
        numbers = Counter(lot.number for lot in stored.lots) if stored else Counter()
        if stored is not None:
            for lot in stored.lots:
                known[lot_label(lot, numbers)] = lot.external_id
                known.setdefault(lot.external_id, lot.external_id)
                if lot.number:
                    known.setdefault(lot.number, lot.external_id)
        seen: dict[str, _Row] = {}
        for row in rows:
            label = row.values.get("lot_no") or ""
            if not label:
                continue
            if label in seen:
                self.problem(
                    row,
                    LOT_NO.header,
                    _("lot %(lot)s of project %(code)s is also on row %(row)s.")
                    % {"lot": label, "code": code, "row": seen[label].row},
                )
                continue
            seen[label] = row
            match = stored.lot(label) if stored is not None else None
            given = {
                field_name: row.values[key]
                for key, field_name in LOT_KEYS.items()
                if key in row.values
            }
            if match is None:
                values = {
                    "external_id": label,
                    "number": label,
                    "name": given.get("name", ""),
                    "estimated_amount": given.get("estimated_amount"),
                    "ceiling_price": given.get("ceiling_price"),
                    "bid_security": given.get("bid_security"),
                    "currency": given.get("currency") or row.values.get("currency") or "CNY",
                    "qualification_requirements": given.get("qualification_requirements", []),
                }
                parts.lots.append((values, (row.sheet, row.row)))
                parts.changed_rows.append((row.sheet, row.row, LOT_NO.header))
                self.report.counts["lots_new"] += 1
                known[label] = label
                continue
            have = {name: getattr(match, name) for name in services.LOT_FIELDS}
            differing = _differing(have, given)
            if differing:
                values = {"external_id": match.external_id, **have, **given}
                parts.lots.append((values, (row.sheet, row.row)))
                parts.changed_rows.append(
                    (row.sheet, row.row, HEADER_OF[_key_of_lot(differing[0])])
                )
                self.report.counts["lots_changed"] += 1
            else:
                self.report.counts["lots_unchanged"] += 1
            known[label] = match.external_id
        return known

    def _lot_of(self, row: _Row, code: str, lots: dict[str, str], required: bool) -> str | None:
        label = row.values.get("lot_no") or ""
        if not label:
            if required:
                self.problem(row, LOT_NO.header, _("required, but empty."))
            return None
        found = lots.get(label)
        if found is None:
            self.problem(
                row,
                LOT_NO.header,
                _("project %(code)s has no lot %(lot)s, neither in this file nor in the ledger.")
                % {"code": code, "lot": label},
            )
        return found

    # -- bids ---------------------------------------------------------------------------------

    def _bids(
        self,
        code: str,
        rows: list[_Row],
        stored: _Stored | None,
        lots: dict[str, str],
        parts: _Parts,
    ) -> None:
        stored_lots = {lot.external_id: lot for lot in stored.lots} if stored else {}
        seen: dict[tuple[str, str], _Row] = {}
        for row in rows:
            lot_ext = self._lot_of(row, code, lots, required=True)
            if lot_ext is None:
                continue
            v = row.values
            bidder = v["bidder_id"]
            lot = stored_lots.get(lot_ext)
            have_bids = stored.bids.get(lot.pk, []) if stored is not None and lot else []
            match: _StoredBid | None = None
            if v.get("bid_id"):
                match = next((b for b in have_bids if b.bid.external_id == v["bid_id"]), None)
            else:
                same_bidder = [b for b in have_bids if b.values["bidder_id"] == bidder]
                if len(same_bidder) > 1:
                    self.problem(
                        row,
                        "投标编号",
                        _(
                            "the ledger holds %(n)s bids of this bidder in lot %(lot)s; write "
                            "the bid number to say which one."
                        )
                        % {"n": len(same_bidder), "lot": v["lot_no"]},
                    )
                    continue
                match = same_bidder[0] if same_bidder else None
            external_id = (
                match.bid.external_id
                if match
                else v.get("bid_id") or identifier_text(*bidder)[:100]
            )
            if (lot_ext, external_id) in seen:
                self.problem(
                    row,
                    "投标编号" if v.get("bid_id") else "投标人统一社会信用代码",
                    _("the same bid is also on row %(row)s.")
                    % {"row": seen[(lot_ext, external_id)].row},
                )
                continue
            seen[(lot_ext, external_id)] = row
            self._bid(row, lot_ext, external_id, match, parts)

    def _bid(
        self,
        row: _Row,
        lot_ext: str,
        external_id: str,
        match: _StoredBid | None,
        parts: _Parts,
    ) -> None:
        v = row.values
        given: dict[str, Any] = {k: v[k] for k in services.BID_FIELDS if k in v}
        given["bidder_id"] = v["bidder_id"]
        if "pm_name" in v or "pm_certificate" in v:
            name = v.get("pm_name") or ""
            given["pm"] = (name, v.get("pm_certificate") or "") if name else None
        if "consortium" in v:
            given["consortium"] = sorted((s, i) for s, i, _n in v["consortium"])
        explicit = v.get("version")
        names = {f"{s}:{i}": n for s, i, n in v.get("consortium") or []}
        if match is None:
            version = explicit or 1
            blank = {
                k: EMPTY.get(k, None if k in _NONE_FIELDS else "") for k in services.BID_FIELDS
            }
            values = {**blank, **given}
            differing = ["bidder_id"]
            self.report.counts["bids_new"] += 1
        else:
            current = match.bid.version
            if explicit is not None and explicit < current:
                self.report.counts["rows_older_version"] += 1
                return
            differing = _differing(match.values, given)
            if explicit is not None and explicit == current:
                if differing:
                    self.problem(
                        row,
                        VERSION.header,
                        _(
                            "version %(version)s of this bid is already in the ledger with "
                            "other content (%(columns)s); write version %(next)s or leave it "
                            "empty."
                        )
                        % {
                            "version": explicit,
                            "columns": "、".join(HEADER_OF.get(k, k) for k in differing),
                            "next": current + 1,
                        },
                    )
                else:
                    self.report.counts["bids_unchanged"] += 1
                return
            if not differing and explicit is None:
                self.report.counts["bids_unchanged"] += 1
                return
            version = explicit or current + 1
            values = {**match.values, **given}
            names = {**match.names, **names}
            self.report.counts["bids_changed"] += 1
        parts.changed_rows.append(
            (row.sheet, row.row, HEADER_OF.get(differing[0], "") if differing else "")
        )
        bid: dict[str, Any] = {
            "lot_external_id": lot_ext,
            "external_id": external_id,
            "version": version,
            **{k: values[k] for k in services.BID_FIELDS},
            "bidder": _entity(values["bidder_id"], v.get("bidder_name", "")),
            "project_manager": (
                {"name": values["pm"][0], "certificate_no": values["pm"][1]}
                if values.get("pm")
                else None
            ),
            "consortium_members": [
                _entity((s, i), names.get(f"{s}:{i}", ""))
                for s, i in values.get("consortium") or []
            ],
        }
        parts.bids.append((bid, (row.sheet, row.row)))

    # -- procedure events ---------------------------------------------------------------------

    def _events(
        self,
        code: str,
        rows: list[_Row],
        stored: _Stored | None,
        lots: dict[str, str],
        parts: _Parts,
    ) -> None:
        seen: dict[tuple[str, int | None], _Row] = {}
        lot_ext_of = {lot.pk: lot.external_id for lot in stored.lots} if stored else {}
        source = stored.project.source if stored is not None else self.source
        for row in rows:
            v = row.values
            lot_ext = self._lot_of(row, code, lots, required=False)
            if v.get("lot_no") and lot_ext is None:
                continue
            external_id = v.get("external_id") or event_external_id(
                code, v["kind"], v.get("lot_no") or "", v["occurred_at"]
            )
            explicit = v.get("version")
            key = (external_id, explicit)
            if key in seen or (external_id, None) in seen:
                self.problem(
                    row,
                    "外部编号" if v.get("external_id") else "环节",
                    _("the same procedure step is also on row %(row)s.")
                    % {"row": (seen.get(key) or seen[(external_id, None)]).row},
                )
                continue
            seen[key] = row
            want = {
                "kind": v["kind"],
                "occurred_at": v["occurred_at"],
                "lot": lot_ext,
                "note": v.get("note", ""),
            }
            versions = stored.events.get(external_id, []) if stored is not None else []
            version = explicit or 1
            if versions:
                other = [e for e in versions if e.source != source]
                newest = max(versions, key=lambda e: e.version)
                if "note" not in v:  # a column the file leaves out keeps what the ledger holds
                    want["note"] = newest.note
                if "lot_no" not in v:
                    want["lot"] = lot_ext_of.get(newest.lot_id) if newest.lot_id else None

                def same(e: ProcedureEvent, want: dict[str, Any] = want) -> bool:
                    have = {
                        "kind": e.kind,
                        "occurred_at": e.occurred_at,
                        "lot": lot_ext_of.get(e.lot_id) if e.lot_id else None,
                        "note": e.note,
                    }
                    return not _differing(have, want)

                given_version = next((e for e in versions if e.version == explicit), None)
                if given_version is not None:
                    if same(given_version):
                        self.report.counts["events_unchanged"] += 1
                    else:
                        self.problem(
                            row,
                            VERSION.header,
                            _(
                                "version %(version)s of procedure step %(id)s is already in the "
                                "ledger with other content; write version %(next)s or leave it "
                                "empty."
                            )
                            % {"version": explicit, "id": external_id, "next": newest.version + 1},
                        )
                    continue
                if explicit is not None and explicit < newest.version:
                    self.report.counts["rows_older_version"] += 1
                    continue
                if explicit is None and same(newest):
                    self.report.counts["events_unchanged"] += 1
                    continue
                if other:
                    self.problem(
                        row,
                        "外部编号",
                        _(
                            "procedure step %(id)s came from %(source)s; correct it there, not "
                            "in a spreadsheet."
                        )
                        % {"id": external_id, "source": other[0].source},
                    )
                    continue
                version = explicit or newest.version + 1
            self.report.counts["events_new"] += 1
            parts.changed_rows.append((row.sheet, row.row, "环节"))
            parts.events.append(
                (
                    {
                        "external_id": external_id,
                        "version": version,
                        "kind": want["kind"],
                        "occurred_at": want["occurred_at"],
                        "lot_external_id": want["lot"],
                        "note": want["note"],
                    },
                    (row.sheet, row.row),
                )
            )

    # -- the bundle ---------------------------------------------------------------------------

    def _emit(
        self,
        code: str,
        rows: list[_Row],
        stored: _Stored | None,
        values: dict[str, Any],
        parts: _Parts,
    ) -> None:
        changed = stored is None or bool(parts.project or parts.lots or parts.bids or parts.events)
        if not changed:
            self.report.counts["projects_unchanged"] += 1
            return
        if stored is not None and not stored.writable:
            for sheet, n, column in parts.changed_rows or [(rows[0].sheet, rows[0].row, "")]:
                self.report.add(
                    SheetProblem(
                        n,
                        column,
                        _(
                            "project %(code)s came from %(source)s; a spreadsheet may repeat it "
                            "unchanged but not change or add to it (this row differs from the "
                            "ledger). Correct it where it came from."
                        )
                        % {"code": code, "source": stored.project.source},
                        sheet,
                    )
                )
            return
        if stored is not None:
            self.report.counts["projects_updated"] += 1
            version = max(stored.project.version + 1, parts.version)
            source, external_id = stored.project.source, stored.project.external_id
        else:
            version = parts.version or 1
            source, external_id = self.source, code
        project = {
            "external_id": external_id,
            "version": version,
            **{k: values.get(k) for k in services.PROJECT_FIELDS},
            "tenderer": _entity(values.get("tenderer_id"), values.get("tenderer_name", "")),
            "agency": _entity(values.get("agency_id"), values.get("agency_name", "")),
            "lots": [lot for lot, _o in parts.lots],
        }
        for name in ("currency",):
            project[name] = project[name] or "CNY"
        for name in (
            "ocid",
            "region_code",
            "funding_source",
            "approval_no",
            "approved_scope",
        ):
            project[name] = project[name] or ""
        for name in ("organisation_form", "approved_method", "approved_form"):
            project[name] = project[name] or None
        raw = {
            "source": source,
            "external_id": external_id,
            "project": project,
            "bids": [b for b, _o in parts.bids],
            "events": [e for e, _o in parts.events],
        }
        project_row = next(((r.sheet, r.row) for r in rows if r.kind == PROJECTS), None)
        origin = {
            "code": code,
            "project": project_row or (rows[0].sheet, rows[0].row),
            "lots": [o for _l, o in parts.lots],
            "bids": [o for _b, o in parts.bids],
            "events": [o for _e, o in parts.events],
        }
        try:
            bundle = ProcessBundle.model_validate(raw)
        except ValidationError as exc:
            for error in schemas.field_errors(exc.errors()):
                sheet, n, column = where_in_file(origin, error["field"])
                self.report.add(SheetProblem(n, column, error["message"], sheet))
            return
        self.spool.add_bundle(bundle, origin)


_NONE_FIELDS = {"price", "submitted_at", "client_ip"}


def _key_of_lot(field_name: str) -> str:
    return next((k for k, f in LOT_KEYS.items() if f == field_name), "lot_no")


_FIELD_COLUMNS = {
    "tenderer": "tenderer_id",
    "agency": "agency_id",
    "bidder": "bidder_id",
    "project_manager": "pm_name",
    "consortium_members": "consortium",
    "lot_external_id": "lot_no",
    "external_id": "code",
}
_LOT_FIELD_COLUMNS = {f: k for k, f in LOT_KEYS.items()} | {"external_id": "lot_no"}


def where_in_file(origin: Mapping[str, Any], path: str) -> tuple[str, int, str]:
    """(sheet, row, column) of a field path of a bundle (`bids[3].bidder.identifier`)."""
    m = re.match(r"^(?:project\.)?(lots|bids|events)\[(\d+)\]\.?([a-z_]*)", path)
    if m:
        rows = origin.get(m[1], [])
        index = int(m[2])
        sheet, n = rows[index] if index < len(rows) else origin["project"]
        leaf = m[3]
        if m[1] == "lots":
            key = _LOT_FIELD_COLUMNS.get(leaf, leaf)
        elif m[1] == "events" and leaf == "external_id":
            key = "external_id"
        else:
            key = _FIELD_COLUMNS.get(leaf, leaf)
        return sheet, n, HEADER_OF.get(key, "")
    sheet, n = origin.get("project") or ("", 0)
    leaf = re.sub(r"^project\.", "", path).split(".")[0].split("[")[0]
    key = _FIELD_COLUMNS.get(leaf, leaf)
    return sheet, n, HEADER_OF.get(key, "") if leaf != "external_id" else CODE.header


# -- the import ------------------------------------------------------------------------------------


def _digest(handle: IO[bytes]) -> str:
    handle.seek(0)
    digest = hashlib.sha256()
    while chunk := handle.read(1 << 20):
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()


def source_for(name: str, sha256: str) -> str:
    """The source of the projects a file creates: ``sheet:<name>`` or ``sheet:<hash prefix>``."""
    name = (name or "").strip()
    if name.startswith(SOURCE_PREFIX):
        name = name[len(SOURCE_PREFIX) :]
    return (SOURCE_PREFIX + (name or sha256[:12]))[:60]


def _sheets(
    handle: IO[bytes], kind: str, report: SheetReport
) -> tuple[list[_Sheet], Callable[[], None]]:
    """The sheets of a file to read, by its content: an .xlsx workbook, else CSV."""
    handle.seek(0)
    magic = handle.read(8)
    handle.seek(0)
    if magic.startswith(b"PK\x03\x04"):
        from openpyxl import load_workbook

        report.file_format = "xlsx"
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
            report.add(
                SheetProblem(
                    0, "", _("This is not an Excel (.xlsx) workbook: %(error)s") % {"error": exc}
                )
            )
            return [], lambda: None
        sheets, _unknown = _xlsx_sheets(workbook, kind)
        if not sheets:
            report.add(
                SheetProblem(
                    0,
                    "",
                    _("The workbook has no sheet named %(names)s.")
                    % {"names": "、".join(s.title for s in SPECS.values())},
                )
            )
        return sheets, workbook.close
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        report.add(
            SheetProblem(
                0,
                "",
                _(
                    "This is an old Excel file (.xls); save it as an Excel workbook (.xlsx) or "
                    "as CSV and import that."
                ),
            )
        )
        return [], lambda: None
    report.file_format = "csv"
    if kind == WORKBOOK:
        report.add(
            SheetProblem(
                0,
                "",
                _("A CSV file holds one sheet: say which (projects, bids or procedure steps)."),
            )
        )
        return [], lambda: None
    encoding = _sniff_encoding(handle)
    if encoding == "utf-16":
        report.add(
            SheetProblem(
                0,
                "",
                _("The file is UTF-16 (“Unicode text”); save it as CSV (UTF-8) or CSV and retry."),
            )
        )
        return [], lambda: None
    if encoding is None:
        report.add(
            SheetProblem(
                0,
                "",
                _("The file's encoding is neither UTF-8 nor GBK/GB18030; save it as CSV (UTF-8)."),
            )
        )
        return [], lambda: None
    report.encoding = ENCODING_LABELS[encoding]
    return [_csv_sheet(handle, SPECS[kind], encoding, report)], lambda: None


def sheet_import(
    *,
    actor: Any,
    file: IO[bytes] | str | Path,
    kind: str,
    filename: str = "",
    source: str = "",
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> SheetReport:
    """Import one spreadsheet file: every row, or none. See the module docstring.

    `file` is a path or a binary file object (seekable: it is read more than once). `kind` is
    one of `KINDS` or `WORKBOOK` (every sheet of an .xlsx whose name is ours). `actor` needs
    `ledger.import`; None is the server's operator (command line). `source` names the channel
    of the projects the file creates (default: the file's SHA-256 prefix). `progress(n)` is
    called with the number of rows read so far, now and then.
    """
    if actor is not None:
        ensure_allowed(actor, "ledger.import")
    if kind not in (*KINDS, WORKBOOK):
        raise ValueError(kind)
    if isinstance(file, str | Path):
        with Path(file).open("rb") as handle:
            return sheet_import(
                actor=actor,
                file=handle,
                kind=kind,
                filename=filename or Path(file).name,
                source=source,
                dry_run=dry_run,
                progress=progress,
            )
    sha = _digest(file)
    report = SheetReport(filename=filename, sha256=sha, kind=kind, dry_run=dry_run)
    report.source = source_for(source, sha)
    spool = _Spool()
    try:
        sheets, close = _sheets(file, kind, report)
        try:
            bad_codes = _read(sheets, report, spool, progress)
        finally:
            close()
        if report.structural or (report.problems_total and not report.rows):
            return _finish(report)
        if not report.rows:
            report.add(SheetProblem(0, "", _("The file has no data rows.")))
            return _finish(report)
        _plan(report, spool, bad_codes)
        if report.problems_total or dry_run:
            return _finish(report)
        _write(report, spool, actor=actor)
        return _finish(report)
    finally:
        spool.close()


def _read(
    sheets: list[_Sheet],
    report: SheetReport,
    spool: _Spool,
    progress: Callable[[int], None] | None,
) -> set[str]:
    """Check every row, put the good ones aside; return the project codes of the bad ones."""
    ctx = _Context()
    bad_codes: set[str] = set()
    for sheet in sheets:
        report.sheets.append(sheet.title)
        header = _find_header(sheet, report)
        if header is None:
            report.structural = True
            continue
        code_at = next(i for i, c in header.mapping.items() if c.key == "code")
        for n, values, formats in sheet.rows:
            if not any(cell_text(v) for v in values):
                continue
            report.rows += 1
            if progress is not None and report.rows % 1000 == 0:
                progress(report.rows)
            row = _read_row(sheet, header, n, values, formats, report, ctx)
            if row is None:
                bad_codes.add(cell_text(values[code_at]) if code_at < len(values) else "")
            else:
                spool.add_row(row)
        close = getattr(sheet.rows, "close", None)
        if close is not None:
            close()
    if progress is not None:
        progress(report.rows)
    return bad_codes


def _plan(report: SheetReport, spool: _Spool, bad_codes: set[str]) -> None:
    """Compare every project's rows with the ledger, a chunk of projects at a time."""
    planner = _Planner(report, spool, report.source)
    chunk: list[tuple[str, list[_Row]]] = []
    size = 0

    def flush() -> None:
        kinds = {r.kind for _c, rows in chunk for r in rows}
        stored = _load([c for c, _r in chunk], bids=BIDS in kinds, events=EVENTS in kinds)
        for code, rows in chunk:
            planner.plan(code, rows, stored.get(code, []))
        chunk.clear()

    for code, rows in spool.groups():
        if code in bad_codes:  # its bad rows are reported; comparing the rest would mislead
            continue
        chunk.append((code, rows))
        size += len(rows)
        if len(chunk) >= PLAN_CHUNK_CODES or size >= PLAN_CHUNK_ROWS:
            flush()
            size = 0
    if chunk:
        flush()


def _write(report: SheetReport, spool: _Spool, *, actor: Any) -> None:
    from tenderwatch.ledger.ingest import writer

    result = writer.bundles_write(
        spool.bundles(),
        actor=actor,
        label=f"sheet:{report.filename or report.sha256[:12]}"[:200],
        all_or_nothing=True,
        details={"sheet": report.summary()},
    )
    report.ingest = result
    for refusal in result.refused:
        origin = spool.origin(refusal.external_id)
        sheet, n, column = where_in_file(origin, refusal.where) if origin else ("", 0, "")
        report.add(SheetProblem(n, column, refusal.reason, sheet))
    report.written = result.ok and not result.rolled_back


def _finish(report: SheetReport) -> SheetReport:
    report.problems.sort(key=lambda p: (_sheet_order(p.sheet) if p.sheet else 0, p.row))
    return report


def _sheet_order(title: str) -> int:
    key = _key(title)
    for spec in SPECS.values():
        if key in {_key(n) for n in spec.names}:
            return KIND_ORDER[spec.kind] + 1
    return 9


# -- templates -------------------------------------------------------------------------------------

CSV_ENCODINGS = {"utf-8": "utf-8-sig", "gbk": "gbk"}


def template_csv(kind: str, encoding: str = "utf-8") -> bytes:
    """The header row of a kind's sheet, as Excel writes CSV: UTF-8 with BOM, or GBK."""
    spec = SPECS[kind]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(
        [c.header for c in spec.columns if c.parse != "info"]
    )
    return out.getvalue().encode(CSV_ENCODINGS[encoding])


def template_xlsx(kind: str) -> bytes:
    """An empty sheet with the Chinese headers (required ones marked), drop-down lists, text
    formats where Excel would mangle numbers, a sheet of instructions and one of options."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    spec = SPECS[kind]
    columns = [c for c in spec.columns if c.parse != "info"]
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = spec.title
    ws.append([c.header for c in columns])
    bold, required_font = Font(bold=True), Font(bold=True, color="C00000")
    fill = PatternFill("solid", fgColor="DDEBF7")
    for i, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font, cell.fill = (required_font if col.required else bold), fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = col.width or max(
            12, len(col.header) * 2 + 2
        )
    ws.freeze_panes = "A2"

    options = wb.create_sheet(OPTIONS_SHEET)
    lists = [k for k in NAMES if any(c.parse == k for c in columns)]
    for j, name in enumerate(lists, start=1):
        options.cell(row=1, column=j, value=HEADER_OF_PARSE.get(name, name)).font = bold
        for r, label in enumerate(dict.fromkeys(NAMES[name].values()), start=2):
            options.cell(row=r, column=j, value=label)
        options.column_dimensions[get_column_letter(j)].width = 28
    for i, col in enumerate(columns, start=1):
        letter = get_column_letter(i)
        if col.parse in lists:
            j = lists.index(col.parse) + 1
            count = len(dict.fromkeys(NAMES[col.parse].values()))
            target = (
                f"{OPTIONS_SHEET}!${get_column_letter(j)}$2:${get_column_letter(j)}${count + 1}"
            )
            dv = DataValidation(type="list", formula1=target, allow_blank=True)
            dv.showErrorMessage = False  # codes and other spellings are accepted too
            dv.add(f"{letter}2:{letter}100000")
            ws.add_data_validation(dv)
        if col.parse in ("text", "identifier"):
            for r in range(2, 502):
                ws.cell(row=r, column=i).number_format = "@"
        elif col.parse == "moment":
            for r in range(2, 502):
                ws.cell(row=r, column=i).number_format = "yyyy-mm-dd hh:mm"
        elif col.parse == "day":
            for r in range(2, 502):
                ws.cell(row=r, column=i).number_format = "yyyy-mm-dd"
        elif col.parse == "money":
            for r in range(2, 502):
                ws.cell(row=r, column=i).number_format = "#,##0.00"

    help_ws = wb.create_sheet(INSTRUCTIONS_SHEET, 1)
    help_ws.append(["列名", "是否必填", "说明"])
    for cell in help_ws[1]:
        cell.font, cell.fill = bold, fill
    for col in columns:
        help_ws.append([col.header, "必填" if col.required else "选填", col.note])
    help_ws.append([])
    for title, text in RULES:
        help_ws.append([title, "", text])
    help_ws.column_dimensions["A"].width = 26
    help_ws.column_dimensions["B"].width = 10
    help_ws.column_dimensions["C"].width = 100
    for row in help_ws.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


HEADER_OF_PARSE = {
    "category": "类别",
    "method": "招标方式",
    "form": "组织形式",
    "bid_status": "投标状态",
    "industry": "行业",
    "event_kind": "环节",
}
RULES = [
    (
        "整体导入",
        "整个文件校验通过才导入；任何一行有错，全部不导入，并逐行列出错误（行号与 Excel 一致，"
        "表头为第1行）。",
    ),
    (
        "重复导入",
        "同一文件再次导入不会改变台账：项目按项目编号、标段按标段编号、投标按投标编号（无则按投标人）、"
        "程序环节按外部编号（无则按项目、环节、标段和时间）识别；只写入与台账不同的内容。",
    ),
    (
        "未列出的列",
        "文件中没有的列保留台账中的原值；有该列但单元格为空，表示该项为空。",
    ),
    (
        "日期与时间",
        "写作 2026-03-05 09:30、2026/3/5 或 2026年3月5日，也可以是 Excel 日期单元格；"
        "均为北京时间。",
    ),
    ("金额", "单位为元，不能为负数，最多两位小数；可带千分位逗号。"),
    (
        "统一社会信用代码",
        "按 GB 32100-2015 校验第18位校验码，错误时会提示正确的校验码。",
    ),
    (
        "CSV 文件",
        "可用 Excel 另存为“CSV UTF-8（逗号分隔）”或“CSV（逗号分隔）”（GBK 编码）；"
        "系统自动识别编码。",
    ),
    (
        "其他渠道的项目",
        "由交易平台接口、OCDS 文件或手工录入的项目，表格可以原样重复，但不能修改或补充，"
        "请在原渠道更正。",
    ),
]


def template_filename(kind: str, fmt: str) -> str:
    base = f"{SPECS[kind].title}导入模板"
    return {
        "xlsx": f"{base}.xlsx",
        "csv": f"{base}（UTF-8）.csv",
        "csv-gbk": f"{base}（GBK）.csv",
    }[fmt]
