"""Award and contract: AW-01, AW-02, AW-06, AW-06c, AW-08, AW-09 and the sweeper's variants,
on both sides of each boundary, with National Day 2026 and its adjusted Saturday."""

from __future__ import annotations

import datetime as dt

from tenderwatch.screening.rules import registry
from tenderwatch.screening.rules.award import (
    check_aw01,
    check_aw01s,
    check_aw02,
    check_aw02s,
    check_aw06,
    check_aw06c,
    check_aw06s,
    check_aw08,
    check_aw09,
    check_aw09s,
)
from tenderwatch.screening.rules.testing import award, contract, ev, make_state

AW01 = registry.RULES["AW-01"].defaults()
AW02 = registry.RULES["AW-02"].defaults()
AW06 = registry.RULES["AW-06"].defaults()
AW09 = registry.RULES["AW-09"].defaults()


# -- AW-01 ------------------------------------------------------------------------------------


def publicity(report: str, start: str | None, end: str | None = None, *extra, **kwargs):
    events = [ev("evaluation_report", f"{report} 16:00", lot=1)]
    if start:
        events.append(ev("candidate_publicity_start", start, lot=1))
    if end:
        events.append(ev("candidate_publicity_end", f"{end} 17:30", lot=1))
    return make_state(*events, *extra, **kwargs)


def test_aw01_start_within_three_days_of_the_report() -> None:
    """招标投标法实施条例 第五十四条: published within 3 days of the report (03-10 → 03-13)."""
    assert check_aw01(publicity("2026-03-10", "2026-03-13", "2026-03-16"), AW01) == []
    [finding] = check_aw01(publicity("2026-03-10", "2026-03-14", "2026-03-17"), AW01)
    assert finding.explanation == (
        "中标候选人于2026-03-14公示，超过自收到评标报告（2026-03-10）起3日期限（至2026-03-13止）"
        "（《招标投标法实施条例》第五十四条）"
    )
    assert finding.key == "lot:L1:start"


def test_aw01_the_start_limit_rolls_past_national_day() -> None:
    """招标投标法实施条例 第五十四条 with 民法典 第二百零三条: 3 days from Monday 2026-09-28 end
    on 10-01 (holiday), rolled to 10-08."""
    assert check_aw01(publicity("2026-09-28", "2026-10-08", "2026-10-11"), AW01) == []
    assert len(check_aw01(publicity("2026-09-28", "2026-10-09", "2026-10-12"), AW01)) == 1


def test_aw01_publicity_of_two_days_fires_three_do_not() -> None:
    """招标投标法实施条例 第五十四条: the publicity lasts at least 3 days (counted, not rolled)."""
    [finding] = check_aw01(publicity("2026-03-10", "2026-03-11", "2026-03-13"), AW01)
    assert "公示期自2026-03-11至2026-03-13，仅2日，少于3日" in finding.explanation
    assert finding.key == "lot:L1:length"
    assert check_aw01(publicity("2026-03-10", "2026-03-11", "2026-03-14"), AW01) == []


def test_aw01_award_without_publicity() -> None:
    """招标投标法实施条例 第五十四条: no award notice before the candidates are published."""
    state = publicity("2026-03-10", None, None, ev("award_notice", "2026-03-12", lot=1))
    [finding] = check_aw01(state, AW01)
    assert "未公示中标候选人" in finding.explanation


def test_aw01s_the_sweeper_after_three_days() -> None:
    """招标投标法实施条例 第五十四条, the sweeper: not published by the day after the limit."""
    state = publicity("2026-03-10", None)
    assert check_aw01s(state.with_(today=dt.date(2026, 3, 13)), AW01) == []
    [finding] = check_aw01s(state.with_(today=dt.date(2026, 3, 14)), AW01)
    assert finding.rule_id == "AW-01s" and finding.event_id == state.first("evaluation_report").id


def test_aw02_objection_to_the_result() -> None:
    """招标投标法实施条例 第五十四条第二款: answered within 3 days; no award before the answer."""
    base = [
        ev("candidate_publicity_start", "2026-03-09", lot=1),
        ev("objection", "2026-03-10", lot=1, ext="OBJ-R"),
        ev("candidate_publicity_end", "2026-03-12 17:30", lot=1),
    ]
    in_time = make_state(*base, ev("objection_reply", "2026-03-13", objection="OBJ-R"))
    assert check_aw02(in_time, AW02) == []
    late = make_state(*base, ev("objection_reply", "2026-03-14", objection="OBJ-R"))
    assert len(check_aw02(late, AW02)) == 1
    awarded = make_state(
        *base,
        ev("award_notice", "2026-03-13 09:00", lot=1),
        ev("objection_reply", "2026-03-13 10:00", objection="OBJ-R"),
    )
    [finding] = check_aw02(awarded, AW02)
    assert "答复前未暂停招标投标活动：发出中标通知书于2026-03-13" in finding.explanation
    waiting = make_state(*base, today="2026-03-14")
    assert [f.rule_id for f in check_aw02s(waiting, AW02)] == ["AW-02s"]


# -- AW-06 ------------------------------------------------------------------------------------


def contracted(awarded: str, signed: str | None, **kwargs):
    events = [ev("award_notice", awarded, lot=1)]
    if signed:
        events.append(ev("contract_signed", signed, lot=1))
    return make_state(
        *events,
        awards=[award(1, awarded)],
        contracts=[contract(1, signed)] if signed else [],
        **kwargs,
    )


def test_aw06_thirty_days_is_in_time_thirty_one_is_late() -> None:
    """招标投标法 第四十六条: the contract within 30 days of the award notice (03-02 → 04-01)."""
    assert check_aw06(contracted("2026-03-02", "2026-04-01"), AW06) == []
    [finding] = check_aw06(contracted("2026-03-02", "2026-04-02"), AW06)
    assert finding.explanation == (
        "中标通知书于2026-03-02发出，合同于2026-04-02才订立，相隔31日，超过30日期限"
        "（至2026-04-01止）（《招标投标法》第四十六条）"
    )
    assert finding.facts[2].ref == "contract:1"
    assert finding.entity_ids == (1001,)


def test_aw06_the_limit_rolls_past_national_day() -> None:
    """招标投标法 第四十六条 with 民法典 第二百零三条: 30 days from 2026-09-01 end on 10-01, a
    holiday, so a contract on 10-08 is in time, on 10-09 late; without roll-forward (the
    office's parameter) 10-08 is late."""
    assert check_aw06(contracted("2026-09-01", "2026-10-08"), AW06) == []
    [finding] = check_aw06(contracted("2026-09-01", "2026-10-09"), AW06)
    assert "依《民法典》第二百零三条顺延至2026-10-08" in finding.explanation
    assert [b.law for b in finding.legal_basis] == ["《招标投标法》", "《民法典》"]
    strict = {**AW06, "roll_forward": False}
    assert len(check_aw06(contracted("2026-09-01", "2026-10-08"), strict)) == 1


def test_aw06_an_adjusted_saturday_ends_the_period() -> None:
    """招标投标法 第四十六条 with 民法典 第二百零三条: 30 days from 2026-09-10 end on Saturday
    10-10, a working day (调休上班日): a contract on Sunday 10-11 is late."""
    assert check_aw06(contracted("2026-09-10", "2026-10-10"), AW06) == []
    assert len(check_aw06(contracted("2026-09-10", "2026-10-11"), AW06)) == 1


def test_aw06s_no_contract_after_the_limit() -> None:
    """招标投标法 第四十六条, the sweeper on the right calendar: 30 days from 2026-09-01 roll to
    10-08; no contract on 10-08 is not yet late, on 10-09 it is; a suspended tender is not."""
    state = contracted("2026-09-01", None)
    assert check_aw06s(state.with_(today=dt.date(2026, 10, 8)), AW06) == []
    [finding] = check_aw06s(state.with_(today=dt.date(2026, 10, 9)), AW06)
    assert finding.rule_id == "AW-06s"
    assert "截至2026-10-09仍未订立书面合同" in finding.explanation
    assert registry.RULES["AW-06s"].timing == "sweep"
    suspended = state.with_(
        events=(*state.events, ev("suspension", "2026-09-20")), today=dt.date(2026, 10, 9)
    )
    assert check_aw06s(suspended, AW06) == []
    signed = contracted("2026-09-01", "2026-10-20").with_(today=dt.date(2026, 10, 25))
    assert check_aw06s(signed, AW06) == []


def test_aw06c_contract_terms() -> None:
    """招标投标法 第四十六条, 实施条例 第五十七条: the contract with the winner, for the award
    amount and the duration the tender documents fixed."""
    params = {"max_amount_difference_percent": 0}
    text = "3. 工期\n2.3 计划工期（服务期）：180日历天。\n"
    issued = ev("tender_documents_issued", "2026-02-01", sha="DOC")
    same = make_state(
        issued, awards=[award()], contracts=[contract(duration=180)], documents={"DOC": text}
    )
    assert check_aw06c(same, params) == []
    changed = make_state(
        issued,
        awards=[award(amount="4799000")],
        contracts=[contract(amount="4899000", duration=200, supplier_id=1002)],
        documents={"DOC": text},
    )
    [finding] = check_aw06c(changed, params)
    assert "合同相对人为投标人2，不是中标人投标人1" in finding.explanation
    assert "合同金额4,899,000.00元与中标金额4,799,000.00元相差2.08%" in finding.explanation
    assert "合同工期200日与招标文件确定的180日不一致" in finding.explanation
    assert (
        check_aw06c(
            make_state(awards=[award(amount="4799000")], contracts=[contract(amount="4800000")]),
            {"max_amount_difference_percent": 1},
        )
        == []
    )


def test_aw08_performance_security_cap() -> None:
    """招标投标法实施条例 第五十八条: at most 10% of the contract amount (to the whole yuan)."""
    params = {"max_percent": 10}
    ok = make_state(contracts=[contract(amount="4799000.40", performance_security="479900")])
    assert check_aw08(ok, params) == []
    over = make_state(contracts=[contract(amount="4799000", performance_security="479901")])
    [finding] = check_aw08(over, params)
    assert "履约保证金479,901.00元，为合同金额4,799,000.00元的10.00%，超过10%" in (
        finding.explanation
    )


# -- AW-09 ------------------------------------------------------------------------------------


def reported(awarded: str, report: str | None, **kwargs):
    events = [ev("award_notice", awarded, lot=1)]
    if report:
        events.append(ev("supervisor_report", report, lot=1))
    return make_state(*events, awards=[award(1, awarded)], **kwargs)


def test_aw09_fifteen_days_in_time_sixteen_late() -> None:
    """招标投标法 第四十七条: the written report within 15 days of the award (03-02 → 03-17)."""
    assert check_aw09(reported("2026-03-02", "2026-03-17"), AW09) == []
    [finding] = check_aw09(reported("2026-03-02", "2026-03-18"), AW09)
    assert finding.explanation.startswith(
        "中标人于2026-03-02确定，招标人于2026-03-18才向行政监督部门"
    )


def test_aw09_rolls_past_national_day_and_the_sweeper() -> None:
    """招标投标法 第四十七条 with 民法典 第二百零三条: 15 days from 2026-09-16 end on 10-01,
    rolled to 10-08; the sweeper fires from 10-09 when no report came."""
    assert check_aw09(reported("2026-09-16", "2026-10-08"), AW09) == []
    assert len(check_aw09(reported("2026-09-16", "2026-10-09"), AW09)) == 1
    waiting = reported("2026-09-16", None)
    assert check_aw09s(waiting.with_(today=dt.date(2026, 10, 8)), AW09) == []
    assert len(check_aw09s(waiting.with_(today=dt.date(2026, 10, 9)), AW09)) == 1
    assert not registry.RULES["AW-09"].applies(reported("2026-09-16", None, must_tender=False))
