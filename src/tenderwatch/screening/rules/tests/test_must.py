"""Must-tender rules: MUST-02/03/04 (not tendered), MUST-05 (split), MUST-09 (the approval),
MUST-10 (应进未进), each on both sides of its boundary."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tenderwatch.screening.rules import registry
from tenderwatch.screening.rules.must import (
    ApprovedRow,
    check_must05,
    check_must09,
    check_not_entered,
    check_not_tendered,
    subject_stem,
)
from tenderwatch.screening.rules.state import ApprovalState, SiblingProject
from tenderwatch.screening.rules.testing import contract, ev, lot, make_state


def direct(category: str, amount: str, **kwargs):
    return make_state(
        ev("contract_signed", "2026-04-01", lot=1),
        method=kwargs.pop("method", "direct"),
        category=category,
        amount=amount,
        contracts=[contract(1, "2026-04-01")],
        **kwargs,
    )


@pytest.mark.parametrize(
    ("rule_id", "category", "threshold"),
    [
        ("MUST-02", "works", "4000000"),
        ("MUST-03", "goods", "2000000"),
        ("MUST-04", "services", "1000000"),
    ],
)
def test_must_tender_thresholds(rule_id: str, category: str, threshold: str) -> None:
    """必须招标的工程项目规定 第五条: a state-funded contract at the threshold (以上 includes it)
    must be tendered; one yuan less need not."""
    spec = registry.RULES[rule_id]
    at_threshold = direct(category, threshold)
    assert spec.applies(at_threshold)
    [finding] = check_not_tendered(at_threshold, spec.defaults())
    assert finding.rule_id == rule_id and finding.severity == "high"
    assert "却以直接发包 / 不招标方式采购，未依法招标" in finding.explanation
    assert "《必须招标的工程项目规定》第五条" in finding.explanation
    below = direct(category, str(Decimal(threshold) - 1))
    assert check_not_tendered(below, spec.defaults()) == []


def test_must02_lots_add_up_and_exemptions() -> None:
    """必须招标的工程项目规定 第五条第二款: lots of one project count together; an approval that
    decided not to tender (实施条例 第九条), tendering, or no state funds do not fire."""
    params = registry.RULES["MUST-02"].defaults()
    two_lots = direct(
        "works", "3000000", lots=[lot(1, estimate="2500000"), lot(2, estimate="1500000")]
    )
    assert len(check_not_tendered(two_lots, params)) == 1
    assert check_not_tendered(direct("works", "5000000", approved_method="direct"), params) == []
    assert check_not_tendered(direct("works", "5000000", method="open"), params) == []
    private = direct("works", "5000000", state_funded=False, must_tender=False)
    assert check_not_tendered(private, params) == []
    raised = {**params, "threshold": Decimal("6000000")}
    assert check_not_tendered(direct("works", "5000000"), raised) == []


# -- MUST-05 ----------------------------------------------------------------------------------


def piece(n: int, amount: str, day: str, *, name: str = "黄州区赤壁路改造工程（二期）", **kw):
    return SiblingProject(
        id=100 + n,
        external_id=f"P{n}",
        code=f"HZJS2026-01{n:02d}",
        name=name,
        category=kw.get("category", "works"),
        method=kw.get("method", "inquiry"),
        estimated_amount=Decimal(amount),
        registered_on=dt.date.fromisoformat(day),
    )


def split(*siblings: SiblingProject, **kwargs):
    kwargs.setdefault("method", "competitive_consultation")
    return make_state(
        ev("registration", "2026-03-02"),
        name="黄州区赤壁路改造工程（一期）",
        amount="3000000",
        must_tender=False,
        siblings=siblings,
        **kwargs,
    )


MUST05 = registry.RULES["MUST-05"].defaults()


def test_must05_pieces_below_the_threshold_adding_up_fire() -> None:
    """必须招标的工程项目规定 第五条第二款, 招标投标法 第四条: 300万 + 150万 of one subject,
    untendered, 30 days apart: a split to avoid tendering."""
    state = split(piece(1, "1500000", "2026-04-01"))
    assert registry.RULES["MUST-05"].applies(state)
    [finding] = check_must05(state, MUST05)
    assert finding.key == "split:" + subject_stem("黄州区赤壁路改造工程")
    assert "同一标的的项目2个" in finding.explanation
    assert "合计4,500,000.00元" in finding.explanation
    assert finding.data["group"] == [1, 101]


def test_must05_boundaries() -> None:
    """必须招标的工程项目规定 第五条第二款: the total must reach the threshold, the pieces be
    within the window (90 days: 91 apart do not group), of one subject, none tendered."""
    assert check_must05(split(piece(1, "999999.99", "2026-04-01")), MUST05) == []
    assert len(check_must05(split(piece(1, "1000000", "2026-05-31")), MUST05)) == 1
    assert check_must05(split(piece(1, "1500000", "2026-06-01")), MUST05) == []
    other = piece(1, "1500000", "2026-04-01", name="黄州区东湖路改造工程（二期）")
    assert check_must05(split(other), MUST05) == []
    tendered = split(piece(1, "1500000", "2026-04-01"), method="open")
    assert not registry.RULES["MUST-05"].applies(tendered)
    gp = split(piece(1, "1500000", "2026-04-01"), industry="government_procurement")
    assert not registry.RULES["MUST-05"].applies(gp)


def test_subject_stems() -> None:
    """必须招标的工程项目规定 第五条第二款: the same subject whatever the phase or lot."""
    base = subject_stem("黄州区赤壁路改造工程")
    for name in (
        "黄州区赤壁路改造工程（一期）",
        "黄州区赤壁路改造工程(二期)",
        "黄州区赤壁路改造工程第3标段",
        "黄州区赤壁路 改造工程 东段",
    ):
        assert subject_stem(name) == base, name
    assert subject_stem("黄州区东湖路改造工程") != base


# -- MUST-09 ----------------------------------------------------------------------------------


def test_must09_method_form_and_scope() -> None:
    """招标投标法实施条例 第七条: scope, method and form as the approval fixed them."""
    same = make_state(approved_method="open", approved_form="entrusted", approved_scope="施工")
    assert registry.RULES["MUST-09"].applies(same)
    assert check_must09(same, {}) == []
    invited = make_state(method="invited", approved_method="open", approval_no="黄发改〔2026〕1号")
    [finding] = check_must09(invited, {})
    assert "审批核准文件黄发改〔2026〕1号确定的招标方式为公开招标，实际采用邀请招标" in (
        finding.explanation
    )
    assert finding.severity == "high"
    listed = make_state(
        approvals=[
            ApprovalState(
                9, "黄发改〔2026〕2号", "x", True, "监理", "open", "self", None, Decimal(1)
            )
        ]
    )
    [finding] = check_must09(listed, {})
    assert "组织形式为自行招标" in finding.explanation
    assert "招标范围（监理）不包括工程施工" in finding.explanation
    assert any(f.ref == "approved:9" for f in finding.facts)


# -- MUST-10 ----------------------------------------------------------------------------------


def row(approved: str, **kwargs) -> ApprovedRow:
    values = {
        "id": 5,
        "approval_no": "黄发改〔2026〕8号",
        "name": "黄州区某道路工程",
        "owner_name": "黄州区交通运输局",
        "owner_identifier": "",
        "must_tender": True,
        "must_tender_reason": "施工单项合同估算价达到400万元",
        "approved_method": "open",
        "approved_on": dt.date.fromisoformat(approved),
        "amount": Decimal("6000000"),
    }
    values.update(kwargs)
    return ApprovedRow(**values)


def test_must10_not_entered_after_the_grace_period() -> None:
    """招标投标法 第三条 (应进必进): an approved must-tender project without a project 91 days
    after the approval fires; at 90 days, or when the approval decided not to tender, not."""
    params = registry.RULES["MUST-10"].defaults()
    today = dt.date(2026, 6, 1)
    [finding] = check_not_entered([row("2026-03-02")], params, today=today)
    assert finding.approved_project_id == 5 and finding.rule_id == "MUST-10"
    assert "至2026-05-31（审批后90日）仍未进入公共资源交易平台" in finding.explanation
    again = check_not_entered([row("2026-03-02")], params, today=dt.date(2026, 7, 1))
    assert (again[0].explanation, again[0].facts) == (finding.explanation, finding.facts)
    assert len(finding.fingerprint) == 64
    assert check_not_entered([row("2026-03-03")], params, today=today) == []
    assert (
        check_not_entered([row("2026-01-01", approved_method="direct")], params, today=today) == []
    )
    assert check_not_entered([row("2026-01-01", must_tender=None)], params, today=today) == []
