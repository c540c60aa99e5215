"""Routing an accepted matter (REQ-07, REQ-13): 自办, 分办 or 转办.

- 自办: the office handles the matter itself (the office becomes its handling department).
- 分办: to the competent department the authority list proposes (`org.selectors.
  competent_department`); the office may choose another with a written reason. Where the list
  names no department or several, the matter goes to office coordination, and the office's
  decision is recorded as an `org.CoordinationDecision` (协调处理争议).
- 转办: out to another body (discipline inspection, public security, market regulation, …) with
  a transfer letter; once the body's receipt is recorded the matter is closed for the office.

Routing is the office's act (permission `complaints.intake`); each step is a `workflow`
transition with an audit entry, in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tenderwatch.audit import services as audit
from tenderwatch.complaints import clocks, integrations, workflow
from tenderwatch.complaints.models import (
    Clock,
    Kind,
    Matter,
    NoticeKind,
    Purpose,
    Routing,
    Status,
    Transfer,
)
from tenderwatch.complaints.services import (
    _attach,
    _lock,
    _notice,
    _snapshot,
    _staff_check,
    _store_files,
)
from tenderwatch.core import timeutil
from tenderwatch.core.errors import DomainError, InvalidTransition
from tenderwatch.org.models import Department, Industry, MatterType
from tenderwatch.org.selectors import Competence, competent_department, office
from tenderwatch.org.services import coordination_decide

ROUTABLE = (Status.ACCEPTED,)
TRANSFERABLE = (Status.ACCEPTED, Status.COORDINATION)


def _matter_type(matter: Matter) -> str:
    return MatterType.COMPLAINT if matter.kind == Kind.COMPLAINT else MatterType.TIP_OFF


def proposal(matter: Matter) -> Competence:
    """What the authority list proposes for `matter` today (or the office's recorded decision)."""
    return competent_department(
        industry=matter.industry or Industry.OTHER,
        matter_type=_matter_type(matter),
        matter=matter,
    )


def _state(matter: Matter) -> dict[str, Any]:
    return {
        **_snapshot(matter, "routing"),
        "department": matter.department.code if matter.department else None,
    }


def _handlers_of(department: Department | None) -> list[Any]:
    from tenderwatch.complaints.recipients import department_staff

    return department_staff(department)


@transaction.atomic
def matter_route(
    *,
    matter: Matter,
    actor: Any,
    routing: str,
    department: Department | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Matter:
    """自办 (`Routing.SELF`) or 分办 (`Routing.ASSIGN`) an accepted matter.

    For 分办 the department is the authority list's proposal unless `department` names another,
    which needs `reason`. Where the list names none or several, the matter goes to office
    coordination (`matter_coordinate` decides). Transfers are `matter_transfer`.
    """
    _staff_check(actor, matter)
    matter = _lock(matter)
    now = now or timeutil.now()
    reason = reason.strip()
    if matter.status not in ROUTABLE:
        raise InvalidTransition(
            _("Only an accepted matter is routed; this one is “%(status)s”.")
            % {"status": matter.get_status_display()}
        )
    before = _state(matter)
    competence = proposal(matter)
    matter.proposed_department = competence.department
    if routing == Routing.SELF:
        the_office = office()
        if the_office is None:
            raise DomainError(_("No supervision office is configured; run the district setup."))
        matter.department = the_office
        note = reason or _("The office handles the matter itself (自办).")
        to = Status.INVESTIGATION
    elif routing == Routing.ASSIGN:
        if competence.needs_coordination and department is None:
            note = competence.explanation
            to = Status.COORDINATION
        elif department is None:
            assert competence.department is not None
            matter.department = competence.department
            note = reason or competence.explanation
            to = Status.INVESTIGATION
        else:
            if not department.active:
                raise DomainError(
                    _("The department %(dept)s is not active.") % {"dept": department}
                )
            if department.pk != getattr(competence.department, "pk", None) and not reason:
                raise DomainError(
                    _(
                        "The authority list proposes %(proposed)s. Give the reason for assigning "
                        "the matter to %(chosen)s instead."
                    )
                    % {
                        "proposed": competence.department or _("office coordination"),
                        "chosen": department,
                    },
                    code="reason_missing",
                )
            if competence.needs_coordination:
                # The office settles what the list does not: recorded as its coordination
                # decision (协调处理争议), which the authority list answers with from now on.
                coordination_decide(
                    matter=matter,
                    industry=matter.industry or Industry.OTHER,
                    matter_type=_matter_type(matter),
                    department=department,
                    reason=reason,
                    actor=actor,
                )
            matter.department = department
            note = reason or competence.explanation
            to = Status.INVESTIGATION
    else:
        raise DomainError(_("Choose 自办 or 分办; a transfer is made with its letter."))
    matter.routing = routing
    matter.routed_at = now
    matter.routed_by = actor
    matter.routing_reason = note
    workflow.transition(matter, to=to, actor=actor, at=now, note=note)
    matter.save()
    audit.record(
        actor=actor,
        action="complaints.matter.routed",
        obj=matter,
        before=before,
        after={
            **_state(matter),
            "proposed": competence.department.code if competence.department else None,
            "candidates": [d.code for d in competence.candidates],
        },
        note=note,
    )
    if to == Status.INVESTIGATION:
        integrations.notify(
            event="complaints.assigned",
            title=_("%(number)s assigned to %(department)s")
            % {"number": matter.number, "department": matter.department},
            body=note,
            matter=matter,
            users=_handlers_of(matter.department),
        )
    return matter


@transaction.atomic
def matter_coordinate(
    *,
    matter: Matter,
    actor: Any,
    department: Department,
    reason: str,
    now: dt.datetime | None = None,
) -> Matter:
    """The office decides who handles a matter the authority list does not settle; recorded as
    an org coordination decision, then the matter goes to that department (分办)."""
    _staff_check(actor, matter)
    matter = _lock(matter)
    now = now or timeutil.now()
    if matter.status != Status.COORDINATION:
        raise InvalidTransition(_("This matter is not waiting for the office's coordination."))
    before = _state(matter)
    decision = coordination_decide(
        matter=matter,
        industry=matter.industry or Industry.OTHER,
        matter_type=_matter_type(matter),
        department=department,
        reason=reason,
        actor=actor,
    )
    matter.department = department
    matter.routing = Routing.ASSIGN
    matter.routed_at = now
    matter.routed_by = actor
    matter.routing_reason = decision.reason
    workflow.transition(matter, to=Status.INVESTIGATION, actor=actor, at=now, note=decision.reason)
    matter.save()
    audit.record(
        actor=actor,
        action="complaints.matter.coordinated",
        obj=matter,
        before=before,
        after={**_state(matter), "coordination_decision": decision.pk},
        note=decision.reason,
    )
    integrations.notify(
        event="complaints.assigned",
        title=_("%(number)s assigned to %(department)s")
        % {"number": matter.number, "department": department},
        body=decision.reason,
        matter=matter,
        users=_handlers_of(department),
    )
    return matter


@transaction.atomic
def matter_transfer(
    *,
    matter: Matter,
    actor: Any,
    body_name: str,
    reason: str,
    legal_basis: str,
    body: Department | None = None,
    enclosures: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> Transfer:
    """转办: hand the matter to another body with a transfer letter (转办函). The matter waits for
    the body's receipt (`transfer_receipt`)."""
    _staff_check(actor, matter)
    matter = _lock(matter)
    now = now or timeutil.now()
    if matter.status not in TRANSFERABLE:
        raise InvalidTransition(
            _("Only an accepted matter not yet handled is transferred; this one is “%(status)s”.")
            % {"status": matter.get_status_display()}
        )
    body_name = (body_name.strip() or (str(body) if body else "")).strip()
    reason, legal_basis = reason.strip(), legal_basis.strip()
    if not body_name:
        raise DomainError(_("Name the body the matter is transferred to."))
    if not reason or not legal_basis:
        raise DomainError(_("Give the reason for the transfer and its legal basis."))
    before = _state(matter)
    transfer = Transfer.objects.create(
        matter=matter,
        body=body,
        body_name=body_name[:120],
        reason=reason,
        legal_basis=legal_basis[:300],
        sent_at=now,
        sent_by=actor,
    )
    letter = integrations.issue_letter(
        kind="complaints.transfer_letter",
        matter=matter,
        actor=actor,
        context={
            "receiving_body": body_name,
            "reason": reason,
            "legal_basis": legal_basis,
            "enclosures": [e for e in (x.strip() for x in enclosures) if e]
            or [
                _("The complaint or tip-off and its evidence (%(n)s files)")
                % {"n": matter.attachments.count()}
            ],
        },
    )
    transfer.letter_id, transfer.letter_number = integrations.letter_ref(letter)
    transfer.save(update_fields=["letter_id", "letter_number"])
    matter.routing = Routing.TRANSFER
    matter.routed_at = now
    matter.routed_by = actor
    matter.routing_reason = reason
    workflow.transition(matter, to=Status.TRANSFER_PENDING, actor=actor, at=now, note=reason)
    matter.save()
    title = _("%(number)s transferred to %(body)s") % {"number": matter.number, "body": body_name}
    body_text = _(
        "Your %(kind)s %(number)s is outside the remit of the office and has been transferred "
        "to %(body)s, which will handle it (%(basis)s)."
    ) % {
        "kind": matter.get_kind_display(),
        "number": matter.number,
        "body": body_name,
        "basis": legal_basis,
    }
    notice = _notice(matter, NoticeKind.TRANSFER, (title, body_text), actor=actor, at=now)
    audit.record(
        actor=actor,
        action="complaints.matter.transferred",
        obj=matter,
        before=before,
        after={
            **_state(matter),
            "transfer": transfer.pk,
            "body": body_name,
            "letter": transfer.letter_number,
            "notice": notice.pk,
        },
        note=reason,
    )
    integrations.notify(
        event="complaints.transferred",
        title=title,
        body=body_text,
        matter=matter,
        to_filer=True,
    )
    return transfer


@transaction.atomic
def transfer_receipt(
    *,
    transfer: Transfer,
    actor: Any,
    received_on: dt.date,
    reference: str = "",
    note: str = "",
    upload: Any = None,
    now: dt.datetime | None = None,
) -> Transfer:
    """Record the receiving body's receipt of a transfer (回执): the matter is closed for the
    office; the plan's conclusion clock is met, the statutory decision clock no longer applies."""
    matter = transfer.matter
    _staff_check(actor, matter)
    stored = _store_files([(Purpose.TRANSFER_RECEIPT, upload)]) if upload is not None else []
    matter = _lock(matter)
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    now = now or timeutil.now()
    if matter.status != Status.TRANSFER_PENDING or transfer.receipt_at is not None:
        raise InvalidTransition(_("No transfer is waiting for its receipt."))
    if received_on > timeutil.china_date(now) or received_on < timeutil.china_date(
        transfer.sent_at
    ):
        raise DomainError(_("The receipt date must lie between the transfer and today."))
    if not stored and not reference.strip() and not note.strip():
        raise DomainError(_("Attach the receipt, or give its reference or a note."))
    before = _state(matter)
    attached = _attach(matter, stored, actor=actor, at=now)
    transfer.receipt_at = now
    transfer.receipt_by = actor
    transfer.receipt_on = received_on
    transfer.receipt_reference = reference.strip()[:100]
    transfer.receipt_note = note.strip()
    transfer.receipt_file = attached[0] if attached else None
    transfer.save()
    workflow.transition(
        matter, to=Status.TRANSFERRED, actor=actor, at=now, note=transfer.receipt_reference
    )
    matter.closed_at = now
    matter.save()
    clocks.complete(matter, [Clock.CONCLUSION_PLAN], at=now)
    clocks.complete(matter, [Clock.DECISION_STATUTE, Clock.ASSIGNED], at=now, close=True)
    audit.record(
        actor=actor,
        action="complaints.transfer.receipt_recorded",
        obj=matter,
        before=before,
        after={
            **_state(matter),
            "transfer": transfer.pk,
            "received_on": received_on,
            "reference": transfer.receipt_reference,
            "file": attached[0].sha256 if attached else None,
        },
        note=note,
    )
    return transfer
