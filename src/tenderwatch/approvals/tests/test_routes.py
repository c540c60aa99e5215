"""Routes as data: the loader the district setup calls, and the default routes."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.utils import translation

from tenderwatch.approvals.defaults import DEFAULT_ROUTES
from tenderwatch.approvals.models import ApprovalRoute, DiscussionRule, RouteLevel
from tenderwatch.approvals.services import (
    approval_decide,
    approval_submit,
    routes_load,
)
from tenderwatch.audit.models import AuditEntry
from tenderwatch.core.errors import DomainError, PermissionDenied

ISSUE_EXAMPLE = [
    {
        "kind": "complaint_decision",
        "name": "投诉处理决定审批",
        "levels": [
            {"stage": "承办", "role": "office_staff"},
            {"stage": "审核", "level": 1},
            {"stage": "审批", "level": 3},
        ],
    }
]


def _route_audit() -> list[tuple[str, str]]:
    return list(
        AuditEntry.objects.filter(object_type="approvals.approvalroute")
        .order_by("seq")
        .values_list("action", "object_repr")
    )


def test_defaults_load_and_reload_idempotently(personas: Any) -> None:
    report = routes_load(routes=DEFAULT_ROUTES, actor=personas.admin)
    kinds = {
        "complaint_acceptance",
        "complaint_decision",
        "warning_closure",
        "warning_decision",
        "case_filing",
        "penalty_decision",
        "discipline_referral",
    }
    assert set(report.created) == kinds
    assert set(ApprovalRoute.objects.values_list("kind", flat=True)) == kinds
    penalty = ApprovalRoute.objects.get(kind="penalty_decision")
    levels = list(penalty.levels.order_by("order"))
    assert [lv.stage for lv in levels] == ["handling", "review", "legal_review", "approval"]
    assert levels[0].role_list == ["office_staff", "department_officer"]
    assert (levels[3].min_level, levels[3].discussion) == (3, DiscussionRule.MAJOR)
    entries = AuditEntry.objects.count()
    level_ids = set(RouteLevel.objects.values_list("pk", flat=True))

    again = routes_load(routes=copy.deepcopy(DEFAULT_ROUTES), actor=personas.admin)
    assert (again.created, again.changed) == ([], [])
    assert set(again.unchanged) == kinds
    assert AuditEntry.objects.count() == entries
    assert set(RouteLevel.objects.values_list("pk", flat=True)) == level_ids


def test_the_issue_format_loads(personas: Any) -> None:
    routes_load(routes=ISSUE_EXAMPLE, actor=None)
    route = ApprovalRoute.objects.get(kind="complaint_decision")
    levels = list(route.levels.order_by("order"))
    assert [(lv.stage, lv.roles, lv.min_level) for lv in levels] == [
        ("handling", "office_staff", None),
        ("review", "", 1),
        ("approval", "", 3),
    ]
    assert all(lv.department_rule == "subject" for lv in levels)
    # Run by the setup command, without a user: the trail names the system.
    assert AuditEntry.objects.get(action="approvals.route.created").actor_name.startswith("system:")


def test_collective_flag_forms(personas: Any) -> None:
    spec = [
        {
            "kind": "big_decision",
            "name": "重大事项审批",
            "levels": [
                {"stage": "承办", "role": "office_staff", "department": "office"},
                {"stage": "集体讨论", "level": 3, "collective": True, "min_attendees": 5},
            ],
        }
    ]
    routes_load(routes=spec, actor=personas.office_clerk)
    last = RouteLevel.objects.get(route__kind="big_decision", order=2)
    assert (last.stage, last.discussion, last.min_attendees) == ("discussion", "always", 5)
    assert last.department_rule == "subject"
    assert RouteLevel.objects.get(route__kind="big_decision", order=1).department_rule == "office"


@pytest.mark.parametrize(
    ("level", "fragment"),
    [
        ({"stage": "签发", "level": 1}, "stage"),
        ({"stage": "审核", "level": 1, "role": "leader"}, "not both"),
        ({"stage": "审核"}, "not both"),
        ({"stage": "审核", "level": 4}, "1, 2 or 3"),
        ({"stage": "审核", "role": "boss"}, "boss"),
        ({"stage": "审核", "level": 1, "collective": "sometimes"}, "collective"),
        ({"stage": "审核", "level": 1, "collective": True, "min_attendees": 1}, "two"),
        ({"stage": "审核", "level": 1, "department": "province"}, "office"),
        ({"stage": "审核", "level": 1, "approver": "x"}, "approver"),
    ],
)
def test_bad_levels_are_refused_with_a_reason(
    personas: Any, level: dict[str, Any], fragment: str
) -> None:
    spec = [
        {
            "kind": "complaint_decision",
            "name": "投诉处理决定审批",
            "levels": [{"stage": "承办", "role": "office_staff"}, level],
        }
    ]
    with translation.override("en"), pytest.raises(DomainError) as exc:
        routes_load(routes=spec, actor=personas.admin)
    assert fragment in str(exc.value)
    assert "complaint_decision" in str(exc.value)
    assert not ApprovalRoute.objects.exists()


def test_a_file_is_all_or_nothing(personas: Any) -> None:
    spec = [
        *ISSUE_EXAMPLE,
        {"kind": "one_level", "name": "单级", "levels": [{"stage": "审批", "level": 3}]},
    ]
    with pytest.raises(DomainError):
        routes_load(routes=spec, actor=personas.admin)
    assert not ApprovalRoute.objects.exists()
    with pytest.raises(DomainError):
        routes_load(routes=[*ISSUE_EXAMPLE, *ISSUE_EXAMPLE], actor=personas.admin)


def test_only_route_managers_load(personas: Any) -> None:
    with pytest.raises(PermissionDenied):
        routes_load(routes=ISSUE_EXAMPLE, actor=personas.section_head)


def test_levels_do_not_change_under_an_open_request(personas: Any) -> None:
    routes_load(routes=ISSUE_EXAMPLE, actor=personas.admin)
    req = approval_submit(
        route_kind="complaint_decision",
        subject=personas.dept("water"),
        department=personas.dept("office"),
        title="投诉处理决定",
        actor=personas.office_clerk,
    )
    old_levels = {lv.order: lv.pk for lv in RouteLevel.objects.filter(route=req.route)}
    changed = copy.deepcopy(ISSUE_EXAMPLE)
    changed[0]["levels"][2] = {"stage": "审批", "level": 2}
    with pytest.raises(DomainError) as exc:
        routes_load(routes=changed, actor=personas.admin)
    assert exc.value.code == "route_in_use"
    assert RouteLevel.objects.get(pk=old_levels[3]).min_level == 3
    # The name alone may change meanwhile.
    renamed = copy.deepcopy(ISSUE_EXAMPLE)
    renamed[0]["name"] = "投诉处理决定审批（新）"
    assert routes_load(routes=renamed, actor=personas.admin).changed == ["complaint_decision"]

    approval_decide(request=req, actor=personas.section_head, decision="approve")
    approval_decide(request=req, actor=personas.principal_head, decision="approve")
    report = routes_load(routes=changed, actor=personas.admin)
    assert report.changed == ["complaint_decision"]
    # The old levels are retired, not deleted: the decided steps still point at them.
    active = list(RouteLevel.objects.filter(route=req.route, active=True).order_by("order"))
    assert [lv.min_level for lv in active] == [None, 1, 2]
    assert not set(old_levels.values()) & {lv.pk for lv in active}
    assert set(req.steps.values_list("level_id", flat=True)) == set(old_levels.values())
    assert not RouteLevel.objects.get(pk=old_levels[3]).active
    actions = [a for a, _ in _route_audit()]
    assert actions == [
        "approvals.route.created",
        "approvals.route.changed",
        "approvals.route.changed",
    ]
    last = AuditEntry.objects.filter(action="approvals.route.changed").order_by("-seq").first()
    assert last.before["levels"][2]["min_level"] == 3
    assert last.after["levels"][2]["min_level"] == 2
