"""Every write to the ledger. REQ-05, REQ-09, REQ-21.

The actor is a user (manual entry, `ledger.write`) or `None` for a trading platform pushing
through the feed; then `system` is the `FeedSystem` whose token was presented, and the audit
entry's note says `feed:<code>` (the request context says channel "api").

Records from outside are idempotent by (source, external id, version), per DESIGN.md "Imports":
- no record yet → created;
- same version, same content → unchanged (nothing written);
- same version, other content → refused (`FeedConflict`): a change needs a higher version;
- higher version → updated, with before and after in the audit entry;
- lower version → stale: ignored and reported.
Procedure events are append-only: a new version is a new row and the newest version of each
external id is what counts on the timeline.

Each function is one transaction: a record is stored whole with its audit entry, or not at all.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import mimetypes
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _
from pydantic import BaseModel, ValidationError

from tenderwatch.audit import services as audit
from tenderwatch.audit.services import snapshot
from tenderwatch.core.errors import DomainError, PermissionDenied
from tenderwatch.ledger import schemas, signals
from tenderwatch.ledger.identifiers import normalize_identifier
from tenderwatch.ledger.models import (
    Award,
    Bid,
    BidOpening,
    CommitteeMember,
    Contract,
    Document,
    Evaluation,
    EventKind,
    Expert,
    FeedReceipt,
    FeedSystem,
    KeyPerson,
    Lot,
    MarketEntity,
    ProcedureEvent,
    Project,
    ProjectStatus,
    Qualification,
)
from tenderwatch.ledger.thresholds import CNY, Assessment, aggregate_amount, assess_must_tender
from tenderwatch.org.scoping import ensure_allowed

Outcome = FeedReceipt.Outcome
M = TypeVar("M", bound=models.Model)
S = TypeVar("S", bound=BaseModel)


class FeedConflict(DomainError):
    """The record contradicts what the ledger holds (same version, other content; unknown
    project or lot; an id used elsewhere). Nothing was written."""

    http_status = 409


class PayloadInvalid(DomainError):
    """The payload has bad fields; `details` lists them as [{field, message}]."""

    http_status = 422


@dataclass
class Result:
    """What happened to one record."""

    record_type: str
    external_id: str
    version: int | None
    outcome: str
    obj: Any = None
    current_version: int | None = None
    errors: list[dict[str, str]] = field(default_factory=list)


# -- helpers ------------------------------------------------------------------------------------


def _validated(schema: type[S], payload: S | Mapping[str, Any]) -> S:
    if isinstance(payload, schema):
        return payload
    try:
        return schema.model_validate(payload)
    except ValidationError as exc:
        errors = schemas.field_errors(exc.errors())
        raise PayloadInvalid(
            _("The record has %(n)d invalid fields; nothing was saved.") % {"n": len(errors)},
            code="invalid_payload",
            details=errors,
        ) from None


def _checked(
    schema: type[S],
    payload: S | Mapping[str, Any],
    *,
    source: str,
    actor: Any,
    system: FeedSystem | None,
    obj: Any = None,
) -> S:
    """The validated record, once the writer may write it here and for this source."""
    data = _validated(schema, payload)
    _authorize(actor, system, obj)
    _check_source(source, system)
    return data


def _required(field_name: str, message: str) -> PayloadInvalid:
    return PayloadInvalid(
        message,
        code="invalid_payload",
        details=[{"field": field_name, "message": _("This field is required.")}],
    )


def _authorize(actor: Any, system: FeedSystem | None, obj: Any = None) -> None:
    """Users need `ledger.write`; without a user, a feed system must be acting."""
    if actor is not None:
        ensure_allowed(actor, "ledger.write", obj)
    elif system is None or not system.active:
        raise PermissionDenied(_("Only staff or a connected trading platform may write here."))


def _check_source(source: str, system: FeedSystem | None) -> None:
    if not source:
        raise DomainError(_("A record needs its source."), code="source_missing")
    if system is not None and source != system.code:
        raise PermissionDenied(_("A trading platform writes only records of its own source."))


def _note(system: FeedSystem | None, note: str = "") -> str:
    return f"feed:{system.code}" if system is not None else note


def _plain(value: Any) -> Any:
    """Enum members as their values; what a model field holds."""
    return value.value if isinstance(value, enum.Enum) else value


def _insert(model: type[M], lookup: Mapping[str, Any], values: Mapping[str, Any]) -> tuple[M, bool]:
    """Create a row, or — when another transaction created it meanwhile — lock and return it."""
    try:
        with transaction.atomic():
            return model.objects.create(**lookup, **values), True  # type: ignore[attr-defined]
    except IntegrityError:
        return model.objects.select_for_update().get(**lookup), False  # type: ignore[attr-defined]


def _differences(obj: models.Model, values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if getattr(obj, k) != v}


def _apply(obj: models.Model, values: Mapping[str, Any]) -> None:
    for key, value in values.items():
        setattr(obj, key, value)


def _complete(obj: models.Model, values: Mapping[str, Any]) -> None:
    """Save what `values` says otherwise, but never erase a known value with an empty one."""
    changes = {k: v for k, v in _differences(obj, values).items() if v not in ("", None)}
    if changes:
        _apply(obj, changes)
        obj.save(update_fields=list(changes))


def _record_label(record_type: str) -> str:
    labels = {
        "project": _("project"),
        "event": _("procedure event"),
        "bid": _("bid"),
        "opening": _("bid opening"),
        "committee": _("Evaluation committee"),
        "evaluation": _("evaluation"),
        "award": _("award"),
        "contract": _("contract"),
    }
    return labels.get(record_type, record_type)


def _version_check(
    *,
    record_type: str,
    external_id: str,
    version: int,
    current: int | None,
    same: bool,
    obj: Any = None,
) -> Result | None:
    """The idempotency rule: a Result (about `obj`, the record held) when nothing is to be
    written, else None."""
    if current is None or version > current:
        return None
    if version < current:
        outcome = Outcome.STALE
    elif same:
        outcome = Outcome.UNCHANGED
    else:
        raise FeedConflict(
            _(
                "Version %(version)d of %(what)s %(id)s was already received with other content; "
                "send the change as version %(next)d."
            )
            % {
                "version": version,
                "what": _record_label(record_type),
                "id": external_id,
                "next": current + 1,
            },
            code="version_conflict",
        )
    return Result(record_type, external_id, version, outcome, obj=obj, current_version=current)


def _written(
    record_type: str,
    external_id: str,
    version: int,
    *,
    obj: models.Model,
    action: str,
    before: Any,
    after: Any,
    actor: Any,
    system: FeedSystem | None,
    project_id: int,
) -> Result:
    """What follows a record written: its audit entry, the project's change signal and the
    result (created where there was nothing `before`)."""
    audit.record(
        actor=actor, action=action, obj=obj, before=before, after=after, note=_note(system)
    )
    signals.notify_changed(project_id, record_type)
    outcome = Outcome.CREATED if before is None else Outcome.UPDATED
    return Result(record_type, external_id, version, outcome, obj=obj, current_version=version)


# -- market entities ------------------------------------------------------------------------------


def id_hash(id_number: str) -> str:
    """A keyed hash of an identity-card number: comparable, not reversible without the key."""
    key = getattr(settings, "TW_ID_HASH_KEY", "") or settings.SECRET_KEY
    return hmac.new(key.encode(), id_number.strip().upper().encode(), hashlib.sha256).hexdigest()


ENTITY_FIELDS = (
    "name",
    "kind",
    "legal_representative",
    "address",
    "region_code",
    "contact_phone",
    "contact_email",
    "registered_capital",
    "established_on",
)


def _entity_state(entity: MarketEntity) -> dict[str, Any]:
    state = snapshot(entity, ["scheme", "identifier", *ENTITY_FIELDS])
    state["qualifications"] = [
        snapshot(q, ["category", "grade", "certificate_no", "issued_by", "valid_from", "valid_to"])
        for q in entity.qualifications.order_by("pk")
    ]
    state["key_people"] = [
        snapshot(p, ["name", "role", "registration_type", "certificate_no", "valid_to"])
        for p in entity.key_people.order_by("pk")
    ]
    return state


def _upsert_key_person(entity: MarketEntity, data: schemas.KeyPersonIn) -> KeyPerson:
    people = entity.key_people.select_for_update()
    if data.certificate_no:
        person = people.filter(certificate_no=data.certificate_no).first()
    else:
        person = people.filter(name=data.name, role=data.role, certificate_no="").first()
    values: dict[str, Any] = {
        "name": data.name,
        "role": data.role,
        "registration_type": data.registration_type,
        "certificate_no": data.certificate_no,
    }
    if data.id_number:
        values["id_hash"] = id_hash(data.id_number)
    if data.valid_to is not None:
        values["valid_to"] = data.valid_to
    if person is None:
        return KeyPerson.objects.create(entity=entity, **values)
    _complete(person, values)
    return person


def _upsert_qualification(entity: MarketEntity, data: schemas.QualificationIn) -> None:
    lookup = {"category": data.category, "certificate_no": data.certificate_no}
    if not data.certificate_no:
        lookup["grade"] = data.grade
    values = {
        "grade": data.grade,
        "issued_by": data.issued_by,
        "valid_from": data.valid_from,
        "valid_to": data.valid_to,
    }
    qualification = entity.qualifications.select_for_update().filter(**lookup).first()
    if qualification is None:
        Qualification.objects.create(entity=entity, **lookup, **values)
        return
    _complete(qualification, values)


def _upsert_entity(
    data: schemas.EntityIn, *, source: str, actor: Any, system: FeedSystem | None
) -> MarketEntity:
    """Create or complete an entity. Values left out (or empty) never erase what is known:
    a bid names its bidder with a few fields, the registry with all of them."""
    scheme, identifier = normalize_identifier(data.scheme, data.identifier)
    sent = data.model_fields_set
    values = {
        name: _plain(getattr(data, name))
        for name in ENTITY_FIELDS
        if (name in sent or name == "name") and getattr(data, name) not in ("", None)
    }
    entity = (
        MarketEntity.objects.select_for_update()
        .filter(scheme=scheme, identifier=identifier)
        .first()
    )
    created = False
    before = None
    if entity is None:
        entity, created = _insert(
            MarketEntity, {"scheme": scheme, "identifier": identifier}, {**values, "source": source}
        )
    if not created:
        before = _entity_state(entity)
        changes = _differences(entity, values)
        if changes:
            _apply(entity, changes)
            entity.save(update_fields=[*changes, "updated_at"])
    for qualification in data.qualifications:
        _upsert_qualification(entity, qualification)
    for person in data.key_people:
        _upsert_key_person(entity, person)
    after = _entity_state(entity)
    if created:
        audit.record(
            actor=actor, action="ledger.entity.created", obj=entity, after=after, note=_note(system)
        )
    elif before != after:
        audit.record(
            actor=actor,
            action="ledger.entity.updated",
            obj=entity,
            before=before,
            after=after,
            note=_note(system),
        )
    return entity


@transaction.atomic
def entity_upsert(
    *,
    payload: schemas.EntityIn | Mapping[str, Any],
    source: str,
    actor: Any,
    system: FeedSystem | None = None,
) -> MarketEntity:
    """Create a market entity, or complete the one with the same (scheme, identifier).

    A 统一社会信用代码 is checked (GB 32100-2015) and refused with a message that says what is
    wrong; other schemes are taken as they are (DESIGN.md "Identifiers").
    """
    data = _checked(schemas.EntityIn, payload, source=source, actor=actor, system=system)
    return _upsert_entity(data, source=source, actor=actor, system=system)


# -- documents -------------------------------------------------------------------------------------


def _store_document(
    *,
    content: bytes | None,
    sha256: str | None,
    url: str = "",
    title: str = "",
    kind: str = "",
    media_type: str = "",
    source: str = "",
    actor: Any,
    system: FeedSystem | None,
) -> Document:
    if content is not None:
        digest = hashlib.sha256(content).hexdigest()
        if sha256 and sha256.lower() != digest:
            raise PayloadInvalid(
                _("The content's SHA-256 is %(digest)s, not the one given.") % {"digest": digest},
                code="document_hash",
                details=[{"field": "sha256", "message": _("Does not match the content.")}],
            )
    elif sha256:
        digest = sha256.lower()
    else:
        raise PayloadInvalid(
            _("A document needs its content or its SHA-256; the ledger keeps the hash."),
            code="document_hash",
        )
    values = {"url": url, "title": title, "kind": kind, "media_type": media_type}
    document = Document.objects.select_for_update().filter(sha256=digest).first()
    created = False
    if document is None:
        document, created = _insert(Document, {"sha256": digest}, {**values, "source": source})
    changed: list[str] = [k for k, v in values.items() if v and not getattr(document, k)]
    for key in changed:
        setattr(document, key, values[key])
    if content is not None and not document.file:
        # Stored once per hash, under MEDIA_ROOT (outside the web root; served through views
        # that check rights). A rolled-back transaction may leave the file behind: harmless,
        # it is named by its hash and the next store of the same content reuses the name.
        extension = mimetypes.guess_extension(media_type or "") or ""
        document.file.save(f"{digest}{extension}", ContentFile(content), save=False)
        document.size = len(content)
        changed += ["file", "size"]
    if changed:
        document.save(update_fields=changed)
    if created:
        audit.record(
            actor=actor,
            action="ledger.document.stored",
            obj=document,
            after=snapshot(document, ["sha256", "title", "kind", "media_type", "size", "url"]),
            note=_note(system),
        )
    return document


@transaction.atomic
def document_store(
    *,
    content: bytes | None = None,
    sha256: str | None = None,
    url: str = "",
    title: str = "",
    kind: str = "",
    media_type: str = "",
    source: str,
    actor: Any,
    system: FeedSystem | None = None,
) -> Document:
    """Keep a document by its SHA-256: the content once per hash, or only the hash and where
    the document is. A hash that does not match the content is refused."""
    _authorize(actor, system)
    return _store_document(
        content=content,
        sha256=sha256,
        url=url,
        title=title,
        kind=kind,
        media_type=media_type,
        source=source,
        actor=actor,
        system=system,
    )


def _document_from(
    data: schemas.DocumentIn | None, *, source: str, actor: Any, system: FeedSystem | None
) -> Document | None:
    if data is None:
        return None
    return _store_document(
        content=data.content,
        sha256=data.sha256,
        url=data.url or "",
        title=data.title,
        kind=data.kind,
        media_type=data.media_type,
        source=source,
        actor=actor,
        system=system,
    )


def _document_sha(document: Document | None) -> str | None:
    return document.sha256 if document is not None else None


# -- projects and lots -----------------------------------------------------------------------------

PROJECT_FIELDS = (
    "ocid",
    "code",
    "name",
    "region_code",
    "industry",
    "category",
    "funding_source",
    "state_owned_share",
    "budget_funds",
    "total_investment",
    "estimated_amount",
    "currency",
    "procurement_method",
    "organisation_form",
    "approval_no",
    "approved_scope",
    "approved_method",
    "approved_form",
    "approved_on",
    "registered_at",
)
LOT_FIELDS = (
    "number",
    "name",
    "estimated_amount",
    "ceiling_price",
    "currency",
    "bid_security",
    "qualification_requirements",
)
BLANK_WHEN_NONE = {"organisation_form", "approved_method", "approved_form"}


def _values(data: BaseModel, names: Iterable[str]) -> dict[str, Any]:
    out = {}
    for name in names:
        value = _plain(getattr(data, name))
        out[name] = "" if value is None and name in BLANK_WHEN_NONE else value
    return out


def _entity_key(entity: MarketEntity | None) -> tuple[str, str] | None:
    return (entity.scheme, entity.identifier) if entity is not None else None


def _sent_key(data: schemas.EntityIn | None) -> tuple[str, str] | None:
    return data.key() if data is not None else None


def _project_state(project: Project) -> dict[str, Any]:
    state = snapshot(project, ["version", *PROJECT_FIELDS, "must_tender", "must_tender_reason"])
    state["tenderer"] = _entity_key(project.tenderer)
    state["agency"] = _entity_key(project.agency)
    state["lots"] = {
        lot.external_id: snapshot(lot, LOT_FIELDS) for lot in project.lots.order_by("pk")
    }
    return state


def _project_same(project: Project, data: schemas.ProjectIn) -> bool:
    if _differences(project, _values(data, PROJECT_FIELDS)):
        return False
    if _entity_key(project.tenderer) != _sent_key(data.tenderer):
        return False
    if _entity_key(project.agency) != _sent_key(data.agency):
        return False
    lots = {lot.external_id: lot for lot in project.lots.all()}
    for lot_data in data.lots:
        lot = lots.get(lot_data.external_id)
        if lot is None or _differences(lot, _values(lot_data, LOT_FIELDS)):
            return False
    return True


def assess_project(project: Project) -> Assessment:
    """必须招标 for a project: its lots' estimates together (16号令 第五条第二款)."""
    lots = list(project.lots.all())
    currencies = {project.currency, *(lot.currency for lot in lots if lot.estimated_amount)}
    foreign = sorted(c for c in currencies if c != CNY)
    amount = aggregate_amount([lot.estimated_amount for lot in lots], project.estimated_amount)
    return assess_must_tender(
        category=project.category,
        amount=amount,
        currency=foreign[0] if foreign else CNY,
        state_owned_share=project.state_owned_share,
        budget_funds=project.budget_funds,
        total_investment=project.total_investment,
    )


@transaction.atomic
def project_upsert(
    *,
    source: str,
    payload: schemas.ProjectIn | Mapping[str, Any],
    actor: Any,
    system: FeedSystem | None = None,
) -> Result:
    """Store a project with its lots, idempotent by (source, external id, version). REQ-05.

    Lots are matched by their external id; a lot left out of a newer version is kept (its
    bids and events stay). Whether the project must be tendered is assessed again on every
    change (必须招标的工程项目规定, `thresholds`).
    """
    data = _checked(schemas.ProjectIn, payload, source=source, actor=actor, system=system)
    if not data.external_id:
        raise _required("external_id", _("A project needs its external id."))
    lookup = {"source": source, "external_id": data.external_id}
    project = Project.objects.select_for_update().filter(**lookup).first()
    if project is not None:
        done = _version_check(
            record_type="project",
            external_id=data.external_id,
            version=data.version,
            current=project.version,
            same=_project_same(project, data),
            obj=project,
        )
        if done is not None:
            return done
    tenderer = (
        _upsert_entity(data.tenderer, source=source, actor=actor, system=system)
        if data.tenderer
        else None
    )
    agency = (
        _upsert_entity(data.agency, source=source, actor=actor, system=system)
        if data.agency
        else None
    )
    values = {
        **_values(data, PROJECT_FIELDS),
        "version": data.version,
        "tenderer": tenderer,
        "agency": agency,
    }
    created = False
    before = None
    if project is None:
        project, created = _insert(Project, lookup, values)
        if not created:  # created by a concurrent push of the same project: decide again
            return project_upsert(source=source, payload=data, actor=actor, system=system)
    else:
        before = _project_state(project)
        _apply(project, values)
    existing = {lot.external_id: lot for lot in project.lots.select_for_update()}
    for lot_data in data.lots:
        lot_values = _values(lot_data, LOT_FIELDS)
        lot = existing.get(lot_data.external_id)
        if lot is None:
            Lot.objects.create(project=project, external_id=lot_data.external_id, **lot_values)
        elif _differences(lot, lot_values):
            _apply(lot, lot_values)
            lot.save()
    assessment = assess_project(project)
    project.must_tender = assessment.must_tender
    project.must_tender_reason = assessment.reason[:300]
    project.save()
    after = _project_state(project)
    return _written(
        "project",
        data.external_id,
        data.version,
        obj=project,
        action="ledger.project.created" if created else "ledger.project.updated",
        before=before,
        after=after,
        actor=actor,
        system=system,
        project_id=project.pk,
    )


# -- procedure events and the status they imply ---------------------------------------------------

# The project's status after an event of each kind, in timeline order. Kinds not listed
# (objections, replies, "other") leave it as it is; suspension, resumption, termination and
# re-tendering are handled in `derive_status`.
STATUS_AFTER: dict[str, str] = {
    EventKind.REGISTRATION: ProjectStatus.REGISTERED,
    EventKind.ANNOUNCEMENT: ProjectStatus.ANNOUNCED,
    EventKind.PREQUALIFICATION_ISSUED: ProjectStatus.ANNOUNCED,
    EventKind.PREQUALIFICATION_DEADLINE: ProjectStatus.ANNOUNCED,
    EventKind.PREQUALIFICATION_RESULT: ProjectStatus.ANNOUNCED,
    EventKind.TENDER_DOCUMENTS_ISSUED: ProjectStatus.BIDDING,
    EventKind.TENDER_DOCUMENTS_SALE_END: ProjectStatus.BIDDING,
    EventKind.CLARIFICATION: ProjectStatus.BIDDING,
    EventKind.AMENDMENT: ProjectStatus.BIDDING,
    EventKind.SITE_VISIT: ProjectStatus.BIDDING,
    EventKind.BID_DEADLINE: ProjectStatus.EVALUATING,
    EventKind.OPENING: ProjectStatus.EVALUATING,
    EventKind.EVALUATION_START: ProjectStatus.EVALUATING,
    EventKind.EVALUATION_REPORT: ProjectStatus.EVALUATING,
    EventKind.CANDIDATE_PUBLICITY_START: ProjectStatus.PUBLICITY,
    EventKind.CANDIDATE_PUBLICITY_END: ProjectStatus.PUBLICITY,
    EventKind.AWARD_NOTICE: ProjectStatus.AWARDED,
    EventKind.CONTRACT_SIGNED: ProjectStatus.CONTRACTED,
    EventKind.SUPERVISOR_REPORT: ProjectStatus.CONTRACTED,
    EventKind.BID_SECURITY_REFUND: ProjectStatus.CONTRACTED,
    EventKind.CONTRACT_CHANGE: ProjectStatus.CONTRACTED,
    EventKind.COMPLETION: ProjectStatus.CONTRACTED,
}


def current_events(events: Iterable[ProcedureEvent]) -> list[ProcedureEvent]:
    """The timeline: the newest version of each (source, external id), by `occurred_at`."""
    newest: dict[tuple[str, str], ProcedureEvent] = {}
    for event in events:
        key = (event.source, event.external_id)
        if key not in newest or event.version > newest[key].version:
            newest[key] = event
    return sorted(newest.values(), key=lambda e: (e.occurred_at, e.pk or 0))


def derive_status(events: Iterable[ProcedureEvent]) -> str:
    """The status the timeline implies, read in `occurred_at` order (not arrival order)."""
    stage: str = ProjectStatus.REGISTERED
    suspended = terminated = False
    for event in events:
        if event.kind == EventKind.SUSPENSION:
            suspended = True
        elif event.kind == EventKind.RESUMPTION:
            suspended = False
        elif event.kind == EventKind.TERMINATION:
            terminated = True
        elif event.kind == EventKind.RETENDER:
            # 招标投标法 第二十八条, 第四十二条: the procedure starts again.
            stage, suspended, terminated = ProjectStatus.REGISTERED, False, False
        elif event.kind in STATUS_AFTER:
            stage = STATUS_AFTER[event.kind]
    if terminated:
        return ProjectStatus.TERMINATED
    if suspended:
        return ProjectStatus.SUSPENDED
    return stage


def _refresh_statuses(project: Project, *, actor: Any, system: FeedSystem | None) -> None:
    timeline = current_events(project.events.all())
    lots = list(project.lots.all())
    before: dict[str, Any] = {
        "status": project.status,
        "lots": {lot.external_id: lot.status for lot in lots},
    }
    project.status = derive_status(timeline)
    for lot in lots:
        lot.status = derive_status(e for e in timeline if e.lot_id in (None, lot.pk))
    after = {"status": project.status, "lots": {lot.external_id: lot.status for lot in lots}}
    if before == after:
        return
    project.save(update_fields=["status", "updated_at"])
    changed = [lot for lot in lots if lot.status != before["lots"][lot.external_id]]
    Lot.objects.bulk_update(changed, ["status"])
    audit.record(
        actor=actor,
        action="ledger.project.status_derived",
        obj=project,
        before=before,
        after=after,
        note=_note(system),
    )


def _event_same(event: ProcedureEvent, data: schemas.EventIn, lot: Lot | None) -> bool:
    return (
        event.kind == _plain(data.kind)
        and event.occurred_at == data.occurred_at
        and event.lot_id == (lot.pk if lot is not None else None)
        and event.data == data.data
        and event.note == data.note
        and _document_sha(event.document) == (data.document.sha256 if data.document else None)
    )


def _lot_of(project: Project, lot_external_id: str | None) -> Lot | None:
    if not lot_external_id:
        return None
    lot = project.lots.filter(external_id=lot_external_id).first()
    if lot is None:
        raise FeedConflict(
            _(
                "Lot %(lot)s is not part of project %(project)s (yet): send the project with "
                "this lot first."
            )
            % {"lot": lot_external_id, "project": project.external_id},
            code="lot_unknown",
            details=[{"field": "lot_external_id", "message": _("Unknown lot.")}],
        )
    return lot


@transaction.atomic
def event_record(
    *,
    source: str,
    project: Project,
    payload: schemas.EventIn | Mapping[str, Any],
    actor: Any,
    system: FeedSystem | None = None,
) -> Result:
    """Add a procedure event to the project's timeline (全程留痕, REQ-05); append-only.

    Events may arrive in any order: each is placed by `occurred_at`, and the project's and its
    lots' status follow the newest event on the timeline, not the newest to arrive.
    """
    data = _checked(
        schemas.EventIn, payload, source=source, actor=actor, system=system, obj=project
    )
    project = Project.objects.select_for_update().get(pk=project.pk)
    lot = _lot_of(project, data.lot_external_id)
    versions = list(
        ProcedureEvent.objects.select_for_update(of=("self",))
        .select_related("document")
        .filter(source=source, external_id=data.external_id)
    )
    if any(e.project_id != project.pk for e in versions):
        raise FeedConflict(
            _("Event %(id)s belongs to another project.") % {"id": data.external_id},
            code="event_elsewhere",
        )
    same = next((e for e in versions if e.version == data.version), None)
    newest = max((e.version for e in versions), default=None)
    if same is not None:
        done = _version_check(
            record_type="event",
            external_id=data.external_id,
            version=data.version,
            current=data.version,
            same=_event_same(same, data, lot),
        )
        if done is not None:
            done.obj, done.current_version = same, newest
            return done
    if newest is not None and data.version < newest:
        return Result(
            "event", data.external_id, data.version, Outcome.STALE, current_version=newest
        )
    document = _document_from(data.document, source=source, actor=actor, system=system)
    event = ProcedureEvent.objects.create(
        project=project,
        lot=lot,
        kind=_plain(data.kind),
        occurred_at=data.occurred_at,
        source=source,
        external_id=data.external_id,
        version=data.version,
        data=data.data,
        document=document,
        note=data.note,
        recorded_by=actor,
    )
    audit.record(
        actor=actor,
        action="ledger.event.recorded",
        obj=event,
        after={
            **snapshot(event, ["project_id", "lot_id", "kind", "occurred_at", "version", "data"]),
            "external_id": event.external_id,
            "document_sha256": _document_sha(document),
            "replaces_version": newest,
        },
        note=_note(system),
    )
    _refresh_statuses(project, actor=actor, system=system)
    signals.notify_changed(project.pk, "event")
    return Result(
        "event",
        data.external_id,
        data.version,
        Outcome.UPDATED if versions else Outcome.CREATED,
        obj=event,
        current_version=data.version,
    )


# -- bids ----------------------------------------------------------------------------------------

BID_FIELDS = (
    "price",
    "currency",
    "submitted_at",
    "status",
    "rejection_reason",
    "client_ip",
    "mac_address",
    "hardware_id",
    "ca_key_id",
    "file_hash",
    "file_author",
    "file_software",
    "file_machine",
    "security_account",
    "security_bank",
    "contact_name",
    "contact_phone",
)


def _person_key(person: KeyPerson | None) -> tuple[str, str] | None:
    return (person.name, person.certificate_no) if person is not None else None


def _bid_state(bid: Bid) -> dict[str, Any]:
    state = snapshot(bid, ["version", *BID_FIELDS])
    state["bidder"] = _entity_key(bid.bidder)
    state["project_manager"] = _person_key(bid.project_manager)
    state["consortium_members"] = sorted(
        _entity_key(m) or ("", "") for m in bid.consortium_members.all()
    )
    return state


def _bid_same(bid: Bid, data: schemas.BidIn) -> bool:
    pm = data.project_manager
    return (
        not _differences(bid, _values(data, BID_FIELDS))
        and _entity_key(bid.bidder) == data.bidder.key()
        and _person_key(bid.project_manager) == ((pm.name, pm.certificate_no) if pm else None)
        and sorted(_entity_key(m) or ("", "") for m in bid.consortium_members.all())
        == sorted(m.key() for m in data.consortium_members)
    )


def _lock_lot(lot: Lot, source: str) -> Lot:
    lot = Lot.objects.select_for_update(of=("self",)).select_related("project").get(pk=lot.pk)
    if lot.project.source != source:
        raise PermissionDenied(_("A trading platform writes only records of its own source."))
    return lot


@transaction.atomic
def bid_upsert(
    *,
    source: str,
    lot: Lot,
    payload: schemas.BidIn | Mapping[str, Any],
    actor: Any,
    system: FeedSystem | None = None,
) -> Result:
    """Store a bid with its bidder, project manager and the fingerprints 条例 第四十条 needs."""
    data = _checked(schemas.BidIn, payload, source=source, actor=actor, system=system, obj=lot)
    lot = _lock_lot(lot, source)
    bid = (
        Bid.objects.select_for_update(of=("self",))
        .select_related("bidder", "project_manager")
        .filter(lot=lot, external_id=data.external_id)
        .first()
    )
    if bid is not None:
        done = _version_check(
            record_type="bid",
            external_id=data.external_id,
            version=data.version,
            current=bid.version,
            same=_bid_same(bid, data),
            obj=bid,
        )
        if done is not None:
            return done
    bidder = _upsert_entity(data.bidder, source=source, actor=actor, system=system)
    manager = _upsert_key_person(bidder, data.project_manager) if data.project_manager else None
    members = [
        _upsert_entity(m, source=source, actor=actor, system=system)
        for m in data.consortium_members
    ]
    values = {
        **_values(data, BID_FIELDS),
        "version": data.version,
        "bidder": bidder,
        "project_manager": manager,
        "source": source,
    }
    before = _bid_state(bid) if bid is not None else None
    created = bid is None
    if bid is None:
        bid, inserted = _insert(Bid, {"lot": lot, "external_id": data.external_id}, values)
        if not inserted:
            return bid_upsert(source=source, lot=lot, payload=data, actor=actor, system=system)
    else:
        _apply(bid, values)
        bid.save()
    bid.consortium_members.set(members)
    return _written(
        "bid",
        data.external_id,
        data.version,
        obj=bid,
        action="ledger.bid.created" if created else "ledger.bid.updated",
        before=before,
        after=_bid_state(bid),
        actor=actor,
        system=system,
        project_id=lot.project_id,
    )


# -- opening, committee, evaluation, award, contract ---------------------------------------------


def _lot_record_id(lot: Lot) -> str:
    return lot.external_id


OPENING_FIELDS = ("opened_at", "location", "bids_received", "objections")


@transaction.atomic
def opening_record(
    *,
    source: str,
    lot: Lot,
    payload: schemas.OpeningIn | Mapping[str, Any],
    actor: Any,
    system: FeedSystem | None = None,
) -> Result:
    """The opening record of a lot (开标记录; 招标投标法 第三十四条, 第三十六条)."""
    data = _checked(schemas.OpeningIn, payload, source=source, actor=actor, system=system, obj=lot)
    lot = _lock_lot(lot, source)
    opening = BidOpening.objects.select_related("document").filter(lot=lot).first()
    values = _values(data, OPENING_FIELDS)
    if opening is not None:
        same = not _differences(opening, values) and _document_sha(opening.document) == (
            data.document.sha256 if data.document else None
        )
        done = _version_check(
            record_type="opening",
            external_id=_lot_record_id(lot),
            version=data.version,
            current=opening.version,
            same=same,
            obj=opening,
        )
        if done is not None:
            return done
    document = _document_from(data.document, source=source, actor=actor, system=system)
    values = {**values, "version": data.version}
    values["document"] = document
    fields = ["version", *OPENING_FIELDS, "document_id"]
    before = snapshot(opening, fields) if opening is not None else None
    if opening is None:
        opening = BidOpening.objects.create(lot=lot, **values)
    else:
        _apply(opening, values)
        opening.save()
    return _written(
        "opening",
        _lot_record_id(lot),
        data.version,
        obj=opening,
        action="ledger.opening.recorded",
        before=before,
        after=snapshot(opening, fields),
        actor=actor,
        system=system,
        project_id=lot.project_id,
    )


def _member_key(member: CommitteeMember) -> tuple[Any, ...]:
    pool_id = member.expert.pool_id if member.expert is not None else ""
    return (member.name, member.role, pool_id, member.drawn_randomly)


def _member_in_key(member: schemas.CommitteeMemberIn) -> tuple[Any, ...]:
    return (member.name, _plain(member.role), member.expert_pool_id, member.drawn_randomly)


@transaction.atomic
def committee_record(
    *,
    source: str,
    lot: Lot,
    payload: schemas.CommitteeIn | Mapping[str, Any],
    actor: Any,
    system: FeedSystem | None = None,
) -> Result:
    """A lot's evaluation committee (评标委员会; 招标投标法 第三十七条). A higher version replaces
    the whole committee; the audit entry keeps who was replaced."""
    data = _checked(
        schemas.CommitteeIn, payload, source=source, actor=actor, system=system, obj=lot
    )
    lot = _lock_lot(lot, source)
    members = list(lot.committee.select_related("expert").order_by("pk"))
    current = max((m.version for m in members), default=None)
    if current is not None:
        done = _version_check(
            record_type="committee",
            external_id=_lot_record_id(lot),
            version=data.version,
            current=current,
            same=sorted(map(_member_key, members)) == sorted(map(_member_in_key, data.members)),
        )
        if done is not None:
            return done
    before = [list(_member_key(m)) for m in members] if members else None
    lot.committee.all().delete()
    for member in data.members:
        expert = None
        if member.expert_pool_id:
            known = {
                "name": member.name,
                "specialty": member.specialty,
                "employer": member.employer,
            }
            expert, _created = _insert(Expert, {"pool_id": member.expert_pool_id}, known)
            _complete(expert, known)
        CommitteeMember.objects.create(
            lot=lot,
            expert=expert,
            name=member.name,
            role=_plain(member.role),
            drawn_randomly=member.drawn_randomly,
            version=data.version,
        )
    return _written(
        "committee",
        _lot_record_id(lot),
        data.version,
        obj=lot,
        action="ledger.committee.recorded",
        before=before,
        after={
            "version": data.version,
            "members": [list(_member_in_key(m)) for m in data.members],
        },
        actor=actor,
        system=system,
        project_id=lot.project_id,
    )


EVALUATION_FIELDS = (
    "technical_score",
    "commercial_score",
    "price_score",
    "total_score",
    "rank",
    "passed",
)


def _evaluation_state(rows: Iterable[Evaluation]) -> dict[str, Any]:
    return {row.bid.external_id: snapshot(row, EVALUATION_FIELDS) for row in rows}


@transaction.atomic
def evaluation_record(
    *,
    source: str,
    lot: Lot,
    payload: schemas.EvaluationIn | Mapping[str, Any],
    actor: Any,
    system: FeedSystem | None = None,
) -> Result:
    """A lot's evaluation result: scores and ranking of its bids (评标报告; 条例 第五十三条)."""
    data = _checked(
        schemas.EvaluationIn, payload, source=source, actor=actor, system=system, obj=lot
    )
    lot = _lock_lot(lot, source)
    bids = {bid.external_id: bid for bid in lot.bids.all()}
    unknown = [
        {"field": f"results[{i}].bid_external_id", "message": _("Unknown bid.")}
        for i, row in enumerate(data.results)
        if row.bid_external_id not in bids
    ]
    if unknown:
        raise FeedConflict(
            _("The result names bids the lot does not have (send the bids first)."),
            code="bid_unknown",
            details=unknown,
        )
    rows = list(Evaluation.objects.select_related("bid").filter(bid__lot=lot).order_by("pk"))
    current = max((r.version for r in rows), default=None)
    wanted = {r.bid_external_id: _values(r, EVALUATION_FIELDS) for r in data.results}
    if current is not None:
        have = {row.bid.external_id: row for row in rows}
        same = set(have) == set(wanted) and not any(
            _differences(have[k], v) for k, v in wanted.items()
        )
        done = _version_check(
            record_type="evaluation",
            external_id=_lot_record_id(lot),
            version=data.version,
            current=current,
            same=same,
        )
        if done is not None:
            return done
    before = _evaluation_state(rows) if rows else None
    Evaluation.objects.filter(bid__lot=lot).exclude(bid__external_id__in=wanted).delete()
    for external_id, values in wanted.items():
        Evaluation.objects.update_or_create(
            bid=bids[external_id], defaults={**values, "version": data.version}
        )
    after = _evaluation_state(Evaluation.objects.select_related("bid").filter(bid__lot=lot))
    return _written(
        "evaluation",
        _lot_record_id(lot),
        data.version,
        obj=lot,
        action="ledger.evaluation.recorded",
        before=before,
        after={"version": data.version, "results": after},
        actor=actor,
        system=system,
        project_id=lot.project_id,
    )


def _bid_of(lot: Lot, external_id: str, field_name: str) -> Bid:
    bid = lot.bids.select_related("bidder").filter(external_id=external_id).first()
    if bid is None:
        raise FeedConflict(
            _("Bid %(bid)s is not in lot %(lot)s (send the bid first).")
            % {"bid": external_id, "lot": lot.external_id},
            code="bid_unknown",
            details=[{"field": field_name, "message": _("Unknown bid.")}],
        )
    return bid


@transaction.atomic
def award_record(
    *,
    source: str,
    lot: Lot,
    payload: schemas.AwardIn | Mapping[str, Any],
    actor: Any,
    system: FeedSystem | None = None,
) -> Result:
    """The award of a lot (定标): the winning bid and the notice (招标投标法 第四十五条)."""
    data = _checked(schemas.AwardIn, payload, source=source, actor=actor, system=system, obj=lot)
    lot = _lock_lot(lot, source)
    bid = _bid_of(lot, data.bid_external_id, "bid_external_id")
    award = Award.objects.filter(lot=lot).first()
    values = {
        "bid": bid,
        "notice_at": data.notice_at,
        "amount": data.amount,
        "currency": data.currency,
    }
    fields = ["version", "bid_id", "notice_at", "amount", "currency"]
    if award is not None:
        done = _version_check(
            record_type="award",
            external_id=_lot_record_id(lot),
            version=data.version,
            current=award.version,
            same=not _differences(award, values),
            obj=award,
        )
        if done is not None:
            return done
    before = snapshot(award, fields) if award is not None else None
    if award is None:
        award = Award.objects.create(lot=lot, version=data.version, **values)
    else:
        _apply(award, {**values, "version": data.version})
        award.save()
    return _written(
        "award",
        _lot_record_id(lot),
        data.version,
        obj=award,
        action="ledger.award.recorded",
        before=before,
        after=snapshot(award, fields),
        actor=actor,
        system=system,
        project_id=lot.project_id,
    )


CONTRACT_FIELDS = (
    "signed_at",
    "amount",
    "currency",
    "duration_days",
    "performance_security",
    "terms",
)


@transaction.atomic
def contract_record(
    *,
    source: str,
    lot: Lot,
    payload: schemas.ContractIn | Mapping[str, Any],
    actor: Any,
    system: FeedSystem | None = None,
) -> Result:
    """A contract signed for a lot (招标投标法 第四十六条: within 30 days, on the tender's terms).
    The supplier is the one named, or else the awarded bidder."""
    data = _checked(schemas.ContractIn, payload, source=source, actor=actor, system=system, obj=lot)
    if not data.external_id:
        raise _required("external_id", _("A contract needs its external id."))
    lot = _lock_lot(lot, source)
    award = Award.objects.select_related("bid__bidder").filter(lot=lot).first()
    if data.supplier is None and award is None:
        raise _required("supplier", _("Name the supplier: the lot has no award to take it from."))
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("supplier")
        .filter(lot=lot, external_id=data.external_id)
        .first()
    )
    values = _values(data, CONTRACT_FIELDS)
    supplier_key = data.supplier.key() if data.supplier else _entity_key(award.bid.bidder)  # type: ignore[union-attr]
    if contract is not None:
        done = _version_check(
            record_type="contract",
            external_id=data.external_id,
            version=data.version,
            current=contract.version,
            same=not _differences(contract, values)
            and _entity_key(contract.supplier) == supplier_key,
            obj=contract,
        )
        if done is not None:
            return done
    supplier = (
        _upsert_entity(data.supplier, source=source, actor=actor, system=system)
        if data.supplier
        else award.bid.bidder  # type: ignore[union-attr]
    )
    fields = ["version", "supplier_id", "award_id", *CONTRACT_FIELDS]
    before = snapshot(contract, fields) if contract is not None else None
    values = {**values, "version": data.version, "supplier": supplier, "award": award}
    if contract is None:
        contract, inserted = _insert(
            Contract, {"lot": lot, "external_id": data.external_id}, values
        )
        if not inserted:
            return contract_record(source=source, lot=lot, payload=data, actor=actor, system=system)
    else:
        _apply(contract, values)
        contract.save()
    return _written(
        "contract",
        data.external_id,
        data.version,
        obj=contract,
        action="ledger.contract.recorded",
        before=before,
        after=snapshot(contract, fields),
        actor=actor,
        system=system,
        project_id=lot.project_id,
    )


# -- feed systems ----------------------------------------------------------------------------------


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return "tw_" + secrets.token_urlsafe(32)


def _authorize_feeds(actor: Any) -> None:
    # From the command line (actor None) the operator of the server is trusted.
    if actor is not None:
        ensure_allowed(actor, "ledger.manage_feeds")


FEED_SYSTEM_FIELDS = ["code", "name", "active", "outbound_adapter", "outbound_url", "token_hint"]


@transaction.atomic
def feed_system_add(
    *,
    code: str,
    name: str,
    actor: Any,
    outbound_adapter: str = "console",
    outbound_url: str = "",
) -> tuple[FeedSystem, str]:
    """Connect a trading platform: returns the system and its token, shown this once."""
    from tenderwatch.ledger.outbound import ADAPTERS

    _authorize_feeds(actor)
    if FeedSystem.objects.filter(code=code).exists():
        raise DomainError(_("A system with code %(code)s exists.") % {"code": code}, code="exists")
    if outbound_adapter not in ADAPTERS:
        raise DomainError(
            _("Unknown outbound adapter %(name)s; choose one of %(names)s.")
            % {"name": outbound_adapter, "names": ", ".join(ADAPTERS)},
            code="adapter_unknown",
        )
    if outbound_adapter == "http" and not outbound_url.startswith(("http://", "https://")):
        raise DomainError(_("The http adapter needs an http(s) outbound URL."), code="url")
    token = _new_token()
    system = FeedSystem(
        code=code,
        name=name,
        token_hash=token_digest(token),
        token_hint=token[:7],
        outbound_adapter=outbound_adapter,
        outbound_url=outbound_url,
    )
    system.full_clean()
    system.save()
    audit.record(
        actor=actor,
        action="ledger.feed_system.added",
        obj=system,
        after=snapshot(system, FEED_SYSTEM_FIELDS),
    )
    return system, token


@transaction.atomic
def feed_system_rotate_token(*, system: FeedSystem, actor: Any) -> str:
    """Issue a new token; the old one stops working at once."""
    _authorize_feeds(actor)
    system = FeedSystem.objects.select_for_update().get(pk=system.pk)
    before = snapshot(system, FEED_SYSTEM_FIELDS)
    token = _new_token()
    system.token_hash = token_digest(token)
    system.token_hint = token[:7]
    system.save(update_fields=["token_hash", "token_hint"])
    audit.record(
        actor=actor,
        action="ledger.feed_system.token_rotated",
        obj=system,
        before=before,
        after=snapshot(system, FEED_SYSTEM_FIELDS),
    )
    return token


def feed_system_for_token(token: str) -> FeedSystem | None:
    """The active system holding `token`, or None. Only the SHA-256 is stored and compared."""
    if not token or len(token) > 200:
        return None
    return FeedSystem.objects.filter(token_hash=token_digest(token), active=True).first()


def receipt_write(
    *,
    system: FeedSystem,
    record_type: str,
    external_id: str,
    version: int | None,
    payload_sha256: str,
    outcome: str,
    errors: list[dict[str, str]] | None = None,
    request_id: str = "",
) -> FeedReceipt:
    """Keep the trace of one received record (REQ-21), whatever became of it."""
    return FeedReceipt.objects.create(
        system=system,
        record_type=record_type[:30],
        external_id=external_id[:100],
        version=version if version is not None and 0 <= version <= 2_147_483_647 else None,
        payload_sha256=payload_sha256,
        outcome=outcome,
        errors=errors or [],
        request_id=request_id[:64],
    )


def payload_digest(payload: Any) -> str:
    """SHA-256 of a record as canonical JSON (what a receipt stores)."""
    import json

    if isinstance(payload, BaseModel):
        payload = payload.model_dump(mode="json", exclude_unset=True)
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()
