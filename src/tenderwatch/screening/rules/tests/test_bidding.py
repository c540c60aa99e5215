"""Opening and the committee: BO-01, BO-02, EV-01, on both sides of each boundary."""

from __future__ import annotations

import dataclasses

import pytest

from tenderwatch.screening.rules import registry
from tenderwatch.screening.rules.bidding import check_bo01, check_bo02, check_ev01, parse_share
from tenderwatch.screening.rules.state import OpeningState
from tenderwatch.screening.rules.testing import at, bids, committee, ev, make_state

BO01 = registry.RULES["BO-01"].defaults()
EV01 = registry.RULES["EV-01"].defaults()


def opened(n_bids: int, *, record: bool = True, **kwargs):
    events = [ev("bid_deadline", "2026-03-25 09:30"), ev("opening", "2026-03-25 09:30", lot=1)]
    openings = [OpeningState(1, at("2026-03-25 09:30"), n_bids)] if record else []
    return make_state(*events, bids=bids(1, n_bids), openings=openings, **kwargs)


def test_bo01_two_bids_opened_fire_three_do_not() -> None:
    """招标投标法实施条例 第四十四条: with fewer than 3 bidders the bids are not opened."""
    [finding] = check_bo01(opened(2), BO01)
    assert finding.explanation == (
        "本标段仅收到2份投标文件，少于3个，仍于2026-03-25 09:30开标，未依法重新招标"
        "（《招标投标法实施条例》第四十四条）"
    )
    assert finding.entity_ids == (1001, 1002)
    assert {f.ref for f in finding.facts if f.label == "投标人"} == {"bid:101", "bid:102"}
    assert check_bo01(opened(3), BO01) == []


def test_bo01_counts_bids_when_the_record_has_no_number_and_skips_withdrawn() -> None:
    """招标投标法实施条例 第四十四条: the bids received, without the withdrawn ones (第三十五条)."""
    state = opened(3, record=False)
    withdrawn = dataclasses.replace(state.bids[2], status="withdrawn")
    state = state.with_(bids=(*state.bids[:2], withdrawn))
    assert len(check_bo01(state, BO01)) == 1


def test_bo01_not_opened_does_not_fire() -> None:
    """招标投标法实施条例 第四十四条 forbids the opening: before it, nothing to report."""
    state = make_state(ev("bid_deadline", "2026-03-25 09:30"), bids=bids(1, 2))
    assert check_bo01(state, BO01) == []


def test_bo02_opening_at_the_deadline() -> None:
    """招标投标法 第三十四条: the opening takes place at the bid deadline (to the minute)."""
    on_time = make_state(
        ev("bid_deadline", "2026-03-25 09:30"),
        openings=[OpeningState(1, at("2026-03-25 09:30"), 4)],
    )
    assert check_bo02(on_time, {"tolerance_minutes": 0}) == []
    late = make_state(
        ev("bid_deadline", "2026-03-25 09:30"),
        openings=[OpeningState(1, at("2026-03-25 09:31"), 4)],
    )
    [finding] = check_bo02(late, {"tolerance_minutes": 0})
    assert "开标时间为2026-03-25 09:31，晚于投标截止时间2026-03-25 09:30共1分钟" in (
        finding.explanation
    )
    assert check_bo02(late, {"tolerance_minutes": 1}) == []
    early = make_state(
        ev("bid_deadline", "2026-03-25 09:30"),
        ev("opening", "2026-03-25 09:00", lot=1),
    )
    [finding] = check_bo02(early, {"tolerance_minutes": 0})
    assert "早于投标截止时间" in finding.explanation and finding.severity == "high"


@pytest.mark.parametrize(
    ("experts", "representatives", "fires", "words"),
    [
        (4, 1, False, ""),
        (5, 2, False, ""),  # 5 of 7 ≥ two thirds
        (3, 1, True, "共4人，少于5人"),
        (5, 1, True, "6人不是单数"),
        (4, 3, True, "技术、经济等方面的专家仅4人，不足成员总数7人的三分之二"),
    ],
)
def test_ev01_size_oddness_and_expert_share(
    experts: int, representatives: int, fires: bool, words: str
) -> None:
    """招标投标法 第三十七条: 5 or more members, odd, experts at least two thirds."""
    state = make_state(
        ev("evaluation_start", "2026-03-25 10:00", lot=1),
        committees={1: committee(experts, representatives)},
    )
    findings = check_ev01(state, EV01)
    assert bool(findings) is fires
    if fires:
        assert words in findings[0].explanation
        assert findings[0].event_id == state.first("evaluation_start").id


def test_ev01_share_parameter() -> None:
    """招标投标法 第三十七条: the share is a fraction the office may tighten (3/4)."""
    state = make_state(committees={1: committee(5, 2)})
    assert check_ev01(state, {"min_members": 5, "expert_share": "3/4"})
    assert parse_share("2/3") == parse_share("4/6")
    with pytest.raises(ValueError, match="2/3"):
        parse_share("两成")
    assert not registry.RULES["EV-01"].applies(make_state(must_tender=False))
