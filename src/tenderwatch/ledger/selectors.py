"""Reads of the ledger: project search, a project's timeline and detail, a market entity's profile.

Visibility (DESIGN.md, "Decisions that every app follows"): every supervisory department reads
the whole ledger (互联共享), so the only gate is `ledger.view`, which every staff role holds; a
user without it sees nothing, and an object they may not see is "not found".

Everything here is meant to stay fast at province scale (200,000 lots, 1,000,000 bids): lists are
querysets the caller paginates, counts and sums are computed by the database (subqueries and
aggregates, never a Python loop over rows), related rows come with select_related /
prefetch_related, and no template walks a relation that was not fetched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils.translation import gettext_lazy as _

from tenderwatch.core.errors import NotFound
from tenderwatch.core.timeutil import CHINA
from tenderwatch.ledger.models import (
    Award,
    Bid,
    BidOpening,
    CommitteeMember,
    Contract,
    Document,
    Evaluation,
    Instruction,
    Lot,
    MarketEntity,
    ProcedureEvent,
    Project,
)
from tenderwatch.org.models import Industry
from tenderwatch.org.scoping import can
from tenderwatch.org.selectors import normalise_industry

PAGE_SIZE = 25


def industry_label(code: str) -> str:
    """The label of an industry code of the authority list (`org.models.Industry`); an unknown
    code is shown as it is."""
    labels = dict(Industry.choices)
    return str(labels.get(code) or labels.get(normalise_industry(code)) or code)


def can_view(user: Any) -> bool:
    return can(user, "ledger.view")


def projects_visible_to(user: Any) -> QuerySet[Project]:
    """The projects `user` may read: the whole ledger for every staff role, nothing otherwise."""
    if not can_view(user):
        return Project.objects.none()
    return Project.objects.all()


def _count_subquery(qs: QuerySet[Any]) -> Coalesce:
    """COUNT(*) of a correlated queryset as a scalar subquery (0 when there is no row)."""
    counted = qs.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def projects_search(
    *,
    user: Any,
    q: str = "",
    industry: str = "",
    category: str = "",
    method: str = "",
    status: str = "",
    region: str = "",
    registered_from: dt.date | None = None,
    registered_to: dt.date | None = None,
    amount_min: Decimal | None = None,
    amount_max: Decimal | None = None,
    must_tender: bool | None = None,
) -> QuerySet[Project]:
    """Projects matching the filters, newest first, with tenderer, agency and lot/bid counts.

    `q` matches the project code (exact or part), the project name and the tenderer's name.
    Dates are China dates of registration, both ends included. The counts are correlated
    subqueries, which the database evaluates only for the page it returns.
    """
    qs = projects_visible_to(user)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(tenderer__name__icontains=q))
    if industry:
        qs = qs.filter(industry=industry)
    if category:
        qs = qs.filter(category=category)
    if method:
        qs = qs.filter(procurement_method=method)
    if status:
        qs = qs.filter(status=status)
    if region:
        qs = qs.filter(region_code__startswith=region)
    if registered_from:
        qs = qs.filter(registered_at__gte=_china_midnight(registered_from))
    if registered_to:
        qs = qs.filter(registered_at__lt=_china_midnight(registered_to + dt.timedelta(days=1)))
    if amount_min is not None:
        qs = qs.filter(estimated_amount__gte=amount_min)
    if amount_max is not None:
        qs = qs.filter(estimated_amount__lte=amount_max)
    if must_tender is not None:
        qs = qs.filter(must_tender=must_tender)
    return (
        qs.select_related("tenderer", "agency")
        .annotate(
            lot_count=_count_subquery(Lot.objects.filter(project=OuterRef("pk"))),
            bid_count=_count_subquery(Bid.objects.filter(lot__project=OuterRef("pk"))),
        )
        .order_by(F("registered_at").desc(nulls_last=True), "-id")
    )


def _china_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=CHINA)


def industries_in_use() -> list[tuple[str, str]]:
    """(code, label) of the industries the ledger holds, for the filter form."""
    codes = set(Project.objects.order_by().values_list("industry", flat=True).distinct()) | set(
        Industry.values
    )
    return sorted(((c, industry_label(c)) for c in codes if c), key=lambda p: p[0])


# -- a project's timeline ----------------------------------------------------------------------


def timeline(project: Project, *, all_versions: bool = False) -> QuerySet[ProcedureEvent]:
    """The procedure events of `project`, ordered by when they happened (then by id).

    Events are append-only: a correction is a new version of the same (source, external id).
    By default only the newest version of each is shown; with `all_versions` every version is
    returned and `is_superseded` tells which ones a newer version replaced. `version_count`
    says how many versions an event has.
    """
    newer = ProcedureEvent.objects.filter(
        source=OuterRef("source"),
        external_id=OuterRef("external_id"),
        version__gt=OuterRef("version"),
    )
    versions = ProcedureEvent.objects.filter(
        source=OuterRef("source"), external_id=OuterRef("external_id")
    )
    qs = (
        ProcedureEvent.objects.filter(project=project)
        .annotate(is_superseded=Exists(newer), version_count=_count_subquery(versions))
        .select_related("document", "lot", "recorded_by")
        .order_by("occurred_at", "id")
    )
    if not all_versions:
        qs = qs.filter(is_superseded=False)
    return qs


# -- a project's page --------------------------------------------------------------------------


@dataclass
class BidRow:
    bid: Bid
    ceiling_ratio: Decimal | None  # price / ceiling price
    is_winner: bool

    @property
    def ceiling_ratio_percent(self) -> Decimal | None:
        return None if self.ceiling_ratio is None else self.ceiling_ratio * 100

    @property
    def evaluation(self) -> Evaluation | None:
        try:
            return self.bid.evaluation
        except Evaluation.DoesNotExist:
            return None


@dataclass
class LotView:
    lot: Lot
    bids: list[BidRow]
    ranking: list[BidRow]
    committee: list[CommitteeMember]
    opening: BidOpening | None
    award: Award | None
    contracts: list[Contract]

    @property
    def bid_security_share_percent(self) -> Decimal | None:
        share = self.lot.bid_security_share
        return None if share is None else share * 100


@dataclass
class Party:
    entity: MarketEntity
    roles: list[str] = field(default_factory=list)


@dataclass
class ProjectDetail:
    project: Project
    lots: list[LotView]
    events: list[ProcedureEvent]
    parties: list[Party]
    documents: list[Document]
    instructions: list[Instruction]
    all_versions: bool


def project_of(*, user: Any, pk: int) -> Project:
    project = projects_visible_to(user).select_related("tenderer", "agency").filter(pk=pk).first()
    if project is None:
        raise NotFound()
    return project


def project_detail(*, user: Any, pk: int, all_versions: bool = False) -> ProjectDetail:
    """Everything the project page shows, in a fixed number of queries whatever its size."""
    project = project_of(user=user, pk=pk)
    bids = (
        Bid.objects.select_related("bidder", "project_manager", "evaluation")
        .prefetch_related("consortium_members")
        .order_by(F("evaluation__rank").asc(nulls_last=True), "price", "id")
    )
    lots = list(
        project.lots.order_by("number", "id")
        .select_related("opening__document", "award__bid__bidder")
        .prefetch_related(
            Prefetch("bids", queryset=bids),
            Prefetch(
                "committee",
                queryset=CommitteeMember.objects.select_related("expert").order_by("role", "id"),
            ),
            Prefetch("contracts", queryset=Contract.objects.select_related("supplier")),
        )
    )
    lot_views: list[LotView] = []
    parties: dict[int, Party] = {}

    def party(entity: MarketEntity | None, role: str) -> None:
        if entity is None:
            return
        entry = parties.setdefault(entity.pk, Party(entity))
        if role not in entry.roles:
            entry.roles.append(role)

    party(project.tenderer, str(_("Tenderer")))
    party(project.agency, str(_("Agency")))
    for lot in lots:
        award = getattr(lot, "award", None) if _has_award(lot) else None
        opening = lot.opening if _has_opening(lot) else None
        rows = []
        for bid in lot.bids.all():
            ratio = None
            if bid.price is not None and lot.ceiling_price:
                ratio = bid.price / lot.ceiling_price
            rows.append(BidRow(bid, ratio, award is not None and award.bid_id == bid.pk))
            party(bid.bidder, str(_("Bidder")))
            for member in bid.consortium_members.all():
                party(member, str(_("Consortium member")))
        for contract in lot.contracts.all():
            party(contract.supplier, str(_("Supplier (contract)")))
        ranking = sorted(
            (r for r in rows if _rank(r.bid) is not None), key=lambda r: _rank(r.bid) or 0
        )
        lot_views.append(
            LotView(
                lot=lot,
                bids=rows,
                ranking=ranking,
                committee=list(lot.committee.all()),
                opening=opening,
                award=award,
                contracts=list(lot.contracts.all()),
            )
        )
    for lv in lot_views:
        if lv.award is not None:
            party(lv.award.bid.bidder, str(_("Winner")))

    events = list(timeline(project, all_versions=all_versions))
    documents: dict[int, Document] = {}
    for e in events:
        if e.document is not None:
            documents.setdefault(e.document.pk, e.document)
    for lv in lot_views:
        if lv.opening is not None and lv.opening.document is not None:
            documents.setdefault(lv.opening.document.pk, lv.opening.document)
    instructions = list(
        Instruction.objects.filter(project=project)
        .select_related("system", "issued_by", "lot")
        .order_by("-issued_at", "-id")
    )
    return ProjectDetail(
        project=project,
        lots=lot_views,
        events=events,
        parties=list(parties.values()),
        documents=list(documents.values()),
        instructions=instructions,
        all_versions=all_versions,
    )


def _has_award(lot: Lot) -> bool:
    try:
        return lot.award is not None
    except Award.DoesNotExist:
        return False


def _has_opening(lot: Lot) -> bool:
    try:
        return lot.opening is not None
    except BidOpening.DoesNotExist:
        return False


def _rank(bid: Bid) -> int | None:
    try:
        return bid.evaluation.rank
    except Evaluation.DoesNotExist:
        return None


# -- a market entity ---------------------------------------------------------------------------


def entities_with_stats() -> QuerySet[MarketEntity]:
    """Market entities with bid_count, win_count, win_rate (0..1, NULL without bids),
    tendered_count and agency_count, all computed by the database.

    Suitable for ranking bidders at province scale (e.g. 陪标专业户 with many bids and no win,
    RULES.md BO-12) when filtered and paginated.
    """
    wins = Award.objects.filter(bid__bidder=OuterRef("pk"))
    return MarketEntity.objects.annotate(
        bid_count=_count_subquery(Bid.objects.filter(bidder=OuterRef("pk"))),
        win_count=_count_subquery(wins),
        tendered_count=_count_subquery(Project.objects.filter(tenderer=OuterRef("pk"))),
        agency_count=_count_subquery(Project.objects.filter(agency=OuterRef("pk"))),
    ).annotate(
        win_rate=Cast(F("win_count"), FloatField()) / NullIf(F("bid_count"), 0),
    )


@dataclass
class EntityStats:
    bids: int
    wins: int
    won_amount: Decimal | None
    tendered: int
    as_agency: int
    consortium: int
    contracts: int
    contract_amount: Decimal | None

    @property
    def win_rate(self) -> float | None:
        return self.wins / self.bids if self.bids else None

    @property
    def win_rate_percent(self) -> float | None:
        rate = self.win_rate
        return None if rate is None else rate * 100


@dataclass
class EntityProfile:
    entity: MarketEntity
    stats: EntityStats
    bids: Page
    wins: Page
    tendered: Page
    as_agency: Page
    consortium: Page


def entity_of(*, user: Any, pk: int) -> MarketEntity:
    if not can_view(user):
        raise NotFound()
    entity = (
        MarketEntity.objects.prefetch_related("qualifications", "key_people").filter(pk=pk).first()
    )
    if entity is None:
        raise NotFound()
    return entity


def entity_stats(entity: MarketEntity) -> EntityStats:
    """Counts and sums for one entity: a handful of aggregate queries on indexed foreign keys."""
    bid_agg = Bid.objects.filter(bidder=entity).aggregate(
        bids=Count("id"), wins=Count("awards"), won_amount=Sum("awards__amount")
    )
    contract_agg = Contract.objects.filter(supplier=entity).aggregate(
        n=Count("id"), amount=Sum("amount")
    )
    project_agg = Project.objects.filter(Q(tenderer=entity) | Q(agency=entity)).aggregate(
        tendered=Count("id", filter=Q(tenderer=entity)),
        as_agency=Count("id", filter=Q(agency=entity)),
    )
    return EntityStats(
        bids=bid_agg["bids"],
        wins=bid_agg["wins"],
        won_amount=bid_agg["won_amount"],
        tendered=project_agg["tendered"],
        as_agency=project_agg["as_agency"],
        consortium=Bid.consortium_members.through.objects.filter(marketentity=entity).count(),
        contracts=contract_agg["n"],
        contract_amount=contract_agg["amount"],
    )


def _page(qs: QuerySet[Any], number: Any, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(qs, per_page).get_page(number)


def entity_bids(entity: MarketEntity) -> QuerySet[Bid]:
    """Every bid of `entity`, newest first, with its lot, project, rank and whether it won."""
    return (
        Bid.objects.filter(bidder=entity)
        .select_related("lot__project", "evaluation", "project_manager")
        .annotate(won=Exists(Award.objects.filter(bid=OuterRef("pk"))))
        .order_by(F("submitted_at").desc(nulls_last=True), "-id")
    )


def entity_wins(entity: MarketEntity) -> QuerySet[Award]:
    return (
        Award.objects.filter(bid__bidder=entity)
        .select_related("lot__project", "bid")
        .order_by(F("notice_at").desc(nulls_last=True), "-id")
    )


def entity_tendered(entity: MarketEntity) -> QuerySet[Project]:
    return (
        Project.objects.filter(tenderer=entity)
        .select_related("agency")
        .order_by(F("registered_at").desc(nulls_last=True), "-id")
    )


def entity_agency_projects(entity: MarketEntity) -> QuerySet[Project]:
    return (
        Project.objects.filter(agency=entity)
        .select_related("tenderer")
        .order_by(F("registered_at").desc(nulls_last=True), "-id")
    )


def entity_consortium_bids(entity: MarketEntity) -> QuerySet[Bid]:
    return (
        Bid.objects.filter(consortium_members=entity)
        .select_related("lot__project", "bidder")
        .order_by(F("submitted_at").desc(nulls_last=True), "-id")
    )


def entity_profile(
    *, user: Any, pk: int, pages: dict[str, Any] | None = None, per_page: int = PAGE_SIZE
) -> EntityProfile:
    """What an entity bid on, won, tendered, acted as agency for and joined as consortium
    member, each list paginated on its own (`pages` maps "bids", "wins", "tendered",
    "agency", "consortium" to page numbers), with its qualifications and key people."""
    entity = entity_of(user=user, pk=pk)
    pages = pages or {}
    return EntityProfile(
        entity=entity,
        stats=entity_stats(entity),
        bids=_page(entity_bids(entity), pages.get("bids"), per_page),
        wins=_page(entity_wins(entity), pages.get("wins"), per_page),
        tendered=_page(entity_tendered(entity), pages.get("tendered"), per_page),
        as_agency=_page(entity_agency_projects(entity), pages.get("agency"), per_page),
        consortium=_page(entity_consortium_bids(entity), pages.get("consortium"), per_page),
    )


def document_of(*, user: Any, sha256: str) -> Document:
    if not can_view(user):
        raise NotFound()
    document = Document.objects.filter(sha256=sha256.lower()).first()
    if document is None:
        raise NotFound()
    return document
