"""Hand-made project states for rule tests (no database): a timeline written as events.

    state = make_state(
        ev("tender_documents_issued", "2026-03-02"),
        ev("bid_deadline", "2026-03-21 09:30"),
    )
    findings = check_td05(state, {"min_days": 20})

Events get ids and receipt order in the order given; `lot=1` puts an event on the first lot.
Lots, bids, awards and contracts have small helpers; everything else is a keyword of
`make_state`.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from tenderwatch.screening.rules.days import DayTable
from tenderwatch.screening.rules.state import (
    ApprovalState,
    AwardState,
    BidState,
    ContractState,
    EventState,
    LotState,
    MemberState,
    ModelDocument,
    OpeningState,
    ProjectInfo,
    ProjectState,
    SiblingProject,
)

CHINA = dt.timezone(dt.timedelta(hours=8))
_TABLE: DayTable | None = None
_ids = itertools.count(1)


def builtin_table() -> DayTable:
    global _TABLE
    if _TABLE is None:
        _TABLE = DayTable.from_builtin()
    return _TABLE


def at(value: str | dt.date | dt.datetime) -> dt.datetime:
    """ "2026-03-02" (09:00) or "2026-03-02 14:30", China time."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, 9, 0, tzinfo=CHINA)
    text = value.strip()
    if len(text) == 10:
        text += " 09:00"
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=CHINA)


def ev(
    kind: str,
    when: str | dt.date | dt.datetime,
    *,
    lot: int | None = None,
    ext: str | None = None,
    sha: str = "",
    **data: Any,
) -> EventState:
    moment = at(when)
    n = next(_ids)
    return EventState(
        id=n,
        external_id=ext or f"E-{n}",
        kind=kind,
        at=moment,
        day=moment.astimezone(CHINA).date(),
        lot_id=lot,
        data=MappingProxyType(dict(data)),
        document_sha256=sha,
        seq=n,
    )


def lot(
    n: int = 1,
    *,
    estimate: str | Decimal | None = "5000000",
    security: str | Decimal | None = None,
    requirements: Sequence[Mapping[str, Any]] = (),
) -> LotState:
    return LotState(
        id=n,
        external_id=f"L{n}",
        number=f"TEST-{n:03d}",
        name=f"第{n}标段",
        estimated_amount=Decimal(estimate) if estimate is not None else None,
        ceiling_price=None,
        bid_security=Decimal(security) if security is not None else None,
        qualification_requirements=tuple(MappingProxyType(dict(r)) for r in requirements),
    )


def bids(lot_id: int, count: int, *, start: int = 1) -> tuple[BidState, ...]:
    return tuple(
        BidState(
            id=lot_id * 100 + j,
            external_id=f"L{lot_id}-B{j}",
            lot_id=lot_id,
            bidder_id=1000 + j,
            bidder_name=f"投标人{j}",
            price=Decimal("4800000") - j * 1000,
            status="valid",
        )
        for j in range(start, start + count)
    )


def committee(experts: int, representatives: int) -> tuple[MemberState, ...]:
    return tuple(
        [MemberState(f"专家{k}", "chair" if k == 0 else "expert", True) for k in range(experts)]
        + [
            MemberState(f"代表{k}", "tenderer_representative", False)
            for k in range(representatives)
        ]
    )


def award(
    lot_id: int = 1,
    when: str | None = None,
    *,
    bidder_id: int = 1001,
    amount: str = "4799000",
) -> AwardState:
    return AwardState(
        id=lot_id,
        lot_id=lot_id,
        bid_id=lot_id * 100 + 1,
        bidder_id=bidder_id,
        bidder_name=f"投标人{bidder_id - 1000}",
        notice_at=at(when) if when else None,
        amount=Decimal(amount),
    )


def contract(
    lot_id: int = 1,
    when: str | None = None,
    *,
    supplier_id: int = 1001,
    amount: str = "4799000",
    duration: int | None = 180,
    performance_security: str | None = None,
) -> ContractState:
    return ContractState(
        id=lot_id,
        external_id=f"L{lot_id}-C1",
        lot_id=lot_id,
        supplier_id=supplier_id,
        supplier_name=f"投标人{supplier_id - 1000}",
        signed_at=at(when) if when else None,
        amount=Decimal(amount),
        duration_days=duration,
        performance_security=Decimal(performance_security) if performance_security else None,
        award_id=lot_id,
    )


def make_state(
    *events: EventState,
    method: str = "open",
    category: str = "works",
    industry: str = "housing_municipal",
    must_tender: bool | None = True,
    state_funded: bool | None = True,
    amount: str | None = "5000000",
    name: str = "黄州区赤壁路改造工程",
    code: str = "HZJS2026-0001",
    lots: Iterable[LotState] | None = None,
    bids: Iterable[BidState] = (),
    openings: Iterable[OpeningState] = (),
    committees: Mapping[int, tuple[MemberState, ...]] | None = None,
    awards: Iterable[AwardState] = (),
    contracts: Iterable[ContractState] = (),
    approvals: Iterable[ApprovalState] = (),
    siblings: Iterable[SiblingProject] = (),
    documents: Mapping[str, str] | None = None,
    models: Iterable[ModelDocument] = (),
    calendar: DayTable | str | None = "builtin",
    today: dt.date | str | None = None,
    registered: str = "2026-03-02",
    tenderer_id: int = 77,
    approval_no: str = "",
    approved_method: str = "",
    approved_form: str = "",
    approved_scope: str = "",
    organisation_form: str = "entrusted",
    project_id: int = 1,
) -> ProjectState:
    info = ProjectInfo(
        id=project_id,
        external_id=code,
        code=code,
        name=name,
        industry=industry,
        category=category,
        method=method,
        organisation_form=organisation_form,
        estimated_amount=Decimal(amount) if amount is not None else None,
        currency="CNY",
        must_tender=must_tender,
        state_funded=state_funded,
        status="bidding",
        registered_at=at(registered),
        tenderer_id=tenderer_id,
        tenderer_name="黄冈市黄州区城市建设投资有限公司",
        approval_no=approval_no,
        approved_scope=approved_scope,
        approved_method=approved_method,
        approved_form=approved_form,
    )
    lot_states = tuple(lots) if lots is not None else (lot(1, estimate=amount),)
    if isinstance(today, str):
        today = dt.date.fromisoformat(today)
    table = builtin_table() if calendar == "builtin" else calendar
    assert table is None or isinstance(table, DayTable)
    return ProjectState.build(
        info,
        lots=lot_states,
        events=events,
        bids=tuple(bids),
        openings=MappingProxyType({o.lot_id: o for o in openings}),
        committees=MappingProxyType(dict(committees or {})),
        awards=MappingProxyType({a.lot_id: a for a in awards}),
        contracts=MappingProxyType({c.lot_id: c for c in contracts}),
        approvals=tuple(approvals),
        siblings=tuple(siblings),
        documents=MappingProxyType(dict(documents or {})),
        model_documents=tuple(models),
        calendar=table,
        today=today,
    )


__all__ = [
    "at",
    "award",
    "bids",
    "builtin_table",
    "committee",
    "contract",
    "ev",
    "lot",
    "make_state",
]
