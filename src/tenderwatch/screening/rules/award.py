"""Award, contract and the report to the supervisor. RULES.md §1.6, rows AW-01, AW-02, AW-06,
AW-08, AW-09, with the sweeper's variants (suffix "s") for a step that has not come in time.

Day counting (RULES.md D1, D2, D4): calendar days, the start day not counted. The limits for an
act — publicity within 3 days of the report, the contract within 30 days of the award notice,
the written report within 15 days of the award — are deadlines: when the last day is a
statutory rest day they end on the next working day (民法典 第二百零三条; parameter
`roll_forward`, default on). The publicity's length ("不少于3日") is a minimum period: counted
(end day − start day), never rolled.

A sweeper variant fires only with `today` (the sweeper's date) past the deadline, and not while
the procedure is suspended or after it was terminated.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tenderwatch.screening.findings import Fact, Finding, LegalBasis, Severity
from tenderwatch.screening.rules.base import (
    ART_203,
    LAW,
    REGS,
    _,
    as_decimal,
    basis_text,
    cap_amount,
    day,
    lot_finding,
    number,
    param_bool,
    percent,
    rolled_note,
    yuan,
)
from tenderwatch.screening.rules.days import Deadline, deadline, period_days
from tenderwatch.screening.rules.state import EventState, ProjectState, china_day
from tenderwatch.screening.rules.tender import RESULT, objection_checks

ART_54 = LegalBasis(REGS, "第五十四条")
ART_57 = LegalBasis(REGS, "第五十七条")
ART_58 = LegalBasis(REGS, "第五十八条")
ART_LAW_46 = LegalBasis(LAW, "第四十六条")
ART_LAW_47 = LegalBasis(LAW, "第四十七条")


def halted(state: ProjectState) -> bool:
    """Suspended (and not resumed) or terminated: the sweeper's clocks do not run."""
    last = None
    for kind in ("suspension", "resumption", "termination"):
        for event in state.by_kind.get(kind, ()):
            if last is None or (event.at, event.seq) > (last.at, last.seq):
                last = event
    return last is not None and last.kind in ("suspension", "termination")


def _step_day(
    state: ProjectState, kind: str, lot_id: int, recorded_at: dt.datetime | None
) -> tuple[dt.date | None, EventState | None]:
    """The day of a step (the time in its record, else its event on the timeline) and the
    event."""
    event = state.in_force(kind, lot_id)
    if recorded_at is not None:
        return china_day(recorded_at), event
    return (event.day if event is not None else None), event


def _award(state: ProjectState, lot_id: int) -> tuple[dt.date | None, EventState | None]:
    """The day the award notice was issued (award record, else the timeline), and its step."""
    award = state.awards.get(lot_id)
    return _step_day(state, "award_notice", lot_id, award.notice_at if award else None)


def _signed(state: ProjectState, lot_id: int) -> tuple[dt.date | None, EventState | None]:
    contract = state.contracts.get(lot_id)
    return _step_day(state, "contract_signed", lot_id, contract.signed_at if contract else None)


def _limit_text(days: int, due: Deadline) -> str:
    return _("the %(days)d-day limit ending %(due)s%(roll)s") % {
        "days": days,
        "due": day(due.day),
        "roll": rolled_note(due.rolled, due.nominal, due.day),
    }


def _basis(base: tuple[LegalBasis, ...], due: Deadline) -> tuple[LegalBasis, ...]:
    return base + ((ART_203,) if due.rolled else ())


def _due(state: ProjectState, params: Mapping[str, Any], start: dt.date, days: int) -> Deadline:
    """The last day of `days` from `start` by the working-day calendar, rolled forward unless
    the rule's `roll_forward` is off."""
    roll = param_bool(params.get("roll_forward", True))
    return deadline(state.calendar, start, days, roll_forward=roll)


# -- AW-01: candidate publicity ------------------------------------------------------------------


def check_aw01(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """招标投标法实施条例 第五十四条: for a project that must be tendered, the candidates are
    published within 3 days of receiving the evaluation report (a deadline, rolled forward),
    for at least 3 days (a minimum period, counted); no award without publicity."""
    within = int(params["start_within_days"])
    minimum = int(params["min_days"])
    out = []
    for lot in state.lots:
        report = state.in_force("evaluation_report", lot.id)
        start = state.first("candidate_publicity_start", lot.id)
        end = state.in_force("candidate_publicity_end", lot.id)
        if start is None:
            award_day, award_event = _award(state, lot.id)
            if report is not None and award_day is not None:
                text = _(
                    "The award notice was issued on %(award)s without publishing the candidates "
                    "after the evaluation report of %(report)s (%(basis)s)"
                ) % {
                    "award": day(award_day),
                    "report": day(report.day),
                    "basis": basis_text((ART_54,)),
                }
                out.append(
                    lot_finding(
                        "AW-01",
                        state,
                        lot,
                        text=text,
                        basis=(ART_54,),
                        facts=[
                            Fact(_("Evaluation report received"), report.at, report.ref),
                            Fact(_("Award notice issued"), award_day, _ref(award_event, lot.id)),
                        ],
                        severity=Severity.HIGH,
                        event_id=award_event.id if award_event else report.id,
                        part="missing",
                    )
                )
            continue
        if report is not None and start.at >= report.at:
            due = _due(state, params, report.day, within)
            if start.day > due.day:
                text = _(
                    "The candidates were published on %(start)s, after %(limit)s from the "
                    "evaluation report of %(report)s (%(basis)s)"
                ) % {
                    "start": day(start.day),
                    "limit": _limit_text(within, due),
                    "report": day(report.day),
                    "basis": basis_text((ART_54,)),
                }
                out.append(
                    lot_finding(
                        "AW-01",
                        state,
                        lot,
                        text=text,
                        basis=_basis((ART_54,), due),
                        facts=[
                            Fact(_("Evaluation report received"), report.at, report.ref),
                            Fact(_("Candidate publicity starts"), start.at, start.ref),
                            Fact(_("Latest day to start"), due.day),
                        ],
                        severity=Severity.MEDIUM,
                        event_id=start.id,
                        part="start",
                    )
                )
        if end is not None and end.at >= start.at:
            days = period_days(start.day, end.day)
            if days < minimum:
                text = _(
                    "The candidates were published from %(start)s to %(end)s, only %(days)d days, "
                    "fewer than %(minimum)d days (%(basis)s)"
                ) % {
                    "start": day(start.day),
                    "end": day(end.day),
                    "days": days,
                    "minimum": minimum,
                    "basis": basis_text((ART_54,)),
                }
                out.append(
                    lot_finding(
                        "AW-01",
                        state,
                        lot,
                        text=text,
                        basis=(ART_54,),
                        facts=[
                            Fact(_("Candidate publicity starts"), start.at, start.ref),
                            Fact(_("Candidate publicity ends"), end.at, end.ref),
                            Fact(_("Days of publicity"), days),
                            Fact(_("Minimum (days)"), minimum),
                        ],
                        severity=Severity.MEDIUM,
                        event_id=end.id,
                        part="length",
                    )
                )
    return out


def check_aw01s(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """The sweeper's AW-01: 3 days after the evaluation report, the candidates not yet published
    (and no award yet)."""
    if state.today is None or halted(state):
        return []
    within = int(params["start_within_days"])
    out = []
    for lot in state.lots:
        report = state.in_force("evaluation_report", lot.id)
        if report is None or state.first("candidate_publicity_start", lot.id) is not None:
            continue
        if _award(state, lot.id)[0] is not None:
            continue  # awarded without publicity: AW-01 says so
        due = _due(state, params, report.day, within)
        if state.today <= due.day:
            continue
        text = _(
            "The evaluation report was received on %(report)s; by %(today)s the candidates have "
            "not been published, after %(limit)s (%(basis)s)"
        ) % {
            "report": day(report.day),
            "today": day(state.today),
            "limit": _limit_text(within, due),
            "basis": basis_text((ART_54,)),
        }
        out.append(
            lot_finding(
                "AW-01s",
                state,
                lot,
                text=text,
                basis=_basis((ART_54,), due),
                facts=[
                    Fact(_("Evaluation report received"), report.at, report.ref),
                    Fact(_("Latest day to start"), due.day),
                ],
                severity=Severity.MEDIUM,
                event_id=report.id,
            )
        )
    return out


# -- AW-02: objections to the result -------------------------------------------------------------


def check_aw02(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """招标投标法实施条例 第五十四条第二款: an objection to the evaluation result, raised during the
    publicity, is answered within 3 days, and the procedure pauses until then."""
    return objection_checks(state, params, rule_id="AW-02", stages=(RESULT,), waiting=False)


def check_aw02s(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """The sweeper's AW-02: an objection to the result still unanswered after 3 days."""
    if halted(state):
        return []
    return objection_checks(state, params, rule_id="AW-02s", stages=(RESULT,), waiting=True)


# -- AW-06: the contract within 30 days ----------------------------------------------------------


def _ref(event: EventState | None, lot_id: int) -> str:
    return event.ref if event is not None else f"lot:{lot_id}"


def check_aw06(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """招标投标法 第四十六条: the written contract is made within 30 days of the award notice (a
    deadline: rolled forward when its last day is a statutory rest day)."""
    limit = int(params["max_days"])
    out = []
    for lot in state.lots:
        award_day, award_event = _award(state, lot.id)
        signed_day, signed_event = _signed(state, lot.id)
        if award_day is None or signed_day is None or signed_day < award_day:
            continue
        due = _due(state, params, award_day, limit)
        if signed_day <= due.day:
            continue
        text = _(
            "The award notice was issued on %(award)s and the contract made only on %(signed)s, "
            "%(days)d days later, after %(limit)s (%(basis)s)"
        ) % {
            "award": day(award_day),
            "signed": day(signed_day),
            "days": period_days(award_day, signed_day),
            "limit": _limit_text(limit, due),
            "basis": basis_text((ART_LAW_46,)),
        }
        contract = state.contracts.get(lot.id)
        out.append(
            lot_finding(
                "AW-06",
                state,
                lot,
                text=text,
                basis=_basis((ART_LAW_46,), due),
                facts=[
                    Fact(_("Award notice issued"), award_day, _ref(award_event, lot.id)),
                    Fact(
                        _("Contract signed"),
                        signed_day,
                        f"contract:{contract.id}" if contract else _ref(signed_event, lot.id),
                    ),
                    Fact(_("Contract due by"), due.day),
                ],
                severity=Severity.MEDIUM,
                event_id=signed_event.id if signed_event else None,
                entity_ids=[contract.supplier_id] if contract else (),
            )
        )
    return out


def check_aw06s(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """The sweeper's AW-06: 30 days (rolled forward) after the award notice, no contract."""
    if state.today is None or halted(state):
        return []
    limit = int(params["max_days"])
    out = []
    for lot in state.lots:
        award_day, award_event = _award(state, lot.id)
        if award_day is None or _signed(state, lot.id)[0] is not None:
            continue
        due = _due(state, params, award_day, limit)
        if state.today <= due.day:
            continue
        award = state.awards.get(lot.id)
        text = _(
            "The award notice was issued on %(award)s; by %(today)s no written contract has been "
            "made, after %(limit)s (%(basis)s)"
        ) % {
            "award": day(award_day),
            "today": day(state.today),
            "limit": _limit_text(limit, due),
            "basis": basis_text((ART_LAW_46,)),
        }
        out.append(
            lot_finding(
                "AW-06s",
                state,
                lot,
                text=text,
                basis=_basis((ART_LAW_46,), due),
                facts=[
                    Fact(_("Award notice issued"), award_day, _ref(award_event, lot.id)),
                    *(
                        [Fact(_("Winning bidder"), award.bidder_name, f"bid:{award.bid_id}")]
                        if award
                        else []
                    ),
                    Fact(_("Contract due by"), due.day),
                ],
                severity=Severity.MEDIUM,
                event_id=award_event.id if award_event else None,
                entity_ids=[award.bidder_id] if award else (),
            )
        )
    return out


# -- AW-06c: the contract's terms against the tender and the winning bid --------------------------

DURATION = re.compile(r"工期[^：:\n]{0,12}[：:]\s*(\d{1,4})\s*(?:个)?日历天")


def tender_duration(state: ProjectState, lot_id: int) -> tuple[int | None, EventState | None]:
    """The duration (工期, calendar days) the tender documents fix for the lot: reported with the
    documents (`data["duration_days"]`), or read from their text — only where the project has one
    lot, so that the one figure of the documents is that lot's."""
    issued = state.in_force("tender_documents_issued", lot_id)
    if issued is None:
        return None, None
    value = issued.data.get("duration_days")
    if isinstance(value, int) and value > 0:
        return value, issued
    if len(state.lots) != 1:
        return None, issued
    text = state.text_of(issued)
    if not text:
        return None, issued
    found = {int(m.group(1)) for m in DURATION.finditer(text)}
    if len(found) != 1:
        return None, issued
    return found.pop(), issued


def check_aw06c(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """招标投标法 第四十六条 (实施条例 第五十七条): the contract is made with the winner, on the
    terms of the tender documents and the winning bid: its amount is the award amount (within
    `max_amount_difference_percent`, default 0) and its duration the one the documents fixed."""
    tolerance = as_decimal(params["max_amount_difference_percent"])
    out = []
    for lot in state.lots:
        contract = state.contracts.get(lot.id)
        award = state.awards.get(lot.id)
        if contract is None or award is None:
            continue
        problems: list[str] = []
        facts: list[Fact] = []
        if contract.supplier_id != award.bidder_id:
            problems.append(
                _("the contract was made with %(supplier)s, not with the winner %(winner)s")
                % {"supplier": contract.supplier_name, "winner": award.bidder_name}
            )
            facts += [
                Fact(_("Winning bidder"), award.bidder_name, f"bid:{award.bid_id}"),
                Fact(_("Contract supplier"), contract.supplier_name, f"contract:{contract.id}"),
            ]
        if contract.amount is not None and award.amount:
            gap = abs(contract.amount - award.amount)
            if gap * 100 > award.amount * tolerance:
                problems.append(
                    _("the contract amount %(contract)s differs from the award amount %(award)s "
                      "by %(share)s")
                    % {
                        "contract": yuan(contract.amount),
                        "award": yuan(award.amount),
                        "share": percent(gap * 100 / award.amount),
                    }
                )  # fmt: skip
                facts += [
                    Fact(_("Award amount"), award.amount, f"bid:{award.bid_id}"),
                    Fact(_("Contract amount"), contract.amount, f"contract:{contract.id}"),
                ]
        duration, issued = tender_duration(state, lot.id)
        if (
            duration is not None
            and contract.duration_days is not None
            and contract.duration_days != duration
        ):
            problems.append(
                _("the contract's duration of %(contract)d days differs from the %(tender)d days "
                  "the tender documents fixed")
                % {"contract": contract.duration_days, "tender": duration}
            )  # fmt: skip
            facts += [
                Fact(_("Duration in the tender documents (days)"), duration, _ref(issued, lot.id)),
                Fact(
                    _("Duration in the contract (days)"),
                    contract.duration_days,
                    f"contract:{contract.id}",
                ),
            ]
        if not problems:
            continue
        signed = state.in_force("contract_signed", lot.id)
        text = _(
            "The contract departs from the tender documents and the winning bid: %(problems)s "
            "(%(basis)s)"
        ) % {"problems": _("; ").join(problems), "basis": basis_text((ART_LAW_46, ART_57))}
        out.append(
            lot_finding(
                "AW-06c",
                state,
                lot,
                text=text,
                basis=(ART_LAW_46, ART_57),
                facts=facts,
                severity=Severity.HIGH,
                event_id=signed.id if signed else None,
                entity_ids=[contract.supplier_id, award.bidder_id],
            )
        )
    return out


# -- AW-08: the performance security -------------------------------------------------------------


def check_aw08(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """招标投标法实施条例 第五十八条: the performance security is at most 10% of the contract
    amount."""
    cap = as_decimal(params["max_percent"])
    out = []
    for lot in state.lots:
        contract = state.contracts.get(lot.id)
        if contract is None or not contract.performance_security or not contract.amount:
            continue
        if contract.performance_security <= cap_amount(contract.amount, cap):
            continue
        share = contract.performance_security * 100 / contract.amount
        text = _(
            "The performance security of %(security)s is %(share)s of the contract amount "
            "%(amount)s, more than %(cap)s%% (%(basis)s)"
        ) % {
            "security": yuan(contract.performance_security),
            "share": percent(share),
            "amount": yuan(contract.amount),
            "cap": number(cap),
            "basis": basis_text((ART_58,)),
        }
        signed = state.in_force("contract_signed", lot.id)
        out.append(
            lot_finding(
                "AW-08",
                state,
                lot,
                text=text,
                basis=(ART_58,),
                facts=[
                    Fact(
                        _("Performance security"),
                        contract.performance_security,
                        f"contract:{contract.id}",
                    ),
                    Fact(_("Contract amount"), contract.amount, f"contract:{contract.id}"),
                    Fact(_("Share of the contract amount (%)"), share.quantize(Decimal("0.01"))),
                    Fact(_("Cap (%)"), cap),
                ],
                severity=Severity.MEDIUM,
                event_id=signed.id if signed else None,
                entity_ids=[contract.supplier_id],
            )
        )
    return out


# -- AW-09: the written report within 15 days ----------------------------------------------------


def check_aw09(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """招标投标法 第四十七条: for a project that must be tendered, the tenderer reports in writing
    to the supervisory department within 15 days of determining the winner (counted from the
    award notice; a deadline, rolled forward)."""
    limit = int(params["max_days"])
    out = []
    for lot in state.lots:
        award_day, award_event = _award(state, lot.id)
        report = state.in_force("supervisor_report", lot.id)
        if award_day is None or report is None or report.day < award_day:
            continue
        due = _due(state, params, award_day, limit)
        if report.day <= due.day:
            continue
        text = _(
            "The winner was determined on %(award)s and the written report reached the "
            "supervisory department only on %(report)s, %(days)d days later, after %(limit)s "
            "(%(basis)s)"
        ) % {
            "award": day(award_day),
            "report": day(report.day),
            "days": period_days(award_day, report.day),
            "limit": _limit_text(limit, due),
            "basis": basis_text((ART_LAW_47,)),
        }
        out.append(
            lot_finding(
                "AW-09",
                state,
                lot,
                text=text,
                basis=_basis((ART_LAW_47,), due),
                facts=[
                    Fact(_("Award notice issued"), award_day, _ref(award_event, lot.id)),
                    Fact(_("Written report to the supervisor"), report.at, report.ref),
                    Fact(_("Report due by"), due.day),
                ],
                severity=Severity.LOW,
                event_id=report.id,
            )
        )
    return out


def check_aw09s(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """The sweeper's AW-09: 15 days (rolled forward) after the award, no written report."""
    if state.today is None or halted(state):
        return []
    limit = int(params["max_days"])
    out = []
    for lot in state.lots:
        award_day, award_event = _award(state, lot.id)
        if award_day is None or state.in_force("supervisor_report", lot.id) is not None:
            continue
        due = _due(state, params, award_day, limit)
        if state.today <= due.day:
            continue
        text = _(
            "The winner was determined on %(award)s; by %(today)s no written report has reached "
            "the supervisory department, after %(limit)s (%(basis)s)"
        ) % {
            "award": day(award_day),
            "today": day(state.today),
            "limit": _limit_text(limit, due),
            "basis": basis_text((ART_LAW_47,)),
        }
        out.append(
            lot_finding(
                "AW-09s",
                state,
                lot,
                text=text,
                basis=_basis((ART_LAW_47,), due),
                facts=[
                    Fact(_("Award notice issued"), award_day, _ref(award_event, lot.id)),
                    Fact(_("Report due by"), due.day),
                ],
                severity=Severity.LOW,
                event_id=award_event.id if award_event else None,
            )
        )
    return out


__all__ = [
    "ART_54",
    "ART_57",
    "ART_58",
    "ART_LAW_46",
    "ART_LAW_47",
    "check_aw01",
    "check_aw01s",
    "check_aw02",
    "check_aw02s",
    "check_aw06",
    "check_aw06c",
    "check_aw06s",
    "check_aw08",
    "check_aw09",
    "check_aw09s",
    "halted",
    "tender_duration",
]
