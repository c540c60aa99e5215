"""Each role's home page, the role switch, and what the homes show."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.test import Client

from tenderwatch.audit import services as audit
from tenderwatch.core import timeutil
from tenderwatch.org.models import Department
from tenderwatch.org.testing import PASSWORD
from tenderwatch.web import homes

HOMES = {
    "office_clerk": "办公室工作台",
    "seconded_officer": "办公室工作台",  # office staff comes first
    "housing_officer": "部门工作台",
    "transport_officer": "部门工作台",
    "enforcement_officer": "执法人员工作台",
    "section_head": "领导审批台",
    "deputy_head": "领导审批台",
    "principal_head": "领导审批台",
    "discipline_liaison": "纪检监察工作台",
    "auditor": "审计工作台",
    "admin": "系统管理",
}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(("username", "heading"), HOMES.items())
def test_each_persona_logs_in_to_its_home(personas: Any, username: str, heading: str) -> None:
    client = Client()
    response = client.post("/login/", {"username": username, "password": PASSWORD}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain == [("/", 302)]
    assert f"<h1>{heading}</h1>" in html
    assert getattr(personas, username).display_name in html  # the header names the user


def test_role_priority_is_the_documented_one() -> None:
    assert [str(r) for r in homes.ROLE_PRIORITY] == [
        "office_staff",
        "leader",
        "department_officer",
        "enforcement_officer",
        "discipline_liaison",
        "auditor",
        "administrator",
    ]


def test_a_user_with_two_roles_switches_between_their_homes(personas: Any) -> None:
    client = _client(personas.seconded_officer)
    home = client.get("/").content.decode()
    assert '<a href="/home/department_officer/">' in home
    other = client.get("/home/department_officer/").content.decode()
    assert "<h1>部门工作台</h1>" in other
    assert "区住房和城乡建设局" in other  # the department they act for
    assert '<a href="/home/office_staff/">' in other


def test_a_role_the_user_does_not_hold_has_no_home(personas: Any) -> None:
    client = _client(personas.housing_officer)
    assert client.get("/home/office_staff/").status_code == 404
    assert client.get("/home/auditor/").status_code == 404
    assert "切换到您其他角色的工作台" not in client.get("/").content.decode()


def test_user_without_a_role_is_told_so(db: Any) -> None:
    from tenderwatch.org.models import User

    user = User.objects.create_user(username="newcomer", password=PASSWORD)
    html = _client(user).get("/").content.decode()
    assert "<h1>尚未分配角色</h1>" in html


def test_header_shows_name_roles_and_department(personas: Any) -> None:
    html = _client(personas.seconded_officer).get("/").content.decode()
    assert '<span class="who-name">李建华</span>' in html
    assert '<span class="who-dept">区住房和城乡建设局</span>' in html
    assert 'class="who-roles"' in html
    assert 'action="/logout/" method="post"' in html


def test_office_home_shows_the_chain_head_and_its_last_anchor(
    personas: Any, django_capture_on_commit_callbacks: Any, _audit_anchor_file: Path
) -> None:
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        entry = audit.record(actor=personas.admin, action="test.thing", note="x")
    html = _client(personas.office_clerk).get("/").content.decode()
    assert f"#{entry.seq}" in html
    assert entry.hash in html
    anchored = json.loads(_audit_anchor_file.read_text().splitlines()[-1])
    assert anchored["seq"] == entry.seq
    assert homes.last_anchor(_audit_anchor_file)["hash"] == entry.hash  # type: ignore[index]


def test_last_anchor_reads_the_end_of_a_long_file(tmp_path: Path) -> None:
    path = tmp_path / "anchors.jsonl"
    with path.open("w") as fh:
        for seq in range(1, 5001):
            fh.write(
                json.dumps({"seq": seq, "hash": f"{seq:064x}", "at": "2026-03-02T01:00:00+00:00"})
            )
            fh.write("\n")
    last = homes.last_anchor(path)
    assert last is not None and last["seq"] == 5000 and last["hash"] == f"{5000:064x}"
    assert homes.last_anchor(tmp_path / "missing.jsonl") is None


def test_office_home_counts_active_departments(personas: Any) -> None:
    active = Department.objects.filter(active=True).count()
    Department.objects.filter(code="water").update(active=False)
    html = _client(personas.office_clerk).get("/").content.decode()
    assert f'<p class="figure">{active - 1}</p>' in html


def test_office_home_warns_of_a_missing_holiday_schedule(personas: Any) -> None:
    from tenderwatch.workdays.models import HolidaySchedule

    # From 1 October the next year's schedule is expected (workdays.selectors).
    with time_machine.travel(dt.datetime(2026, 10, 20, 2, 0, tzinfo=dt.UTC)):
        HolidaySchedule.objects.filter(year=2027).delete()
        html = _client(personas.office_clerk).get("/").content.decode()
    assert "2027" in html and 'class="warnings"' in html


def test_leader_home_lists_the_approvals_waiting(personas: Any) -> None:
    from tenderwatch.approvals.defaults import DEFAULT_ROUTES
    from tenderwatch.approvals.services import approval_submit, routes_load

    routes_load(routes=DEFAULT_ROUTES, actor=personas.admin)
    request = approval_submit(
        route_kind="complaint_decision",
        subject=personas.dept("water"),
        department=personas.dept("office"),
        title="关于某水利工程投诉的处理决定",
        actor=personas.office_clerk,
        opinion="拟驳回投诉",
    )
    html = _client(personas.section_head).get("/").content.decode()
    assert "<h1>领导审批台</h1>" in html
    assert f'href="/approvals/{request.pk}/"' in html and "关于某水利工程投诉的处理决定" in html
    # The submitter does not sign their own request.
    clerk = _client(personas.office_clerk).get("/").content.decode()
    assert "暂无待您审批的事项。" in clerk


def test_discipline_home_says_there_are_no_referrals_yet(personas: Any) -> None:
    html = _client(personas.discipline_liaison).get("/").content.decode()
    assert "暂无移送线索" in html
    assert "案件办理模块上线后" in html


def test_enforcement_home_shows_the_officer_record(personas: Any) -> None:
    from django.apps import apps

    try:
        officer_model = apps.get_model("org", "Officer")
    except LookupError:
        pytest.skip("the officer pool is not in the org app yet")
    html = _client(personas.enforcement_officer).get("/").content.decode()
    assert "执法人员信息库中没有您的记录" in html
    today = timeutil.china_date()
    officer_model.objects.create(
        user=personas.enforcement_officer,
        name="陈静",
        department=personas.dept("housing"),
        certificate_number="鄂执字-0001",
        issuing_body="黄冈市黄州区人民政府",
        valid_from=today - dt.timedelta(days=400),
        valid_to=today - dt.timedelta(days=3),
    )
    html = _client(personas.enforcement_officer).get("/").content.decode()
    assert "鄂执字-0001" in html
    assert "您的执法证已于" in html  # expired three days ago


def test_auditor_home_counts_todays_entries_in_china_time(personas: Any) -> None:
    # 2026-03-02 00:30 in China is 2026-03-01 16:30 UTC: it counts for the China day.
    with time_machine.travel(dt.datetime(2026, 3, 1, 15, 30, tzinfo=dt.UTC)), transaction.atomic():
        audit.record(actor=None, action="test.yesterday")
    with time_machine.travel(dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC)):
        with transaction.atomic():
            audit.record(actor=None, action="test.today")
            audit.record(actor=None, action="test.today")
        html = _client(personas.auditor).get("/").content.decode()
    assert '<p class="figure">3</p>' in html  # the two entries, and the auditor's log-in
    assert "尚未在网页上校验过哈希链。" in html


def test_admin_home_links_to_the_admin_site(personas: Any) -> None:
    html = _client(personas.admin).get("/").content.decode()
    assert 'href="/admin/"' in html
    assert 'href="/admin/org/department/"' in html
