"""The columnar path (Polars queries) against the reference (the per-project rule functions): on
a generated district and on hand-made states that reach the corners the generator never takes
(lot deadlines, prequalification, re-tendering, objections, suspensions, approvals, lot-less
projects), with default and changed parameters. The queries of `columnar.EXACT` must select
exactly the projects the reference fires on; the others a superset; and `run_columnar` must
return the very findings `run_rules` returns."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from tenderwatch.generator.model import Generator, Scale
from tenderwatch.generator.workcal import WorkCalendar
from tenderwatch.screening.rules import columnar, registry
from tenderwatch.screening.rules.generated import MODEL_DOCUMENTS, states_of
from tenderwatch.screening.rules.state import ApprovalState, OpeningState, run_rules
from tenderwatch.screening.rules.testing import (
    at,
    award,
    bids,
    builtin_table,
    committee,
    contract,
    ev,
    lot,
    make_state,
)
from tenderwatch.screening.rules.tests.test_documents import CLEAN, MODEL, WORKS_MODEL
from tenderwatch.screening.rules.tests.test_must import piece, split


def key(f: Any) -> tuple[Any, ...]:
    return (f.rule_id, f.project_id, f.lot_id, f.event_id, f.key, f.explanation, f.facts)


def agree(states: list[Any], params_by_rule: dict[str, dict[str, Any]]) -> None:
    c = columnar.build(states)
    for rule_id, params in params_by_rule.items():
        got = columnar.candidates(c, rule_id, params)
        want = columnar.fired_by_reference(states, rule_id, params)
        if rule_id in columnar.EXACT:
            assert got == want, (rule_id, sorted(got - want), sorted(want - got))
        else:
            assert got >= want, (rule_id, sorted(want - got))
    assert [key(f) for f in columnar.run_columnar(c, params_by_rule)] == [
        key(f) for f in run_rules(states, params_by_rule)
    ]


def defaults() -> dict[str, dict[str, Any]]:
    return {spec.id: spec.defaults() for spec in registry.all_rules()}


@pytest.fixture(scope="module")
def district() -> list[Any]:
    generator = Generator(
        scale=Scale.custom("district", 700),
        seed=23,
        calendar=WorkCalendar.from_builtin(),
        rate_scale=5.0,
    )
    projects = list(generator.projects())
    return states_of(
        generator,
        projects,
        calendar=builtin_table(),
        model_documents=MODEL_DOCUMENTS,
        today=dt.date(2026, 12, 24),
    )


def test_generated_district_agrees(district: list[Any]) -> None:
    """Every rule, both paths, a district with five times the violation rates."""
    fired = run_rules(district)
    assert len({f.rule_id for f in fired}) >= 12  # most rules are exercised
    agree(district, defaults())


def test_generated_district_agrees_with_other_parameters(district: list[Any]) -> None:
    """The office's parameters reach the queries: stricter periods, no roll-forward, other caps
    and thresholds, a tolerance."""
    params = defaults()
    params["TD-05"] = {"min_days": 25}
    params["TD-06"] = {"min_days": 18, "min_days_prequalification": 5}
    params["TD-09"] = {"max_percent": Decimal("1.5")}
    params["TD-09b"] = {"max_amount": Decimal("500000")}
    params["BO-01"] = {"min_bidders": 5}
    params["BO-02"] = {"tolerance_minutes": 1}
    params["EV-01"] = {"min_members": 7, "expert_share": "3/4"}
    params["AW-01"] = {"start_within_days": 1, "min_days": 5, "roll_forward": False}
    params["AW-06"] = {"max_days": 20, "roll_forward": False}
    params["AW-06c"] = {"max_amount_difference_percent": Decimal("0.5")}
    params["AW-08"] = {"max_percent": Decimal("5")}
    params["AW-09"] = {"max_days": 10, "roll_forward": True}
    params["MUST-02"] = {"threshold": Decimal("3000000")}
    params["MUST-05"] = {
        **registry.RULES["MUST-05"].defaults(),
        "window_days": 30,
        "works_threshold": Decimal("5000000"),
    }
    params["TD-14.2"] = {"table": "施工总承包 | 5000000 | 三级\n施工总承包 | | 二级"}
    agree(district, params)


def corners() -> list[Any]:
    """Hand-made states at the corners of the queries' joins."""
    states: list[Any] = []

    def add(*events: Any, **kwargs: Any) -> None:
        states.append(make_state(*events, project_id=len(states) + 1, **kwargs))

    two = [lot(1), lot(2, estimate="3000000", security="70000")]
    # Deadlines: lot-level with its own documents, shared, moved, before the documents.
    add(
        ev("tender_documents_issued", "2026-03-02", lot=2),
        ev("announcement", "2026-03-01"),
        ev("bid_deadline", "2026-03-25", lot=1),
        ev("bid_deadline", "2026-03-18", lot=2),
        lots=two,
    )
    add(ev("announcement", "2026-03-02"), ev("bid_deadline", "2026-03-15"), lots=two)
    add(
        ev("tender_documents_issued", "2026-03-02"),
        ev("bid_deadline", "2026-03-10"),
        ev("bid_deadline", "2026-03-30"),
        ev("bid_deadline", "2026-03-12", lot=2),
        lots=two,
    )
    add(ev("tender_documents_issued", "2026-03-20"), ev("bid_deadline", "2026-03-10"))
    # A lot-less project, and one without events.
    add(ev("tender_documents_issued", "2026-03-02"), ev("bid_deadline", "2026-03-12"), lots=[])
    add()
    # Re-tendering: the earlier round does not count.
    add(
        ev("tender_documents_issued", "2026-03-02"),
        ev("bid_deadline", "2026-03-05"),
        ev("clarification", "2026-03-04"),
        ev("retender", "2026-03-06"),
        ev("tender_documents_issued", "2026-03-07"),
        ev("bid_deadline", "2026-04-10"),
        ev("amendment", "2026-04-01", material=False),
        ev("amendment", "2026-04-02", lot=1),
        ev("clarification", "2026-03-30", stage="tender_documents", lot=2),
        lots=two,
    )
    # Prequalification: sale end known and not, stage given and inferred.
    add(
        ev("prequalification_issued", "2026-03-02", sale_end="2026-03-05"),
        ev("clarification", "2026-03-09"),
        ev("clarification", "2026-03-09", stage="prequalification"),
        ev("prequalification_deadline", "2026-03-10 17:00"),
        ev("bid_deadline", "2026-04-30"),
    )
    add(
        ev("prequalification_issued", "2026-03-02"),
        ev("prequalification_deadline", "2026-03-09", lot=1),
        ev("clarification", "2026-03-08", lot=1),
        ev("bid_deadline", "2026-04-30"),
        ev("tender_documents_issued", "2026-04-01"),
        ev("tender_documents_sale_end", "2026-04-03"),
    )
    # Objections (the reference decides; the query selects).
    add(
        ev("bid_deadline", "2026-03-25"),
        ev("objection", "2026-03-05", ext="O1"),
        ev("opening", "2026-03-25", lot=1),
        ev("candidate_publicity_start", "2026-03-27", lot=1),
        ev("objection", "2026-03-28", lot=1, ext="O2"),
        ev("objection_reply", "2026-04-05", objection="O2"),
        today="2026-04-10",
    )
    # Opening: record, event, bids counted or reported, early and late.
    add(
        ev("bid_deadline", "2026-03-25 09:30"),
        ev("opening", "2026-03-25 09:00", lot=1, bids_received=2),
        ev("opening", "2026-03-25 10:00", lot=2),
        lots=two,
        bids=bids(2, 4),
    )
    add(
        ev("bid_deadline", "2026-03-25 09:30", lot=1),
        openings=[OpeningState(1, at("2026-03-25 09:31"), None)],
        bids=bids(1, 2),
    )
    # Committees.
    add(committees={1: committee(3, 1)})
    add(committees={1: committee(4, 3), 2: committee(4, 1)}, lots=two, must_tender=None)
    # Award and contract: records and events, suspension, termination, sweeps.
    add(
        ev("evaluation_report", "2026-09-28 16:00", lot=1),
        ev("candidate_publicity_start", "2026-10-09", lot=1),
        ev("candidate_publicity_end", "2026-10-10 17:00", lot=1),
        ev("award_notice", "2026-09-01", lot=1),
        ev("contract_signed", "2026-10-09", lot=1),
        ev("supervisor_report", "2026-10-09", lot=1),
        awards=[award(1, "2026-09-01")],
        contracts=[contract(1, "2026-10-09", supplier_id=1002, amount="4800000")],
        today="2026-12-01",
    )
    add(
        ev("evaluation_report", "2026-03-10 16:00", lot=1),
        ev("award_notice", "2026-03-12", lot=2),
        ev("suspension", "2026-03-20"),
        lots=two,
        today="2026-06-01",
    )
    add(
        ev("evaluation_report", "2026-03-10 16:00", lot=1),
        ev("award_notice", "2026-03-12", lot=1),
        ev("suspension", "2026-03-20"),
        ev("resumption", "2026-03-25"),
        today="2026-06-01",
    )
    add(
        ev("award_notice", "2026-03-12"),
        lots=two,
        awards=[award(2, None)],
        contracts=[contract(1, "2026-05-30", performance_security="480000")],
        today="2026-06-01",
        must_tender=False,
    )
    add(
        ev("tender_documents_issued", "2026-02-01", sha="D1", duration_days=200),
        awards=[award()],
        contracts=[contract(duration=180)],
        documents={"D1": "2.3 计划工期：180日历天。"},
    )
    # Must-tender, splits, approvals.
    add(method="direct", category="goods", amount="2000000")
    add(
        method="inquiry",
        amount="5000000",
        lots=[lot(1, estimate="3000000"), lot(2, estimate=None)],
        approved_method="direct",
    )
    states.append(split(piece(1, "1500000", "2026-04-01"), project_id=len(states) + 1))
    add(
        method="invited",
        organisation_form="self",
        approvals=[
            ApprovalState(3, "A-3", "x", True, "设计、监理", "open", "entrusted", None, None)
        ],
    )
    # Documents against a model, and qualification grades.
    add(
        ev("tender_documents_issued", "2026-03-02", sha="T1"),
        documents={"T1": CLEAN.replace("7.3 ", "7.4 ")},
        models=(WORKS_MODEL,),
    )
    add(
        ev("tender_documents_issued", "2026-03-02", sha="T2"),
        documents={"T2": CLEAN},
        models=(WORKS_MODEL,),
        lots=[
            lot(1, estimate="9000000", requirements=[{"type": "施工总承包", "grade": "二级"}]),
            lot(2, estimate=None, requirements=[{"type": "监理", "grade": "甲级"}]),
        ],
    )
    assert MODEL  # the model the documents are compared with
    return states


def test_hand_made_corners_agree() -> None:
    """Every rule, both paths, on the corners of the joins (see `corners`)."""
    states = corners()
    assert len({s.project_id for s in states}) == len(states)
    fired = run_rules(states)
    assert len({f.rule_id for f in fired}) >= 15
    agree(states, defaults())
    strict = defaults()
    for rule_id in ("AW-01", "AW-01s", "AW-06", "AW-06s", "AW-09", "AW-09s", "TD-07", "TD-07s"):
        strict[rule_id] = {**strict[rule_id], "roll_forward": False}
    agree(states, strict)
