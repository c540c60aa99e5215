"""Handling an accepted matter: the draft decision, its approval, the decision issued, its service
(送达). REQ-07, REQ-15.

- The handling department drafts the decision (`decision_draft`): dismissed, order to correct,
  suspend the tendering, declare the award void, or refer for a penalty.
- It goes on the approval route "complaint_decision" (承办 → 审核 → 审批, `approvals`), in the
  handling department (the office, where it handles the matter itself). `decision_sign` signs the
  level the request waits at and nothing else: the level the signer saw is required, so no level
  is skipped — the approvals service refuses any other.
- Once approved at its last level, `decision_issue` issues it (the handling decision letter) and
  carries it out: a suspension goes to the trading platform through the ledger's outbound
  adapter (`ledger.outbound`, by office staff, who hold the supervision platform); a referral for
  a penalty is recorded as a `Referral` the cases app takes up.
- `decision_serve` records the service (method, date, to whom, proof; electronic service only
  with the filer's consent), issues the service receipt, and puts the decision on the filer's
  tracking page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext as _

from tenderwatch.approvals import services as approvals
from tenderwatch.approvals.models import ApprovalRequest, RequestStatus
from tenderwatch.audit import services as audit
from tenderwatch.complaints import clocks, integrations, workflow
from tenderwatch.complaints.investigation import handler_check
from tenderwatch.complaints.models import (
    Clock,
    Decision,
    Matter,
    NoticeKind,
    Outcome,
    Purpose,
    Referral,
    Service,
    ServiceMethod,
    Status,
)
from tenderwatch.complaints.recipients import department_staff
from tenderwatch.complaints.services import (
    _attach,
    _lock,
    _notice,
    _snapshot,
    _staff_check,
    _store_files,
)
from tenderwatch.core import timeutil
from tenderwatch.core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from tenderwatch.org.scoping import can

DECISION_ROUTE = "complaint_decision"
DEFAULT_REMEDY = (
    "如不服本处理决定，可以自收到本决定之日起六十日内依法申请行政复议，"
    "或者在六个月内依法向人民法院提起行政诉讼。"
)
DEFAULT_BASIS = {
    Outcome.DISMISSED: "《工程建设项目招标投标活动投诉处理办法》第二十条第（一）项",
    Outcome.ORDER_CORRECT: "《工程建设项目招标投标活动投诉处理办法》第二十条第（二）项",
    Outcome.SUSPEND: "《招标投标法实施条例》第六十二条第二款",
    Outcome.AWARD_VOID: "《招标投标法》第五十条至第五十五条；《招标投标法实施条例》第八十一条",
    Outcome.REFER_PENALTY: "《行政处罚法》第五十四条",
}


def latest_decision_request(matter: Matter) -> ApprovalRequest | None:
    return (
        ApprovalRequest.objects.filter(
            route__kind=DECISION_ROUTE,
            content_type=ContentType.objects.get_for_model(Matter),
            object_id=str(matter.pk),
        )
        .select_related("current_level", "route")
        .order_by("-submitted_at", "-id")
        .first()
    )


def _decision_state(decision: Decision) -> dict[str, Any]:
    return {
        "outcome": decision.outcome,
        "revision": decision.revision,
        "department": decision.department.code,
        "legal_basis": decision.legal_basis,
    }


@transaction.atomic
def decision_draft(
    *,
    matter: Matter,
    actor: Any,
    outcome: str,
    facts: str,
    decision_text: str,
    legal_basis: str = "",
    remedy: str = "",
    now: dt.datetime | None = None,
) -> Decision:
    """Write (or revise) the draft handling decision while the matter is being handled."""
    handler_check(actor, matter)
    matter = _lock(matter)
    now = now or timeutil.now()
    if matter.status != Status.HANDLING:
        raise InvalidTransition(
            _("The decision is drafted while the matter is being handled; it is “%(status)s”.")
            % {"status": matter.get_status_display()}
        )
    if outcome not in Outcome.values:
        raise DomainError(_("Choose the outcome of the decision."))
    facts, decision_text = facts.strip(), decision_text.strip()
    if not facts or not decision_text:
        raise DomainError(_("Write the facts found and the decision."))
    if outcome == Outcome.SUSPEND and matter.project_id is None:
        raise DomainError(
            _("A suspension needs the project in the ledger; classify the matter's project first.")
        )
    assert matter.department is not None
    basis = legal_basis.strip() or DEFAULT_BASIS[Outcome(outcome)]
    existing = Decision.objects.select_for_update().filter(matter=matter).first()
    before = _decision_state(existing) if existing else None
    if existing is None:
        decision = Decision(matter=matter, revision=1)
    else:
        decision = existing
        decision.revision += 1
    decision.outcome = outcome
    decision.facts = facts
    decision.decision_text = decision_text
    decision.legal_basis = basis
    decision.remedy = remedy.strip() or DEFAULT_REMEDY
    decision.department = matter.department
    decision.drafted_by = actor
    decision.drafted_at = now
    decision.save()
    audit.record(
        actor=actor,
        action="complaints.decision.drafted",
        obj=matter,
        before=before,
        after=_decision_state(decision),
    )
    return decision


@transaction.atomic
def decision_submit(
    *, matter: Matter, actor: Any, opinion: str = "", major: bool = False
) -> ApprovalRequest:
    """Put the draft on the approval route (承办 → 审核 → 审批) of the handling department. A
    draft returned for revision goes round again (a new round of the same request)."""
    handler_check(actor, matter)
    matter = _lock(matter)
    now = timeutil.now()
    if matter.status != Status.HANDLING:
        raise InvalidTransition(_("Only a matter being handled submits its draft decision."))
    decision = Decision.objects.filter(matter=matter).first()
    if decision is None:
        raise DomainError(_("Draft the decision first."))
    before = _snapshot(matter)
    latest = latest_decision_request(matter)
    if latest is not None and latest.status == RequestStatus.RETURNED:
        request = approvals.approval_resubmit(request=latest, actor=actor, opinion=opinion)
    else:
        assert matter.department is not None
        request = approvals.approval_submit(
            route_kind=DECISION_ROUTE,
            subject=matter,
            department=matter.department,
            title=_("Handling decision on %(number)s: %(outcome)s")
            % {"number": matter.number, "outcome": decision.get_outcome_display()},
            actor=actor,
            opinion=opinion.strip() or decision.decision_text[:500],
            major=major,
        )
    workflow.transition(matter, to=Status.DECISION_PENDING, actor=actor, at=now, note=opinion)
    matter.save()
    audit.record(
        actor=actor,
        action="complaints.decision.submitted",
        obj=matter,
        before=before,
        after={
            **_snapshot(matter),
            "approval_request": request.pk,
            "round": request.round,
            "revision": decision.revision,
        },
    )
    return request


def _back_to_handling(matter: Matter, request: ApprovalRequest, *, actor: Any) -> None:
    now = timeutil.now()
    before = _snapshot(matter)
    workflow.transition(
        matter, to=Status.HANDLING, actor=actor, at=now, note=request.get_status_display()
    )
    matter.save()
    audit.record(
        actor=actor,
        action="complaints.decision.sent_back",
        obj=matter,
        before=before,
        after={**_snapshot(matter), "approval_request": request.pk, "route": request.status},
    )


@transaction.atomic
def decision_sign(
    *, matter: Matter, actor: Any, level: int, decision: str, opinion: str = ""
) -> ApprovalRequest:
    """Sign the level the draft decision waits at (approve, reject or return). `level` is the
    order of the level the signer was shown: any other level — a skipped one — is refused."""
    from tenderwatch.org.scoping import ensure_visible

    ensure_visible(actor, "complaints.view", matter)
    matter = _lock(matter)
    if matter.status != Status.DECISION_PENDING:
        raise InvalidTransition(_("No draft decision of this matter waits for approval."))
    request = latest_decision_request(matter)
    if request is None or request.status != RequestStatus.PENDING:
        raise InvalidTransition(_("No draft decision of this matter waits for approval."))
    current = request.current_level
    assert current is not None
    if int(level) != current.order:
        # 严格行政层级审批 (REQ-15): the office — or anybody — cannot skip a level.
        raise InvalidTransition(
            _(
                "The decision waits at level %(current)s (%(stage)s); level %(level)s cannot be "
                "signed before it. Levels are signed in order."
            )
            % {"current": current.order, "stage": current.get_stage_display(), "level": level},
            code="level_skipped",
        )
    request = approvals.approval_decide(
        request=request, actor=actor, decision=decision, opinion=opinion, level=int(level)
    )
    if request.status in (RequestStatus.REJECTED, RequestStatus.RETURNED):
        _back_to_handling(matter, request, actor=actor)
    elif request.status == RequestStatus.APPROVED:
        integrations.notify(
            event="complaints.decision_approved",
            title=_("Decision on %(number)s approved") % {"number": matter.number},
            body=_("The handling decision was approved at its last level; issue and serve it."),
            matter=matter,
            users=department_staff(matter.department),
        )
    return request


def _suspend(matter: Matter, decision: Decision, *, actor: Any) -> int:
    from tenderwatch.ledger import outbound
    from tenderwatch.ledger.models import InstructionKind, Lot, Project

    if not can(actor, "ledger.instruct"):
        raise PermissionDenied(
            _(
                "The suspension instruction goes out through the office's supervision platform: "
                "office staff issue an approved suspension."
            )
        )
    assert matter.project_id is not None
    instruction = outbound.instruction_issue(
        project=Project.objects.get(pk=matter.project_id),
        lot=Lot.objects.get(pk=matter.lot_id) if matter.lot_id else None,
        kind=InstructionKind.SUSPEND,
        # The ledger is shared by every department: the reason names the decision, not the
        # matter (the letter number is the reference the platform keeps).
        reason=_("Handling decision on a complaint: %(text)s")
        % {"text": decision.decision_text[:300]},
        basis=decision.legal_basis[:200],
        reference=decision.letter_number or matter.number,
        actor=actor,
    )
    return int(instruction.pk)


def _refer(matter: Matter, decision: Decision, *, actor: Any) -> Referral:
    referral = Referral.objects.create(
        matter=matter,
        kind="case",
        target_department=decision.department,
        payload={
            "matter": matter.pk,
            "number": matter.number,
            "kind": matter.kind,
            "project": matter.project_id,
            "lot": matter.lot_id,
            "respondent": matter.respondent_name,
            "subject": matter.subject,
            "facts": decision.facts,
            "decision": decision.decision_text,
            "legal_basis": decision.legal_basis,
            "decision_letter": decision.letter_number,
            "evidence": list(
                matter.attachments.exclude(purpose=Purpose.IDENTITY_PROOF).values_list(
                    "sha256", flat=True
                )
            ),
        },
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="complaints.referral.created",
        obj=referral,
        after=audit.snapshot(referral),
    )
    return referral


@transaction.atomic
def decision_issue(*, matter: Matter, actor: Any, now: dt.datetime | None = None) -> Matter:
    """After the route has decided: issue the approved decision (its letter, and what it orders),
    or — rejected, returned or withdrawn on the route — take it back to handling."""
    handler_check(actor, matter)
    matter = _lock(matter)
    now = now or timeutil.now()
    if matter.status != Status.DECISION_PENDING:
        raise InvalidTransition(_("No draft decision of this matter waits for approval."))
    request = latest_decision_request(matter)
    if request is not None and request.status in (
        RequestStatus.REJECTED,
        RequestStatus.RETURNED,
        RequestStatus.WITHDRAWN,
    ):
        _back_to_handling(matter, request, actor=actor)
        return matter
    # Refused unless approved at its last level: no level is skipped (REQ-15).
    approvals.ensure_approved(subject=matter, route_kind=DECISION_ROUTE)
    decision = Decision.objects.select_for_update().get(matter=matter)
    before = _snapshot(matter)
    letter = integrations.issue_letter(
        kind="complaints.handling_decision",
        matter=matter,
        actor=actor,
        context={
            "facts": decision.facts,
            "outcome": str(decision.get_outcome_display()),
            "decision_text": decision.decision_text,
            "legal_basis": [b.strip() for b in decision.legal_basis.splitlines() if b.strip()],
            "remedy": decision.remedy,
        },
    )
    decision.letter_id, decision.letter_number = integrations.letter_ref(letter)
    decision.issued_at = now
    decision.issued_by = actor
    referral = None
    if decision.outcome == Outcome.SUSPEND:
        decision.instruction_id = _suspend(matter, decision, actor=actor)
    elif decision.outcome == Outcome.REFER_PENALTY:
        referral = _refer(matter, decision, actor=actor)
    decision.save()
    workflow.transition(matter, to=Status.DECIDED, actor=actor, at=now)
    matter.save()
    clocks.complete(matter, [Clock.DECISION_STATUTE], at=now)
    audit.record(
        actor=actor,
        action="complaints.decision.issued",
        obj=matter,
        before=before,
        after={
            **_snapshot(matter),
            **_decision_state(decision),
            "letter": decision.letter_number,
            "instruction": decision.instruction_id,
            "referral": referral.pk if referral else None,
            "approval_request": request.pk if request else None,
        },
    )
    return matter


@transaction.atomic
def consent_record(*, matter: Matter, actor: Any, note: str) -> Matter:
    """Record that the filer consented to electronic service (电子送达, 民事诉讼法 第九十条 by
    analogy; 行政处罚法 第六十一条第二款), and how."""
    ensure_consent_actor(actor, matter)
    matter = _lock(matter)
    note = note.strip()
    if not note:
        raise DomainError(_("Say how the filer consented (e.g. in the signed complaint)."))
    matter.electronic_consent = True
    matter.electronic_consent_note = note[:200]
    matter.save(update_fields=["electronic_consent", "electronic_consent_note", "updated_at"])
    audit.record(
        actor=actor,
        action="complaints.service.consent_recorded",
        obj=matter,
        after={"electronic_consent": True},
        note=note,
    )
    return matter


def ensure_consent_actor(actor: Any, matter: Matter) -> None:
    if can(actor, "complaints.intake", matter):
        _staff_check(actor, matter)
    else:
        handler_check(actor, matter)


def decision_serve(
    *,
    matter: Matter,
    actor: Any,
    method: str,
    served_on: dt.date,
    served_to: str,
    proof_note: str = "",
    proof_upload: Any = None,
    now: dt.datetime | None = None,
) -> Service:
    """Record the service of the decision (送达) with its proof; the filer finds the decision on
    the tracking page. The plan's conclusion clock (办结) is met or missed now."""
    handler_check(actor, matter)
    if method not in ServiceMethod.values:
        raise DomainError(_("Choose how the decision was served."))
    stored = _store_files([(Purpose.SERVICE_PROOF, proof_upload)]) if proof_upload else []
    with transaction.atomic():
        matter = _lock(matter)
        now = now or timeutil.now()
        if matter.status != Status.DECIDED:
            raise InvalidTransition(_("Only an issued decision is served."))
        decision = Decision.objects.get(matter=matter)
        if method == ServiceMethod.ELECTRONIC and not matter.electronic_consent:
            raise DomainError(
                _(
                    "Electronic service needs the filer's consent; record it first, or serve it "
                    "another way."
                ),
                code="no_consent",
            )
        served_to = served_to.strip()
        if not served_to:
            raise DomainError(_("Say to whom the decision was served."))
        assert decision.issued_at is not None
        if served_on > timeutil.china_date(now) or served_on < timeutil.china_date(
            decision.issued_at
        ):
            raise DomainError(_("The day of service must lie between the decision and today."))
        if not stored and not proof_note.strip():
            raise DomainError(_("Attach the proof of service or describe it."))
        before = _snapshot(matter)
        attached = _attach(matter, stored, actor=actor, at=now)
        title = _("Handling decision on %(number)s") % {"number": matter.number}
        service = Service.objects.create(
            matter=matter,
            document_title=title[:200],
            document_number=decision.letter_number,
            method=method,
            served_on=served_on,
            served_to=served_to[:200],
            proof_note=proof_note.strip(),
            proof=attached[0] if attached else None,
            served_by=actor,
            recorded_at=now,
        )
        receipt = integrations.issue_letter(
            kind="complaints.service_receipt",
            matter=matter,
            actor=actor,
            context={
                "document_title": "投诉处理决定书"
                if matter.kind == "complaint"
                else "举报处理决定书",
                "document_number": decision.letter_number,
                "service_method": str(service.get_method_display()),
                "served_on": integrations.day(served_on),
                "served_to": service.served_to,
                "served_by": getattr(actor, "display_name", str(actor)),
                "proof_note": service.proof_note,
            },
        )
        service.receipt_letter_id, service.receipt_letter_number = integrations.letter_ref(receipt)
        service.save(update_fields=["receipt_letter_id", "receipt_letter_number"])
        workflow.transition(matter, to=Status.SERVED, actor=actor, at=now)
        matter.closed_at = now
        matter.save()
        clocks.complete(matter, [Clock.CONCLUSION_PLAN, Clock.ASSIGNED], at=now)
        body = "\n".join(
            [
                _("Outcome: %(outcome)s") % {"outcome": decision.get_outcome_display()},
                decision.decision_text,
                _("Legal basis: %(basis)s") % {"basis": decision.legal_basis},
                decision.remedy,
            ]
        )
        notice = _notice(matter, NoticeKind.DECISION, (title, body), actor=actor, at=now)
        notice.letter_id, notice.letter_number = decision.letter_id, decision.letter_number
        notice.save(update_fields=["letter_id", "letter_number"])
        audit.record(
            actor=actor,
            action="complaints.decision.served",
            obj=matter,
            before=before,
            after={
                **_snapshot(matter),
                "service": service.pk,
                "method": method,
                "served_on": served_on,
                "proof": attached[0].sha256 if attached else None,
                "receipt_letter": service.receipt_letter_number,
                "notice": notice.pk,
            },
        )
        integrations.notify(
            event="complaints.decision_served",
            title=title,
            body=_(
                "The handling decision on your %(kind)s %(number)s has been served. You can "
                "download it on the tracking page with your tracking code."
            )
            % {"kind": matter.get_kind_display(), "number": matter.number},
            matter=matter,
            to_filer=True,
        )
    return service


# -- the filer's download ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PublicLetter:
    content: bytes
    filename: str


@transaction.atomic
def public_letter_open(*, matter: Matter, notice_id: int, client_ip: str | None) -> PublicLetter:
    """The letter of a notice addressed to the filer (the handling decision once served), for the
    tracking page: only for the matter the filer proved with its code; every download audited."""
    notice = matter.notices.filter(pk=notice_id, letter_id__isnull=False).first()
    letter = integrations.letter_of(notice.letter_id) if notice is not None else None
    if notice is None or letter is None:
        raise NotFound()
    content = integrations.letter_bytes(letter)
    audit.record(
        actor=None,
        action="complaints.public.letter_downloaded",
        obj=matter,
        after={
            "notice": notice.pk,
            "kind": notice.kind,
            "letter": notice.letter_number,
            "sha256": getattr(letter, "sha256", ""),
            "client": client_ip or "",
        },
    )
    name = (notice.letter_number or notice.title or matter.number).replace("/", "-")
    return PublicLetter(content, f"{name}.docx")
