"""The tendering stage: TD-02, TD-03, TD-05, TD-06, TD-07 (and TD-07s), TD-09, TD-09b — each on
both sides of its boundary, independent of the generator."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tenderwatch.screening.rules import registry
from tenderwatch.screening.rules.tender import (
    check_td02,
    check_td03,
    check_td05,
    check_td06,
    check_td07,
    check_td07s,
    check_td09,
    check_td09b,
)
from tenderwatch.screening.rules.testing import ev, lot, make_state

TD05 = registry.RULES["TD-05"].defaults()
TD06 = registry.RULES["TD-06"].defaults()
TD07 = registry.RULES["TD-07"].defaults()


def docs_and_deadline(issued: str, deadline: str, **kwargs):
    return make_state(ev("tender_documents_issued", issued), ev("bid_deadline", deadline), **kwargs)


# -- TD-05 ------------------------------------------------------------------------------------


def test_td05_nineteen_days_fire() -> None:
    """招标投标法 第二十四条: 19 days from the documents (2026-03-02) to the deadline fire."""
    state = docs_and_deadline("2026-03-02", "2026-03-21 09:30")
    [finding] = check_td05(state, TD05)
    assert finding.rule_id == "TD-05" and finding.lot_id is None
    assert finding.explanation == (
        "招标文件开始发出之日（2026-03-02）至投标截止之日（2026-03-21）仅19日，少于20日"
        "（《招标投标法》第二十四条）"
    )
    deadline = state.in_force("bid_deadline")
    assert finding.event_id == deadline.id
    assert finding.key == f"deadline:{deadline.external_id}"
    assert [f.ref for f in finding.facts[:2]] == [
        state.first("tender_documents_issued").ref,
        deadline.ref,
    ]


def test_td05_twenty_days_do_not_fire() -> None:
    """招标投标法 第二十四条: exactly 20 days (2026-03-02 → 03-22) are enough."""
    assert check_td05(docs_and_deadline("2026-03-02", "2026-03-22 09:30"), TD05) == []


def test_td05_a_holiday_does_not_lengthen_the_minimum_period() -> None:
    """招标投标法 第二十四条 with 民法典 第二百零一条: the 20 days are counted, not rolled —
    a deadline on 2026-10-04 (National Day) 19 days after 09-15 still fires, and 20 days that
    span the holiday (09-12 → 10-02) are enough."""
    assert len(check_td05(docs_and_deadline("2026-09-15", "2026-10-04"), TD05)) == 1
    assert check_td05(docs_and_deadline("2026-09-12", "2026-10-02"), TD05) == []


def test_td05_the_deadline_in_force_is_the_newest_reported() -> None:
    """招标投标法 第二十四条 (and 实施条例 第二十一条: a moved deadline): a second deadline event
    received later replaces the first."""
    state = make_state(
        ev("tender_documents_issued", "2026-03-02"),
        ev("bid_deadline", "2026-03-21"),
        ev("bid_deadline", "2026-03-25"),
    )
    assert check_td05(state, TD05) == []


def test_td05_lot_deadlines_and_announcement_fallback() -> None:
    """招标投标法 第二十四条: a lot with its own deadline is checked on its own; without a
    document issue the period runs from the announcement."""
    state = make_state(
        ev("announcement", "2026-03-02"),
        ev("bid_deadline", "2026-03-30", lot=1),
        ev("bid_deadline", "2026-03-20", lot=2),
        lots=[lot(1), lot(2)],
    )
    [finding] = check_td05(state, TD05)
    assert finding.lot_id == 2
    assert finding.explanation.startswith("招标公告发布之日（2026-03-02")
    assert "仅18日" in finding.explanation


def test_td05_applies_to_must_tender_projects_only() -> None:
    """招标投标法 第二十四条 is written for 依法必须进行招标的项目."""
    spec = registry.RULES["TD-05"]
    assert spec.applies(docs_and_deadline("2026-03-02", "2026-03-21"))
    assert not spec.applies(docs_and_deadline("2026-03-02", "2026-03-21", must_tender=False))
    assert not spec.applies(docs_and_deadline("2026-03-02", "2026-03-21", method="inquiry"))


def test_td05_counts_only_the_current_round() -> None:
    """招标投标法 第二十八条: after a re-tendering, the earlier round's steps do not count."""
    state = make_state(
        ev("tender_documents_issued", "2026-03-02"),
        ev("bid_deadline", "2026-03-10"),
        ev("retender", "2026-03-11"),
        ev("tender_documents_issued", "2026-03-12"),
        ev("bid_deadline", "2026-04-05"),
    )
    assert check_td05(state, TD05) == []


# -- TD-06 ------------------------------------------------------------------------------------


def clarified(days_before: str, *, prequal: bool = False, **data) -> object:
    if prequal:
        return make_state(
            ev("prequalification_issued", "2026-03-01"),
            ev("clarification", days_before, **data),
            ev("prequalification_deadline", "2026-03-20 17:00"),
            ev("bid_deadline", "2026-04-30"),
        )
    return make_state(
        ev("tender_documents_issued", "2026-03-01"),
        ev("clarification", days_before, **data),
        ev("bid_deadline", "2026-04-10 09:30"),
    )


def test_td06_fourteen_days_before_the_deadline_fire() -> None:
    """招标投标法实施条例 第二十一条: a clarification 14 days before the deadline (03-27 → 04-10)
    fires, on the clarification's step."""
    state = clarified("2026-03-27 15:00", material=True)
    [finding] = check_td06(state, TD06)
    assert finding.explanation == (
        "2026-03-27发出的澄清或者修改距投标截止时间（2026-04-10）仅14日，不足15日，且未相应顺延"
        "投标截止时间（《招标投标法实施条例》第二十一条）"
    )
    assert finding.event_id == state.first("clarification").id
    assert [b.article for b in finding.legal_basis] == ["第二十一条", "第二十三条"]


def test_td06_fifteen_days_before_do_not_fire() -> None:
    """招标投标法实施条例 第二十一条: exactly 15 days are enough."""
    assert check_td06(clarified("2026-03-26"), TD06) == []


def test_td06_prequalification_three_days() -> None:
    """招标投标法实施条例 第二十一条: before the prequalification deadline, 3 days (2 fire)."""
    assert len(check_td06(clarified("2026-03-18", prequal=True), TD06)) == 1
    assert check_td06(clarified("2026-03-17", prequal=True), TD06) == []
    [finding] = check_td06(clarified("2026-03-18", prequal=True), TD06)
    assert "资格预审申请文件截止时间（2026-03-20）仅2日，不足3日" in finding.explanation


def test_td06_not_material_or_after_the_deadline_or_moved_deadline() -> None:
    """招标投标法实施条例 第二十一条 applies to notices that may affect the bids, before the
    deadline; a deadline moved to 15 days after the notice is lawful."""
    assert check_td06(clarified("2026-04-01", material=False), TD06) == []
    assert check_td06(clarified("2026-04-01", material="false"), TD06) == []
    after = make_state(ev("bid_deadline", "2026-04-10 09:30"), ev("amendment", "2026-04-11"))
    assert check_td06(after, TD06) == []
    moved = make_state(
        ev("bid_deadline", "2026-04-10 09:30"),
        ev("amendment", "2026-04-01"),
        ev("bid_deadline", "2026-04-16 09:30"),
    )
    assert check_td06(moved, TD06) == []


# -- TD-02, TD-03 -----------------------------------------------------------------------------


def test_td02_sale_of_four_days_fires_five_do_not() -> None:
    """招标投标法实施条例 第十六条: documents on sale for at least 5 days."""
    short = make_state(
        ev("tender_documents_issued", "2026-03-02"), ev("tender_documents_sale_end", "2026-03-06")
    )
    [finding] = check_td02(short, {"min_days": 5})
    assert "发售期自2026-03-02至2026-03-06，仅4日，少于5日" in finding.explanation
    enough = make_state(
        ev("tender_documents_issued", "2026-03-02"), ev("tender_documents_sale_end", "2026-03-07")
    )
    assert check_td02(enough, {"min_days": 5}) == []


def test_td03_application_window() -> None:
    """招标投标法实施条例 第十七条 (with 第十六条): 5 days from the end of the sale to the
    application deadline; without a reported end of sale, 10 days from the first issue."""
    params = registry.RULES["TD-03"].defaults()
    known = make_state(
        ev("prequalification_issued", "2026-03-02", sale_end="2026-03-07"),
        ev("prequalification_deadline", "2026-03-11 17:00"),
    )
    [finding] = check_td03(known, params)
    assert "仅4日，少于5日" in finding.explanation
    ok = make_state(
        ev("prequalification_issued", "2026-03-02", sale_end="2026-03-07"),
        ev("prequalification_deadline", "2026-03-12 17:00"),
    )
    assert check_td03(ok, params) == []
    unknown = make_state(
        ev("prequalification_issued", "2026-03-02"),
        ev("prequalification_deadline", "2026-03-11 17:00"),
    )
    assert "至少需要10日" in check_td03(unknown, params)[0].explanation
    unknown_ok = make_state(
        ev("prequalification_issued", "2026-03-02"),
        ev("prequalification_deadline", "2026-03-12 17:00"),
    )
    assert check_td03(unknown_ok, params) == []


# -- TD-07 ------------------------------------------------------------------------------------


def objection(raised: str, replied: str | None, *extra, deadline: str = "2026-10-30 09:30"):
    events = [ev("tender_documents_issued", "2026-09-01"), ev("bid_deadline", deadline)]
    events.append(ev("objection", raised, ext="OBJ-1", stage="tender_documents"))
    if replied:
        events.append(ev("objection_reply", replied, objection="OBJ-1"))
    return make_state(*events, *extra)


def test_td07_answer_on_the_third_day_is_in_time_the_fourth_is_late() -> None:
    """招标投标法实施条例 第二十二条: the tenderer answers within 3 days of the objection."""
    assert check_td07(objection("2026-03-02", "2026-03-05", deadline="2026-03-30"), TD07) == []
    [finding] = check_td07(objection("2026-03-02", "2026-03-06", deadline="2026-03-30"), TD07)
    assert finding.explanation == (
        "2026-03-02提出的异议：2026-03-06才答复，已超过3日期限（至2026-03-05止）"
        "（《招标投标法实施条例》第二十二条）"
    )


def test_td07_the_answer_period_rolls_past_national_day() -> None:
    """招标投标法实施条例 第二十二条 with 民法典 第二百零三条: 3 days from Monday 2026-09-28 end
    on 10-01, a holiday, so an answer on 10-08 is in time and one on 10-09 is late."""
    assert check_td07(objection("2026-09-28", "2026-10-08"), TD07) == []
    [finding] = check_td07(objection("2026-09-28", "2026-10-09"), TD07)
    assert (
        "期满日2026-10-01为法定休假日，依《民法典》第二百零三条顺延至2026-10-08"
        in finding.explanation
    )
    assert any(b.law == "《民法典》" for b in finding.legal_basis)


def test_td07_an_adjusted_saturday_does_not_roll() -> None:
    """招标投标法实施条例 第二十二条 with 民法典 第二百零三条: 3 days from 2026-10-07 end on
    Saturday 10-10, an adjusted workday: an answer on Sunday 10-11 is late."""
    assert len(check_td07(objection("2026-10-07", "2026-10-11", deadline="2026-10-30"), TD07)) == 1
    assert check_td07(objection("2026-10-07", "2026-10-10", deadline="2026-10-30"), TD07) == []


def test_td07_late_objections_need_no_answer() -> None:
    """招标投标法实施条例 第二十二条: an objection to the tender documents is raised 10 days
    before the bid deadline; one raised 9 days before is out of time."""
    assert check_td07(objection("2026-03-21", "2026-03-30", deadline="2026-03-30"), TD07) == []
    assert len(check_td07(objection("2026-03-20", "2026-03-30", deadline="2026-03-30"), TD07)) == 1


def test_td07_the_procedure_pauses_until_the_answer() -> None:
    """招标投标法实施条例 第二十二条: before the answer the tendering activity pauses — bids
    opened before the answer fire."""
    state = make_state(
        ev("bid_deadline", "2026-03-20 09:30"),
        ev("objection", "2026-03-05", ext="OBJ-1"),
        ev("opening", "2026-03-20 09:30"),
        ev("objection_reply", "2026-03-21", objection="OBJ-1"),
    )
    [finding] = check_td07(state, TD07)
    assert "答复前未暂停招标投标活动：开标于2026-03-20" in finding.explanation


def test_td07s_unanswered_after_the_period() -> None:
    """招标投标法实施条例 第二十二条, the sweeper: no answer by the day after the 3 days."""
    base = objection("2026-03-02", None, deadline="2026-03-30")
    assert check_td07s(base.with_(today=dt.date(2026, 3, 5)), TD07) == []
    [finding] = check_td07s(base.with_(today=dt.date(2026, 3, 6)), TD07)
    assert finding.rule_id == "TD-07s"
    assert "截至2026-03-06仍未答复" in finding.explanation
    assert check_td07s(base, TD07) == []  # without the sweeper's date, nothing


# -- TD-09, TD-09b ----------------------------------------------------------------------------


def secured(security: str, estimate: str = "5000000", category: str = "works"):
    return make_state(
        ev("tender_documents_issued", "2026-03-02"),
        lots=[lot(1, estimate=estimate, security=security)],
        category=category,
    )


def test_td09_two_percent_is_the_cap() -> None:
    """招标投标法实施条例 第二十六条: at most 2% of the estimate (100,000 of 5,000,000)."""
    assert check_td09(secured("100000"), {"max_percent": Decimal("2")}) == []
    [finding] = check_td09(secured("100001"), {"max_percent": Decimal("2")})
    assert finding.explanation == (
        "投标保证金100,001.00元，为估算价5,000,000.00元的2.00%，超过2%"
        "（《招标投标法实施条例》第二十六条）"
    )
    assert finding.lot_id == 1 and finding.key == "lot:L1"


def test_td09_the_cap_is_taken_to_the_whole_yuan() -> None:
    """招标投标法实施条例 第二十六条: 2% of 5,000,012.40 is 100,000.248, so 100,000 is lawful."""
    assert check_td09(secured("100000", "5000012.40"), {"max_percent": Decimal("2")}) == []


def test_td09b_works_cap_of_800000() -> None:
    """工程建设项目施工招标投标办法 第三十七条 (U, configurable): works bid security ≤ 800,000."""
    params = {"max_amount": Decimal("800000")}
    assert check_td09b(secured("800000", "50000000"), params) == []
    [finding] = check_td09b(secured("800001", "50000000"), params)
    assert "超过800,000.00元的上限" in finding.explanation
    spec = registry.RULES["TD-09b"]
    assert not spec.applies(secured("900000", "50000000", category="goods"))
    assert spec.certainty == "U"
