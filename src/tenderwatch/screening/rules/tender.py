"""The tendering stage (招标阶段): documents, periods, clarifications, objections, bid security.
RULES.md §1.2, rows TD-02, TD-03, TD-05, TD-06, TD-07, TD-09, TD-09b.

Day counting (RULES.md D1, D4): every period here is in calendar days (日), the start day not
counted. The minimum periods (TD-02, TD-03, TD-05, TD-06, the objection windows of TD-07) are
counted and never rolled forward — a holiday does not lengthen "不得少于20日". The time limit
for answering an objection (TD-07, "3日内答复") is a deadline for an act and rolls forward
under 民法典 第二百零三条 (parameter `roll_forward`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy

from tenderwatch.screening.findings import Fact, Finding, LegalBasis, Severity
from tenderwatch.screening.rules.base import (
    ART_203,
    CALENDAR,
    LAW,
    REGS,
    WORKS30,
    ParamSpec,
    _,
    as_decimal,
    basis_text,
    cap_amount,
    day,
    lot_fact,
    lot_finding,
    make_finding,
    number,
    param_bool,
    percent,
    rolled_note,
    yuan,
)
from tenderwatch.screening.rules.days import deadline, period_days
from tenderwatch.screening.rules.state import EventState, ProjectState

ART_LAW_24 = LegalBasis(LAW, "第二十四条")
ART_LAW_23 = LegalBasis(LAW, "第二十三条")
ART_16 = LegalBasis(REGS, "第十六条")
ART_17 = LegalBasis(REGS, "第十七条")
ART_21 = LegalBasis(REGS, "第二十一条")
ART_22 = LegalBasis(REGS, "第二十二条")
ART_26 = LegalBasis(REGS, "第二十六条")
ART_30_37 = LegalBasis(WORKS30, "第三十七条")

PREQUALIFICATION = "prequalification"
TENDER_DOCUMENTS = "tender_documents"
RESULT = "result"
OPENING = "opening"


def tendered(state: ProjectState) -> bool:
    """招标 (open or invited tendering): 招标投标法 and its 实施条例 apply."""
    return state.project.tendered


def must_tendered(state: ProjectState) -> bool:
    """依法必须进行招标的项目, tendered (the rules of the law that say so)."""
    return state.project.tendered and state.project.must_tender is True


def _lot_targets(state: ProjectState) -> list[int | None]:
    return [lot.id for lot in state.lots] or [None]


def _deadlines(state: ProjectState, lot_id: int | None = None) -> list[EventState]:
    """The bid deadlines in force: the lot's, or, for a project-wide step, each lot's (one per
    distinct deadline event)."""
    targets = [lot_id] if lot_id is not None else _lot_targets(state)
    found: dict[str, EventState] = {}
    for target in targets:
        event = state.in_force("bid_deadline", target)
        if event is not None:
            found.setdefault(event.external_id, event)
    return list(found.values())


def _falsy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("false", "0", "no", "否", "")
    return value is False or value == 0


# -- TD-05: 20 days from the documents to the deadline ---------------------------------------------


def check_td05(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """招标投标法 第二十四条: for a project that must be tendered, at least 20 days from the day
    the tender documents are first issued to the bid deadline (counted, not rolled)."""
    minimum = int(params["min_days"])
    out: list[Finding] = []
    for deadline_event in _deadlines(state):
        lot_id = deadline_event.lot_id
        start = state.first("tender_documents_issued", lot_id)
        from_announcement = start is None
        if start is None:
            start = state.first("announcement", lot_id)
        if start is None:
            continue
        days = period_days(start.day, deadline_event.day)
        if days < 0 or days >= minimum:
            continue
        values = {
            "start": day(start.day),
            "deadline": day(deadline_event.day),
            "days": days,
            "minimum": minimum,
            "basis": basis_text((ART_LAW_24,)),
        }
        if from_announcement:
            text = _(
                "From the tender announcement (%(start)s; no issue of the tender documents was "
                "reported) to the bid deadline (%(deadline)s) only %(days)d days, fewer than "
                "%(minimum)d days (%(basis)s)"
            )
            start_label = _("Tender announcement")
        else:
            text = _(
                "From the first issue of the tender documents (%(start)s) to the bid deadline "
                "(%(deadline)s) only %(days)d days, fewer than %(minimum)d days (%(basis)s)"
            )
            start_label = _("Tender documents first issued")
        out.append(
            make_finding(
                "TD-05",
                state,
                explanation=text % values,
                basis=(ART_LAW_24,),
                facts=[
                    *lot_fact(state, lot_id),
                    Fact(start_label, start.day, start.ref),
                    Fact(_("Bid deadline"), deadline_event.at, deadline_event.ref),
                    Fact(_("Days in the period"), days),
                    Fact(_("Minimum (days)"), minimum),
                ],
                key=f"deadline:{deadline_event.external_id}",
                severity=Severity.HIGH,
                lot_id=lot_id,
                event_id=deadline_event.id,
            )
        )
    return out


# -- TD-06: clarifications and amendments in time -------------------------------------------------


def _stage(state: ProjectState, event: EventState) -> str:
    """Whether a clarification or objection concerns the prequalification documents, the tender
    documents, the opening or the evaluation result: as reported (`data["stage"]`), else by when
    it came."""
    stage = str(event.data.get("stage") or event.data.get("documents") or "").strip().lower()
    if stage in (PREQUALIFICATION, "资格预审", "prequalification_documents"):
        return PREQUALIFICATION
    if stage in (TENDER_DOCUMENTS, "招标文件"):
        return TENDER_DOCUMENTS
    if stage in (RESULT, "评标结果", "evaluation_result"):
        return RESULT
    if stage in (OPENING, "开标"):
        return OPENING
    prequal = state.in_force("prequalification_deadline", event.lot_id)
    if prequal is not None and event.at <= prequal.at:
        return PREQUALIFICATION
    deadlines = _deadlines(state, event.lot_id)
    if deadlines and any(event.at < d.at for d in deadlines):
        return TENDER_DOCUMENTS
    publicity = state.first("candidate_publicity_start", event.lot_id)
    if publicity is not None and event.at >= publicity.at:
        return RESULT
    return ""


def check_td06(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """招标投标法实施条例 第二十一条 (招标投标法 第二十三条): a clarification or amendment that may
    affect the preparation of bids is notified at least 15 days before the bid deadline (at
    least 3 days before the prequalification deadline); otherwise the deadline moves. The
    deadline in force is the newest reported: a deadline moved by the notice is respected."""
    out: list[Finding] = []
    notices = sorted(
        (*state.of_kind("clarification"), *state.of_kind("amendment")), key=lambda e: e.at
    )
    for notice in notices:
        if "material" in notice.data and _falsy(notice.data.get("material")):
            continue  # reported as not affecting the bids: Art. 21 does not require 15 days
        prequal = _stage(state, notice) == PREQUALIFICATION
        if prequal:
            target = state.in_force("prequalification_deadline", notice.lot_id)
            targets = [target] if target is not None else []
            minimum = int(params["min_days_prequalification"])
        else:
            targets = _deadlines(state, notice.lot_id)
            minimum = int(params["min_days"])
        for target in targets:
            if notice.at >= target.at:
                continue  # after the deadline: not a notice before it
            days = period_days(notice.day, target.day)
            if days >= minimum:
                continue
            values = {
                "notice": day(notice.day),
                "deadline": day(target.day),
                "days": days,
                "minimum": minimum,
                "basis": basis_text((ART_21,)),
            }
            if prequal:
                text = _(
                    "A clarification or amendment issued on %(notice)s came only %(days)d days "
                    "before the prequalification application deadline (%(deadline)s), fewer "
                    "than %(minimum)d days, and the deadline was not moved (%(basis)s)"
                )
                label = _("Prequalification application deadline")
            else:
                text = _(
                    "A clarification or amendment issued on %(notice)s came only %(days)d days "
                    "before the bid deadline (%(deadline)s), fewer than %(minimum)d days, and "
                    "the deadline was not moved (%(basis)s)"
                )
                label = _("Bid deadline")
            lot_id = notice.lot_id or target.lot_id
            out.append(
                make_finding(
                    "TD-06",
                    state,
                    explanation=text % values,
                    basis=(ART_21, ART_LAW_23),
                    facts=[
                        *lot_fact(state, lot_id),
                        Fact(_("Clarification or amendment issued"), notice.at, notice.ref),
                        Fact(label, target.at, target.ref),
                        Fact(_("Days before the deadline"), days),
                        Fact(_("Minimum (days)"), minimum),
                    ],
                    key=f"notice:{notice.external_id}:{target.external_id}",
                    severity=Severity.HIGH,
                    lot_id=lot_id,
                    event_id=notice.id,
                )
            )
    return out


# -- TD-02 and TD-03: sale of documents, prequalification window ----------------------------------


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def check_td02(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """招标投标法实施条例 第十六条: prequalification and tender documents are on sale for at least
    5 days (counted from the day after the first issue to the last day of sale)."""
    minimum = int(params["min_days"])
    out: list[Finding] = []
    pairs: list[tuple[str, EventState, dt.date, str]] = []
    issued = state.first("tender_documents_issued")
    sale_end = state.in_force("tender_documents_sale_end")
    if issued is not None and sale_end is not None:
        pairs.append(("tender", issued, sale_end.day, sale_end.ref))
    pq = state.first("prequalification_issued")
    pq_end = _date(pq.data.get("sale_end")) if pq is not None else None
    if pq is not None and pq_end is not None:
        pairs.append((PREQUALIFICATION, pq, pq_end, pq.ref))
    for which, start, end, end_ref in pairs:
        days = period_days(start.day, end)
        if days < 0 or days >= minimum:
            continue
        values = {
            "start": day(start.day),
            "end": day(end),
            "days": days,
            "minimum": minimum,
            "basis": basis_text((ART_16,)),
        }
        if which == PREQUALIFICATION:
            text = _(
                "The prequalification documents were on sale from %(start)s to %(end)s, only "
                "%(days)d days, fewer than %(minimum)d days (%(basis)s)"
            )
        else:
            text = _(
                "The tender documents were on sale from %(start)s to %(end)s, only %(days)d "
                "days, fewer than %(minimum)d days (%(basis)s)"
            )
        out.append(
            make_finding(
                "TD-02",
                state,
                explanation=text % values,
                basis=(ART_16,),
                facts=[
                    Fact(_("Documents first issued"), start.day, start.ref),
                    Fact(_("Sale ends"), end, end_ref),
                    Fact(_("Days on sale"), days),
                    Fact(_("Minimum (days)"), minimum),
                ],
                key=f"sale:{which}:{start.external_id}",
                severity=Severity.MEDIUM,
                event_id=start.id,
            )
        )
    return out


def check_td03(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """招标投标法实施条例 第十七条: for a project that must be tendered, at least 5 days from the
    end of the sale of the prequalification documents to the application deadline. Where the
    end of the sale is not reported, the application deadline must be at least 10 days (5 of
    sale, 第十六条, and 5 of preparation) after the first issue."""
    window = int(params["min_days"])
    sale = int(params["min_sale_days"])
    issued = state.first("prequalification_issued")
    target = state.in_force("prequalification_deadline")
    if issued is None or target is None:
        return []
    sale_end = _date(issued.data.get("sale_end"))
    if sale_end is not None:
        days = period_days(sale_end, target.day)
        minimum = window
        text = _(
            "From the end of the sale of the prequalification documents (%(start)s) to the "
            "application deadline (%(deadline)s) only %(days)d days, fewer than %(minimum)d days "
            "(%(basis)s)"
        )
        start_day, start_label = sale_end, _("Sale of prequalification documents ends")
    else:
        days = period_days(issued.day, target.day)
        minimum = window + sale
        text = _(
            "From the first issue of the prequalification documents (%(start)s) to the "
            "application deadline (%(deadline)s) only %(days)d days: with at least %(sale)d days "
            "of sale and %(window)d days after it, at least %(minimum)d days are needed "
            "(%(basis)s)"
        )
        start_day, start_label = issued.day, _("Prequalification documents first issued")
    if days < 0 or days >= minimum:
        return []
    values = {
        "start": day(start_day),
        "deadline": day(target.day),
        "days": days,
        "minimum": minimum,
        "sale": sale,
        "window": window,
        "basis": basis_text((ART_17, ART_16)),
    }
    return [
        make_finding(
            "TD-03",
            state,
            explanation=text % values,
            basis=(ART_17, ART_16),
            facts=[
                Fact(start_label, start_day, issued.ref),
                Fact(_("Prequalification application deadline"), target.at, target.ref),
                Fact(_("Days in the period"), days),
                Fact(_("Minimum (days)"), minimum),
            ],
            key=f"prequalification:{target.external_id}",
            severity=Severity.HIGH,
            lot_id=target.lot_id,
            event_id=target.id,
        )
    ]


# -- TD-07 (and AW-02): objections answered in time, the procedure paused meanwhile ---------------


def _replies(state: ProjectState) -> dict[str, EventState]:
    """Each objection's reply: the one naming it (`data["objection"]`: its external id), else the
    first unclaimed reply after it."""
    objections = list(state.by_kind.get("objection", ()))
    replies = list(state.by_kind.get("objection_reply", ()))
    out: dict[str, EventState] = {}
    claimed: set[str] = set()
    for reply in replies:
        named = str(reply.data.get("objection") or "")
        if named and any(o.external_id == named for o in objections) and named not in out:
            out[named] = reply
            claimed.add(reply.external_id)
    for objection in objections:
        if objection.external_id in out:
            continue
        for reply in replies:
            if reply.external_id in claimed or reply.data.get("objection"):
                continue
            if reply.at >= objection.at and (
                reply.lot_id is None or objection.lot_id is None or reply.lot_id == objection.lot_id
            ):
                out[objection.external_id] = reply
                claimed.add(reply.external_id)
                break
    return out


def objection_checks(
    state: ProjectState,
    params: Mapping[str, Any],
    *,
    rule_id: str,
    stages: tuple[str, ...],
    waiting: bool,
) -> list[Finding]:
    """The objection rules: TD-07 (条例 第二十二条: prequalification and tender documents) and
    AW-02 (第五十四条: the evaluation result). An objection raised in time must be answered
    within 3 days (a deadline, rolled forward under 民法典 第二百零三条), and the procedure
    pauses until it is (the next step — prequalification result, opening, award notice — must
    not come before the answer). `waiting`: the sweeper's variant, an answer still missing
    after its deadline (needs `today`)."""
    if waiting and state.today is None:
        return []
    answer_days = int(params["answer_days"])
    roll = param_bool(params.get("roll_forward", True))
    replies = _replies(state)
    out: list[Finding] = []
    for objection in state.by_kind.get("objection", ()):
        stage = _stage(state, objection)
        if stage not in stages:
            continue
        lot_id = objection.lot_id
        # Raised in time? (Late objections need no answer under these articles.)
        if stage == PREQUALIFICATION:
            limit = state.in_force("prequalification_deadline", lot_id)
            window = int(params["window_prequalification"])
            next_kind = "prequalification_result"
            basis: tuple[LegalBasis, ...] = (ART_22,)
        elif stage == TENDER_DOCUMENTS:
            candidates = _deadlines(state, lot_id)
            limit = min(candidates, key=lambda e: e.at) if candidates else None
            window = int(params["window_tender"])
            next_kind = "opening"
            basis = (ART_22,)
        else:  # the evaluation result, during the candidates' publicity
            limit = state.in_force("candidate_publicity_end", lot_id)
            window = 0
            next_kind = "award_notice"
            basis = (ART_54,)
        if limit is not None and period_days(objection.day, limit.day) < window:
            continue
        due = deadline(state.calendar, objection.day, answer_days, roll_forward=roll)
        reply = replies.get(objection.external_id)
        problems: list[str] = []
        facts = [
            *lot_fact(state, lot_id),
            Fact(_("Objection raised"), objection.at, objection.ref),
            Fact(_("Answer due by"), due.day),
        ]
        if waiting:
            assert state.today is not None
            if reply is not None or state.today <= due.day:
                continue
            problems.append(
                _("no answer by %(today)s, after the %(days)d-day limit ending %(due)s%(roll)s")
                % {
                    "today": day(state.today),
                    "days": answer_days,
                    "due": day(due.day),
                    "roll": rolled_note(due.rolled, due.nominal, due.day),
                }
            )
        else:
            if reply is not None:
                facts.append(Fact(_("Objection answered"), reply.at, reply.ref))
                if reply.day > due.day:
                    problems.append(
                        _(
                            "answered only on %(reply)s, after the %(days)d-day limit ending "
                            "%(due)s%(roll)s"
                        )
                        % {
                            "reply": day(reply.day),
                            "days": answer_days,
                            "due": day(due.day),
                            "roll": rolled_note(due.rolled, due.nominal, due.day),
                        }
                    )
            pause_end = reply.at if reply is not None else None
            for step in state.of_kind(next_kind, lot_id):
                if step.at > objection.at and (pause_end is None or step.at < pause_end):
                    facts.append(Fact(_("Procedure continued"), step.at, step.ref))
                    problems.append(
                        _("the procedure was not paused before the answer: %(step)s on %(at)s")
                        % {"step": _step_word(next_kind), "at": day(step.day)}
                    )
                    break
        if not problems:
            continue
        full_basis = basis + ((ART_203,) if due.rolled else ())
        text = _("An objection raised on %(at)s: %(problems)s (%(basis)s)") % {
            "at": day(objection.day),
            "problems": _("; ").join(problems),
            "basis": basis_text(basis),
        }
        out.append(
            make_finding(
                rule_id,
                state,
                explanation=text,
                basis=full_basis,
                facts=facts,
                key=f"objection:{objection.external_id}",
                severity=Severity.MEDIUM,
                lot_id=lot_id,
                event_id=objection.id,
            )
        )
    return out


def _step_word(kind: str) -> str:
    return {
        "prequalification_result": _("the prequalification result"),
        "opening": _("the bids were opened"),
        "award_notice": _("the award notice was issued"),
    }.get(kind, kind)


ART_54 = LegalBasis(REGS, "第五十四条")


def check_td07(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """招标投标法实施条例 第二十二条: objections to the prequalification documents (2 days before
    the application deadline) and to the tender documents (10 days before the bid deadline) are
    answered within 3 days, and the procedure pauses until then."""
    return objection_checks(
        state, params, rule_id="TD-07", stages=(PREQUALIFICATION, TENDER_DOCUMENTS), waiting=False
    )


def check_td07s(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """The sweeper's TD-07: an objection raised in time still unanswered after 3 days."""
    return objection_checks(
        state, params, rule_id="TD-07s", stages=(PREQUALIFICATION, TENDER_DOCUMENTS), waiting=True
    )


# -- TD-09 and TD-09b: bid security caps -----------------------------------------------------------


def _estimate(state: ProjectState, lot_id: int) -> Decimal | None:
    lot = state.lot(lot_id)
    if lot is None:
        return None
    if lot.estimated_amount:
        return lot.estimated_amount
    if len(state.lots) == 1:
        return state.project.estimated_amount
    return None


def _documents_event(state: ProjectState) -> EventState | None:
    return state.first("tender_documents_issued") or state.first("announcement")


def check_td09(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """招标投标法实施条例 第二十六条: the bid security is at most 2% of the estimated price of the
    tendered project (the lot's estimate)."""
    cap = as_decimal(params["max_percent"])
    event = _documents_event(state)
    out = []
    for lot in state.lots:
        security, estimate = lot.bid_security, _estimate(state, lot.id)
        if not security or not estimate or estimate <= 0:
            continue
        if security <= cap_amount(estimate, cap):
            continue
        share = security * 100 / estimate
        text = _(
            "The bid security of %(security)s is %(share)s of the estimated price %(estimate)s, "
            "more than %(cap)s%% (%(basis)s)"
        ) % {
            "security": yuan(security),
            "share": percent(share),
            "estimate": yuan(estimate),
            "cap": number(cap),
            "basis": basis_text((ART_26,)),
        }
        out.append(
            lot_finding(
                "TD-09",
                state,
                lot,
                text=text,
                basis=(ART_26,),
                facts=[
                    Fact(_("Bid security"), security, f"lot:{lot.id}"),
                    Fact(_("Estimated price"), estimate, f"lot:{lot.id}"),
                    Fact(_("Share of the estimate (%)"), share.quantize(Decimal("0.01"))),
                    Fact(_("Cap (%)"), cap),
                ],
                severity=Severity.MEDIUM,
                event_id=event.id if event is not None else None,
            )
        )
    return out


def check_td09b(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """工程建设项目施工招标投标办法 第三十七条: the bid security of a works tender is at most
    80万元 (RULES.md marks it U: a configurable default)."""
    cap = as_decimal(params["max_amount"])
    event = _documents_event(state)
    out = []
    for lot in state.lots:
        security = lot.bid_security
        if not security or security <= cap:
            continue
        text = _(
            "The bid security of this works tender is %(security)s, more than the cap of "
            "%(cap)s (%(basis)s)"
        ) % {"security": yuan(security), "cap": yuan(cap), "basis": basis_text((ART_30_37,))}
        out.append(
            lot_finding(
                "TD-09b",
                state,
                lot,
                text=text,
                basis=(ART_30_37,),
                facts=[
                    Fact(_("Bid security"), security, f"lot:{lot.id}"),
                    Fact(_("Cap (yuan)"), cap),
                ],
                severity=Severity.MEDIUM,
                event_id=event.id if event is not None else None,
            )
        )
    return out


def works_tendered(state: ProjectState) -> bool:
    return state.project.tendered and state.project.category == "works"


# -- parameters -----------------------------------------------------------------------------------


def days_param(default: int, label: Any) -> ParamSpec:
    return ParamSpec(default, "日", label, day_type=CALENDAR)


def roll_param() -> ParamSpec:
    return ParamSpec(
        True,
        "",
        gettext_lazy("Roll forward a limit ending on a statutory rest day (民法典 第二百零三条)"),
    )


__all__ = [
    "ART_16",
    "ART_17",
    "ART_21",
    "ART_22",
    "ART_26",
    "ART_30_37",
    "ART_54",
    "ART_LAW_23",
    "ART_LAW_24",
    "check_td02",
    "check_td03",
    "check_td05",
    "check_td06",
    "check_td07",
    "check_td07s",
    "check_td09",
    "check_td09b",
    "days_param",
    "must_tendered",
    "objection_checks",
    "roll_param",
    "tendered",
    "works_tendered",
]
