"""Payloads of the ledger's writes: what the trading platform's feed sends, and what manual entry
passes to the services. One validation path for both; the feed API's OpenAPI document comes
from these classes.

Conventions (documented in the OpenAPI description too):
- money and percentages are decimal strings ("4000000.00"), never JSON numbers;
- times are ISO 8601 with their UTC offset ("2026-03-02T09:30:00+08:00"); a time without an offset
  is refused rather than guessed, since legal deadlines hang on it;
- identifiers of market entities are (scheme, identifier); the USCC check applies to "CN-USCC".

Every message a validator here raises is ours, so it is translated; `field_errors` translates the
most common ones pydantic raises itself.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from tenderwatch.ledger.identifiers import USCC_SCHEME, InvalidIdentifier, normalize_identifier
from tenderwatch.ledger.models import (
    BidStatus,
    Category,
    CommitteeRole,
    EntityKind,
    EventKind,
    OrganisationForm,
    ProcurementMethod,
)

MAX_INT = 2_147_483_647  # PositiveIntegerField on every database
MAX_SMALL = 32_767
EARLIEST_YEAR, LATEST_YEAR = 1950, 2200

# -- scalar types -------------------------------------------------------------------------------


def _error(kind: str, message: str) -> PydanticCustomError:
    # The message travels as context, so braces in user input cannot break the template.
    return PydanticCustomError(kind, "{message}", {"message": message})


def _check_text(value: str) -> str:
    """Refuse control characters the databases cannot store (NUL) or that have no place here."""
    if any(ord(c) < 32 and c not in "\t\r\n" for c in value):
        raise _error("control_character", _("Control characters are not allowed."))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _error("invalid_unicode", _("The text is not valid Unicode.")) from None
    return value


ExternalId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_check_text),
]
Version = Annotated[int, Field(ge=1, le=MAX_INT, description="1, 2, …: a higher one replaces")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]

_DECIMAL_RE = re.compile(r"^-?\d+(\.\d+)?$")


def _decimal_parser(*, max_int_digits: int, places: int, maximum: Decimal | None = None) -> Any:
    def parse(value: Any) -> Decimal:
        if isinstance(value, Decimal):
            text = format(value, "f")
        elif isinstance(value, str):
            text = value.strip()
        else:
            raise _error(
                "decimal_string",
                _('Send amounts as decimal strings, e.g. "4000000.00", not as numbers.'),
            )
        if not _DECIMAL_RE.match(text):
            raise _error(
                "decimal_format", _('"%(value)s" is not a decimal number.') % {"value": text[:40]}
            )
        try:
            number = Decimal(text)
        except InvalidOperation:  # pragma: no cover — the pattern guards it
            raise _error("decimal_format", _("Not a decimal number.")) from None
        if number < 0:
            raise _error("negative", _("Amounts cannot be negative."))
        whole, _sep, frac = text.lstrip("-").partition(".")
        if len(whole.lstrip("0")) > max_int_digits or len(frac.rstrip("0")) > places:
            raise _error(
                "decimal_size",
                _("At most %(whole)d digits before and %(places)d after the decimal point.")
                % {"whole": max_int_digits, "places": places},
            )
        if maximum is not None and number > maximum:
            raise _error("too_large", _("At most %(max)s.") % {"max": maximum})
        return number

    return parse


def _decimal_schema(max_int_digits: int, places: int) -> WithJsonSchema:
    pattern = rf"^\d{{1,{max_int_digits}}}(\.\d{{1,{places}}})?$"
    return WithJsonSchema({"type": "string", "pattern": pattern, "examples": ["1000.00"]})


Money = Annotated[
    Decimal,
    BeforeValidator(_decimal_parser(max_int_digits=16, places=2)),
    _decimal_schema(16, 2),
]
Percent = Annotated[
    Decimal,
    BeforeValidator(_decimal_parser(max_int_digits=3, places=2, maximum=Decimal(100))),
    _decimal_schema(3, 2),
]
Score = Annotated[
    Decimal,
    BeforeValidator(_decimal_parser(max_int_digits=5, places=2)),
    _decimal_schema(5, 2),
]


def _check_moment(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise _error(
            "naive_datetime",
            _(
                "Give the time with its UTC offset, e.g. 2026-03-02T09:30:00+08:00; "
                "times without an offset are refused."
            ),
        )
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise _error("date_range", _("The date is out of range."))
    return value


def _check_day(value: dt.date) -> dt.date:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise _error("date_range", _("The date is out of range."))
    return value


Moment = Annotated[dt.datetime, AfterValidator(_check_moment)]
Day = Annotated[dt.date, AfterValidator(_check_day)]


def _check_json(value: Any, depth: int = 0) -> Any:
    """Free-form details: JSON the databases can store (no NUL, no NaN, not nested too deep)."""
    if depth > 20:
        raise _error("json_depth", _("The details are nested too deep."))
    if isinstance(value, str):
        return _check_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise _error("json_number", _("Numbers must be finite."))
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check_text(str(key))
            _check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)
    return value


JsonObject = Annotated[dict[str, Any], AfterValidator(_check_json)]
JsonList = Annotated[list[Any], AfterValidator(_check_json)]


def one_or_many(value: Any) -> Any:
    """A body may be one record or a list of them."""
    return [value] if isinstance(value, Mapping) else value


def _unique(items: Iterable[Any], key: str, what: str) -> None:
    seen: set[Any] = set()
    for item in items:
        value = getattr(item, key)
        if value in seen:
            raise _error(
                "duplicate", _("%(what)s %(value)s appears twice.") % {"what": what, "value": value}
            )
        seen.add(value)


# -- inputs -------------------------------------------------------------------------------------


class In(Schema):
    """Base of the inputs: text stripped, control characters refused in every text field."""

    model_config = ConfigDict(str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _text(cls, value: Any) -> Any:
        if isinstance(value, str):
            _check_text(value)
        return value


class QualificationIn(In):
    """A 资质: type and grade, with its certificate and validity."""

    category: str = Field(min_length=1, max_length=100)
    grade: str = Field("", max_length=30)
    certificate_no: str = Field("", max_length=60)
    issued_by: str = Field("", max_length=100)
    valid_from: Day | None = None
    valid_to: Day | None = None


class KeyPersonIn(In):
    """A key person, e.g. a project manager (项目经理) with a registration certificate.

    `id_number` (居民身份证号码) is never stored: only a keyed hash of it, to see that two
    bidders named the same person (招标投标法实施条例 第四十条第（三）项).
    """

    name: str = Field(min_length=1, max_length=60)
    role: str = Field("project_manager", max_length=40)
    registration_type: str = Field("", max_length=60)
    certificate_no: str = Field("", max_length=60)
    id_number: str = Field("", max_length=40)
    valid_to: Day | None = None


class EntityIn(In):
    """A market entity: tenderer, bidder, agency. Identified by (scheme, identifier)."""

    scheme: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] = Field(
        USCC_SCHEME,
        description="CN-USCC (统一社会信用代码, checked) or an OCDS org-id scheme, e.g. MD-IDNO",
    )
    identifier: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    kind: EntityKind = EntityKind.COMPANY
    legal_representative: str = Field("", max_length=60)
    address: str = Field("", max_length=300)
    region_code: str = Field("", max_length=12)
    contact_phone: str = Field("", max_length=40)
    contact_email: str = Field("", max_length=120)
    registered_capital: Money | None = None
    established_on: Day | None = None
    qualifications: list[QualificationIn] = Field(default_factory=list, max_length=200)
    key_people: list[KeyPersonIn] = Field(default_factory=list, max_length=200)

    @field_validator("scheme")
    @classmethod
    def _scheme(cls, value: str) -> str:
        value = _check_text(value.upper() or USCC_SCHEME)
        if not re.match(r"^[A-Z0-9][A-Z0-9-]*$", value):
            raise _error(
                "scheme", _("An identifier scheme is letters, digits and hyphens, e.g. CN-USCC.")
            )
        return value

    @field_validator("identifier")
    @classmethod
    def _identifier(cls, value: str, info: ValidationInfo) -> str:
        scheme = info.data.get("scheme")
        if scheme is None:  # the scheme itself is invalid: reported there
            return value
        try:
            return normalize_identifier(scheme, value)[1]
        except InvalidIdentifier as exc:
            raise _error(exc.code, str(exc)) from None

    def key(self) -> tuple[str, str]:
        return self.scheme, self.identifier


class LotIn(In):
    """A lot (标段)."""

    external_id: ExternalId
    number: str = Field("", max_length=60)
    name: str = Field(min_length=1, max_length=300)
    estimated_amount: Money | None = None
    ceiling_price: Money | None = Field(None, description="最高投标限价")
    currency: Currency = "CNY"
    bid_security: Money | None = None
    qualification_requirements: JsonList = Field(default_factory=list)


class ProjectIn(In):
    """A trading project with its lots. The path's external id names it."""

    external_id: ExternalId | None = Field(None, description="optional; must match the path")
    version: Version
    ocid: str = Field("", max_length=120)
    code: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=300)
    region_code: str = Field("", max_length=12)
    industry: str = Field(min_length=1, max_length=40)
    category: Category
    funding_source: str = Field("", max_length=200)
    state_owned_share: Percent | None = Field(None, description="share of state funds, percent")
    budget_funds: Money | None = None
    total_investment: Money | None = None
    estimated_amount: Money | None = None
    currency: Currency = "CNY"
    procurement_method: ProcurementMethod
    organisation_form: OrganisationForm | None = None
    tenderer: EntityIn | None = None
    agency: EntityIn | None = None
    approval_no: str = Field("", max_length=100)
    approved_scope: str = Field("", max_length=300)
    approved_method: ProcurementMethod | None = None
    approved_form: OrganisationForm | None = None
    approved_on: Day | None = None
    registered_at: Moment | None = None
    lots: list[LotIn] = Field(default_factory=list, max_length=500)

    @field_validator("lots")
    @classmethod
    def _lots_unique(cls, lots: list[LotIn]) -> list[LotIn]:
        _unique(lots, "external_id", _("Lot"))
        return lots


class DocumentIn(In):
    """A document an event refers to: its content (base64), or its SHA-256 and where it is."""

    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")] | None = None
    content_base64: str | None = Field(
        None, max_length=28_000_000, description="the file itself, base64 (at most 20 MB)"
    )
    url: Annotated[str, StringConstraints(max_length=500, pattern=r"^https?://\S+$")] | None = None
    title: str = Field("", max_length=300)
    kind: str = Field("", max_length=40)
    media_type: str = Field("", max_length=100)

    _content: bytes | None = PrivateAttr(None)

    @field_validator("content_base64")
    @classmethod
    def _base64(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise _error("base64", _("The content is not valid base64.")) from None
        return value

    @model_validator(mode="after")
    def _content_or_hash(self) -> DocumentIn:
        if self.content_base64:
            self._content = base64.b64decode(self.content_base64)
            digest = hashlib.sha256(self._content).hexdigest()
            if self.sha256 and self.sha256.lower() != digest:
                raise _error(
                    "document_hash",
                    _("The content's SHA-256 is %(digest)s, not the one given.")
                    % {"digest": digest},
                )
            self.sha256 = digest
        elif not self.sha256:
            raise _error(
                "document_hash",
                _("A document needs its content or its SHA-256; the ledger keeps the hash."),
            )
        self.sha256 = (self.sha256 or "").lower()
        return self

    @property
    def content(self) -> bytes | None:
        return self._content


class EventIn(In):
    """One procedure step. Corrections are a higher version of the same external id."""

    external_id: ExternalId
    version: Version = 1
    kind: EventKind
    occurred_at: Moment
    lot_external_id: ExternalId | None = None
    data: JsonObject = Field(default_factory=dict)
    note: str = Field("", max_length=4000)
    document: DocumentIn | None = None


class BidIn(In):
    """A bid, with what 招标投标法实施条例 第四十条 needs to show collusion."""

    external_id: ExternalId
    version: Version = 1
    bidder: EntityIn
    price: Money | None = None
    currency: Currency = "CNY"
    submitted_at: Moment | None = None
    status: BidStatus = BidStatus.SUBMITTED
    rejection_reason: str = Field("", max_length=300)
    client_ip: Annotated[str, StringConstraints(max_length=45)] | None = None
    mac_address: str = Field("", max_length=40)
    hardware_id: str = Field("", max_length=120)
    ca_key_id: str = Field("", max_length=120)
    file_hash: str = Field("", max_length=128)
    file_author: str = Field("", max_length=120)
    file_software: str = Field("", max_length=120)
    file_machine: str = Field("", max_length=120)
    security_account: str = Field("", max_length=60)
    security_bank: str = Field("", max_length=120)
    project_manager: KeyPersonIn | None = None
    contact_name: str = Field("", max_length=60)
    contact_phone: str = Field("", max_length=40)
    consortium_members: list[EntityIn] = Field(default_factory=list, max_length=20)

    @field_validator("client_ip")
    @classmethod
    def _ip(cls, value: str | None) -> str | None:
        if not value:
            return None
        import ipaddress

        try:
            return str(ipaddress.ip_address(value.strip()))
        except ValueError:
            raise _error("ip_address", _("Not an IP address.")) from None


class OpeningIn(In):
    """The opening record (开标记录) of a lot."""

    version: Version = 1
    opened_at: Moment
    location: str = Field("", max_length=200)
    bids_received: Annotated[int, Field(ge=0, le=MAX_INT)] | None = None
    objections: str = Field("", max_length=4000)
    document: DocumentIn | None = None


class CommitteeMemberIn(In):
    name: str = Field(min_length=1, max_length=60)
    role: CommitteeRole
    expert_pool_id: str = Field("", max_length=60)
    specialty: str = Field("", max_length=100)
    employer: str = Field("", max_length=200)
    drawn_randomly: bool = True


class CommitteeIn(In):
    """A lot's evaluation committee (评标委员会). A higher version replaces the whole committee."""

    version: Version = 1
    members: list[CommitteeMemberIn] = Field(min_length=1, max_length=99)


class EvaluationResultIn(In):
    bid_external_id: ExternalId
    technical_score: Score | None = None
    commercial_score: Score | None = None
    price_score: Score | None = None
    total_score: Score | None = None
    rank: Annotated[int, Field(ge=1, le=MAX_SMALL)] | None = None
    passed: bool = True


class EvaluationIn(In):
    """A lot's evaluation result: scores and ranking, one row per bid."""

    version: Version = 1
    results: list[EvaluationResultIn] = Field(min_length=1, max_length=1000)

    @field_validator("results")
    @classmethod
    def _bids_unique(cls, results: list[EvaluationResultIn]) -> list[EvaluationResultIn]:
        _unique(results, "bid_external_id", _("Bid"))
        return results


class AwardIn(In):
    """The award (定标): the winning bid."""

    version: Version = 1
    bid_external_id: ExternalId
    notice_at: Moment | None = None
    amount: Money | None = None
    currency: Currency = "CNY"


class ContractIn(In):
    """The contract signed after the award. The supplier defaults to the awarded bidder."""

    external_id: ExternalId | None = Field(None, description="optional; must match the path")
    version: Version = 1
    supplier: EntityIn | None = None
    signed_at: Moment | None = None
    amount: Money | None = None
    currency: Currency = "CNY"
    duration_days: Annotated[int, Field(ge=0, le=MAX_INT)] | None = None
    performance_security: Money | None = None
    terms: JsonObject = Field(default_factory=dict)


# -- outputs ------------------------------------------------------------------------------------


class FieldError(Schema):
    field: str = Field(description='where: "lots[0].name"; "" for the whole record')
    message: str


class ErrorOut(Schema):
    detail: str
    code: str = ""
    errors: list[FieldError] = Field(default_factory=list)


class RecordResult(Schema):
    record_type: str
    external_id: str
    version: int | None = None
    outcome: str = Field(description="created, updated, unchanged, stale or refused")
    current_version: int | None = Field(None, description="the version the ledger now holds")
    errors: list[FieldError] = Field(default_factory=list)


class BatchResult(Schema):
    results: list[RecordResult]


class EntityOut(Schema):
    scheme: str
    identifier: str
    name: str


class EventOut(Schema):
    external_id: str
    version: int
    kind: str
    occurred_at: dt.datetime
    lot_external_id: str | None = None
    document_sha256: str | None = None


class BidOut(Schema):
    external_id: str
    version: int
    bidder: EntityOut
    price: Decimal | None = None
    currency: str
    status: str


class AwardOut(Schema):
    version: int
    bid_external_id: str
    notice_at: dt.datetime | None = None
    amount: Decimal | None = None


class ContractOut(Schema):
    external_id: str
    version: int
    supplier: EntityOut
    signed_at: dt.datetime | None = None
    amount: Decimal | None = None


class LotOut(Schema):
    external_id: str
    number: str
    name: str
    status: str
    estimated_amount: Decimal | None = None
    bids: list[BidOut]
    opening_version: int | None = None
    committee_version: int | None = None
    evaluation_version: int | None = None
    award: AwardOut | None = None
    contracts: list[ContractOut]


class InstructionOut(Schema):
    id: int
    kind: str
    status: str
    issued_at: dt.datetime
    delivered_at: dt.datetime | None = None


class ProjectOut(Schema):
    external_id: str
    version: int
    code: str
    name: str
    status: str
    must_tender: bool | None = None
    must_tender_reason: str
    lots: list[LotOut]
    events: list[EventOut] = Field(description="the timeline: newest version of each event")
    instructions: list[InstructionOut]


# -- errors -------------------------------------------------------------------------------------


def field_path(loc: Sequence[Any]) -> str:
    """("lots", 0, "name") → "lots[0].name"."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if "message" in ctx:  # ours (PydanticCustomError with a translated message)
        return str(ctx["message"])
    messages = {
        "missing": _("This field is required."),
        "string_too_short": _("This field cannot be empty."),
        "string_too_long": _("At most %(max_length)s characters.")
        % {"max_length": ctx.get("max_length")},
        "string_pattern_mismatch": _("The value does not have the expected form."),
        "string_type": _("Expected text."),
        "int_parsing": _("Expected a whole number."),
        "int_type": _("Expected a whole number."),
        "int_from_float": _("Expected a whole number."),
        "bool_parsing": _("Expected true or false."),
        "bool_type": _("Expected true or false."),
        "greater_than_equal": _("At least %(ge)s.") % {"ge": ctx.get("ge")},
        "less_than_equal": _("At most %(le)s.") % {"le": ctx.get("le")},
        "enum": _("Not one of the allowed values: %(expected)s.")
        % {"expected": ctx.get("expected")},
        "datetime_parsing": _("Not a date and time in ISO 8601 form."),
        "datetime_from_date_parsing": _("Not a date and time in ISO 8601 form."),
        "datetime_type": _("Not a date and time in ISO 8601 form."),
        "date_parsing": _("Not a date in ISO 8601 form (YYYY-MM-DD)."),
        "date_from_datetime_parsing": _("Not a date in ISO 8601 form (YYYY-MM-DD)."),
        "date_type": _("Not a date in ISO 8601 form (YYYY-MM-DD)."),
        "list_type": _("Expected a list."),
        "dict_type": _("Expected an object."),
        "model_type": _("Expected an object."),
        "model_attributes_type": _("Expected an object."),
        "too_short": _("At least %(min_length)s items.") % {"min_length": ctx.get("min_length")},
        "too_long": _("At most %(max_length)s items.") % {"max_length": ctx.get("max_length")},
        "json_invalid": _("The body is not valid JSON."),
    }
    return messages.get(kind) or str(error.get("msg", kind))


def field_errors(errors: Iterable[Mapping[str, Any]], *, skip: int = 0) -> list[dict[str, str]]:
    """Pydantic's errors as [{field, message}], `skip` leading parts of each location dropped."""
    out = []
    for error in errors:
        loc = [p for p in error.get("loc", ()) if p not in ("function-after", "function-before")]
        out.append({"field": field_path(loc[skip:]), "message": _message(error)})
    return out
