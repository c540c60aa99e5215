"""The admin page for routes (audited master data) and the read-only requests."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tenderwatch.approvals.models import ApprovalRoute, RouteLevel
from tenderwatch.approvals.services import approval_submit
from tenderwatch.audit.models import AuditEntry

pytestmark = pytest.mark.usefixtures("routes")


def _admin(personas: Any) -> Client:
    client = Client()
    client.force_login(personas.admin)
    return client


def _level(i: int, **values: Any) -> dict[str, Any]:
    base = {
        "order": i + 1,
        "stage": "review",
        "min_level": "",
        "department_rule": "subject",
        "discussion": "none",
        "min_attendees": 3,
        "active": "on",
    }
    base.update(values)
    return {f"levels-{i}-{k}": v for k, v in base.items()}


def _route_form(kind: str, *levels: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": kind,
        "name": "专项检查结果审批",
        "description": "",
        "active": "on",
        "levels-TOTAL_FORMS": len(levels),
        "levels-INITIAL_FORMS": 0,
        "levels-MIN_NUM_FORMS": 0,
        "levels-MAX_NUM_FORMS": 1000,
    }
    for level in levels:
        data.update(level)
    return data


def test_routes_are_listed_and_edited_with_their_levels(personas: Any) -> None:
    client = _admin(personas)
    page = client.get("/admin/approvals/approvalroute/")
    assert page.status_code == 200
    assert "行政处罚决定审批" in page.content.decode()
    route = ApprovalRoute.objects.get(kind="penalty_decision")
    page = client.get(f"/admin/approvals/approvalroute/{route.pk}/change/")
    assert page.status_code == 200
    assert page.context["inline_admin_formsets"][0].has_change_permission

    response = client.post(
        "/admin/approvals/approvalroute/add/",
        _route_form(
            "inspection_result",
            _level(0, stage="handling", roles=["office_staff", "enforcement_officer"]),
            _level(1, stage="approval", min_level=2, department_rule="office"),
        ),
    )
    assert response.status_code == 302, response.context["errors"]
    route = ApprovalRoute.objects.get(kind="inspection_result")
    levels = list(route.levels.order_by("order"))
    assert [(lv.roles, lv.min_level) for lv in levels] == [
        ("office_staff,enforcement_officer", None),
        ("", 2),
    ]
    actions = list(
        AuditEntry.objects.filter(note="admin").order_by("seq").values_list("action", "actor_name")
    )
    assert actions == [
        ("approvals.approvalroute.created", "admin"),
        ("approvals.routelevel.created", "admin"),
        ("approvals.routelevel.created", "admin"),
    ]


def test_admin_refuses_a_level_naming_both_a_role_and_a_leader_level(personas: Any) -> None:
    response = _admin(personas).post(
        "/admin/approvals/approvalroute/add/",
        _route_form(
            "bad_route",
            _level(0, stage="handling", roles=["office_staff"], min_level=1),
            _level(1, stage="approval", min_level=3),
        ),
    )
    assert response.status_code == 200  # the form again, with the error
    assert not ApprovalRoute.objects.filter(kind="bad_route").exists()
    response = _admin(personas).post(
        "/admin/approvals/approvalroute/add/",
        _route_form("one_level", _level(0, stage="approval", min_level=3)),
    )
    assert response.status_code == 200
    assert not ApprovalRoute.objects.filter(kind="one_level").exists()


def test_levels_are_read_only_while_a_request_is_open(personas: Any) -> None:
    req = approval_submit(
        route_kind="complaint_decision",
        subject=personas.dept("water"),
        department=personas.dept("office"),
        title="投诉处理决定",
        actor=personas.office_clerk,
    )
    client = _admin(personas)
    page = client.get(f"/admin/approvals/approvalroute/{req.route_id}/change/")
    assert page.status_code == 200
    assert not page.context["inline_admin_formsets"][0].has_change_permission
    assert RouteLevel.objects.filter(route=req.route, active=True).count() == 3
    # Requests are read in the admin, never edited there.
    page = client.get(f"/admin/approvals/approvalrequest/{req.pk}/change/")
    assert page.status_code == 200
    assert "投诉处理决定" in page.content.decode()
    assert client.get("/admin/approvals/approvalrequest/").status_code == 200
    assert client.get("/admin/approvals/approvalrequest/add/").status_code == 403


def test_route_name_may_change_while_its_levels_are_locked(personas: Any) -> None:
    req = approval_submit(
        route_kind="complaint_decision",
        subject=personas.dept("water"),
        department=personas.dept("office"),
        title="投诉处理决定",
        actor=personas.office_clerk,
    )
    levels = list(RouteLevel.objects.filter(route=req.route).order_by("order"))
    data: dict[str, Any] = {
        "kind": "complaint_decision",
        "name": "投诉处理决定审批（修订）",
        "description": "",
        "active": "on",
        "levels-TOTAL_FORMS": 3,
        "levels-INITIAL_FORMS": 3,
        "levels-MIN_NUM_FORMS": 0,
        "levels-MAX_NUM_FORMS": 1000,
    }
    for i, level in enumerate(levels):
        data[f"levels-{i}-id"] = level.pk
        data[f"levels-{i}-route"] = req.route_id
        # A forged change to a locked level is ignored.
        data[f"levels-{i}-min_level"] = 1
    response = _admin(personas).post(f"/admin/approvals/approvalroute/{req.route_id}/change/", data)
    assert response.status_code == 302, response.context and response.context["errors"]
    req.route.refresh_from_db()
    assert req.route.name == "投诉处理决定审批（修订）"
    assert [lv.min_level for lv in req.route.levels.order_by("order")] == [None, 1, 3]
