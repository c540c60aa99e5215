"""Who may act at a level, and who may see a request: the rules behind `approvals.*` permissions.

A level names the roles that may act there, or a minimum leader level (org.ApprovalLevel), and
whether they act in the subject's department or in the office. Leader levels are read per
department, so a 科室负责人 of one department is not a 主要负责人 of another. Being a superuser
gives no right to sign: an approval is the act of a person holding a post.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q

from tenderwatch.approvals.models import (
    ApprovalRequest,
    ApprovalStep,
    DepartmentRule,
    RouteLevel,
)
from tenderwatch.core import timeutil
from tenderwatch.org.models import Department, DepartmentKind, Role, RoleAssignment
from tenderwatch.org.scoping import Scope

# Roles whose holders see the approval requests of the departments they act for.
DEPARTMENT_READERS = (Role.OFFICE_STAFF, Role.DEPARTMENT_OFFICER, Role.LEADER)


def office_ids() -> frozenset[int]:
    return frozenset(
        Department.objects.filter(kind=DepartmentKind.OFFICE).values_list("pk", flat=True)
    )


def leader_levels(scope: Scope) -> dict[int, int]:
    """{department id: highest current approval level} of the user's leader posts."""
    if scope.user_id is None or scope.is_read_only:
        return {}
    today = timeutil.china_date()
    out: dict[int, int] = {}
    for ra in RoleAssignment.objects.filter(
        user_id=scope.user_id, role=Role.LEADER, approval_level__isnull=False
    ):
        if ra.is_current(today) and ra.approval_level is not None:
            out[ra.department_id] = max(out.get(ra.department_id, 0), ra.approval_level)
    return out


def qualified_departments(
    scope: Scope, level: RouteLevel, levels: dict[int, int] | None = None
) -> frozenset[int]:
    """Departments in which the user holds what `level` asks for (a role, or a leader level)."""
    if scope.user_id is None or scope.is_read_only:
        return frozenset()
    if level.min_level is not None:
        by_dept = leader_levels(scope) if levels is None else levels
        return frozenset(d for d, lv in by_dept.items() if lv >= level.min_level)
    roles = level.role_list
    return scope.departments(*roles) if roles else frozenset()


def entitled(
    scope: Scope,
    level: RouteLevel,
    department_id: int,
    *,
    levels: dict[int, int] | None = None,
    offices: frozenset[int] | None = None,
) -> bool:
    """May the user act at `level` for a request of `department_id`?"""
    qualified = qualified_departments(scope, level, levels)
    if not qualified:
        return False
    if level.department_rule == DepartmentRule.OFFICE:
        return bool(qualified & (office_ids() if offices is None else offices))
    return department_id in qualified


def _active_levels() -> list[RouteLevel]:
    # A route switched off takes no new requests, but its open ones still move on.
    return list(RouteLevel.objects.filter(active=True))


def acting_levels_q(scope: Scope, levels: Iterable[RouteLevel] | None = None) -> Q:
    """A filter for requests whose *current* level the user is qualified for."""
    by_dept = leader_levels(scope)
    offices = office_ids()
    q = Q(pk__in=[])
    for level in _active_levels() if levels is None else levels:
        qualified = qualified_departments(scope, level, by_dept)
        if not qualified:
            continue
        if level.department_rule == DepartmentRule.OFFICE:
            if qualified & offices:
                q |= Q(current_level=level)
        else:
            q |= Q(current_level=level, department__in=qualified)
    return q


def acted_in_round(user_id: int | None) -> Exists:
    return Exists(
        ApprovalStep.objects.filter(
            request=OuterRef("pk"), round=OuterRef("round"), approver_id=user_id
        )
    )


def visible_q(scope: Scope) -> Q:
    """A filter for the requests the user may know about."""
    if scope.reads_everything:
        return Q()
    if scope.user_id is None:
        return Q(pk__in=[])
    q = Q(department__in=scope.departments(*DEPARTMENT_READERS))
    q |= Q(submitted_by_id=scope.user_id)
    q |= Q(Exists(ApprovalStep.objects.filter(request=OuterRef("pk"), approver_id=scope.user_id)))
    # Those who may sign a level acting for the office see every request of that route.
    by_dept = leader_levels(scope)
    offices = office_ids()
    for level in _active_levels():
        qualified = qualified_departments(scope, level, by_dept)
        if level.department_rule == DepartmentRule.OFFICE and qualified & offices:
            q |= Q(route_id=level.route_id)
        elif qualified:
            q |= Q(route_id=level.route_id, department__in=qualified)
    return q


def visible(scope: Scope, request: ApprovalRequest) -> bool:
    if scope.reads_everything:
        return True
    if scope.user_id is None:
        return False
    return ApprovalRequest.objects.filter(visible_q(scope), pk=request.pk).exists()


def may_act_now(scope: Scope, request: ApprovalRequest) -> bool:
    """Qualified for the level the request waits at (separation of duties is checked apart)."""
    if not request.is_open or request.current_level_id is None:
        return False
    level = request.current_level
    assert level is not None
    return entitled(scope, level, request.department_id)


def separation_problem(user_id: int | None, request: ApprovalRequest) -> bool:
    """True where the user submitted the request or already acted in its current round."""
    if request.submitted_by_id == user_id:
        return True
    return ApprovalStep.objects.filter(
        request=request, round=request.round, approver_id=user_id
    ).exists()
