"""Must-tender projects (应招必招、应进必进). RULES.md §1.1, rows MUST-02, -03, -04, -05; and two
rules RULES.md has no row for yet: MUST-09 (招标范围、方式、组织形式 as the approval fixed them,
实施条例 第七条) and MUST-10 (an approved must-tender project that never entered the platform).

Thresholds: 16号令 第五条 (400万 works, 200万 goods, 100万 services; MUST-03 and MUST-04 are
marked U in RULES.md, MUST-02 S): parameters, with the ledger's constants
(`ledger.thresholds`) as defaults. "以上" includes the number (民法典 第一千二百五十九条).

Splitting (MUST-05, 化整为零; engineering projects, not 政府采购): the same tenderer's projects
of one category and the same subject, each below the threshold and none tendered, registered
within `window_days` of each other, together at or above it. "The same subject" is the project
name reduced to its stem: full-width forms folded (NFKC), phase, lot, batch and section markers
removed (一期、二标段、第3批、东段、（一）…), punctuation and spaces dropped. An exact stem, not
a similarity score, so that the columnar path can join on it and a finding names the stem it
grouped by. The window (default 90 days) has no statutory source: a configurable default (U).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tenderwatch.ledger import thresholds
from tenderwatch.screening.findings import Fact, Finding, LegalBasis, Severity
from tenderwatch.screening.rules.base import (
    LAW,
    MUST16,
    REGS,
    _,
    as_decimal,
    basis_text,
    day,
    label_of,
    make_finding,
    yuan,
)
from tenderwatch.screening.rules.days import period_days, plus_days
from tenderwatch.screening.rules.state import NOT_TENDERED, ProjectState, SiblingProject

ART_LAW_3 = LegalBasis(LAW, "第三条")
ART_LAW_4 = LegalBasis(LAW, "第四条")
ART_7 = LegalBasis(REGS, "第七条")
ART_16_5 = {
    "works": LegalBasis(MUST16, "第五条第（一）项"),
    "goods": LegalBasis(MUST16, "第五条第（二）项"),
    "services": LegalBasis(MUST16, "第五条第（三）项"),
}
ART_16_5_2 = LegalBasis(MUST16, "第五条第二款")
RULE_OF_CATEGORY = {"works": "MUST-02", "goods": "MUST-03", "services": "MUST-04"}
CNY = "CNY"


def project_amount(state: ProjectState) -> Decimal | None:
    """The estimate to compare with the thresholds: the sum of the lots where each has one
    (16号令 第五条第二款), else the project's (`thresholds.aggregate_amount`)."""
    return thresholds.aggregate_amount(
        [lot.estimated_amount for lot in state.lots], state.project.estimated_amount
    )


def _method_word(method: str) -> str:
    from tenderwatch.ledger.models import ProcurementMethod

    return label_of(ProcurementMethod, method) if method else _("unknown")


def _form_word(form: str) -> str:
    from tenderwatch.ledger.models import OrganisationForm

    return label_of(OrganisationForm, form)


def _category_word(category: str) -> str:
    return {"works": _("works"), "goods": _("goods"), "services": _("services")}.get(
        category, category
    )


def _scope_word(category: str) -> str:
    return {"works": _("works construction"), "goods": _("goods"), "services": _("services")}.get(
        category, category
    )


def _exempted(state: ProjectState) -> bool:
    """The approval decided not to tender (实施条例 第九条; 不招标 on the approval)."""
    if state.project.approved_method == "direct":
        return True
    return any(a.approved_method == "direct" for a in state.approvals)


# -- MUST-02/03/04: not tendered -----------------------------------------------------------------


def check_not_tendered(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """必须招标的工程项目规定 第五条 (招标投标法 第三条): a state-funded contract estimated at or
    above the threshold of its category is tendered; fires when it was procured otherwise."""
    project = state.project
    rule_id = RULE_OF_CATEGORY.get(project.category)
    if rule_id is None or project.method not in NOT_TENDERED or _exempted(state):
        return []
    if project.currency.upper() != CNY:
        return []
    amount = project_amount(state)
    threshold = as_decimal(params["threshold"])
    if amount is None or amount < threshold:
        return []
    if project.state_funded is not True and project.must_tender is not True:
        return []
    basis = (ART_16_5[project.category], ART_LAW_3)
    event = (
        state.first("contract_signed") or state.first("award_notice") or state.first("registration")
    )
    text = _(
        "The %(category)s contract is estimated at %(amount)s, at or above the must-tender "
        "threshold of %(threshold)s, and uses state funds, yet it was procured by %(method)s "
        "instead of being tendered (%(basis)s)"
    ) % {
        "category": _category_word(project.category),
        "amount": yuan(amount),
        "threshold": yuan(threshold),
        "method": _method_word(project.method),
        "basis": basis_text(basis),
    }
    facts = [
        Fact(_("Estimated amount"), amount, f"project:{project.id}"),
        Fact(_("Must-tender threshold"), threshold),
        Fact(_("Procurement method"), _method_word(project.method), f"project:{project.id}"),
    ]
    for contract in state.contracts.values():
        facts.append(
            Fact(_("Contract supplier"), contract.supplier_name, f"contract:{contract.id}")
        )
    for approval in state.approvals:
        facts.append(Fact(_("Approval"), approval.approval_no, f"approved:{approval.id}"))
    return [
        make_finding(
            rule_id,
            state,
            explanation=text,
            basis=basis,
            facts=facts,
            key="project",
            severity=Severity.HIGH,
            event_id=event.id if event is not None else None,
            entity_ids=[c.supplier_id for c in state.contracts.values()]
            + ([project.tenderer_id] if project.tenderer_id else []),
        )
    ]


def applies_category(category: str) -> Any:
    def applies(state: ProjectState) -> bool:
        return state.project.category == category and state.project.method in NOT_TENDERED

    return applies


# -- MUST-05: splitting --------------------------------------------------------------------------

_NUMERAL = r"[一二三四五六七八九十百零〇两\d]+"
_MARKERS = re.compile(
    rf"\({_NUMERAL}\)"  # （一） (after NFKC: (一))
    rf"|第?{_NUMERAL}(?:期|标段|标|批次|批|包|段|区|号地块)"
    r"|[东西南北中]段"
)
_PUNCT = re.compile(r"[\s()\[\]【】〔〕<>《》\-—_·.,、，。:：;；\"'“”‘’/]+")


def subject_stem(name: str) -> str:
    """The project's subject for grouping splits: see the module's docstring."""
    text = unicodedata.normalize("NFKC", name or "").lower()
    text = _MARKERS.sub("", text)
    return _PUNCT.sub("", text)


MIN_STEM = 4


def split_group(
    state: ProjectState, threshold: Decimal, window: int
) -> tuple[str, list[SiblingProject]] | None:
    """The other pieces of this project's split, or None."""
    project = state.project
    start = project.registered_on
    if start is None:
        return None
    stem = subject_stem(project.name)
    if len(stem) < MIN_STEM:
        return None
    group = []
    for other in state.siblings:
        if (
            other.category == project.category
            and other.method in NOT_TENDERED
            and other.estimated_amount is not None
            and other.estimated_amount < threshold
            and other.registered_on is not None
            and abs(period_days(start, other.registered_on)) <= window
            and subject_stem(other.name) == stem
        ):
            group.append(other)
    return (stem, group) if group else None


def split_applies(state: ProjectState) -> bool:
    """16号令 governs engineering projects (工程建设项目); government procurement follows
    政府采购法 (its own thresholds and 第二十八条 against splitting), not checked here."""
    project = state.project
    return (
        project.method in NOT_TENDERED
        and project.industry != "government_procurement"
        and project.state_funded is not False
        and bool(state.siblings)
    )


def check_must05(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """必须招标的工程项目规定 第五条第二款 (招标投标法 第四条): purchases of one project that can be
    merged count together; splitting them below the threshold to avoid tendering is forbidden.
    Fires on each piece of a group (see the module's docstring)."""
    project = state.project
    if not split_applies(state):
        return []
    threshold_param = {
        "works": "works_threshold",
        "goods": "goods_threshold",
        "services": "services_threshold",
    }.get(project.category)
    if threshold_param is None:
        return []
    threshold = as_decimal(params[threshold_param])
    own = project_amount(state)
    if own is None or own >= threshold:
        return []  # at or above the threshold on its own: MUST-02/03/04
    window = int(params["window_days"])
    found = split_group(state, threshold, window)
    if found is None:
        return []
    stem, group = found
    amounts = [s.estimated_amount for s in group if s.estimated_amount is not None]
    total = own + sum(amounts, Decimal(0))
    if total < threshold:
        return []
    pieces: list[tuple[dt.date | None, str, Decimal | None]] = [
        (project.registered_on, project.code, own)
    ]
    pieces += [(s.registered_on, s.code, s.estimated_amount) for s in group]
    pieces.sort(key=lambda p: (p[0] or dt.date.min, p[1]))
    first, last = pieces[0][0], pieces[-1][0]
    basis = (ART_16_5_2, ART_LAW_4)
    text = _(
        "Between %(first)s and %(last)s the tenderer %(tenderer)s registered %(count)d projects "
        "of the same subject (%(pieces)s), each below the must-tender threshold of "
        "%(threshold)s and none tendered, together %(total)s: a purchase split to avoid "
        "tendering (%(basis)s)"
    ) % {
        "first": day(first),
        "last": day(last),
        "tenderer": project.tenderer_name,
        "count": len(pieces),
        "pieces": "、".join(f"{code} {yuan(amount)}" for _d, code, amount in pieces),
        "threshold": yuan(threshold),
        "total": yuan(total),
        "basis": basis_text(basis),
    }
    event = state.first("registration")
    facts = [
        Fact(_("This project"), f"{project.code} {project.name}", f"project:{project.id}"),
        *(
            Fact(
                _("Other piece"),
                f"{s.code} {s.name}（{yuan(s.estimated_amount)}）",
                f"project:{s.id}",
            )
            for s in group
        ),
        Fact(_("Total estimate"), total),
        Fact(_("Must-tender threshold"), threshold),
        Fact(_("Window (days)"), window),
    ]
    return [
        make_finding(
            "MUST-05",
            state,
            explanation=text,
            basis=basis,
            facts=facts,
            key=f"split:{stem}",
            severity=Severity.HIGH,
            event_id=event.id if event is not None else None,
            entity_ids=[project.tenderer_id] if project.tenderer_id else (),
            data={"group": sorted([project.id, *(s.id for s in group)])},
        )
    ]


# -- MUST-09: scope, method and form as approved -------------------------------------------------

SCOPE_WORDS = {
    "works": ("施工", "工程", "建安"),
    "goods": ("设备", "材料", "货物"),
    "services": ("勘察", "设计", "监理", "服务", "咨询"),
}


def _approval_sources(state: ProjectState) -> list[tuple[str, str, str, str, str]]:
    """(approval number, scope, method, form, ref) from the project and the approved list."""
    project = state.project
    out = []
    if project.approved_method or project.approved_form or project.approved_scope:
        out.append(
            (
                project.approval_no,
                project.approved_scope,
                project.approved_method,
                project.approved_form,
                f"project:{project.id}",
            )
        )
    for a in state.approvals:
        out.append(
            (
                a.approval_no,
                a.approved_scope,
                a.approved_method,
                a.approved_form,
                f"approved:{a.id}",
            )
        )
    return out


def check_must09(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """招标投标法实施条例 第七条: the tendering scope, method and organisation form of a project
    that needs an examination or ratification are those the approving department fixed. Fires
    when the ledger's method or form differs from the approval's, or the project's category is
    outside the approved scope."""
    project = state.project
    problems: list[str] = []
    facts: list[Fact] = []
    severity = Severity.LOW
    seen: set[str] = set()
    for number, scope, method, form, ref in _approval_sources(state):
        if method and project.method and method != project.method:
            message = _(
                "the approval %(number)s fixed %(approved)s, but the project used %(used)s"
            ) % {
                "number": number or "",
                "approved": _method_word(method),
                "used": _method_word(project.method),
            }
            severity = Severity.HIGH
            if message not in seen:
                seen.add(message)
                problems.append(message)
                facts.append(Fact(_("Approved method"), _method_word(method), ref))
        if form and project.organisation_form and form != project.organisation_form:
            message = _(
                "the approval %(number)s fixed %(approved)s, but the project is %(used)s"
            ) % {
                "number": number or "",
                "approved": _form_word(form),
                "used": _form_word(project.organisation_form),
            }
            if severity != Severity.HIGH:
                severity = Severity.MEDIUM
            if message not in seen:
                seen.add(message)
                problems.append(message)
                facts.append(Fact(_("Approved organisation form"), _form_word(form), ref))
        words = SCOPE_WORDS.get(project.category)
        if scope and words and not any(w in scope for w in words):
            message = _(
                "the approved tendering scope (%(scope)s) does not include %(category)s"
            ) % {"scope": scope, "category": _scope_word(project.category)}
            if message not in seen:
                seen.add(message)
                problems.append(message)
                facts.append(Fact(_("Approved tendering scope"), scope, ref))
    if not problems:
        return []
    facts = [
        Fact(_("Procurement method"), _method_word(project.method), f"project:{project.id}"),
        *(
            [
                Fact(
                    _("Organisation form"),
                    _form_word(project.organisation_form),
                    f"project:{project.id}",
                )
            ]
            if project.organisation_form
            else []
        ),
        *facts,
    ]
    text = _("The tendering differs from the approval: %(problems)s (%(basis)s)") % {
        "problems": _("; ").join(problems),
        "basis": basis_text((ART_7,)),
    }
    event = state.first("announcement") or state.first("registration")
    return [
        make_finding(
            "MUST-09",
            state,
            explanation=text,
            basis=(ART_7,),
            facts=facts,
            key="approval",
            severity=severity,
            event_id=event.id if event is not None else None,
        )
    ]


def has_approval(state: ProjectState) -> bool:
    return bool(_approval_sources(state))


# -- MUST-10: approved, must be tendered, never entered -------------------------------------------


@dataclass(frozen=True, slots=True)
class ApprovedRow:
    """A row of the approved-project list with no project in the ledger."""

    id: int
    approval_no: str
    name: str
    owner_name: str
    owner_identifier: str
    must_tender: bool | None
    must_tender_reason: str
    approved_method: str
    approved_on: dt.date | None
    amount: Decimal | None
    industry: str = ""
    category: str = ""


@dataclass(frozen=True)
class EntryFinding:
    """A finding on an approved project that has no project in the ledger (so no `Finding`,
    which needs one): see /work/notes/rules-needs.md for how it becomes a warning."""

    rule_id: str
    approved_project_id: int
    explanation: str
    legal_basis: tuple[LegalBasis, ...]
    facts: tuple[Fact, ...]
    key: str
    severity: str
    industry: str = ""

    @property
    def fingerprint(self) -> str:
        import hashlib
        import json

        raw = json.dumps(["approved", self.rule_id, self.approved_project_id, self.key])
        return hashlib.sha256(raw.encode()).hexdigest()


ART_ENTRY = LegalBasis(LAW, "第三条", "依法必须招标的项目进入公共资源交易平台交易（应进必进）")


def check_not_entered(
    rows: Iterable[ApprovedRow], params: Mapping[str, Any], *, today: dt.date
) -> list[EntryFinding]:
    """MUST-10 (应进必进): an approved project that must be tendered and has not entered the
    platform `grace_days` after its approval (default 90 days, no statutory source: U). Rows
    whose approval decided not to tender are left out (实施条例 第九条)."""
    grace = int(params["grace_days"])
    out = []
    for row in rows:
        if row.must_tender is not True or row.approved_method == "direct":
            continue
        if row.approved_on is None or period_days(row.approved_on, today) <= grace:
            continue
        # The facts do not change from day to day (a daily sweep leaves the warning alone): the
        # day by which the project was expected, not the days elapsed.
        expected = plus_days(row.approved_on, grace)
        text = _(
            "The project %(name)s (%(number)s) of %(owner)s was approved on %(approved)s and must "
            "be tendered (%(reason)s), but by %(expected)s, %(grace)d days later, it had not "
            "entered the trading platform (%(basis)s)"
        ) % {
            "name": row.name,
            "number": row.approval_no,
            "owner": row.owner_name,
            "approved": day(row.approved_on),
            "reason": row.must_tender_reason or _("must-tender assessment"),
            "expected": day(expected),
            "grace": grace,
            "basis": basis_text((ART_LAW_3,)),
        }
        out.append(
            EntryFinding(
                rule_id="MUST-10",
                approved_project_id=row.id,
                explanation=text,
                legal_basis=(ART_LAW_3, ART_ENTRY),
                facts=(
                    Fact(_("Approval"), row.approval_no, f"approved:{row.id}"),
                    Fact(_("Approved on"), row.approved_on, f"approved:{row.id}"),
                    Fact(_("Approved amount"), row.amount, f"approved:{row.id}"),
                    Fact(_("Expected on the platform by"), expected),
                ),
                key=f"approved:{row.approval_no}",
                severity=Severity.HIGH,
                industry=row.industry,
            )
        )
    return out


def load_not_entered() -> list[ApprovedRow]:
    """The approved must-tender projects that have not entered (`ledger.approved`), one query."""
    from tenderwatch.ledger.approved import approved_not_entered

    return [
        ApprovedRow(
            id=a.pk,
            approval_no=a.approval_no,
            name=a.name,
            owner_name=a.owner_name,
            owner_identifier=a.owner_identifier,
            must_tender=a.must_tender,
            must_tender_reason=a.must_tender_reason,
            approved_method=a.approved_method,
            approved_on=a.approved_on,
            amount=a.amount,
            industry=a.industry,
            category=a.category,
        )
        for a in approved_not_entered()
    ]


def check_must10(state: ProjectState, params: Mapping[str, Any]) -> list[Finding]:
    """MUST-10 looks at the approved list, not at a project: nothing per project
    (`check_not_entered` does the work)."""
    return []


__all__ = [
    "ART_7",
    "ART_16_5",
    "ART_16_5_2",
    "ART_LAW_3",
    "ART_LAW_4",
    "RULE_OF_CATEGORY",
    "ApprovedRow",
    "EntryFinding",
    "applies_category",
    "check_must05",
    "check_must09",
    "check_must10",
    "check_not_entered",
    "check_not_tendered",
    "has_approval",
    "load_not_entered",
    "project_amount",
    "subject_stem",
]
