"""Must a project be tendered? 必须招标的工程项目规定 (国家发展和改革委员会令第16号, 2018). REQ-09.

A pure function of the facts: no database, no conversion of currencies, no guessing. Where a
fact that decides the answer is missing the answer is `None` and the reason names the fact.

The thresholds are module constants with their legal source; the rule-engine issue makes them
editable by the office (RULES.md §1.1 rows MUST-01 to MUST-05; MUST-01, -03 and -04 are marked U
there: check them against the official text before relying on them in law).

"以上" in the regulation includes the number itself (民法典 第一千二百五十九条), so a works
contract estimated at exactly 400万元 must be tendered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

CNY = "CNY"

# 16号令 第五条第一款: 单项合同估算价达到下列标准之一的，必须招标.
# (一) 施工单项合同估算价在400万元人民币以上.
WORKS_THRESHOLD = Decimal("4000000")
# (二) 重要设备、材料等货物的采购，单项合同估算价在200万元人民币以上.
GOODS_THRESHOLD = Decimal("2000000")
# (三) 勘察、设计、监理等服务的采购，单项合同估算价在100万元人民币以上.
SERVICES_THRESHOLD = Decimal("1000000")

THRESHOLDS: dict[str, Decimal] = {
    "works": WORKS_THRESHOLD,
    "goods": GOODS_THRESHOLD,
    "services": SERVICES_THRESHOLD,
}
THRESHOLD_ARTICLE = {
    "works": "16号令 第五条第（一）项",
    "goods": "16号令 第五条第（二）项",
    "services": "16号令 第五条第（三）项",
}

# 16号令 第二条第（一）项: 使用预算资金200万元人民币以上，并且该资金占投资额10%以上的项目.
BUDGET_FUNDS_MIN = Decimal("2000000")
BUDGET_FUNDS_SHARE_MIN = Decimal("10")  # percent of the project's total investment

# 16号令 第二条第（二）项: 使用国有企业事业单位资金，并且该资金占控股或者主导地位的项目.
# 发改办法规〔2020〕770号 reads 控股 after 公司法 (2018) 第二百一十六条: 50% or more of the
# capital. Below 50% the state may still be dominant (主导: voting power, actual control), which
# a share alone does not show; the caller says so with `state_dominant`.
STATE_CONTROLLING_SHARE = Decimal("50")  # percent of the project's funds


@dataclass(frozen=True)
class Assessment:
    must_tender: bool | None
    reason: str


def _wan(amount: Decimal) -> str:
    """An amount in 万元, as the regulation writes it."""
    wan = (amount / Decimal(10000)).normalize()
    text = f"{wan:f}"
    return f"{text}万元"


def _state_funded(
    *,
    state_owned_share: Decimal | None,
    state_dominant: bool | None,
    budget_funds: Decimal | None,
    total_investment: Decimal | None,
) -> tuple[bool | None, str, list[str]]:
    """Whether 16号令 第二条 applies: (answer, why, facts missing)."""
    missing: list[str] = []
    # 第二条第（一）项: budget funds.
    budget_test: bool | None
    if budget_funds is None and state_owned_share is not None and state_owned_share <= 0:
        budget_test = False  # no state funds at all, budget funds included (770号)
    elif budget_funds is None:
        budget_test = None
        missing.append(_("budget funds"))
    elif budget_funds < BUDGET_FUNDS_MIN:
        budget_test = False
    elif total_investment is None or total_investment <= 0:
        budget_test = None
        missing.append(_("total investment"))
    else:
        budget_test = budget_funds * 100 / total_investment >= BUDGET_FUNDS_SHARE_MIN
    if budget_test:
        return (
            True,
            _("budget funds %(funds)s, at least 10%% of the investment (16号令 Art. 2(1))")
            % {"funds": _wan(budget_funds or Decimal(0))},
            [],
        )
    # 第二条第（二）项: state-owned funds controlling or dominant.
    soe_test: bool | None
    if state_dominant is not None:
        soe_test = state_dominant
    elif state_owned_share is None:
        soe_test = None
        missing.append(_("state-owned share"))
    elif state_owned_share >= STATE_CONTROLLING_SHARE:
        soe_test = True
    elif state_owned_share <= 0:
        soe_test = False
    else:
        soe_test = None
        missing.append(_("whether state funds are dominant (主导地位) at a share below 50%"))
    if soe_test:
        return True, _("state-owned funds controlling or dominant (16号令 Art. 2(2))"), []
    if budget_test is False and soe_test is False:
        return False, _("not a state-funded project under 16号令 Art. 2"), []
    return None, "", missing


def assess_must_tender(
    *,
    category: str | None,
    amount: Decimal | None,
    currency: str | None,
    state_owned_share: Decimal | None,
    state_dominant: bool | None = None,
    budget_funds: Decimal | None = None,
    total_investment: Decimal | None = None,
    loan_or_utility_scope: bool | None = None,
) -> Assessment:
    """Must a contract of `category` ("works", "goods", "services") estimated at `amount`
    be tendered?

    `amount` is the single-contract estimate (单项合同估算价); for lots of one project that can
    be merged, pass their sum (第五条第二款, see `aggregate_amount`). `state_owned_share` is
    the share of all state funds in the project, in percent (770号: the sum of all state funds).
    `loan_or_utility_scope` says whether 第三条 (international organisations' or foreign
    governments' loans) or 第四条 (large infrastructure and public utilities, 发改法规规〔2018〕
    843号) applies; it matters only for projects that are not state-funded.
    """
    if amount is not None and (currency or CNY).upper() != CNY:
        return Assessment(
            None,
            _(
                "The amount is in %(currency)s; the thresholds are in yuan and amounts are not "
                "converted. Assess it by hand."
            )
            % {"currency": currency},
        )
    missing: list[str] = []
    threshold = THRESHOLDS.get(category or "")
    if threshold is None:
        missing.append(_("category (works, goods or services)"))
    if amount is None:
        missing.append(_("estimated contract amount"))
    if threshold is None or amount is None or category is None:
        return Assessment(
            None, _("Not assessed: missing %(facts)s.") % {"facts": "、".join(missing)}
        )
    article = THRESHOLD_ARTICLE[category]
    if amount < threshold:
        # Below the threshold nothing else matters for 16号令; splitting to stay below it is
        # caught by assessing the sum of mergeable purchases (第五条第二款, 招标投标法 第四条).
        return Assessment(
            False,
            _("%(amount)s is below the %(threshold)s threshold of %(article)s.")
            % {"amount": _wan(amount), "threshold": _wan(threshold), "article": article},
        )
    funded, why, funded_missing = _state_funded(
        state_owned_share=state_owned_share,
        state_dominant=state_dominant,
        budget_funds=budget_funds,
        total_investment=total_investment,
    )
    reaches = _("%(amount)s reaches the %(threshold)s threshold of %(article)s") % {
        "amount": _wan(amount),
        "threshold": _wan(threshold),
        "article": article,
    }
    if funded:
        return Assessment(True, _("%(reaches)s; %(why)s.") % {"reaches": reaches, "why": why})
    if loan_or_utility_scope:
        return Assessment(
            True,
            _("%(reaches)s; within 16号令 Art. 3 or 4 (loans, infrastructure, utilities).")
            % {"reaches": reaches},
        )
    if funded is False and loan_or_utility_scope is False:
        return Assessment(
            False,
            _("%(reaches)s, but the project is not within 16号令 Arts. 2 to 4.")
            % {"reaches": reaches},
        )
    if funded is False:
        funded_missing = [_("whether 16号令 Art. 3 or 4 applies (loans, infrastructure)")]
    else:
        funded_missing = [*funded_missing, _("whether 16号令 Art. 3 or 4 applies")]
    return Assessment(
        None,
        _("%(reaches)s; not assessed: missing %(facts)s.")
        % {"reaches": reaches, "facts": "、".join(funded_missing)},
    )


def aggregate_amount(
    lot_amounts: Iterable[Decimal | None], project_amount: Decimal | None
) -> Decimal | None:
    """The estimate to assess for a project: the sum of its lots where every lot has one
    (第五条第二款: mergeable purchases of one project count together), else the project's."""
    amounts = list(lot_amounts)
    if amounts and all(a is not None for a in amounts):
        total = sum((a for a in amounts if a is not None), Decimal(0))
        return max(total, project_amount) if project_amount is not None else total
    return project_amount
