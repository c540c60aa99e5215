"""The trading platform's feed: version 1 of the ledger API (django-ninja). REQ-05, REQ-21.

Mounted at /api/v1/ (`api_urls`); the OpenAPI document is /api/v1/openapi.json and the docs
page /api/v1/docs, whose script and style are served by this app (no CDN on a government
intranet).

- Each platform authenticates with its own bearer token (`tenderwatch feed add-system`); only
  the token's SHA-256 is stored. No token, a wrong one or a disabled system: 401.
- Writes are idempotent by (external id, version); each record is atomic and answered with its
  outcome: created, updated, unchanged, stale or refused, with the reasons.
- A payload with bad fields is answered 422 with every bad field named ({field, message});
  nothing is written to the ledger (the refusal itself is kept as a receipt).
- Every record received leaves a `FeedReceipt`.
- Money is sent as decimal strings; times as ISO 8601 with their UTC offset; a time without an
  offset is refused (not guessed), since legal deadlines hang on it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import mimetypes
from collections.abc import Callable
from pathlib import Path as FilePath
from typing import Annotated, Any, TypeVar

import ninja
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from ninja import Body, NinjaAPI, Path
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import DocsBase
from ninja.responses import Status
from ninja.security import HttpBearer
from pydantic import BeforeValidator, Field

from tenderwatch.core import context
from tenderwatch.core.errors import DomainError, NotFound
from tenderwatch.ledger import schemas, services
from tenderwatch.ledger.models import (
    Award,
    FeedReceipt,
    FeedSystem,
    Lot,
    Project,
)

Outcome = FeedReceipt.Outcome
P = TypeVar("P", schemas.ProjectIn, schemas.ContractIn)

# -- authentication ---------------------------------------------------------------------------


class FeedToken(HttpBearer):
    """A trading platform's bearer token."""

    def authenticate(self, request: HttpRequest, token: str) -> FeedSystem | None:
        system = services.feed_system_for_token(token)
        if system is not None:
            now = timezone.now()
            if system.last_seen_at is None or (now - system.last_seen_at).total_seconds() > 60:
                FeedSystem.objects.filter(pk=system.pk).update(last_seen_at=now)
        return system


# -- docs page with local assets ----------------------------------------------------------------

NINJA_STATIC = FilePath(ninja.__file__).parent / "static" / "ninja"
DOCS_ASSETS = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js", "favicon.png"}


class LocalSwagger(DocsBase):
    """Swagger UI with its script and style served by us, never from a CDN."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        settings_json = json.dumps(
            {"url": self.get_openapi_url(api, kwargs), "layout": "BaseLayout", "deepLinking": True}
        ).replace("<", "\\u003c")

        def asset(name: str) -> str:
            return escape(reverse("api-docs-asset", kwargs={"name": name}))

        html = f"""<!DOCTYPE html>
<html lang="zh-hans"><head><meta charset="utf-8">
<title>{escape(api.title)}</title>
<link rel="stylesheet" href="{asset("swagger-ui.css")}">
<link rel="icon" href="{asset("favicon.png")}">
</head><body data-csrf-token="" data-api-csrf="">
<script type="application/json" id="swagger-settings">{settings_json}</script>
<div id="swagger-ui"></div>
<script src="{asset("swagger-ui-bundle.js")}"></script>
<script src="{asset("swagger-ui-init.js")}"></script>
</body></html>"""
        return HttpResponse(html)


def docs_asset(request: HttpRequest, name: str) -> FileResponse:
    """One of the docs page's files, from django-ninja's package (a fixed list)."""
    if name not in DOCS_ASSETS:
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse((NINJA_STATIC / name).open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response


# -- the API ------------------------------------------------------------------------------------

api = NinjaAPI(
    title="tenderwatch ledger feed",
    version="1",
    description=__doc__ or "",
    urls_namespace="api-v1",
    auth=FeedToken(),
    docs=LocalSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)

ERRORS: dict[int, Any] = {
    400: schemas.ErrorOut,
    401: schemas.ErrorOut,
    403: schemas.ErrorOut,
    404: schemas.ErrorOut,
    409: schemas.ErrorOut,
    422: schemas.ErrorOut,
}
ExternalIdPath = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]
Events = Annotated[
    list[schemas.EventIn],
    BeforeValidator(schemas.one_or_many),
    Field(min_length=1, max_length=1000),
]
Bids = Annotated[
    list[schemas.BidIn], BeforeValidator(schemas.one_or_many), Field(min_length=1, max_length=1000)
]


def _error_body(detail: str, code: str = "", errors: Any = None) -> dict[str, Any]:
    field_errors = errors if isinstance(errors, list) else []
    return {"detail": detail, "code": code, "errors": field_errors}


def _errors_of(exc: DomainError) -> list[dict[str, str]]:
    if isinstance(exc.details, list) and all(isinstance(d, dict) for d in exc.details):
        return [
            {"field": str(d.get("field", "")), "message": str(d.get("message", ""))}
            for d in exc.details
        ]
    return [{"field": "", "message": str(exc)}]


def _receipt_for_request(request: HttpRequest, errors: list[dict[str, str]]) -> None:
    """A write refused as a whole before any record was looked at still leaves its receipt."""
    system = getattr(request, "auth", None)
    match = request.resolver_match
    if not isinstance(system, FeedSystem) or request.method == "GET" or match is None:
        return
    kwargs = match.kwargs
    external_id = (
        kwargs.get("contract_external_id")
        or kwargs.get("lot_external_id")
        or kwargs.get("external_id")
        or ""
    )
    services.receipt_write(
        system=system,
        record_type=RECORD_TYPES.get(match.url_name or "", match.url_name or ""),
        external_id=str(external_id),
        version=_version_in(request.body),
        payload_sha256=hashlib.sha256(request.body).hexdigest(),
        outcome=Outcome.REFUSED,
        errors=errors,
        request_id=context.current().request_id,
    )


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    errors = _errors_of(exc)
    _receipt_for_request(request, errors)
    return api.create_response(
        request, _error_body(str(exc), exc.code, errors), status=exc.http_status
    )


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        _error_body(
            _("Missing or invalid token: send the header Authorization: Bearer <token>."),
            "unauthorized",
        ),
        status=401,
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


def _location(loc: list[Any]) -> list[Any]:
    """ninja's ("body", "payload", "lots", 0, …) → ("lots", 0, …); ("path", "external_id")
    stays as it is."""
    if loc and loc[0] == "body":
        return loc[2:]
    return loc


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        loc = _location(list(error.get("loc", ())))
        errors.append(schemas.field_errors([{**error, "loc": loc}])[0])
    detail = _("The payload has %(n)d invalid fields; nothing was saved.") % {"n": len(errors)}
    _receipt_for_request(request, errors)
    return api.create_response(request, _error_body(detail, "invalid_payload", errors), status=422)


def _version_in(body: bytes) -> int | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    version = data.get("version") if isinstance(data, dict) else None
    return version if isinstance(version, int) and not isinstance(version, bool) else None


RECORD_TYPES = {
    "project_put": "project",
    "events_post": "event",
    "bids_post": "bid",
    "opening_put": "opening",
    "committee_put": "committee",
    "evaluation_put": "evaluation",
    "award_put": "award",
    "contract_put": "contract",
}


def _system(request: HttpRequest) -> FeedSystem:
    system = request.auth  # type: ignore[attr-defined]
    assert isinstance(system, FeedSystem)
    return system


def _result_out(result: services.Result) -> dict[str, Any]:
    return {
        "record_type": result.record_type,
        "external_id": result.external_id,
        "version": result.version,
        "outcome": result.outcome,
        "current_version": result.current_version,
        "errors": result.errors,
    }


def _receive(
    request: HttpRequest,
    *,
    record_type: str,
    external_id: str,
    payload: Any,
    write: Callable[[], services.Result],
) -> tuple[services.Result, DomainError | None]:
    """Store one record atomically with its receipt; a refusal leaves only the receipt."""
    system = _system(request)
    version = getattr(payload, "version", None)
    digest = services.payload_digest(payload)
    request_id = context.current().request_id
    try:
        with transaction.atomic():
            result = write()
            services.receipt_write(
                system=system,
                record_type=record_type,
                external_id=external_id,
                version=version,
                payload_sha256=digest,
                outcome=result.outcome,
                request_id=request_id,
            )
        return result, None
    except DomainError as exc:
        # The record's result carries the reason first, then the fields it names.
        errors = _errors_of(exc)
        if errors[0]["message"] != str(exc):
            errors = [{"field": "", "message": str(exc)}, *errors]
        services.receipt_write(
            system=system,
            record_type=record_type,
            external_id=external_id,
            version=version,
            payload_sha256=digest,
            outcome=Outcome.REFUSED,
            errors=errors,
            request_id=request_id,
        )
        refused = services.Result(record_type, external_id, version, Outcome.REFUSED, errors=errors)
        return refused, exc


def _single(
    request: HttpRequest,
    *,
    record_type: str,
    external_id: str,
    payload: Any,
    write: Callable[[], services.Result],
) -> Status[dict[str, Any]]:
    result, exc = _receive(
        request, record_type=record_type, external_id=external_id, payload=payload, write=write
    )
    if exc is not None:
        return Status(exc.http_status, _error_body(str(exc), exc.code, _errors_of(exc)))
    return Status(200, _result_out(result))


def _project(request: HttpRequest, external_id: str) -> Project | None:
    return Project.objects.filter(source=_system(request).code, external_id=external_id).first()


def _project_unknown(external_id: str) -> DomainError:
    exc = services.FeedConflict(
        _("Project %(id)s has not been received yet: send it first (PUT /api/v1/projects/%(id)s).")
        % {"id": external_id},
        code="project_unknown",
    )
    return exc


def _refuse_all(
    request: HttpRequest,
    record_type: str,
    payloads: list[Any],
    exc: DomainError,
    external_ids: list[str] | None = None,
) -> Status[dict[str, Any]]:
    """The whole request is refused (unknown project or lot): one receipt per record."""
    ids = external_ids or [str(getattr(p, "external_id", "")) for p in payloads]
    for payload, external_id in zip(payloads, ids, strict=True):
        services.receipt_write(
            system=_system(request),
            record_type=record_type,
            external_id=external_id,
            version=getattr(payload, "version", None),
            payload_sha256=services.payload_digest(payload),
            outcome=Outcome.REFUSED,
            errors=[{"field": "", "message": str(exc)}],
            request_id=context.current().request_id,
        )
    return Status(exc.http_status, _error_body(str(exc), exc.code, _errors_of(exc)))


def _lot(request: HttpRequest, external_id: str, lot_external_id: str) -> Lot:
    project = _project(request, external_id)
    if project is None:
        raise _project_unknown(external_id)
    lot = project.lots.filter(external_id=lot_external_id).first()
    if lot is None:
        raise services.FeedConflict(
            _(
                "Lot %(lot)s is not part of project %(project)s (yet): send the project with "
                "this lot first."
            )
            % {"lot": lot_external_id, "project": external_id},
            code="lot_unknown",
        )
    return lot


def _with_path_id(payload: P, external_id: str) -> P:
    """The record with the external id of the path, which its body may repeat but not
    contradict."""
    if payload.external_id and payload.external_id != external_id:
        raise services.PayloadInvalid(
            _("The external id in the body differs from the one in the path."),
            code="invalid_payload",
            details=[{"field": "external_id", "message": _("Does not match the path.")}],
        )
    return payload.model_copy(update={"external_id": external_id})


def _each(
    request: HttpRequest,
    *,
    record_type: str,
    payloads: list[Any],
    write: Callable[[Any], services.Result],
) -> Status[dict[str, Any]]:
    """Store each record of a list on its own (`_receive`); the answer lists every outcome."""
    results = []
    for record in payloads:
        result, _exc = _receive(
            request,
            record_type=record_type,
            external_id=record.external_id,
            payload=record,
            write=functools.partial(write, record),
        )
        results.append(_result_out(result))
    return Status(200, {"results": results})


# -- endpoints ----------------------------------------------------------------------------------


@api.put(
    "/projects/{external_id}",
    response={200: schemas.RecordResult, **ERRORS},
    url_name="project_put",
    summary="Create or update a project with its lots",
    tags=["projects"],
)
def project_put(
    request: HttpRequest, external_id: ExternalIdPath, payload: schemas.ProjectIn
) -> Status[dict[str, Any]]:
    """Idempotent by version: the same version again is `unchanged`, an older one `stale`."""
    data = _with_path_id(payload, external_id)
    system = _system(request)
    return _single(
        request,
        record_type="project",
        external_id=external_id,
        payload=payload,
        write=lambda: services.project_upsert(
            source=system.code, payload=data, actor=None, system=system
        ),
    )


@api.get(
    "/projects/{external_id}",
    response={200: schemas.ProjectOut, **ERRORS},
    url_name="project_get",
    summary="What the ledger holds for a project (to reconcile)",
    tags=["projects"],
)
def project_get(request: HttpRequest, external_id: ExternalIdPath) -> dict[str, Any]:
    project = _project(request, external_id)
    if project is None:
        raise NotFound(_("No such project."))
    return project_out(project)


@api.post(
    "/projects/{external_id}/events",
    response={200: schemas.BatchResult, **ERRORS},
    url_name="events_post",
    summary="Add procedure events (one or a list), in any order",
    tags=["events"],
)
def events_post(
    request: HttpRequest, external_id: ExternalIdPath, payload: Body[Events]
) -> Status[dict[str, Any]]:
    """Each event is stored or refused on its own; the timeline orders them by `occurred_at`.
    The newest version of each event's external id is the one that counts."""
    project = _project(request, external_id)
    if project is None:
        return _refuse_all(request, "event", payload, _project_unknown(external_id))
    system = _system(request)
    return _each(
        request,
        record_type="event",
        payloads=payload,
        write=lambda event: services.event_record(
            source=system.code, project=project, payload=event, actor=None, system=system
        ),
    )


@api.post(
    "/projects/{external_id}/lots/{lot_external_id}/bids",
    response={200: schemas.BatchResult, **ERRORS},
    url_name="bids_post",
    summary="Add or update bids of a lot (one or a list)",
    tags=["bids"],
)
def bids_post(
    request: HttpRequest,
    external_id: ExternalIdPath,
    lot_external_id: ExternalIdPath,
    payload: Body[Bids],
) -> Status[dict[str, Any]]:
    try:
        lot = _lot(request, external_id, lot_external_id)
    except DomainError as exc:
        return _refuse_all(request, "bid", payload, exc)
    system = _system(request)
    return _each(
        request,
        record_type="bid",
        payloads=payload,
        write=lambda bid: services.bid_upsert(
            source=system.code, lot=lot, payload=bid, actor=None, system=system
        ),
    )


def _lot_record(
    request: HttpRequest,
    *,
    record_type: str,
    external_id: str,
    lot_external_id: str,
    payload: Any,
    service: Callable[..., services.Result],
) -> Status[dict[str, Any]]:
    try:
        lot = _lot(request, external_id, lot_external_id)
    except DomainError as exc:
        return _refuse_all(request, record_type, [payload], exc, [lot_external_id])
    system = _system(request)
    return _single(
        request,
        record_type=record_type,
        external_id=lot_external_id,
        payload=payload,
        write=lambda: service(
            source=system.code, lot=lot, payload=payload, actor=None, system=system
        ),
    )


@api.put(
    "/projects/{external_id}/lots/{lot_external_id}/opening",
    response={200: schemas.RecordResult, **ERRORS},
    url_name="opening_put",
    summary="The opening record of a lot",
    tags=["lots"],
)
def opening_put(
    request: HttpRequest,
    external_id: ExternalIdPath,
    lot_external_id: ExternalIdPath,
    payload: schemas.OpeningIn,
) -> Status[dict[str, Any]]:
    return _lot_record(
        request,
        record_type="opening",
        external_id=external_id,
        lot_external_id=lot_external_id,
        payload=payload,
        service=services.opening_record,
    )


@api.put(
    "/projects/{external_id}/lots/{lot_external_id}/committee",
    response={200: schemas.RecordResult, **ERRORS},
    url_name="committee_put",
    summary="The evaluation committee of a lot (a higher version replaces it)",
    tags=["lots"],
)
def committee_put(
    request: HttpRequest,
    external_id: ExternalIdPath,
    lot_external_id: ExternalIdPath,
    payload: schemas.CommitteeIn,
) -> Status[dict[str, Any]]:
    return _lot_record(
        request,
        record_type="committee",
        external_id=external_id,
        lot_external_id=lot_external_id,
        payload=payload,
        service=services.committee_record,
    )


@api.put(
    "/projects/{external_id}/lots/{lot_external_id}/evaluation",
    response={200: schemas.RecordResult, **ERRORS},
    url_name="evaluation_put",
    summary="The evaluation result of a lot: scores and ranking",
    tags=["lots"],
)
def evaluation_put(
    request: HttpRequest,
    external_id: ExternalIdPath,
    lot_external_id: ExternalIdPath,
    payload: schemas.EvaluationIn,
) -> Status[dict[str, Any]]:
    return _lot_record(
        request,
        record_type="evaluation",
        external_id=external_id,
        lot_external_id=lot_external_id,
        payload=payload,
        service=services.evaluation_record,
    )


@api.put(
    "/projects/{external_id}/lots/{lot_external_id}/award",
    response={200: schemas.RecordResult, **ERRORS},
    url_name="award_put",
    summary="The award of a lot: the winning bid",
    tags=["lots"],
)
def award_put(
    request: HttpRequest,
    external_id: ExternalIdPath,
    lot_external_id: ExternalIdPath,
    payload: schemas.AwardIn,
) -> Status[dict[str, Any]]:
    return _lot_record(
        request,
        record_type="award",
        external_id=external_id,
        lot_external_id=lot_external_id,
        payload=payload,
        service=services.award_record,
    )


@api.put(
    "/projects/{external_id}/lots/{lot_external_id}/contracts/{contract_external_id}",
    response={200: schemas.RecordResult, **ERRORS},
    url_name="contract_put",
    summary="A contract signed for a lot",
    tags=["lots"],
)
def contract_put(
    request: HttpRequest,
    external_id: ExternalIdPath,
    lot_external_id: ExternalIdPath,
    contract_external_id: ExternalIdPath,
    payload: schemas.ContractIn,
) -> Status[dict[str, Any]]:
    data = _with_path_id(payload, contract_external_id)
    try:
        lot = _lot(request, external_id, lot_external_id)
    except DomainError as exc:
        return _refuse_all(request, "contract", [data], exc)
    system = _system(request)
    return _single(
        request,
        record_type="contract",
        external_id=contract_external_id,
        payload=payload,
        write=lambda: services.contract_record(
            source=system.code, lot=lot, payload=data, actor=None, system=system
        ),
    )


# -- what the ledger holds ----------------------------------------------------------------------


def _entity_out(entity: Any) -> dict[str, Any]:
    return {"scheme": entity.scheme, "identifier": entity.identifier, "name": entity.name}


def project_out(project: Project) -> dict[str, Any]:
    lots = list(
        project.lots.order_by("pk").prefetch_related(
            "bids__bidder", "contracts__supplier", "committee", "bids__evaluation"
        )
    )
    awards = {a.lot_id: a for a in Award.objects.select_related("bid").filter(lot__project=project)}
    openings = {lot.pk: getattr(lot, "opening", None) for lot in lots}
    lots_out = []
    for lot in lots:
        bids = sorted(lot.bids.all(), key=lambda b: b.pk)
        evaluations = [b.evaluation for b in bids if hasattr(b, "evaluation")]
        award = awards.get(lot.pk)
        opening = openings[lot.pk]
        lots_out.append(
            {
                "external_id": lot.external_id,
                "number": lot.number,
                "name": lot.name,
                "status": lot.status,
                "estimated_amount": lot.estimated_amount,
                "bids": [
                    {
                        "external_id": b.external_id,
                        "version": b.version,
                        "bidder": _entity_out(b.bidder),
                        "price": b.price,
                        "currency": b.currency,
                        "status": b.status,
                    }
                    for b in bids
                ],
                "opening_version": opening.version if opening else None,
                "committee_version": max((m.version for m in lot.committee.all()), default=None),
                "evaluation_version": max((e.version for e in evaluations), default=None),
                "award": (
                    {
                        "version": award.version,
                        "bid_external_id": award.bid.external_id,
                        "notice_at": award.notice_at,
                        "amount": award.amount,
                    }
                    if award
                    else None
                ),
                "contracts": [
                    {
                        "external_id": c.external_id,
                        "version": c.version,
                        "supplier": _entity_out(c.supplier),
                        "signed_at": c.signed_at,
                        "amount": c.amount,
                    }
                    for c in sorted(lot.contracts.all(), key=lambda c: c.pk)
                ],
            }
        )
    lot_ids = {lot.pk: lot.external_id for lot in lots}
    events = services.current_events(project.events.select_related("document"))
    return {
        "external_id": project.external_id,
        "version": project.version,
        "code": project.code,
        "name": project.name,
        "status": project.status,
        "must_tender": project.must_tender,
        "must_tender_reason": project.must_tender_reason,
        "lots": lots_out,
        "events": [
            {
                "external_id": e.external_id,
                "version": e.version,
                "kind": e.kind,
                "occurred_at": e.occurred_at,
                "lot_external_id": lot_ids.get(e.lot_id) if e.lot_id else None,
                "document_sha256": e.document.sha256 if e.document else None,
            }
            for e in events
        ],
        "instructions": [
            {
                "id": i.pk,
                "kind": i.kind,
                "status": i.status,
                "issued_at": i.issued_at,
                "delivered_at": i.delivered_at,
            }
            for i in project.instructions.order_by("pk")
        ],
    }
