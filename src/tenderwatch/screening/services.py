"""Every write on warnings (预警) and rule settings. REQ-05, REQ-09, REQ-15.

- `warnings_raise`: findings of rules and screens become warnings, merged by fingerprint, each
  assigned at once to the competent department by the authority list (谁主管谁监管), with a
  handling deadline from the working-day calendar.
- `warning_assign` (the office; also in bulk), `warning_verify`, `warning_confirm`,
  `warning_dismiss`, `warning_close`: the workflow of `workflow.py`; decisions that need
  approval go through `warning_submit_decision` and are carried out by `warning_carry_out`.
- `warnings_escalate_overdue`: the sweeper raises overdue warnings to the office head.
- `rule_setting_change`: the office's parameters and switch of a rule, versioned.

Every function checks the actor's permission (`screening.permissions`), changes the warning
under a row lock, appends to its history and writes the audit entry in the same transaction.

Settings (defaults): TW_SCREEN_HANDLING_WORKDAYS = {"high": 3, "medium": 5, "low": 10,
"info": 15} working days to a decision, counted from the assignment; TW_SCREEN_OFFICE_HEAD_LEVEL
= 3 (office leaders at this approval level or above receive escalations).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tenderwatch.audit import services as audit
from tenderwatch.audit.services import snapshot
from tenderwatch.core import timeutil
from tenderwatch.core.errors import DomainError, PermissionDenied
from tenderwatch.core.iterables import chunks
from tenderwatch.ledger.models import ApprovedProject, InstructionKind, Lot, Project
from tenderwatch.org.models import Department, MatterType
from tenderwatch.org.scoping import can, ensure_allowed
from tenderwatch.screening import catalogue, workflow
from tenderwatch.screening.findings import Finding, Severity, plain
from tenderwatch.screening.models import (
    OPEN_STATUSES,
    UNDECIDED_STATUSES,
    ConfirmAction,
    DismissalCategory,
    Escalation,
    EscalationTarget,
    ModelDocument,
    Origin,
    Outcome,
    Referral,
    ReferralKind,
    RuleSetting,
    Warning,
    WarningStatus,
    WarningTransition,
)
from tenderwatch.workdays import calendar

log = logging.getLogger("tenderwatch.screening")

DEFAULT_HANDLING_WORKDAYS: dict[str, int] = {
    Severity.HIGH: 3,
    Severity.MEDIUM: 5,
    Severity.LOW: 10,
    Severity.INFO: 15,
}

WARNING_FIELDS = [
    "status",
    "severity",
    "competent_department",
    "needs_coordination",
    "assigned_department",
    "assigned_at",
    "due_from",
    "due_on",
    "due_at",
    "due_rule",
    "escalated_at",
    "occurrences",
    "outcome",
    "confirm_action",
    "dismissal_category",
    "dismissal_reason",
    "decision",
    "pending_decision",
    "decided_at",
    "closed_at",
]


def handling_workdays(severity: str) -> int:
    configured: dict[str, Any] = getattr(settings, "TW_SCREEN_HANDLING_WORKDAYS", None) or {}
    value = configured.get(severity, DEFAULT_HANDLING_WORKDAYS.get(severity, 5))
    return max(1, int(value))


def _state(warning: Warning) -> dict[str, Any]:
    return snapshot(warning, WARNING_FIELDS)


def _lock(warning: Warning | int) -> Warning:
    pk = warning if isinstance(warning, int) else warning.pk
    # No select_related: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
    return Warning.objects.select_for_update().get(pk=pk)


def _history(
    warning: Warning,
    *,
    action: str,
    actor: Any,
    at: dt.datetime,
    from_status: str | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> WarningTransition:
    """A row of the warning's history; without `from_status`, one that leaves the status as
    it is (a merge, an instruction, an escalation…)."""
    return WarningTransition.objects.create(
        warning=warning,
        action=action,
        from_status=warning.status if from_status is None else from_status,
        to_status=warning.status,
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        at=at,
        note=note,
        data=plain(data or {}),
    )


def _transition(
    warning: Warning,
    action: str,
    *,
    actor: Any,
    at: dt.datetime,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> WarningTransition:
    """Move `warning` by `action` as the table allows (InvalidTransition otherwise)."""
    before = warning.status
    warning.status = workflow.target(action, before)
    return _history(
        warning, action=action, from_status=before, actor=actor, at=at, note=note, data=data
    )


def _record_change(
    warning: Warning, *, actor: Any, action: str, before: dict[str, Any], note: str
) -> None:
    """The audit entry of a change to `warning`: its `_state` before and now, in the caller's
    transaction (the history row is the caller's, written where the change happens)."""
    audit.record(
        actor=actor, action=action, obj=warning, before=before, after=_state(warning), note=note
    )


def _ensure_may_act(actor: Any, warning: Warning) -> None:
    ensure_allowed(actor, "screening.warning.view", warning, visible=False)
    if not can(actor, "screening.warning.act", warning):
        raise PermissionDenied(
            _(
                "Only the officers of the department this warning is assigned to (%(dept)s) and "
                "the office may handle it."
            )
            % {"dept": warning.assigned_department or _("none")}
        )


# -- the handling deadline -------------------------------------------------------------------


def _set_deadline(warning: Warning, start: dt.datetime) -> None:
    """Working days per severity from the assignment (the start day not counted, 民法典
    第二百零一条), ending at 24:00 of the last day; stored with how it was computed."""
    n = handling_workdays(warning.severity)
    start_day = timeutil.china_date(start)
    warning.due_from = start_day
    warning.escalated_at = None
    rule = _("handling, severity %(severity)s: %(n)s working days from %(start)s") % {
        "severity": Severity(warning.severity).label,
        "n": n,
        "start": start_day.isoformat(),
    }
    try:
        warning.due_on = calendar.add_workdays(start_day, n)
    except calendar.CalendarNotAvailable as exc:
        warning.due_on = None
        warning.due_at = None
        warning.due_rule = f"{rule} — {exc.message}"[:200]
        return
    warning.due_at = calendar.deadline_end(warning.due_on)
    warning.due_rule = f"{rule} (TW_SCREEN_HANDLING_WORKDAYS)"[:200]


def recompute_deadlines(years: set[int]) -> int:
    """Recompute the deadlines of undecided warnings whose clock runs through `years`, and of
    those the calendar could not compute before (registered with workdays.deadlines)."""
    count = 0
    candidates = Warning.objects.filter(status__in=UNDECIDED_STATUSES, due_from__isnull=False)
    for pk in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            warning = _lock(pk)
            assert warning.due_from is not None
            touched = warning.due_on is None or bool(
                {warning.due_from.year, warning.due_on.year, warning.due_on.year + 1} & years
            )
            if not touched:
                continue
            before = _state(warning)
            start = dt.datetime.combine(warning.due_from, dt.time(12), tzinfo=timeutil.CHINA)
            escalated_at = warning.escalated_at
            _set_deadline(warning, start)
            warning.escalated_at = escalated_at
            if _state(warning) == before:
                continue
            warning.save(update_fields=["due_from", "due_on", "due_at", "due_rule", "updated_at"])
            _record_change(
                warning,
                actor=None,
                action="screening.warning.deadline_recomputed",
                before=before,
                note=_("the working-day calendar changed: %(years)s")
                % {"years": ", ".join(str(y) for y in sorted(years))},
            )
            count += 1
    return count


# -- raising warnings from findings -----------------------------------------------------------


@dataclass
class RaiseReport:
    created: list[int] = field(default_factory=list)
    merged: list[int] = field(default_factory=list)
    unchanged: int = 0
    already_decided: int = 0

    def add(self, other: RaiseReport) -> None:
        self.created += other.created
        self.merged += other.merged
        self.unchanged += other.unchanged
        self.already_decided += other.already_decided


class _Competences:
    """competent_department answers per (industry, matter) for one batch: a few queries each."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], Any] = {}

    def of(self, industry: str, matter_type: str) -> Any:
        from tenderwatch.org.selectors import competent_department

        key = (industry, matter_type)
        if key not in self._cache:
            self._cache[key] = competent_department(industry=industry, matter_type=matter_type)
        return self._cache[key]


def _matter_of(rule_id: str) -> str:
    spec = catalogue.spec_of(rule_id)
    matter = str(getattr(spec, "matter", "") or "") if spec is not None else ""
    return matter if matter in MatterType.values else MatterType.SUPERVISION


def _title_of(finding: Finding) -> str:
    title = finding.data.get("title") if finding.data else None
    if not title:
        spec = catalogue.spec_of(finding.rule_id)
        title = getattr(spec, "title", "") if spec is not None else ""
    return str(title or finding.rule_id)[:200]


def _legal_basis_json(finding: Finding) -> list[dict[str, str]]:
    return [
        {"law": str(b.law), "article": str(b.article), "note": str(b.note)}
        for b in finding.legal_basis
    ]


def warnings_raise(
    *,
    findings: Iterable[Finding],
    origin: str = Origin.RULE,
    actor: Any = None,
    now: dt.datetime | None = None,
) -> RaiseReport:
    """Turn findings into warnings. REQ-09.

    A finding whose fingerprint matches an open warning is merged into it: with the same facts
    it is the same sighting (only `last_seen_at` moves); with other facts the warning counts one
    more occurrence and keeps the earlier facts in its history. A finding identical to a warning
    already dismissed or closed is not raised again (the decision stands); with other facts it
    becomes a new warning that points to the earlier one.

    Each finding is stored in its own transaction with its history and audit entries; `actor`
    is None when the engine raises (the audit entry then names the system and its channel).
    """
    if origin not in Origin.values:
        raise DomainError(_("Unknown origin of a warning."), code="origin")
    report = RaiseReport()
    findings = list(findings)
    batch = _Batch(findings)
    for finding in findings:
        try:
            report.add(_raise_one(finding, origin=origin, actor=actor, now=now, batch=batch))
        except DomainError as exc:
            if exc.code != "no_project":
                raise
            log.error("finding of %s skipped: %s", finding.rule_id, exc)
    return report


class _Batch:
    """What one call of `warnings_raise` reads once for all its findings: the competent
    departments, the findings' projects, and which of their fingerprints any warning has."""

    def __init__(self, findings: list[Finding]) -> None:
        self.competences = _Competences()
        ids = {f.project_id for f in findings if f.project_id}
        self.projects: dict[int, Project] = Project.objects.only("pk", "industry", "code").in_bulk(
            ids
        )
        fingerprints = list({f.fingerprint for f in findings})
        self.known: set[str] = set()
        for part in chunks(fingerprints):
            self.known.update(
                Warning.objects.filter(fingerprint__in=part)
                .values_list("fingerprint", flat=True)
                .distinct()
            )


def _raise_one(
    finding: Finding, *, origin: str, actor: Any, now: dt.datetime | None, batch: _Batch
) -> RaiseReport:
    report = RaiseReport()
    at = now or timeutil.now()
    fingerprint = finding.fingerprint
    for attempt in range(2):
        try:
            with transaction.atomic():
                if attempt == 0 and fingerprint not in batch.known:
                    # No warning had this fingerprint when the batch began: nothing to merge
                    # into or to hold against it. One raised since by another process makes
                    # the open-fingerprint constraint fail, and the retry looks it up.
                    warning = _create(
                        finding, origin=origin, actor=actor, at=at, previous=None, batch=batch
                    )
                    batch.known.add(fingerprint)
                    report.created.append(warning.pk)
                    return report
                existing = (
                    Warning.objects.select_for_update()
                    .filter(fingerprint=fingerprint, status__in=OPEN_STATUSES)
                    .first()
                )
                if existing is not None:
                    if _merge(existing, finding, actor=actor, at=at):
                        report.merged.append(existing.pk)
                    else:
                        report.unchanged += 1
                    return report
                earlier = (
                    Warning.objects.filter(fingerprint=fingerprint)
                    .order_by("-created_at", "-pk")
                    .first()
                )
                if earlier is not None and _same_facts(earlier, finding):
                    report.already_decided += 1
                    return report
                warning = _create(
                    finding, origin=origin, actor=actor, at=at, previous=earlier, batch=batch
                )
                report.created.append(warning.pk)
                return report
        except IntegrityError:
            # Another process raised the same fingerprint at the same moment: merge into it.
            continue
    raise DomainError(_("The warning could not be stored; try again."), code="warning_race")


def _jsonable(value: Any) -> Any:
    """`plain`, with lazy translations (and other odd values) as text."""
    value = plain(value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _facts_json(finding: Finding) -> list[dict[str, Any]]:
    return [
        {"label": str(f.label), "value": _jsonable(f.value), "ref": str(f.ref or "")}
        for f in finding.facts
    ]


def _same_facts(warning: Warning, finding: Finding) -> bool:
    return warning.facts == _facts_json(finding) and warning.explanation == str(finding.explanation)


def _merge(warning: Warning, finding: Finding, *, actor: Any, at: dt.datetime) -> bool:
    """Merge `finding` into the open `warning`; True when something changed but the time."""
    if _same_facts(warning, finding):
        warning.last_seen_at = at
        warning.save(update_fields=["last_seen_at"])
        return False
    before = {**_state(warning), "facts": warning.facts, "explanation": warning.explanation}
    warning.facts_history = [
        *warning.facts_history,
        {
            "seen_at": warning.last_seen_at.isoformat(),
            "explanation": warning.explanation,
            "facts": warning.facts,
        },
    ]
    warning.facts = _facts_json(finding)
    warning.explanation = str(finding.explanation)
    warning.data = _jsonable(finding.data or {})
    warning.occurrences += 1
    warning.last_seen_at = at
    if finding.event_id and not warning.event_id:
        warning.event_id = finding.event_id
    warning.save()
    if finding.entity_ids:
        warning.entities.add(*finding.entity_ids)
    _history(
        warning,
        action="merge",
        actor=actor,
        at=at,
        data={"occurrences": warning.occurrences},
    )
    audit.record(
        actor=actor,
        action="screening.warning.merged",
        obj=warning,
        before=before,
        after={**_state(warning), "facts": warning.facts, "explanation": warning.explanation},
        note=_("found again with other facts"),
    )
    return True


def _subject_of(
    finding: Finding, projects: dict[int, Project]
) -> tuple[Project | None, ApprovedProject | None]:
    """The project of a finding (from `projects`, read once per batch); or, for a project on
    the approved list that never entered the platform (应进必进), no project and the approved
    project (`data["approved_project_id"]`)."""
    approved_id = (finding.data or {}).get("approved_project_id")
    approved = ApprovedProject.objects.filter(pk=approved_id).first() if approved_id else None
    project = projects.get(finding.project_id) if finding.project_id else None
    if project is None and approved is None:
        raise DomainError(
            _("The finding names no project: %(rule)s.") % {"rule": finding.rule_id},
            code="no_project",
        )
    return project, approved


def _create(
    finding: Finding,
    *,
    origin: str,
    actor: Any,
    at: dt.datetime,
    previous: Warning | None,
    batch: _Batch,
) -> Warning:
    project, approved = _subject_of(finding, batch.projects)
    industry = project.industry if project is not None else (approved.industry if approved else "")
    matter = _matter_of(finding.rule_id)
    competence = batch.competences.of(industry, matter)
    event_id = finding.event_id
    warning = Warning.objects.create(
        origin=origin,
        rule_id=finding.rule_id,
        title=_title_of(finding),
        explanation=str(finding.explanation),
        legal_basis=_legal_basis_json(finding),
        facts=_facts_json(finding),
        data=_jsonable(finding.data or {}),
        severity=finding.severity if finding.severity in Severity.values else Severity.MEDIUM,
        fingerprint=finding.fingerprint,
        project=project,
        approved_project=approved,
        lot_id=finding.lot_id,
        event_id=event_id,
        competent_department=competence.department,
        needs_coordination=competence.needs_coordination,
        competence_note=competence.explanation,
        status=WarningStatus.NEW,
        first_seen_at=at,
        last_seen_at=at,
        previous=previous,
    )
    if finding.entity_ids:
        warning.entities.set(finding.entity_ids)
    warning.status = ""
    _transition(warning, "raise", actor=actor, at=at, note=warning.explanation)
    audit.record(
        actor=actor,
        action="screening.warning.raised",
        obj=warning,
        after={
            **_state(warning),
            "rule_id": warning.rule_id,
            "origin": origin,
            "project": project.code if project is not None else None,
            "approved_project": approved.approval_no if approved is not None else None,
            "fingerprint": warning.fingerprint,
            "facts": warning.facts,
            "previous": previous.pk if previous else None,
        },
        note=warning.explanation,
    )
    handler = competence.handler
    if handler is not None:
        before = _state(warning)
        warning.assigned_department = handler
        warning.assigned_at = at
        _set_deadline(warning, at)
        _transition(
            warning,
            "assign",
            actor=actor,
            at=at,
            note=competence.explanation,
            data={"department": handler.code, "automatic": True},
        )
        _record_change(
            warning,
            actor=actor,
            action="screening.warning.assigned",
            before=before,
            note=competence.explanation,
        )
    warning.save()
    return warning


def _industry_of(warning: Warning) -> str:
    if warning.project_id:
        return Project.objects.only("industry").get(pk=warning.project_id).industry
    if warning.approved_project_id:
        return ApprovedProject.objects.only("industry").get(pk=warning.approved_project_id).industry
    return ""


# -- assignment ------------------------------------------------------------------------------


@transaction.atomic
def warning_assign(
    *, warning: Warning, department: Department, actor: Any, reason: str = ""
) -> Warning:
    """The office assigns a new warning, or reassigns one with a reason (协调处理争议). Where the
    authority list named no department or several, the choice is recorded as the office's
    coordination decision on this warning (org.CoordinationDecision)."""
    warning = _lock(warning)
    ensure_allowed(actor, "screening.warning.view", warning, visible=False)
    ensure_allowed(actor, "screening.warning.assign", warning)
    reason = (reason or "").strip()
    action = "assign" if warning.status == WarningStatus.NEW else "reassign"
    if action == "reassign" and not reason:
        raise DomainError(_("Give the reason for reassigning the warning."), code="reason_missing")
    if not department.active:
        raise DomainError(_("The department %(dept)s is not active.") % {"dept": department})
    if warning.assigned_department_id == department.pk and action == "reassign":
        raise DomainError(
            _("The warning is already assigned to %(dept)s.") % {"dept": department},
            code="same_department",
        )
    now = timeutil.now()
    before = _state(warning)
    previous = warning.assigned_department
    warning.assigned_department = department
    warning.assigned_at = now
    _set_deadline(warning, now)
    _transition(
        warning,
        action,
        actor=actor,
        at=now,
        note=reason,
        data={"department": department.code, "from": previous.code if previous else None},
    )
    warning.save()
    if warning.needs_coordination and can(actor, "org.coordination.decide", warning):
        from tenderwatch.org.services import coordination_decide

        coordination_decide(
            matter=warning,
            industry=_industry_of(warning),
            matter_type=_matter_of(warning.rule_id),
            department=department,
            reason=reason or _("Warning assigned by the office."),
            actor=actor,
        )
    _record_change(
        warning,
        actor=actor,
        action=f"screening.warning.{'assigned' if action == 'assign' else 'reassigned'}",
        before=before,
        note=reason,
    )
    return warning


@transaction.atomic
def warnings_bulk_assign(
    *, warnings: Sequence[Warning], department: Department, actor: Any, reason: str = ""
) -> list[Warning]:
    """Assign or reassign several warnings at once (the office's inbox); all or nothing."""
    ensure_allowed(actor, "screening.warning.assign")
    if not warnings:
        raise DomainError(_("Select at least one warning."), code="nothing_selected")
    return [
        warning_assign(warning=w, department=department, actor=actor, reason=reason)
        for w in warnings
    ]


# -- verification and decision ---------------------------------------------------------------


@transaction.atomic
def warning_verify(*, warning: Warning, actor: Any, note: str = "") -> Warning:
    """The assigned department starts verifying the warning (核查)."""
    warning = _lock(warning)
    _ensure_may_act(actor, warning)
    before = _state(warning)
    now = timeutil.now()
    _transition(warning, "verify", actor=actor, at=now, note=note.strip())
    warning.save()
    _record_change(
        warning, actor=actor, action="screening.warning.verifying", before=before, note=note.strip()
    )
    return warning


def _proposal(*, outcome: str, action: str = "", reason: str, category: str = "") -> dict[str, str]:
    return {"outcome": outcome, "action": action, "reason": reason, "category": category}


def _check_decision(
    warning: Warning, *, outcome: str, action: str, reason: str, category: str
) -> None:
    if outcome == "confirm":
        if action not in ConfirmAction.values:
            raise DomainError(_("Choose what is to be done about the warning."), code="action")
    elif outcome == "dismiss":
        if category not in DismissalCategory.values:
            raise DomainError(_("Choose the kind of reason for the dismissal."), code="category")
    else:
        raise DomainError(_("Choose to confirm or to dismiss the warning."), code="outcome")
    if not reason:
        raise DomainError(_("Give the reason for the decision."), code="reason_missing")
    workflow.target(outcome, warning.status)
    if outcome == "confirm" and action == ConfirmAction.SUSPEND:
        _ensure_can_suspend(warning)


def _ensure_can_suspend(warning: Warning) -> None:
    from tenderwatch.ledger.models import FeedSystem

    project = (
        Project.objects.only("source", "status").filter(pk=warning.project_id).first()
        if warning.project_id
        else None
    )
    if project is None or not FeedSystem.objects.filter(code=project.source, active=True).exists():
        raise DomainError(
            _(
                "This project did not come from a connected trading platform, so no suspension "
                "instruction can be sent; order the suspension in writing and choose another "
                "action."
            ),
            code="no_platform",
        )


def _approved_request(warning: Warning, proposal: dict[str, str]) -> Any:
    """The approval of exactly this decision, or DomainError (code "approval_required")."""
    from tenderwatch.approvals.services import ensure_approved

    pending = warning.pending_decision or {}
    same = {k: pending.get(k, "") for k in proposal} == proposal
    if not pending or not same:
        raise DomainError(
            _("This decision needs approval first: submit it for approval."),
            code="approval_required",
        )
    request = ensure_approved(subject=warning, route_kind=workflow.APPROVAL_ROUTE)
    if request.pk != pending.get("approval"):
        raise DomainError(
            _("The approval on record is for another decision: submit this one for approval."),
            code="approval_required",
        )
    return request


@transaction.atomic
def warning_submit_decision(
    *,
    warning: Warning,
    actor: Any,
    outcome: str,
    reason: str,
    action: str = "",
    category: str = "",
) -> Any:
    """Put a decision that needs approval (workflow.needs_approval) on the approval route;
    it takes effect when carried out after the last level signed (`warning_carry_out`)."""
    from tenderwatch.approvals.services import approval_submit

    warning = _lock(warning)
    _ensure_may_act(actor, warning)
    reason = (reason or "").strip()
    _check_decision(warning, outcome=outcome, action=action, reason=reason, category=category)
    if not workflow.needs_approval(outcome=outcome, action=action, severity=warning.severity):
        raise DomainError(
            _("This decision does not need approval; take it directly."), code="no_approval"
        )
    department = warning.assigned_department
    if department is None:
        raise DomainError(_("Assign the warning to a department first."), code="unassigned")
    proposal = _proposal(outcome=outcome, action=action, reason=reason, category=category)
    labels = {"confirm": _("Confirm"), "dismiss": _("Dismiss")}
    detail = (
        ConfirmAction(action).label if outcome == "confirm" else DismissalCategory(category).label
    )
    request = approval_submit(
        route_kind=workflow.APPROVAL_ROUTE,
        subject=warning,
        department=department,
        title=f"{labels[outcome]}（{detail}）：{warning.reference} {warning.title}"[:200],
        actor=actor,
        opinion=reason,
    )
    before = _state(warning)
    now = timeutil.now()
    warning.pending_decision = {
        **proposal,
        "approval": request.pk,
        "by": actor.pk,
        "at": now.isoformat(),
    }
    warning.save(update_fields=["pending_decision", "updated_at"])
    _history(
        warning,
        action="submit_for_approval",
        actor=actor,
        at=now,
        note=reason,
        data={**proposal, "approval": request.pk},
    )
    _record_change(
        warning,
        actor=actor,
        action="screening.warning.decision_submitted",
        before=before,
        note=reason,
    )
    return request


@transaction.atomic
def warning_carry_out(*, warning: Warning, actor: Any) -> Warning:
    """Carry out the decision that was approved (the pending one)."""
    locked = _lock(warning)
    _ensure_may_act(actor, locked)
    pending = locked.pending_decision or {}
    if not pending:
        raise DomainError(_("No decision is waiting to be carried out."), code="nothing_pending")
    if pending.get("outcome") == "confirm":
        return warning_confirm(
            warning=locked, actor=actor, action=pending["action"], reason=pending["reason"]
        )
    return warning_dismiss(
        warning=locked, actor=actor, category=pending["category"], reason=pending["reason"]
    )


@transaction.atomic
def warning_confirm(*, warning: Warning, actor: Any, action: str, reason: str) -> Warning:
    """Confirm the warning and act on it: order the tenderer to correct; suspend the tendering
    through the trading platform (招标投标法实施条例 第六十二条; 电子招标投标办法 第五十七条);
    or refer it for rectification or for a case (a `Referral` those apps take up)."""
    warning = _lock(warning)
    _ensure_may_act(actor, warning)
    reason = (reason or "").strip()
    _check_decision(warning, outcome="confirm", action=action, reason=reason, category="")
    proposal = _proposal(outcome="confirm", action=action, reason=reason)
    approval = None
    if workflow.needs_approval(outcome="confirm", action=action, severity=warning.severity):
        approval = _approved_request(warning, proposal)
    if action == ConfirmAction.SUSPEND and not can(actor, "ledger.instruct"):
        raise PermissionDenied(
            _(
                "The suspension instruction goes out through the office's supervision platform: "
                "office staff carry out an approved suspension."
            )
        )
    now = timeutil.now()
    before = _state(warning)
    decision: dict[str, Any] = {
        "outcome": "confirm",
        "action": action,
        "reason": reason,
        "by": actor.pk,
        "by_name": actor.display_name,
        "at": now.isoformat(),
        "approval": approval.pk if approval is not None else None,
    }
    _transition(warning, "confirm", actor=actor, at=now, note=reason, data={"action": action})
    warning.outcome = Outcome.CONFIRMED
    warning.confirm_action = action
    warning.decided_at = now
    warning.pending_decision = {}
    if action == ConfirmAction.SUSPEND:
        decision["instruction"] = _suspend(warning, actor=actor, reason=reason, at=now)
    elif action in (ConfirmAction.REFER_RECTIFICATION, ConfirmAction.REFER_CASE):
        decision["referral"] = _refer(warning, action=action, actor=actor, reason=reason, at=now)
    warning.decision = decision
    warning.save()
    _record_change(
        warning, actor=actor, action="screening.warning.confirmed", before=before, note=reason
    )
    return warning


def _suspend(warning: Warning, *, actor: Any, reason: str, at: dt.datetime) -> int:
    from tenderwatch.ledger import outbound

    assert warning.project_id is not None  # checked by _ensure_can_suspend
    project = Project.objects.get(pk=warning.project_id)
    lot = Lot.objects.get(pk=warning.lot_id) if warning.lot_id else None
    instruction = outbound.instruction_issue(
        project=project,
        lot=lot,
        kind=InstructionKind.SUSPEND,
        reason=f"{warning.explanation} {reason}".strip(),
        basis=warning.legal_basis_text or "《招标投标法实施条例》第六十二条",
        reference=warning.reference,
        actor=actor,
    )
    _history(
        warning,
        action="instruct",
        actor=actor,
        at=at,
        data={"instruction": instruction.pk, "kind": instruction.kind},
    )
    return int(instruction.pk)


def _refer(warning: Warning, *, action: str, actor: Any, reason: str, at: dt.datetime) -> int:
    kind = ReferralKind.CASE if action == ConfirmAction.REFER_CASE else ReferralKind.RECTIFICATION
    department = warning.assigned_department
    assert department is not None
    referral = Referral.objects.create(
        warning=warning,
        kind=kind,
        target_department=department,
        payload={
            "warning": warning.pk,
            "reference": warning.reference,
            "project": warning.project_id,
            "lot": warning.lot_id,
            "rule_id": warning.rule_id,
            "title": warning.title,
            "explanation": warning.explanation,
            "legal_basis": warning.legal_basis,
            "facts": warning.facts,
            "entities": sorted(warning.entities.values_list("pk", flat=True)),
            "reason": reason,
        },
        created_by=actor,
    )
    _history(
        warning,
        action="refer",
        actor=actor,
        at=at,
        data={"referral": referral.pk, "kind": kind, "department": department.code},
    )
    audit.record(
        actor=actor,
        action="screening.referral.created",
        obj=referral,
        after=snapshot(referral),
        note=reason,
    )
    return int(referral.pk)


@transaction.atomic
def warning_dismiss(*, warning: Warning, actor: Any, category: str, reason: str) -> Warning:
    """Dismiss the warning, with the reason and its category (kept for tuning the rules)."""
    warning = _lock(warning)
    _ensure_may_act(actor, warning)
    reason = (reason or "").strip()
    _check_decision(warning, outcome="dismiss", action="", reason=reason, category=category)
    proposal = _proposal(outcome="dismiss", reason=reason, category=category)
    approval = None
    if workflow.needs_approval(outcome="dismiss", severity=warning.severity):
        approval = _approved_request(warning, proposal)
    now = timeutil.now()
    before = _state(warning)
    _transition(warning, "dismiss", actor=actor, at=now, note=reason, data={"category": category})
    warning.outcome = Outcome.DISMISSED
    warning.dismissal_category = category
    warning.dismissal_reason = reason
    warning.decided_at = now
    warning.pending_decision = {}
    warning.decision = {
        "outcome": "dismiss",
        "category": category,
        "reason": reason,
        "by": actor.pk,
        "by_name": actor.display_name,
        "at": now.isoformat(),
        "approval": approval.pk if approval is not None else None,
    }
    warning.save()
    _record_change(
        warning, actor=actor, action="screening.warning.dismissed", before=before, note=reason
    )
    return warning


@transaction.atomic
def warning_close(*, warning: Warning, actor: Any, note: str = "") -> Warning:
    """Close a decided warning (办结)."""
    warning = _lock(warning)
    _ensure_may_act(actor, warning)
    now = timeutil.now()
    before = _state(warning)
    _transition(warning, "close", actor=actor, at=now, note=note.strip())
    warning.closed_at = now
    warning.save()
    _record_change(
        warning, actor=actor, action="screening.warning.closed", before=before, note=note.strip()
    )
    return warning


# -- escalation ------------------------------------------------------------------------------


def warnings_escalate_overdue(*, now: dt.datetime | None = None, limit: int = 1000) -> list[int]:
    """Raise every overdue warning to the office head: an `Escalation` row, a history entry and
    an audit entry, once per deadline (a reassignment starts a new clock).

    Several sweepers may run at once: each row is claimed by a conditional UPDATE (… WHERE
    escalated_at IS NULL AND due_at < now) in the transaction that records the escalation, and
    only the sweeper whose UPDATE touched the row escalates it.
    """
    now = now or timeutil.now()
    overdue = dict(status__in=UNDECIDED_STATUSES, due_at__lt=now, escalated_at__isnull=True)
    candidates = list(
        Warning.objects.filter(**overdue)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    escalated = []
    for pk in candidates:
        with transaction.atomic():
            if not Warning.objects.filter(pk=pk, **overdue).update(escalated_at=now):
                continue
            warning = _lock(pk)
            assert warning.due_at is not None
            Escalation.objects.create(
                warning=warning,
                target=EscalationTarget.OFFICE_HEAD,
                department=warning.assigned_department,
                due_at=warning.due_at,
                escalated_at=now,
                note=warning.due_rule,
            )
            _history(
                warning,
                action="escalate",
                actor=None,
                at=now,
                data={"due_at": warning.due_at},
            )
            audit.record(
                actor=None,
                action="screening.warning.escalated",
                obj=warning,
                before={"escalated_at": None},
                after={
                    "escalated_at": now,
                    "due_at": warning.due_at,
                    "assigned_department": warning.assigned_department_id,
                    "target": EscalationTarget.OFFICE_HEAD,
                },
                note=warning.due_rule,
            )
            escalated.append(pk)
    return escalated


def office_head_level() -> int:
    return int(getattr(settings, "TW_SCREEN_OFFICE_HEAD_LEVEL", 3))


# -- rule settings ---------------------------------------------------------------------------


@transaction.atomic
def rule_setting_change(
    *,
    rule_id: str,
    actor: Any,
    reason: str,
    params: dict[str, Any] | None = None,
    enabled: bool | None = None,
) -> RuleSetting:
    """Save a new version of a rule's settings: its parameters (validated against the rule's
    spec; the rest keep their values) and whether it runs. The office only, with a reason."""
    ensure_allowed(actor, "screening.rules.manage")
    spec = catalogue.spec_of(rule_id)
    if spec is None:
        raise DomainError(_("There is no rule %(rule)s.") % {"rule": rule_id}, code="no_rule")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the change."), code="reason_missing")
    current = (
        RuleSetting.objects.select_for_update().filter(rule_id=rule_id).order_by("-version").first()
    )
    in_force = catalogue.params_in_force(spec, current)
    merged = {**in_force, **(params or {})}
    new_params = catalogue.validate_params(spec, merged)
    was_enabled = current.enabled if current is not None else True
    new_enabled = was_enabled if enabled is None else bool(enabled)
    if new_params == in_force and new_enabled == was_enabled:
        raise DomainError(_("Nothing was changed."), code="unchanged")
    setting = RuleSetting.objects.create(
        rule_id=rule_id,
        version=(current.version + 1) if current else 1,
        enabled=new_enabled,
        params={k: catalogue.to_json(v) for k, v in new_params.items()},
        reason=reason,
        changed_by=actor,
        changed_at=timeutil.now(),
    )
    audit.record(
        actor=actor,
        action="screening.rule.changed",
        obj=setting,
        before={
            "enabled": was_enabled,
            "params": {k: catalogue.to_json(v) for k, v in in_force.items()},
            "version": current.version if current else 0,
        },
        after={"enabled": setting.enabled, "params": setting.params, "version": setting.version},
        note=reason,
    )
    return setting


# -- model documents (示范文本) -----------------------------------------------------------------

MODEL_DOCUMENT_FIELDS = ["title", "version", "active", "category", "methods", "industry", "sha256"]


def _clean_methods(methods: Iterable[str] | str) -> str:
    from tenderwatch.ledger.models import ProcurementMethod

    items = methods.replace("，", ",").split(",") if isinstance(methods, str) else list(methods)
    chosen = [m.strip() for m in items if m and m.strip()]
    unknown = [m for m in chosen if m not in ProcurementMethod.values]
    if unknown:
        raise DomainError(
            _("Unknown procurement method: %(methods)s.") % {"methods": "、".join(unknown)},
            code="method",
        )
    return ",".join(chosen)


@transaction.atomic
def model_document_upload(
    *,
    actor: Any,
    title: str,
    text: str,
    category: str = "",
    methods: Iterable[str] | str = "",
    industry: str = "",
    source_name: str = "",
) -> ModelDocument:
    """The office uploads a model tender document (示范文本) for rule TD-01. A document with the
    title of an earlier one is its new version; the earlier versions are switched off."""
    import hashlib

    from tenderwatch.ledger.models import Category
    from tenderwatch.org.selectors import normalise_industry

    ensure_allowed(actor, "screening.rules.manage")
    title = (title or "").strip()
    text = (text or "").replace("\r\n", "\n").strip()
    if not title:
        raise DomainError(_("Give the model document a title."), code="title")
    if not text:
        raise DomainError(_("The model document has no text."), code="text")
    if category and category not in Category.values:
        raise DomainError(_("Unknown category."), code="category")
    industry = normalise_industry(industry) if industry else ""
    method_text = _clean_methods(methods)
    earlier = list(
        ModelDocument.objects.select_for_update().filter(title=title).order_by("-version")
    )
    now = timeutil.now()
    for old in earlier:
        if old.active:
            old.active = False
            old.save(update_fields=["active"])
    document = ModelDocument.objects.create(
        title=title,
        text=text,
        category=category,
        methods=method_text,
        industry=industry,
        version=(earlier[0].version + 1) if earlier else 1,
        active=True,
        source_name=source_name[:200],
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        uploaded_by=actor,
        uploaded_at=now,
    )
    audit.record(
        actor=actor,
        action="screening.model_document.uploaded",
        obj=document,
        after={
            **snapshot(document, MODEL_DOCUMENT_FIELDS),
            "replaces": [old.pk for old in earlier if old.version == document.version - 1],
        },
        note=source_name,
    )
    return document


@transaction.atomic
def model_document_set_active(
    *, document: ModelDocument, active: bool, actor: Any, reason: str
) -> ModelDocument:
    """Switch a model document on or off, with a reason."""
    ensure_allowed(actor, "screening.rules.manage")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the change."), code="reason_missing")
    document = ModelDocument.objects.select_for_update().get(pk=document.pk)
    if document.active == active:
        raise DomainError(_("Nothing was changed."), code="unchanged")
    before = snapshot(document, MODEL_DOCUMENT_FIELDS)
    document.active = active
    document.save(update_fields=["active"])
    audit.record(
        actor=actor,
        action="screening.model_document.switched",
        obj=document,
        before=before,
        after=snapshot(document, MODEL_DOCUMENT_FIELDS),
        note=reason,
    )
    return document
