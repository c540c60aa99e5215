"""What a rule reads: an immutable snapshot of one project's ledger state, and the loader that
makes many of them with a fixed number of queries.

A rule never touches the database or the clock: everything it may need is on the state —
the project, its lots, the newest version of every procedure event, the bids, the opening,
committee, evaluation, award and contract of each lot, the approvals of the approved-project
list matched to it, other projects of the same tenderer (for splitting, MUST-05), the text of
its tender documents, the office's model documents, the calendar (`days.DayTable`) and `today`
(only the sweeper's rules read it; it is None otherwise).

`load_states(project_ids)` loads a batch in about a dozen queries whatever its size (no query
per project); `run_rules(states, params_by_rule)` runs the rules named there (their spec's
`applies`, then `check`) and returns the findings. `screening.engine` turns findings into
warnings.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from tenderwatch.screening.findings import Finding
from tenderwatch.screening.rules.base import wording
from tenderwatch.screening.rules.days import DayTable

if TYPE_CHECKING:
    from tenderwatch.screening.rules.base import RuleSpec

log = logging.getLogger("tenderwatch.screening.rules")

CHINA = dt.timezone(dt.timedelta(hours=8))
TENDERED = frozenset({"open", "invited"})
# Methods that are not tendering (招标) within 招标投标法.
NOT_TENDERED = frozenset(
    {"competitive_negotiation", "competitive_consultation", "inquiry", "single_source", "direct"}
)
# How far apart two projects of one tenderer may be registered to be loaded as siblings (the
# splitting rule's window is a parameter and may not exceed this).
SIBLING_WINDOW_DAYS = 366
EMPTY: Mapping[Any, Any] = MappingProxyType({})


def china_day(moment: dt.datetime) -> dt.date:
    """The Asia/Shanghai date of an aware datetime."""
    return moment.astimezone(CHINA).date()


# -- the snapshot ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProjectInfo:
    id: int
    external_id: str
    code: str
    name: str
    industry: str
    category: str
    method: str
    organisation_form: str
    estimated_amount: Decimal | None
    currency: str
    must_tender: bool | None
    # Whether the project is state-funded (必须招标的工程项目规定 第二条 to 第四条) whatever its
    # amount: decides must-tender together with the amount and the thresholds of MUST-02..04.
    state_funded: bool | None
    status: str
    registered_at: dt.datetime | None
    tenderer_id: int | None
    tenderer_name: str
    approval_no: str = ""
    approved_scope: str = ""
    approved_method: str = ""
    approved_form: str = ""
    approved_on: dt.date | None = None
    region_code: str = ""

    @property
    def tendered(self) -> bool:
        return self.method in TENDERED

    @property
    def registered_on(self) -> dt.date | None:
        return china_day(self.registered_at) if self.registered_at else None


@dataclass(frozen=True, slots=True)
class LotState:
    id: int
    external_id: str
    number: str
    name: str
    estimated_amount: Decimal | None
    ceiling_price: Decimal | None
    bid_security: Decimal | None
    currency: str = "CNY"
    qualification_requirements: tuple[Mapping[str, Any], ...] = ()

    @property
    def label(self) -> str:
        return self.number or self.external_id


@dataclass(frozen=True, slots=True)
class EventState:
    """The newest version of one procedure event. `seq` orders events by when the ledger
    received them (a later deadline event replaces an earlier one)."""

    id: int | None
    external_id: str
    kind: str
    at: dt.datetime
    day: dt.date
    lot_id: int | None = None
    data: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    document_sha256: str = ""
    seq: int = 0

    @property
    def ref(self) -> str:
        return f"event:{self.id}" if self.id is not None else f"event:{self.external_id}"


@dataclass(frozen=True, slots=True)
class BidState:
    id: int
    external_id: str
    lot_id: int
    bidder_id: int
    bidder_name: str
    price: Decimal | None
    status: str
    submitted_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class OpeningState:
    lot_id: int
    opened_at: dt.datetime
    bids_received: int | None = None


@dataclass(frozen=True, slots=True)
class MemberState:
    name: str
    role: str
    is_expert: bool


@dataclass(frozen=True, slots=True)
class EvaluationState:
    bid_id: int
    rank: int | None
    passed: bool
    total_score: Decimal | None = None


@dataclass(frozen=True, slots=True)
class AwardState:
    id: int
    lot_id: int
    bid_id: int
    bidder_id: int
    bidder_name: str
    notice_at: dt.datetime | None
    amount: Decimal | None


@dataclass(frozen=True, slots=True)
class ContractState:
    id: int
    external_id: str
    lot_id: int
    supplier_id: int
    supplier_name: str
    signed_at: dt.datetime | None
    amount: Decimal | None
    duration_days: int | None
    performance_security: Decimal | None
    award_id: int | None = None


@dataclass(frozen=True, slots=True)
class ApprovalState:
    """A row of the approved-project list (应进必进) matched to the project."""

    id: int
    approval_no: str
    name: str
    must_tender: bool | None
    approved_scope: str
    approved_method: str
    approved_form: str
    approved_on: dt.date | None
    amount: Decimal | None


@dataclass(frozen=True, slots=True)
class SiblingProject:
    """Another project of the same tenderer, registered near this one (for MUST-05)."""

    id: int
    external_id: str
    code: str
    name: str
    category: str
    method: str
    estimated_amount: Decimal | None
    registered_on: dt.date | None


@dataclass(frozen=True, slots=True)
class ModelDocument:
    """A model document (示范文本) the office uploaded, and which projects it is for ("" = any)."""

    id: int
    title: str
    text: str
    category: str = ""
    methods: tuple[str, ...] = ()
    industry: str = ""
    version: int = 1


@dataclass(frozen=True, slots=True)
class ProjectState:
    project: ProjectInfo
    lots: tuple[LotState, ...] = ()
    events: tuple[EventState, ...] = ()
    bids: tuple[BidState, ...] = ()
    openings: Mapping[int, OpeningState] = field(default_factory=lambda: EMPTY)
    committees: Mapping[int, tuple[MemberState, ...]] = field(default_factory=lambda: EMPTY)
    evaluations: Mapping[int, EvaluationState] = field(default_factory=lambda: EMPTY)
    awards: Mapping[int, AwardState] = field(default_factory=lambda: EMPTY)
    contracts: Mapping[int, ContractState] = field(default_factory=lambda: EMPTY)
    approvals: tuple[ApprovalState, ...] = ()
    siblings: tuple[SiblingProject, ...] = ()
    documents: Mapping[str, str] = field(
        default_factory=lambda: EMPTY
    )  # sha256 → text (tender documents only)
    model_documents: tuple[ModelDocument, ...] = ()
    calendar: DayTable | None = None
    today: dt.date | None = None
    # kind → events of that kind in the current round (after the last re-tendering), by time.
    by_kind: Mapping[str, tuple[EventState, ...]] = field(default_factory=lambda: EMPTY)

    @classmethod
    def build(cls, project: ProjectInfo, **parts: Any) -> ProjectState:
        """A state with its event index; `events` in any order (sorted here by time)."""
        events = tuple(sorted(parts.pop("events", ()), key=lambda e: (e.at, e.seq)))
        return cls(project=project, events=events, by_kind=_index(events), **parts)

    def with_(self, **changes: Any) -> ProjectState:
        """A copy with some parts replaced (the index follows the events)."""
        state = replace(self, **changes)
        if "events" in changes:
            state = replace(state, by_kind=_index(state.events))
        return state

    @property
    def project_id(self) -> int:
        return self.project.id

    # -- events ----------------------------------------------------------------------------------

    def of_kind(self, kind: str, lot_id: int | None = None) -> tuple[EventState, ...]:
        """Events of `kind` in the current round; with `lot_id`, those of that lot and those of
        the whole project."""
        events = self.by_kind.get(kind, ())
        if lot_id is None or not events:
            return events
        return tuple(e for e in events if e.lot_id is None or e.lot_id == lot_id)

    def in_force(self, kind: str, lot_id: int | None = None) -> EventState | None:
        """The step of `kind` that stands: for a lot, its own newest one, else the project's;
        newest by receipt (a bid deadline moved by a later notice replaces the earlier one)."""
        events = self.by_kind.get(kind, ())
        if not events:
            return None
        if lot_id is not None:
            own = [e for e in events if e.lot_id == lot_id]
            if own:
                return max(own, key=_received)
        shared = [e for e in events if e.lot_id is None]
        if shared:
            return max(shared, key=_received)
        if lot_id is None:
            return max(events, key=_received)
        return None

    def first(self, kind: str, lot_id: int | None = None) -> EventState | None:
        """The earliest step of `kind` (for a lot: its own or the project's)."""
        events = self.of_kind(kind, lot_id)
        return events[0] if events else None

    def lot(self, lot_id: int) -> LotState | None:
        for lot in self.lots:
            if lot.id == lot_id:
                return lot
        return None

    def bids_of(self, lot_id: int) -> list[BidState]:
        return [b for b in self.bids if b.lot_id == lot_id]

    def text_of(self, event: EventState | None) -> str | None:
        if event is None or not event.document_sha256:
            return None
        return self.documents.get(event.document_sha256)


def _received(event: EventState) -> tuple[int, dt.datetime]:
    return (event.seq, event.at)


def _index(events: Sequence[EventState]) -> Mapping[str, tuple[EventState, ...]]:
    """Events by kind, counting only the current round: after a re-tendering (招标投标法
    第二十八条、第四十二条) the earlier steps belong to the failed round."""
    start = 0
    for i, event in enumerate(events):
        if event.kind == "retender":
            start = i + 1
    grouped: dict[str, list[EventState]] = defaultdict(list)
    for event in events[start:]:
        grouped[event.kind].append(event)
    return MappingProxyType({k: tuple(v) for k, v in grouped.items()})


# -- running rules --------------------------------------------------------------------------------


def run_rules(
    states: Iterable[ProjectState],
    params_by_rule: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    rules: Iterable[str] | None = None,
    timing: str | None = None,
    today: dt.date | None = None,
) -> list[Finding]:
    """Run rules over states and return their findings.

    `params_by_rule` names the rules to run, each with its parameters in force (the engine
    passes the office's settings); a rule missing from a rule's parameters runs with its
    default. Without it every rule of the registry runs with its defaults. `rules` and `timing`
    narrow the set further. `today` replaces the states' own (the sweeper's date).

    A rule that raises on a state is logged and skipped for that state, so that one odd project
    never stops a batch (the rules are written not to raise on partial projects).
    """
    from tenderwatch.screening.rules.registry import RULES

    if params_by_rule is None:
        selected: list[tuple[RuleSpec, Mapping[str, Any]]] = [
            (spec, spec.defaults()) for spec in RULES.values()
        ]
    else:
        selected = []
        for rule_id, params in params_by_rule.items():
            spec = RULES.get(rule_id)
            if spec is None:
                continue
            selected.append((spec, {**spec.defaults(), **dict(params or {})}))
    if rules is not None:
        wanted = set(rules)
        selected = [(s, p) for s, p in selected if s.id in wanted]
    if timing is not None:
        selected = [(s, p) for s, p in selected if s.timing == timing]
    findings: list[Finding] = []
    with wording():
        for state in states:
            if today is not None and state.today != today:
                state = state.with_(today=today)
            for spec, params in selected:
                try:
                    if spec.applies(state):
                        findings.extend(spec.check(state, params))
                except Exception:  # one odd project must not stop a batch
                    log.exception("rule %s failed on project %s", spec.id, state.project_id)
    return findings


# -- loading from the ledger ----------------------------------------------------------------------


def _funded(project: Any) -> bool | None:
    """State funding under 16号令 第二条 to 第四条, whatever the amount: the assessment of a
    contract right at the threshold decides only on the funding."""
    from tenderwatch.ledger import thresholds

    threshold = thresholds.THRESHOLDS.get(project.category)
    if threshold is None:
        return None
    assessment = thresholds.assess_must_tender(
        category=project.category,
        amount=threshold,
        currency="CNY",
        state_owned_share=project.state_owned_share,
        budget_funds=project.budget_funds,
        total_investment=project.total_investment,
    )
    return assessment.must_tender


def project_info(project: Any) -> ProjectInfo:
    tenderer = project.tenderer
    return ProjectInfo(
        id=project.pk,
        external_id=project.external_id,
        code=project.code,
        name=project.name,
        industry=project.industry,
        category=project.category,
        method=project.procurement_method,
        organisation_form=project.organisation_form or "",
        estimated_amount=project.estimated_amount,
        currency=project.currency or "CNY",
        must_tender=project.must_tender,
        state_funded=_funded(project),
        status=project.status,
        registered_at=project.registered_at,
        tenderer_id=project.tenderer_id,
        tenderer_name=tenderer.name if tenderer is not None else "",
        approval_no=project.approval_no or "",
        approved_scope=project.approved_scope or "",
        approved_method=project.approved_method or "",
        approved_form=project.approved_form or "",
        approved_on=project.approved_on,
        region_code=project.region_code or "",
    )


def _read_text(document: Any) -> str | None:
    """The text of a plain-text document kept by the ledger (others are not read)."""
    if not document.file:
        return None
    media = (document.media_type or "").lower()
    if media and not media.startswith("text/"):
        return None
    try:
        with document.file.open("rb") as handle:
            raw = handle.read(2_000_000)
    except OSError:
        return None
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def model_documents() -> tuple[ModelDocument, ...]:
    """The office's model documents, if the model that keeps them exists (see
    /work/notes/rules-needs.md: `screening.ModelDocument`); none otherwise."""
    from django.apps import apps

    try:
        model = apps.get_model("screening", "ModelDocument")
    except LookupError:
        return ()
    out = []
    fields = {f.name for f in model._meta.get_fields()}
    qs = model.objects.all()
    if "active" in fields:
        qs = qs.filter(active=True)
    for row in qs:
        methods = getattr(row, "methods", "") or ()
        if isinstance(methods, str):
            methods = tuple(m for m in methods.replace("，", ",").split(",") if m.strip())
        out.append(
            ModelDocument(
                id=row.pk,
                title=getattr(row, "title", "") or "",
                text=getattr(row, "text", "") or "",
                category=getattr(row, "category", "") or "",
                methods=tuple(str(m).strip() for m in methods),
                industry=getattr(row, "industry", "") or "",
                version=getattr(row, "version", 1) or 1,
            )
        )
    return tuple(out)


def load_states(
    project_ids: Iterable[int],
    *,
    today: dt.date | None = None,
    calendar: DayTable | None = None,
    with_documents: bool = True,
) -> list[ProjectState]:
    """Snapshots of these projects, in the order of `project_ids`, in a fixed number of queries
    (projects, lots, events with their documents, bids, openings, committees, evaluations,
    awards, contracts, approvals, siblings, model documents): no query per project.

    `calendar` defaults to the office's (`DayTable.from_workdays()`, read once per call).
    """
    from django.db.models import Q

    from tenderwatch.ledger.models import (
        ApprovedProject,
        Award,
        Bid,
        BidOpening,
        CommitteeMember,
        Contract,
        Evaluation,
        Lot,
        ProcedureEvent,
        Project,
    )

    ids = list(dict.fromkeys(int(i) for i in project_ids))
    if not ids:
        return []
    projects = {p.pk: p for p in Project.objects.filter(pk__in=ids).select_related("tenderer")}
    if not projects:
        return []
    ids = [i for i in ids if i in projects]
    if calendar is None:
        calendar = DayTable.from_workdays()

    lots: dict[int, list[LotState]] = defaultdict(list)
    lot_project: dict[int, int] = {}
    for lot in Lot.objects.filter(project_id__in=ids).order_by("project_id", "id"):
        lot_project[lot.pk] = lot.project_id
        reqs = lot.qualification_requirements
        lots[lot.project_id].append(
            LotState(
                id=lot.pk,
                external_id=lot.external_id,
                number=lot.number,
                name=lot.name,
                estimated_amount=lot.estimated_amount,
                ceiling_price=lot.ceiling_price,
                bid_security=lot.bid_security,
                currency=lot.currency or "CNY",
                qualification_requirements=tuple(r for r in reqs if isinstance(r, dict))
                if isinstance(reqs, list)
                else (),
            )
        )

    # Events: every version, the newest kept per (source, external id).
    newest: dict[tuple[str, str], Any] = {}
    for event in (
        ProcedureEvent.objects.filter(project_id__in=ids).select_related("document").order_by("id")
    ):
        key = (event.source, event.external_id)
        if key not in newest or event.version > newest[key].version:
            newest[key] = event
    events: dict[int, list[EventState]] = defaultdict(list)
    documents: dict[int, dict[str, str]] = defaultdict(dict)
    for event in newest.values():
        document = event.document
        sha = document.sha256 if document is not None else ""
        if (
            with_documents
            and document is not None
            and event.kind in ("tender_documents_issued", "prequalification_issued")
            and sha not in documents[event.project_id]
        ):
            text = _read_text(document)
            if text is not None:
                documents[event.project_id][sha] = text
        events[event.project_id].append(
            EventState(
                id=event.pk,
                external_id=event.external_id,
                kind=event.kind,
                at=event.occurred_at,
                day=china_day(event.occurred_at),
                lot_id=event.lot_id,
                data=MappingProxyType(dict(event.data)) if isinstance(event.data, dict) else EMPTY,
                document_sha256=sha,
                # Receipt order: when it came, then its id (a bulk import stores in order).
                seq=event.pk,
            )
        )

    bids: dict[int, list[BidState]] = defaultdict(list)
    for bid in (
        Bid.objects.filter(lot__project_id__in=ids)
        .select_related("bidder")
        .only(
            "id",
            "external_id",
            "lot_id",
            "bidder_id",
            "bidder__name",
            "price",
            "status",
            "submitted_at",
        )
        .order_by("id")
    ):
        bids[lot_project[bid.lot_id]].append(
            BidState(
                id=bid.pk,
                external_id=bid.external_id,
                lot_id=bid.lot_id,
                bidder_id=bid.bidder_id,
                bidder_name=bid.bidder.name,
                price=bid.price,
                status=bid.status,
                submitted_at=bid.submitted_at,
            )
        )

    openings: dict[int, dict[int, OpeningState]] = defaultdict(dict)
    for opening in BidOpening.objects.filter(lot__project_id__in=ids):
        openings[lot_project[opening.lot_id]][opening.lot_id] = OpeningState(
            lot_id=opening.lot_id,
            opened_at=opening.opened_at,
            bids_received=opening.bids_received,
        )

    # The committee: the members of the newest version only (a higher version replaces it).
    members: dict[int, list[Any]] = defaultdict(list)
    for member in CommitteeMember.objects.filter(lot__project_id__in=ids).order_by("id"):
        members[member.lot_id].append(member)
    committees: dict[int, dict[int, tuple[MemberState, ...]]] = defaultdict(dict)
    for lot_id, rows in members.items():
        top = max(m.version for m in rows)
        committees[lot_project[lot_id]][lot_id] = tuple(
            MemberState(name=m.name, role=m.role, is_expert=m.is_expert)
            for m in rows
            if m.version == top
        )

    evaluations: dict[int, dict[int, EvaluationState]] = defaultdict(dict)
    for ev in Evaluation.objects.filter(bid__lot__project_id__in=ids).select_related("bid"):
        evaluations[lot_project[ev.bid.lot_id]][ev.bid_id] = EvaluationState(
            bid_id=ev.bid_id, rank=ev.rank, passed=ev.passed, total_score=ev.total_score
        )

    awards: dict[int, dict[int, AwardState]] = defaultdict(dict)
    for award in Award.objects.filter(lot__project_id__in=ids).select_related("bid__bidder"):
        awards[lot_project[award.lot_id]][award.lot_id] = AwardState(
            id=award.pk,
            lot_id=award.lot_id,
            bid_id=award.bid_id,
            bidder_id=award.bid.bidder_id,
            bidder_name=award.bid.bidder.name,
            notice_at=award.notice_at,
            amount=award.amount if award.amount is not None else award.bid.price,
        )

    # A lot's contract: the one made on its award, else its first; the newest version of it.
    contracts: dict[int, dict[int, ContractState]] = defaultdict(dict)
    for contract in (
        Contract.objects.filter(lot__project_id__in=ids)
        .select_related("supplier")
        .order_by("lot_id", "id")
    ):
        project_id = lot_project[contract.lot_id]
        held = contracts[project_id].get(contract.lot_id)
        if held is not None and (held.award_id is not None or contract.award_id is None):
            continue
        contracts[project_id][contract.lot_id] = ContractState(
            id=contract.pk,
            external_id=contract.external_id,
            lot_id=contract.lot_id,
            supplier_id=contract.supplier_id,
            supplier_name=contract.supplier.name,
            signed_at=contract.signed_at,
            amount=contract.amount,
            duration_days=contract.duration_days,
            performance_security=contract.performance_security,
            award_id=contract.award_id,
        )

    # Approvals: matched to the project, or carrying its approval number.
    numbers = {p.approval_no: p.pk for p in projects.values() if p.approval_no}
    approvals: dict[int, list[ApprovalState]] = defaultdict(list)
    for ap in ApprovedProject.objects.filter(
        Q(matched_project_id__in=ids) | Q(approval_no__in=list(numbers))
    ).order_by("id"):
        owner = ap.matched_project_id if ap.matched_project_id in projects else None
        owner = owner or numbers.get(ap.approval_no)
        if owner is None:
            continue
        approvals[owner].append(
            ApprovalState(
                id=ap.pk,
                approval_no=ap.approval_no,
                name=ap.name,
                must_tender=ap.must_tender,
                approved_scope=ap.approved_scope,
                approved_method=ap.approved_method,
                approved_form=ap.approved_form,
                approved_on=ap.approved_on,
                amount=ap.amount,
            )
        )

    siblings = _siblings(projects.values())
    models = model_documents() if with_documents else ()

    out = []
    for pid in ids:
        project = projects[pid]
        out.append(
            ProjectState.build(
                project_info(project),
                lots=tuple(lots.get(pid, ())),
                events=events.get(pid, ()),
                bids=tuple(bids.get(pid, ())),
                openings=MappingProxyType(openings.get(pid, {})),
                committees=MappingProxyType(committees.get(pid, {})),
                evaluations=MappingProxyType(evaluations.get(pid, {})),
                awards=MappingProxyType(awards.get(pid, {})),
                contracts=MappingProxyType(contracts.get(pid, {})),
                approvals=tuple(approvals.get(pid, ())),
                siblings=tuple(
                    s
                    for s in siblings.get(project.tenderer_id, ())
                    if s.id != pid and _near(s.registered_on, project.registered_at)
                )
                if project.tenderer_id
                else (),
                documents=MappingProxyType(documents.get(pid, {})),
                model_documents=models,
                calendar=calendar,
                today=today,
            )
        )
    return out


def _near(day: dt.date | None, moment: dt.datetime | None) -> bool:
    if day is None or moment is None:
        return False
    return abs(day.toordinal() - china_day(moment).toordinal()) <= SIBLING_WINDOW_DAYS


def _siblings(projects: Iterable[Any]) -> dict[int, list[SiblingProject]]:
    """Projects of the same tenderers registered within `SIBLING_WINDOW_DAYS` of the batch, not
    tendered (the candidates of a split, MUST-05): one query."""
    from tenderwatch.ledger.models import Project

    tenderers = {p.tenderer_id for p in projects if p.tenderer_id and p.registered_at}
    moments = [p.registered_at for p in projects if p.registered_at]
    if not tenderers or not moments:
        return {}
    span = dt.timedelta(days=SIBLING_WINDOW_DAYS + 1)
    out: dict[int, list[SiblingProject]] = defaultdict(list)
    for row in (
        Project.objects.filter(
            tenderer_id__in=tenderers,
            registered_at__gte=min(moments) - span,
            registered_at__lte=max(moments) + span,
            procurement_method__in=sorted(NOT_TENDERED),
        )
        .only(
            "id",
            "external_id",
            "code",
            "name",
            "category",
            "procurement_method",
            "estimated_amount",
            "registered_at",
            "tenderer_id",
        )
        .order_by("registered_at", "id")
    ):
        assert row.tenderer_id is not None  # filtered on it
        out[row.tenderer_id].append(
            SiblingProject(
                id=row.pk,
                external_id=row.external_id,
                code=row.code,
                name=row.name,
                category=row.category,
                method=row.procurement_method,
                estimated_amount=row.estimated_amount,
                registered_on=china_day(row.registered_at) if row.registered_at else None,
            )
        )
    return out


__all__ = [
    "NOT_TENDERED",
    "TENDERED",
    "ApprovalState",
    "AwardState",
    "BidState",
    "ContractState",
    "EvaluationState",
    "EventState",
    "LotState",
    "MemberState",
    "ModelDocument",
    "OpeningState",
    "ProjectInfo",
    "ProjectState",
    "SiblingProject",
    "load_states",
    "run_rules",
]
