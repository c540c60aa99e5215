"""The investigation of an accepted matter (调查): officers, inquiry records, evidence with its
SHA-256, and requests to the respondent and to other departments, each with a deadline from the
working-day calendar.

Acting on a matter's stages is the handling department's (or the office's) work: permission
`complaints.handle`, checked here; a department that does not handle the matter gets
"not found". At least two officers investigate (行政处罚法 第四十二条), so the investigation
cannot close with fewer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tenderwatch.audit import services as audit
from tenderwatch.complaints import workflow
from tenderwatch.complaints.models import (
    Addressee,
    Attachment,
    InfoRequest,
    InquiryNote,
    Matter,
    OfficerAssignment,
    Purpose,
    Status,
)
from tenderwatch.complaints.recipients import eligible_officers
from tenderwatch.complaints.services import _attach, _lock, _snapshot, _store_files
from tenderwatch.core import timeutil
from tenderwatch.core.errors import DomainError, InvalidTransition, NotFound
from tenderwatch.org.models import Department
from tenderwatch.org.scoping import ensure_allowed, ensure_visible
from tenderwatch.workdays import calendar

MIN_OFFICERS = 2
MAX_REQUEST_WORKDAYS = 30


def handler_check(actor: Any, matter: Matter) -> None:
    """The actor may see the matter (else "not found") and act on its stages (else refused).
    Checked on the row as stored (its department may have changed since it was read)."""
    fresh = Matter.objects.filter(pk=matter.pk).first()
    if fresh is None:
        raise NotFound()
    ensure_visible(actor, "complaints.view", fresh)
    ensure_allowed(actor, "complaints.handle", fresh)


def _in_investigation(matter: Matter) -> None:
    if matter.status != Status.INVESTIGATION:
        raise InvalidTransition(
            _("This is done during the investigation; the matter is “%(status)s”.")
            % {"status": matter.get_status_display()}
        )


@transaction.atomic
def officers_assign(
    *, matter: Matter, actor: Any, users: Sequence[Any], now: dt.datetime | None = None
) -> list[OfficerAssignment]:
    """Put officers of the handling department on the investigation."""
    handler_check(actor, matter)
    matter = _lock(matter)
    now = now or timeutil.now()
    _in_investigation(matter)
    eligible = {u.pk for u in eligible_officers(matter.department)}
    people = list({u.pk: u for u in users}.values())
    if not people:
        raise DomainError(_("Choose the officers."))
    wrong = [str(u) for u in people if u.pk not in eligible]
    if wrong:
        raise DomainError(
            _("%(names)s cannot investigate for %(department)s.")
            % {"names": "、".join(wrong), "department": matter.department}
        )
    have = set(matter.officers.values_list("user_id", flat=True))
    created = [
        OfficerAssignment.objects.create(matter=matter, user=u, assigned_at=now, assigned_by=actor)
        for u in people
        if u.pk not in have
    ]
    audit.record(
        actor=actor,
        action="complaints.investigation.officers_assigned",
        obj=matter,
        after={"officers": sorted(a.user.get_username() for a in created)},
    )
    return created


@transaction.atomic
def inquiry_record(
    *,
    matter: Matter,
    actor: Any,
    person: str,
    held_at: dt.datetime,
    text: str,
    place: str = "",
    now: dt.datetime | None = None,
) -> InquiryNote:
    """A record of an inquiry or an on-site check (询问笔录)."""
    handler_check(actor, matter)
    matter = _lock(matter)
    now = now or timeutil.now()
    _in_investigation(matter)
    person, text = person.strip(), text.strip()
    if not person or not text:
        raise DomainError(_("Name who was questioned (or what was checked) and write the record."))
    if held_at > now:
        raise DomainError(_("An inquiry cannot be recorded before it is held."))
    note = InquiryNote.objects.create(
        matter=matter,
        person=person[:200],
        held_at=held_at,
        place=place.strip()[:200],
        text=text,
        recorded_by=actor,
        recorded_at=now,
    )
    audit.record(
        actor=actor,
        action="complaints.investigation.inquiry_recorded",
        obj=matter,
        after={"inquiry": note.pk, "person": note.person, "held_at": held_at},
    )
    return note


def evidence_add(
    *,
    matter: Matter,
    actor: Any,
    uploads: Sequence[Any],
    description: str,
    now: dt.datetime | None = None,
) -> list[Attachment]:
    """Evidence gathered in the investigation, stored (outside the web root) under its SHA-256
    like the filer's files, checked by content."""
    handler_check(actor, matter)
    description = description.strip()
    if not uploads:
        raise DomainError(_("Attach the evidence."))
    if not description:
        raise DomainError(_("Describe the evidence: what it is and where it comes from."))
    stored = _store_files((Purpose.INVESTIGATION, u) for u in uploads)
    with transaction.atomic():
        matter = _lock(matter)
        now = now or timeutil.now()
        _in_investigation(matter)
        attached = _attach(matter, stored, actor=actor, at=now)
        for a in attached:
            a.description = description[:300]
            a.save(update_fields=["description"])
        audit.record(
            actor=actor,
            action="complaints.investigation.evidence_added",
            obj=matter,
            after={"files": [{"name": a.original_name, "sha256": a.sha256} for a in attached]},
            note=description,
        )
    return attached


@transaction.atomic
def info_request_send(
    *,
    matter: Matter,
    actor: Any,
    addressee: str,
    items: str,
    workdays: int,
    addressee_name: str = "",
    department: Department | None = None,
    now: dt.datetime | None = None,
) -> InfoRequest:
    """Ask the respondent, or another department, for an explanation or documents, within
    `workdays` working days (counted by the calendar, the day of sending not counted)."""
    handler_check(actor, matter)
    matter = _lock(matter)
    now = now or timeutil.now()
    _in_investigation(matter)
    if addressee not in Addressee.values:
        raise DomainError(_("Say whom the request goes to."))
    if addressee == Addressee.RESPONDENT:
        addressee_name = addressee_name.strip() or matter.respondent_name
        department = None
    else:
        if department is None and not addressee_name.strip():
            raise DomainError(_("Choose the department the request goes to."))
        addressee_name = addressee_name.strip() or str(department)
    if not addressee_name:
        raise DomainError(_("Name the addressee."))
    items = items.strip()
    if not items:
        raise DomainError(_("Say what is asked."))
    if not 1 <= workdays <= MAX_REQUEST_WORKDAYS:
        raise DomainError(
            _("Give between 1 and %(n)s working days to answer.") % {"n": MAX_REQUEST_WORKDAYS}
        )
    due_on = calendar.add_workdays(timeutil.china_date(now), workdays)
    request = InfoRequest.objects.create(
        matter=matter,
        addressee=addressee,
        department=department,
        addressee_name=addressee_name[:200],
        items=items,
        workdays=workdays,
        sent_at=now,
        sent_by=actor,
        due_on=due_on,
        due_at=calendar.deadline_end(due_on),
    )
    audit.record(
        actor=actor,
        action="complaints.investigation.request_sent",
        obj=matter,
        after={
            "request": request.pk,
            "to": addressee,
            "addressee": request.addressee_name,
            "due_on": due_on,
        },
        note=items,
    )
    return request


@transaction.atomic
def info_request_answer(
    *, request: InfoRequest, actor: Any, answer: str, now: dt.datetime | None = None
) -> InfoRequest:
    matter = request.matter
    handler_check(actor, matter)
    _lock(matter)
    request = InfoRequest.objects.select_for_update().get(pk=request.pk)
    now = now or timeutil.now()
    if request.answered_at is not None:
        raise InvalidTransition(_("The answer to this request is already recorded."))
    answer = answer.strip()
    if not answer:
        raise DomainError(_("Write down the answer, or what was received."))
    request.answered_at = now
    request.answer = answer
    request.answer_recorded_by = actor
    request.save()
    audit.record(
        actor=actor,
        action="complaints.investigation.request_answered",
        obj=matter,
        after={"request": request.pk, "late": now > request.due_at},
    )
    return request


@transaction.atomic
def investigation_close(
    *, matter: Matter, actor: Any, note: str = "", now: dt.datetime | None = None
) -> Matter:
    """The facts are found: on to handling (drafting the decision)."""
    handler_check(actor, matter)
    matter = _lock(matter)
    now = now or timeutil.now()
    _in_investigation(matter)
    count = matter.officers.count()
    if count < MIN_OFFICERS:
        raise DomainError(
            _(
                "At least %(min)s officers investigate a matter (行政处罚法 第四十二条); "
                "%(n)s assigned."
            )
            % {"min": MIN_OFFICERS, "n": count},
            code="too_few_officers",
        )
    before = _snapshot(matter)
    workflow.transition(matter, to=Status.HANDLING, actor=actor, at=now, note=note.strip())
    matter.save()
    audit.record(
        actor=actor,
        action="complaints.investigation.closed",
        obj=matter,
        before=before,
        after={
            **_snapshot(matter),
            "officers": count,
            "inquiries": matter.inquiries.count(),
            "evidence": matter.attachments.filter(purpose=Purpose.INVESTIGATION).count(),
            "open_requests": matter.info_requests.filter(answered_at__isnull=True).count(),
        },
        note=note,
    )
    return matter


@transaction.atomic
def investigation_reopen(
    *, matter: Matter, actor: Any, reason: str, now: dt.datetime | None = None
) -> Matter:
    """Back from handling to the investigation, with the reason."""
    handler_check(actor, matter)
    matter = _lock(matter)
    now = now or timeutil.now()
    if matter.status != Status.HANDLING:
        raise InvalidTransition(_("Only a matter being handled goes back to the investigation."))
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say what must be investigated further."))
    before = _snapshot(matter)
    workflow.transition(matter, to=Status.INVESTIGATION, actor=actor, at=now, note=reason)
    matter.save()
    audit.record(
        actor=actor,
        action="complaints.investigation.reopened",
        obj=matter,
        before=before,
        after=_snapshot(matter),
        note=reason,
    )
    return matter
