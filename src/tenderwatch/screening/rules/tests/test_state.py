"""Loading states from the ledger (SQLite and PostgreSQL): a fixed number of queries, the newest
version of each event, documents' text, approvals and siblings; and the rules over them."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenderwatch.core.timeutil import CHINA
from tenderwatch.ledger import services as ledger_services
from tenderwatch.ledger import testing
from tenderwatch.ledger.models import ApprovedProject, EventKind, ProcedureEvent
from tenderwatch.screening import catalogue
from tenderwatch.screening.rules import must, registry
from tenderwatch.screening.rules.state import load_states, run_rules

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed() -> Any:
    system, _token = ledger_services.feed_system_add(code="test", name="测试交易平台", actor=None)
    return system


def record(feed: Any, project: Any, **payload: Any) -> Any:
    payload.setdefault("version", 1)
    return ledger_services.event_record(
        source="test", project=project, payload=payload, actor=None, system=feed
    ).obj


def project(seed: int, **kwargs: Any) -> Any:
    kwargs.setdefault("registered_at", dt.datetime(2026, 3, 2, 9, 30, tzinfo=CHINA))
    return testing.build_project(seed=seed, lots=kwargs.pop("lots", 1), **kwargs)


def test_a_batch_loads_in_a_fixed_number_of_queries() -> None:
    """REQ-05 at scale: one project or six cost the same queries (no query per project)."""
    one = [project(1).pk]
    six = [project(n).pk for n in range(2, 8)]
    load_states(one)  # the calendar cache is warm from here on
    with CaptureQueriesContext(connection) as few:
        load_states(one)
    with CaptureQueriesContext(connection) as many:
        states = load_states(six)
    assert len(many.captured_queries) == len(few.captured_queries) <= 16
    assert [s.project_id for s in states] == six


def test_the_state_holds_the_whole_procedure() -> None:
    """The snapshot a rule reads: lots, bids, opening, committee, award, contract, timeline."""
    p = project(11, lots=2)
    [state] = load_states([p.pk], today=dt.date(2026, 6, 1))
    assert state.project.code == p.code and state.project.must_tender is True
    assert state.project.state_funded is True
    assert len(state.lots) == 2 and state.today == dt.date(2026, 6, 1)
    lot = state.lots[0]
    assert len(state.bids_of(lot.id)) >= 3
    assert state.openings[lot.id].bids_received == len(state.bids_of(lot.id))
    members = state.committees[lot.id]
    assert len(members) == 5 and sum(m.is_expert for m in members) == 4
    assert state.awards[lot.id].bidder_id == state.contracts[lot.id].supplier_id
    kinds = [e.kind for e in state.events]
    assert kinds[0] == EventKind.REGISTRATION and EventKind.CONTRACT_SIGNED in kinds
    assert state.calendar is not None and state.calendar.covers(dt.date(2026, 6, 1))


@pytest.mark.parametrize(
    ("seed", "industry", "amount", "registered"),
    [
        (21, "housing", "4500000", "2026-03-02"),
        (22, "transport", "12000000", "2026-09-14"),  # the award falls around National Day
        (23, "water", "50000000", "2025-12-01"),  # over the New Year
        (24, "agriculture", "3000000", "2026-04-20"),  # below the threshold
    ],
)
def test_clean_ledger_projects_raise_nothing(
    seed: int, industry: str, amount: str, registered: str
) -> None:
    """Every rule, event and sweep, on lawful procedures built by `ledger.testing` (whose
    periods respect 招标投标法 and 实施条例), fires nothing. (Amounts whose 2% is a whole
    thousand: the builder rounds the bid security half up to a thousand.)"""
    day = dt.date.fromisoformat(registered)
    p = project(
        seed,
        industry=industry,
        estimated_amount=Decimal(amount),
        registered_at=dt.datetime(day.year, day.month, day.day, 9, 30, tzinfo=CHINA),
    )
    states = load_states([p.pk], today=day + dt.timedelta(days=200))
    findings = run_rules(states)
    assert [(f.rule_id, f.explanation) for f in findings] == []


def test_a_late_clarification_from_the_feed_is_found_on_its_step(feed: Any) -> None:
    """招标投标法实施条例 第二十一条: a clarification pushed 10 days before the deadline fires on
    that clarification (the warning shows under it on the timeline)."""
    p = project(31)
    deadline = p.events.get(kind=EventKind.BID_DEADLINE)
    event = record(
        feed,
        p,
        external_id=f"{p.code}-C9",
        kind="clarification",
        occurred_at=(deadline.occurred_at - dt.timedelta(days=10)).isoformat(),
    )
    [state] = load_states([p.pk])
    findings = run_rules([state], {"TD-06": {}})
    [finding] = findings
    assert finding.event_id == event.pk and finding.project_id == p.pk
    assert "仅10日，不足15日" in finding.explanation
    assert finding.key == f"notice:{p.code}-C9:{deadline.external_id}"
    # As the engine calls it: only the rules named, today passed through.
    params = {r.id: r.params for r in catalogue.rules_in_force(timing="event")}
    again = catalogue.run_rules(catalogue.load_states([p.pk]), params, today=None)
    assert [f.fingerprint for f in again if f.rule_id == "TD-06"] == [finding.fingerprint]


def test_the_newest_version_of_an_event_counts() -> None:
    """招标投标法 第二十四条 on a corrected deadline: the newest version moves the deadline to 15
    days after the documents, and the rule fires on that version."""
    p = project(41)
    issued = p.events.get(kind=EventKind.TENDER_DOCUMENTS_ISSUED)
    deadline = p.events.get(kind=EventKind.BID_DEADLINE)
    newer = testing.add_event_version(
        deadline, occurred_at=issued.occurred_at + dt.timedelta(days=15)
    )
    [state] = load_states([p.pk])
    assert [e.id for e in state.of_kind("bid_deadline")] == [newer.pk]
    [finding] = run_rules([state], {"TD-05": {}})
    assert finding.event_id == newer.pk and "仅15日" in finding.explanation


def test_tender_documents_text_is_loaded_for_the_rules(feed: Any) -> None:
    """The text of plain-text tender documents reaches the state (for AW-06c's duration and
    TD-01's comparison); other media are not read."""
    p = project(51)
    text = "2.3 计划工期：90日历天。\n"
    content = text.encode()
    event = record(
        feed,
        p,
        external_id=f"{p.code}-D2",
        kind="tender_documents_issued",
        occurred_at=dt.datetime(2026, 3, 3, 9, 0, tzinfo=CHINA).isoformat(),
        document={
            "sha256": hashlib.sha256(content).hexdigest(),
            "content_base64": base64.b64encode(content).decode(),
            "title": "招标文件",
            "kind": "tender_documents",
            "media_type": "text/plain",
        },
    )
    [state] = load_states([p.pk])
    issued = next(e for e in state.events if e.id == event.pk)
    assert state.text_of(issued) == text


def test_approvals_and_siblings_reach_the_rules() -> None:
    """招标投标法实施条例 第七条 and 必须招标的工程项目规定 第五条第二款 against the database:
    the approved list's row matched to a project, and the same tenderer's other pieces."""
    first = project(
        61,
        name="黄州区赤壁路改造工程（一期）",
        estimated_amount=Decimal("3000000"),
        procurement_method="inquiry",
    )
    second = project(
        62,
        name="黄州区赤壁路改造工程（二期）",
        estimated_amount=Decimal("2000000"),
        procurement_method="inquiry",
        tenderer=first.tenderer,
        registered_at=dt.datetime(2026, 3, 20, 9, 0, tzinfo=CHINA),
    )
    ApprovedProject.objects.create(
        approval_no="黄发改审批〔2026〕3号",
        approval_type="examined",
        name=first.name,
        owner_name=first.tenderer.name,
        approved_method="open",
        approved_form="entrusted",
        approved_scope="施工",
        must_tender=True,
        matched_project=first,
    )
    states = load_states([first.pk, second.pk])
    assert [s.approvals[0].approval_no for s in states[:1]] == ["黄发改审批〔2026〕3号"]
    assert [s.id for s in states[0].siblings] == [second.pk]
    findings = run_rules(states, {"MUST-05": {}, "MUST-09": {}})
    assert sorted((f.rule_id, f.project_id) for f in findings) == [
        ("MUST-05", first.pk),
        ("MUST-05", second.pk),
        ("MUST-09", first.pk),
    ]


def test_approved_projects_not_entered(feed: Any) -> None:
    """招标投标法 第三条 (应进必进): the approved list's must-tender rows with no project, read in
    one query, fire after the grace period."""
    ApprovedProject.objects.create(
        approval_no="黄发改审批〔2026〕9号",
        approval_type="examined",
        name="黄州区某泵站更新改造工程",
        owner_name="黄冈市黄州区水利和湖泊局",
        approved_method="open",
        must_tender=True,
        must_tender_reason="施工单项合同估算价达到400万元",
        approved_on=dt.date(2026, 1, 5),
        amount=Decimal("8000000"),
    )
    rows = must.load_not_entered()
    assert [r.approval_no for r in rows] == ["黄发改审批〔2026〕9号"]
    params = registry.RULES["MUST-10"].defaults()
    assert must.check_not_entered(rows, params, today=dt.date(2026, 4, 5)) == []
    [finding] = must.check_not_entered(rows, params, today=dt.date(2026, 4, 6))
    assert "仍未进入公共资源交易平台" in finding.explanation


def test_a_rule_that_fails_on_one_project_does_not_stop_the_batch(monkeypatch: Any) -> None:
    """Partial projects must not stop the engine: an exception is logged and skipped."""
    p = project(71)
    states = load_states([p.pk])

    def broken(state: Any, params: Any) -> list[Any]:
        raise RuntimeError("boom")

    spec = dataclasses.replace(registry.RULES["BO-01"], check=broken)
    monkeypatch.setitem(registry.RULES, "BO-01", spec)
    assert run_rules(states, {"BO-01": {}}) == []


def test_partial_projects_do_not_raise() -> None:
    """A project registered only (no lots' outcome yet), or with no events at all."""
    bare = project(81, stage="registered")
    ProcedureEvent.objects.filter(project=bare).delete()
    bidding = project(82, stage="bidding")
    states = load_states([bare.pk, bidding.pk], today=dt.date(2026, 12, 1))
    assert run_rules(states) == []


def test_model_documents_from_the_office_reach_td01(feed: Any) -> None:
    """招标投标法实施条例 第十五条第三款 against the database: the office's model document
    (`screening.ModelDocument`, in use) and the project's plain-text tender documents are loaded,
    and a clause added to the model's text is found."""
    from django.contrib.auth import get_user_model

    from tenderwatch.screening.models import ModelDocument

    clerk = get_user_model().objects.create_user(username="model_clerk", password="x")
    ModelDocument.objects.create(
        title="工程施工招标文件示范文本",
        text="1. 招标条件：本项目{项目名称}已具备招标条件。\n2.1 建设地点：{地点}。\n",
        category="works",
        methods="open,invited",
        version=1,
        sha256="0" * 64,
        uploaded_by=clerk,
        uploaded_at=dt.datetime(2026, 3, 1, 9, 0, tzinfo=CHINA),
    )
    ModelDocument.objects.create(
        title="停用的示范文本",
        text="1. 其他\n",
        version=1,
        active=False,
        sha256="1" * 64,
        uploaded_by=clerk,
        uploaded_at=dt.datetime(2026, 3, 1, 9, 0, tzinfo=CHINA),
    )
    p = project(91)
    text = (
        "1. 招标条件：本项目赤壁路改造已具备招标条件。\n"
        "2.1 建设地点：城区。\n"
        "3.5 投标人须在本区注册。\n"
    )
    content = text.encode()
    record(
        feed,
        p,
        external_id=f"{p.code}-D3",
        kind="tender_documents_issued",
        occurred_at=dt.datetime(2026, 3, 2, 10, 0, tzinfo=CHINA).isoformat(),
        document={
            "sha256": hashlib.sha256(content).hexdigest(),
            "content_base64": base64.b64encode(content).decode(),
            "title": "招标文件",
            "kind": "tender_documents",
            "media_type": "text/plain",
        },
    )
    [state] = load_states([p.pk])
    assert [m.title for m in state.model_documents] == ["工程施工招标文件示范文本"]
    assert state.model_documents[0].methods == ("open", "invited")
    [finding] = run_rules([state], {"TD-01": {}})
    assert [c["number"] for c in finding.data["changes"]] == ["3.5"]
    assert "第3.5条为新增" in finding.explanation
