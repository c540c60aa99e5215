"""Excel export of the project list's selection: exactly that selection, four sheets, and a
workbook that imports again without changing anything. REQ-05."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from tenderwatch.ledger import export_xlsx, selectors, testing
from tenderwatch.ledger.ingest import tabular
from tenderwatch.ledger.models import Bid, EventKind, MarketEntity, ProcedureEvent, Project

CHINA = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def ledger_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_app_config("ledger").get_models(include_auto_created=True)
    }


def sheet_rows(data: bytes, title: str) -> list[dict[str, object]]:
    ws = load_workbook(io.BytesIO(data), read_only=True)[title]
    rows = list(ws.iter_rows(values_only=True))
    width = len(rows[0])
    return [dict(zip(rows[0], (*row, *[None] * width), strict=False)) for row in rows[1:]]


@pytest.fixture
def three_projects(db):
    housing = testing.build_project(name="黄州区禹王片区雨污分流改造工程", lots=2, seed=11)
    housing2 = testing.build_project(name="黄州区赤壁路改造工程", lots=1, seed=12)
    transport = testing.build_project(
        name="黄州区东湖大道提档升级工程", industry="transport", lots=1, bids_per_lot=4, seed=13
    )
    # A corrected step: the export shows the newest version, as the timeline does.
    opening = transport.events.filter(kind=EventKind.OPENING).first()
    testing.add_event_version(opening, occurred_at=opening.occurred_at + dt.timedelta(hours=1))
    # A consortium bid and a bidder of another identifier scheme.
    bid = Bid.objects.filter(lot__project=housing).first()
    bid.consortium_members.add(
        MarketEntity.objects.create(
            scheme="MD-IDNO", identifier="1003600012345", name="Moldova SRL"
        )
    )
    return housing, housing2, transport


def test_the_export_holds_exactly_the_filtered_selection(client, personas, three_projects):
    _housing, _housing2, transport = three_projects
    client.force_login(personas.housing_officer)
    page = client.get(reverse("ledger:project_list"), {"industry": "transport"})
    link = reverse("ledger:sheet_export") + "?industry=transport"
    assert link in page.content.decode()

    response = client.get(reverse("ledger:sheet_export"), {"industry": "transport"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    data = b"".join(response.streaming_content)
    assert load_workbook(io.BytesIO(data), read_only=True).sheetnames == [
        "项目",
        "标段",
        "投标",
        "程序环节",
    ]
    projects = sheet_rows(data, "项目")
    assert [p["项目编号"] for p in projects] == [transport.code]
    assert projects[0]["行业"] == "交通运输工程" and projects[0]["类别"] == "工程"
    assert projects[0]["登记时间"] == transport.registered_at.astimezone(CHINA).replace(tzinfo=None)
    lots = sheet_rows(data, "标段")
    assert {r["项目编号"] for r in lots} == {transport.code} and len(lots) == 1
    bids = sheet_rows(data, "投标")
    assert len(bids) == Bid.objects.filter(lot__project=transport).count() == 4
    assert {r["投标人统一社会信用代码"] for r in bids} == set(
        Bid.objects.filter(lot__project=transport).values_list("bidder__identifier", flat=True)
    )
    events = sheet_rows(data, "程序环节")
    timeline = list(selectors.timeline(transport))
    assert len(events) == len(timeline)
    assert max(r["版本"] for r in events) == 2


def test_an_exported_workbook_imports_again_without_changes(three_projects, tmp_path):
    out = tmp_path / "export.xlsx"
    counts = export_xlsx.export_workbook(Project.objects.order_by("pk"), out)
    assert counts.projects == 3 and counts.bids == Bid.objects.count()
    before = ledger_counts()
    versions = dict(Project.objects.values_list("code", "version"))

    report = tabular.sheet_import(actor=None, file=out, kind=tabular.WORKBOOK)

    assert report.ok, [str(p) for p in report.problems]
    assert report.counts["projects_unchanged"] == 3
    assert report.counts["bids_unchanged"] == Bid.objects.count()
    assert not (report.counts["bids_new"] or report.counts["events_new"])
    assert ledger_counts() == before
    assert dict(Project.objects.values_list("code", "version")) == versions


def test_round_trip_of_imported_projects_and_a_change_made_in_excel(tmp_path):
    from tenderwatch.ledger.tests.test_tabular import (
        BID_HEADER,
        PROJECT_HEADER,
        bid_rows,
        csv_bytes,
        project_rows,
    )

    for data, kind in (
        (csv_bytes(PROJECT_HEADER, project_rows()), tabular.PROJECTS),
        (csv_bytes(BID_HEADER, bid_rows(4), "gbk"), tabular.BIDS),
    ):
        report = tabular.sheet_import(actor=None, file=io.BytesIO(data), kind=kind)
        assert report.written, [str(p) for p in report.problems]
    out = tmp_path / "export.xlsx"
    export_xlsx.export_workbook(Project.objects.all(), out)
    before = ledger_counts()
    report = tabular.sheet_import(actor=None, file=out, kind=tabular.WORKBOOK)
    assert report.ok and ledger_counts() == before

    wb = load_workbook(out)
    ws = wb["投标"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("投标报价（元）") + 1, value=Decimal("1999999.99"))
    wb.save(out)
    # The row still says 版本 1, which the ledger holds with the old price: refused, with advice.
    report = tabular.sheet_import(actor=None, file=out, kind=tabular.WORKBOOK)
    assert [(p.sheet, p.row, p.column) for p in report.problems] == [("投标", 2, "版本")]
    assert ledger_counts() == before

    ws.cell(row=2, column=header.index("版本") + 1).value = None  # "the next version"
    wb.save(out)
    report = tabular.sheet_import(actor=None, file=out, kind=tabular.WORKBOOK)
    assert report.written, [str(p) for p in report.problems]
    assert report.counts["bids_changed"] == 1 and report.counts["bids_unchanged"] == 3
    assert Bid.objects.filter(price=Decimal("1999999.99"), version=2).count() == 1


def test_the_command_exports_the_filtered_selection(three_projects, tmp_path):
    out = tmp_path / "t.xlsx"
    call_command(
        "sheets", "export", str(out), "--industry", "housing_municipal", stdout=io.StringIO()
    )
    codes = {r["项目编号"] for r in sheet_rows(out.read_bytes(), "项目")}
    assert codes == set(
        Project.objects.filter(industry="housing_municipal").values_list("code", flat=True)
    )


def test_the_export_reads_a_chunk_of_projects_with_a_fixed_number_of_queries(
    three_projects, django_assert_max_num_queries
):
    for seed in range(20, 26):
        testing.build_project(lots=2, seed=seed)
    with django_assert_max_num_queries(8):
        export_xlsx.export_workbook(Project.objects.all(), io.BytesIO())
    assert ProcedureEvent.objects.count() > 50
