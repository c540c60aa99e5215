"""Bidding, opening and the evaluation committee. RULES.md §1.4–1.5, rows BO-01, BO-02, EV-01."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from tenderwatch.screening.findings import Fact, Finding, LegalBasis, Severity
from tenderwatch.screening.rules.base import (
    EVAL12,
    LAW,
    REGS,
    _,
    basis_text,
    lot_finding,
    when,
)
from tenderwatch.screening.rules.state import EventState, ProjectState

ART_LAW_28 = LegalBasis(LAW, "第二十八条")
ART_LAW_34 = LegalBasis(LAW, "第三十四条")
ART_LAW_37 = LegalBasis(LAW, "第三十七条")
ART_44 = LegalBasis(REGS, "第四十四条")
ART_EVAL_9 = LegalBasis(EVAL12, "第九条")

WITHDRAWN = "withdrawn"


def _opening(state: ProjectState, lot_id: int) -> tuple[dt.datetime | None, EventState | None]:
    """When the lot was opened: the opening record, else the opening step of the timeline."""
    event = state.in_force("opening", lot_id)
    record = state.openings.get(lot_id)
    if record is not None:
        return record.opened_at, event
    return (event.at if event is not None else None), event


# -- BO-01: fewer than three bids ----------------------------------------------------------------


def check_bo01(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """招标投标法实施条例 第四十四条 (招标投标法 第二十八条): with fewer than 3 bidders the bids are
    not opened and the tender is repeated. Fires when a lot with fewer bids was opened anyway."""
    minimum = int(params["min_bidders"])
    out = []
    for lot in state.lots:
        opened_at, event = _opening(state, lot.id)
        if opened_at is None:
            continue
        record = state.openings.get(lot.id)
        bids = [b for b in state.bids_of(lot.id) if b.status != WITHDRAWN]
        if record is not None and record.bids_received is not None:
            received = record.bids_received
        elif bids:
            received = len(bids)
        elif event is not None and isinstance(event.data.get("bids_received"), int):
            received = int(event.data["bids_received"])
        else:
            continue  # how many bid is not known
        if received >= minimum:
            continue
        text = _(
            "Only %(received)d bids were received for this lot, fewer than %(minimum)d, yet the "
            "bids were opened on %(opened)s instead of tendering again (%(basis)s)"
        ) % {
            "received": received,
            "minimum": minimum,
            "opened": when(opened_at),
            "basis": basis_text((ART_44,)),
        }
        out.append(
            lot_finding(
                "BO-01",
                state,
                lot,
                text=text,
                basis=(ART_44, ART_LAW_28),
                facts=[
                    Fact(_("Bids received"), received, f"lot:{lot.id}"),
                    *(Fact(_("Bidder"), b.bidder_name, f"bid:{b.id}") for b in bids),
                    Fact(_("Opened at"), opened_at, event.ref if event else f"lot:{lot.id}"),
                    Fact(_("Minimum number of bidders"), minimum),
                ],
                severity=Severity.HIGH,
                event_id=event.id if event is not None else None,
                entity_ids=[b.bidder_id for b in bids],
            )
        )
    return out


# -- BO-02: opening at the bid deadline ----------------------------------------------------------


def check_bo02(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """招标投标法 第三十四条: bids are opened in public at the time fixed as the bid deadline.
    Times are compared to the minute; `tolerance_minutes` allows a gap (default 0)."""
    tolerance = int(params["tolerance_minutes"])
    out = []
    for lot in state.lots:
        opened_at, event = _opening(state, lot.id)
        deadline_event = state.in_force("bid_deadline", lot.id)
        if opened_at is None or deadline_event is None:
            continue
        gap = _minutes(opened_at) - _minutes(deadline_event.at)
        if abs(gap) <= tolerance:
            continue
        if gap > 0:
            text = _(
                "The bids were opened at %(opened)s, %(gap)d minutes after the bid deadline "
                "%(deadline)s; the opening is to take place at the deadline (%(basis)s)"
            )
        else:
            text = _(
                "The bids were opened at %(opened)s, %(gap)d minutes before the bid deadline "
                "%(deadline)s; the opening is to take place at the deadline (%(basis)s)"
            )
        values = {
            "opened": when(opened_at),
            "gap": abs(gap),
            "deadline": when(deadline_event.at),
            "basis": basis_text((ART_LAW_34,)),
        }
        out.append(
            lot_finding(
                "BO-02",
                state,
                lot,
                text=text % values,
                basis=(ART_LAW_34,),
                facts=[
                    Fact(_("Opened at"), opened_at, event.ref if event else f"lot:{lot.id}"),
                    Fact(_("Bid deadline"), deadline_event.at, deadline_event.ref),
                    Fact(_("Difference (minutes)"), gap),
                ],
                severity=Severity.HIGH if gap < 0 else Severity.MEDIUM,
                event_id=event.id if event is not None else deadline_event.id,
            )
        )
    return out


def _minutes(moment: dt.datetime) -> int:
    return int(moment.timestamp()) // 60


# -- EV-01: the committee ------------------------------------------------------------------------


def parse_share(value: Any) -> Fraction:
    """ "2/3", "0.6667" or 2/3 as a fraction; ValueError (Chinese) if it is not one in (0, 1]."""
    try:
        share = Fraction(str(value).strip().replace("／", "/"))
    except (ValueError, ZeroDivisionError) as exc:
        raise ValueError(_("Write the share as a fraction such as 2/3.")) from exc
    if not 0 < share <= 1:
        raise ValueError(_("The share must be more than 0 and at most 1."))
    return share


def validate_share(value: Any) -> None:
    parse_share(value)


def check_ev01(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """招标投标法 第三十七条 (评标委员会和评标方法暂行规定 第九条): for a project that must be
    tendered, the committee has 5 or more members, an odd number, and the technical and economic
    experts are at least two thirds of it."""
    minimum = int(params["min_members"])
    try:
        share = parse_share(params["expert_share"])
    except ValueError:
        share = Fraction(2, 3)
    out = []
    for lot in state.lots:
        members = state.committees.get(lot.id)
        if not members:
            continue
        size = len(members)
        experts = sum(1 for m in members if m.is_expert)
        problems = []
        if size < minimum:
            problems.append(
                _("it has %(size)d members, fewer than %(minimum)d")
                % {"size": size, "minimum": minimum}
            )
        if size % 2 == 0:
            problems.append(_("its %(size)d members are not an odd number") % {"size": size})
        if Fraction(experts, size) < share:
            problems.append(
                _("only %(experts)d of its %(size)d members are technical or economic experts, "
                  "fewer than %(share)s of them")
                % {"experts": experts, "size": size, "share": _share_words(share)}
            )  # fmt: skip
        if not problems:
            continue
        event = (
            state.in_force("evaluation_start", lot.id)
            or state.in_force("evaluation_report", lot.id)
            or state.in_force("opening", lot.id)
        )
        text = _(
            "The evaluation committee of this lot is not lawfully composed: %(problems)s "
            "(%(basis)s)"
        ) % {
            "problems": _("; ").join(problems),
            "basis": basis_text((ART_LAW_37,)),
        }  # fmt: skip
        out.append(
            lot_finding(
                "EV-01",
                state,
                lot,
                text=text,
                basis=(ART_LAW_37, ART_EVAL_9),
                facts=[
                    Fact(_("Committee members"), size, f"lot:{lot.id}"),
                    Fact(_("Experts"), experts, f"lot:{lot.id}"),
                    Fact(
                        _("Members"),
                        "、".join(f"{m.name}（{_role_word(m.role)}）" for m in members),
                        f"lot:{lot.id}",
                    ),
                ],
                severity=Severity.MEDIUM,
                event_id=event.id if event is not None else None,
            )
        )
    return out


def _share_words(share: Fraction) -> str:
    if share == Fraction(2, 3):
        return _("two thirds")
    return f"{share.numerator}/{share.denominator}"


def _role_word(role: str) -> str:
    return {
        "chair": _("chair"),
        "expert": _("expert"),
        "tenderer_representative": _("tenderer's representative"),
    }.get(role, role)


__all__ = [
    "ART_44",
    "ART_EVAL_9",
    "ART_LAW_28",
    "ART_LAW_34",
    "ART_LAW_37",
    "check_bo01",
    "check_bo02",
    "check_ev01",
    "parse_share",
]
