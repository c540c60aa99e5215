"""Spreadsheet import (项目与标段, 投标, 程序环节): all-or-nothing per file, a report by row and
column in Chinese, CSV in UTF-8 or GBK, Excel date cells, idempotent re-imports. REQ-05, REQ-21."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from tenderwatch.audit.models import AuditEntry
from tenderwatch.core.errors import PermissionDenied
from tenderwatch.ledger import testing
from tenderwatch.ledger.identifiers import make_uscc, uscc_check_char
from tenderwatch.ledger.ingest import tabular
from tenderwatch.ledger.models import Bid, EventKind, Lot, ProcedureEvent, Project

CHINA = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def uscc(n: int, prefix: str = "91421102MA") -> str:
    return make_uscc(f"{prefix}{n:07d}")


TENDERER = uscc(1, "11421102MB")
AGENCY = uscc(2)

PROJECT_HEADER = [
    "项目编号", "项目名称", "行业", "类别", "招标方式", "组织形式", "招标人名称",
    "招标人统一社会信用代码", "代理机构名称", "代理机构统一社会信用代码", "估算金额（元）",
    "国有资金占比（%）", "标段编号", "标段名称", "最高投标限价（元）", "投标保证金（元）",
    "登记时间",
]  # fmt: skip
BID_HEADER = [
    "项目编号", "标段编号", "投标人名称", "投标人统一社会信用代码", "投标报价（元）", "递交时间",
    "IP地址", "MAC地址", "CA锁号", "投标文件哈希", "文件作者", "保证金账户", "项目经理",
    "项目经理证书号",
]  # fmt: skip
EVENT_HEADER = ["项目编号", "标段编号", "环节", "发生时间", "外部编号", "版本", "备注"]


def project_rows() -> list[list[object]]:
    common = [
        "房屋建筑和市政基础设施工程", "工程", "公开招标", "委托招标",
        "黄冈市黄州区住房和城乡建设局", TENDERER, "湖北鄂东招标代理有限公司", AGENCY,
    ]  # fmt: skip
    return [
        ["HZFJ2026-0101", "黄州区禹王片区雨污分流改造工程", *common, "4500000", "100",
         "1", "施工一标段", "2600000", "52000", "2026/3/2 9:30"],
        ["HZFJ2026-0101", "黄州区禹王片区雨污分流改造工程", *common, "4500000", "100",
         "2", "施工二标段", "1700000", "34000", "2026/3/2 9:30"],
        ["HZJT2026-0102", "黄州区东湖大道提档升级工程", "交通运输工程", "工程", "邀请招标",
         "自行招标", "黄冈市黄州区交通运输局", uscc(3, "11421102MB"), "", "", "1,280,000.50",
         "60%", "A", "东湖大道施工", "", "", "2026-03-05"],
    ]  # fmt: skip


def bid_rows(n: int = 8) -> list[list[object]]:
    rows = []
    for i in range(n):
        lot = "1" if i < n // 2 else "2"
        rows.append(
            [
                "HZFJ2026-0101", lot, f"湖北宏远建设工程有限公司{i}", uscc(100 + i),
                f"{2500000 - i * 1000}.00", f"2026-03-23 09:{10 + i:02d}", f"10.0.0.{i + 1}",
                f"00-1A-2B-3C-4D-{i:02d}", f"CA{i:04d}", f"{i:064x}", f"作者{i}",
                f"6222{i:015d}", f"项目经理{i}", f"鄂1420{i:05d}",
            ]
        )  # fmt: skip
    return rows


def csv_bytes(header: list[str], rows: list[list[object]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(sheets: dict[str, tuple[list[str], list[list[object]]]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for title, (header, rows) in sheets.items():
        ws = wb.create_sheet(title)
        ws.append(header)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def ledger_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_app_config("ledger").get_models(include_auto_created=True)
    }


def run(data: bytes, kind: str, actor=None, **kw) -> tabular.SheetReport:
    return tabular.sheet_import(
        actor=actor, file=io.BytesIO(data), kind=kind, filename=kw.pop("filename", "t.csv"), **kw
    )


def problems(report: tabular.SheetReport) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.message) for p in report.problems]


def import_projects(actor=None) -> tabular.SheetReport:
    report = run(csv_bytes(PROJECT_HEADER, project_rows()), tabular.PROJECTS, actor=actor)
    assert report.written, problems(report)
    return report


# -- the done-when -----------------------------------------------------------------------------


def test_gbk_csv_with_bad_uscc_and_negative_price_changes_nothing(personas) -> None:
    import_projects()
    rows = bid_rows(8)  # Excel rows 2..9
    bad_code = rows[5][3]  # row 7
    wrong = "0" if bad_code[-1] != "0" else "1"
    rows[5][3] = bad_code[:-1] + wrong
    rows[7][4] = "-120000.00"  # row 9
    data = csv_bytes(BID_HEADER, rows, encoding="gbk")
    data.decode("gbk")  # really GBK, and not UTF-8
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    before = ledger_counts()
    audit_before = AuditEntry.objects.count()

    report = run(data, tabular.BIDS, actor=personas.office_clerk)

    assert ledger_counts() == before
    assert AuditEntry.objects.count() == audit_before
    assert not report.written
    assert report.encoding == "GB18030 (GBK)"
    assert [(p.row, p.column) for p in report.problems] == [
        (7, "投标人统一社会信用代码"),
        (9, "投标报价（元）"),
    ]
    uscc_message, price_message = (p.message for p in report.problems)
    assert "校验码" in uscc_message and f"最后一位应为 {bad_code[-1]}" in uscc_message
    assert "负" in price_message
    assert str(report.problems[0]).startswith("投标 · 第 7 行，投标人统一社会信用代码：")


# -- good files, and importing them again --------------------------------------------------------


def test_utf8_bom_csv_imports_and_a_reimport_changes_nothing(personas) -> None:
    data = csv_bytes(PROJECT_HEADER, project_rows())
    assert data.startswith(b"\xef\xbb\xbf")

    report = run(data, tabular.PROJECTS, actor=personas.office_clerk)

    assert report.written and report.ok
    assert report.encoding == "UTF-8 (BOM)"
    assert report.counts["projects_new"] == 2 and report.counts["lots_new"] == 3
    project = Project.objects.get(code="HZFJ2026-0101")
    assert project.source == f"sheet:{report.sha256[:12]}"
    assert project.version == 1
    assert project.industry == "housing_municipal" and project.procurement_method == "open"
    assert project.tenderer.identifier == TENDERER and project.agency.identifier == AGENCY
    assert project.registered_at == dt.datetime(2026, 3, 2, 9, 30, tzinfo=CHINA)
    lots = {lot.number: lot for lot in project.lots.all()}
    assert lots["1"].ceiling_price == Decimal("2600000") and lots["2"].bid_security == 34000
    other = Project.objects.get(code="HZJT2026-0102")
    assert other.estimated_amount == Decimal("1280000.50")
    assert other.state_owned_share == Decimal("60")
    assert other.agency is None and other.organisation_form == "self"
    assert other.registered_at == dt.datetime(2026, 3, 5, tzinfo=CHINA)
    finished = AuditEntry.objects.filter(action="ledger.import.finished").latest("pk")
    assert finished.after["created"] == 2

    before = ledger_counts()
    stamps = dict(Project.objects.values_list("code", "updated_at"))
    again = run(data, tabular.PROJECTS, actor=personas.office_clerk)

    assert again.ok and again.counts["projects_unchanged"] == 2
    assert again.counts["lots_unchanged"] == 3 and not again.counts["lots_new"]
    assert ledger_counts() == before
    assert dict(Project.objects.values_list("code", "updated_at")) == stamps
    assert Project.objects.get(code="HZFJ2026-0101").version == 1


def test_utf8_without_bom_and_bids_with_their_fingerprints(personas) -> None:
    import_projects()
    data = csv_bytes(BID_HEADER, bid_rows(4), encoding="utf-8")
    report = run(data, tabular.BIDS, actor=personas.office_clerk)
    assert report.written, problems(report)
    assert report.encoding == "UTF-8"
    assert report.counts["bids_new"] == 4
    bid = Bid.objects.select_related("bidder", "project_manager").get(bidder__identifier=uscc(101))
    assert bid.lot.number == "1" and bid.external_id == uscc(101)
    assert bid.price == Decimal("2499000.00")
    assert bid.submitted_at == dt.datetime(2026, 3, 23, 9, 11, tzinfo=CHINA)
    assert bid.client_ip == "10.0.0.2" and bid.mac_address == "00-1A-2B-3C-4D-01"
    assert bid.security_account == "6222000000000000001"
    assert bid.project_manager.certificate_no == "鄂142000001"
    project = Project.objects.get(code="HZFJ2026-0101")
    assert project.version == 2  # the bids are the project's next version

    before = ledger_counts()
    again = run(data, tabular.BIDS, actor=personas.office_clerk)
    assert again.ok and again.counts["bids_unchanged"] == 4 and not again.counts["bids_new"]
    assert ledger_counts() == before
    assert Project.objects.get(code="HZFJ2026-0101").version == 2


def test_a_changed_price_is_the_bids_next_version(personas) -> None:
    import_projects()
    rows = bid_rows(4)
    run(csv_bytes(BID_HEADER, rows), tabular.BIDS)
    rows[0][4] = "2400000"
    report = run(csv_bytes(BID_HEADER, rows), tabular.BIDS)
    assert report.written, problems(report)
    assert report.counts["bids_changed"] == 1 and report.counts["bids_unchanged"] == 3
    bid = Bid.objects.get(bidder__identifier=uscc(100))
    assert bid.price == Decimal("2400000") and bid.version == 2
    assert Bid.objects.count() == 4


def test_an_explicit_version_already_stored_with_other_content_is_refused(personas) -> None:
    import_projects()
    header = [*BID_HEADER, "版本"]
    rows = [[*r, 1] for r in bid_rows(2)]
    run(csv_bytes(header, rows), tabular.BIDS)
    rows[1][4] = "1"
    before = ledger_counts()
    report = run(csv_bytes(header, rows), tabular.BIDS)
    assert ledger_counts() == before
    assert [(p.row, p.column) for p in report.problems] == [(3, "版本")]
    assert "版本 2" in report.problems[0].message or "2" in report.problems[0].message


def test_excel_file_with_date_cells_and_events(personas) -> None:
    import_projects()
    opened = dt.datetime(2026, 3, 23, 9, 30)
    rows = [
        ["HZFJ2026-0101", "", "招标公告", dt.datetime(2026, 3, 3, 10, 0), "", None, "首次公告"],
        ["HZFJ2026-0101", "1", "开标", opened, "", None, ""],
        ["HZFJ2026-0101", "2", "opening", opened, "", None, ""],
        ["HZFJ2026-0101", "", "中标候选人公示开始", dt.date(2026, 3, 26), "PUB-1", 1, ""],
    ]
    data = xlsx_bytes({"程序环节": (EVENT_HEADER, rows)})
    report = run(data, tabular.EVENTS, filename="环节.xlsx")
    assert report.written, problems(report)
    assert report.file_format == "xlsx" and report.counts["events_new"] == 4
    events = ProcedureEvent.objects.filter(project__code="HZFJ2026-0101")
    opening = events.get(kind=EventKind.OPENING, lot__number="1")
    assert opening.occurred_at == opened.replace(tzinfo=CHINA)
    publicity = events.get(external_id="PUB-1")
    assert publicity.occurred_at == dt.datetime(2026, 3, 26, tzinfo=CHINA)
    assert events.get(kind=EventKind.ANNOUNCEMENT).note == "首次公告"
    assert Project.objects.get(code="HZFJ2026-0101").status == "publicity"

    before = ledger_counts()
    again = run(data, tabular.EVENTS, filename="环节.xlsx")
    assert again.ok and again.counts["events_unchanged"] == 4
    assert ledger_counts() == before


def test_a_whole_workbook_of_a_new_project(personas) -> None:
    project = ["HZSL2026-0201", "黄州区白潭湖清淤工程", "水利工程", "工程", "公开招标"]
    data = xlsx_bytes(
        {
            "项目": (["项目编号", "项目名称", "行业", "类别", "招标方式"], [project]),
            "标段": (["项目编号", "标段编号", "标段名称"], [["HZSL2026-0201", "1", "清淤"]]),
            "投标": (BID_HEADER, [["HZSL2026-0201", "1", *bid_rows(1)[0][2:]]]),
            "程序环节": (
                EVENT_HEADER,
                [["HZSL2026-0201", "1", "开标", dt.datetime(2026, 4, 1, 9), "", None, ""]],
            ),
        }
    )
    report = run(data, tabular.WORKBOOK, filename="whole.xlsx")
    assert report.written, problems(report)
    stored = Project.objects.get(code="HZSL2026-0201")
    assert stored.version == 1 and stored.lots.get().bids.count() == 1
    assert stored.events.get().kind == EventKind.OPENING
    again = run(data, tabular.WORKBOOK, filename="whole.xlsx")
    assert again.ok and again.counts["projects_unchanged"] == 1


def test_a_named_source_a_correction_and_an_older_file(personas) -> None:
    data = csv_bytes(PROJECT_HEADER, project_rows())
    report = run(data, tabular.PROJECTS, source="县交易中心")
    assert report.written and report.source == "sheet:县交易中心"
    assert set(Project.objects.values_list("source", flat=True)) == {"sheet:县交易中心"}

    header = [*PROJECT_HEADER, "版本"]
    rows = [[*r, None] for r in project_rows()]
    rows[2][1] = "黄州区东湖大道提档升级工程（二期）"
    report = run(csv_bytes(header, rows), tabular.PROJECTS)
    assert report.written and report.counts["projects_updated"] == 1
    assert report.counts["projects_unchanged"] == 1
    project = Project.objects.get(code="HZJT2026-0102")
    assert project.name.endswith("（二期）") and project.version == 2
    assert project.source == "sheet:县交易中心"  # found by its code, whatever the file's source

    old = [[*r, 1] for r in project_rows()]  # the first file, marked as version 1
    before = ledger_counts()
    report = run(csv_bytes(header, old), tabular.PROJECTS)
    assert report.ok, problems(report)
    assert report.counts["rows_older_version"] == 1
    assert ledger_counts() == before
    assert Project.objects.get(code="HZJT2026-0102").name.endswith("（二期）")


def test_a_refusal_of_the_writer_is_reported_on_its_row(personas) -> None:
    import_projects()
    first = [["HZFJ2026-0101", "", "招标公告", "2026-03-03 10:00", "E-1", 1, ""]]
    assert run(csv_bytes(EVENT_HEADER, first), tabular.EVENTS).written
    # The same external id for another project of the same source: the bulk writer refuses.
    other = [
        ["HZJT2026-0102", "", "项目登记", "2026-03-05 09:00", "", None, ""],
        ["HZJT2026-0102", "", "招标公告", "2026-03-06 10:00", "E-1", 1, ""],
    ]
    before = ledger_counts()
    report = run(csv_bytes(EVENT_HEADER, other), tabular.EVENTS)
    assert ledger_counts() == before
    assert not report.written
    assert [(p.row, p.column) for p in report.problems] == [(3, "外部编号")]


# -- problems the report names -------------------------------------------------------------------


def test_a_missing_header_is_reported_by_name() -> None:
    header = [("信用号" if h == "投标人统一社会信用代码" else h) for h in BID_HEADER]
    report = run(csv_bytes(header, bid_rows(2)), tabular.BIDS)
    assert not report.written
    assert [(p.row, p.column) for p in report.problems] == [(1, "投标人统一社会信用代码")]
    assert "投标人统一社会信用代码" in report.problems[0].message
    assert "信用号" in report.problems[0].message


def test_a_reference_to_an_unknown_project_or_lot_is_reported(personas) -> None:
    import_projects()
    rows = bid_rows(3)
    rows[1][0] = "HZFJ2099-9999"
    rows[2][1] = "9"
    before = ledger_counts()
    report = run(csv_bytes(BID_HEADER, rows), tabular.BIDS)
    assert ledger_counts() == before
    assert [(p.row, p.column) for p in report.problems] == [(3, "项目编号"), (4, "标段编号")]
    assert "HZFJ2099-9999" in report.problems[0].message
    assert "9" in report.problems[1].message


def test_rows_of_one_project_must_agree_and_lots_be_unique() -> None:
    rows = project_rows()
    rows[1][1] = "另一个名称"
    rows[2][12] = "A"
    rows.append(list(rows[2]))
    report = run(csv_bytes(PROJECT_HEADER, rows), tabular.PROJECTS)
    assert [(p.row, p.column) for p in report.problems] == [(3, "项目名称"), (5, "标段编号")]
    assert Project.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("12.345", "估算金额（元）", "两位小数"),
        ("abc", "估算金额（元）", "不是"),
        ("2026-13-40", "登记时间", "日期"),
        ("施工工程类", "类别", "工程、货物、服务"),
    ],
)
def test_cell_problems(text: str, column: str, fragment: str) -> None:
    rows = project_rows()[:1]
    rows[0][PROJECT_HEADER.index(column)] = text
    report = run(csv_bytes(PROJECT_HEADER, rows), tabular.PROJECTS)
    assert [(p.row, p.column) for p in report.problems] == [(2, column)]
    assert fragment in report.problems[0].message


def test_projects_of_other_channels_are_not_changed_from_a_sheet(personas) -> None:
    project = testing.build_project(source="platform-a", lots=1, bids_per_lot=3, seed=7)
    lot = project.lots.get()
    row = [project.code, tabular.lot_label(lot, {lot.number: 1}), "新投标人", uscc(900)]
    row += ["100"] + [""] * (len(BID_HEADER) - 5)
    before = ledger_counts()
    report = run(csv_bytes(BID_HEADER, [row]), tabular.BIDS)
    assert ledger_counts() == before
    assert [(p.row, p.column) for p in report.problems] == [(2, "投标人统一社会信用代码")]
    assert "platform-a" in report.problems[0].message


def test_import_needs_the_import_permission(personas) -> None:
    with pytest.raises(PermissionDenied):
        run(csv_bytes(PROJECT_HEADER, project_rows()), tabular.PROJECTS, personas.housing_officer)
    assert Project.objects.count() == 0


# -- cells ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-05", dt.datetime(2026, 3, 5, tzinfo=CHINA)),
        ("2026/3/5", dt.datetime(2026, 3, 5, tzinfo=CHINA)),
        ("2026/3/5 9:30", dt.datetime(2026, 3, 5, 9, 30, tzinfo=CHINA)),
        ("2026-03-05 09:30:15", dt.datetime(2026, 3, 5, 9, 30, 15, tzinfo=CHINA)),
        ("2026年3月5日 14:00", dt.datetime(2026, 3, 5, 14, tzinfo=CHINA)),
        ("2026-03-05T01:30:00+00:00", dt.datetime(2026, 3, 5, 9, 30, tzinfo=CHINA)),
    ],
)
def test_times_are_china_time(text: str, expected: dt.datetime) -> None:
    assert tabular._moment(text, text) == expected


def test_identifiers_and_members() -> None:
    code = uscc(5)
    assert tabular.parse_identifier(code.lower()) == ("CN-USCC", code)
    assert tabular.parse_identifier("MD-IDNO:1003600012345") == ("MD-IDNO", "1003600012345")
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(tabular._Bad, match=uscc_check_char(code[:17])):
        tabular.parse_identifier(wrong)
    members = [("CN-USCC", code, "甲公司"), ("MD-IDNO", "42", "乙公司")]
    assert tabular.parse_members(tabular.members_text(members)) == members


# -- templates -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [tabular.PROJECTS, tabular.BIDS, tabular.EVENTS])
def test_templates_have_the_headers_and_instructions(kind: str) -> None:
    wb = load_workbook(io.BytesIO(tabular.template_xlsx(kind)))
    spec = tabular.SPECS[kind]
    assert wb.sheetnames[:2] == [spec.title, "填写说明"]
    headers = [c.value for c in wb[spec.title][1]]
    assert all(c.header in headers for c in spec.required())
    assert [r[0].value for r in wb["填写说明"].iter_rows(min_row=2, max_row=len(headers) + 1)] == (
        headers
    )
    utf8 = tabular.template_csv(kind, "utf-8")
    assert utf8.startswith(b"\xef\xbb\xbf")
    gbk = tabular.template_csv(kind, "gbk")
    assert gbk.decode("gbk").strip().split(",") == headers


def test_a_filled_template_imports(personas) -> None:
    wb = load_workbook(io.BytesIO(tabular.template_xlsx(tabular.PROJECTS)))
    ws = wb["项目与标段"]
    headers = [c.value for c in ws[1]]
    values = dict(zip(PROJECT_HEADER, project_rows()[2], strict=True))
    ws.append([values.get(h) for h in headers])
    out = io.BytesIO()
    wb.save(out)
    report = run(out.getvalue(), tabular.PROJECTS, filename="模板.xlsx")
    assert report.written, problems(report)
    assert Project.objects.get(code="HZJT2026-0102").lots.get().number == "A"


# -- the page and the command ----------------------------------------------------------------------


def test_the_upload_page_shows_the_report(client, personas) -> None:
    import_projects()
    client.force_login(personas.office_clerk)
    page = client.get(reverse("ledger:sheet_import"))
    assert page.status_code == 200
    assert reverse("ledger:sheet_template", args=["bids", "csv-gbk"]) in page.content.decode()
    rows = bid_rows(3)
    rows[2][4] = "-5"
    upload = SimpleUploadedFile("投标.csv", csv_bytes(BID_HEADER, rows, "gbk"), "text/csv")
    before = ledger_counts()
    response = client.post(reverse("ledger:sheet_import"), {"kind": "bids", "file": upload})
    assert response.status_code == 400
    assert ledger_counts() == before
    html = response.content.decode()
    assert "投标报价（元）" in html and "GB18030" in html and "<td>4</td>" in html

    good = SimpleUploadedFile("投标.csv", csv_bytes(BID_HEADER, bid_rows(3)), "text/csv")
    response = client.post(reverse("ledger:sheet_import"), {"kind": "bids", "file": good})
    assert response.status_code == 200
    assert Bid.objects.count() == 3


def test_template_downloads(client, personas) -> None:
    client.force_login(personas.housing_officer)
    response = client.get(reverse("ledger:sheet_template", args=["events", "csv-gbk"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=gbk"
    assert response.content.decode("gbk").split("\r\n")[0].split(",") == [
        c.header for c in tabular.EVENT_COLUMNS
    ]
    response = client.get(reverse("ledger:sheet_template", args=["bids", "xlsx"]))
    assert load_workbook(io.BytesIO(response.content)).sheetnames[0] == "投标"
    assert client.get(reverse("ledger:sheet_template", args=["nope", "xlsx"])).status_code == 404


def test_the_upload_page_is_for_those_who_may_import(client, personas) -> None:
    client.force_login(personas.housing_officer)
    assert client.get(reverse("ledger:sheet_import")).status_code in (403, 404)
    upload = SimpleUploadedFile("p.csv", csv_bytes(PROJECT_HEADER, project_rows()), "text/csv")
    response = client.post(reverse("ledger:sheet_import"), {"kind": "projects", "file": upload})
    assert response.status_code in (403, 404)
    assert Project.objects.count() == 0


def test_the_command_imports_and_writes_templates(tmp_path, personas) -> None:
    path = tmp_path / "项目.csv"
    path.write_bytes(csv_bytes(PROJECT_HEADER, project_rows()))
    out = io.StringIO()
    call_command("sheets", "import", str(path), "--kind", "projects", stdout=out)
    assert Project.objects.count() == 2
    call_command("sheets", "import", str(path), "--kind", "projects", stdout=out)
    assert Project.objects.count() == 2
    bad = tmp_path / "bad.csv"
    rows = bid_rows(2)
    rows[1][4] = "-1"
    bad.write_bytes(csv_bytes(BID_HEADER, rows, "gbk"))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("sheets", "import", str(bad), "--kind", "bids", stdout=out, stderr=err)
    assert "3" in err.getvalue() and "投标报价" in err.getvalue()
    template = tmp_path / "t.xlsx"
    call_command("sheets", "template", "events", str(template), stdout=out)
    assert load_workbook(template).sheetnames[0] == "程序环节"
    call_command("sheets", "template", "bids", str(tmp_path / "t.csv"), "--encoding", "gbk")
    assert (tmp_path / "t.csv").read_bytes().decode("gbk").startswith("项目编号")
    assert Lot.objects.count() == 3


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_office_clerk_downloads_the_bids_template_and_uploads_a_bad_file(
    live_server, page, personas, tmp_path
) -> None:
    from tenderwatch.org.testing import PASSWORD

    import_projects()
    page.goto(f"{live_server.url}{reverse('login')}")
    page.get_by_label("用户名").fill("office_clerk")
    page.get_by_label("密码").fill(PASSWORD)
    page.locator(".login-box").get_by_role("button", name="登录").click()
    page.wait_for_load_state()

    page.goto(f"{live_server.url}{reverse('ledger:sheet_import')}")
    with page.expect_download() as info:
        page.locator("a.template-bids-xlsx").click()
    download = info.value
    assert download.suggested_filename == "投标导入模板.xlsx"
    template = tmp_path / "template.xlsx"
    download.save_as(template)

    wb = load_workbook(template)
    ws = wb["投标"]
    headers = [c.value for c in ws[1]]
    for i, row in enumerate(bid_rows(3)):
        values = dict(zip(BID_HEADER, row, strict=True))
        if i == 1:
            values["投标报价（元）"] = "-1"  # row 3
        for j, header in enumerate(headers, start=1):  # typed in as a clerk would, from row 2
            ws.cell(row=2 + i, column=j).value = values.get(header)
    filled = tmp_path / "投标.xlsx"
    wb.save(filled)
    before = ledger_counts()

    page.select_option("select[name=kind]", "bids")
    page.set_input_files("input[name=file]", str(filled))
    page.get_by_role("button", name="导入").click()
    page.wait_for_load_state()

    assert page.get_by_role("alert").inner_text().startswith("文件有 1 个问题")
    problem = page.locator("table.problems tr.problem")
    assert problem.count() == 1
    cells = problem.locator("td").all_inner_texts()
    assert cells[:3] == ["投标", "3", "投标报价（元）"] and "负" in cells[3]
    assert ledger_counts() == before
