"""The officer pool (执法人员信息库, REQ-02): who can be dispatched, and the roster spreadsheet —
all or nothing, every bad row named with its reason, export and import round trip."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from tenderwatch.audit.models import AuditEntry
from tenderwatch.core.errors import PermissionDenied
from tenderwatch.org import roster, selectors, services
from tenderwatch.org.models import Department, Officer, OfficerStatus, Specialty
from tenderwatch.org.testing import make_officer

from .conftest import GOOD_ROWS, xlsx

pytestmark = pytest.mark.django_db
D = dt.date


def test_an_expired_certificate_makes_an_officer_undispatchable(district) -> None:
    housing = Department.objects.get(code="housing")
    officer = make_officer("测试甲", housing, "TEST-0001", valid_to=D(2026, 6, 30))
    assert officer.is_dispatchable(D(2026, 6, 30))
    assert not officer.is_dispatchable(D(2026, 7, 1))
    assert not officer.is_dispatchable(D(2023, 12, 31))  # not yet valid
    assert list(selectors.dispatchable_officers(D(2026, 6, 30))) == [officer]
    assert list(selectors.dispatchable_officers(D(2026, 7, 1))) == []


def test_dispatchable_officers_by_status_department_and_specialty(district) -> None:
    housing = Department.objects.get(code="housing")
    water = Department.objects.get(code="water")
    on = D(2026, 11, 28)
    a = make_officer("测试甲", housing, "TEST-0001", specialties=["housing_municipal", "e_bidding"])
    b = make_officer("测试乙", water, "TEST-0002", specialties=["water"])
    make_officer("测试丙", water, "TEST-0003", specialties=["water"], status=OfficerStatus.ON_LEAVE)
    make_officer(
        "测试丁", water, "TEST-0004", specialties=["water"], status=OfficerStatus.SUSPENDED
    )
    assert set(selectors.dispatchable_officers(on)) == {a, b}
    assert list(selectors.dispatchable_officers(on, department=water)) == [b]
    assert list(selectors.dispatchable_officers(on, specialty=Specialty.E_BIDDING)) == [a]
    assert list(selectors.dispatchable_officers(on, specialty=Specialty.WATER)) == [b]
    # "water" must not match inside another code
    e = make_officer("测试戊", housing, "TEST-0005", specialties=["state_assets"])
    assert list(selectors.dispatchable_officers(on, specialty="assets")) == []
    # an inactive department's officers are not dispatched
    water.active = False
    water.save()
    assert set(selectors.dispatchable_officers(on)) == {a, e}


def test_a_good_roster_imports_with_one_audit_entry(district, personas) -> None:
    content = xlsx(GOOD_ROWS)
    report = services.officers_import_xlsx(
        file=content, actor=personas.office_clerk, file_name="名录.xlsx"
    )
    assert report.ok, [str(e) for e in report.errors]
    assert (report.rows, report.created, report.updated, report.unchanged) == (3, 3, 0, 0)
    chen = Officer.objects.get(certificate_number="42110220230001")
    assert chen.department.code == "housing"
    assert chen.specialties == ["housing_municipal", "e_bidding"]
    assert (chen.valid_from, chen.valid_to) == (D(2023, 3, 1), D(2028, 2, 28))
    assert chen.phone == "0713-8600001"
    assert chen.source == f"xlsx:{report.sha256[:16]}"
    zhou = Officer.objects.get(certificate_number="42110220230002")
    assert zhou.department.code == "transport"  # by short name
    wu = Officer.objects.get(certificate_number="42110220230003")
    assert (wu.department.code, wu.status, wu.valid_to) == ("water", "on_leave", D(2024, 12, 31))

    entry = AuditEntry.objects.get(action="org.officer.roster_imported")
    assert entry.actor_name == "office_clerk"
    assert entry.after["file_sha256"] == report.sha256
    assert (entry.after["rows"], entry.after["created"], entry.after["updated"]) == (3, 3, 0)
    assert entry.object_repr == "名录.xlsx"


def test_a_roster_with_one_bad_row_imports_nothing_and_names_that_row(district, personas) -> None:
    rows = [list(r) for r in GOOD_ROWS]
    rows[1][1] = "区城市管理执法局"  # row 3 of the sheet: a department the district does not have
    report = services.officers_import_xlsx(file=xlsx(rows), actor=personas.office_clerk)
    assert not report.ok
    assert report.bad_rows == [3]
    [error] = report.errors
    assert (error.row, error.column) == (3, "所属部门")
    assert "区城市管理执法局" in error.message
    assert not Officer.objects.exists()
    assert not AuditEntry.objects.filter(action="org.officer.roster_imported").exists()


def test_every_bad_row_is_reported_with_its_reason(district, personas) -> None:
    rows = [
        ["", "住建", "42110220239001", "黄冈市人民政府", "2023-01-01", "2027-01-01", "", "", ""],
        [
            "甲",
            "住建",
            "4211 0220 2390 02",
            "黄冈市人民政府",
            "2023-01-01",
            "2022-01-01",
            "",
            "",
            "",
        ],
        ["乙", "住建", "42110220239002", "黄冈市人民政府", "2023-02-30", "2027-01-01", "", "", ""],
        ["丙", "住建", "证号?", "", "2023-01-01", "2027-01-01", "钓鱼", "出差", "电话"],
    ]
    report = services.officers_import_xlsx(file=xlsx(rows), actor=personas.office_clerk)
    where = {(e.row, e.column) for e in report.errors}
    assert (2, "姓名") in where
    assert (3, "有效期止") in where  # expires before it is valid
    assert (4, "执法证号") in where  # the same number as row 3 once spaces are removed
    assert (4, "有效期起") in where  # 30 February
    assert {(5, c) for c in ("执法证号", "发证机关", "专业领域", "状态", "联系电话")} <= where
    assert report.bad_rows == [2, 3, 4, 5]
    assert not Officer.objects.exists()


def test_missing_and_unknown_columns_are_reported(district, personas) -> None:
    headers = [h for h in roster.HEADERS if h != "执法证号"] + ["备注"]
    report = services.officers_import_xlsx(
        file=xlsx([], headers=headers), actor=personas.office_clerk
    )
    assert {(e.row, e.column) for e in report.errors} == {(1, "执法证号"), (1, "备注")}


def test_a_file_that_is_not_xlsx_is_refused(district, personas) -> None:
    report = services.officers_import_xlsx(file=b"name,department\n", actor=personas.office_clerk)
    assert not report.ok and report.errors[0].row is None


def test_a_file_too_large_is_refused_unread(district, personas, monkeypatch) -> None:
    content = xlsx(GOOD_ROWS)
    monkeypatch.setattr(roster, "MAX_BYTES", len(content) - 1)
    upload = io.BytesIO(content)
    upload.size = len(content)  # type: ignore[attr-defined]
    report = services.officers_import_xlsx(file=upload, actor=personas.office_clerk)
    assert [str(e) for e in report.errors] == ["文件超过 0 MB。"]
    assert upload.tell() == 0 and not Officer.objects.exists()


def test_known_officers_are_updated_by_certificate_number(district, personas) -> None:
    services.officers_import_xlsx(file=xlsx(GOOD_ROWS), actor=personas.office_clerk)
    rows = [list(r) for r in GOOD_ROWS]
    rows[0][7] = "暂停执法"
    rows[0][5] = dt.date(2029, 2, 28)
    report = services.officers_import_xlsx(file=xlsx(rows), actor=personas.office_clerk)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    chen = Officer.objects.get(certificate_number="42110220230001")
    assert (chen.status, chen.valid_to) == ("suspended", D(2029, 2, 28))
    entry = AuditEntry.objects.filter(action="org.officer.roster_imported").order_by("-seq")[0]
    assert entry.after["changes"] == {
        "42110220230001": {
            "valid_to": ["2028-02-28", "2029-02-28"],
            "status": ["available", "suspended"],
        }
    }
    assert Officer.objects.count() == 3


def test_export_then_import_changes_nothing(district, personas) -> None:
    services.officers_import_xlsx(file=xlsx(GOOD_ROWS), actor=personas.office_clerk)
    content = services.officers_export_xlsx(actor=personas.housing_officer)
    sheet = load_workbook(io.BytesIO(content))[roster.SHEET]
    assert [c.value for c in sheet[1]] == roster.HEADERS
    assert sheet["A2"].value == "陈静" and sheet["B2"].value == "区住房和城乡建设局"
    assert sheet["G2"].value == "房建市政、电子招投标" and sheet["H2"].value == "在岗"
    assert AuditEntry.objects.get(action="org.officer.roster_exported").after["count"] == 3

    report = services.officers_import_xlsx(file=content, actor=personas.office_clerk)
    assert report.ok, [str(e) for e in report.errors]
    assert (report.rows, report.created, report.updated, report.unchanged) == (3, 0, 0, 3)


def test_a_filtered_export(district, personas) -> None:
    services.officers_import_xlsx(file=xlsx(GOOD_ROWS), actor=personas.office_clerk)
    water = Department.objects.get(code="water")
    officers = selectors.officers_filtered(user=personas.office_clerk, department=water)
    content = services.officers_export_xlsx(actor=personas.office_clerk, officers=officers)
    sheet = load_workbook(io.BytesIO(content))[roster.SHEET]
    assert [r[2] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["42110220230003"]


def test_the_template_lists_the_headers_and_the_departments(district) -> None:
    workbook = load_workbook(io.BytesIO(services.roster_template()))
    assert [c.value for c in workbook[roster.SHEET][1]] == roster.HEADERS
    help_text = [r[0] for r in workbook[roster.HELP_SHEET].iter_rows(values_only=True)]
    assert "区发展和改革局" in help_text and "电子招投标" in help_text
    # the template imports as "no officer", not as an error in some row
    report = services.officers_import_xlsx(file=services.roster_template(), actor=None)
    assert [str(e) for e in report.errors] and report.errors[0].row is None


@pytest.mark.parametrize("who", ["housing_officer", "auditor", "enforcement_officer"])
def test_only_the_office_imports(district, personas, who) -> None:
    with pytest.raises(PermissionDenied):
        services.officers_import_xlsx(file=xlsx(GOOD_ROWS), actor=getattr(personas, who))
    assert not Officer.objects.exists()


def test_officer_status_change_is_audited(district, personas) -> None:
    officer = make_officer("测试甲", Department.objects.get(code="housing"), "TEST-0001")
    services.officer_set_status(
        officer=officer, status=OfficerStatus.ON_LEAVE, actor=personas.office_clerk, note="病假"
    )
    officer.refresh_from_db()
    assert officer.status == "on_leave" and not officer.is_dispatchable(D(2026, 11, 28))
    entry = AuditEntry.objects.get(action="org.officer.status_changed")
    assert (entry.before, entry.after, entry.note) == (
        {"status": "available"},
        {"status": "on_leave"},
        "病假",
    )


def test_the_command_line_imports_and_exports(district, tmp_path: Path) -> None:
    good = tmp_path / "roster.xlsx"
    good.write_bytes(xlsx(GOOD_ROWS))
    call_command("officers", "import", str(good), "--user", "office_clerk", stdout=io.StringIO())
    assert Officer.objects.count() == 3
    out = tmp_path / "out.xlsx"
    call_command("officers", "export", str(out), "--department", "housing", stdout=io.StringIO())
    sheet = load_workbook(out)[roster.SHEET]
    assert sheet.max_row == 2

    rows = [list(r) for r in GOOD_ROWS]
    rows[2][4] = "明年"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx(rows))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("officers", "import", str(bad), stdout=io.StringIO(), stderr=err)
    assert "4" in err.getvalue() and "有效期起" in err.getvalue() and "明年" in err.getvalue()
    assert Officer.objects.get(certificate_number="42110220230003").valid_from == D(2023, 3, 1)
