"""必须招标的工程项目规定 (16号令) Arts. 2 and 5: the must-tender assessment."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from tenderwatch.ledger.thresholds import (
    GOODS_THRESHOLD,
    SERVICES_THRESHOLD,
    WORKS_THRESHOLD,
    aggregate_amount,
    assess_must_tender,
)

STATE = {"state_owned_share": Decimal(100)}
ONE = Decimal("0.01")


@pytest.fixture(autouse=True)
def _english() -> object:
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("category", "threshold"),
    [("works", WORKS_THRESHOLD), ("goods", GOODS_THRESHOLD), ("services", SERVICES_THRESHOLD)],
)
def test_each_category_at_below_and_above_its_threshold(category: str, threshold: Decimal) -> None:
    def must(amount: Decimal) -> bool | None:
        return assess_must_tender(
            category=category, amount=amount, currency="CNY", **STATE
        ).must_tender

    # "以上" includes the number itself (民法典 第一千二百五十九条).
    assert must(threshold) is True
    assert must(threshold - ONE) is False
    assert must(threshold + ONE) is True


def test_the_figures_are_those_of_article_5() -> None:
    assert (
        Decimal(4_000_000),
        Decimal(2_000_000),
        Decimal(1_000_000),
    ) == (WORKS_THRESHOLD, GOODS_THRESHOLD, SERVICES_THRESHOLD)


def test_reason_names_amount_threshold_and_article() -> None:
    result = assess_must_tender(
        category="works", amount=Decimal(5_000_000), currency="CNY", **STATE
    )
    assert "500万元" in result.reason
    assert "400万元" in result.reason
    assert "第五条" in result.reason


def test_below_threshold_needs_no_funding_facts() -> None:
    result = assess_must_tender(
        category="services", amount=Decimal(999_999), currency="CNY", state_owned_share=None
    )
    assert result.must_tender is False


def test_missing_category_or_amount_gives_none_naming_the_fact() -> None:
    no_amount = assess_must_tender(category="works", amount=None, currency="CNY", **STATE)
    assert no_amount.must_tender is None
    assert "amount" in no_amount.reason
    no_category = assess_must_tender(
        category=None, amount=Decimal(5_000_000), currency="CNY", **STATE
    )
    assert no_category.must_tender is None
    assert "category" in no_category.reason


def test_missing_funding_facts_give_none_naming_them() -> None:
    result = assess_must_tender(
        category="works", amount=Decimal(5_000_000), currency="CNY", state_owned_share=None
    )
    assert result.must_tender is None
    assert "state-owned share" in result.reason
    assert "budget funds" in result.reason


def test_a_foreign_currency_is_not_converted() -> None:
    result = assess_must_tender(
        category="works", amount=Decimal(5_000_000), currency="USD", **STATE
    )
    assert result.must_tender is None
    assert "USD" in result.reason


def test_state_controlling_share_from_fifty_percent() -> None:
    def share(value: str) -> bool | None:
        return assess_must_tender(
            category="goods",
            amount=Decimal(3_000_000),
            currency="CNY",
            state_owned_share=Decimal(value),
            loan_or_utility_scope=False,
        ).must_tender

    assert share("50") is True
    # Below 50% the state may still be dominant (主导地位): not decided from the share alone.
    assert share("30") is None
    assert share("0") is False


def test_dominant_state_funds_below_fifty_percent_when_stated() -> None:
    result = assess_must_tender(
        category="goods",
        amount=Decimal(3_000_000),
        currency="CNY",
        state_owned_share=Decimal(30),
        state_dominant=True,
    )
    assert result.must_tender is True


def test_budget_funds_test_of_article_2_1() -> None:
    def budget(funds: int, investment: int | None) -> bool | None:
        return assess_must_tender(
            category="works",
            amount=Decimal(8_000_000),
            currency="CNY",
            state_owned_share=Decimal(20),
            budget_funds=Decimal(funds),
            total_investment=None if investment is None else Decimal(investment),
        ).must_tender

    assert budget(2_000_000, 20_000_000) is True  # 200万 and exactly 10%
    assert budget(2_000_000, 20_000_001) is None  # under 10%; dominance still open
    assert budget(2_000_000, None) is None  # share unknown without the investment


def test_private_project_outside_articles_2_to_4() -> None:
    result = assess_must_tender(
        category="works",
        amount=Decimal(9_000_000),
        currency="CNY",
        state_owned_share=Decimal(0),
        loan_or_utility_scope=False,
    )
    assert result.must_tender is False
    unknown_scope = assess_must_tender(
        category="works", amount=Decimal(9_000_000), currency="CNY", state_owned_share=Decimal(0)
    )
    assert unknown_scope.must_tender is None
    assert "Art. 3 or 4" in unknown_scope.reason


def test_mergeable_lots_count_together() -> None:
    # 16号令 第五条第二款: three works lots of 150万 each make 450万.
    amount = aggregate_amount([Decimal(1_500_000)] * 3, None)
    assert amount == Decimal(4_500_000)
    assert assess_must_tender(category="works", amount=amount, currency="CNY", **STATE).must_tender
    # A lot without an estimate: fall back to the project's.
    assert aggregate_amount([Decimal(1), None], Decimal(7)) == Decimal(7)
