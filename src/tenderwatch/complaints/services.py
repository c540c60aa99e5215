"""Every write on complaints and tip-offs. REQ-03, REQ-07, REQ-14.

Each service takes the acting user (None for the filer, who has no account), checks the
permission where the change is made, locks the matter, moves it along `workflow.TRANSITIONS`,
counts its clocks with the working-day calendar (`clocks`) and writes the audit entry in the same
transaction. No audit entry and no notice carries the filer's identity in the clear.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from tenderwatch.approvals import services as approvals
from tenderwatch.approvals.models import ApprovalRequest, RequestStatus
from tenderwatch.audit import services as audit
from tenderwatch.complaints import (
    checks,
    clocks,
    crypto,
    files,
    integrations,
    letters_out,
    notices,
    throttle,
    workflow,
)
from tenderwatch.complaints.identity import Identity, seal_onto, unseal_from
from tenderwatch.complaints.models import (
    LIVE_STATES,
    NUMBER_PREFIX,
    OPEN_STATUSES,
    Attachment,
    Channel,
    Clock,
    ClockStop,
    DeadlineState,
    Escalation,
    EscalationTarget,
    FilerKind,
    Kind,
    Matter,
    Notice,
    NoticeKind,
    NumberSequence,
    Purpose,
    RejectionGround,
    RuleSet,
    Status,
    StopReason,
    Subject,
    Supplement,
)
from tenderwatch.core import timeutil
from tenderwatch.core.errors import DomainError, InvalidTransition
from tenderwatch.ledger.models import Lot, Project
from tenderwatch.org.models import Industry, MatterType
from tenderwatch.org.scoping import can, ensure_allowed, ensure_visible
from tenderwatch.org.selectors import competent_department, office

# A proposed non-acceptance (不予受理) is decided on this approval route (approvals.defaults:
# 承办 by office staff, 审批 by a leader of the office).
REJECTION_ROUTE = "complaint_acceptance"
TOKEN_SALT = "tenderwatch.complaints.submission"  # noqa: S105 — a salt, not a secret
STAFF_CHANNELS = (Channel.LETTER, Channel.VISIT, Channel.PHONE, Channel.ASSIGNED)


# -- submission tokens (idempotent filing) ------------------------------------------------------


def new_submission_token() -> str:
    """A server-signed random token for one filing form: a retry with it returns the same
    filing and the same code; a forged or altered token is refused."""
    return signing.Signer(salt=TOKEN_SALT).sign(secrets.token_urlsafe(24))


def _check_token(token: str) -> str:
    try:
        signing.Signer(salt=TOKEN_SALT).unsign(token or "")
    except signing.BadSignature:
        raise DomainError(
            _("The form has expired or was altered; reload the page and file again."),
            code="bad_token",
        ) from None
    return token


# -- filing -------------------------------------------------------------------------------------


@dataclass
class Filing:
    """What a filer (or the clerk, for a letter, visit or call) brings."""

    kind: str
    subject: str
    facts: str
    filer_kind: str = FilerKind.PERSON
    filer_role: str = ""
    identity: Identity = field(default_factory=Identity)
    channel: str = Channel.ONLINE
    received_at: dt.datetime | None = None
    respondent_name: str = ""
    respondent_address: str = ""
    respondent_contact: str = ""
    project: Project | None = None
    lot: Lot | None = None
    project_text: str = ""
    industry: str = ""
    knew_on: dt.date | None = None
    objection_on: dt.date | None = None
    objection_reply_on: dt.date | None = None
    filed_elsewhere: bool = False
    elsewhere_body: str = ""
    elsewhere_on: dt.date | None = None
    previously_decided: bool = False
    has_new_evidence: bool = False
    in_review_or_litigation: bool = False
    grounds: str = ""
    requests: str = ""
    declaration: bool = False
    assigned_source: str = ""
    assigned_ref: str = ""
    assigned_due: dt.date | None = None
    files: Sequence[tuple[str, Any]] = ()  # (purpose, upload)


@dataclass(frozen=True)
class FilingResult:
    matter: Matter
    code: str  # the 查询码, shown once (and again on a retry with the same token)
    created: bool


def _next_number(kind: str, year: int) -> tuple[int, str]:
    prefix = NUMBER_PREFIX[Kind(kind)]
    row = NumberSequence.objects.select_for_update().filter(prefix=prefix, year=year).first()
    if row is None:
        try:
            with transaction.atomic():
                row = NumberSequence.objects.create(prefix=prefix, year=year, last=0)
        except IntegrityError:
            row = NumberSequence.objects.select_for_update().get(prefix=prefix, year=year)
    row.last += 1
    row.save(update_fields=["last"])
    return row.last, f"{prefix}-{year}-{row.last:06d}"


def _rule_set(kind: str, industry: str) -> str:
    if kind == Kind.COMPLAINT and industry == Industry.GOVERNMENT_PROCUREMENT:
        return RuleSet.PROCUREMENT
    return RuleSet.TENDERING


def _route(matter: Matter, on: dt.date) -> None:
    """The competent department by the authority list (谁主管，谁监管, REQ-04)."""
    if not matter.industry:
        matter.department = None
        matter.competence_note = _(
            "The industry is not known yet: the office determines the competent department."
        )
        return
    competence = competent_department(
        industry=matter.industry,
        matter_type=MatterType.COMPLAINT if matter.kind == Kind.COMPLAINT else MatterType.TIP_OFF,
        on=on,
        matter=matter if matter.pk else None,
    )
    matter.department = competence.department
    matter.competence_note = competence.explanation


def _same_project(matter: Matter) -> Q:
    if matter.project_id:
        return Q(project_id=matter.project_id)
    text = crypto.normalise(matter.project_text)
    if not text:
        return Q(pk__in=[])
    return Q(project__isnull=True, project_text__iexact=matter.project_text.strip())


def _find_original(matter: Matter) -> Matter | None:
    """An open matter with the same filer, project and matter — the same subject against the
    same respondent (a duplicate is linked to it, not counted twice)."""
    same_filer = Q(pk__in=[])
    if matter.filer_index:
        same_filer |= Q(filer_index=matter.filer_index)
    if matter.contact_index:
        same_filer |= Q(contact_index=matter.contact_index)
    if not (matter.filer_index or matter.contact_index):
        return None
    return (
        Matter.objects.filter(same_filer)
        .filter(_same_project(matter))
        .filter(
            kind=matter.kind,
            subject=matter.subject,
            respondent_name__iexact=matter.respondent_name,
            status__in=OPEN_STATUSES,
            linked_to__isnull=True,
        )
        .order_by("received_at", "pk")
        .first()
    )


def _validate(filing: Filing, *, actor: Any, now: dt.datetime) -> dt.datetime:
    if filing.kind not in Kind.values:
        raise DomainError(_("Choose whether this is a complaint or a tip-off."))
    if filing.subject not in Subject.values:
        raise DomainError(_("Choose what the filing is about."))
    if filing.filer_kind not in FilerKind.values:
        raise DomainError(_("Say who files: a person, an organisation, or anonymously."))
    if not filing.facts.strip():
        raise DomainError(_("Describe the facts."))
    if actor is None:
        if filing.channel != Channel.ONLINE:
            raise DomainError(_("Only the office enters letters, visits, calls and assignments."))
        if filing.kind == Kind.COMPLAINT and filing.filer_kind == FilerKind.ANONYMOUS:
            raise DomainError(
                _(
                    "A complaint cannot be anonymous (工程建设项目招标投标活动投诉处理办法 "
                    "第七条); file an anonymous tip-off instead."
                )
            )
        received = now
    else:
        ensure_allowed(actor, "complaints.intake")
        if filing.channel not in STAFF_CHANNELS:
            raise DomainError(_("Choose how the matter reached the office."))
        received = filing.received_at or now
        if received > now:
            raise DomainError(_("The time of receipt cannot be in the future."))
        if filing.channel == Channel.ASSIGNED and not filing.assigned_source.strip():
            raise DomainError(_("Name the body that assigned the matter (交办单位)."))
    if filing.filer_kind == FilerKind.ANONYMOUS:
        filing.identity = Identity()
    if len(filing.files) > files.max_files():
        raise DomainError(
            _("At most %(n)s files can be attached to one filing.") % {"n": files.max_files()}
        )
    if filing.lot is not None and (
        filing.project is None or filing.lot.project_id != filing.project.pk
    ):
        raise DomainError(_("The lot does not belong to the project."))
    for day in (filing.knew_on, filing.objection_on, filing.objection_reply_on):
        if day is not None and day > timeutil.china_date(received):
            raise DomainError(_("A date of the matter cannot be after the day it is filed."))
    if (
        filing.objection_on
        and filing.objection_reply_on
        and filing.objection_reply_on < filing.objection_on
    ):
        raise DomainError(_("The answer to the objection cannot come before the objection."))
    return received


def _store_files(uploads: Iterable[tuple[str, Any]]) -> list[tuple[str, files.StoredFile]]:
    stored = []
    for purpose, upload in uploads:
        if purpose not in Purpose.values:
            purpose = Purpose.EVIDENCE
        stored.append((purpose, files.store(upload)))
    return stored


def _attach(
    matter: Matter,
    stored: Iterable[tuple[str, files.StoredFile]],
    *,
    actor: Any,
    at: dt.datetime,
) -> list[Attachment]:
    return [
        Attachment.objects.create(
            matter=matter,
            purpose=purpose,
            original_name=f.name,
            file_type=f.file_type.code,
            content_type=f.file_type.mime,
            size=f.size,
            sha256=f.sha256,
            uploaded_at=at,
            uploaded_by=actor if actor is not None else None,
        )
        for purpose, f in stored
    ]


def _notice(
    matter: Matter, kind: str, text: tuple[str, str], *, actor: Any, at: dt.datetime
) -> Notice:
    title, body = text
    return Notice.objects.create(
        matter=matter, kind=kind, title=title, body=body, issued_at=at, issued_by=actor
    )


def _public_state(matter: Matter) -> dict[str, Any]:
    """What the audit trail keeps of a matter: never the identity, only its mask."""
    return {
        "number": matter.number,
        "kind": matter.kind,
        "channel": matter.channel,
        "rule_set": matter.rule_set,
        "status": matter.status,
        "received_at": matter.received_at,
        "department": matter.department.code if matter.department else None,
        "project": matter.project_id,
        "lot": matter.lot_id,
        "subject": matter.subject,
        "filer": matter.filer_mask,
        "linked_to": matter.linked_to.number if matter.linked_to else None,
    }


def _existing(token: str) -> FilingResult | None:
    matter = Matter.objects.filter(submission_key=crypto.submission_key(token)).first()
    if matter is None:
        return None
    return FilingResult(matter, crypto.tracking_code(token), created=False)


def matter_file(
    *, filing: Filing, token: str, actor: Any = None, now: dt.datetime | None = None
) -> FilingResult:
    """File a complaint or tip-off; the filer gets a 受理编号 and a 查询码. REQ-03, REQ-07.

    Online (actor None) or entered by office staff (a letter, visit, call, or 交办件). Idempotent
    on `token`: the same token returns the same filing and code, so a filer whose connection
    broke after submitting files nothing twice and loses nothing. The code is shown only after
    the transaction has committed (this function returns after it). Evidence files are checked by
    their content and stored before anything is written to the database; a refused file refuses
    the whole filing with a message naming it.
    """
    _check_token(token)
    existing = _existing(token)
    if existing is not None:
        return existing
    now = now or timeutil.now()
    received = _validate(filing, actor=actor, now=now)
    stored = _store_files(filing.files)
    code_hash = crypto.tracking_code_hash(crypto.tracking_code(token))
    try:
        with transaction.atomic():
            matter = _create(
                filing, token=token, actor=actor, received=received, now=now, code_hash=code_hash
            )
            _attach(matter, stored, actor=actor, at=now)
            found = checks.run(matter)
            matter.checks = checks.summary(found)
            matter.save(update_fields=["checks"])
            workflow.record_initial(matter, actor=actor, at=now, note=matter.get_channel_display())
            deadlines = []
            if matter.status != Status.LINKED:
                deadlines = clocks.start_intake_clocks(matter, now=now)
            _notice(
                matter,
                NoticeKind.RECEIPT,
                notices.receipt(matter, deadlines),
                actor=actor,
                at=now,
            )
            if matter.status == Status.LINKED:
                _notice(matter, NoticeKind.LINKED, notices.linked(matter), actor=actor, at=now)
            _told_receipt(matter)
            audit.record(
                actor=actor,
                action="complaints.matter.filed",
                obj=matter,
                after={
                    **_public_state(matter),
                    "checks": matter.checks,
                    "files": [f.sha256 for _p, f in stored],
                },
            )
    except IntegrityError:
        # The same token submitted twice at once: the first one won; return it.
        again = _existing(token)
        if again is None:
            raise
        return again
    return FilingResult(matter, crypto.tracking_code(token), created=True)


def _create(
    filing: Filing,
    *,
    token: str,
    actor: Any,
    received: dt.datetime,
    now: dt.datetime,
    code_hash: str,
) -> Matter:
    year = timeutil.china_date(received).year
    seq, number = _next_number(filing.kind, year)
    project = filing.project
    industry = project.industry if project is not None else filing.industry
    project_text = filing.project_text.strip()
    if project is not None:
        project_text = str(project)[:300]
    matter = Matter(
        number=number,
        year=year,
        seq=seq,
        kind=filing.kind,
        channel=filing.channel,
        rule_set=_rule_set(filing.kind, industry),
        status=Status.RECEIVED,
        received_at=received,
        received_by=actor,
        assigned_source=filing.assigned_source.strip(),
        assigned_ref=filing.assigned_ref.strip(),
        assigned_due=filing.assigned_due,
        filer_kind=filing.filer_kind,
        filer_role=filing.filer_role if filing.kind == Kind.COMPLAINT else "",
        respondent_name=filing.respondent_name.strip(),
        respondent_address=filing.respondent_address.strip(),
        respondent_contact=filing.respondent_contact.strip(),
        project=project,
        lot=filing.lot,
        project_text=project_text,
        industry=industry,
        subject=filing.subject,
        knew_on=filing.knew_on,
        objection_on=filing.objection_on,
        objection_reply_on=filing.objection_reply_on,
        filed_elsewhere=filing.filed_elsewhere,
        elsewhere_body=filing.elsewhere_body.strip() if filing.filed_elsewhere else "",
        elsewhere_on=filing.elsewhere_on if filing.filed_elsewhere else None,
        previously_decided=filing.previously_decided,
        has_new_evidence=filing.has_new_evidence,
        in_review_or_litigation=filing.in_review_or_litigation,
        facts=filing.facts.strip(),
        grounds=filing.grounds.strip(),
        requests=filing.requests.strip(),
        declaration=filing.declaration,
        submission_key=crypto.submission_key(token),
        tracking_code_hash=code_hash,
        status_changed_at=now,
    )
    seal_onto(matter, filing.identity)
    _route(matter, timeutil.china_date(received))
    original = _find_original(matter)
    if original is not None:
        matter.status = Status.LINKED
        matter.linked_to = original
    matter.save()
    return matter


# -- what the filer and the staff are told (letters, notifications) ------------------------------


def _letter_onto(notice: Notice, letter: Any) -> None:
    """Attach the official letter of a notice, so the filer can download it."""
    if letter is None:
        return
    notice.letter_id, notice.letter_number = integrations.letter_ref(letter)
    notice.save(update_fields=["letter_id", "letter_number"])


def _tell_filer(
    matter: Matter,
    kind: str,
    text: tuple[str, str],
    letter: Callable[[], Any],
    *,
    event: str,
    actor: Any,
    at: dt.datetime,
) -> Notice:
    """Issue a notice with its official letter (made after the notice) and notify the filer."""
    notice = _notice(matter, kind, text, actor=actor, at=at)
    _letter_onto(notice, letter())
    integrations.notify(
        event=event, title=notice.title, body=notice.body, matter=matter, to_filer=True
    )
    return notice


def _told_receipt(matter: Matter) -> None:
    from tenderwatch.complaints.recipients import office_staff

    title = _("%(number)s received") % {"number": matter.number}
    body = _(
        "Your %(kind)s was received and registered as %(number)s. Follow it on the tracking page "
        "with the number and your tracking code."
    ) % {"kind": matter.get_kind_display(), "number": matter.number}
    integrations.notify(
        event="complaints.received", title=title, body=body, matter=matter, to_filer=True
    )
    integrations.notify(
        event="complaints.received",
        title=title,
        body=_("%(kind)s %(number)s (%(channel)s) waits for the acceptance decision.")
        % {
            "kind": matter.get_kind_display(),
            "number": matter.number,
            "channel": matter.get_channel_display(),
        },
        matter=matter,
        users=office_staff(),
    )


def _told_overdue(matter: Matter, deadline: Any, target: str) -> None:
    from tenderwatch.complaints.recipients import department_staff, office_leaders, office_staff

    if target == EscalationTarget.OFFICE_HEAD:
        from tenderwatch.complaints.permissions import office_head_level

        users = office_leaders(min_level=office_head_level()) or office_leaders()
        if matter.department is not None and not matter.department.is_office:
            users = [*users, *department_staff(matter.department)]
    else:
        users = office_staff()
    integrations.notify(
        event="complaints.overdue",
        title=_("%(number)s overdue: %(clock)s")
        % {"number": matter.number, "clock": deadline.get_clock_display()},
        body=_("%(clock)s was due %(due)s (%(basis)s).")
        % {
            "clock": deadline.get_clock_display(),
            "due": deadline.due_on.isoformat() if deadline.due_on else "—",
            "basis": deadline.legal_basis,
        },
        matter=matter,
        users=users,
    )


# -- the acceptance review ----------------------------------------------------------------------


def _lock(matter: Matter) -> Matter:
    return Matter.objects.select_for_update().get(pk=matter.pk)


def _staff_check(actor: Any, matter: Matter) -> None:
    ensure_visible(actor, "complaints.view", matter)
    ensure_allowed(actor, "complaints.intake", matter)


def _snapshot(matter: Matter, *extra: str) -> dict[str, Any]:
    return {"status": matter.status, **{k: getattr(matter, k) for k in extra}}


@transaction.atomic
def matter_accept(
    *,
    matter: Matter,
    actor: Any,
    note: str = "",
    override: str = "",
    now: dt.datetime | None = None,
) -> Matter:
    """Accept (受理). REQ-07, REQ-14; 条例 第六十一条 (CP-03, CP-04).

    Where an intake check found a statutory ground for non-acceptance, accepting needs the
    clerk's written reason (`override`). Acceptance completes the acceptance clocks and starts
    those counted from acceptance (30 working days to decide, CP-04).
    """
    _staff_check(actor, matter)
    matter = _lock(matter)
    now = now or timeutil.now()
    if matter.status != Status.RECEIVED:
        raise InvalidTransition(
            _("Only a matter under review can be accepted; this one is “%(status)s”.")
            % {"status": matter.get_status_display()}
        )
    failing = checks.failing(checks.run(matter))
    override = override.strip()
    if failing and not override:
        raise DomainError(
            _(
                "The intake checks found grounds for non-acceptance (%(grounds)s). Propose "
                "non-acceptance, or give your reason for accepting all the same."
            )
            % {"grounds": "；".join(f"{c.title}（{c.article}）" for c in failing)},
            code="checks_failed",
        )
    before = _snapshot(matter)
    workflow.transition(matter, to=Status.ACCEPTED, actor=actor, at=now, note=note)
    matter.accepted_at = now
    matter.decided_by = actor
    matter.decision_note = "\n".join(t for t in (note.strip(), override) if t)
    matter.save()
    clocks.complete(matter, clocks.ACCEPTANCE_CLOCKS, at=now)
    clocks.complete(matter, [Clock.SUPPLEMENT], at=now, close=True)
    started = clocks.start_acceptance_clocks(matter, now=now)
    shown = [
        d
        for d in matter.deadlines.filter(state__in=LIVE_STATES)
        if d.clock in (Clock.CONCLUSION_PLAN, Clock.DECISION_STATUTE)
    ]
    _tell_filer(
        matter,
        NoticeKind.ACCEPTANCE,
        notices.acceptance(matter, shown),
        lambda: letters_out.acceptance_letter(matter, shown, actor=actor),
        event="complaints.accepted",
        actor=actor,
        at=now,
    )
    audit.record(
        actor=actor,
        action="complaints.matter.accepted",
        obj=matter,
        before=before,
        after={
            **_snapshot(matter),
            "overridden_checks": [c.code for c in failing],
            "started": {d.clock: d.due_at for d in started},
        },
        note=matter.decision_note,
    )
    return matter


@transaction.atomic
def matter_request_supplement(
    *,
    matter: Matter,
    actor: Any,
    items: Sequence[str],
    note: str = "",
    now: dt.datetime | None = None,
) -> Matter:
    """Ask the filer to supplement (补正) what is missing (CP-05), with its own clock; the
    review clocks stand still until the supplement arrives."""
    _staff_check(actor, matter)
    matter = _lock(matter)
    now = now or timeutil.now()
    items = [i.strip() for i in items if i and i.strip()]
    if not items:
        raise DomainError(_("List what the filer must supplement."))
    before = _snapshot(matter)
    workflow.transition(matter, to=Status.AWAITING_SUPPLEMENT, actor=actor, at=now, note=note)
    matter.save()
    stop = ClockStop.objects.create(
        matter=matter,
        reason=StopReason.SUPPLEMENT,
        clocks=clocks.clocks_stopped_by(StopReason.SUPPLEMENT, matter),
        started_at=now,
        note="；".join(items),
        started_by=actor,
    )
    due = clocks.start_clock(
        matter, clocks.supplement_rule(), start_on=timeutil.china_date(now), now=now
    )
    clocks.recompute_matter(matter, now=now)
    _tell_filer(
        matter,
        NoticeKind.SUPPLEMENT_REQUEST,
        notices.supplement_request(matter, items, due),
        lambda: letters_out.supplement_letter(matter, items, due, actor=actor),
        event="complaints.supplement_requested",
        actor=actor,
        at=now,
    )
    audit.record(
        actor=actor,
        action="complaints.matter.supplement_requested",
        obj=matter,
        before=before,
        after={**_snapshot(matter), "items": items, "due_at": due.due_at, "stop": stop.pk},
        note=note,
    )
    return matter


def _end_stops(matter: Matter, reason: str, *, actor: Any, at: dt.datetime) -> None:
    for stop in matter.clock_stops.filter(reason=reason, ended_at__isnull=True):
        stop.ended_at = max(at, stop.started_at)
        stop.ended_by = actor
        stop.save(update_fields=["ended_at", "ended_by"])


def matter_supplement(
    *,
    matter: Matter,
    text: str,
    uploads: Sequence[tuple[str, Any]] = (),
    knew_on: dt.date | None = None,
    actor: Any = None,
    now: dt.datetime | None = None,
) -> Matter:
    """The filer's supplement (online; or entered by office staff from a letter). The stopped
    clocks resume the day after (民法典 第二百零一条)."""
    if actor is not None:
        _staff_check(actor, matter)
    if not text.strip() and not uploads and knew_on is None:
        raise DomainError(_("Write the supplement or attach its files."))
    if len(uploads) > files.max_files():
        raise DomainError(
            _("At most %(n)s files can be attached at once.") % {"n": files.max_files()}
        )
    stored = _store_files(
        (Purpose.SUPPLEMENT if p == Purpose.EVIDENCE else p, u) for p, u in uploads
    )
    with transaction.atomic():
        matter = _lock(matter)
        now = now or timeutil.now()
        if matter.status != Status.AWAITING_SUPPLEMENT:
            raise InvalidTransition(_("No supplement is asked for at present."))
        if knew_on is not None and knew_on > timeutil.china_date(now):
            raise DomainError(_("A date of the matter cannot be after the day it is filed."))
        before = _snapshot(matter)
        workflow.transition(matter, to=Status.RECEIVED, actor=actor, at=now)
        if knew_on is not None and matter.knew_on is None:
            matter.knew_on = knew_on
        supplement = Supplement.objects.create(
            matter=matter, text=text.strip(), received_at=now, entered_by=actor
        )
        _attach(matter, stored, actor=actor, at=now)
        matter.checks = checks.summary(checks.run(matter))
        matter.save()
        _end_stops(matter, StopReason.SUPPLEMENT, actor=actor, at=now)
        clocks.complete(matter, [Clock.SUPPLEMENT], at=now)
        clocks.recompute_matter(matter, now=now)
        _notice(
            matter,
            NoticeKind.SUPPLEMENT_RECEIVED,
            notices.supplement_received(matter, now),
            actor=actor,
            at=now,
        )
        audit.record(
            actor=actor,
            action="complaints.matter.supplemented",
            obj=matter,
            before=before,
            after={
                **_snapshot(matter),
                "supplement": supplement.pk,
                "files": [f.sha256 for _p, f in stored],
                "checks": matter.checks,
            },
        )
    return matter


@transaction.atomic
def matter_propose_rejection(
    *,
    matter: Matter,
    actor: Any,
    ground: str,
    reasoning: str,
    now: dt.datetime | None = None,
) -> ApprovalRequest:
    """Propose non-acceptance (不予受理) on a statutory ground; it goes on the approval route
    (REQ-15) and takes effect when approved (`matter_finalize_rejection`)."""
    _staff_check(actor, matter)
    matter = _lock(matter)
    now = now or timeutil.now()
    if ground not in RejectionGround.values:
        raise DomainError(_("Choose the statutory ground for non-acceptance."))
    reasoning = reasoning.strip()
    if not reasoning:
        raise DomainError(_("Give the reasons the filer will read in the notice."))
    before = _snapshot(matter)
    workflow.transition(matter, to=Status.REJECTION_PENDING, actor=actor, at=now, note=reasoning)
    matter.rejection_ground = ground
    matter.rejection_reasoning = reasoning
    matter.save()
    _end_stops(matter, StopReason.SUPPLEMENT, actor=actor, at=now)
    clocks.complete(matter, [Clock.SUPPLEMENT], at=now, close=True)
    clocks.recompute_matter(matter, now=now)
    the_office = office()
    if the_office is None:
        raise DomainError(_("No supervision office is configured; run the district setup."))
    request = approvals.approval_submit(
        route_kind=REJECTION_ROUTE,
        subject=matter,
        department=the_office,
        title=_("Non-acceptance of %(number)s: %(ground)s")
        % {"number": matter.number, "ground": RejectionGround(ground).label},
        actor=actor,
        opinion=f"{reasoning}\n（{checks.article_of(ground)}）",
    )
    audit.record(
        actor=actor,
        action="complaints.matter.rejection_proposed",
        obj=matter,
        before=before,
        after={**_snapshot(matter, "rejection_ground"), "approval_request": request.pk},
        note=reasoning,
    )
    return request


def latest_rejection_request(matter: Matter) -> ApprovalRequest | None:
    return (
        ApprovalRequest.objects.filter(
            route__kind=REJECTION_ROUTE,
            content_type=ContentType.objects.get_for_model(Matter),
            object_id=str(matter.pk),
        )
        .order_by("-submitted_at", "-id")
        .first()
    )


@transaction.atomic
def matter_finalize_rejection(
    *, matter: Matter, actor: Any, now: dt.datetime | None = None
) -> Matter:
    """After the approval route has decided: issue the notice of non-acceptance (approved), or
    take the matter back into review (rejected or withdrawn on the route)."""
    _staff_check(actor, matter)
    matter = _lock(matter)
    now = now or timeutil.now()
    if matter.status != Status.REJECTION_PENDING:
        raise InvalidTransition(_("No non-acceptance is waiting for approval."))
    request = latest_rejection_request(matter)
    before = _snapshot(matter, "rejection_ground")
    if request is not None and request.status in (RequestStatus.REJECTED, RequestStatus.WITHDRAWN):
        workflow.transition(
            matter, to=Status.RECEIVED, actor=actor, at=now, note=request.get_status_display()
        )
        matter.rejection_ground = ""
        matter.rejection_reasoning = ""
        matter.save()
        audit.record(
            actor=actor,
            action="complaints.matter.rejection_refused",
            obj=matter,
            before=before,
            after={**_snapshot(matter), "approval_request": request.pk},
        )
        return matter
    approvals.ensure_approved(subject=matter, route_kind=REJECTION_ROUTE)
    workflow.transition(matter, to=Status.NOT_ACCEPTED, actor=actor, at=now)
    matter.not_accepted_at = now
    matter.decided_by = actor
    matter.save()
    clocks.complete(matter, [*clocks.ACCEPTANCE_CLOCKS, Clock.CONCLUSION_PLAN], at=now)
    clocks.complete(matter, [Clock.DECISION_STATUTE, Clock.ASSIGNED], at=now, close=True)
    notice = _tell_filer(
        matter,
        NoticeKind.NON_ACCEPTANCE,
        notices.non_acceptance(matter),
        lambda: letters_out.non_acceptance_letter(matter, actor=actor),
        event="complaints.not_accepted",
        actor=actor,
        at=now,
    )
    audit.record(
        actor=actor,
        action="complaints.matter.not_accepted",
        obj=matter,
        before=before,
        after={
            **_snapshot(matter, "rejection_ground"),
            "article": checks.article_of(matter.rejection_ground),
            "notice": notice.pk,
            "approval_request": request.pk if request else None,
        },
    )
    return matter


# -- withdrawal ---------------------------------------------------------------------------------

IMMEDIATE_WITHDRAWAL = (Status.RECEIVED, Status.AWAITING_SUPPLEMENT)
# Once accepted, and until the draft decision goes for approval, a withdrawal is a request the
# office decides.
WITHDRAWAL_ON_REQUEST = (
    Status.ACCEPTED,
    Status.REJECTION_PENDING,
    Status.COORDINATION,
    Status.INVESTIGATION,
    Status.HANDLING,
)


def _withdraw(matter: Matter, *, actor: Any, reason: str, at: dt.datetime) -> None:
    workflow.transition(matter, to=Status.WITHDRAWN, actor=actor, at=at, note=reason)
    matter.withdrawn_at = at
    matter.withdrawal_reason = reason
    matter.withdrawal_requested_at = None
    matter.save()
    _end_stops(matter, StopReason.SUPPLEMENT, actor=actor, at=at)
    clocks.complete(matter, [c for c in Clock.values], at=at, close=True)
    _notice(matter, NoticeKind.WITHDRAWAL, notices.withdrawal(matter), actor=actor, at=at)


@transaction.atomic
def matter_withdraw(*, matter: Matter, reason: str, now: dt.datetime | None = None) -> Matter:
    """The filer withdraws (撤回), from the tracking page. Before the acceptance decision the
    withdrawal takes effect at once; once accepted, or while a non-acceptance awaits approval,
    it is a request the office decides (投诉办法 第十九条, CP-12)."""
    matter = _lock(matter)
    now = now or timeutil.now()
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why you withdraw."))
    before = _snapshot(matter)
    if matter.status in IMMEDIATE_WITHDRAWAL:
        _withdraw(matter, actor=None, reason=reason, at=now)
        action = "complaints.matter.withdrawn"
    elif matter.status in WITHDRAWAL_ON_REQUEST:
        if matter.withdrawal_requested_at is not None:
            raise DomainError(_("Your request to withdraw is already with the office."))
        matter.withdrawal_requested_at = now
        matter.withdrawal_reason = reason
        matter.save(update_fields=["withdrawal_requested_at", "withdrawal_reason", "updated_at"])
        action = "complaints.matter.withdrawal_requested"
    else:
        raise InvalidTransition(_("This filing can no longer be withdrawn."))
    audit.record(actor=None, action=action, obj=matter, before=before, after=_snapshot(matter))
    return matter


@transaction.atomic
def matter_decide_withdrawal(
    *, matter: Matter, actor: Any, allow: bool, reason: str = "", now: dt.datetime | None = None
) -> Matter:
    """Allow or refuse a filer's request to withdraw an accepted matter (CP-12: a complaint
    found clearly justified is not let go)."""
    _staff_check(actor, matter)
    matter = _lock(matter)
    now = now or timeutil.now()
    if matter.withdrawal_requested_at is None:
        raise InvalidTransition(_("The filer has not asked to withdraw."))
    before = _snapshot(matter)
    reason = reason.strip()
    if allow:
        if matter.status == Status.REJECTION_PENDING:
            request = latest_rejection_request(matter)
            if request is not None and request.is_open:
                approvals.approval_withdraw(
                    request=request, actor=actor, reason=_("The filer withdrew the matter.")
                )
        _withdraw(matter, actor=actor, reason=matter.withdrawal_reason, at=now)
        action = "complaints.matter.withdrawn"
    else:
        if not reason:
            raise DomainError(_("Give the reason for refusing the withdrawal."))
        matter.withdrawal_requested_at = None
        matter.save(update_fields=["withdrawal_requested_at", "updated_at"])
        _notice(
            matter,
            NoticeKind.WITHDRAWAL_REFUSED,
            notices.withdrawal_refused(matter, reason),
            actor=actor,
            at=now,
        )
        action = "complaints.matter.withdrawal_refused"
    audit.record(
        actor=actor, action=action, obj=matter, before=before, after=_snapshot(matter), note=reason
    )
    return matter


# -- classification -----------------------------------------------------------------------------


@transaction.atomic
def matter_reclassify(
    *,
    matter: Matter,
    actor: Any,
    project: Project | None,
    lot: Lot | None = None,
    project_text: str = "",
    industry: str = "",
    subject: str = "",
    note: str = "",
    now: dt.datetime | None = None,
) -> Matter:
    """Set the project, industry and matter during the review: the rule set, the competent
    department, the checks and the clocks follow."""
    _staff_check(actor, matter)
    matter = _lock(matter)
    now = now or timeutil.now()
    if matter.status not in (Status.RECEIVED, Status.AWAITING_SUPPLEMENT):
        raise InvalidTransition(_("The classification is changed only during the review."))
    if lot is not None and (project is None or lot.project_id != project.pk):
        raise DomainError(_("The lot does not belong to the project."))
    if industry and industry not in Industry.values:
        raise DomainError(_("Unknown industry."))
    if subject and subject not in Subject.values:
        raise DomainError(_("Choose what the filing is about."))
    before = {**_public_state(matter), "industry": matter.industry}
    matter.project = project
    matter.lot = lot
    matter.project_text = str(project)[:300] if project is not None else project_text.strip()
    matter.industry = project.industry if project is not None else industry
    if subject:
        matter.subject = subject
    old_rules = matter.rule_set
    matter.rule_set = _rule_set(matter.kind, matter.industry)
    _route(matter, timeutil.china_date(matter.received_at))
    matter.checks = checks.summary(checks.run(matter))
    matter.save()
    if old_rules != matter.rule_set:
        wanted = {r.clock for r in clocks.rules_for(matter)}
        matter.deadlines.filter(state__in=LIVE_STATES).exclude(
            clock__in=[*wanted, Clock.SUPPLEMENT, Clock.ASSIGNED]
        ).delete()
        clocks.start_intake_clocks(matter, now=now)
    audit.record(
        actor=actor,
        action="complaints.matter.reclassified",
        obj=matter,
        before=before,
        after={**_public_state(matter), "industry": matter.industry, "checks": matter.checks},
        note=note,
    )
    return matter


# -- clock stops --------------------------------------------------------------------------------

CLOCK_STOP_STATUSES = (
    Status.ACCEPTED,
    Status.COORDINATION,
    Status.INVESTIGATION,
    Status.HANDLING,
)


def _stage_check(actor: Any, matter: Matter) -> None:
    """The office (intake staff), or whoever handles the matter's stages."""
    if can(actor, "complaints.intake", matter):
        _staff_check(actor, matter)
        return
    from tenderwatch.complaints.investigation import handler_check

    handler_check(actor, matter)


DECISION_STOP_REASONS = (
    StopReason.INSPECTION,
    StopReason.TESTING,
    StopReason.APPRAISAL,
    StopReason.EXPERT_REVIEW,
)


@transaction.atomic
def clock_stop_start(
    *, matter: Matter, actor: Any, reason: str, note: str, now: dt.datetime | None = None
) -> ClockStop:
    """Stop the decision clocks for inspection, testing, appraisal or expert review
    (条例 第六十一条第二款: 所需时间不计算在内). By the office, or by the handling department
    during the investigation and handling."""
    _stage_check(actor, matter)
    matter = _lock(matter)
    now = now or timeutil.now()
    if reason not in DECISION_STOP_REASONS:
        raise DomainError(_("Choose inspection, testing, appraisal or expert review."))
    if matter.status not in CLOCK_STOP_STATUSES:
        raise InvalidTransition(_("The decision clocks run only once the matter is accepted."))
    if matter.clock_stops.filter(reason=reason, ended_at__isnull=True).exists():
        raise DomainError(_("A stop for this reason is already open."))
    note = note.strip()
    if not note:
        raise DomainError(_("Say what is being inspected, tested, appraised or reviewed."))
    stop = ClockStop.objects.create(
        matter=matter,
        reason=reason,
        clocks=clocks.clocks_stopped_by(reason, matter),
        started_at=now,
        note=note,
        started_by=actor,
    )
    clocks.recompute_matter(matter, now=now)
    audit.record(
        actor=actor,
        action="complaints.clock.stopped",
        obj=matter,
        after={"stop": stop.pk, "reason": reason, "clocks": stop.clocks, "from": now},
        note=note,
    )
    return stop


@transaction.atomic
def clock_stop_end(
    *, stop: ClockStop, actor: Any, note: str = "", now: dt.datetime | None = None
) -> ClockStop:
    matter = stop.matter
    _stage_check(actor, matter)
    _lock(matter)
    stop = ClockStop.objects.select_for_update().get(pk=stop.pk)
    now = now or timeutil.now()
    if stop.ended_at is not None:
        raise InvalidTransition(_("This clock stop has already ended."))
    if stop.reason == StopReason.SUPPLEMENT:
        raise DomainError(_("A supplement stop ends when the supplement arrives."))
    stop.ended_at = max(now, stop.started_at)
    stop.ended_by = actor
    if note.strip():
        stop.note = f"{stop.note}\n{note.strip()}"
    stop.save()
    clocks.recompute_matter(matter, now=now)
    audit.record(
        actor=actor,
        action="complaints.clock.resumed",
        obj=matter,
        after={"stop": stop.pk, "reason": stop.reason, "until": stop.ended_at},
        note=note,
    )
    return stop


# -- identity -----------------------------------------------------------------------------------


@transaction.atomic
def identity_reveal(*, matter: Matter, actor: Any, reason: str) -> Identity:
    """The filer's identity in the clear, for a person entitled to it; audited every time.

    Anyone else gets "not found" (the identity's existence is not disclosed either).
    """
    ensure_visible(actor, "complaints.view", matter)
    ensure_visible(actor, "complaints.identity.view", matter)
    reason = reason.strip()
    if len(reason) < 2:
        raise DomainError(_("Say why you need to see the identity; the view is recorded."))
    identity = unseal_from(matter)
    audit.record(
        actor=actor,
        action="complaints.identity.viewed",
        obj=matter,
        after={
            "kind": matter.kind,
            "fields": sorted(k for k, v in identity.as_dict().items() if v),
            "key_id": matter.identity_key_id,
        },
        note=reason,
    )
    return identity


@transaction.atomic
def attachment_open(*, attachment: Attachment, actor: Any) -> Attachment:
    """Check the right to download a file; a proof of identity counts as seeing the identity."""
    matter = attachment.matter
    ensure_visible(actor, "complaints.view", matter)
    if attachment.identity_protected:
        ensure_visible(actor, "complaints.identity.view", matter)
        audit.record(
            actor=actor,
            action="complaints.identity.file_viewed",
            obj=matter,
            after={"attachment": attachment.pk, "sha256": attachment.sha256},
        )
    return attachment


@transaction.atomic
def matter_rekey(*, matter: Matter) -> bool:
    """Reseal the identity under the active key (key rotation); True when it changed."""
    matter = _lock(matter)
    if not matter.identity_sealed or matter.identity_key_id == crypto.active_key_id():
        return False
    identity = unseal_from(matter)
    old = matter.identity_key_id
    seal_onto(matter, identity)
    matter.save(
        update_fields=["identity_key_id", "identity_nonce", "identity_sealed", "updated_at"]
    )
    audit.record(
        actor=None,
        action="complaints.identity.rekeyed",
        obj=matter,
        before={"key_id": old},
        after={"key_id": matter.identity_key_id},
    )
    return True


# -- public tracking ----------------------------------------------------------------------------

_DUMMY_HASH: list[str] = []


class TrackingRefused(DomainError):
    http_status = 403


def tracking_verify(
    *, number: str, code: str, client_ip: str | None, now: dt.datetime | None = None
) -> Matter:
    """The matter for a 受理编号 and its 查询码, or TrackingRefused (wrong pair, or too many
    wrong tries: slowed down per client and per number, `throttle`)."""
    now = now or timeutil.now()
    number = crypto.normalise_number(number)
    keys = throttle.keys_for(client_ip=client_ip, number=number)
    block = throttle.blocked(keys, now=now)
    if block is not None:
        raise TrackingRefused(_too_many(block, now), code="throttled")
    matter = Matter.objects.filter(number=number).first()
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(crypto.tracking_code_hash(secrets.token_hex(8)))
    # The same work whether or not the number exists, so timing tells nothing.
    stored = matter.tracking_code_hash if matter is not None else _DUMMY_HASH[0]
    good = crypto.tracking_code_matches(code, stored) and matter is not None
    if not good:
        block = throttle.record_failure(keys, now=now)
        if block is not None:
            raise TrackingRefused(_too_many(block, now), code="throttled")
        raise TrackingRefused(
            _("The filing number and tracking code do not match. Check both and try again."),
            code="bad_code",
        )
    throttle.record_success(client_ip=client_ip)
    assert matter is not None
    return matter


def _too_many(block: throttle.Blocked, now: dt.datetime) -> str:
    return _("Too many wrong codes. For your protection, try again in %(n)s minutes.") % {
        "n": block.minutes_left(now)
    }


# -- the sweeper --------------------------------------------------------------------------------


@dataclass
class SweepReport:
    escalated: list[Escalation] = field(default_factory=list)
    requests_overdue: list[int] = field(default_factory=list)


def deadlines_sweep(*, now: dt.datetime | None = None) -> SweepReport:
    """Raise what fell overdue: the office's clocks to the office head, a filer's expired
    supplement period to the office staff. Each deadline is claimed with a conditional UPDATE
    (several sweepers may run), and escalated once."""
    now = now or timeutil.now()
    report = SweepReport()
    due = (
        clocks.Deadline.objects.filter(
            state=DeadlineState.RUNNING, due_at__lt=now, escalated_at__isnull=True
        )
        .order_by("due_at")
        .values_list("pk", flat=True)
    )
    for pk in list(due):
        with transaction.atomic():
            claimed = clocks.Deadline.objects.filter(
                pk=pk, state=DeadlineState.RUNNING, escalated_at__isnull=True
            ).update(escalated_at=now)
            if not claimed:
                continue
            deadline = clocks.Deadline.objects.select_related("matter").get(pk=pk)
            matter = deadline.matter
            target = (
                EscalationTarget.OFFICE_STAFF
                if deadline.clock == Clock.SUPPLEMENT
                else EscalationTarget.OFFICE_HEAD
            )
            escalation = Escalation.objects.create(
                matter=matter,
                deadline=deadline,
                target=target,
                department=matter.department,
                escalated_at=now,
                due_at=deadline.due_at or now,
            )
            audit.record(
                actor=None,
                action="complaints.deadline.escalated",
                obj=matter,
                after={
                    "clock": deadline.clock,
                    "rule": deadline.rule,
                    "due_at": deadline.due_at,
                    "to": target,
                    "department": matter.department.code if matter.department else None,
                },
            )
            _told_overdue(matter, deadline, target)
            report.escalated.append(escalation)
    report.requests_overdue = _sweep_requests(now)
    return report


def _sweep_requests(now: dt.datetime) -> list[int]:
    """Requests to the respondent or a department left unanswered past their deadline: a
    warning to the handling department's staff, once per request (claimed like deadlines)."""
    from tenderwatch.complaints.models import InfoRequest
    from tenderwatch.complaints.recipients import department_staff

    done = []
    due = InfoRequest.objects.filter(
        answered_at__isnull=True, due_at__lt=now, escalated_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            if not InfoRequest.objects.filter(pk=pk, escalated_at__isnull=True).update(
                escalated_at=now
            ):
                continue
            request = InfoRequest.objects.select_related("matter__department").get(pk=pk)
            matter = request.matter
            audit.record(
                actor=None,
                action="complaints.request.overdue",
                obj=matter,
                after={
                    "request": pk,
                    "addressee": request.addressee_name,
                    "due_at": request.due_at,
                },
            )
            integrations.notify(
                event="complaints.overdue",
                title=_("%(number)s: no answer from %(addressee)s")
                % {"number": matter.number, "addressee": request.addressee_name},
                body=_("The answer was due %(due)s.") % {"due": request.due_on.isoformat()},
                matter=matter,
                users=department_staff(matter.department),
            )
            done.append(pk)
    return done
