"""Helpers for the warnings tests: findings by hand, and a small rule set installed in place of
the statutory catalogue (to test the plumbing independently of the rules themselves).

    install_rules(monkeypatch, late_clarification_rule())

replaces the catalogue (`catalogue.specs`), the state loader and the rule runner for the test:
each state is the project row, and each rule's `check(state, params)` is called where its
`applies(state)` holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tenderwatch.ledger.models import EventKind, Project
from tenderwatch.ledger.services import current_events
from tenderwatch.screening import catalogue
from tenderwatch.screening.findings import Fact, Finding, LegalBasis, Severity

ART_24 = LegalBasis("《招标投标法》", "第二十四条")
ART_21 = LegalBasis("《招标投标法实施条例》", "第二十一条")


def finding(
    project: Project,
    *,
    rule_id: str = "T-01",
    key: str = "k1",
    explanation: str = "招标文件发出之日（2026-03-02）至投标截止（2026-03-18）仅16日，少于20日",
    facts: tuple[Fact, ...] | None = None,
    severity: str = Severity.MEDIUM,
    lot_id: int | None = None,
    event_id: int | None = None,
    entity_ids: tuple[int, ...] = (),
    title: str = "",
) -> Finding:
    """A finding on `project` as a rule would return it."""
    return Finding(
        rule_id=rule_id,
        project_id=project.pk,
        explanation=explanation,
        legal_basis=(ART_24,),
        facts=facts
        if facts is not None
        else (
            Fact("招标文件发出", dt.date(2026, 3, 2), ""),
            Fact("投标截止", dt.date(2026, 3, 18), ""),
            Fact("间隔天数", 16),
        ),
        severity=severity,
        lot_id=lot_id,
        event_id=event_id,
        entity_ids=entity_ids,
        key=key,
        data={"title": title} if title else {},
    )


@dataclass(frozen=True)
class ParamSpec:
    default: Any
    unit: str = ""
    label: str = ""


@dataclass(frozen=True)
class RuleSpec:
    id: str
    title: str
    legal_basis: tuple[LegalBasis, ...]
    check: Callable[[Any, Mapping[str, Any]], list[Finding]]
    params: dict[str, ParamSpec] = field(default_factory=dict)
    severity: str = Severity.MEDIUM
    timing: str = catalogue.EVENT
    matter: str = "supervision"
    applies: Callable[[Any], bool] = lambda state: True


@dataclass(frozen=True)
class State:
    project_id: int
    project: Project


def late_clarification_rule(rule_id: str = "T-TD06") -> RuleSpec:
    """A small stand-in for TD-06 (条例 第二十一条): a clarification fewer than `days` calendar
    days before the bid deadline of its lot (or of the project)."""

    def check(state: State, params: Mapping[str, Any]) -> list[Finding]:
        events = current_events(state.project.events.all())
        deadlines = [e for e in events if e.kind == EventKind.BID_DEADLINE]
        out = []
        for event in events:
            if event.kind not in (EventKind.CLARIFICATION, EventKind.AMENDMENT):
                continue
            for deadline in deadlines:
                if deadline.lot_id not in (None, event.lot_id) and event.lot_id is not None:
                    continue
                gap = (deadline.occurred_at.date() - event.occurred_at.date()).days
                if 0 <= gap < params["days"]:
                    out.append(
                        Finding(
                            rule_id=rule_id,
                            project_id=state.project_id,
                            explanation=(
                                f"澄清（{event.occurred_at:%Y-%m-%d}）距投标截止"
                                f"（{deadline.occurred_at:%Y-%m-%d}）仅{gap}日，少于{params['days']}日"
                                "（《招标投标法实施条例》第二十一条）"
                            ),
                            legal_basis=(ART_21,),
                            facts=(
                                Fact("澄清发出", event.occurred_at, f"event:{event.pk}"),
                                Fact("投标截止", deadline.occurred_at, f"event:{deadline.pk}"),
                                Fact("间隔天数", gap),
                            ),
                            severity=Severity.HIGH,
                            lot_id=event.lot_id or deadline.lot_id,
                            event_id=event.pk,
                            key=f"{event.source}:{event.external_id}",
                        )
                    )
                    break
        return out

    return RuleSpec(
        id=rule_id,
        title="澄清或者修改距投标截止不足15日",
        legal_basis=(ART_21,),
        check=check,
        params={"days": ParamSpec(15, "日", "澄清至投标截止的最短天数")},
        severity=Severity.HIGH,
    )


def install_rules(monkeypatch: Any, *specs: RuleSpec) -> None:
    """Use `specs` as the whole catalogue for this test."""
    by_id = {s.id: s for s in specs}

    def load_states(project_ids: list[int]) -> list[State]:
        return [State(p.pk, p) for p in Project.objects.filter(pk__in=project_ids).order_by("pk")]

    def run_rules(
        states: list[State], params_by_rule: Mapping[str, Mapping[str, Any]], today: Any = None
    ) -> list[Finding]:
        out: list[Finding] = []
        for state in states:
            for rule_id, params in params_by_rule.items():
                spec = by_id[rule_id]
                if spec.applies(state):
                    out.extend(spec.check(state, params))
        return out

    monkeypatch.setattr(catalogue, "specs", lambda: dict(by_id))
    monkeypatch.setattr(catalogue, "load_states", load_states)
    monkeypatch.setattr(catalogue, "run_rules", run_rules)
