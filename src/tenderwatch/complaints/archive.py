"""Archive (归档): the case-file index (卷内目录) of a concluded matter.

Every document (notices, letters, inquiry records, requests and answers, the decision, the
service records, the approval steps) and every file (the filer's evidence, the investigation's,
proofs and receipts) is listed in filing order with its SHA-256; the index itself is hashed, and
the hash goes into the audit trail, so a file changed after archiving is found out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.translation import gettext as _

from tenderwatch.approvals.models import ApprovalStep
from tenderwatch.audit import services as audit
from tenderwatch.complaints import integrations, workflow
from tenderwatch.complaints.investigation import handler_check
from tenderwatch.complaints.models import ArchiveIndex, Matter, Status
from tenderwatch.complaints.services import _lock, _snapshot, _staff_check
from tenderwatch.core import timeutil
from tenderwatch.core.errors import InvalidTransition
from tenderwatch.org.scoping import can

ARCHIVABLE = (Status.SERVED, Status.TRANSFERRED)


def _text_hash(*parts: Any) -> str:
    return hashlib.sha256("\n".join(str(p) for p in parts).encode()).hexdigest()


def _when(moment: dt.datetime | None) -> str:
    return moment.astimezone(timeutil.CHINA).isoformat(timespec="seconds") if moment else ""


def index_entries(matter: Matter) -> list[dict[str, Any]]:
    """The index rows, in the order they entered the file."""
    rows: list[dict[str, Any]] = []

    def add(at: dt.datetime | None, kind: str, title: str, sha256: str, ref: str = "") -> None:
        rows.append(
            {"at": _when(at), "kind": kind, "title": title, "sha256": sha256, "reference": ref}
        )

    for a in matter.attachments.all():
        add(a.uploaded_at, f"file:{a.purpose}", a.original_name, a.sha256, a.description)
    for n in matter.notices.all():
        add(n.issued_at, f"notice:{n.kind}", n.title, _text_hash(n.title, n.body), n.letter_number)
    service = integrations.letters()
    if service is not None:
        for letter in service.letters_of(matter):
            add(
                getattr(letter, "issued_at", None),
                f"letter:{getattr(letter, 'kind', '')}",
                str(letter),
                str(getattr(letter, "sha256", "")),
                str(getattr(letter, "number", "")),
            )
    for t in matter.transfers.all():
        add(t.sent_at, "transfer", t.body_name, _text_hash(t.body_name, t.reason, t.legal_basis))
        if t.receipt_at:
            add(
                t.receipt_at,
                "transfer_receipt",
                t.body_name,
                _text_hash(t.receipt_on, t.receipt_reference, t.receipt_note),
                t.receipt_reference,
            )
    for o in matter.officers.select_related("user"):
        add(o.assigned_at, "officer", o.user.display_name, _text_hash(o.user_id, o.assigned_at))
    for q in matter.inquiries.all():
        add(q.recorded_at, "inquiry", q.person, _text_hash(q.person, q.held_at, q.place, q.text))
    for r in matter.info_requests.all():
        add(r.sent_at, "request", r.addressee_name, _text_hash(r.items, r.due_on))
        if r.answered_at:
            add(r.answered_at, "answer", r.addressee_name, _text_hash(r.answer))
    decision = getattr(matter, "decision", None)
    if decision is not None:
        add(
            decision.issued_at or decision.drafted_at,
            "decision",
            str(decision.get_outcome_display()),
            _text_hash(decision.facts, decision.decision_text, decision.legal_basis),
            decision.letter_number,
        )
    for step in ApprovalStep.objects.filter(
        request__content_type=ContentType.objects.get_for_model(Matter),
        request__object_id=str(matter.pk),
    ).select_related("approver"):
        add(
            step.decided_at,
            f"approval:{step.decision}",
            f"{step.stage or '—'} · {step.approver.display_name}",
            _text_hash(step.request_id, step.round, step.level_order, step.decision, step.opinion),
        )
    for s in matter.services.all():
        add(
            s.recorded_at,
            "service",
            s.document_title,
            _text_hash(s.method, s.served_on, s.served_to, s.proof_note),
            s.receipt_letter_number,
        )
    rows.sort(key=lambda r: r["at"])
    for i, row in enumerate(rows, start=1):
        row["no"] = i
    return rows


@transaction.atomic
def matter_archive(*, matter: Matter, actor: Any, now: dt.datetime | None = None) -> ArchiveIndex:
    """Archive a served (or transferred) matter with its case-file index."""
    if can(actor, "complaints.intake", matter):
        _staff_check(actor, matter)
    else:
        handler_check(actor, matter)
    matter = _lock(matter)
    now = now or timeutil.now()
    if matter.status not in ARCHIVABLE:
        raise InvalidTransition(_("Only a served or transferred matter is archived."))
    entries = index_entries(matter)
    digest = hashlib.sha256(
        json.dumps(entries, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder).encode()
    ).hexdigest()
    before = _snapshot(matter)
    index = ArchiveIndex.objects.create(
        matter=matter, entries=entries, sha256=digest, built_at=now, built_by=actor
    )
    workflow.transition(matter, to=Status.ARCHIVED, actor=actor, at=now)
    matter.save()
    audit.record(
        actor=actor,
        action="complaints.matter.archived",
        obj=matter,
        before=before,
        after={**_snapshot(matter), "index_sha256": digest, "entries": len(entries)},
    )
    return index
