"""The engine's plumbing with a small stand-in rule (the statutory rules have their own tests):
the change signal, batches, the office's settings, the sweeper and the CLI."""

from __future__ import annotations

import datetime as dt
import io
import logging
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tenderwatch.core.timeutil import CHINA
from tenderwatch.ledger import services as ledger_services
from tenderwatch.ledger import signals
from tenderwatch.ledger import testing as ledger_testing
from tenderwatch.ledger.models import EventKind, ProcedureEvent, ProjectStatus
from tenderwatch.screening import catalogue, engine, services
from tenderwatch.screening.findings import Fact, Finding, Severity
from tenderwatch.screening.models import Escalation, Warning, WarningStatus
from tenderwatch.screening.testing import (
    ART_21,
    ParamSpec,
    RuleSpec,
    install_rules,
    late_clarification_rule,
)

pytestmark = pytest.mark.django_db


def deadline_of(project: Any) -> ProcedureEvent:
    return project.events.filter(kind=EventKind.BID_DEADLINE).order_by("occurred_at").first()


def add_clarification(project: Any, *, days_before: int, actor: Any, ext: str = "C-1") -> Any:
    deadline = deadline_of(project)
    when = deadline.occurred_at - dt.timedelta(days=days_before)
    return ledger_services.event_record(
        source=project.source,
        project=project,
        payload={
            "external_id": f"{project.code}-{ext}",
            "version": 1,
            "kind": "clarification",
            "occurred_at": when.isoformat(),
            "lot_external_id": deadline.lot.external_id if deadline.lot else None,
        },
        actor=actor,
    )


@pytest.fixture
def rule(monkeypatch: Any) -> RuleSpec:
    spec = late_clarification_rule()
    install_rules(monkeypatch, spec)
    return spec


def test_a_ledger_change_screens_its_project_after_the_commit(
    rule: RuleSpec, housing_project: Any, district: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = add_clarification(housing_project, days_before=10, actor=district.office_clerk)
    assert callbacks, "the ledger service sends project_changed on commit"
    warning = Warning.objects.get()
    assert warning.event == result.obj and warning.rule_id == "T-TD06"
    assert warning.assigned_department == district.dept("housing")
    assert warning.severity == Severity.HIGH
    assert "仅10日，少于15日" in warning.explanation
    # A clarification in time raises nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        add_clarification(housing_project, days_before=16, actor=district.office_clerk, ext="C-2")
    assert Warning.objects.count() == 1


def test_nothing_is_screened_when_the_transaction_rolls_back(
    rule: RuleSpec, housing_project: Any, district: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        add_clarification(housing_project, days_before=3, actor=district.office_clerk)
        raise RuntimeError("abort")
    assert not callbacks and not Warning.objects.exists()


def test_the_setting_turns_screening_on_change_off(
    rule: RuleSpec,
    housing_project: Any,
    district: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.TW_SCREEN_ON_CHANGE = False
    with django_capture_on_commit_callbacks(execute=True):
        add_clarification(housing_project, days_before=3, actor=district.office_clerk)
    assert not Warning.objects.exists()
    settings.TW_SCREEN_ON_CHANGE = True
    signals.projects_imported.send(sender=None, project_ids=[housing_project.pk])
    assert Warning.objects.count() == 1


def test_a_failing_rule_never_fails_the_ledger_write(
    monkeypatch: Any,
    housing_project: Any,
    district: Any,
    caplog: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    def broken(state: Any, params: Any) -> list[Finding]:
        raise ZeroDivisionError("bad rule")

    install_rules(monkeypatch, RuleSpec("T-BROKEN", "坏规则", (ART_21,), broken))
    with (
        caplog.at_level(logging.ERROR, logger="tenderwatch.screening"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = add_clarification(housing_project, days_before=3, actor=district.office_clerk)
    assert ProcedureEvent.objects.filter(pk=result.obj.pk).exists()
    assert "failed" in caplog.text and not Warning.objects.exists()


def test_batches_respect_the_office_s_settings(
    rule: RuleSpec, housing_project: Any, transport_project: Any, district: Any
) -> None:
    for project in (housing_project, transport_project):
        add_clarification(project, days_before=12, actor=district.office_clerk)
    services.rule_setting_change(
        rule_id="T-TD06", actor=district.office_clerk, params={"days": 10}, reason="试运行"
    )
    report = engine.screen_projects([housing_project.pk, transport_project.pk], chunk=1)
    assert (report.projects, report.findings, report.created) == (2, 0, 0)
    services.rule_setting_change(
        rule_id="T-TD06", actor=district.office_clerk, params={"days": 15}, reason="恢复法定标准"
    )
    report = engine.screen_projects([housing_project.pk, transport_project.pk], chunk=1)
    assert (report.findings, report.created) == (2, 2)
    assert sorted(Warning.objects.values_list("assigned_department__code", flat=True)) == [
        "housing",
        "transport",
    ]
    # Run again: the same findings are the same warnings.
    again = engine.screen_projects([housing_project.pk, transport_project.pk])
    assert (again.created, again.merged, again.raised.unchanged) == (0, 0, 2)
    services.rule_setting_change(
        rule_id="T-TD06", actor=district.office_clerk, enabled=False, reason="停用"
    )
    assert engine.screen_projects([housing_project.pk]).rules == []


def _contract_rule(rule_id: str = "T-AW06") -> RuleSpec:
    """Stand-in for a sweep rule: awarded, no contract after `days` days (招标投标法 第四十六条)."""

    def check(state: Any, params: Any) -> list[Finding]:
        if state.project.status != ProjectStatus.AWARDED:
            return []
        return [
            Finding(
                rule_id=rule_id,
                project_id=state.project_id,
                explanation="中标通知书发出后30日内未订立书面合同（《招标投标法》第四十六条）",
                legal_basis=(ART_21,),
                facts=(Fact("项目状态", state.project.status),),
                severity=Severity.MEDIUM,
                key="no-contract",
            )
        ]

    return RuleSpec(
        id=rule_id,
        title="中标后30日内未订立合同",
        legal_basis=(ART_21,),
        check=check,
        params={"days": ParamSpec(30, "日", "中标通知书发出至订立合同的天数")},
        timing=catalogue.SWEEP,
    )


def test_the_sweeper_runs_sweep_rules_and_escalates(
    monkeypatch: Any, district: Any, settings: Any
) -> None:
    install_rules(monkeypatch, late_clarification_rule(), _contract_rule())
    awarded = ledger_testing.build_project(industry="housing", stage=ProjectStatus.AWARDED, seed=61)
    ledger_testing.build_project(industry="housing", stage=ProjectStatus.CONTRACTED, seed=62)
    # Event-timed runs leave the sweep rule alone.
    assert engine.screen_projects([awarded.pk]).rules == ["T-TD06"]
    now = dt.datetime(2026, 6, 1, 9, tzinfo=CHINA)
    report = engine.sweep(now=now)
    assert report.screened.rules == ["T-AW06"] and report.screened.created == 1
    warning = Warning.objects.get(rule_id="T-AW06")
    assert warning.project == awarded and report.escalated == []
    later = engine.sweep(now=warning.due_at + dt.timedelta(hours=1))
    assert later.escalated == [warning.pk] and later.screened.created == 0
    assert Escalation.objects.get().warning == warning


def test_cli_run_rules_and_sweep(
    rule: RuleSpec, housing_project: Any, transport_project: Any, district: Any
) -> None:
    add_clarification(housing_project, days_before=2, actor=district.office_clerk)
    add_clarification(transport_project, days_before=2, actor=district.office_clerk)
    out, err = io.StringIO(), io.StringIO()
    # housing registered 2026-03-02, transport 2026-04-06: only the first is in March.
    call_command(
        "screen", "run", "--since", "2026-03-01", "--until", "2026-03-31", stdout=out, stderr=err
    )
    assert Warning.objects.get().project == housing_project
    assert "新建预警 1 条" in out.getvalue()
    assert "100%" in err.getvalue()  # the progress bar went to stderr
    call_command(
        "screen", "run", "--since", "2026-01-01", "--rule", "T-TD06", "--no-progress", stdout=out
    )
    assert Warning.objects.count() == 2
    with pytest.raises(CommandError):
        call_command("screen", "run", "--since", "2026-01-01", "--rule", "NOPE", stdout=out)
    with pytest.raises(CommandError):
        call_command("screen", "run", "--since", "01/03/2026", stdout=out)

    services.rule_setting_change(
        rule_id="T-TD06", actor=district.office_clerk, params={"days": 20}, reason="从严"
    )
    listing = io.StringIO()
    call_command("screen", "rules", "--list", stdout=listing)
    text = listing.getvalue()
    assert "T-TD06" in text and "澄清或者修改距投标截止不足15日" in text
    assert "《招标投标法实施条例》第二十一条" in text
    assert "days (澄清至投标截止的最短天数) = 20日" in text and "设置第1版" in text

    swept = io.StringIO()
    call_command("screen", "sweep", stdout=swept)
    assert swept.getvalue().strip()
    assert Warning.objects.filter(status=WarningStatus.ASSIGNED).count() == 2


def test_the_sweeper_checks_the_approved_list_for_projects_never_entered(
    district: Any,
) -> None:
    """MUST-10 (应进必进), the rules' own check: an approved must-tender project with no project
    in the ledger long after its approval becomes a warning without a project."""
    from tenderwatch.ledger.models import ApprovedProject

    if "MUST-10" not in catalogue.specs():
        pytest.skip("the statutory rule MUST-10 is not in the catalogue")
    approved = ApprovedProject.objects.create(
        approval_no="黄发改审批〔2025〕88号",
        approval_type="examined",
        name="黄州区路口镇农村供水管网改造工程",
        owner_name="黄州区水务投资有限公司",
        industry="water",
        category="works",
        amount="8000000",
        approved_method="open",
        approved_on=dt.date(2025, 6, 1),
        must_tender=True,
        must_tender_reason="施工单项合同估算价400万元以上",
    )
    report = engine.sweep(now=dt.datetime(2026, 6, 1, 9, tzinfo=CHINA))
    assert report.approved_list.created == 1
    warning = Warning.objects.get(rule_id="MUST-10")
    assert (warning.project, warning.approved_project) == (None, approved)
    assert warning.assigned_department == district.dept("water")
    again = engine.sweep(now=dt.datetime(2026, 6, 2, 9, tzinfo=CHINA))
    assert again.approved_list.created == 0 and Warning.objects.count() == 1
