"""Reads of complaints and tip-offs, scoped to who asks (org.scoping). Object-level denial is
"not found", so a department cannot tell whether another department's matter exists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from tenderwatch.complaints import clocks, workflow
from tenderwatch.complaints.models import (
    INTAKE_STATUSES,
    LIVE_STATES,
    STAGE_STATUSES,
    Clock,
    Deadline,
    DeadlineState,
    Escalation,
    EscalationTarget,
    Kind,
    Matter,
    Notice,
    Status,
)
from tenderwatch.complaints.permissions import is_office_leader
from tenderwatch.core import timeutil
from tenderwatch.core.errors import NotFound
from tenderwatch.ledger.models import Project
from tenderwatch.org.models import Department, Role
from tenderwatch.org.scoping import can, ensure_visible, scope_of

PAGE_SIZE = 50


def matters_visible_to(user: Any) -> QuerySet[Matter]:
    if not can(user, "complaints.view"):
        return Matter.objects.none()
    scope = scope_of(user)
    qs = Matter.objects.select_related("department", "project", "linked_to")
    if can(user, "complaints.report.view"):
        return qs
    return qs.filter(department__in=scope.departments(Role.DEPARTMENT_OFFICER, Role.LEADER))


def matter_get(*, user: Any, number: str) -> Matter:
    matter = (
        Matter.objects.select_related("department", "project", "lot", "linked_to", "received_by")
        .filter(number=number)
        .first()
    )
    if matter is None:
        raise NotFound()
    ensure_visible(user, "complaints.view", matter)
    return matter


def _with_deadlines(qs: QuerySet[Matter]) -> QuerySet[Matter]:
    return qs.prefetch_related(
        Prefetch(
            "deadlines",
            queryset=Deadline.objects.order_by("due_at", "id"),
            to_attr="all_deadlines",
        )
    )


@dataclass
class Row:
    matter: Matter
    deadline: Deadline | None
    countdown: clocks.Countdown | None
    overdue: bool


def next_deadline(matter: Matter) -> Deadline | None:
    """The live deadline that falls first (a stopped one when nothing else runs)."""
    deadlines = getattr(matter, "all_deadlines", None)
    if deadlines is None:
        deadlines = list(matter.deadlines.order_by("due_at", "id"))
    live = [d for d in deadlines if d.is_live]
    running = [d for d in live if d.due_at is not None]
    if running:
        return min(running, key=lambda d: d.due_at or timeutil.now())
    return live[0] if live else None


def rows(matters: Any, *, now: dt.datetime | None = None) -> list[Row]:
    now = now or timeutil.now()
    out = []
    for m in matters:
        d = next_deadline(m)
        cd = clocks.countdown(d, now=now) if d is not None else None
        out.append(Row(m, d, cd, bool(cd and cd.overdue)))
    return out


def matters_filtered(
    *,
    user: Any,
    status: str = "",
    kind: str = "",
    overdue: bool = False,
    q: str = "",
    department: str = "",
    due_before: dt.date | None = None,
) -> QuerySet[Matter]:
    """The matters list: by stage ("intake", "stages" — accepted and not concluded — or one
    status), kind, department ("office" for the office's own), a live deadline due by a day,
    overdue now, and text."""
    qs = matters_visible_to(user)
    if status == "intake":
        qs = qs.filter(status__in=INTAKE_STATUSES)
    elif status == "stages":
        qs = qs.filter(status__in=STAGE_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if department == "none":
        qs = qs.filter(department__isnull=True)
    elif department.isdigit():
        qs = qs.filter(department_id=int(department))
    if due_before is not None:
        qs = qs.filter(
            deadlines__state__in=LIVE_STATES,
            deadlines__due_at__lt=timeutil.end_of_china_day(due_before),
        ).distinct()
    if kind:
        qs = qs.filter(kind=kind)
    if overdue:
        qs = qs.filter(
            deadlines__state=DeadlineState.RUNNING, deadlines__due_at__lt=timeutil.now()
        ).distinct()
    q = q.strip()
    if q:
        qs = qs.filter(
            Q(number__icontains=q) | Q(project_text__icontains=q) | Q(respondent_name__icontains=q)
        )
    return _with_deadlines(qs.order_by("-received_at", "-id"))


def intake_queue(*, user: Any, limit: int = 10) -> list[Row]:
    """What waits for the acceptance decision, the most urgent first (the clerk's home)."""
    qs = _with_deadlines(matters_visible_to(user).filter(status__in=INTAKE_STATUSES))
    out = rows(qs.order_by("received_at", "id")[:200])
    far = timeutil.now() + dt.timedelta(days=3650)
    out.sort(key=lambda r: r.deadline.due_at if r.deadline and r.deadline.due_at else far)
    return out[:limit]


def escalations_for(*, user: Any, limit: int = 20) -> QuerySet[Escalation]:
    """Escalations for the user: to the office head for its head, to the staff for the staff."""
    if not can(user, "complaints.escalations.view"):
        return Escalation.objects.none()
    scope = scope_of(user)
    targets = []
    if is_office_leader(scope):
        # Raised to the office head; the office's other leaders see them too.
        targets.append(EscalationTarget.OFFICE_HEAD)
    if Role.OFFICE_STAFF in scope.roles:
        targets.append(EscalationTarget.OFFICE_STAFF)
    if scope.has_role(Role.AUDITOR):
        targets = [EscalationTarget.OFFICE_HEAD, EscalationTarget.OFFICE_STAFF]
    return (
        Escalation.objects.filter(target__in=targets, deadline__state__in=LIVE_STATES)
        .select_related("matter", "deadline", "department")
        .order_by("-escalated_at")[:limit]
    )


def public_projects(q: str, *, limit: int = 10) -> list[Project]:
    """Projects a filer can pick on the public form: by code or name (both are published in the
    tender announcement anyway); nothing else of the ledger leaves it."""
    q = (q or "").strip()
    if len(q) < 2:
        return []
    return list(
        Project.objects.filter(Q(code__icontains=q) | Q(name__icontains=q))
        .prefetch_related("lots")
        .order_by("-registered_at", "-id")[:limit]
    )


def project_options(projects: list[Project]) -> list[dict[str, Any]]:
    """Radio options for the form: the project, and its lots where it has more than one."""
    out = []
    for p in projects:
        lots = list(p.lots.all())
        out.append(
            {
                "value": f"p:{p.pk}",
                "label": f"{p.code} {p.name}",
                "lots": [
                    {"value": f"l:{lot.pk}", "label": f"{lot.number or lot.external_id} {lot.name}"}
                    for lot in lots
                ]
                if len(lots) > 1
                else [],
            }
        )
    return out


def chosen_options(value: str) -> list[dict[str, Any]]:
    """The option a re-shown form had picked ("p:<id>" or "l:<id>"), so it stays picked."""
    prefix, _sep, raw = (value or "").partition(":")
    if not raw.isdigit():
        return []
    if prefix == "l":
        project = Project.objects.filter(lots__pk=int(raw)).prefetch_related("lots").first()
    else:
        project = Project.objects.filter(pk=int(raw)).prefetch_related("lots").first()
    return project_options([project]) if project else []


# -- the public tracking view: nothing internal, nothing about other parties ----------------------

PUBLIC_CLOCKS = (
    Clock.ACCEPTANCE_PLAN,
    Clock.ACCEPTANCE_STATUTE,
    Clock.SUPPLEMENT,
    Clock.CONCLUSION_PLAN,
    Clock.DECISION_STATUTE,
)


def services_withdrawable() -> tuple[str, ...]:
    from tenderwatch.complaints.services import WITHDRAWAL_ON_REQUEST

    return WITHDRAWAL_ON_REQUEST


@dataclass
class PublicView:
    number: str
    kind: str
    received_at: dt.datetime
    stage: str
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    may_supplement: bool = False
    may_withdraw: bool = False
    withdrawal_requested: bool = False


def public_view(matter: Matter, *, now: dt.datetime | None = None) -> PublicView:
    now = now or timeutil.now()
    deadlines = []
    for d in matter.deadlines.filter(clock__in=PUBLIC_CLOCKS).order_by("due_at", "id"):
        cd = clocks.countdown(d, now=now)
        deadlines.append(
            {
                "label": d.get_clock_display(),
                "due_on": d.due_on,
                "basis": d.legal_basis,
                "state": d.get_state_display(),
                "countdown": cd.text if d.is_live else "",
            }
        )
    return PublicView(
        number=matter.number,
        kind=matter.get_kind_display(),
        received_at=matter.received_at,
        stage=workflow.public_stage(matter),
        deadlines=deadlines,
        notices=list(matter.notices.order_by("issued_at", "id")),
        may_supplement=matter.status == Status.AWAITING_SUPPLEMENT,
        may_withdraw=matter.status
        in (Status.RECEIVED, Status.AWAITING_SUPPLEMENT, *services_withdrawable())
        and matter.withdrawal_requested_at is None,
        withdrawal_requested=matter.withdrawal_requested_at is not None,
    )


# -- the list by department, for the leading group's 通报 (REQ-20) ---------------------------------


@dataclass
class DepartmentLine:
    department: Department | None
    received: int = 0
    complaints: int = 0
    tip_offs: int = 0
    duplicates: int = 0
    accepted: int = 0
    not_accepted: int = 0
    withdrawn: int = 0
    open: int = 0
    overdue_now: int = 0
    acceptance_missed: int = 0
    overdue_matters: list[Matter] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.department) if self.department else ""


def report_by_department(
    *, user: Any, date_from: dt.date, date_to: dt.date, now: dt.datetime | None = None
) -> list[DepartmentLine]:
    """Per competent department: what was received in the period (duplicates apart: linked
    filings are not counted twice), decided, open, and overdue now or late at acceptance."""
    now = now or timeutil.now()
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=timeutil.CHINA)
    end = timeutil.end_of_china_day(date_to)
    qs = _with_deadlines(
        matters_visible_to(user).filter(received_at__gte=start, received_at__lt=end)
    )
    lines: dict[int | None, DepartmentLine] = {}
    departments: dict[int, Department] = {}
    for matter in qs:
        key = matter.department_id
        if key is not None and key not in departments and matter.department is not None:
            departments[key] = matter.department
        line = lines.setdefault(key, DepartmentLine(departments.get(key) if key else None))
        if matter.status == Status.LINKED:
            line.duplicates += 1
            continue
        line.received += 1
        if matter.kind == Kind.COMPLAINT:
            line.complaints += 1
        else:
            line.tip_offs += 1
        if matter.accepted_at is not None and matter.status != Status.WITHDRAWN:
            line.accepted += 1
        elif matter.status == Status.NOT_ACCEPTED:
            line.not_accepted += 1
        elif matter.status == Status.WITHDRAWN:
            line.withdrawn += 1
        if matter.is_open:
            line.open += 1
        deadlines = getattr(matter, "all_deadlines", [])
        if any(
            d.state == DeadlineState.RUNNING and d.due_at is not None and d.due_at < now
            for d in deadlines
        ):
            line.overdue_now += 1
            line.overdue_matters.append(matter)
        if any(
            d.clock in (Clock.ACCEPTANCE_PLAN, Clock.ACCEPTANCE_STATUTE)
            and d.state == DeadlineState.MISSED
            for d in deadlines
        ):
            line.acceptance_missed += 1
    ordered = sorted(
        lines.values(),
        key=lambda ln: (
            ln.department is None,
            ln.department.sort_order if ln.department else 0,
            ln.name,
        ),
    )
    return ordered


def totals(lines: list[DepartmentLine]) -> DepartmentLine:
    total = DepartmentLine(None)
    for ln in lines:
        for name in (
            "received",
            "complaints",
            "tip_offs",
            "duplicates",
            "accepted",
            "not_accepted",
            "withdrawn",
            "open",
            "overdue_now",
            "acceptance_missed",
        ):
            setattr(total, name, getattr(total, name) + getattr(ln, name))
    return total


def history(matter: Matter) -> list[Any]:
    return list(matter.history.select_related("actor").order_by("at", "id"))
