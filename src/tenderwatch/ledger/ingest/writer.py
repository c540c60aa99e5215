"""The bulk writer: whole contracting processes (`ProcessBundle`) into the ledger, fast.

Same meaning as `ledger.services` (read its module docstring), applied to a whole process at a
time and built for throughput:

- **Idempotent by (source, external id, version) of the project.** No project yet → created;
  a higher version → updated; the same version with the same content (SHA-256 of the bundle,
  `Project.content_sha256`) → unchanged, nothing written; the same version with other content →
  refused ("send the change as the next version"); a lower version → stale, ignored.
- **Inside an updated process** every part keeps its own version rule: lots are matched by
  external id (a lot left out is kept); bids, the opening, the committee, the evaluation, the
  award and the contracts are written when their version is higher than the stored one, skipped
  when lower, and refuse the whole bundle when equal with other content. Procedure events are
  append-only by (source, external id, version): a new version is a new row; a version at or
  below the newest stored one is skipped (an equal one with other content refuses the bundle);
  a higher version whose content equals the newest stored one is not appended again, since the
  timeline would not change.
- **Entities** by (scheme, identifier), the USCC checked; values left out or empty never erase
  what is known (as `services._upsert_entity`).
- **Each bundle is atomic.** Every check runs before anything is written: a bundle that fails
  one is refused whole, with its reason and where (a field path such as `bids[3].bidder.
  identifier`), and nothing of it is written. The rest of the batch is written.
- **Batches.** The iterable is consumed lazily, `batch_size` bundles at a time (memory stays
  flat). A batch is read with one query per table, written with bulk inserts, in one
  transaction, with ONE audit entry (`ledger.import.batch`: label, source, counts, the external
  ids created, updated and refused). If the database refuses a batch (a concurrent writer, a
  constraint we did not foresee) the batch is retried bundle by bundle, each in its own
  savepoint, and the culprit is refused with the database's message.
- **Re-importing** the same data writes nothing: no row, no batch entry. Every run ends with one
  summary entry `ledger.import.finished` (label, totals, refusals) in its own transaction, so the
  trail shows that an import ran even when it changed nothing.
- `all_or_nothing=True` (office spreadsheets, DESIGN.md "Imports"): the whole run is one
  transaction; if any bundle is refused, nothing at all is written and the report's counts are
  zero (the refusals say why); the summary entry is still recorded.

Project and lot status are derived from the timeline with `services.derive_status`, and whether
the project must be tendered with `services.assess_project` (16号令), exactly as the services do.
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
import gc
import hashlib
import json
import math
import mimetypes
import operator
import re
import sqlite3
import time
import types
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Union, get_args, get_origin

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic import BaseModel as PydanticModel

from tenderwatch.audit import services as audit
from tenderwatch.core.iterables import chunks
from tenderwatch.ledger import schemas, services, signals
from tenderwatch.ledger.identifiers import USCC_SCHEME, InvalidIdentifier, normalize_identifier
from tenderwatch.ledger.ingest import permissions as _permissions  # noqa: F401 (registers)
from tenderwatch.ledger.ingest.bundle import BundleBid, LotOutcome, ProcessBundle
from tenderwatch.ledger.models import (
    Award,
    Bid,
    BidOpening,
    CommitteeMember,
    Contract,
    Document,
    Evaluation,
    Expert,
    KeyPerson,
    Lot,
    MarketEntity,
    ProcedureEvent,
    Project,
    Qualification,
)
from tenderwatch.org.scoping import ensure_allowed

CREATED, UPDATED, UNCHANGED, STALE = "created", "updated", "unchanged", "stale"
EntityKey = tuple[str, str]


@dataclass(frozen=True)
class Refusal:
    """A bundle that was not written: its external id, why, where in the bundle (a field path
    such as `bids[3].bidder.identifier`), and where it came from (`origin`, e.g. `file:17`)."""

    external_id: str
    reason: str
    where: str = ""
    origin: str = ""


@dataclass
class IngestReport:
    """What a run did. Counts are of bundles (projects); `bids_written` of bid rows."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    refused: list[Refusal] = field(default_factory=list)
    bids_written: int = 0
    batches: int = 0
    elapsed: float = 0.0
    rolled_back: bool = False

    @property
    def ok(self) -> bool:
        return not self.refused

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.stale + len(self.refused)

    def counts(self) -> dict[str, int]:
        return {
            CREATED: self.created,
            UPDATED: self.updated,
            UNCHANGED: self.unchanged,
            STALE: self.stale,
            "refused": len(self.refused),
            "bids_written": self.bids_written,
        }


class _Refused(Exception):
    def __init__(self, reason: str, where: str = "") -> None:
        super().__init__(reason)
        self.reason, self.where = reason, where


class _RollBack(Exception):
    """Raised inside the run's transaction to undo an all-or-nothing run."""


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def bundle_digest(bundle: ProcessBundle) -> str:
    """SHA-256 of the bundle's JSON in pydantic's field order (`Project.content_sha256`)."""
    return hashlib.sha256(bundle.model_dump_json(exclude_defaults=False).encode()).hexdigest()


# -- checks that need no database ----------------------------------------------------------------


class _Item:
    """One bundle of a batch: what deciding needs (key, version, digest) at hand, the bundle
    itself rebuilt only when there is something to write."""

    __slots__ = (
        "_bundle",
        "digest",
        "external_id",
        "origin",
        "outcome",
        "payload",
        "project",
        "source",
        "version",
    )

    def __init__(self, prepared: Prepared) -> None:
        self._bundle = prepared.bundle
        self.payload = prepared.payload
        self.source, self.external_id = prepared.source, prepared.external_id
        self.version, self.digest, self.origin = prepared.version, prepared.digest, prepared.origin
        self.outcome = ""
        self.project: Project | None = None  # the stored project (updates)

    @property
    def bundle(self) -> ProcessBundle:
        if self._bundle is None:
            assert self.payload is not None
            self._bundle = bundle_from_payload(self.payload)
        return self._bundle


# -- validation of mappings ------------------------------------------------------------------------
#
# File imports are validated with the feed API's own schemas (`ledger.schemas`), through twins of
# those classes that give the same answers faster: django-ninja's Schema wraps every nested object
# in a DjangoGetter to read ORM objects (a Python call per field, most of the validation time),
# which mappings do not need; the control-character check runs as one regular-expression search
# and falls back to the schema's own check to raise its error; the USCC check is remembered per
# identifier. Same fields, constraints, validators and messages; the twins are subclasses, so a
# validated bundle *is* a ProcessBundle. tests/test_ingest_writer.py compares both on good and
# bad input.

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what schemas._check_text refuses


def _fast_check_text(value: str) -> str:
    if _CONTROL.search(value) is not None:
        return schemas._check_text(value)  # raises the schema's own error
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return schemas._check_text(value)
    return value


def _fast_text(cls: Any, value: Any) -> Any:
    if isinstance(value, str):
        _fast_check_text(value)
    return value


@lru_cache(maxsize=200_000)
def _normalized(
    scheme: str, identifier: str, language: str | None
) -> tuple[str, str] | tuple[str, str, str]:
    try:
        return normalize_identifier(scheme, identifier)
    except InvalidIdentifier as exc:
        return ("!", str(exc.code), str(exc))


def _fast_identifier(cls: Any, value: str, info: ValidationInfo) -> str:
    scheme = info.data.get("scheme")
    if scheme is None:  # the scheme itself is invalid: reported there
        return value
    language = info.context.get("language") if info.context else translation.get_language()
    result = _normalized(scheme, value, language)
    if len(result) == 3:
        raise schemas._error(result[1], result[2])
    return result[1]


def _identity(cls: Any, value: Any) -> Any:
    return value


_SCHEME = re.compile(r"^[A-Z0-9][A-Z0-9-]*$")


def _fast_scheme(cls: Any, value: str) -> str:
    """EntityIn._scheme, with the fast text check."""
    upper = value.upper() or USCC_SCHEME
    if upper == USCC_SCHEME:
        return upper
    _fast_check_text(upper)
    if not _SCHEME.match(upper):
        return str(schemas.EntityIn._scheme(value))  # raises its error
    return upper


_IPV4 = re.compile(
    r"^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$"
)


def _fast_ip(cls: Any, value: str | None) -> str | None:
    """BidIn._ip: a plain dotted-quad IPv4 address is already in the form ipaddress gives it."""
    if value and _IPV4.match(value):
        return value
    result: str | None = schemas.BidIn._ip(value)
    return result


_TWINS: dict[tuple[type[Any], bool], type[Any]] = {}


def _no_text_check(cls: Any, value: Any) -> Any:  # pragma: no cover — bound to no field
    return value


def _json_checker(checked: bool) -> Callable[[Any], Any]:
    """schemas._check_json, the same walk with the fast text check (none when `checked`)."""

    def check(value: Any, depth: int = 0) -> Any:
        if depth > 20:
            return schemas._check_json(value, depth)  # raises its error
        if isinstance(value, str):
            return value if checked else _fast_check_text(value)
        if isinstance(value, float) and not math.isfinite(value):
            return schemas._check_json(value, depth)
        if isinstance(value, dict):
            for key, item in value.items():
                if not checked:
                    _fast_check_text(str(key))
                check(item, depth + 1)
        elif isinstance(value, list):
            for item in value:
                check(item, depth + 1)
        elif isinstance(value, Mapping):  # pragma: no cover — JSON gives dicts
            return schemas._check_json(value, depth)
        return value

    return check


_CHECK_JSON = {False: _json_checker(False), True: _json_checker(True)}


@lru_cache(maxsize=16)
def _fast_decimal(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A decimal parser of `schemas` (Money, Percent, Score), faster for the usual input: a
    plain decimal string within its size gives the same Decimal; anything else goes to the
    parser itself, for its answer or its error."""
    closure = [c.cell_contents for c in parse.__closure__ or ()]
    cells = dict(zip(parse.__code__.co_freevars, closure, strict=True))
    whole, places = int(cells["max_int_digits"]), int(cells["places"])
    maximum = cells["maximum"]
    plain = re.compile(rf"^[0-9]{{1,{whole}}}(\.[0-9]{{1,{places}}})?$")

    def fast(value: Any) -> Any:
        if type(value) is str and plain.match(value):
            number = Decimal(value)
            if maximum is None or number <= maximum:
                return number
        return parse(value)

    return fast


def _swap_metadata(metadata: list[Any], checked: bool) -> list[Any]:
    out = []
    for m in metadata:
        if isinstance(m, AfterValidator) and m.func is schemas._check_text:
            if checked:
                continue
            m = AfterValidator(_fast_check_text)
        elif isinstance(m, AfterValidator) and m.func is schemas._check_json:
            m = AfterValidator(_CHECK_JSON[checked])
        elif (
            isinstance(m, BeforeValidator)
            and getattr(m.func, "__qualname__", "") == "_decimal_parser.<locals>.parse"
        ):
            m = BeforeValidator(_fast_decimal(m.func))
        out.append(m)
    return out


def _swap(annotation: Any, checked: bool) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, PydanticModel):
        return _twin(annotation, checked)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        inner = _swap(args[0], checked)
        metadata = _swap_metadata(list(args[1:]), checked)
        return Annotated[(inner, *metadata)] if metadata else inner
    if origin is list:
        return list[_swap(args[0], checked)]  # type: ignore[misc]
    if origin in (Union, types.UnionType):
        return Union[tuple(_swap(a, checked) for a in args)]  # noqa: UP007
    return annotation


def _twin(model: type[Any], checked: bool = False) -> type[Any]:
    """A subclass of a ninja Schema that validates mappings without DjangoGetter. With
    `checked`, the caller has already made sure no text holds a control character or a lone
    surrogate (`texts_clean`), and the per-field text check is left out."""
    if (model, checked) in _TWINS:
        return _TWINS[(model, checked)]
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__module__": __name__, "__qualname__": model.__qualname__}
    for name, info in model.model_fields.items():
        annotation = _swap(info.annotation, checked)
        metadata = _swap_metadata(list(info.metadata), checked)
        if annotation is info.annotation and metadata == list(info.metadata):
            continue
        new = copy.copy(info)
        new.annotation, new.metadata = annotation, metadata
        annotations[name] = annotation
        namespace[name] = new
    namespace["__annotations__"] = annotations
    namespace["model_config"] = ConfigDict(from_attributes=False)
    namespace["_run_root_validator"] = model_validator(mode="before")(classmethod(_identity))  # type: ignore[arg-type]
    validators = model.__pydantic_decorators__.field_validators
    if "_text" in validators:
        namespace["_text"] = (
            # Bound to no field: the inherited check of every field is switched off.
            field_validator("_texts_checked_before", check_fields=False)(
                classmethod(_no_text_check)
            )
            if checked
            else field_validator("*", mode="after")(classmethod(_fast_text))
        )
    if model is schemas.EntityIn:
        namespace["_identifier"] = field_validator("identifier")(classmethod(_fast_identifier))
        namespace["_scheme"] = field_validator("scheme")(classmethod(_fast_scheme))
    if "_ip" in validators:
        namespace["_ip"] = field_validator("client_ip")(classmethod(_fast_ip))
    # A module-level name of its own, so that validated bundles pickle (the OCDS reader's
    # worker process hands them over that way).
    name = f"_{model.__name__}{'Checked' if checked else 'Twin'}"
    namespace["__qualname__"] = name
    metaclass: Any = type(model)
    twin: type[Any] = metaclass(model.__name__, (model,), namespace)
    globals()[name] = twin
    _TWINS[(model, checked)] = twin
    return twin


def make_twins() -> None:
    """Create the families of twin classes (before forking, or before unpickling bundles)."""
    _twin(ProcessBundle, False)
    _twin(ProcessBundle, True)
    _trusted(ProcessBundle)


# -- bundles handed between processes --------------------------------------------------------------
#
# The OCDS reader's worker process validates and checks the bundles, and hands them to the writing
# process as their own JSON (`model_dump_json(exclude_unset=True)`: bytes cross a pipe cheaply,
# pickled models do not). The writer rebuilds a bundle from that JSON only when it has something
# to write (a process already stored unchanged needs nothing but its digest), with "trusted"
# twins: the same fields and types with every Python validator left out — the values were
# validated once, by the schemas' own rules, and their JSON gives back the same values (decimals
# keep their places, times their offsets, enums their members; the fields left out stay unset,
# which `_entity_values` reads). Only a document's model validator stays (it decodes the content).

_TRUSTED: dict[type[Any], type[Any]] = {}


def _unchecked(metadata: list[Any]) -> list[Any]:
    return [m for m in metadata if not isinstance(m, AfterValidator | BeforeValidator)]


def _trusted_type(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, PydanticModel):
        return _trusted(annotation)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        inner = _trusted_type(args[0])
        metadata = _unchecked(list(args[1:]))
        return Annotated[(inner, *metadata)] if metadata else inner
    if origin is list:
        return list[_trusted_type(args[0])]  # type: ignore[misc]
    if origin in (Union, types.UnionType):
        return Union[tuple(_trusted_type(a) for a in args)]  # noqa: UP007
    return annotation


def _trusted(model: type[Any]) -> type[Any]:
    """A subclass of a schema that rebuilds what that schema validated (from its own JSON)."""
    if model in _TRUSTED:
        return _TRUSTED[model]
    annotations: dict[str, Any] = {}
    name = f"_{model.__name__}Trusted"
    namespace: dict[str, Any] = {"__module__": __name__, "__qualname__": name}
    for field_name, info in model.model_fields.items():
        new = copy.copy(info)
        new.annotation = _trusted_type(info.annotation)
        new.metadata = _unchecked(list(info.metadata))
        annotations[field_name] = new.annotation
        namespace[field_name] = new
    namespace["__annotations__"] = annotations
    namespace["model_config"] = ConfigDict(from_attributes=False)
    namespace["_run_root_validator"] = model_validator(mode="before")(classmethod(_identity))  # type: ignore[arg-type]
    for validator_name in model.__pydantic_decorators__.field_validators:
        # Bound to no field: the inherited validator is switched off.
        namespace[validator_name] = field_validator("_trusted_", check_fields=False)(
            classmethod(_no_text_check)
        )
    metaclass: Any = type(model)
    trusted: type[Any] = metaclass(model.__name__, (model,), namespace)
    globals()[name] = trusted
    _TRUSTED[model] = trusted
    return trusted


def bundle_payload(bundle: ProcessBundle) -> bytes:
    """A validated bundle as the JSON `bundle_from_payload` rebuilds it from."""
    return bundle.model_dump_json(exclude_unset=True).encode()


def bundle_from_payload(payload: bytes) -> ProcessBundle:
    """The bundle `bundle_payload` wrote (no validation: it was validated where it was made)."""
    bundle: ProcessBundle = _trusted(ProcessBundle).model_validate_json(payload)
    return bundle


# JSON text that may hold a control character (other than tab, CR, LF it is escaped as \u00XX,
# \b or \f) or a lone surrogate (\uD800–\uDFFF, or its UTF-8 bytes ED A0–BF): where none of
# these appears, no string decoded from the text can hold one. False alarms only cost time.
_RAW_SUSPECT = re.compile(rb"\\u00[01][0-9a-fA-F]|\\[bf]|\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


def texts_clean(raw_json: bytes) -> bool:
    """True when no string decoded from this JSON text can hold a control character or a lone
    surrogate (what `schemas._check_text` refuses): the per-field check can be skipped."""
    if b"\\" not in raw_json and b"\xed" not in raw_json:  # no escape at all: nothing to find
        return True
    return _RAW_SUSPECT.search(raw_json) is None


def validate_bundle(data: Mapping[str, Any], *, texts_checked: bool = False) -> ProcessBundle:
    """A mapping validated as a ProcessBundle (raises pydantic's ValidationError).
    `texts_checked`: every string in `data` comes from JSON text that passed `texts_clean`."""
    return _twin(ProcessBundle, texts_checked).model_validate(
        data, context={"language": translation.get_language()}
    )


def _validate(raw: ProcessBundle | Mapping[str, Any]) -> ProcessBundle:
    """A bundle as given, or validated from a mapping (files): pydantic errors become refusals.
    A mapping's `_texts_checked` says its texts passed `texts_clean` (the OCDS reader's lines)."""
    if isinstance(raw, ProcessBundle):
        return raw
    try:
        return validate_bundle(raw, texts_checked=bool(raw.get("_texts_checked")))
    except ValidationError as exc:
        errors = schemas.field_errors(exc.errors())
        first = errors[0] if errors else {"field": "", "message": str(exc)}
        more = len(errors) - 1
        reason = first["message"]
        if more > 0:
            reason += " " + _("(and %(n)d more problems)") % {"n": more}
        raise _Refused(reason, first["field"]) from None


def _check_entity(
    entity: schemas.EntityIn, where: str, cache: dict[EntityKey, EntityKey], language: str | None
) -> None:
    """The USCC check (GB 32100-2015) even for bundles built without validation."""
    key = (entity.scheme, entity.identifier)
    if key in cache:
        return
    result = _normalized(entity.scheme, entity.identifier, language)
    if len(result) == 3:
        raise _Refused(result[2], f"{where}.identifier")
    cache[key] = (result[0], result[1])
    if cache[key] != key:  # not normalised (a bundle built with model_construct)
        entity.scheme, entity.identifier = cache[key]


_TWICE = {
    "bid": gettext_noop("Bid %(bid)s appears twice in lot %(lot)s."),
    "event": gettext_noop("Version %(version)d of event %(id)s appears twice."),
    "outcome": gettext_noop("Lot %(lot)s has two outcome records."),
    "contract": gettext_noop("Contract %(id)s appears twice."),
}


def _once(seen: set[Any], what: str, where: str, **names: Any) -> None:
    """Refuse a part named twice (the same `names`): "`what` appears twice"."""
    key = tuple(names.values())
    if key in seen:
        raise _Refused(_(_TWICE[what]) % names, where)
    seen.add(key)


def _static_checks(bundle: ProcessBundle, ids: dict[EntityKey, EntityKey]) -> None:
    """Everything that can be checked from the bundle alone."""
    language = translation.get_language()
    project = bundle.project
    if project.external_id is None:
        project.external_id = bundle.external_id
    elif project.external_id != bundle.external_id:
        raise _Refused(
            _("The project's external id %(a)s differs from the bundle's %(b)s.")
            % {"a": project.external_id, "b": bundle.external_id},
            "project.external_id",
        )
    for name in ("tenderer", "agency"):
        entity = getattr(project, name)
        if entity is not None:
            _check_entity(entity, f"project.{name}", ids, language)
    seen_bids: set[tuple[Any, ...]] = set()
    for i, bid in enumerate(bundle.bids):
        where = f"bids[{i}].external_id"
        _once(seen_bids, "bid", where, bid=bid.external_id, lot=bid.lot_external_id)
        _check_entity(bid.bidder, f"bids[{i}].bidder", ids, language)
        for j, member in enumerate(bid.consortium_members):
            _check_entity(member, f"bids[{i}].consortium_members[{j}]", ids, language)
    seen_events: set[tuple[Any, ...]] = set()
    for i, event in enumerate(bundle.events):
        where = f"events[{i}].external_id"
        _once(seen_events, "event", where, id=event.external_id, version=event.version)
    seen_lots: set[tuple[Any, ...]] = set()
    for i, outcome in enumerate(bundle.outcomes):
        _once(seen_lots, "outcome", f"outcomes[{i}].lot_external_id", lot=outcome.lot_external_id)
        contract_ids: set[tuple[Any, ...]] = set()
        for j, contract in enumerate(outcome.contracts):
            where = f"outcomes[{i}].contracts[{j}]"
            if not contract.external_id:
                raise _Refused(_("A contract needs its external id."), f"{where}.external_id")
            _once(contract_ids, "contract", f"{where}.external_id", id=contract.external_id)
            if contract.supplier is not None:
                _check_entity(contract.supplier, f"{where}.supplier", ids, language)


# -- the stored state of a batch -----------------------------------------------------------------


@dataclass
class _Stored:
    """What the database holds of the updated projects of a batch, read with one query each."""

    lots: dict[int, dict[str, Lot]] = field(default_factory=dict)  # project id → ext → lot
    bids: dict[int, dict[str, Bid]] = field(default_factory=dict)  # lot id → ext → bid
    consortium: dict[int, list[EntityKey]] = field(default_factory=dict)  # bid id → keys
    events: dict[int, list[ProcedureEvent]] = field(default_factory=dict)  # project id → events
    openings: dict[int, BidOpening] = field(default_factory=dict)  # lot id →
    committees: dict[int, list[CommitteeMember]] = field(default_factory=dict)
    evaluations: dict[int, list[Evaluation]] = field(default_factory=dict)  # lot id →
    awards: dict[int, Award] = field(default_factory=dict)  # lot id →
    contracts: dict[int, dict[str, Contract]] = field(default_factory=dict)  # lot id → ext →

    @classmethod
    def load(cls, project_ids: list[int]) -> _Stored:
        state = cls()
        if not project_ids:
            return state
        lot_ids: list[int] = []
        for lot in Lot.objects.filter(project_id__in=project_ids):
            state.lots.setdefault(lot.project_id, {})[lot.external_id] = lot
            lot_ids.append(lot.pk)
        for event in (
            ProcedureEvent.objects.filter(project_id__in=project_ids)
            .select_related("document")
            .order_by("occurred_at", "pk")
        ):
            state.events.setdefault(event.project_id, []).append(event)
        if not lot_ids:
            return state
        bid_ids: list[int] = []
        for bid in Bid.objects.filter(lot_id__in=lot_ids).select_related(
            "bidder", "project_manager"
        ):
            state.bids.setdefault(bid.lot_id, {})[bid.external_id] = bid
            bid_ids.append(bid.pk)
        through = Bid.consortium_members.through
        for bid_id, scheme, identifier in through.objects.filter(bid_id__in=bid_ids).values_list(
            "bid_id", "marketentity__scheme", "marketentity__identifier"
        ):
            state.consortium.setdefault(bid_id, []).append((scheme, identifier))
        for opening in BidOpening.objects.filter(lot_id__in=lot_ids).select_related("document"):
            state.openings[opening.lot_id] = opening
        for member in CommitteeMember.objects.filter(lot_id__in=lot_ids).select_related("expert"):
            state.committees.setdefault(member.lot_id, []).append(member)
        for evaluation in Evaluation.objects.filter(bid__lot_id__in=lot_ids).select_related("bid"):
            state.evaluations.setdefault(evaluation.bid.lot_id, []).append(evaluation)
        for award in Award.objects.filter(lot_id__in=lot_ids).select_related("bid"):
            state.awards[award.lot_id] = award
        for contract in Contract.objects.filter(lot_id__in=lot_ids).select_related("supplier"):
            state.contracts.setdefault(contract.lot_id, {})[contract.external_id] = contract
        return state


# -- the plan of one bundle ----------------------------------------------------------------------


@lru_cache(maxsize=64)
def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The values of these attributes, as a tuple (also of one name)."""
    get = operator.attrgetter(*names)
    return get if len(names) > 1 else lambda obj: (get(obj),)


def _row(data: Any, names: tuple[str, ...]) -> list[Any]:
    """The values of these fields as the database takes them: enum members as their values,
    None as "" for the choice fields left blank (`services.BLANK_WHEN_NONE`)."""
    values = [v.value if isinstance(v, enum.Enum) else v for v in _getter(names)(data)]
    if _blank_positions(names):
        for i in _blank_positions(names):
            if values[i] is None:
                values[i] = ""
    return values


@lru_cache(maxsize=64)
def _blank_positions(names: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(i for i, name in enumerate(names) if name in services.BLANK_WHEN_NONE)


def _values(data: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return dict(zip(names, _row(data, names), strict=True))


def _differ(obj: Any, values: Mapping[str, Any]) -> bool:
    return any(getattr(obj, k) != v for k, v in values.items())


def _conflict(what: str, external_id: str, version: int, where: str) -> _Refused:
    return _Refused(
        _(
            "Version %(version)d of %(what)s %(id)s was already received with other content; "
            "send the change as version %(next)d."
        )
        % {"version": version, "what": what, "id": external_id, "next": version + 1},
        where,
    )


def _event_same(event: ProcedureEvent, data: schemas.EventIn, lot_id: int | None) -> bool:
    return (
        event.kind == _plain(data.kind)
        and event.occurred_at == data.occurred_at
        and event.lot_id == lot_id
        and event.data == data.data
        and event.note == data.note
        and (event.document.sha256 if event.document_id else None)  # type: ignore[union-attr]
        == (data.document.sha256 if data.document else None)
    )


def _member_key(m: CommitteeMember) -> tuple[Any, ...]:
    return (m.name, m.role, m.expert.pool_id if m.expert_id else "", m.drawn_randomly)  # type: ignore[union-attr]


def _member_in_key(m: schemas.CommitteeMemberIn) -> tuple[Any, ...]:
    return (m.name, _plain(m.role), m.expert_pool_id, m.drawn_randomly)


@dataclass
class _Plan:
    """What to write for one bundle: decided before anything of the batch is written."""

    item: _Item
    lots_new: list[schemas.LotIn] = field(default_factory=list)
    lots_changed: list[tuple[Lot, dict[str, Any]]] = field(default_factory=list)
    events: list[schemas.EventIn] = field(default_factory=list)
    bids_new: list[BundleBid] = field(default_factory=list)
    bids_changed: list[tuple[Bid, BundleBid]] = field(default_factory=list)
    openings: list[tuple[str, schemas.OpeningIn, BidOpening | None]] = field(default_factory=list)
    committees: list[tuple[str, schemas.CommitteeIn, bool]] = field(default_factory=list)
    evaluations: list[tuple[str, schemas.EvaluationIn, bool]] = field(default_factory=list)
    awards: list[tuple[str, schemas.AwardIn, Award | None]] = field(default_factory=list)
    contracts: list[tuple[str, schemas.ContractIn, Contract | None]] = field(default_factory=list)


def _plan(item: _Item, stored: _Stored, elsewhere: dict[tuple[str, str], int]) -> _Plan:
    """Decide what to write for one bundle, or raise _Refused. Reads nothing from the database:
    `stored` holds the updated projects' rows, `elsewhere` the project id of every stored event
    version named by the batch."""
    bundle, plan = item.bundle, _Plan(item)
    source = bundle.source
    project_id = item.project.pk if item.project is not None else None
    lots = stored.lots.get(project_id, {}) if project_id else {}
    lot_ids = set(lots)
    for lot_data in bundle.project.lots:
        lot = lots.get(lot_data.external_id)
        values = _values(lot_data, services.LOT_FIELDS)
        if lot is None:
            plan.lots_new.append(lot_data)
        elif _differ(lot, values):
            plan.lots_changed.append((lot, values))
        lot_ids.add(lot_data.external_id)

    def known_lot(lot_external_id: str | None, where: str) -> None:
        if lot_external_id and lot_external_id not in lot_ids:
            raise _Refused(
                _("Lot %(lot)s is not part of project %(project)s.")
                % {"lot": lot_external_id, "project": bundle.external_id},
                where,
            )

    # Events: append-only by (source, external id, version).
    versions: dict[str, list[ProcedureEvent]] = defaultdict(list)
    for event in stored.events.get(project_id, []) if project_id else []:
        if event.source == source:
            versions[event.external_id].append(event)
    for i, data in enumerate(bundle.events):
        where = f"events[{i}]"
        known_lot(data.lot_external_id, f"{where}.lot_external_id")
        other = elsewhere.get((data.external_id, source))
        if other is not None and other != project_id:
            raise _Refused(
                _("Event %(id)s belongs to another project.") % {"id": data.external_id},
                f"{where}.external_id",
            )
        have = versions.get(data.external_id, [])
        if not have:
            plan.events.append(data)
            continue
        lot = lots.get(data.lot_external_id or "")
        lot_pk = lot.pk if lot is not None else None
        newest = max(have, key=lambda e: e.version)
        same = next((e for e in have if e.version == data.version), None)
        if same is not None:
            if not _event_same(same, data, lot_pk):
                raise _conflict(_("procedure event"), data.external_id, data.version, where)
            continue
        if data.version < newest.version or _event_same(newest, data, lot_pk):
            continue
        plan.events.append(data)

    # Bids.
    for i, bid_data in enumerate(bundle.bids):
        where = f"bids[{i}]"
        known_lot(bid_data.lot_external_id, f"{where}.lot_external_id")
        lot = lots.get(bid_data.lot_external_id)
        bid = stored.bids.get(lot.pk, {}).get(bid_data.external_id) if lot else None
        if bid is None:
            plan.bids_new.append(bid_data)
        elif bid_data.version > bid.version:
            plan.bids_changed.append((bid, bid_data))
        elif bid_data.version == bid.version and not _bid_same(bid, bid_data, stored):
            raise _conflict(_("bid"), bid_data.external_id, bid_data.version, where)

    bid_ids_by_lot: dict[str, set[str]] = defaultdict(set)
    for bid_data in bundle.bids:
        bid_ids_by_lot[bid_data.lot_external_id].add(bid_data.external_id)
    for lot_ext, lot in lots.items():
        bid_ids_by_lot[lot_ext].update(stored.bids.get(lot.pk, {}))

    def known_bid(lot_ext: str, bid_ext: str, where: str) -> None:
        if bid_ext not in bid_ids_by_lot.get(lot_ext, set()):
            raise _Refused(
                _("Bid %(bid)s is not in lot %(lot)s.") % {"bid": bid_ext, "lot": lot_ext},
                where,
            )

    for i, outcome in enumerate(bundle.outcomes):
        _plan_outcome(plan, i, outcome, lots.get(outcome.lot_external_id), stored, known_bid)
        known_lot(outcome.lot_external_id, f"outcomes[{i}].lot_external_id")
    return plan


def _bid_same(bid: Bid, data: BundleBid, stored: _Stored) -> bool:
    pm = data.project_manager
    person = bid.project_manager
    return (
        not _differ(bid, _values(data, services.BID_FIELDS))
        and (bid.bidder.scheme, bid.bidder.identifier) == data.bidder.key()
        and ((person.name, person.certificate_no) if person else None)
        == ((pm.name, pm.certificate_no) if pm else None)
        and sorted(stored.consortium.get(bid.pk, []))
        == sorted(m.key() for m in data.consortium_members)
    )


def _plan_outcome(
    plan: _Plan,
    i: int,
    outcome: LotOutcome,
    lot: Lot | None,
    stored: _Stored,
    known_bid: Callable[[str, str, str], None],
) -> None:
    lot_ext = outcome.lot_external_id
    base = f"outcomes[{i}]"
    lot_pk = lot.pk if lot is not None else None

    def decide(
        what: str, version: int, current: int | None, same: Callable[[], bool], where: str
    ) -> bool:
        """True when the part is to be written (`what`: a msgid, translated for a refusal)."""
        if current is None or version > current:
            return True
        if version == current and not same():
            raise _conflict(_(what), lot_ext, version, where)
        return False

    if outcome.opening is not None:
        data = outcome.opening
        opening = stored.openings.get(lot_pk) if lot_pk else None
        if decide(
            gettext_noop("bid opening"),
            data.version,
            opening.version if opening else None,
            lambda: (
                not _differ(opening, _values(data, services.OPENING_FIELDS))
                and (opening.document.sha256 if opening.document_id else None)  # type: ignore[union-attr]
                == (data.document.sha256 if data.document else None)
            ),
            f"{base}.opening.version",
        ):
            plan.openings.append((lot_ext, data, opening))
    if outcome.committee is not None:
        committee = outcome.committee
        members = stored.committees.get(lot_pk, []) if lot_pk else []
        if decide(
            gettext_noop("Evaluation committee"),
            committee.version,
            max((m.version for m in members), default=None),
            lambda: (
                sorted(map(_member_key, members)) == sorted(map(_member_in_key, committee.members))
            ),
            f"{base}.committee.version",
        ):
            plan.committees.append((lot_ext, committee, bool(members)))
    if outcome.evaluation is not None:
        evaluation = outcome.evaluation
        for j, row in enumerate(evaluation.results):
            known_bid(
                lot_ext, row.bid_external_id, f"{base}.evaluation.results[{j}].bid_external_id"
            )
        rows = stored.evaluations.get(lot_pk, []) if lot_pk else []

        def same_evaluation() -> bool:
            have = {r.bid.external_id: r for r in rows}
            wanted = {
                r.bid_external_id: _values(r, services.EVALUATION_FIELDS)
                for r in evaluation.results
            }
            return set(have) == set(wanted) and not any(
                _differ(have[k], v) for k, v in wanted.items()
            )

        if decide(
            gettext_noop("evaluation"),
            evaluation.version,
            max((r.version for r in rows), default=None),
            same_evaluation,
            f"{base}.evaluation.version",
        ):
            plan.evaluations.append((lot_ext, evaluation, bool(rows)))
    award_data = outcome.award
    award = stored.awards.get(lot_pk) if lot_pk else None
    if award_data is not None:
        known_bid(lot_ext, award_data.bid_external_id, f"{base}.award.bid_external_id")
        if decide(
            gettext_noop("award"),
            award_data.version,
            award.version if award else None,
            lambda: (
                award.bid.external_id == award_data.bid_external_id  # type: ignore[union-attr]
                and not _differ(award, _values(award_data, ("notice_at", "amount", "currency")))
            ),
            f"{base}.award.version",
        ):
            plan.awards.append((lot_ext, award_data, award))
    contracts = stored.contracts.get(lot_pk, {}) if lot_pk else {}
    for j, data_c in enumerate(outcome.contracts):
        where = f"{base}.contracts[{j}]"
        if data_c.supplier is None and award_data is None and award is None:
            raise _Refused(
                _("Name the supplier: the lot has no award to take it from."), f"{where}.supplier"
            )
        contract = contracts.get(data_c.external_id or "")

        def same_contract(
            contract: Contract | None = contract, data_c: schemas.ContractIn = data_c
        ) -> bool:
            supplier = data_c.supplier.key() if data_c.supplier else None
            have = (contract.supplier.scheme, contract.supplier.identifier)  # type: ignore[union-attr]
            return not _differ(contract, _values(data_c, services.CONTRACT_FIELDS)) and (
                supplier is None or supplier == have
            )

        if decide(
            gettext_noop("contract"),
            data_c.version,
            contract.version if contract else None,
            same_contract,
            f"{where}.version",
        ):
            plan.contracts.append((lot_ext, data_c, contract))


# -- raw inserts ----------------------------------------------------------------------------------

# Column types whose Python values the database driver cannot take as they are (aware times on
# SQLite, JSON, IP addresses): converted as the field's own get_db_prep_save converts them.
# Decimals go as they are (Django's adapters take them on both databases).
_CONVERTED = {"DateTimeField", "DateField", "JSONField", "GenericIPAddressField"}


def _converter(f: Any) -> Callable[[Any], Any] | None:
    kind = f.get_internal_type()
    if kind not in _CONVERTED:
        return None
    sqlite_utc = settings.USE_TZ and str(connection.timezone) == "UTC"
    if connection.vendor == "sqlite" and kind == "DateTimeField" and sqlite_utc:
        # What DatabaseOperations.adapt_datetimefield_value does for SQLite (naive UTC text),
        # without its per-value overhead.
        return lambda v: str(v.astimezone(dt.UTC).replace(tzinfo=None))
    if connection.vendor == "sqlite" and kind == "DateField":
        return lambda v: v.isoformat()
    if connection.vendor == "sqlite" and kind == "JSONField" and f.encoder is None:
        return _json_text  # DatabaseOperations.adapt_json_value with no encoder
    return lambda v: f.get_db_prep_save(v, connection)


def _json_text(value: Any) -> str:
    if type(value) is dict and not value:  # most events' details
        return "{}"
    return json.dumps(value)


class _Insert:
    """INSERT of many rows of one model without building model instances: the field's own
    conversion for the few types that need one, `executemany`, or multi-row INSERT … RETURNING
    where the ids are needed (SQLite ≥ 3.35 and PostgreSQL return them in insertion order, as
    Django's bulk_create relies on). Table and column names come from the models, never from
    data, so building the statement from them is safe."""

    def __init__(self, model: type[Any], names: Sequence[str]) -> None:
        opts = model._meta
        self.fields = [opts.get_field(n) for n in names]
        self.table = connection.ops.quote_name(opts.db_table)
        self.columns = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        self.pk = connection.ops.quote_name(opts.pk.column)
        self.prep = [(i, c) for i, c in enumerate(map(_converter, self.fields)) if c is not None]
        marks = ", ".join([_placeholder()] * len(names))
        self.one = f"INSERT INTO {self.table} ({self.columns}) VALUES ({marks})"  # noqa: S608

    def _rows(self, rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
        prep = self.prep
        seen: dict[Any, Any] = {}  # times repeat (the batch's `now`, a process's dates)
        out = []
        for row in rows:
            values = row if type(row) is list else list(row)  # the callers' own lists: in place
            for i, conv in prep:
                value = values[i]
                if value is None:
                    continue
                if isinstance(value, dt.datetime):
                    done = seen.get(value)
                    if done is None:
                        done = seen[value] = conv(value)
                    values[i] = done
                else:
                    values[i] = conv(value)
            out.append(values)
        return out

    def many(self, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        with _cursor() as cursor:
            _execute(cursor, self.one, self._rows(rows), many=True)

    def returning(self, rows: Sequence[Sequence[Any]]) -> list[int]:
        """Insert and return the new ids, in order."""
        if not rows:
            return []
        prepared = self._rows(rows)
        if not connection.features.can_return_rows_from_bulk_insert:  # pragma: no cover
            one_by_one: list[int] = []
            with connection.cursor() as cursor:
                for values in prepared:
                    cursor.execute(self.one, values)
                    one_by_one.append(
                        connection.ops.last_insert_id(cursor, self.table.strip('"'), "id")
                    )
            return one_by_one
        width = len(self.fields)
        per = max(1, _max_params() // width)
        ids: list[int] = []
        with _cursor() as cursor:
            for start in range(0, len(prepared), per):
                chunk = prepared[start : start + per]
                mark = _placeholder()
                marks = ", ".join(["(" + ", ".join([mark] * width) + ")"] * len(chunk))
                _execute(
                    cursor,
                    f"INSERT INTO {self.table} ({self.columns}) VALUES {marks} "  # noqa: S608
                    f"RETURNING {self.pk}",
                    [v for values in chunk for v in values],
                )
                ids += [row[0] for row in cursor.fetchall()]
        return ids


@contextmanager
def _cursor() -> Iterator[Any]:
    """The driver's cursor with Django's error classes, without the debug wrapper (which under
    DEBUG formats every statement with all its values for the query log) and, on SQLite,
    without rewriting each statement's placeholders: the bulk inserts are not for the log."""
    with connection.cursor() as wrapper, connection.wrap_database_errors:
        cursor = wrapper.cursor
        yield cursor


def _placeholder() -> str:
    return "?" if connection.vendor == "sqlite" else "%s"


def _execute(cursor: Any, sql: str, params: Any, *, many: bool = False) -> None:
    if connection.vendor == "sqlite":  # sqlite3's own methods: the statement is already in "?"
        (sqlite3.Cursor.executemany if many else sqlite3.Cursor.execute)(cursor, sql, params)
    elif many:
        cursor.executemany(sql, params)
    else:
        cursor.execute(sql, params)


@lru_cache(maxsize=64)
def _inserter(model: type[Any], names: tuple[str, ...], vendor: str) -> _Insert:
    return _Insert(model, names)


def _insert(model: type[Any], names: Sequence[str]) -> _Insert:
    return _inserter(model, tuple(names), connection.vendor)  # type: ignore[arg-type]


def _max_params() -> int:
    if connection.vendor == "sqlite":
        try:
            import sqlite3

            raw: Any = connection.connection
            limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
            return max(999, min(int(limit), 30_000))
        except (AttributeError, TypeError):  # pragma: no cover — Python < 3.11
            return 999
    return 30_000


# -- entities, key people, experts, documents ------------------------------------------------------

_ENTITY_COLUMNS = ("id", "scheme", "identifier", *services.ENTITY_FIELDS)


def _entity_values(data: schemas.EntityIn) -> dict[str, Any]:
    sent = data.model_fields_set
    given = data.__dict__
    out = {}
    for name in services.ENTITY_FIELDS:
        if name in sent or name == "name":
            value = given[name]
            if value is not None and value != "":
                out[name] = value.value if isinstance(value, enum.Enum) else value
    return out


class _Entities:
    """Market entities of a batch, resolved with one read, one insert and one update."""

    def __init__(self) -> None:
        self.values: dict[EntityKey, dict[str, Any]] = {}
        self.sources: dict[EntityKey, str] = {}
        self.with_details: dict[EntityKey, list[schemas.EntityIn]] = defaultdict(list)
        self.ids: dict[EntityKey, int] = {}
        self.created = 0

    def add(self, data: schemas.EntityIn | None, source: str) -> None:
        if data is None:
            return
        key = (data.scheme, data.identifier)
        have = self.values.get(key)
        if have is None:
            self.values[key] = _entity_values(data)
            self.sources[key] = source
        else:
            have.update(_entity_values(data))
        if data.qualifications or data.key_people:
            self.with_details[key].append(data)

    def resolve(self, now: Any) -> None:
        if not self.values:
            return
        keys = list(self.values)
        found: dict[EntityKey, dict[str, Any]] = {}
        for chunk in chunks([k[1] for k in keys]):
            for row in MarketEntity.objects.filter(identifier__in=chunk).values_list(
                *_ENTITY_COLUMNS
            ):
                found[(row[1], row[2])] = dict(zip(_ENTITY_COLUMNS, row, strict=True))
        new: list[EntityKey] = []
        changed: dict[int, dict[str, Any]] = {}
        for key in keys:
            values = self.values[key]
            have = found.get(key)
            if have is None:
                new.append(key)
                continue
            self.ids[key] = have["id"]
            diff = {k: v for k, v in values.items() if have[k] != v}
            if diff:
                changed[have["id"]] = diff
        if new:
            names = [
                "scheme",
                "identifier",
                *services.ENTITY_FIELDS,
                "source",
                "created_at",
                "updated_at",
            ]
            defaults = {
                "kind": "company",
                "legal_representative": "",
                "address": "",
                "region_code": "",
                "contact_phone": "",
                "contact_email": "",
                "registered_capital": None,
                "established_on": None,
            }
            rows = []
            for key in new:
                values = {**defaults, **self.values[key]}
                rows.append(
                    [
                        key[0],
                        key[1],
                        *(values[f] for f in services.ENTITY_FIELDS),
                        self.sources[key],
                        now,
                        now,
                    ]
                )
            ids = _insert(MarketEntity, names).returning(rows)
            for key, pk in zip(new, ids, strict=True):
                self.ids[key] = pk
            self.created += len(new)
        if changed:
            objs = []
            fields: set[str] = set()
            for pk, diff in changed.items():
                obj = MarketEntity(pk=pk, updated_at=now, **diff)
                objs.append(obj)
                fields.update(diff)
            # One UPDATE per set of changed fields: entities rarely change, so these are few.
            groups: dict[tuple[str, ...], list[MarketEntity]] = defaultdict(list)
            for obj, diff in zip(objs, changed.values(), strict=True):
                groups[tuple(sorted(diff))].append(obj)
            for group_fields, group in groups.items():
                MarketEntity.objects.bulk_update(
                    group, [*group_fields, "updated_at"], batch_size=500
                )
        if self.with_details:
            self._details()

    def _details(self) -> None:
        entity_ids = [self.ids[k] for k in self.with_details]
        quals: dict[int, list[Qualification]] = defaultdict(list)
        for q in Qualification.objects.filter(entity_id__in=entity_ids):
            quals[q.entity_id].append(q)
        people = _People()
        people.load(entity_ids)
        new_q: list[Qualification] = []
        changed_q: list[Qualification] = []
        for key, items in self.with_details.items():
            entity_id = self.ids[key]
            for data in items:
                for q_data in data.qualifications:
                    _merge_qualification(entity_id, q_data, quals[entity_id], new_q, changed_q)
                for p_data in data.key_people:
                    people.add(entity_id, p_data)
        if new_q:
            Qualification.objects.bulk_create(new_q)
        if changed_q:
            Qualification.objects.bulk_update(
                changed_q, ["grade", "issued_by", "valid_from", "valid_to"]
            )
        people.write()


def _merge_qualification(
    entity_id: int,
    data: schemas.QualificationIn,
    have: list[Qualification],
    new: list[Qualification],
    changed: list[Qualification],
) -> None:
    def matches(q: Qualification) -> bool:
        same = q.category == data.category and q.certificate_no == data.certificate_no
        return same and (bool(data.certificate_no) or q.grade == data.grade)

    values = {
        "grade": data.grade,
        "issued_by": data.issued_by,
        "valid_from": data.valid_from,
        "valid_to": data.valid_to,
    }
    q = next((q for q in have if matches(q)), None)
    if q is None:
        q = Qualification(
            entity_id=entity_id,
            category=data.category,
            certificate_no=data.certificate_no,
            **values,
        )
        have.append(q)
        new.append(q)
        return
    diff = {k: v for k, v in values.items() if v not in ("", None) and getattr(q, k) != v}
    if diff:
        for k, v in diff.items():
            setattr(q, k, v)
        if q.pk and q not in changed:
            changed.append(q)


_PERSON_FIELDS = ("name", "role", "registration_type", "certificate_no", "id_hash", "valid_to")


class _Person:
    """A key person as stored or about to be: what `_People` matches and writes."""

    __slots__ = ("dirty", "entity_id", "pk", "values")

    def __init__(self, pk: int | None, entity_id: int, values: dict[str, Any]) -> None:
        self.pk, self.entity_id, self.values, self.dirty = pk, entity_id, values, False


class _People:
    """Key people (project managers) by (entity, certificate) or (entity, name, role), as
    `services._upsert_key_person` matches them: one read and one insert per batch."""

    def __init__(self) -> None:
        self.by_cert: dict[tuple[int, str], _Person] = {}
        self.by_name: dict[tuple[int, str, str], _Person] = {}
        self.new: list[_Person] = []
        self.loaded: set[int] = set()

    def _index(self, person: _Person) -> None:
        v = person.values
        if v["certificate_no"]:
            self.by_cert.setdefault((person.entity_id, v["certificate_no"]), person)
        else:
            self.by_name.setdefault((person.entity_id, v["name"], v["role"]), person)

    def load(self, entity_ids: Iterable[int]) -> None:
        wanted = [i for i in set(entity_ids) if i not in self.loaded]
        for chunk in chunks(wanted):
            for row in (
                KeyPerson.objects.filter(entity_id__in=chunk)
                .order_by("pk")
                .values_list("pk", "entity_id", *_PERSON_FIELDS)
            ):
                self._index(
                    _Person(row[0], row[1], dict(zip(_PERSON_FIELDS, row[2:], strict=True)))
                )
        self.loaded.update(wanted)

    def add(self, entity_id: int, data: schemas.KeyPersonIn) -> _Person:
        if data.certificate_no:
            person = self.by_cert.get((entity_id, data.certificate_no))
        else:
            person = self.by_name.get((entity_id, data.name, data.role))
        values: dict[str, Any] = {
            "name": data.name,
            "role": data.role,
            "registration_type": data.registration_type,
            "certificate_no": data.certificate_no,
        }
        if data.id_number:
            values["id_hash"] = services.id_hash(data.id_number)
        if data.valid_to is not None:
            values["valid_to"] = data.valid_to
        if person is None:
            person = _Person(None, entity_id, {"id_hash": "", "valid_to": None, **values})
            self._index(person)
            self.new.append(person)
            return person
        for k, v in values.items():
            if v not in ("", None) and person.values.get(k) != v:
                person.values[k] = v
                person.dirty = person.pk is not None
        return person

    def write(self) -> None:
        if self.new:
            ids = _insert(KeyPerson, ["entity_id", *_PERSON_FIELDS]).returning(
                [[p.entity_id, *(p.values[f] for f in _PERSON_FIELDS)] for p in self.new]
            )
            for person, pk in zip(self.new, ids, strict=True):
                person.pk = pk
            self.new = []
        dirty = [p for p in [*self.by_cert.values(), *self.by_name.values()] if p.dirty]
        if dirty:
            KeyPerson.objects.bulk_update(
                [KeyPerson(pk=p.pk, entity_id=p.entity_id, **p.values) for p in dirty],
                list(_PERSON_FIELDS),
                batch_size=500,
            )
            for p in dirty:
                p.dirty = False


_EXPERT_FIELDS = ("name", "specialty", "employer")


def _experts(members: Iterable[schemas.CommitteeMemberIn]) -> dict[str, int]:
    """Experts by pool id: one read, one insert, and an update of those whose details changed."""
    wanted: dict[str, dict[str, str]] = {}
    for m in members:
        if m.expert_pool_id:
            values = wanted.setdefault(m.expert_pool_id, {"name": m.name})
            for k, v in (("name", m.name), ("specialty", m.specialty), ("employer", m.employer)):
                if v:
                    values[k] = v
    if not wanted:
        return {}
    ids: dict[str, int] = {}
    stored: dict[str, tuple[Any, ...]] = {}
    for chunk in chunks(list(wanted)):
        for pk, pool_id, *values in Expert.objects.filter(pool_id__in=chunk).values_list(
            "pk", "pool_id", *_EXPERT_FIELDS
        ):
            ids[pool_id] = pk
            stored[pool_id] = tuple(values)
    new = [pool_id for pool_id in wanted if pool_id not in ids]
    changed = []
    for pool_id, values in wanted.items():
        have = stored.get(pool_id)
        if have is None:
            continue
        merged = {**dict(zip(_EXPERT_FIELDS, have, strict=True)), **values}
        if tuple(merged[k] for k in _EXPERT_FIELDS) != have:
            changed.append(Expert(pk=ids[pool_id], pool_id=pool_id, **merged))
    if new:
        rows = [
            [
                pool_id,
                *({"specialty": "", "employer": "", **wanted[pool_id]}[k] for k in _EXPERT_FIELDS),
            ]
            for pool_id in new
        ]
        new_ids = _insert(Expert, ["pool_id", *_EXPERT_FIELDS]).returning(rows)
        ids.update(zip(new, new_ids, strict=True))
    if changed:
        Expert.objects.bulk_update(changed, list(_EXPERT_FIELDS), batch_size=500)
    return ids


def _documents(items: Iterable[tuple[schemas.DocumentIn, str]]) -> dict[str, int]:
    """Documents by SHA-256: the content stored once per hash (as `services.document_store`)."""
    wanted: dict[str, tuple[schemas.DocumentIn, str]] = {}
    for data, source in items:
        if data.sha256:
            wanted.setdefault(data.sha256, (data, source))
    if not wanted:
        return {}
    found: dict[str, Any] = {}
    for chunk in chunks(list(wanted)):
        found.update((d.sha256, d) for d in Document.objects.filter(sha256__in=chunk))
    new, changed = [], []
    plain: list[tuple[str, list[Any]]] = []  # new documents known by their hash only
    now = timezone.now()
    for digest, (data, source) in wanted.items():
        document = found.get(digest)
        fields: list[str] = []
        if document is None and data.content is None:
            plain.append(
                (
                    digest,
                    [
                        digest,
                        data.title,
                        data.kind,
                        data.media_type,
                        "",
                        data.url or "",
                        source,
                        now,
                    ],
                )
            )
            continue
        if document is None:
            document = Document(sha256=digest, source=source)
            found[digest] = document
            new.append(document)
        values = {
            "url": data.url or "",
            "title": data.title,
            "kind": data.kind,
            "media_type": data.media_type,
        }
        for k, v in values.items():
            if v and not getattr(document, k):
                setattr(document, k, v)
                fields.append(k)
        if data.content is not None and not document.file:
            extension = mimetypes.guess_extension(data.media_type or "") or ""
            document.file.save(f"{digest}{extension}", ContentFile(data.content), save=False)
            document.size = len(data.content)
            fields += ["file", "size"]
        if fields and document.pk:
            changed.append(document)
    if new:
        Document.objects.bulk_create(new)
    if changed:
        Document.objects.bulk_update(
            changed, ["url", "title", "kind", "media_type", "file", "size"]
        )
    ids = {digest: d.pk for digest, d in found.items()}
    names = ["sha256", "title", "kind", "media_type", "file", "url", "source", "created_at"]
    new_ids = _insert(Document, names).returning([row for _d, row in plain])
    ids.update((digest, pk) for (digest, _row), pk in zip(plain, new_ids, strict=True))
    return ids


# -- writing a batch -----------------------------------------------------------------------------


@dataclass
class _BatchResult:
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refused: list[Refusal] = field(default_factory=list)
    ids: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    sources: set[str] = field(default_factory=set)
    bids_written: int = 0
    entities_created: int = 0
    project_ids: list[int] = field(default_factory=list)  # the projects created or updated

    @property
    def wrote(self) -> bool:
        return bool(self.counts[CREATED] or self.counts[UPDATED])

    def add(self, other: _BatchResult) -> None:
        for k, v in other.counts.items():
            self.counts[k] += v
        self.refused += other.refused
        for k, ids in other.ids.items():
            self.ids[k] += ids
        self.sources |= other.sources
        self.bids_written += other.bids_written
        self.entities_created += other.entities_created
        self.project_ids += other.project_ids


class _Step:
    """A timeline entry as `services.current_events` and `derive_status` read it."""

    __slots__ = ("external_id", "kind", "lot", "occurred_at", "pk", "source", "version")

    def __init__(
        self,
        source: str,
        external_id: str,
        version: int,
        kind: str,
        occurred_at: Any,
        lot: str | None,
        pk: int,
    ) -> None:
        self.source, self.external_id, self.version = source, external_id, version
        self.kind, self.occurred_at, self.lot, self.pk = kind, occurred_at, lot, pk


class _Assessed:
    """What `services.assess_project` reads of a project, without a database round trip."""

    def __init__(self, values: Mapping[str, Any], lots: list[Any]) -> None:
        self.category = values["category"]
        self.currency = values["currency"]
        self.estimated_amount = values["estimated_amount"]
        self.state_owned_share = values["state_owned_share"]
        self.budget_funds = values["budget_funds"]
        self.total_investment = values["total_investment"]
        self.lots = types.SimpleNamespace(all=lambda: lots)


_PROJECT_VALUES = (  # what a batch writes of a project, created or updated
    "version",
    *services.PROJECT_FIELDS,
    "tenderer_id",
    "agency_id",
    "content_sha256",
    "status",
    "must_tender",
    "must_tender_reason",
)
_PROJECT_INSERT = ("source", "external_id", *_PROJECT_VALUES, "created_at", "updated_at")
_LOT_INSERT = ("project_id", "external_id", *services.LOT_FIELDS, "status")
_EVENT_INSERT = (
    "project_id",
    "lot_id",
    "kind",
    "occurred_at",
    "received_at",
    "source",
    "external_id",
    "version",
    "data",
    "document_id",
    "note",
    "recorded_by_id",
)
_BID_INSERT = (
    "lot_id",
    "bidder_id",
    "external_id",
    "version",
    *services.BID_FIELDS,
    "project_manager_id",
    "source",
)


def _lot_row_values(data: schemas.LotIn) -> dict[str, Any]:
    return {
        "number": data.number,
        "name": data.name,
        "estimated_amount": data.estimated_amount,
        "ceiling_price": data.ceiling_price,
        "currency": data.currency,
        "bid_security": data.bid_security,
        "qualification_requirements": data.qualification_requirements,
    }


def _derive(plan: _Plan, stored: _Stored, values: dict[str, Any], lots: dict[str, Any]) -> None:
    """Status from the timeline (`services.derive_status`, newest version of each event by
    `services.current_events`) and 必须招标 (`services.assess_project`), into `values` and
    the lots' `status` before anything is written."""
    item = plan.item
    steps: list[Any] = []
    if item.project is not None:
        lot_ext = {lot.pk: ext for ext, lot in stored.lots.get(item.project.pk, {}).items()}
        steps += [
            _Step(
                e.source,
                e.external_id,
                e.version,
                e.kind,
                e.occurred_at,
                lot_ext.get(e.lot_id) if e.lot_id is not None else None,
                e.pk,
            )
            for e in stored.events.get(item.project.pk, [])
        ]
    base = 10**15  # new events come after stored ones at the same moment, as their ids will
    steps += [
        _Step(
            item.bundle.source,
            e.external_id,
            e.version,
            _plain(e.kind),
            e.occurred_at,
            e.lot_external_id,
            base + i,
        )
        for i, e in enumerate(plan.events)
    ]
    timeline: list[Any] = services.current_events(steps)
    values["status"] = services.derive_status(timeline)
    for ext, lot in lots.items():
        lot.status = services.derive_status(e for e in timeline if e.lot in (None, ext))
    assessment = services.assess_project(_Assessed(values, list(lots.values())))  # type: ignore[arg-type]
    values["must_tender"] = assessment.must_tender
    values["must_tender_reason"] = assessment.reason[:300]


class _NewProject:
    """A project just inserted: its id is all the rest of the batch needs of it."""

    __slots__ = ("pk",)

    def __init__(self, pk: int) -> None:
        self.pk = pk


class _NewLot:
    """A lot about to be inserted (what `_derive` and `assess_project` read of it)."""

    __slots__ = ("currency", "estimated_amount", "pk", "row", "status")

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row
        self.estimated_amount = row["estimated_amount"]
        self.currency = row["currency"]
        self.status = ""
        self.pk: int | None = None


def _write_batch(items: list[_Item], *, actor: Any) -> _BatchResult:
    project: Any  # a stored Project, or the stand-in of one just inserted
    lot: Any  # a stored Lot, or a _NewLot
    result = _BatchResult()
    now = timezone.now()
    actor_id = actor.pk if actor is not None and getattr(actor, "pk", None) else None

    # 1. The projects as stored, one query per source.
    by_source: dict[str, list[str]] = defaultdict(list)
    for item in items:
        by_source[item.source].append(item.external_id)
    stored_projects: dict[tuple[str, str], Project] = {}
    for source, external_ids in by_source.items():
        for chunk in chunks(external_ids):
            for project in Project.objects.filter(source=source, external_id__in=chunk):
                stored_projects[(source, project.external_id)] = project

    todo: list[_Item] = []
    for item in items:
        result.sources.add(item.source)
        found = stored_projects.get((item.source, item.external_id))
        item.project, item.outcome = None, ""  # decided afresh (a retried batch comes back here)
        version = item.version
        if found is None:
            item.outcome = CREATED
        elif version > found.version:
            item.outcome, item.project = UPDATED, found
        elif version < found.version:
            result.counts[STALE] += 1
            continue
        elif found.content_sha256 == item.digest:
            result.counts[UNCHANGED] += 1
            continue
        else:
            result.refused.append(
                Refusal(
                    item.external_id,
                    _(
                        "Version %(version)d of project %(id)s was already stored with other "
                        "content; send the change as version %(next)d."
                    )
                    % {"version": version, "id": item.external_id, "next": found.version + 1},
                    "project.version",
                    item.origin,
                )
            )
            continue
        todo.append(item)
    if not todo:
        return result

    # 2. What the updated projects hold, and every stored version of the events named.
    stored = _Stored.load([i.project.pk for i in todo if i.project is not None])
    elsewhere: dict[tuple[str, str], int] = {}
    for source in {i.bundle.source for i in todo}:
        names = list(
            {e.external_id for i in todo if i.bundle.source == source for e in i.bundle.events}
        )
        for chunk in chunks(names):
            for ext, project_id in ProcedureEvent.objects.filter(
                source=source, external_id__in=chunk
            ).values_list("external_id", "project_id"):
                elsewhere[(ext, source)] = project_id

    plans: list[_Plan] = []
    for item in todo:
        try:
            plans.append(_plan(item, stored, elsewhere))
        except _Refused as exc:
            result.refused.append(
                Refusal(item.bundle.external_id, exc.reason, exc.where, item.origin)
            )
    if not plans:
        return result

    # 3. Entities, key people, experts and documents of the planned bundles.
    entities = _Entities()
    for plan in plans:
        b = plan.item.bundle
        entities.add(b.project.tenderer, b.source)
        entities.add(b.project.agency, b.source)
        for bid_data in [*plan.bids_new, *(d for _b, d in plan.bids_changed)]:
            entities.add(bid_data.bidder, b.source)
            for member in bid_data.consortium_members:
                entities.add(member, b.source)
        for _lot, data_c, _c in plan.contracts:
            entities.add(data_c.supplier, b.source)
    entities.resolve(now)
    result.entities_created = entities.created
    people = _People()
    managers = [
        (entities.ids[bid_data.bidder.key()], bid_data.project_manager)
        for plan in plans
        for bid_data in [*plan.bids_new, *(d for _b, d in plan.bids_changed)]
        if bid_data.project_manager is not None
    ]
    people.load(e for e, _p in managers)
    manager_of: dict[int, _Person] = {}
    for entity_id, person_data in managers:
        manager_of[id(person_data)] = people.add(entity_id, person_data)
    people.write()
    experts = _experts(m for plan in plans for _l, c, _r in plan.committees for m in c.members)
    documents = _documents(
        (d, plan.item.bundle.source)
        for plan in plans
        for d in [
            *(e.document for e in plan.events if e.document),
            *(o.document for _l, o, _s in plan.openings if o.document),
        ]
        if d is not None
    )

    # 4. Projects and lots, with status and 必须招标 derived before they are written.
    lookup = _Lookup()
    new_rows: list[list[Any]] = []
    new_plans: list[_Plan] = []
    lots_of: dict[int, dict[str, Any]] = {}  # id(plan) → lot external id → Lot or _NewLot
    for plan in plans:
        item = plan.item
        data = item.bundle.project
        values = {
            **_values(data, services.PROJECT_FIELDS),
            "version": data.version,
            "tenderer_id": entities.ids[data.tenderer.key()] if data.tenderer else None,
            "agency_id": entities.ids[data.agency.key()] if data.agency else None,
            "content_sha256": item.digest,
        }
        lots: dict[str, Any] = {}
        if item.project is not None:
            lots.update(stored.lots.get(item.project.pk, {}))
            for lot, lot_values in plan.lots_changed:
                for k, v in lot_values.items():
                    setattr(lot, k, v)
        for lot_data in plan.lots_new:
            lots[lot_data.external_id] = _NewLot(
                {"external_id": lot_data.external_id, **_lot_row_values(lot_data)}
            )
        lots_of[id(plan)] = lots
        _derive(plan, stored, values, lots)
        if item.project is None:
            new_rows.append(
                [
                    item.bundle.source,
                    item.bundle.external_id,
                    *(values[f] for f in _PROJECT_VALUES),
                    now,
                    now,
                ]
            )
            new_plans.append(plan)
        else:
            for k, v in values.items():
                setattr(item.project, k, v)
            item.project.updated_at = now
    project_ids = _insert(Project, _PROJECT_INSERT).returning(new_rows)
    for plan, pk in zip(new_plans, project_ids, strict=True):
        plan.item.project = _NewProject(pk)  # type: ignore[assignment]
    updated = [p.item.project for p in plans if p.item.outcome == UPDATED]
    if updated:
        Project.objects.bulk_update(updated, [*_PROJECT_VALUES, "updated_at"])  # type: ignore[arg-type]
    new_lots: list[_NewLot] = []
    lot_rows: list[list[Any]] = []
    changed_lots: list[Lot] = []
    for plan in plans:
        project = plan.item.project
        assert project is not None
        for ext, lot in lots_of[id(plan)].items():
            lookup.lots[(project.pk, ext)] = lot
            if isinstance(lot, _NewLot):
                new_lots.append(lot)
                lot_rows.append([project.pk, *(lot.row[f] for f in _LOT_INSERT[1:-1]), lot.status])
            else:
                changed_lots.append(lot)
    for new_lot, pk in zip(new_lots, _insert(Lot, _LOT_INSERT).returning(lot_rows), strict=True):
        new_lot.pk = pk
    if changed_lots:
        Lot.objects.bulk_update(changed_lots, [*services.LOT_FIELDS, "status"], batch_size=500)

    # 5. Events.
    event_rows = []
    for plan in plans:
        project = plan.item.project
        assert project is not None
        source = plan.item.bundle.source
        for e in plan.events:
            lot = lookup.lots.get((project.pk, e.lot_external_id or ""))
            event_rows.append(
                [
                    project.pk,
                    lot.pk if lot is not None else None,
                    _plain(e.kind),
                    e.occurred_at,
                    now,
                    source,
                    e.external_id,
                    e.version,
                    e.data,
                    documents.get(e.document.sha256 or "") if e.document else None,
                    e.note,
                    actor_id,
                ]
            )
    _insert(ProcedureEvent, _EVENT_INSERT).many(event_rows)

    # 6. Bids, with their consortium members; 7. the lots' outcomes.
    result.bids_written = _write_bids(plans, lookup, entities, manager_of)
    _write_outcomes(plans, lookup, entities, experts, documents, stored)

    for plan in plans:
        result.counts[plan.item.outcome] += 1
        result.ids[plan.item.outcome].append(plan.item.external_id)
        result.project_ids.append(plan.item.project.pk)  # type: ignore[union-attr]
    return result


class _Lookup:
    """Ids of the lots and bids of the batch's projects, by external id."""

    def __init__(self) -> None:
        self.lots: dict[tuple[int, str], Any] = {}  # (project id, lot ext) → Lot or _NewLot
        self.bids: dict[tuple[int, str], int] = {}  # (lot id, bid ext) → bid id
        self.bidders: dict[int, int] = {}  # bid id → bidder id


def _write_bids(
    plans: list[_Plan], lookup: _Lookup, entities: _Entities, manager_of: dict[int, _Person]
) -> int:
    rows: list[list[Any]] = []
    keys: list[tuple[int, str, int]] = []
    changed: list[Bid] = []
    members: list[tuple[tuple[int, str], list[schemas.EntityIn]]] = []
    fields = services.BID_FIELDS
    for plan in plans:
        project = plan.item.project
        assert project is not None
        source = plan.item.bundle.source
        for data in plan.bids_new:
            lot_id = lookup.lots[(project.pk, data.lot_external_id)].pk
            manager = manager_of.get(id(data.project_manager)) if data.project_manager else None
            bidder_id = entities.ids[(data.bidder.scheme, data.bidder.identifier)]
            row = [lot_id, bidder_id, data.external_id, data.version, *_row(data, fields)]
            row += [manager.pk if manager else None, source]
            rows.append(row)
            keys.append((lot_id, data.external_id, bidder_id))
            if data.consortium_members:
                members.append(((lot_id, data.external_id), data.consortium_members))
        for bid, data in plan.bids_changed:
            manager = manager_of.get(id(data.project_manager)) if data.project_manager else None
            for k, v in _values(data, fields).items():
                setattr(bid, k, v)
            bid.version = data.version
            bid.bidder_id = entities.ids[data.bidder.key()]
            bid.project_manager_id = manager.pk if manager else None
            bid.source = source
            changed.append(bid)
            members.append(((bid.lot_id, bid.external_id), data.consortium_members))
            lookup.bids[(bid.lot_id, bid.external_id)] = bid.pk
            lookup.bidders[bid.pk] = bid.bidder_id
    ids = _insert(Bid, _BID_INSERT).returning(rows)
    for (lot_id, ext, bidder_id), pk in zip(keys, ids, strict=True):
        lookup.bids[(lot_id, ext)] = pk
        lookup.bidders[pk] = bidder_id
    if changed:
        Bid.objects.bulk_update(
            changed,
            [*fields, "version", "bidder_id", "project_manager_id", "source"],
            batch_size=500,
        )
    if members:
        through = Bid.consortium_members.through
        if changed:
            through.objects.filter(bid_id__in=[b.pk for b in changed]).delete()
        _insert(through, ["bid_id", "marketentity_id"]).many(
            sorted({(lookup.bids[key], entities.ids[m.key()]) for key, ms in members for m in ms})
        )
    return len(rows) + len(changed)


def _bid_id(lookup: _Lookup, lot: Any, external_id: str) -> int:
    bid_id = lookup.bids.get((lot.pk, external_id))
    if bid_id is None:  # a stored bid the bundle did not resend
        bid_id, bidder_id = Bid.objects.filter(lot_id=lot.pk, external_id=external_id).values_list(
            "pk", "bidder_id"
        )[0]
        lookup.bids[(lot.pk, external_id)] = bid_id
        lookup.bidders[bid_id] = bidder_id
    return bid_id


def _write_outcomes(
    plans: list[_Plan],
    lookup: _Lookup,
    entities: _Entities,
    experts: dict[str, int],
    documents: dict[str, int],
    stored: _Stored,
) -> None:
    openings_new: list[list[Any]] = []
    openings_changed: list[BidOpening] = []
    members: list[list[Any]] = []
    committees_replaced: list[int] = []
    evaluations: list[list[Any]] = []
    evaluations_replaced: list[int] = []
    awards_new: list[list[Any]] = []
    awards_new_lots: list[int] = []
    awards_changed: list[Award] = []
    award_of: dict[int, tuple[int, int]] = {}  # lot id → (award id, bid id)
    for lot_id, award in stored.awards.items():
        award_of[lot_id] = (award.pk, award.bid_id)
    for plan in plans:
        project = plan.item.project
        assert project is not None

        def lot_of(ext: str, project: Any = project) -> Any:
            return lookup.lots[(project.pk, ext)]

        for lot_ext, data_o, opening in plan.openings:
            values = {
                **_values(data_o, services.OPENING_FIELDS),
                "version": data_o.version,
                "document_id": documents.get(data_o.document.sha256 or "")
                if data_o.document
                else None,
            }
            if opening is None:
                openings_new.append([lot_of(lot_ext).pk, *values.values()])
            else:
                for k, v in values.items():
                    setattr(opening, k, v)
                openings_changed.append(opening)
        for lot_ext, committee, replace in plan.committees:
            lot = lot_of(lot_ext)
            if replace:
                committees_replaced.append(lot.pk)
            members += [
                [
                    lot.pk,
                    experts.get(m.expert_pool_id) if m.expert_pool_id else None,
                    m.name,
                    _plain(m.role),
                    m.drawn_randomly,
                    committee.version,
                ]
                for m in committee.members
            ]
        for lot_ext, evaluation, replace in plan.evaluations:
            lot = lot_of(lot_ext)
            if replace:
                evaluations_replaced.append(lot.pk)
            evaluations += [
                [
                    _bid_id(lookup, lot, row.bid_external_id),
                    evaluation.version,
                    *_values(row, services.EVALUATION_FIELDS).values(),
                ]
                for row in evaluation.results
            ]
        for lot_ext, data_a, stored_award in plan.awards:
            lot = lot_of(lot_ext)
            bid_id = _bid_id(lookup, lot, data_a.bid_external_id)
            values = {
                "bid_id": bid_id,
                "version": data_a.version,
                "notice_at": data_a.notice_at,
                "amount": data_a.amount,
                "currency": data_a.currency,
            }
            if stored_award is None:
                awards_new.append([lot.pk, *values.values()])
                awards_new_lots.append(lot.pk)
            else:
                for k, v in values.items():
                    setattr(stored_award, k, v)
                awards_changed.append(stored_award)
                award_of[lot.pk] = (stored_award.pk, bid_id)
    _insert(BidOpening, ["lot_id", *services.OPENING_FIELDS, "version", "document_id"]).many(
        openings_new
    )
    if openings_changed:
        BidOpening.objects.bulk_update(
            openings_changed, [*services.OPENING_FIELDS, "version", "document_id"]
        )
    if committees_replaced:
        CommitteeMember.objects.filter(lot_id__in=committees_replaced).delete()
    _insert(
        CommitteeMember, ["lot_id", "expert_id", "name", "role", "drawn_randomly", "version"]
    ).many(members)
    if evaluations_replaced:
        Evaluation.objects.filter(bid__lot_id__in=evaluations_replaced).delete()
    _insert(Evaluation, ["bid_id", "version", *services.EVALUATION_FIELDS]).many(evaluations)
    award_ids = _insert(
        Award, ["lot_id", "bid_id", "version", "notice_at", "amount", "currency"]
    ).returning(awards_new)
    for lot_id, row, pk in zip(awards_new_lots, awards_new, award_ids, strict=True):
        award_of[lot_id] = (pk, row[1])
    if awards_changed:
        Award.objects.bulk_update(
            awards_changed, ["bid_id", "version", "notice_at", "amount", "currency"]
        )

    # Contracts: the supplier named, or the awarded bidder.
    contract_rows: list[list[Any]] = []
    contracts_changed: list[Contract] = []
    for plan in plans:
        project = plan.item.project
        assert project is not None
        for lot_ext, data_c, contract in plan.contracts:
            lot = lookup.lots[(project.pk, lot_ext)]
            awarded = award_of.get(lot.pk)
            if data_c.supplier is not None:
                supplier_id = entities.ids[data_c.supplier.key()]
            else:
                assert awarded is not None  # checked when planning
                supplier_id = lookup.bidders.get(awarded[1]) or Bid.objects.values_list(
                    "bidder_id", flat=True
                ).get(pk=awarded[1])
            values = {
                **_values(data_c, services.CONTRACT_FIELDS),
                "version": data_c.version,
                "supplier_id": supplier_id,
                "award_id": awarded[0] if awarded is not None else None,
            }
            if contract is None:
                contract_rows.append([lot.pk, data_c.external_id, *values.values()])
            else:
                for k, v in values.items():
                    setattr(contract, k, v)
                contracts_changed.append(contract)
    _insert(
        Contract,
        ["lot_id", "external_id", *services.CONTRACT_FIELDS, "version", "supplier_id", "award_id"],
    ).many(contract_rows)
    if contracts_changed:
        Contract.objects.bulk_update(
            contracts_changed,
            [*services.CONTRACT_FIELDS, "version", "supplier_id", "award_id"],
        )


# -- the run -------------------------------------------------------------------------------------


def _audit_batch(
    result: _BatchResult, *, actor: Any, label: str, details: Mapping[str, Any]
) -> None:
    audit.record(
        actor=actor,
        action="ledger.import.batch",
        object_type="ledger.project",
        object_repr=label[:300],
        after={
            "label": label,
            "sources": sorted(result.sources),
            "counts": {
                CREATED: result.counts[CREATED],
                UPDATED: result.counts[UPDATED],
                UNCHANGED: result.counts[UNCHANGED],
                STALE: result.counts[STALE],
                "refused": len(result.refused),
                "bids_written": result.bids_written,
                "entities_created": result.entities_created,
            },
            "created": result.ids[CREATED],
            "updated": result.ids[UPDATED],
            "refused": [[r.external_id, r.origin, r.where, r.reason] for r in result.refused],
            **details,
        },
        note=f"import:{label}"[:200],
    )


def _flush(
    items: list[_Item],
    *,
    actor: Any,
    label: str,
    details: Mapping[str, Any],
    refused: list[Refusal],
) -> _BatchResult:
    """Write one batch in one transaction; on a database error, bundle by bundle. `refused`:
    the bundles of this stretch refused before the batch (listed in its audit entry too)."""
    try:
        with transaction.atomic():
            result = _write_batch(items, actor=actor)
            result.refused[:0] = refused
            if result.wrote:
                _audit_batch(result, actor=actor, label=label, details=details)
                signals.notify_imported(result.project_ids)
            return result
    except DatabaseError:
        pass  # rolled back: find the culprit below
    total = _BatchResult(refused=list(refused))
    with transaction.atomic():
        for item in items:
            try:
                with transaction.atomic():
                    total.add(_write_batch([item], actor=actor))
            except DatabaseError as exc:
                total.sources.add(item.source)
                total.refused.append(
                    Refusal(
                        item.external_id,
                        _("The database refused the record: %(error)s") % {"error": str(exc)[:300]},
                        "",
                        item.origin,
                    )
                )
        if total.wrote:
            _audit_batch(total, actor=actor, label=label, details=details)
            signals.notify_imported(total.project_ids)
    return total


def _run(
    bundles: Iterable[ProcessBundle | Mapping[str, Any] | Refusal | Prepared],
    report: IngestReport,
    *,
    actor: Any,
    label: str,
    batch_size: int,
    progress: Callable[[int], None] | None,
    details: Mapping[str, Any],
) -> None:
    batch: list[_Item] = []
    keys: set[tuple[str, str]] = set()
    ids: dict[EntityKey, EntityKey] = {}
    early: list[Refusal] = []  # refused since the last batch, before reaching the database
    handled = 0

    def flush() -> None:
        nonlocal handled
        result = _flush(batch, actor=actor, label=label, details=details, refused=early)
        report.created += result.counts[CREATED]
        report.updated += result.counts[UPDATED]
        report.unchanged += result.counts[UNCHANGED]
        report.stale += result.counts[STALE]
        report.refused += result.refused
        early.clear()
        report.bids_written += result.bids_written
        report.batches += 1 if result.wrote else 0
        if progress is not None:
            progress(len(batch) + handled)
        handled = 0
        batch.clear()
        keys.clear()
        if not gc.isenabled():
            gc.collect()
        if len(ids) > 100_000:
            ids.clear()

    for raw in bundles:
        prepared = raw if isinstance(raw, Prepared) else prepare(raw, ids)
        if isinstance(prepared, Refusal):  # refused before any database work
            early.append(prepared)
            handled += 1
            if len(early) + len(batch) >= batch_size:
                flush()
            continue
        key = (prepared.source, prepared.external_id)
        if key in keys:  # the same process twice: the first is written before the second is read
            flush()
        batch.append(_Item(prepared))
        keys.add(key)
        if len(batch) >= batch_size:
            flush()
    if batch or handled:
        flush()


class Prepared:
    """A bundle validated and checked (everything that needs no database), with its digest:
    what `prepare` makes, possibly in another process (the OCDS reader's worker). Made with
    `portable=True` it holds the bundle as JSON (`payload`) instead, to cross to the writing
    process, which rebuilds the bundle only if it has something to write."""

    __slots__ = ("bundle", "digest", "external_id", "origin", "payload", "source", "version")

    def __init__(
        self,
        bundle: ProcessBundle | None,
        digest: str,
        origin: str = "",
        *,
        payload: bytes | None = None,
        key: tuple[str, str, int] | None = None,
    ) -> None:
        if key is None:
            assert bundle is not None
            key = (bundle.source, bundle.external_id, bundle.project.version)
        self.bundle, self.payload, self.digest, self.origin = bundle, payload, digest, origin
        self.source, self.external_id, self.version = key


def prepare(
    raw: ProcessBundle | Mapping[str, Any] | Refusal,
    ids: dict[EntityKey, EntityKey] | None = None,
    *,
    portable: bool = False,
) -> Prepared | Refusal:
    """Validate and check one bundle without the database: a `Prepared`, or its `Refusal`.
    `portable`: the `Prepared` holds the bundle as JSON, to be handed to another process."""
    if isinstance(raw, Refusal):
        return raw
    origin = str(raw.get("_origin", "")) if isinstance(raw, Mapping) else ""
    try:
        bundle = _validate(raw)
        _static_checks(bundle, {} if ids is None else ids)
    except _Refused as exc:
        return Refusal(bundle_id_of(raw), exc.reason, exc.where, origin)
    if not portable:
        return Prepared(bundle, bundle_digest(bundle), origin)
    key = (bundle.source, bundle.external_id, bundle.project.version)
    return Prepared(None, bundle_digest(bundle), origin, payload=bundle_payload(bundle), key=key)


def bundle_id_of(raw: Any) -> str:
    """The external id of a bundle, even of one that failed validation."""
    if isinstance(raw, ProcessBundle):
        return raw.external_id
    if isinstance(raw, Mapping):
        return str(raw.get("external_id") or "")[:100]
    return ""


def bundles_write(
    bundles: Iterable[ProcessBundle | Mapping[str, Any] | Refusal | Prepared],
    *,
    actor: Any,
    label: str,
    all_or_nothing: bool = False,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
    details: Mapping[str, Any] | None = None,
) -> IngestReport:
    """Write whole contracting processes; see the module docstring for the meaning.

    `bundles` are `ProcessBundle`s, or mappings validated into them here (files: a pydantic
    error refuses the bundle with its field path; a mapping's `_origin`, e.g. "file.jsonl:17",
    is reported with its refusal), or `Refusal`s of records refused before they became bundles
    (counted and reported with the rest). `actor` is the user importing (needs
    `ledger.import`) or None for the server's operator (command line, generator). `label` names
    the run in the audit trail (e.g. the file name); `details` adds facts to the audit entries
    (e.g. the file's SHA-256). `progress(n)` is called after each batch with the number of
    bundles it handled.
    """
    if actor is not None:
        ensure_allowed(actor, "ledger.import")
    with _quiet_gc(), _sqlite_cache():
        return _bundles_write(
            bundles,
            actor=actor,
            label=label,
            all_or_nothing=all_or_nothing,
            batch_size=batch_size,
            progress=progress,
            details=details,
        )


@contextmanager
def _quiet_gc() -> Iterator[None]:
    """Garbage collection between batches only: the objects alive before the run are frozen out
    of the collector's scans, and the automatic collections (which a bulk import's millions of
    short-lived objects trigger over and over, each scanning the whole batch in memory, up to
    a third of the time) give way to one collection after each batch, when it is gone."""
    enabled = gc.isenabled()
    gc.collect()
    gc.freeze()
    gc.disable()  # `_run` collects after each batch, when little is alive
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()


# SQLite settings for a bulk run, on its connection only, restored afterwards (the database's
# own journal_mode=WAL and synchronous=NORMAL come from settings.py and stay as they are).
_SQLITE_RUN_PRAGMAS = {
    # 256 MiB of page cache (the default is 2 MiB): the bids' nine indexes and the events' six
    # grow with every batch, and each insert would otherwise miss in most of them.
    "cache_size": -262_144,
    # A checkpoint (which waits for the disk, twice) after 64 MiB of WAL rather than the default
    # 4 MiB: a batch writes some 10 MiB, so the default waits for the disk several times per
    # batch; commits keep synchronous=NORMAL's guarantees either way.
    "wal_autocheckpoint": 16_384,
}


@contextmanager
def _sqlite_cache() -> Iterator[None]:
    """The bulk run's SQLite settings (`_SQLITE_RUN_PRAGMAS`), restored afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    before: dict[str, int] = {}
    with connection.cursor() as cursor:
        for name, value in _SQLITE_RUN_PRAGMAS.items():
            cursor.execute(f"PRAGMA {name}")
            before[name] = int(cursor.fetchone()[0])
            cursor.execute(f"PRAGMA {name} = {value:d}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, value in before.items():
                cursor.execute(f"PRAGMA {name} = {value:d}")


def _bundles_write(
    bundles: Iterable[ProcessBundle | Mapping[str, Any] | Refusal | Prepared],
    *,
    actor: Any,
    label: str,
    all_or_nothing: bool,
    batch_size: int,
    progress: Callable[[int], None] | None,
    details: Mapping[str, Any] | None,
) -> IngestReport:
    report = IngestReport()
    started = time.perf_counter()
    details = dict(details or {})

    def run() -> None:
        _run(
            bundles,
            report,
            actor=actor,
            label=label,
            batch_size=batch_size,
            progress=progress,
            details=details,
        )

    if all_or_nothing:
        try:
            with transaction.atomic():
                run()
                if report.refused:
                    raise _RollBack
        except _RollBack:
            report.created = report.updated = report.unchanged = report.stale = 0
            report.bids_written = report.batches = 0
            report.rolled_back = True
    else:
        run()
    report.elapsed = time.perf_counter() - started
    with transaction.atomic():
        audit.record(
            actor=actor,
            action="ledger.import.finished",
            object_type="ledger.project",
            object_repr=label[:300],
            after={
                "label": label,
                **report.counts(),
                "batches": report.batches,
                "all_or_nothing": all_or_nothing,
                "rolled_back": report.rolled_back,
                "refusals": [
                    [r.external_id, r.origin, r.where, r.reason] for r in report.refused[:200]
                ],
                **details,
            },
            note=f"import:{label}"[:200],
        )
    return report


__all__ = [
    "IngestReport",
    "Refusal",
    "bundle_digest",
    "bundles_write",
]
