"""应进必进: importing the approved-projects list, matching it to the ledger, and the page that
shows approved must-tender projects that never entered the platform. REQ-09."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from tenderwatch.audit.models import AuditEntry
from tenderwatch.core.errors import PermissionDenied
from tenderwatch.ledger import approved, testing
from tenderwatch.ledger.identifiers import make_uscc
from tenderwatch.ledger.models import ApprovalType, ApprovedProject, Category

CHINA = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db

OWNER_USCC = make_uscc("11421102MB1234567")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2026, 11, 28, 9, 0, tzinfo=CHINA), tick=False) as t:
        yield t


def row(**kw):
    base = {
        "approval_no": "黄发改审批〔2026〕12号",
        "approval_type": "审批",
        "name": "黄州区禹王片区雨污分流改造工程",
        "owner_name": "黄冈市黄州区住房和城乡建设局",
        "owner_identifier": OWNER_USCC,
        "industry": "房屋建筑和市政",
        "category": "工程",
        "amount": 4500000,
        "state_owned_share": 100,
        "approved_scope": "施工、监理",
        "approved_method": "公开招标",
        "approved_form": "委托招标",
        "approved_on": dt.date(2026, 4, 15),
    }
    base.update(kw)
    return base


def upload(client, data: bytes, name: str = "应进必进清单.xlsx"):
    return client.post(
        reverse("ledger:approved_import"),
        {"file": SimpleUploadedFile(name, data, content_type="application/octet-stream")},
    )


def test_a_450_wan_works_project_that_never_entered_shows_as_not_entered(client, personas) -> None:
    """Done-when: an approved 450万 state-funded works project that never entered the platform
    shows as not entered; one matched by approval number shows as entered."""
    entered = testing.build_project(
        name="黄州区赤壁路改造工程",
        approval_no="黄发改审批〔2026〕8号",
        estimated_amount=Decimal("6000000"),
        seed=71,
    )
    data = approved.build_workbook(
        [
            row(),  # 450万元, 100% state funds, works, never entered
            row(
                approval_no="黄发改审批〔2026〕8号",
                name="黄州区赤壁路改造工程（一期）",
                owner_name=entered.tenderer.name,
                owner_identifier=entered.tenderer.identifier,
                amount=6000000,
            ),
            row(
                approval_no="黄发改备〔2026〕30号",
                approval_type="备案",
                name="黄州区某公司厂房建设项目",
                owner_name="黄冈市某某实业有限公司",
                owner_identifier="",
                amount=30000000,
                state_owned_share=0,
                approved_method="",
                approved_form="",
            ),
        ]
    )
    client.force_login(personas.office_clerk)
    response = upload(client, data)
    assert response.status_code == 200
    report = response.context["report"]
    assert report.written and report.created == 3 and report.not_entered == 1

    never = ApprovedProject.objects.get(approval_no="黄发改审批〔2026〕12号")
    assert never.must_tender is True and "400万元" in never.must_tender_reason
    assert never.matched_project is None and never.amount == Decimal("4500000.00")
    assert never.approval_type == ApprovalType.EXAMINED and never.category == Category.WORKS
    assert never.industry == "housing_municipal"  # 房屋建筑和市政, as the authority list codes it
    matched = ApprovedProject.objects.get(approval_no="黄发改审批〔2026〕8号")
    assert matched.matched_project == entered and matched.match_method == "approval_no"
    # Private funds: 16号令 Arts. 3-4 (loans, infrastructure) decide, which the list does not say.
    private = ApprovedProject.objects.get(approval_no="黄发改备〔2026〕30号")
    assert private.must_tender is None and private.must_tender_reason

    client.force_login(personas.housing_officer)  # every department reads the list
    html = client.get(reverse("ledger:approved_list")).content.decode()
    assert (
        'class="approved-row status-not_entered" data-approval-no="黄发改审批〔2026〕12号"' in html
    )
    assert 'class="approved-row status-entered" data-approval-no="黄发改审批〔2026〕8号"' in html
    assert 'class="approved-row status-unassessed" data-approval-no="黄发改备〔2026〕30号"' in html
    assert reverse("ledger:project_detail", args=[entered.pk]) in html

    only = client.get(reverse("ledger:approved_list"), {"show": "not_entered"})
    shown = [item["ap"].approval_no for item in only.context["items"]]
    assert shown == ["黄发改审批〔2026〕12号"]
    assert list(approved.approved_not_entered()) == [never]


def test_one_import_writes_one_audit_entry_with_the_file_hash(personas) -> None:
    data = approved.build_workbook([row(), row(approval_no="黄发改核准〔2026〕3号")])
    before = AuditEntry.objects.count()
    report = approved.approved_import(actor=personas.office_clerk, data=data, filename="a.xlsx")
    entries = list(AuditEntry.objects.order_by("seq")[before:])
    assert len(entries) == 1
    entry = entries[0]
    assert entry.action == "ledger.approved.imported"
    assert entry.after["sha256"] == hashlib.sha256(data).hexdigest() == report.sha256
    assert entry.after["rows"] == 2 and entry.after["created"] == 2
    assert ApprovedProject.objects.filter(source_file_sha256=report.sha256).count() == 2


def test_a_file_with_a_bad_row_imports_nothing_and_names_each_bad_row(client, personas) -> None:
    ApprovedProject.objects.create(
        approval_no="黄发改审批〔2026〕1号",
        approval_type=ApprovalType.EXAMINED,
        name="已有项目",
        owner_name="某单位",
    )
    data = approved.build_workbook(
        [
            row(approval_no="黄发改审批〔2026〕1号", name="改了名字"),  # good row 2
            row(approval_no="A-3", approved_on="2026-02-30"),  # row 3: no such date
            row(approval_no="A-4", approval_type="许可"),  # row 4: unknown type
            row(approval_no="A-5", amount=-100),  # row 5: negative amount
            row(approval_no="A-6", owner_identifier=OWNER_USCC[:17] + "0"),  # row 6: check char
            row(approval_no="A-7", name=""),  # row 7: required
            row(approval_no="A-3"),  # row 8: duplicate number
        ]
    )
    client.force_login(personas.office_clerk)
    before = AuditEntry.objects.count()
    response = upload(client, data)
    assert response.status_code == 400
    report = response.context["report"]
    assert not report.written
    problems = {(p.row, p.column) for p in report.problems}
    assert problems == {
        (3, "批复日期"),
        (4, "类型"),
        (5, "总投资/估算金额（元）"),
        (6, "统一社会信用代码"),
        (7, "项目名称"),
        (8, "审批/核准/备案文号"),
    }
    # nothing written, not even the good row
    assert ApprovedProject.objects.get(approval_no="黄发改审批〔2026〕1号").name == "已有项目"
    assert ApprovedProject.objects.count() == 1
    assert AuditEntry.objects.count() == before
    html = response.content.decode()
    for p in report.problems:
        assert p.message in html
    uscc_problem = next(p for p in report.problems if p.row == 6)
    assert OWNER_USCC[-1] in uscc_problem.message  # says what the check character should be


def test_reimport_updates_by_approval_number(personas) -> None:
    first = approved.approved_import(
        actor=personas.office_clerk, data=approved.build_workbook([row()])
    )
    assert (first.created, first.updated) == (1, 0)
    second = approved.approved_import(
        actor=personas.office_clerk,
        data=approved.build_workbook(
            [row(approval_no="黄发改审批[2026]12号", amount=3800000), row(approval_no="X-2")]
        ),
    )
    assert (second.created, second.updated) == (1, 1)
    assert ApprovedProject.objects.count() == 2
    ap = ApprovedProject.objects.get(approval_no="黄发改审批〔2026〕12号")
    # 380万元 is below the 400万元 works threshold now
    assert ap.amount == Decimal("3800000.00") and ap.must_tender is False


def test_matching_by_owner_code_and_similar_name(personas) -> None:
    owner = testing.build_entity(
        name="黄冈市黄州区交通运输局", kind="public_body", qualified=False, identifier=OWNER_USCC
    )
    road = testing.build_project(
        name="黄州区路口至堵城公路改扩建工程施工", tenderer=owner, industry="transport", seed=81
    )
    testing.build_project(
        name="黄州区陈策楼镇农村公路安全生命防护工程", tenderer=owner, industry="transport", seed=82
    )
    report = approved.approved_import(
        actor=personas.office_clerk,
        data=approved.build_workbook(
            [
                row(approval_no="N-1", name="黄州区路口至堵城公路改扩建工程"),
                row(approval_no="N-2", name="黄州区禹王街道背街小巷改造工程"),
                row(
                    approval_no="N-3",
                    name="黄州区路口至堵城公路改扩建工程",
                    owner_identifier="",
                    owner_name=owner.name,
                ),
            ]
        ),
    )
    by_no = {r.approval_no: r for r in report.rows}
    assert by_no["N-1"].matched_project == road
    assert by_no["N-1"].match_method == "owner_id_and_name"
    assert by_no["N-2"].matched_project is None  # same owner, another project: no match
    assert by_no["N-3"].matched_project == road
    assert by_no["N-3"].match_method == "owner_name_and_name"
    assert approved.name_similarity("黄州区禹王街道背街小巷改造工程", road.name) < 0.8


def test_a_project_entering_after_the_import_is_matched(personas) -> None:
    approved.approved_import(
        actor=personas.office_clerk,
        data=approved.build_workbook([row(), row(approval_no="黄发改核准〔2026〕5号")]),
    )
    assert approved.approved_not_entered().count() == 2
    # One enters with the same approval number: at once no longer "not entered".
    same = testing.build_project(approval_no="黄发改审批〔2026〕12号", seed=91)
    assert [ap.approval_no for ap in approved.approved_not_entered()] == ["黄发改核准〔2026〕5号"]
    # The other with the number in another bracket style: found by the next matching run.
    other = testing.build_project(approval_no="黄发改核准[2026]5号", seed=92)
    assert approved.approved_rematch(actor=None) == 2
    assert approved.approved_not_entered().count() == 0
    links = dict(ApprovedProject.objects.values_list("approval_no", "matched_project"))
    assert links == {"黄发改审批〔2026〕12号": same.pk, "黄发改核准〔2026〕5号": other.pk}
    assert AuditEntry.objects.filter(action="ledger.approved.rematched").count() == 1
    assert approved.approved_rematch(actor=None) == 0


def test_the_ingest_hook_links_a_new_project_to_its_approval(personas) -> None:
    from django.db import transaction

    approved.approved_import(actor=personas.office_clerk, data=approved.build_workbook([row()]))
    project = testing.build_project(approval_no="黄发改审批【2026】12号", seed=93)
    with transaction.atomic():
        linked = approved.approved_match_for_project(project)
    assert [ap.approval_no for ap in linked] == ["黄发改审批〔2026〕12号"]
    assert ApprovedProject.objects.get().matched_project == project


def test_only_the_office_imports_but_every_department_reads(client, personas) -> None:
    data = approved.build_workbook([row()])
    with pytest.raises(PermissionDenied):
        approved.approved_import(actor=personas.housing_officer, data=data)
    client.force_login(personas.housing_officer)
    assert upload(client, data).status_code == 403
    page = client.get(reverse("ledger:approved_list"))
    assert page.status_code == 200 and page.context["upload_form"] is None
    client.force_login(personas.office_clerk)
    assert client.get(reverse("ledger:approved_list")).context["upload_form"] is not None


def test_the_template_has_the_chinese_headers_and_reads_back(client, personas) -> None:
    client.force_login(personas.transport_officer)
    response = client.get(reverse("ledger:approved_template"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    headers = [c.value for c in wb.worksheets[0][1]]
    assert headers == [
        "审批/核准/备案文号",
        "类型",
        "项目名称",
        "项目单位",
        "统一社会信用代码",
        "行业",
        "类别",
        "总投资/估算金额（元）",
        "国有资金占比（%）",
        "招标范围",
        "招标方式",
        "组织形式",
        "批复日期",
    ]
    assert wb.sheetnames[1] == "填写说明"
    # The empty template is a valid layout without rows.
    parsed = approved.parse_workbook(response.content)
    assert parsed.rows == [] and [p.row for p in parsed.problems] == [0]


def test_amounts_in_wan_percent_cells_title_rows_and_text_dates(personas) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["黄州区2026年审批核准备案项目清单"])  # a title line above the headers
    ws.append(
        [
            "审批/核准/备案文号",
            "类型",
            "项目名称",
            "项目单位",
            "估算金额（万元）",
            "国有资金占比",
            "类别",
            "批复日期",
        ]
    )
    ws.append(
        [
            "W-1",
            "核准",
            "黄州区南湖泵站更新改造工程",
            "黄州区水务投资有限公司",
            450,
            0.6,
            "施工",
            "2026年3月5日",
        ]
    )
    ws["F3"].number_format = "0%"
    out = io.BytesIO()
    wb.save(out)
    parsed = approved.parse_workbook(out.getvalue())
    assert parsed.problems == []
    values = parsed.rows[0].values
    assert parsed.rows[0].row == 3
    assert values["amount"] == Decimal("4500000.00")
    assert values["state_owned_share"] == Decimal("60.00")
    assert values["approved_on"] == dt.date(2026, 3, 5)
    assert values["category"] == Category.WORKS
    assert approved.assess(values).must_tender is True  # 60% state funds: controlling


def test_not_an_excel_file_is_refused_with_a_message(personas) -> None:
    report = approved.approved_import(actor=personas.office_clerk, data=b"name,amount\nx,1\n")
    assert not report.written and report.problems[0].row == 0
    assert ApprovedProject.objects.count() == 0


def test_cli_import_dry_run_and_not_entered(tmp_path, personas) -> None:
    path = tmp_path / "list.xlsx"
    path.write_bytes(approved.build_workbook([row()]))
    out = StringIO()
    call_command("approved", "import", str(path), "--dry-run", stdout=out)
    assert ApprovedProject.objects.count() == 0
    call_command("approved", "import", str(path), "--user", "office_clerk", stdout=out)
    assert ApprovedProject.objects.count() == 1
    out = StringIO()
    call_command("approved", "not-entered", stdout=out)
    assert "黄发改审批〔2026〕12号" in out.getvalue()
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(approved.build_workbook([row(approval_type="许可")]))
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("approved", "import", str(bad), "--user", "office_clerk", stderr=err)
    assert "类型" in err.getvalue()
    template = tmp_path / "t.xlsx"
    call_command("approved", "template", str(template), stdout=StringIO())
    assert load_workbook(template).worksheets[0]["A1"].value == "审批/核准/备案文号"
