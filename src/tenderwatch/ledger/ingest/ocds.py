"""OCDS 1.1 in and out: files of releases, records and compiled releases ↔ `ProcessBundle`.

Reading (`read_source`, `import_files`):
- release packages, record packages, and JSON Lines whose lines are releases, compiled releases,
  records or packages; the form is detected from the content, not from the file name;
- package files are streamed with ijson and JSON Lines are read line by line, so memory stays
  flat whatever the file's size; releases that still need compiling are set aside in a temporary
  SQLite file and compiled per ocid with the OCDS merge rules (`ocdsmerge`, driven by the
  release schema shipped in `schema/`: nothing is fetched at run time);
- each compiled release becomes one `ProcessBundle` (the mapping: docs/data-model.md, "OCDS
  import and export") and goes to `writer.bundles_write`: stored, or refused with its reason.
  A line that is not JSON (a truncated file) is named with its number and the error, and every
  whole record around it is stored.

The version of an imported process is the minute of its compiled release's `date` (whole minutes
since 1970-01-01 UTC): a later publication replaces an earlier one, an earlier one is stale, the
same one with the same content is unchanged, and the same one with other content is refused.
Every part of the process (bids, award, contracts, events) carries that version too.

Writing (`bundle_to_release`, `project_to_bundle`, `export_projects`): a bundle as a compiled
release. An export is validated against the OCDS 1.1.4 release schema (JSON Schema Draft 4,
`jsonschema`) and refuses to write invalid output. Facts OCDS has no field for are written as
local extension fields named `x_…`; the bid fingerprints, the committee and the scores are
supervisory evidence and leave only with `private=True` (the generator's benchmark files).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import os
import sqlite3
import tempfile
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import orjson
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tenderwatch.core.timeutil import CHINA
from tenderwatch.ledger import services
from tenderwatch.ledger.ingest.bundle import ProcessBundle
from tenderwatch.ledger.ingest.writer import texts_clean
from tenderwatch.ledger.models import BidStatus, EventKind, ProcurementMethod, ProjectStatus

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "release-schema-1.1.4.json"
DEFAULT_SOURCE = "ocds"
FOREIGN_INDUSTRY = "other"
NO_CURRENCY = "XXX"  # ISO 4217: "no currency" — an amount published without its currency
CENT = Decimal("0.01")
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


# -- the release schema, the merger, the validator ----------------------------------------------


@lru_cache(maxsize=1)
def release_schema() -> dict[str, Any]:
    """The OCDS 1.1.4 release schema shipped with the project (see schema/SOURCE.md)."""
    with SCHEMA_PATH.open(encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
        return schema


@lru_cache(maxsize=1)
def merger() -> Any:
    """An `ocdsmerge.Merger` with the merge rules of the shipped schema.

    Given the schema as a dict, ocdsmerge resolves its local `$ref`s in memory; it never asks
    for the latest schema over the network (it would if given no schema)."""
    import ocdsmerge

    return ocdsmerge.Merger(schema=copy.deepcopy(release_schema()))


@lru_cache(maxsize=1)
def validator() -> Any:
    import jsonschema

    schema = release_schema()
    return jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )


def validation_errors(release: Mapping[str, Any], *, limit: int = 5) -> list[str]:
    """What makes a release invalid against the OCDS 1.1.4 release schema ([] when valid)."""
    out = []
    for error in validator().iter_errors(release):
        path = "/".join(str(p) for p in error.absolute_path) or "(release)"
        out.append(f"{path}: {error.message[:200]}")
        if len(out) >= limit:
            break
    return out


# -- common helpers ------------------------------------------------------------------------------

CHINESE_METHOD = {
    ProcurementMethod.OPEN: "公开招标",
    ProcurementMethod.INVITED: "邀请招标",
    ProcurementMethod.COMPETITIVE_NEGOTIATION: "竞争性谈判",
    ProcurementMethod.COMPETITIVE_CONSULTATION: "竞争性磋商",
    ProcurementMethod.INQUIRY: "询价",
    ProcurementMethod.SINGLE_SOURCE: "单一来源",
    ProcurementMethod.DIRECT: "直接发包",
    ProcurementMethod.OTHER: "其他",
}
OCDS_METHOD = {
    ProcurementMethod.OPEN: "open",
    ProcurementMethod.INVITED: "limited",
    ProcurementMethod.COMPETITIVE_NEGOTIATION: "limited",
    ProcurementMethod.COMPETITIVE_CONSULTATION: "limited",
    ProcurementMethod.INQUIRY: "limited",
    ProcurementMethod.SINGLE_SOURCE: "direct",
    ProcurementMethod.DIRECT: "direct",
}
TENDER_STATUS: dict[str, str] = {
    ProjectStatus.REGISTERED: "planning",
    ProjectStatus.ANNOUNCED: "active",
    ProjectStatus.BIDDING: "active",
    ProjectStatus.EVALUATING: "active",
    ProjectStatus.PUBLICITY: "active",
    ProjectStatus.SUSPENDED: "active",
    ProjectStatus.AWARDED: "complete",
    ProjectStatus.CONTRACTED: "complete",
    ProjectStatus.TERMINATED: "cancelled",
}
BID_STATUS_OUT = {
    BidStatus.SUBMITTED: "pending",
    BidStatus.WITHDRAWN: "withdrawn",
    BidStatus.REJECTED: "disqualified",
    BidStatus.VALID: "valid",
    BidStatus.DISQUALIFIED: "disqualified",
}
BID_STATUS_IN = {
    "pending": BidStatus.SUBMITTED,
    "invited": BidStatus.SUBMITTED,
    "active": BidStatus.SUBMITTED,  # ProZorro
    "valid": BidStatus.VALID,
    "qualified": BidStatus.VALID,  # Armeps
    "disqualified": BidStatus.DISQUALIFIED,
    "not-qualified": BidStatus.DISQUALIFIED,  # Armeps
    "unsuccessful": BidStatus.DISQUALIFIED,
    "withdrawn": BidStatus.WITHDRAWN,
}
EVENT_KINDS = set(EventKind.values)


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


def _m(value: Any) -> Mapping[str, Any]:
    """`value` if it is an object, else an empty one (publishers get shapes wrong)."""
    return value if isinstance(value, Mapping) else {}


def _number(amount: Decimal | None) -> int | float | None:
    """A money amount as a JSON number (OCDS `Value.amount` is a number): exact to the cent
    for any amount below 10¹³."""
    if amount is None:
        return None
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _value(amount: Decimal | None, currency: str | None) -> dict[str, Any] | None:
    if amount is None:
        return None
    return {"amount": _number(amount), "currency": currency or "CNY"}


def _iso(moment: dt.datetime | dt.date | None) -> str | None:
    if moment is None:
        return None
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time(), tzinfo=CHINA)
    return moment.isoformat()


def _clean(value: Any) -> Any:
    """Drop None, empty strings, lists and objects: OCDS publishes what is known."""
    if isinstance(value, dict):
        out = {k: _clean(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        items = [_clean(v) for v in value]
        return [v for v in items if v not in (None, "", [], {})]
    return value


def compact_id(value: str, limit: int = 100) -> str:
    """An external id of at most `limit` characters: long ones keep a prefix and a hash."""
    if len(value) <= limit:
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()[:16]
    return f"{value[: limit - 17]}~{digest}"


def ocid_prefix() -> str:
    return getattr(settings, "TW_OCID_PREFIX", "ocds-tw0000")


# -- bundle → compiled release -----------------------------------------------------------------


class _Event(types.SimpleNamespace):
    """What `services.current_events` and `derive_status` read of an event."""


def _timeline(bundle: ProcessBundle) -> list[Any]:
    events = [
        _Event(
            source=bundle.source,
            external_id=e.external_id,
            version=e.version,
            occurred_at=e.occurred_at,
            kind=_plain(e.kind),
            lot=e.lot_external_id,
            data=e,
            pk=i,
        )
        for i, e in enumerate(bundle.events)
    ]
    return services.current_events(events)  # type: ignore[arg-type]


class _Parties:
    def __init__(self, private: bool) -> None:
        self.parties: dict[str, dict[str, Any]] = {}
        self.private = private

    def ref(self, entity: Any, role: str) -> dict[str, str]:
        party_id = f"{entity.scheme}-{entity.identifier}"
        party = self.parties.get(party_id)
        if party is None:
            details: dict[str, Any] = {"x_kind": _plain(entity.kind)}
            if entity.registered_capital is not None:
                details["x_registeredCapital"] = _number(entity.registered_capital)
            if entity.established_on is not None:
                details["x_establishedOn"] = entity.established_on.isoformat()
            if entity.legal_representative:
                details["x_legalRepresentative"] = entity.legal_representative
            party = {
                "id": party_id,
                "name": entity.name,
                "identifier": {
                    "scheme": entity.scheme,
                    "id": entity.identifier,
                    "legalName": entity.name,
                },
                "address": {
                    "streetAddress": entity.address,
                    "region": entity.region_code,
                },
                "contactPoint": {
                    "telephone": entity.contact_phone,
                    "email": entity.contact_email,
                },
                "roles": [],
                "details": details,
            }
            self.parties[party_id] = party
        if role not in party["roles"]:
            party["roles"].append(role)
        return {"id": party_id, "name": party["name"]}


def _release_date(bundle: ProcessBundle) -> dt.datetime:
    moments: list[dt.datetime] = [e.occurred_at for e in bundle.events]
    moments += [b.submitted_at for b in bundle.bids if b.submitted_at]
    for outcome in bundle.outcomes:
        if outcome.award and outcome.award.notice_at:
            moments.append(outcome.award.notice_at)
        moments += [c.signed_at for c in outcome.contracts if c.signed_at]
    if bundle.project.registered_at:
        moments.append(bundle.project.registered_at)
    return max(moments) if moments else timezone.now()


def bundle_to_release(bundle: ProcessBundle, *, private: bool = False) -> dict[str, Any]:
    """A bundle as an OCDS 1.1 compiled release (a dict of JSON types, ready for json.dumps).

    Amounts are JSON numbers in their own currency. Procedure events become `tender.milestones`
    (code = our event kind, so a re-import restores them) and fill the periods OCDS has
    (tenderPeriod, awardPeriod) and `tender.amendments`. With `private=True` the bid
    fingerprints, project managers, committee and scores are written too (`x_…` fields): for
    internal exchange and benchmarks, never for publication.
    """
    project = bundle.project
    parties = _Parties(private)
    timeline = _timeline(bundle)
    status = services.derive_status(timeline)
    ocid = project.ocid or f"{ocid_prefix()}-{bundle.source}-{bundle.external_id}"
    buyer = parties.ref(project.tenderer, "buyer") if project.tenderer else None
    procuring = None
    if project.agency is not None:
        procuring = parties.ref(project.agency, "procuringEntity")
    elif buyer is not None and project.tenderer is not None:
        procuring = parties.ref(project.tenderer, "procuringEntity")

    first: dict[str, dt.datetime] = {}
    for event in timeline:
        first.setdefault(event.kind, event.occurred_at)
    milestones = []
    amendments = []
    for event in timeline:
        data = event.data
        milestone = {
            "id": data.external_id,
            "title": str(EventKind(event.kind).label),
            "code": event.kind,
            "status": "met",
            "dateMet": _iso(data.occurred_at),
            "description": data.note,
            "relatedLots": [data.lot_external_id] if data.lot_external_id else None,
            "x_version": data.version,
            "x_data": data.data or None,
        }
        if data.document is not None:
            doc = data.document
            milestone["documents"] = [
                {
                    "id": (doc.sha256 or "")[:16] or data.external_id,
                    "title": doc.title,
                    "documentType": doc.kind,
                    "url": doc.url,
                    "format": doc.media_type,
                    "x_sha256": doc.sha256,
                }
            ]
        milestones.append(milestone)
        if event.kind == EventKind.AMENDMENT:
            amendments.append(
                {"id": data.external_id, "date": _iso(data.occurred_at), "rationale": data.note}
            )

    lots_status: dict[str, str] = {}
    for lot in project.lots:
        lot_events = [e for e in timeline if e.lot in (None, lot.external_id)]
        lots_status[lot.external_id] = TENDER_STATUS[services.derive_status(lot_events)]
    outcomes = {o.lot_external_id: o for o in bundle.outcomes}
    lots = []
    for lot in project.lots:
        outcome = outcomes.get(lot.external_id)
        entry: dict[str, Any] = {
            "id": lot.external_id,
            "title": lot.name,
            "status": lots_status[lot.external_id],
            "value": _value(lot.estimated_amount, lot.currency),
            "x_number": lot.number,
            "x_ceilingPrice": _value(lot.ceiling_price, lot.currency),
            "x_bidSecurity": _value(lot.bid_security, lot.currency),
            "x_qualificationRequirements": lot.qualification_requirements or None,
        }
        if outcome is not None and outcome.opening is not None:
            opening = outcome.opening
            entry["x_bidOpening"] = {
                "date": _iso(opening.opened_at),
                "location": opening.location,
                "bidsReceived": opening.bids_received,
                "objections": opening.objections,
                "x_version": opening.version,
            }
        if private and outcome is not None and outcome.committee is not None:
            entry["x_committee"] = {
                "version": outcome.committee.version,
                "members": [
                    {
                        "name": m.name,
                        "role": _plain(m.role),
                        "expertPoolId": m.expert_pool_id,
                        "specialty": m.specialty,
                        "employer": m.employer,
                        "drawnRandomly": m.drawn_randomly,
                    }
                    for m in outcome.committee.members
                ],
            }
        if private and outcome is not None and outcome.evaluation is not None:
            entry["x_evaluationVersion"] = outcome.evaluation.version
        lots.append(entry)

    # Bids: ids unique in the release (OCDS merges bids.details by id).
    counts: dict[str, int] = {}
    for bid in bundle.bids:
        counts[bid.external_id] = counts.get(bid.external_id, 0) + 1
    bid_ids: dict[tuple[str, str], str] = {}
    scores: dict[tuple[str, str], Any] = {}
    for outcome in bundle.outcomes:
        if outcome.evaluation is not None:
            for row in outcome.evaluation.results:
                scores[(outcome.lot_external_id, row.bid_external_id)] = row
    details = []
    bidders: dict[tuple[str, str], dict[str, str]] = {}
    for bid in bundle.bids:
        key = (bid.lot_external_id, bid.external_id)
        bid_id = (
            bid.external_id
            if counts[bid.external_id] == 1
            else f"{bid.lot_external_id}/{bid.external_id}"
        )
        bid_ids[key] = bid_id
        bidder = parties.ref(bid.bidder, "tenderer")
        bidders[key] = bidder
        entry = {
            "id": bid_id,
            "date": _iso(bid.submitted_at),
            "status": BID_STATUS_OUT[_plain(bid.status)],
            "tenderers": [bidder, *(parties.ref(m, "tenderer") for m in bid.consortium_members)],
            "value": _value(bid.price, bid.currency),
            "relatedLots": [bid.lot_external_id],
            "x_externalId": bid.external_id if bid_id != bid.external_id else None,
            "x_version": bid.version,
            "x_status": _plain(bid.status),
            "x_rejectionReason": bid.rejection_reason,
        }
        if private:
            pm = bid.project_manager
            entry["x_fingerprints"] = {
                "clientIp": bid.client_ip,
                "macAddress": bid.mac_address,
                "hardwareId": bid.hardware_id,
                "caKeyId": bid.ca_key_id,
                "fileHash": bid.file_hash,
                "fileAuthor": bid.file_author,
                "fileSoftware": bid.file_software,
                "fileMachine": bid.file_machine,
                "securityAccount": bid.security_account,
                "securityBank": bid.security_bank,
            }
            entry["x_contact"] = {"name": bid.contact_name, "telephone": bid.contact_phone}
            if pm is not None:
                entry["x_projectManager"] = {
                    "name": pm.name,
                    "role": pm.role,
                    "registrationType": pm.registration_type,
                    "certificateNo": pm.certificate_no,
                    "validTo": pm.valid_to.isoformat() if pm.valid_to else None,
                }
            score = scores.get(key)
            if score is not None:
                entry["x_evaluation"] = {
                    "technicalScore": _number(score.technical_score),
                    "commercialScore": _number(score.commercial_score),
                    "priceScore": _number(score.price_score),
                    "totalScore": _number(score.total_score),
                    "rank": score.rank,
                    "passed": score.passed,
                }
        details.append(entry)

    awards: list[dict[str, Any]] = []
    contracts: list[dict[str, Any]] = []
    for outcome in bundle.outcomes:
        lot_ext = outcome.lot_external_id
        award_id = f"{lot_ext}-award"
        award = outcome.award
        has_award = False
        if award is not None:
            key = (lot_ext, award.bid_external_id)
            awards.append(
                {
                    "id": award_id,
                    "status": "active" if award.notice_at else "pending",
                    "date": _iso(award.notice_at),
                    "value": _value(award.amount, award.currency),
                    "suppliers": [parties.ref(_bid_bidder(bundle, key), "supplier")]
                    if key in bidders
                    else None,
                    "relatedLots": [lot_ext],
                    "relatedBids": [bid_ids.get(key, award.bid_external_id)],
                    "x_version": award.version,
                }
            )
            has_award = True
        ids_seen: set[str] = set()
        for contract in outcome.contracts:
            supplier = parties.ref(contract.supplier, "supplier") if contract.supplier else None
            if not has_award:  # OCDS hangs a contract on an award: one without a bid
                awards.append(
                    {
                        "id": award_id,
                        "status": "active",
                        "suppliers": [supplier] if supplier else None,
                        "relatedLots": [lot_ext],
                    }
                )
                has_award = True
            contract_id = contract.external_id or ""
            if contract_id in ids_seen or any(c["id"] == contract_id for c in contracts):
                contract_id = f"{lot_ext}/{contract_id}"
            ids_seen.add(contract_id)
            contracts.append(
                {
                    "id": contract_id,
                    "awardID": award_id,
                    "status": "active" if contract.signed_at else "pending",
                    "dateSigned": _iso(contract.signed_at),
                    "value": _value(contract.amount, contract.currency),
                    "period": {"durationInDays": contract.duration_days},
                    "x_externalId": contract.external_id
                    if contract_id != contract.external_id
                    else None,
                    "x_suppliers": [supplier] if supplier else None,
                    "x_version": contract.version,
                    "x_performanceSecurity": _value(
                        contract.performance_security, contract.currency
                    ),
                    "x_terms": contract.terms or None,
                }
            )

    approval = {
        "number": project.approval_no,
        "scope": project.approved_scope,
        "method": _plain(project.approved_method) if project.approved_method else None,
        "organisationForm": _plain(project.approved_form) if project.approved_form else None,
        "date": project.approved_on.isoformat() if project.approved_on else None,
    }
    method = _plain(project.procurement_method)
    release = {
        "ocid": ocid,
        "id": f"{bundle.external_id}-v{project.version}",
        "date": _iso(_release_date(bundle)),
        "tag": ["compiled"],
        "initiationType": "tender",
        "language": "zh",
        "parties": list(parties.parties.values()),
        "buyer": buyer,
        "planning": {
            "budget": {
                "amount": _value(project.budget_funds, project.currency),
                "description": project.funding_source,
            }
        },
        "tender": {
            "id": project.code,
            "title": project.name,
            "status": TENDER_STATUS[status],
            "procuringEntity": procuring,
            "value": _value(project.estimated_amount, project.currency),
            "procurementMethod": OCDS_METHOD.get(method),
            "procurementMethodDetails": CHINESE_METHOD.get(method),
            "mainProcurementCategory": _plain(project.category),
            "tenderPeriod": {
                "startDate": _iso(
                    first.get(EventKind.ANNOUNCEMENT)
                    or first.get(EventKind.TENDER_DOCUMENTS_ISSUED)
                ),
                "endDate": _iso(first.get(EventKind.BID_DEADLINE)),
            },
            "awardPeriod": {
                "startDate": _iso(first.get(EventKind.EVALUATION_START)),
                "endDate": _iso(first.get(EventKind.AWARD_NOTICE)),
            },
            "amendments": amendments,
            "milestones": milestones,
            "lots": lots,
            "x_method": method,
            "x_industry": project.industry,
            "x_regionCode": project.region_code,
            "x_registeredAt": _iso(project.registered_at),
            "x_stateOwnedShare": _number(project.state_owned_share),
            "x_totalInvestment": _value(project.total_investment, project.currency),
            "x_organisationForm": _plain(project.organisation_form)
            if project.organisation_form
            else None,
            "x_approval": approval,
        },
        "bids": {"details": details},
        "awards": awards,
        "contracts": contracts,
    }
    cleaned: dict[str, Any] = _clean(release)
    return cleaned


def _bid_bidder(bundle: ProcessBundle, key: tuple[str, str]) -> Any:
    for bid in bundle.bids:
        if (bid.lot_external_id, bid.external_id) == key:
            return bid.bidder
    raise KeyError(key)  # pragma: no cover — callers check first


# -- stored project → bundle -----------------------------------------------------------------------


def _copied(model: Any, obj: Any, names: Iterable[str], **values: Any) -> Any:
    """`model` built without validation from the attributes `names` of a stored row, `values`
    taking the place of those that are not a plain copy."""
    return model.model_construct(**{name: getattr(obj, name) for name in names} | values)


_ENTITY_COPIED = ("scheme", "identifier", *services.ENTITY_FIELDS)


def _entity_in(entity: Any) -> Any:
    from tenderwatch.ledger.schemas import EntityIn

    return _copied(EntityIn, entity, _ENTITY_COPIED, qualifications=[], key_people=[])


def _document_in(document: Any) -> Any:
    from tenderwatch.ledger.schemas import DocumentIn

    if document is None:
        return None
    return DocumentIn.model_construct(
        sha256=document.sha256,
        content_base64=None,
        url=document.url or None,
        title=document.title,
        kind=document.kind,
        media_type=document.media_type,
    )


def export_queryset(projects: Any) -> Any:
    """The queryset with everything `project_to_bundle` reads, in a fixed number of queries."""
    return projects.select_related("tenderer", "agency").prefetch_related(
        "lots__bids__bidder",
        "lots__bids__project_manager",
        "lots__bids__consortium_members",
        "lots__bids__evaluation",
        "lots__opening__document",
        "lots__committee__expert",
        "lots__award__bid",
        "lots__contracts__supplier",
        "events__document",
        "events__lot",
    )


def project_to_bundle(project: Any) -> ProcessBundle:
    """A stored project (with `export_queryset`'s prefetches) as a bundle, every part with the
    version it was stored with; all versions of each event (the timeline keeps the newest)."""
    from tenderwatch.ledger import schemas
    from tenderwatch.ledger.ingest.bundle import BundleBid, LotOutcome

    c = schemas
    lots = list(project.lots.all())
    project_in = _copied(
        c.ProjectIn,
        project,
        ("external_id", "version", *services.PROJECT_FIELDS),
        organisation_form=project.organisation_form or None,
        tenderer=_entity_in(project.tenderer) if project.tenderer else None,
        agency=_entity_in(project.agency) if project.agency else None,
        approved_method=project.approved_method or None,
        approved_form=project.approved_form or None,
        lots=[
            _copied(
                c.LotIn,
                lot,
                ("external_id", *services.LOT_FIELDS),
                qualification_requirements=lot.qualification_requirements or [],
            )
            for lot in lots
        ],
    )
    events = [
        _copied(
            c.EventIn,
            e,
            ("external_id", "version", "kind", "occurred_at", "note"),
            lot_external_id=e.lot.external_id if e.lot_id else None,
            data=e.data or {},
            document=_document_in(e.document),
        )
        for e in project.events.all()
    ]
    bids = []
    outcomes = []
    for lot in lots:
        lot_bids = list(lot.bids.all())
        for b in lot_bids:
            pm = b.project_manager
            bids.append(
                _copied(
                    BundleBid,
                    b,
                    ("external_id", "version", *services.BID_FIELDS),
                    lot_external_id=lot.external_id,
                    bidder=_entity_in(b.bidder),
                    project_manager=_copied(
                        c.KeyPersonIn,
                        pm,
                        ("name", "role", "registration_type", "certificate_no", "valid_to"),
                        id_number="",
                    )
                    if pm
                    else None,
                    consortium_members=[_entity_in(m) for m in b.consortium_members.all()],
                )
            )
        opening = getattr(lot, "opening", None) if _has(lot, "opening") else None
        award = getattr(lot, "award", None) if _has(lot, "award") else None
        members = list(lot.committee.all())
        evaluations = [b.evaluation for b in lot_bids if _has(b, "evaluation")]
        contracts = list(lot.contracts.all())
        if not (opening or award or members or evaluations or contracts):
            continue
        outcomes.append(
            LotOutcome.model_construct(
                lot_external_id=lot.external_id,
                opening=_copied(
                    c.OpeningIn,
                    opening,
                    ("version", *services.OPENING_FIELDS),
                    document=_document_in(opening.document),
                )
                if opening
                else None,
                committee=c.CommitteeIn.model_construct(
                    version=max(m.version for m in members),
                    members=[
                        c.CommitteeMemberIn.model_construct(
                            name=m.name,
                            role=m.role,
                            expert_pool_id=m.expert.pool_id if m.expert else "",
                            specialty=m.expert.specialty if m.expert else "",
                            employer=m.expert.employer if m.expert else "",
                            drawn_randomly=m.drawn_randomly,
                        )
                        for m in members
                    ],
                )
                if members
                else None,
                evaluation=c.EvaluationIn.model_construct(
                    version=max(e.version for e in evaluations),
                    results=[
                        _copied(
                            c.EvaluationResultIn,
                            e,
                            services.EVALUATION_FIELDS,
                            bid_external_id=e.bid.external_id,
                        )
                        for e in evaluations
                    ],
                )
                if evaluations
                else None,
                award=_copied(
                    c.AwardIn,
                    award,
                    ("version", "notice_at", "amount", "currency"),
                    bid_external_id=award.bid.external_id,
                )
                if award
                else None,
                contracts=[
                    _copied(
                        c.ContractIn,
                        k,
                        ("external_id", "version", *services.CONTRACT_FIELDS),
                        supplier=_entity_in(k.supplier),
                        terms=k.terms or {},
                    )
                    for k in contracts
                ],
            )
        )
    return ProcessBundle.model_construct(
        source=project.source,
        external_id=project.external_id,
        project=project_in,
        events=events,
        bids=bids,
        outcomes=outcomes,
    )


def _has(obj: Any, name: str) -> bool:
    try:
        return getattr(obj, name) is not None
    except Exception:  # RelatedObjectDoesNotExist
        return False


class ExportInvalid(Exception):
    def __init__(self, external_id: str, errors: list[str]) -> None:
        super().__init__(f"{external_id}: {'; '.join(errors)}")
        self.external_id, self.errors = external_id, errors


class _Encoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return _number(o)
        if isinstance(o, dt.datetime | dt.date):
            return o.isoformat()
        return super().default(o)


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, cls=_Encoder, separators=(",", ":"))


@dataclass
class ExportReport:
    written: int = 0
    invalid: list[ExportInvalid] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.invalid is None:
            self.invalid = []


def export_releases(
    projects: Any, *, chunk: int = 200, validate: bool = True, private: bool = False
) -> Iterator[dict[str, Any]]:
    """Compiled releases of the projects, chunk by chunk (memory stays flat); each validated
    against the OCDS 1.1.4 release schema — an invalid one raises `ExportInvalid`."""
    ids = list(projects.order_by("pk").values_list("pk", flat=True))
    from tenderwatch.ledger.models import Project

    for start in range(0, len(ids), chunk):
        batch = export_queryset(Project.objects.filter(pk__in=ids[start : start + chunk]))
        for project in batch.order_by("pk"):
            release = bundle_to_release(project_to_bundle(project), private=private)
            if validate:
                errors = validation_errors(release)
                if errors:
                    raise ExportInvalid(project.external_id, errors)
            yield release


def export_projects(
    projects: Any, out: IO[str], *, form: str = "jsonl", private: bool = False
) -> int:
    """Write the projects as OCDS: `jsonl` (one compiled release a line) or `package` (a release
    package). Every release is validated first; an invalid one stops the export (ExportInvalid)
    — the caller writes to a temporary file and keeps it only on success."""
    count = 0
    if form == "jsonl":
        for release in export_releases(projects, private=private):
            out.write(dumps(release) + "\n")
            count += 1
        return count
    published = timezone.now().isoformat()
    out.write(
        "{"
        + f'"uri":{dumps(f"urn:tenderwatch:export:{published}")},'
        + f'"version":"1.1","publishedDate":{dumps(published)},'
        + '"publisher":{"name":'
        + dumps(getattr(settings, "TW_OCDS_PUBLISHER", "tenderwatch"))
        + '},"releases":['
    )
    for release in export_releases(projects, private=private):
        out.write(("," if count else "") + "\n" + dumps(release))
        count += 1
    out.write("\n]}\n")
    return count


# -- compiled release → bundle ---------------------------------------------------------------------


class Unmappable(Exception):
    """A release that cannot become a bundle: why, and where (an OCDS path)."""

    def __init__(self, reason: str, where: str = "") -> None:
        super().__init__(reason)
        self.reason, self.where = reason, where


def _parse_moment(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def process_version(release: Mapping[str, Any]) -> int:
    """The minute of the release's `date` (≥ 1): what orders publications of one process."""
    moment = _parse_moment(release.get("date"))
    if moment is None:
        return 1
    return max(1, int((moment - EPOCH).total_seconds() // 60))


def _money(value: Any, where: str) -> str | None:
    """An OCDS amount (a JSON number) as our decimal string, rounded to the cent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise Unmappable(_("An amount must be a number."), where)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise Unmappable(_("An amount must be a number."), where) from None
    if not number.is_finite():
        raise Unmappable(_("An amount must be a number."), where)
    if number != number.quantize(CENT, rounding=ROUND_HALF_UP):
        number = number.quantize(CENT, rounding=ROUND_HALF_UP)
    return format(number, "f")


def _amount(value: Any, where: str) -> tuple[str | None, str]:
    """(amount, currency) of an OCDS Value; a currency left out is XXX, never guessed."""
    if not isinstance(value, Mapping):
        return None, "CNY"
    amount = _money(value.get("amount"), f"{where}.amount")
    currency = value.get("currency")
    if amount is None:
        return None, str(currency or "CNY")
    return amount, str(currency or NO_CURRENCY)


def _text(value: Any, limit: int) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    # Descriptive text longer than our field keeps its beginning; identifiers are never cut.
    return text[:limit]


def _scheme(raw: Any) -> str:
    text = "".join(c if c.isalnum() or c == "-" else "-" for c in str(raw or "").upper())
    text = text.strip("-")
    return text[:20] if text and text[0].isalnum() else ""


CPV_WORKS = "45"


def _category(tender: Mapping[str, Any]) -> str:
    category = tender.get("mainProcurementCategory") or tender.get("x_category")
    if category in ("works", "goods", "services"):
        return str(category)
    # CPV (the EU's Common Procurement Vocabulary): division 45 is construction work, 50–98
    # are services, the rest goods. Used only where the publisher gives CPV codes for every item.
    divisions: set[str] = set()
    for item in tender.get("items") or []:
        classification = (item or {}).get("classification") or {}
        if str(classification.get("scheme", "")).upper() != "CPV":
            divisions = set()
            break
        code = str(classification.get("id", ""))[:2]
        if not code.isdigit():
            divisions = set()
            break
        divisions.add("works" if code == CPV_WORKS else "services" if int(code) >= 50 else "goods")
    if len(divisions) == 1:
        return divisions.pop()
    if "works" in divisions:
        return "works"
    if divisions:
        return "services" if "services" in divisions else "goods"
    raise Unmappable(
        _(
            "The process does not say whether it buys works, goods or services "
            "(tender.mainProcurementCategory, or CPV codes on the items)."
        ),
        "tender.mainProcurementCategory",
    )


def _method(tender: Mapping[str, Any]) -> str:
    local = tender.get("x_method")
    if local in ProcurementMethod.values:
        return str(local)
    details = str(tender.get("procurementMethodDetails") or "")
    for code, name in CHINESE_METHOD.items():
        if name and name in details and code != ProcurementMethod.OTHER:
            return str(code)
    method = tender.get("procurementMethod")
    if method == "open":
        return ProcurementMethod.OPEN
    if method == "selective":
        return ProcurementMethod.INVITED
    if method == "direct":
        return ProcurementMethod.DIRECT
    return ProcurementMethod.OTHER  # "limited" abroad is not one of China's methods


class _Orgs:
    """Parties of a release as our entities, by reference or inline (OCDS 1.0)."""

    def __init__(self, release: Mapping[str, Any], ocid: str) -> None:
        self.ocid = ocid
        self.parties = {
            str(p.get("id")): p for p in release.get("parties") or [] if isinstance(p, Mapping)
        }
        self.cache: dict[tuple[str, str, bool], dict[str, Any] | None] = {}

    def key_of(self, ref: Any) -> tuple[str, str] | None:
        entity = self.entity(ref, "")
        return (entity["scheme"], entity["identifier"]) if entity else None

    def entity(self, ref: Any, where: str, *, buyer: bool = False) -> dict[str, Any] | None:
        """Our entity for an organization reference; a buyer without a stated kind is taken
        for a public body (OCDS buyers are public authorities or bodies governed by them)."""
        if not isinstance(ref, Mapping):
            return None
        if len(ref) <= 2 and "id" in ref and set(ref) <= {"id", "name"}:  # a plain reference
            key = (str(ref.get("id")), str(ref.get("name")), buyer)
            cached = self.cache.get(key)
            if cached is None:
                cached = self.cache[key] = self._entity(ref, where, buyer=buyer)
            return dict(cached) if cached is not None else None
        return self._entity(ref, where, buyer=buyer)

    def _entity(self, ref: Mapping[str, Any], where: str, *, buyer: bool) -> dict[str, Any] | None:
        party = self.parties.get(str(ref.get("id")), {}) if ref.get("id") is not None else {}
        org = {**party, **{k: v for k, v in ref.items() if v not in (None, "", [], {})}}
        identifier = _m(org.get("identifier"))
        raw_id = identifier.get("id") if isinstance(identifier, Mapping) else None
        name = _text(org.get("name") or identifier.get("legalName"), 200)
        if raw_id not in (None, ""):
            scheme = _scheme(identifier.get("scheme")) or "X-UNSPECIFIED"
            ident = str(raw_id).strip()
        else:
            # No identifier published: the party is known only inside this process.
            local = f"{self.ocid}/{org.get('id') or name}"
            scheme = "X-OCDS-PARTY"
            ident = local if len(local) <= 64 else hashlib.sha256(local.encode()).hexdigest()
        if not name:
            name = ident[:200]
        address = _m(org.get("address"))
        contact = _m(org.get("contactPoint"))
        details = _m(org.get("details"))
        region = str(address.get("region") or "") if isinstance(address, Mapping) else ""
        entity: dict[str, Any] = {
            "scheme": scheme,
            "identifier": ident,
            "name": name,
            "address": _text(address.get("streetAddress"), 300)
            if isinstance(address, Mapping)
            else "",
            "region_code": region if region.isdigit() and len(region) <= 12 else "",
            "contact_phone": _text(contact.get("telephone"), 40)
            if isinstance(contact, Mapping)
            else "",
            "contact_email": _text(contact.get("email"), 120)
            if isinstance(contact, Mapping)
            else "",
        }
        if isinstance(details, Mapping):
            if details.get("x_kind"):
                entity["kind"] = details["x_kind"]
            if details.get("x_legalRepresentative"):
                entity["legal_representative"] = _text(details["x_legalRepresentative"], 60)
            if details.get("x_registeredCapital") is not None:
                entity["registered_capital"] = _money(details["x_registeredCapital"], where)
            if details.get("x_establishedOn"):
                entity["established_on"] = details["x_establishedOn"]
        if "kind" not in entity and (buyer or "buyer" in (org.get("roles") or [])):
            entity["kind"] = "public_body"
        return {k: v for k, v in entity.items() if v not in (None, "")} | {
            "scheme": scheme,
            "identifier": ident,
            "name": name,
        }


def _lot_of(refs: Any, lots: list[str], where: str) -> str:
    related = [str(x) for x in refs or [] if str(x) in lots]
    if related:
        return related[0]
    if len(lots) == 1:
        return lots[0]
    raise Unmappable(
        _("Which lot? The process has several and relatedLots names none of them."), where
    )


def release_to_bundle(
    release: Mapping[str, Any], *, source: str = DEFAULT_SOURCE, first_date: str | None = None
) -> dict[str, Any]:
    """A compiled release as a bundle mapping (validated by the writer). `first_date` is the
    date of the process's first release, when the releases are known (registration)."""
    ocid = release.get("ocid")
    if not isinstance(ocid, str) or not ocid.strip():
        raise Unmappable(_("The release has no ocid."), "ocid")
    ocid = ocid.strip()
    tender = release.get("tender")
    if not isinstance(tender, Mapping) or not tender:
        raise Unmappable(_("No tender yet (planning stage only): nothing to supervise."), "tender")
    version = process_version(release)
    ext = compact_id(ocid)
    orgs = _Orgs(release, ocid)
    buyer_ref = release.get("buyer")
    procuring_ref = tender.get("procuringEntity")
    tenderer = orgs.entity(buyer_ref, "buyer", buyer=True) or orgs.entity(
        procuring_ref, "tender.procuringEntity"
    )
    agency = None
    form = tender.get("x_organisationForm")
    if buyer_ref and procuring_ref:
        if orgs.key_of(buyer_ref) != orgs.key_of(procuring_ref):
            agency = orgs.entity(procuring_ref, "tender.procuringEntity")
            form = form or "entrusted"
        else:
            form = form or "self"
    amount, currency = _amount(tender.get("value"), "tender.value")
    if amount is None:  # only the lower bound of the estimate is published
        amount, currency = _amount(tender.get("minValue"), "tender.minValue")
    budget = _m(_m(release.get("planning")).get("budget"))
    budget_amount, _budget_currency = _amount(budget.get("amount"), "planning.budget.amount")
    title = _text(tender.get("title") or release.get("title") or ocid, 300)
    registered = (
        tender.get("x_registeredAt")
        or first_date
        or (_m(tender.get("tenderPeriod")).get("startDate") or release.get("date"))
    )

    lot_entries = [lot for lot in tender.get("lots") or [] if isinstance(lot, Mapping)]
    lots: list[dict[str, Any]] = []
    for i, lot in enumerate(lot_entries):
        if lot.get("id") in (None, ""):
            raise Unmappable(_("A lot has no id."), f"tender.lots[{i}].id")
        lot_amount, lot_currency = _amount(lot.get("value"), f"tender.lots[{i}].value")
        ceiling, _c = _amount(lot.get("x_ceilingPrice"), f"tender.lots[{i}].x_ceilingPrice")
        security, _s = _amount(lot.get("x_bidSecurity"), f"tender.lots[{i}].x_bidSecurity")
        lots.append(
            {
                "external_id": str(lot["id"]),
                "number": _text(lot.get("x_number") or lot["id"], 60),
                "name": _text(lot.get("title") or title, 300),
                "estimated_amount": lot_amount,
                "currency": lot_currency if lot_amount else currency,
                "ceiling_price": ceiling,
                "bid_security": security,
                "qualification_requirements": lot.get("x_qualificationRequirements") or [],
            }
        )
    if not lots:  # a tender without lots is one lot
        lots = [
            {
                "external_id": "1",
                "number": "1",
                "name": title,
                "estimated_amount": amount,
                "currency": currency,
            }
        ]
    lot_ids = [lot["external_id"] for lot in lots]
    approval = _m(tender.get("x_approval"))
    total_investment, _t = _amount(tender.get("x_totalInvestment"), "tender.x_totalInvestment")
    share = tender.get("x_stateOwnedShare")
    project = {
        "external_id": ext,
        "version": version,
        "ocid": ocid[:120],
        "code": _text(tender.get("id") or ocid, 100) or ext,
        "name": title,
        "region_code": _text(tender.get("x_regionCode"), 12),
        "industry": _text(tender.get("x_industry"), 40) or FOREIGN_INDUSTRY,
        "category": _category(tender),
        "funding_source": _text(budget.get("description"), 200),
        "state_owned_share": _money(share, "tender.x_stateOwnedShare")
        if share is not None
        else None,
        "budget_funds": budget_amount,
        "total_investment": total_investment,
        "estimated_amount": amount,
        "currency": currency,
        "procurement_method": _method(tender),
        "organisation_form": form if form in ("self", "entrusted") else None,
        "tenderer": tenderer,
        "agency": agency,
        "approval_no": _text(approval.get("number"), 100),
        "approved_scope": _text(approval.get("scope"), 300),
        "approved_method": approval.get("method") or None,
        "approved_form": approval.get("organisationForm") or None,
        "approved_on": approval.get("date") or None,
        "registered_at": registered,
        "lots": lots,
    }

    events = _events(release, tender, ext, version, lot_ids, registered)
    bids, bid_keys = _bids(release, orgs, version, lot_ids)
    outcomes = _outcomes(release, tender, orgs, version, lot_ids, bids, bid_keys)
    return {
        "source": source,
        "external_id": ext,
        "project": project,
        "events": events,
        "bids": bids,
        "outcomes": outcomes,
    }


def _events(
    release: Mapping[str, Any],
    tender: Mapping[str, Any],
    ext: str,
    version: int,
    lot_ids: list[str],
    registered: Any,
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(
        kind: str,
        when: Any,
        path: str,
        *,
        lot: str | None = None,
        note: Any = "",
        data: Mapping[str, Any] | None = None,
        event_version: Any = None,
    ) -> None:
        if not when:
            return
        event_id = compact_id(f"{ext}/{path}")
        if event_id in seen:
            return
        seen.add(event_id)
        events.append(
            {
                "external_id": event_id,
                "version": event_version if isinstance(event_version, int) else version,
                "kind": kind,
                "occurred_at": when,
                "lot_external_id": lot,
                "note": _text(note, 4000),
                "data": dict(data or {}),
            }
        )

    milestones = [m for m in tender.get("milestones") or [] if isinstance(m, Mapping)]
    ours = [m for m in milestones if m.get("code") in EVENT_KINDS]
    if ours:  # our own export: the events as they were
        for m in ours:
            lots = [str(x) for x in m.get("relatedLots") or [] if str(x) in lot_ids]
            events.append(
                {
                    "external_id": compact_id(str(m.get("id"))),
                    "version": m.get("x_version")
                    if isinstance(m.get("x_version"), int)
                    else version,
                    "kind": m["code"],
                    "occurred_at": m.get("dateMet") or m.get("dueDate"),
                    "lot_external_id": lots[0] if lots else None,
                    "note": _text(m.get("description"), 4000),
                    "data": m.get("x_data") or {},
                }
            )
        return events

    add(EventKind.REGISTRATION, registered, "registration")
    periods = {
        "tenderPeriod": (EventKind.ANNOUNCEMENT, EventKind.BID_DEADLINE),
        "enquiryPeriod": (EventKind.OTHER, EventKind.OTHER),
        "awardPeriod": (EventKind.EVALUATION_START, None),
        "contractPeriod": (EventKind.OTHER, EventKind.OTHER),
    }
    for name, (start_kind, end_kind) in periods.items():
        period = _m(tender.get(name))
        if not isinstance(period, Mapping):
            continue
        for edge, kind in (("startDate", start_kind), ("endDate", end_kind)):
            if kind is not None:
                path = f"tender.{name}.{edge}"
                add(
                    kind,
                    period.get(edge),
                    path,
                    data={"ocds": path} if kind == EventKind.OTHER else None,
                )
    amendments = [a for a in tender.get("amendments") or [] if isinstance(a, Mapping)]
    if isinstance(tender.get("amendment"), Mapping):  # OCDS 1.0
        amendments.append(tender["amendment"])
    for i, amendment in enumerate(amendments):
        add(
            EventKind.AMENDMENT,
            amendment.get("date"),
            f"tender.amendments/{amendment.get('id') or i}",
            note=amendment.get("rationale") or amendment.get("description"),
        )
    for i, m in enumerate(milestones):
        add(
            EventKind.OTHER,
            m.get("dateMet") or m.get("dueDate"),
            f"tender.milestones/{m.get('id') or i}",
            data={
                "ocds": "tender.milestones",
                "title": _text(m.get("title"), 300),
                "type": m.get("type") or "",
            },
        )
    awarded = False
    for i, award in enumerate(a for a in release.get("awards") or [] if isinstance(a, Mapping)):
        lots = [str(x) for x in award.get("relatedLots") or [] if str(x) in lot_ids]
        lot = lots[0] if lots else (lot_ids[0] if len(lot_ids) == 1 else None)
        award_id = award.get("id") or i
        if award.get("status") == "pending":
            add(
                EventKind.CANDIDATE_PUBLICITY_START,
                award.get("date"),
                f"awards/{award_id}/pending",
                lot=lot,
            )
        elif award.get("status") == "active" and award.get("date"):
            add(EventKind.AWARD_NOTICE, award.get("date"), f"awards/{award_id}/date", lot=lot)
            awarded = True
    if not awarded:
        add(
            EventKind.AWARD_NOTICE,
            _m(tender.get("awardPeriod")).get("endDate"),
            "tender.awardPeriod.endDate",
        )
    awards_by_id = {
        str(a.get("id")): a for a in release.get("awards") or [] if isinstance(a, Mapping)
    }
    for i, contract in enumerate(
        c for c in release.get("contracts") or [] if isinstance(c, Mapping)
    ):
        award = _m(awards_by_id.get(str(contract.get("awardID"))))
        lots = [str(x) for x in award.get("relatedLots") or [] if str(x) in lot_ids]
        lot = lots[0] if lots else (lot_ids[0] if len(lot_ids) == 1 else None)
        add(
            EventKind.CONTRACT_SIGNED,
            contract.get("dateSigned"),
            f"contracts/{contract.get('id') or i}/dateSigned",
            lot=lot,
        )
    if tender.get("status") in ("cancelled", "unsuccessful"):
        add(EventKind.TERMINATION, release.get("date"), "tender.status", note=tender.get("status"))
    return events


def _bids(
    release: Mapping[str, Any], orgs: _Orgs, version: int, lot_ids: list[str]
) -> tuple[list[dict[str, Any]], dict[str, tuple[str, str]]]:
    bids_block = _m(release.get("bids"))
    details = bids_block.get("details") if isinstance(bids_block, Mapping) else None
    out: list[dict[str, Any]] = []
    keys: dict[str, tuple[str, str]] = {}  # OCDS bid id → (lot, our external id)
    for i, bid in enumerate(b for b in details or [] if isinstance(b, Mapping)):
        where = f"bids.details[{i}]"
        tenderers = [t for t in bid.get("tenderers") or [] if isinstance(t, Mapping)]
        if not tenderers:
            raise Unmappable(_("A bid names no tenderer."), f"{where}.tenderers")
        if bid.get("id") in (None, ""):
            raise Unmappable(_("A bid has no id."), f"{where}.id")
        lot = _lot_of(bid.get("relatedLots"), lot_ids, f"{where}.relatedLots")
        price, currency = _amount(bid.get("value"), f"{where}.value")
        status = bid.get("x_status") or BID_STATUS_IN.get(
            str(bid.get("status") or "pending"), BidStatus.SUBMITTED
        )
        external_id = compact_id(str(bid.get("x_externalId") or bid["id"]))
        keys[str(bid["id"])] = (lot, external_id)
        entry: dict[str, Any] = {
            "external_id": external_id,
            "lot_external_id": lot,
            "version": bid.get("x_version") if isinstance(bid.get("x_version"), int) else version,
            "bidder": orgs.entity(tenderers[0], f"{where}.tenderers[0]"),
            "consortium_members": [
                orgs.entity(t, f"{where}.tenderers[{j + 1}]") for j, t in enumerate(tenderers[1:])
            ],
            "price": price,
            "currency": currency,
            "submitted_at": bid.get("date") or None,
            "status": status,
            "rejection_reason": _text(bid.get("x_rejectionReason"), 300),
        }
        prints = _m(bid.get("x_fingerprints"))
        if isinstance(prints, Mapping):
            for ours, theirs in (
                ("client_ip", "clientIp"),
                ("mac_address", "macAddress"),
                ("hardware_id", "hardwareId"),
                ("ca_key_id", "caKeyId"),
                ("file_hash", "fileHash"),
                ("file_author", "fileAuthor"),
                ("file_software", "fileSoftware"),
                ("file_machine", "fileMachine"),
                ("security_account", "securityAccount"),
                ("security_bank", "securityBank"),
            ):
                if prints.get(theirs):
                    entry[ours] = prints[theirs]
        contact = _m(bid.get("x_contact"))
        if isinstance(contact, Mapping):
            entry["contact_name"] = _text(contact.get("name"), 60)
            entry["contact_phone"] = _text(contact.get("telephone"), 40)
        pm = bid.get("x_projectManager")
        if isinstance(pm, Mapping) and pm.get("name"):
            entry["project_manager"] = {
                "name": pm["name"],
                "role": pm.get("role") or "project_manager",
                "registration_type": pm.get("registrationType") or "",
                "certificate_no": pm.get("certificateNo") or "",
                "valid_to": pm.get("validTo") or None,
            }
        out.append(entry)
    return out, keys


def _outcomes(
    release: Mapping[str, Any],
    tender: Mapping[str, Any],
    orgs: _Orgs,
    version: int,
    lot_ids: list[str],
    bids: list[dict[str, Any]],
    bid_keys: dict[str, tuple[str, str]],
) -> list[dict[str, Any]]:
    outcomes: dict[str, dict[str, Any]] = {}

    def outcome(lot: str) -> dict[str, Any]:
        return outcomes.setdefault(lot, {"lot_external_id": lot, "contracts": []})

    lot_entries = {
        str(lot.get("id")): lot for lot in tender.get("lots") or [] if isinstance(lot, Mapping)
    }
    for lot_id, lot in lot_entries.items():
        if lot_id not in lot_ids:
            continue
        opening = lot.get("x_bidOpening")
        if isinstance(opening, Mapping) and opening.get("date"):
            outcome(lot_id)["opening"] = {
                "version": opening.get("x_version")
                if isinstance(opening.get("x_version"), int)
                else version,
                "opened_at": opening["date"],
                "location": _text(opening.get("location"), 200),
                "bids_received": opening.get("bidsReceived"),
                "objections": _text(opening.get("objections"), 4000),
            }
        committee = lot.get("x_committee")
        if isinstance(committee, Mapping) and committee.get("members"):
            outcome(lot_id)["committee"] = {
                "version": committee.get("version")
                if isinstance(committee.get("version"), int)
                else version,
                "members": [
                    {
                        "name": m.get("name"),
                        "role": m.get("role"),
                        "expert_pool_id": m.get("expertPoolId") or "",
                        "specialty": m.get("specialty") or "",
                        "employer": m.get("employer") or "",
                        "drawn_randomly": m.get("drawnRandomly", True),
                    }
                    for m in committee["members"]
                    if isinstance(m, Mapping)
                ],
            }
    bid_opening = tender.get("bidOpening")  # the Bid opening extension, for the whole tender
    if isinstance(bid_opening, Mapping) and bid_opening.get("date") and len(lot_ids) == 1:
        outcome(lot_ids[0]).setdefault(
            "opening",
            {
                "version": version,
                "opened_at": bid_opening["date"],
                "location": _text(
                    bid_opening.get("location", {}).get("description")
                    if isinstance(bid_opening.get("location"), Mapping)
                    else (bid_opening.get("address") or {}).get("streetAddress"),
                    200,
                ),
            },
        )

    # Scores travel with the bids (x_evaluation); one evaluation per lot.
    details = _m(release.get("bids")).get("details")
    for bid in details or []:
        if not isinstance(bid, Mapping) or not isinstance(bid.get("x_evaluation"), Mapping):
            continue
        scored_lot, external_id = bid_keys[str(bid["id"])]
        ev = bid["x_evaluation"]
        lot_version = _m(lot_entries.get(scored_lot)).get("x_evaluationVersion")
        evaluation = outcome(scored_lot).setdefault(
            "evaluation",
            {"version": lot_version if isinstance(lot_version, int) else version, "results": []},
        )
        evaluation["results"].append(
            {
                "bid_external_id": external_id,
                "technical_score": _money(ev.get("technicalScore"), "x_evaluation"),
                "commercial_score": _money(ev.get("commercialScore"), "x_evaluation"),
                "price_score": _money(ev.get("priceScore"), "x_evaluation"),
                "total_score": _money(ev.get("totalScore"), "x_evaluation"),
                "rank": ev.get("rank"),
                "passed": ev.get("passed", True),
            }
        )

    # Awards: the winning bid is in relatedBids, or the bid of the awarded supplier in that lot.
    bidders: dict[tuple[str, tuple[str, str]], str] = {}
    for bid in bids:
        key = (bid["bidder"]["scheme"], bid["bidder"]["identifier"])
        bidders.setdefault((bid["lot_external_id"], key), bid["external_id"])
    chosen: dict[str, Mapping[str, Any]] = {}
    award_lot: dict[str, str] = {}
    for i, award in enumerate(a for a in release.get("awards") or [] if isinstance(a, Mapping)):
        related = [str(x) for x in award.get("relatedLots") or [] if str(x) in lot_ids]
        award_lot_id = related[0] if related else (lot_ids[0] if len(lot_ids) == 1 else None)
        if award_lot_id is None:
            continue  # its events say what is known; the award itself needs a lot
        award_lot[str(award.get("id", i))] = award_lot_id
        if award.get("status") not in ("active", "pending"):
            continue
        have = chosen.get(award_lot_id)
        if have is None or (award.get("status"), str(award.get("date") or "")) > (
            have.get("status"),
            str(have.get("date") or ""),
        ):
            chosen[award_lot_id] = award
    for lot_id, award in chosen.items():
        bid_ext = None
        for related_bid in award.get("relatedBids") or []:
            if str(related_bid) in bid_keys and bid_keys[str(related_bid)][0] == lot_id:
                bid_ext = bid_keys[str(related_bid)][1]
                break
        if bid_ext is None:
            for supplier in award.get("suppliers") or []:
                supplier_key = orgs.key_of(supplier)
                if supplier_key and (lot_id, supplier_key) in bidders:
                    bid_ext = bidders[(lot_id, supplier_key)]
                    break
        if bid_ext is None:
            continue  # no bid to hang it on (the publisher gives no bids): events only
        amount, currency = _amount(award.get("value"), "awards.value")
        outcome(lot_id)["award"] = {
            "version": award.get("x_version")
            if isinstance(award.get("x_version"), int)
            else version,
            "bid_external_id": bid_ext,
            "notice_at": award.get("date") if award.get("status") == "active" else None,
            "amount": amount,
            "currency": currency,
        }
    awards_by_id = {
        str(a.get("id")): a for a in release.get("awards") or [] if isinstance(a, Mapping)
    }
    for i, contract in enumerate(
        c for c in release.get("contracts") or [] if isinstance(c, Mapping)
    ):
        where = f"contracts[{i}]"
        contract_award = awards_by_id.get(str(contract.get("awardID")))
        contract_lot = award_lot.get(str(contract.get("awardID")))
        if contract_lot is None:
            contract_lot = lot_ids[0] if len(lot_ids) == 1 else None
        if contract_lot is None:
            raise Unmappable(_("Which lot? The contract's award names no lot."), f"{where}.awardID")
        suppliers = contract.get("x_suppliers") or _m(contract_award).get("suppliers") or []
        supplier = orgs.entity(suppliers[0], f"{where}.suppliers") if suppliers else None
        if supplier is None and "award" not in outcome(contract_lot):
            raise Unmappable(
                _("The contract names no supplier, and its award none either."), f"{where}.awardID"
            )
        amount, currency = _amount(contract.get("value"), f"{where}.value")
        security, _s = _amount(
            contract.get("x_performanceSecurity"), f"{where}.x_performanceSecurity"
        )
        period = _m(contract.get("period"))
        duration = period.get("durationInDays") if isinstance(period, Mapping) else None
        if duration is None and isinstance(period, Mapping):
            start, end = (
                _parse_moment(period.get("startDate")),
                _parse_moment(period.get("endDate")),
            )
            if start and end and end >= start:
                duration = (end - start).days
        if contract.get("id") in (None, ""):
            raise Unmappable(_("A contract has no id."), f"{where}.id")
        outcome(contract_lot)["contracts"].append(
            {
                "external_id": compact_id(str(contract.get("x_externalId") or contract["id"])),
                "version": contract.get("x_version")
                if isinstance(contract.get("x_version"), int)
                else version,
                "supplier": supplier,
                "signed_at": contract.get("dateSigned") or None,
                "amount": amount,
                "currency": currency,
                "duration_days": duration if isinstance(duration, int) else None,
                "performance_security": security,
                "terms": contract.get("x_terms") or {},
            }
        )
    return list(outcomes.values())


# -- reading files ---------------------------------------------------------------------------------


@dataclass
class Compiled:
    """A compiled release read from a file, with where it came from."""

    release: dict[str, Any]
    origin: str
    first_date: str | None = None
    clean: bool = False  # its JSON text passed writer.texts_clean


@dataclass
class Unreadable:
    """A place in a file that could not be read (not JSON, not OCDS, a merge that failed)."""

    origin: str
    reason: str
    ocid: str = ""


def _is_compiled(release: Mapping[str, Any]) -> bool:
    tag = release.get("tag") or []
    return "compiled" in tag if isinstance(tag, list) else tag == "compiled"


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(type(value).__name__)


class _Releases:
    """Releases set aside until every release of their ocid has been read, in a temporary
    SQLite file (memory stays flat however many there are and in whatever order)."""

    def __init__(self) -> None:
        self.db: sqlite3.Connection | None = None
        self.tmp: Any = None

    def add(self, release: Mapping[str, Any], origin: str) -> None:
        if self.db is None:
            self.tmp = tempfile.NamedTemporaryFile(prefix="tw-ocds-", suffix=".sqlite3")  # noqa: SIM115
            self.db = sqlite3.connect(self.tmp.name)
            self.db.execute("PRAGMA journal_mode=OFF")
            self.db.execute("PRAGMA synchronous=OFF")
            self.db.execute(
                "CREATE TABLE r (seq INTEGER PRIMARY KEY, ocid TEXT, origin TEXT, body TEXT)"
            )
        ocid = release.get("ocid")
        self.db.execute(
            "INSERT INTO r (ocid, origin, body) VALUES (?, ?, ?)",
            (str(ocid or ""), origin, json.dumps(release, default=_json_default)),
        )

    def compiled(self) -> Iterator[Compiled | Unreadable]:
        if self.db is None:
            return
        try:
            self.db.execute("CREATE INDEX r_ocid ON r (ocid, seq)")
            ocids = [
                row[0]
                for row in self.db.execute("SELECT ocid FROM r GROUP BY ocid ORDER BY MIN(seq)")
            ]
            for ocid in ocids:
                rows = self.db.execute(
                    "SELECT origin, body FROM r WHERE ocid = ? ORDER BY seq", (ocid,)
                ).fetchall()
                origin = rows[0][0] if len(rows) == 1 else f"{rows[0][0]} (+{len(rows) - 1})"
                releases = [json.loads(body) for _o, body in rows]
                if not ocid:
                    yield Unreadable(origin, _("The release has no ocid."))
                    continue
                yield _compile(releases, origin, ocid)
        finally:
            self.close()

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.tmp.close()
            self.db = None


def _compile(releases: list[dict[str, Any]], origin: str, ocid: str) -> Compiled | Unreadable:
    dates = sorted(str(r.get("date")) for r in releases if r.get("date"))
    try:
        compiled = merger().create_compiled_release(releases)
    except Exception as exc:  # ocdsmerge's errors: a release without date, inconsistent ocids
        return Unreadable(
            origin,
            _("The releases of %(ocid)s cannot be merged: %(error)s")
            % {"ocid": ocid, "error": str(exc)[:300]},
            ocid,
        )
    return Compiled(compiled, origin, dates[0] if dates else None)


def _record(record: Mapping[str, Any], origin: str) -> Compiled | Unreadable:
    ocid = str(record.get("ocid") or _m(record.get("compiledRelease")).get("ocid") or "")
    releases = [r for r in record.get("releases") or [] if isinstance(r, Mapping)]
    dates = sorted(str(r.get("date")) for r in releases if r.get("date"))
    first = dates[0] if dates else None
    compiled = record.get("compiledRelease")
    if isinstance(compiled, Mapping):
        return Compiled(dict(compiled), origin, first)
    full = [r for r in releases if "ocid" in r and "id" in r and "url" not in r]
    if not full:
        return Unreadable(
            origin,
            _("The record links to its releases without including them or a compiled release."),
            ocid,
        )
    result = _compile([dict(r) for r in full], origin, ocid)
    if isinstance(result, Compiled):
        result.first_date = first
    return result


def _is_record(obj: Mapping[str, Any]) -> bool:
    if "compiledRelease" in obj or "versionedRelease" in obj:
        return True
    return "ocid" in obj and isinstance(obj.get("releases"), list) and "tag" not in obj


def _item(
    obj: Any, origin: str, releases: _Releases, clean: bool = False
) -> Iterator[Compiled | Unreadable]:
    """One JSON value of a file, whatever OCDS form it has."""
    if not isinstance(obj, Mapping):
        yield Unreadable(origin, _("Not an OCDS release, record or package (not an object)."))
    elif _is_record(obj):
        record = _record(obj, origin)
        if isinstance(record, Compiled):
            record.clean = clean
        yield record
    elif isinstance(obj.get("records"), list):
        for i, record in enumerate(obj["records"]):
            where = f"{origin} records[{i}]"
            if isinstance(record, Mapping):
                yield _record(record, where)
            else:
                yield Unreadable(where, _("A record must be an object."))
    elif isinstance(obj.get("releases"), list):
        for i, release in enumerate(obj["releases"]):
            yield from _release(release, f"{origin} releases[{i}]", releases)
    elif "ocid" in obj:
        for item in _release(obj, origin, releases):
            if isinstance(item, Compiled):
                item.clean = clean
            yield item
    else:
        yield Unreadable(origin, _("Not an OCDS release, record or package (no ocid)."))


def _release(obj: Any, origin: str, releases: _Releases) -> Iterator[Compiled | Unreadable]:
    if not isinstance(obj, Mapping):
        yield Unreadable(origin, _("A release must be an object."))
    elif _is_compiled(obj):
        yield Compiled(dict(obj), origin)
    else:
        releases.add(obj, origin)


def _loads(raw: bytes) -> Any:
    """`json.loads`, faster: orjson reads what it can (the same values: it is stricter, never
    looser), and whatever it refuses (NaN, a lone surrogate, another encoding) goes to `json`,
    which decides as before."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def _looks_like_lines(path: Path) -> bool:
    """JSON Lines when the first (or, if that one is broken, the second) line is JSON alone."""
    with path.open("rb") as fh:
        lines = []
        for raw in fh:
            if raw.strip():
                lines.append(raw)
            if len(lines) == 2:
                break
    for raw in lines:
        try:
            json.loads(raw)
            return True
        except ValueError:
            continue
    return False


def _package_key(path: Path) -> str | None:
    """`records` or `releases` for a package file, None for anything else (a single record or
    release, or not JSON): found by streaming the top level's keys, whatever their order."""
    import ijson

    keys: set[str] = set()
    with path.open("rb") as fh:
        try:
            for prefix, event, value in ijson.parse(fh):
                if prefix == "" and event == "map_key":
                    keys.add(str(value))
        except ijson.JSONError:
            pass  # a truncated package still streams up to where it breaks
    if keys & {"ocid", "compiledRelease", "versionedRelease"}:  # one record or release
        return None
    if "records" in keys:
        return "records"
    if "releases" in keys:
        return "releases"
    return None


def read_sources(
    paths: Iterable[Path], *, names: Mapping[Path, str] | None = None
) -> Iterator[Compiled | Unreadable]:
    """Every compiled release in the files, streamed. Releases that need compiling are grouped
    by ocid across all the files (a folder of one-release packages compiles as one record)."""
    releases = _Releases()
    try:
        for path in paths:
            name = (names or {}).get(path, path.name)
            yield from read_source(path, name=name, releases=releases)
        yield from releases.compiled()
    finally:
        releases.close()


def read_source(
    path: Path, *, name: str | None = None, releases: _Releases | None = None
) -> Iterator[Compiled | Unreadable]:
    """Every compiled release in an OCDS file, streamed; what cannot be read is named. With
    `releases` given, releases to compile are left there for the caller to compile."""
    if releases is None:
        yield from read_sources([path], names={path: name or path.name})
        return
    yield from _read(path, name or path.name, releases)


def _read(path: Path, name: str, releases: _Releases) -> Iterator[Compiled | Unreadable]:
    import ijson

    if _looks_like_lines(path):
        with path.open("rb") as fh:
            for lineno, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                origin = f"{name}:{lineno}"
                try:
                    obj = _loads(raw)
                except ValueError as exc:
                    yield Unreadable(
                        origin,
                        _("Line %(line)d is not valid JSON (%(error)s); it was skipped.")
                        % {"line": lineno, "error": str(exc)[:200]},
                    )
                    continue
                yield from _item(obj, origin, releases, texts_clean(raw))
    else:
        key = _package_key(path)
        if key is None:
            with path.open("rb") as fh:
                try:
                    obj = json.load(fh)
                except ValueError as exc:
                    yield Unreadable(
                        name,
                        _("The file is not valid JSON: %(error)s") % {"error": str(exc)[:200]},
                    )
                    return
            yield from _item(obj, name, releases)
        else:
            with path.open("rb") as fh:
                i = -1
                try:
                    for i, obj in enumerate(ijson.items(fh, f"{key}.item")):
                        origin = f"{name} {key}[{i}]"
                        if key == "records":
                            yield (
                                _record(obj, origin)
                                if isinstance(obj, Mapping)
                                else (Unreadable(origin, _("A record must be an object.")))
                            )
                        else:
                            yield from _release(obj, origin, releases)
                except ijson.JSONError as exc:
                    yield Unreadable(
                        f"{name} {key}[{i + 1}]",
                        _("The file is not valid JSON from here on (%(error)s).")
                        % {"error": str(exc)[:200]},
                    )


# -- importing -------------------------------------------------------------------------------------


def bundles_from(
    items: Iterable[Compiled | Unreadable], *, source: str
) -> Iterator[dict[str, Any] | Any]:
    """Bundle mappings (with `_origin`) of the readable items, and a `Refusal` for each item
    that cannot be read or mapped, in file order: what `writer.bundles_write` consumes."""
    from tenderwatch.ledger.ingest.writer import Refusal

    for item in items:
        if isinstance(item, Unreadable):
            yield Refusal(item.ocid, item.reason, "", item.origin)
            continue
        try:
            bundle = release_to_bundle(item.release, source=source, first_date=item.first_date)
        except (TypeError, AttributeError, KeyError, ValueError) as exc:  # an odd structure
            ocid = str(item.release.get("ocid") or "")
            yield Refusal(
                compact_id(ocid),
                _("The release does not have the structure OCDS gives it (%(error)s).")
                % {"error": f"{type(exc).__name__}: {exc}"[:200]},
                "",
                item.origin,
            )
            continue
        except Unmappable as exc:
            ocid = str(item.release.get("ocid") or "")
            yield Refusal(compact_id(ocid), exc.reason, exc.where, item.origin)
            continue
        bundle["_origin"] = item.origin
        bundle["_texts_checked"] = item.clean
        yield bundle


PARALLEL_MIN_BYTES = 8 * 1024 * 1024  # below this a second process costs more than it saves


def import_files(
    paths: Iterable[Path],
    *,
    actor: Any,
    source: str = DEFAULT_SOURCE,
    label: str = "",
    progress: Callable[[int], None] | None = None,
    batch_size: int = 500,
    names: Mapping[Path, str] | None = None,
    workers: int | None = None,
) -> Any:
    """Import OCDS files: every process stored or refused with its reason; lines and records
    that cannot be read are refusals too (an `IngestReport`). `names` gives the names to report
    files under (an upload's original name).

    With `workers=1` (the default for files of 8 MiB or more on a machine with two cores or
    more) reading, parsing and mapping run in a second process while this one validates and
    writes; `workers=0` keeps everything in this process (the web upload does).
    """
    from tenderwatch.ledger.ingest.writer import bundles_write

    paths = [Path(p) for p in paths]
    names = dict(names or {})
    shown = {p: names.get(p, p.name) for p in paths}
    if workers is None:
        size = sum(p.stat().st_size for p in paths)
        workers = 1 if (os.cpu_count() or 1) >= 2 and size >= PARALLEL_MIN_BYTES else 0
    return bundles_write(
        prepared_items(paths, names=shown, source=source, workers=workers),
        actor=actor,
        label=label or ("ocds:" + ",".join(shown.values()))[:200],
        batch_size=batch_size,
        progress=progress,
        details={
            "format": "ocds",
            "source": source,
            "files": {shown[p]: _sha256(p) for p in paths},
        },
    )


def prepared_items(
    paths: list[Path], *, names: Mapping[Path, str], source: str, workers: int = 0
) -> Iterator[Any]:
    """Bundles validated and checked (`writer.Prepared`) or refused (`writer.Refusal`), in file
    order. With `workers`, the files are read, mapped, validated and checked in a forked process,
    which hands the results over in chunks through a bounded queue (memory stays flat: a few
    chunks wait), each bundle as its JSON (`writer.prepare(portable=True)`)."""
    from tenderwatch.ledger.ingest import writer

    ids: dict[Any, Any] = {}
    if not workers:
        for item in bundles_from(read_sources(paths, names=names), source=source):
            yield writer.prepare(item, ids)
        return
    import multiprocessing

    writer.make_twins()  # created once, before forking
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=8)
    worker = context.Process(
        target=_prepare_in_worker,
        args=(paths, dict(names), source, queue, translation.get_language()),
        daemon=True,
    )
    worker.start()
    try:
        while True:
            message = queue.get()
            if message is None:
                break
            if isinstance(message, str):  # the worker failed: its traceback
                raise RuntimeError(f"the OCDS reading process failed:\n{message}")
            yield from message
        worker.join()
    finally:
        if worker.is_alive():
            worker.terminate()
            worker.join()


def _prepare_in_worker(
    paths: list[Path], names: dict[Path, str], source: str, queue: Any, language: str | None
) -> None:
    """The worker: read, parse, map, validate and check; send chunks of `Prepared` bundles (as
    JSON) and `Refusal`s, then None."""
    import gc
    import traceback

    from tenderwatch.ledger.ingest import writer

    try:
        translation.activate(language or settings.LANGUAGE_CODE)
        gc.freeze()  # what the fork brought along is never collected here
        ids: dict[Any, Any] = {}
        chunk: list[Any] = []
        sent = 0
        for item in bundles_from(read_sources(paths, names=names), source=source):
            chunk.append(writer.prepare(item, ids, portable=True))
            if len(chunk) >= 50:
                queue.put(chunk)
                chunk = []
                sent += 1
                if sent % 20 == 0:
                    gc.collect()
                if len(ids) > 100_000:
                    ids.clear()
        if chunk:
            queue.put(chunk)
        queue.put(None)
    except BaseException:  # handed to the parent, which raises it
        queue.put(traceback.format_exc())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
