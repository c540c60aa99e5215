"""Reads of warnings, for the inboxes, the project page, the catalogue and the exports.

Every staff role reads every warning (DESIGN.md "Visibility", 互联共享): the scoping that
matters is who *acts*, which the services check. A user with no staff role sees nothing, and a
warning they ask for is "not found".
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When

from tenderwatch.core import timeutil
from tenderwatch.core.errors import NotFound
from tenderwatch.org.models import Department, DepartmentKind, Role
from tenderwatch.org.scoping import can, scope_of
from tenderwatch.screening import services
from tenderwatch.screening.findings import Severity
from tenderwatch.screening.models import (
    OPEN_STATUSES,
    UNDECIDED_STATUSES,
    Escalation,
    Outcome,
    Warning,
    WarningStatus,
)

PAGE_SIZE = 50


def warnings_visible_to(user: Any) -> QuerySet[Warning]:
    if not can(user, "screening.warning.view"):
        return Warning.objects.none()
    return Warning.objects.select_related(
        "project", "approved_project", "lot", "assigned_department", "competent_department"
    )


def warning_get(*, user: Any, pk: int) -> Warning:
    warning = warnings_visible_to(user).filter(pk=pk).first()
    if warning is None:
        raise NotFound()
    return warning


@dataclass(frozen=True)
class Filters:
    status: str = ""
    severity: str = ""
    rule_id: str = ""
    department: int | None = None
    overdue: bool | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    q: str = ""
    escalated: bool = False
    open_only: bool = False
    order: str = ""  # "" newest first, "severity" highest risk first, "due" deadline soonest


SEVERITY_RANK = Case(
    When(severity=Severity.HIGH, then=Value(0)),
    When(severity=Severity.MEDIUM, then=Value(1)),
    When(severity=Severity.LOW, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def own_departments(user: Any) -> frozenset[int]:
    """The departments whose warnings are the user's to handle (department officer posts)."""
    return scope_of(user).departments(Role.DEPARTMENT_OFFICER)


def warnings_filtered(*, user: Any, filters: Filters, mine: bool = False) -> QuerySet[Warning]:
    """The inbox: `mine` keeps the warnings assigned to the user's own departments."""
    qs = warnings_visible_to(user)
    now = timeutil.now()
    if mine:
        qs = qs.filter(assigned_department__in=own_departments(user))
    if filters.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    elif filters.open_only:
        qs = qs.filter(status__in=OPEN_STATUSES)
    if filters.severity:
        qs = qs.filter(severity=filters.severity)
    if filters.rule_id:
        qs = qs.filter(rule_id=filters.rule_id)
    if filters.department:
        qs = qs.filter(assigned_department_id=filters.department)
    overdue = Q(status__in=UNDECIDED_STATUSES, due_at__lt=now)
    if filters.overdue is True:
        qs = qs.filter(overdue)
    elif filters.overdue is False:
        qs = qs.exclude(overdue)
    if filters.escalated:
        qs = qs.filter(escalated_at__isnull=False, status__in=UNDECIDED_STATUSES)
    if filters.date_from:
        start = dt.datetime.combine(filters.date_from, dt.time.min, tzinfo=timeutil.CHINA)
        qs = qs.filter(created_at__gte=start)
    if filters.date_to:
        end = dt.datetime.combine(
            filters.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=timeutil.CHINA
        )
        qs = qs.filter(created_at__lt=end)
    if filters.q:
        qs = qs.filter(
            Q(project__code__icontains=filters.q)
            | Q(project__name__icontains=filters.q)
            | Q(approved_project__approval_no__icontains=filters.q)
            | Q(approved_project__name__icontains=filters.q)
            | Q(title__icontains=filters.q)
            | Q(explanation__icontains=filters.q)
        )
    if filters.order == "severity":
        return qs.order_by(SEVERITY_RANK, "-created_at", "-pk")
    if filters.order == "due":  # those without a deadline (closed, dismissed) last
        return qs.order_by(F("due_at").asc(nulls_last=True), "-created_at", "-pk")
    return qs.order_by("-created_at", "-pk")


def project_warnings(*, user: Any, project_id: int) -> list[Warning]:
    return list(
        warnings_visible_to(user).filter(project_id=project_id).order_by("-created_at", "-pk")
    )


def rule_counts() -> dict[str, dict[str, int]]:
    """Per rule: how often it fired, how many warnings are open, confirmed and dismissed."""
    out: dict[str, dict[str, int]] = defaultdict(
        lambda: {"fired": 0, "open": 0, "confirmed": 0, "dismissed": 0}
    )
    rows = Warning.objects.values("rule_id").annotate(
        fired=Count("pk"),
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES) & Q(outcome="")),
        confirmed=Count("pk", filter=Q(outcome=Outcome.CONFIRMED)),
        dismissed=Count("pk", filter=Q(outcome=Outcome.DISMISSED)),
    )
    for row in rows:
        out[row["rule_id"]] = {k: row[k] for k in ("fired", "open", "confirmed", "dismissed")}
    return dict(out)


def dismissal_categories(rule_id: str) -> list[tuple[str, int]]:
    rows = (
        Warning.objects.filter(rule_id=rule_id, outcome=Outcome.DISMISSED)
        .values_list("dismissal_category")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    return [(category, n) for category, n in rows]


def is_office_head(user: Any) -> bool:
    """A leader of the office at TW_SCREEN_OFFICE_HEAD_LEVEL or above (default 主要负责人)."""
    scope = scope_of(user)
    if scope.approval_level is None or scope.approval_level < services.office_head_level():
        return False
    offices = set(
        Department.objects.filter(kind=DepartmentKind.OFFICE).values_list("pk", flat=True)
    )
    return bool(scope.departments(Role.LEADER) & offices)


def escalations_for(*, user: Any, limit: int = 20) -> list[Escalation]:
    """Escalations of warnings still undecided: for the office head, the office and auditors."""
    if not can(user, "screening.escalations.view"):
        return []
    scope = scope_of(user)
    if not (scope.is_office or scope.reads_everything or is_office_head(user)):
        return []
    return list(
        Escalation.objects.filter(warning__status__in=UNDECIDED_STATUSES)
        .select_related("warning", "warning__project", "department")
        .order_by("-escalated_at", "-pk")[:limit]
    )


def inbox_counts(user: Any, *, mine: bool) -> dict[str, int]:
    qs = warnings_visible_to(user)
    if mine:
        qs = qs.filter(assigned_department__in=own_departments(user))
    now = timeutil.now()
    return qs.aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        new=Count("pk", filter=Q(status__in=(WarningStatus.NEW, WarningStatus.ASSIGNED))),
        overdue=Count("pk", filter=Q(status__in=UNDECIDED_STATUSES, due_at__lt=now)),
    )
