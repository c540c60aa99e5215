"""The catalogue of statutory rules: one `RuleSpec` each, in the order of RULES.md.

Ids are RULES.md's rows. Suffixes: "s" is the sweeper's variant of a deadline rule (the step
has not come at all, raised when its time passes; timing "sweep"); "c" the contract-terms half
of AW-06; TD-14.2 is item (二) of TD-14; MUST-09 and MUST-10 have no row in RULES.md yet
(实施条例 第七条; 应进必进).

Where RULES.md marks a number U or S, the description says that it is a configurable default.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from tenderwatch.ledger import thresholds
from tenderwatch.screening.findings import Severity
from tenderwatch.screening.rules import award, bidding, documents, must, tender
from tenderwatch.screening.rules.base import (
    CALENDAR,
    EVENT,
    SWEEP,
    ParamSpec,
    RuleSpec,
)
from tenderwatch.screening.rules.state import ProjectState


def _days(default: int, label: object) -> ParamSpec:
    return ParamSpec(default, "日", label, day_type=CALENDAR)


def _roll() -> ParamSpec:
    return ParamSpec(
        True,
        "",
        _("Roll forward a limit ending on a statutory rest day (民法典 第二百零三条)"),
    )


def _tendered(state: ProjectState) -> bool:
    return tender.tendered(state)


def _must_tendered(state: ProjectState) -> bool:
    return tender.must_tendered(state)


def _with_objections(state: ProjectState) -> bool:
    return state.project.tendered and "objection" in state.by_kind


def _awarded(state: ProjectState) -> bool:
    return state.project.tendered and bool(state.awards or state.by_kind.get("award_notice"))


def _must_awarded(state: ProjectState) -> bool:
    return _must_tendered(state) and _awarded(state)


OBJECTION_PARAMS = {
    "window_prequalification": _days(
        2, _("Objections to prequalification documents: days before the application deadline")
    ),
    "window_tender": _days(10, _("Objections to tender documents: days before the bid deadline")),
    "answer_days": _days(3, _("Days to answer an objection")),
    "roll_forward": _roll(),
}
RESULT_OBJECTION_PARAMS = {
    "window_prequalification": OBJECTION_PARAMS["window_prequalification"],
    "window_tender": OBJECTION_PARAMS["window_tender"],
    "answer_days": _days(3, _("Days to answer an objection to the result")),
    "roll_forward": _roll(),
}
AW01_PARAMS = {
    "start_within_days": _days(3, _("Publish within days of the evaluation report")),
    "min_days": _days(3, _("Minimum days of publicity")),
    "roll_forward": _roll(),
}
AW06_PARAMS = {
    "max_days": _days(30, _("Days from the award notice to the contract")),
    "roll_forward": _roll(),
}
AW09_PARAMS = {
    "max_days": _days(15, _("Days from the award to the written report")),
    "roll_forward": _roll(),
}


def _threshold(category: str) -> ParamSpec:
    return ParamSpec(
        thresholds.THRESHOLDS[category],
        "元",
        {
            "works": _("Must-tender threshold for works contracts"),
            "goods": _("Must-tender threshold for goods contracts"),
            "services": _("Must-tender threshold for services contracts"),
        }[category],
    )


SPECS: tuple[RuleSpec, ...] = (
    RuleSpec(
        id="TD-01",
        title=_("Tender documents depart from the model document"),
        legal_basis=(documents.ART_15,),
        check=documents.check_td01,
        applies=documents.has_documents,
        params={"max_listed": ParamSpec(10, "个", _("Changed clauses listed at most"))},
        severity=Severity.MEDIUM,
        description=_(
            "Compares the tender documents clause by clause with the office's model document "
            "for the project's category and method; blanks of the model ({…} or 【…】) match any "
            "text. Lists the modified, added and removed clauses with their wording for review."
        ),
        certainty="V",
    ),
    RuleSpec(
        id="TD-02",
        title=_("Documents on sale for fewer than 5 days"),
        legal_basis=(tender.ART_16,),
        check=tender.check_td02,
        applies=_tendered,
        params={"min_days": _days(5, _("Minimum days of sale"))},
        severity=Severity.MEDIUM,
        description=_(
            "Prequalification and tender documents are on sale for at least 5 calendar days, "
            "counted from the day after the first issue (not rolled forward)."
        ),
    ),
    RuleSpec(
        id="TD-03",
        title=_("Prequalification application period too short"),
        legal_basis=(tender.ART_17,),
        check=tender.check_td03,
        applies=_must_tendered,
        params={
            "min_days": _days(
                5, _("Minimum days from the end of sale to the application deadline")
            ),
            "min_sale_days": _days(5, _("Minimum days of sale (when the end of sale is unknown)")),
        },
        severity=Severity.HIGH,
        description=_(
            "For projects that must be tendered: at least 5 calendar days from the end of the "
            "sale of the prequalification documents to the application deadline; when the end "
            "of the sale is not reported, at least 10 days from the first issue."
        ),
    ),
    RuleSpec(
        id="TD-05",
        title=_("Fewer than 20 days from the tender documents to the bid deadline"),
        legal_basis=(tender.ART_LAW_24,),
        check=tender.check_td05,
        applies=_must_tendered,
        params={"min_days": _days(20, _("Minimum days from the documents to the bid deadline"))},
        severity=Severity.HIGH,
        description=_(
            "For projects that must be tendered: at least 20 calendar days from the day the "
            "tender documents are first issued to the bid deadline. The period is counted "
            "(start day excluded) and not rolled forward; the deadline in force is the newest "
            "reported."
        ),
    ),
    RuleSpec(
        id="TD-06",
        title=_("Clarification or amendment too close to the deadline"),
        legal_basis=(tender.ART_21, tender.ART_LAW_23),
        check=tender.check_td06,
        applies=_tendered,
        params={
            "min_days": _days(15, _("Minimum days before the bid deadline")),
            "min_days_prequalification": _days(
                3, _("Minimum days before the prequalification deadline")
            ),
        },
        severity=Severity.HIGH,
        description=_(
            "A clarification or amendment that may affect the bids comes at least 15 calendar "
            "days before the bid deadline (3 before the prequalification deadline), or the "
            "deadline moves. Notices reported as not material are skipped."
        ),
    ),
    RuleSpec(
        id="TD-07",
        title=_("Objection to the documents answered late or procedure not paused"),
        legal_basis=(tender.ART_22,),
        check=tender.check_td07,
        applies=_with_objections,
        params=OBJECTION_PARAMS,
        severity=Severity.MEDIUM,
        description=_(
            "An objection to the prequalification documents (raised 2 days before the "
            "application deadline) or the tender documents (10 days before the bid deadline) "
            "is answered within 3 calendar days (rolled forward), and the procedure pauses until "
            "the answer."
        ),
    ),
    RuleSpec(
        id="TD-07s",
        title=_("Objection to the documents unanswered after 3 days"),
        legal_basis=(tender.ART_22,),
        check=tender.check_td07s,
        applies=_with_objections,
        params=OBJECTION_PARAMS,
        severity=Severity.MEDIUM,
        timing=SWEEP,
        description=_("The sweeper's TD-07: raised when the 3 days pass without an answer."),
    ),
    RuleSpec(
        id="TD-09",
        title=_("Bid security above 2 per cent of the estimate"),
        legal_basis=(tender.ART_26,),
        check=tender.check_td09,
        applies=_tendered,
        params={
            "max_percent": ParamSpec(
                Decimal("2"), "%", _("Bid security cap (per cent of the estimate)")
            )
        },
        severity=Severity.MEDIUM,
        description=_(
            "The bid security is at most 2 per cent of the lot's estimated price (the cap taken "
            "to the whole yuan)."
        ),
    ),
    RuleSpec(
        id="TD-09b",
        title=_("Works bid security above 800,000 yuan"),
        legal_basis=(tender.ART_30_37,),
        check=tender.check_td09b,
        applies=tender.works_tendered,
        params={"max_amount": ParamSpec(Decimal("800000"), "元", _("Bid security cap for works"))},
        severity=Severity.MEDIUM,
        description=_(
            "Works tenders: bid security at most 800,000 yuan. RULES.md marks this number "
            "unverified (U): it is a configurable default; check it against the official text."
        ),
        certainty="U",
    ),
    RuleSpec(
        id="TD-14.2",
        title=_("Qualification grade above what the project needs"),
        legal_basis=(documents.ART_32_2,),
        check=documents.check_td14q,
        applies=documents.has_requirements,
        params={
            "table": ParamSpec(
                "",
                "",
                _("Grade table (type | estimate up to, yuan | highest grade); empty: default"),
                validate=documents.validate_table,
            )
        },
        severity=Severity.MEDIUM,
        description=_(
            "Compares each lot's required qualification grade with a table of the highest grade "
            "a tender may require for the type and the lot's estimate. The default table is the "
            "office's assumption, not a sourced standard (U): edit it in the parameter, one row "
            "a line."
        ),
        certainty="U",
    ),
    RuleSpec(
        id="BO-01",
        title=_("Bids opened with fewer than 3 bidders"),
        legal_basis=(bidding.ART_44, bidding.ART_LAW_28),
        check=bidding.check_bo01,
        applies=_tendered,
        params={"min_bidders": ParamSpec(3, "个", _("Minimum number of bidders"))},
        severity=Severity.HIGH,
        description=_(
            "With fewer than 3 bidders the bids are not opened and the tender is repeated; fires "
            "when such a lot was opened."
        ),
    ),
    RuleSpec(
        id="BO-02",
        title=_("Opening not at the bid deadline"),
        legal_basis=(bidding.ART_LAW_34,),
        check=bidding.check_bo02,
        applies=_tendered,
        params={
            "tolerance_minutes": ParamSpec(0, "分钟", _("Tolerance between opening and deadline"))
        },
        severity=Severity.MEDIUM,
        description=_(
            "The bids are opened at the time fixed as the bid deadline; times compared to the "
            "minute."
        ),
    ),
    RuleSpec(
        id="EV-01",
        title=_("Evaluation committee not lawfully composed"),
        legal_basis=(bidding.ART_LAW_37, bidding.ART_EVAL_9),
        check=bidding.check_ev01,
        applies=_must_tendered,
        params={
            "min_members": ParamSpec(5, "个", _("Minimum committee members")),
            "expert_share": ParamSpec(
                "2/3",
                "",
                _("Minimum share of technical and economic experts"),
                validate=bidding.validate_share,
            ),
        },
        severity=Severity.MEDIUM,
        description=_(
            "For projects that must be tendered: 5 or more members, an odd number, with "
            "technical and economic experts at least two thirds of them."
        ),
    ),
    RuleSpec(
        id="AW-01",
        title=_("Candidate publicity late, short or missing"),
        legal_basis=(award.ART_54,),
        check=award.check_aw01,
        applies=_must_tendered,
        params=AW01_PARAMS,
        severity=Severity.MEDIUM,
        description=_(
            "For projects that must be tendered: the candidates are published within 3 days of "
            "the evaluation report (a deadline, rolled forward), for at least 3 days (a minimum "
            "period, counted, not rolled); no award notice without publicity."
        ),
    ),
    RuleSpec(
        id="AW-01s",
        title=_("Candidates not published 3 days after the evaluation report"),
        legal_basis=(award.ART_54,),
        check=award.check_aw01s,
        applies=_must_tendered,
        params=AW01_PARAMS,
        severity=Severity.MEDIUM,
        timing=SWEEP,
        description=_("The sweeper's AW-01: raised when the 3 days pass without publicity."),
    ),
    RuleSpec(
        id="AW-02",
        title=_("Objection to the result answered late or procedure not paused"),
        legal_basis=(award.ART_54,),
        check=award.check_aw02,
        applies=_with_objections,
        params=RESULT_OBJECTION_PARAMS,
        severity=Severity.MEDIUM,
        description=_(
            "An objection to the evaluation result raised during the publicity is answered "
            "within 3 calendar days (rolled forward); no award notice before the answer."
        ),
    ),
    RuleSpec(
        id="AW-02s",
        title=_("Objection to the result unanswered after 3 days"),
        legal_basis=(award.ART_54,),
        check=award.check_aw02s,
        applies=_with_objections,
        params=RESULT_OBJECTION_PARAMS,
        severity=Severity.MEDIUM,
        timing=SWEEP,
        description=_("The sweeper's AW-02: raised when the 3 days pass without an answer."),
    ),
    RuleSpec(
        id="AW-06",
        title=_("Contract made more than 30 days after the award notice"),
        legal_basis=(award.ART_LAW_46,),
        check=award.check_aw06,
        applies=_awarded,
        params=AW06_PARAMS,
        severity=Severity.MEDIUM,
        description=_(
            "The written contract is made within 30 calendar days of the award notice; a limit "
            "ending on a statutory rest day ends on the next working day (民法典 第二百零三条)."
        ),
    ),
    RuleSpec(
        id="AW-06s",
        title=_("No contract 30 days after the award notice"),
        legal_basis=(award.ART_LAW_46,),
        check=award.check_aw06s,
        applies=_awarded,
        params=AW06_PARAMS,
        severity=Severity.MEDIUM,
        timing=SWEEP,
        description=_(
            "The sweeper's AW-06: raised on the day after the (rolled-forward) 30-day limit when "
            "no contract has been reported."
        ),
    ),
    RuleSpec(
        id="AW-06c",
        title=_("Contract terms differ from the tender and the winning bid"),
        legal_basis=(award.ART_LAW_46, award.ART_57),
        check=award.check_aw06c,
        applies=_awarded,
        params={
            "max_amount_difference_percent": ParamSpec(
                Decimal("0"), "%", _("Allowed difference of the contract amount (%)")
            )
        },
        severity=Severity.HIGH,
        description=_(
            "The contract is made with the winner, for the award amount and the duration the "
            "tender documents fixed (read from their text where the project has one lot)."
        ),
    ),
    RuleSpec(
        id="AW-08",
        title=_("Performance security above 10 per cent of the contract amount"),
        legal_basis=(award.ART_58,),
        check=award.check_aw08,
        applies=_awarded,
        params={"max_percent": ParamSpec(Decimal("10"), "%", _("Performance security cap (%)"))},
        severity=Severity.MEDIUM,
        description=_(
            "The performance security is at most 10 per cent of the contract amount (the cap "
            "taken to the whole yuan)."
        ),
    ),
    RuleSpec(
        id="AW-09",
        title=_("Written report to the supervisor later than 15 days"),
        legal_basis=(award.ART_LAW_47,),
        check=award.check_aw09,
        applies=_must_awarded,
        params=AW09_PARAMS,
        severity=Severity.LOW,
        description=_(
            "For projects that must be tendered: the written report reaches the supervisory "
            "department within 15 calendar days of the award (counted from the award notice; "
            "rolled forward)."
        ),
    ),
    RuleSpec(
        id="AW-09s",
        title=_("No written report 15 days after the award"),
        legal_basis=(award.ART_LAW_47,),
        check=award.check_aw09s,
        applies=_must_awarded,
        params=AW09_PARAMS,
        severity=Severity.LOW,
        timing=SWEEP,
        description=_("The sweeper's AW-09: raised when the 15 days pass without a report."),
    ),
    RuleSpec(
        id="MUST-02",
        title=_("Works contract above the threshold not tendered"),
        legal_basis=(must.ART_16_5["works"], must.ART_LAW_3),
        check=must.check_not_tendered,
        applies=must.applies_category("works"),
        params={"threshold": _threshold("works")},
        severity=Severity.HIGH,
        description=_(
            "A state-funded works contract estimated at 4,000,000 yuan or more must be tendered. "
            "RULES.md marks the number S (secondary source): a configurable default."
        ),
        certainty="S",
    ),
    RuleSpec(
        id="MUST-03",
        title=_("Goods contract above the threshold not tendered"),
        legal_basis=(must.ART_16_5["goods"], must.ART_LAW_3),
        check=must.check_not_tendered,
        applies=must.applies_category("goods"),
        params={"threshold": _threshold("goods")},
        severity=Severity.HIGH,
        description=_(
            "A state-funded goods contract estimated at 2,000,000 yuan or more must be tendered. "
            "RULES.md marks the number unverified (U): a configurable default."
        ),
        certainty="U",
    ),
    RuleSpec(
        id="MUST-04",
        title=_("Services contract above the threshold not tendered"),
        legal_basis=(must.ART_16_5["services"], must.ART_LAW_3),
        check=must.check_not_tendered,
        applies=must.applies_category("services"),
        params={"threshold": _threshold("services")},
        severity=Severity.HIGH,
        description=_(
            "A state-funded services contract (survey, design, supervision…) estimated at "
            "1,000,000 yuan or more must be tendered. RULES.md marks the number unverified (U): "
            "a configurable default."
        ),
        certainty="U",
    ),
    RuleSpec(
        id="MUST-05",
        title=_("Contract split to stay below the threshold"),
        legal_basis=(must.ART_16_5_2, must.ART_LAW_4),
        check=must.check_must05,
        applies=must.split_applies,
        params={
            "works_threshold": _threshold("works"),
            "goods_threshold": _threshold("goods"),
            "services_threshold": _threshold("services"),
            "window_days": _days(90, _("Days between the pieces of a split")),
        },
        severity=Severity.HIGH,
        description=_(
            "Engineering projects of one tenderer with the same subject (the name without phase, "
            "lot and batch markers), each below the threshold and none tendered, registered "
            "within 90 days of each other, together at or above it. The window has no statutory "
            "source: a configurable default (U)."
        ),
        certainty="U",
    ),
    RuleSpec(
        id="MUST-09",
        title=_("Tendering scope, method or form differs from the approval"),
        legal_basis=(must.ART_7,),
        check=must.check_must09,
        applies=must.has_approval,
        params={},
        severity=Severity.MEDIUM,
        description=_(
            "The method and organisation form are those the approving department fixed, and the "
            "project's category lies within the approved tendering scope (from the project's "
            "approval fields and the approved-project list). Not a row of RULES.md yet."
        ),
    ),
    RuleSpec(
        id="MUST-10",
        title=_("Approved must-tender project not entered on the platform"),
        legal_basis=(must.ART_LAW_3, must.ART_ENTRY),
        check=must.check_must10,
        applies=lambda state: False,
        params={"grace_days": _days(90, _("Days after the approval before warning"))},
        severity=Severity.HIGH,
        timing=SWEEP,
        subject="approved_project",
        description=_(
            "应进必进: an approved project that must be tendered and has no project in the "
            "ledger 90 days after its approval (the 90 days are a configurable default, U). It "
            "looks at the approved-project list, not at a project."
        ),
        certainty="U",
    ),
)

RULES: dict[str, RuleSpec] = {spec.id: spec for spec in SPECS}
if len(RULES) != len(SPECS):  # pragma: no cover — a duplicated id is a programming error
    raise RuntimeError("duplicate rule id in the registry")


def all_rules() -> list[RuleSpec]:
    """Every rule, in catalogue order."""
    return list(SPECS)


def get(rule_id: str) -> RuleSpec:
    return RULES[rule_id]


def event_rules() -> list[RuleSpec]:
    return [s for s in SPECS if s.timing == EVENT]


def sweep_rules() -> list[RuleSpec]:
    return [s for s in SPECS if s.timing == SWEEP]


__all__ = ["RULES", "SPECS", "ParamSpec", "RuleSpec", "all_rules", "event_rules", "sweep_rules"]
