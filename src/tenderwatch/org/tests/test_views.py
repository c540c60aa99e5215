"""The organisation's pages, as staff use them (force_login; Chinese is the default language)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from tenderwatch.audit.models import AuditEntry
from tenderwatch.org import roster
from tenderwatch.org.models import AuthorityRule, Department, LeadingGroupMember, Officer
from tenderwatch.org.testing import make_officer
from tenderwatch.web import nav

from .conftest import GOOD_ROWS, xlsx

pytestmark = pytest.mark.django_db


def upload(content: bytes, name: str = "名录.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name,
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def test_every_staff_role_reads_departments_group_and_authority_list(client, district, personas):
    client.force_login(personas.discipline_liaison)
    html = client.get(reverse("org:departments")).content.decode()
    assert "区发展和改革局" in html and "区税务局" in html and "黄州公管委发〔2023〕1号" in html
    assert "共 22 个部门" in html
    html = client.get(reverse("org:leading_group")).content.decode()
    assert "分管公共资源交易监督管理工作的副区长" in html and "尚未填写" in html
    assert "组长" in html and "办公室副主任" in html
    assert reverse("org:group_member_edit", args=[1]) not in html  # no edit links
    html = client.get(reverse("org:authority")).content.decode()
    assert "房屋建筑和市政基础设施工程" in html and "区住房和城乡建设局" in html
    assert "国办发〔2000〕34号" in html
    assert reverse("org:authority_add") not in html


def test_the_competence_question_is_answered_on_the_page(client, district, personas):
    client.force_login(personas.transport_officer)
    page = client.get(
        reverse("org:authority"), {"industry": "government_procurement", "matter_type": "complaint"}
    )
    html = page.content.decode()
    assert "按权责清单，政府采购 · 投诉处理由区财政局（国有资产监督管理局）主管" in html
    page = client.get(reverse("org:authority"), {"industry": "other", "matter_type": ""})
    assert "由领导小组办公室协调" in page.content.decode()


def test_a_housing_officer_cannot_edit_the_authority_list(client, district, personas):
    client.force_login(personas.housing_officer)
    rule = AuthorityRule.objects.get(industry="housing_municipal")
    assert client.get(reverse("org:authority_add")).status_code == 403
    assert client.get(reverse("org:authority_edit", args=[rule.pk])).status_code == 403
    response = client.post(
        reverse("org:authority_edit", args=[rule.pk]),
        {
            "industry": "housing_municipal",
            "department": Department.objects.get(code="transport").pk,
            "legal_basis": "改写",
            "active": "on",
        },
    )
    assert response.status_code == 403
    rule.refresh_from_db()
    assert rule.department.code == "housing" and rule.legal_basis != "改写"
    assert not AuditEntry.objects.filter(action="org.authority_rule.changed").exists()


def test_the_office_adds_and_changes_a_line(client, district, personas):
    client.force_login(personas.office_clerk)
    assert reverse("org:authority_add") in client.get(reverse("org:authority")).content.decode()
    response = client.post(
        reverse("org:authority_add"),
        {
            "industry": "other",
            "matter_type": "tip_off",
            "department": Department.objects.get(code="market_regulation").pk,
            "legal_basis": "测试依据",
            "reason": "测试新增",
        },
    )
    assert response.status_code == 302
    rule = AuthorityRule.objects.get(industry="other")
    assert rule.department.code == "market_regulation" and rule.active
    # a duplicate line is refused with the reason on the form
    again = client.post(
        reverse("org:authority_add"),
        {
            "industry": "other",
            "matter_type": "tip_off",
            "department": rule.department.pk,
            "legal_basis": "重复",
        },
    )
    assert "权责清单中已有区市场监督管理局的这一条" in again.content.decode()
    response = client.post(
        reverse("org:authority_edit", args=[rule.pk]),
        {
            "industry": "other",
            "matter_type": "tip_off",
            "department": rule.department.pk,
            "legal_basis": "测试依据",
            "valid_from": "2026-01-01",
            "valid_to": "2025-01-01",
        },
    )
    assert "截止日期早于起始日期" in response.content.decode()
    response = client.post(
        reverse("org:authority_edit", args=[rule.pk]),
        {
            "industry": "other",
            "matter_type": "tip_off",
            "department": rule.department.pk,
            "legal_basis": "测试依据",
            "reason": "停用",
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert not rule.active  # the unticked box switches the line off
    entry = AuditEntry.objects.get(action="org.authority_rule.changed")
    assert entry.actor_name == "office_clerk" and entry.note == "停用"


def test_the_office_names_a_leading_group_member(client, district, personas):
    post = LeadingGroupMember.objects.get(key="leader")
    client.force_login(personas.housing_officer)
    assert client.get(reverse("org:group_member_edit", args=[post.pk])).status_code == 403
    client.force_login(personas.office_clerk)
    response = client.post(
        reverse("org:group_member_edit", args=[post.pk]),
        {"person_name": "测试甲", "person_title": "副区长", "valid_from": "2023-01-30"},
    )
    assert response.status_code == 302
    html = client.get(reverse("org:leading_group")).content.decode()
    assert "测试甲（副区长）" in html and "2023-01-30" in html
    assert (
        AuditEntry.objects.get(action="org.group_member.changed").after["person_name"] == "测试甲"
    )


def test_the_import_page_shows_the_row_report_in_chinese(client, district, personas):
    client.force_login(personas.office_clerk)
    rows = [list(r) for r in GOOD_ROWS]
    rows[1][1] = "区城市管理执法局"
    rows[2][5] = "2020-01-01"
    response = client.post(reverse("org:officers_import"), {"file": upload(xlsx(rows))})
    html = response.content.decode()
    assert response.status_code == 200
    assert "未导入任何数据：文件有 2 处问题" in html
    assert "第3行" in html and "所属部门" in html
    assert "部门“区城市管理执法局”不存在，请填写系统中部门的全称。" in html
    assert "第4行" in html and "有效期止不能早于有效期起。" in html
    assert not Officer.objects.exists()


def test_a_good_import_shows_a_summary(client, district, personas):
    client.force_login(personas.office_clerk)
    response = client.post(reverse("org:officers_import"), {"file": upload(xlsx(GOOD_ROWS))})
    html = response.content.decode()
    assert "名录已导入。" in html and "共 3 行：新增 3 人，更新 0 人，未变 0 人。" in html
    assert Officer.objects.count() == 3
    assert AuditEntry.objects.get(action="org.officer.roster_imported").object_repr == "名录.xlsx"


def test_only_the_office_opens_the_import_page(client, district, personas):
    client.force_login(personas.housing_officer)
    assert client.get(reverse("org:officers_import")).status_code == 403
    assert (
        client.post(reverse("org:officers_import"), {"file": upload(xlsx(GOOD_ROWS))}).status_code
        == 403
    )
    assert not Officer.objects.exists()


def test_the_roster_filters_and_exports(client, district, personas):
    housing = Department.objects.get(code="housing")
    water = Department.objects.get(code="water")
    import datetime as dt

    make_officer("测试甲", housing, "TEST-0001", specialties=["housing_municipal"])
    make_officer("测试乙", water, "TEST-0002", specialties=["water"], valid_to=dt.date(2024, 1, 1))
    make_officer("测试丙", water, "TEST-0003", specialties=["water"], status="suspended")
    client.force_login(personas.transport_officer)
    html = client.get(reverse("org:officers")).content.decode()
    assert "测试甲" in html and "测试乙" in html and "执法证不在有效期内" in html
    html = client.get(reverse("org:officers"), {"department": "water"}).content.decode()
    assert "测试甲" not in html and "测试乙" in html and "测试丙" in html
    html = client.get(reverse("org:officers"), {"dispatchable": "yes"}).content.decode()
    assert "测试甲" in html and "测试乙" not in html and "测试丙" not in html
    html = client.get(reverse("org:officers"), {"specialty": "water", "status": "suspended"})
    assert "测试丙" in html.content.decode() and "测试乙" not in html.content.decode()

    response = client.get(reverse("org:officers_export"), {"department": "water"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content))[roster.SHEET]
    assert sorted(r[0] for r in sheet.iter_rows(min_row=2, values_only=True)) == [
        "测试丙",
        "测试乙",
    ]
    entry = AuditEntry.objects.get(action="org.officer.roster_exported")
    assert entry.after == {"count": 2, "filters": {"department": "water"}}
    assert entry.actor_name == "transport_officer"


def test_phone_numbers_show_to_the_officers_department_only(client, district, personas):
    officer = make_officer("测试甲", Department.objects.get(code="housing"), "TEST-0001")
    officer.phone = "13900000009"
    officer.save()
    client.force_login(personas.transport_officer)
    assert "13900000009" not in client.get(reverse("org:officers")).content.decode()
    client.force_login(personas.housing_officer)
    assert "13900000009" in client.get(reverse("org:officers")).content.decode()


def test_the_discipline_liaison_has_no_roster(client, district, personas):
    client.force_login(personas.discipline_liaison)
    assert client.get(reverse("org:officers")).status_code == 403


def test_coordination_decisions_of_other_departments_are_not_found(client, district, personas):
    from django.contrib.auth.models import Group

    from tenderwatch.org import services

    decision = services.coordination_decide(
        matter=Group.objects.create(name="投诉（测试）"),
        industry="other",
        matter_type="complaint",
        department=Department.objects.get(code="housing"),
        reason="测试理由",
        actor=personas.office_clerk,
    )
    url = reverse("org:coordination_detail", args=[decision.pk])
    client.force_login(personas.housing_officer)
    page = client.get(url)
    assert page.status_code == 200 and "测试理由" in page.content.decode()
    client.force_login(personas.transport_officer)
    assert client.get(url).status_code == 404
    assert (
        client.get(reverse("org:coordination_detail", args=[decision.pk + 99])).status_code == 404
    )


def test_nav_items_are_registered() -> None:
    entries = {i.url_name: i for i in nav._ITEMS}
    assert entries["org:authority"].permission == "org.view"
    assert str(entries["org:officers"].label) == "执法人员信息库"
    assert str(entries["org:authority"].label) == "权责清单"


def test_anonymous_users_are_sent_to_log_in(client, district):
    response = client.get(reverse("org:officers"))
    assert response.status_code == 302
