"""Warnings through their services: raising and routing (谁主管谁监管), merging, the workflow,
permissions, deadlines on the working-day calendar, escalation, approvals, the outbound
suspension instruction, referrals and the office's rule settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from tenderwatch.approvals.models import ApprovalRequest, RequestStatus
from tenderwatch.approvals.services import approval_decide
from tenderwatch.core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from tenderwatch.core.timeutil import CHINA
from tenderwatch.ledger import services as ledger_services
from tenderwatch.ledger import testing as ledger_testing
from tenderwatch.ledger.models import Instruction, InstructionKind, InstructionStatus
from tenderwatch.org.models import CoordinationDecision
from tenderwatch.screening import services
from tenderwatch.screening.findings import Fact, Severity
from tenderwatch.screening.models import (
    ConfirmAction,
    DismissalCategory,
    Escalation,
    Outcome,
    Referral,
    ReferralKind,
    RuleSetting,
    Warning,
    WarningStatus,
)
from tenderwatch.screening.testing import finding, install_rules, late_clarification_rule
from tenderwatch.screening.tests.conftest import audit_actions, history

pytestmark = pytest.mark.django_db


def raise_one(project: Any, **kwargs: Any) -> Warning:
    report = services.warnings_raise(findings=[finding(project, **kwargs)])
    assert len(report.created) == 1, report
    return Warning.objects.get(pk=report.created[0])


# -- raising and routing ---------------------------------------------------------------------


def test_a_finding_becomes_a_warning_assigned_to_the_competent_department(
    housing_project: Any, district: Any
) -> None:
    lot = housing_project.lots.get()
    bidder = lot.bids.first().bidder
    w = raise_one(housing_project, lot_id=lot.pk, entity_ids=(bidder.pk,), title="投标期限不足")
    housing = district.dept("housing")
    assert (w.status, w.competent_department, w.assigned_department) == (
        WarningStatus.ASSIGNED,
        housing,
        housing,
    )
    assert not w.needs_coordination
    assert "区住房和城乡建设局" in w.competence_note
    assert w.title == "投标期限不足"
    assert w.legal_basis == [{"law": "《招标投标法》", "article": "第二十四条", "note": ""}]
    assert w.facts[0] == {"label": "招标文件发出", "value": "2026-03-02", "ref": ""}
    assert list(w.entities.all()) == [bidder]
    assert w.lot == lot and w.occurrences == 1
    assert history(w) == [("raise", "", "new"), ("assign", "new", "assigned")]
    assert audit_actions(w) == ["screening.warning.raised", "screening.warning.assigned"]
    # Raised by the engine: the audit trail names the system, not a person.
    assert w.transitions.filter(actor__isnull=False).count() == 0
    assert w.due_at is not None and w.due_rule


def test_a_transport_warning_goes_to_the_transport_department(
    transport_project: Any, district: Any
) -> None:
    w = raise_one(transport_project)
    assert w.assigned_department == district.dept("transport")


def test_no_competent_department_goes_to_the_office_which_decides(district: Any) -> None:
    project = ledger_testing.build_project(industry="other", seed=53)
    w = raise_one(project)
    office = district.dept("office")
    assert (w.competent_department, w.assigned_department, w.needs_coordination) == (
        None,
        office,
        True,
    )
    services.warning_assign(
        warning=w,
        department=district.dept("housing"),
        actor=district.office_clerk,
        reason="项目实为房屋建筑工程，由住建局监管",
    )
    w.refresh_from_db()
    assert w.assigned_department == district.dept("housing")
    decision = CoordinationDecision.objects.get(object_id=w.pk)
    assert decision.department == district.dept("housing")
    assert history(w)[-1] == ("reassign", "assigned", "assigned")


# -- merging ---------------------------------------------------------------------------------


def test_the_same_finding_again_is_the_same_warning(housing_project: Any) -> None:
    w = raise_one(housing_project)
    report = services.warnings_raise(findings=[finding(housing_project)])
    assert (report.created, report.merged, report.unchanged) == ([], [], 1)
    w2 = Warning.objects.get()
    assert w2.pk == w.pk and w2.occurrences == 1 and w2.last_seen_at >= w.last_seen_at
    assert audit_actions(w2) == ["screening.warning.raised", "screening.warning.assigned"]


def test_one_batch_with_a_finding_twice_raises_one_warning(housing_project: Any) -> None:
    """A fingerprint new to the batch skips the lookups; the same one again in the batch is
    looked up, and one raised meanwhile by another process is merged into on the retry."""
    again = finding(housing_project, facts=(Fact("间隔天数", 15),))
    report = services.warnings_raise(findings=[finding(housing_project), again])
    assert len(report.created) == 1 and report.merged == report.created
    assert Warning.objects.get().occurrences == 2
    # Another process raises a third fingerprint after this batch has read the known ones.
    other = finding(housing_project, key="k2")
    batch = services._Batch([other])
    assert other.fingerprint not in batch.known
    first = raise_one(housing_project, key="k2")
    result = services._raise_one(other, origin="rule", actor=None, now=None, batch=batch)
    assert result.created == [] and result.unchanged == 1
    assert Warning.objects.filter(fingerprint=other.fingerprint).get().pk == first.pk


def test_same_fingerprint_other_facts_merge_and_keep_the_earlier_facts(
    housing_project: Any,
) -> None:
    w = raise_one(housing_project)
    later = finding(
        housing_project,
        explanation="招标文件发出之日（2026-03-02）至投标截止（2026-03-17）仅15日，少于20日",
        facts=(Fact("投标截止", dt.date(2026, 3, 17)), Fact("间隔天数", 15)),
    )
    report = services.warnings_raise(findings=[later])
    assert report.merged == [w.pk] and not report.created
    w.refresh_from_db()
    assert Warning.objects.count() == 1
    assert w.occurrences == 2
    assert w.facts == [
        {"label": "投标截止", "value": "2026-03-17", "ref": ""},
        {"label": "间隔天数", "value": 15, "ref": ""},
    ]
    assert w.facts_history[0]["facts"][2] == {"label": "间隔天数", "value": 16, "ref": ""}
    assert "仅15日" in w.explanation
    assert history(w)[-1] == ("merge", "assigned", "assigned")
    assert audit_actions(w)[-1] == "screening.warning.merged"
    # Another key (other facts entirely) is another warning.
    services.warnings_raise(findings=[finding(housing_project, key="k2")])
    assert Warning.objects.count() == 2


def test_a_dismissed_finding_is_not_raised_again_unless_its_facts_change(
    housing_project: Any, district: Any
) -> None:
    w = raise_one(housing_project)
    services.warning_verify(warning=w, actor=district.housing_officer)
    services.warning_dismiss(
        warning=w,
        actor=district.housing_officer,
        category=DismissalCategory.LAWFUL_EXCEPTION,
        reason="项目属于依法可以不招标的情形",
    )
    report = services.warnings_raise(findings=[finding(housing_project)])
    assert (report.created, report.already_decided) == ([], 1)
    changed = finding(housing_project, facts=(Fact("间隔天数", 12),))
    report = services.warnings_raise(findings=[changed])
    assert len(report.created) == 1
    new = Warning.objects.get(pk=report.created[0])
    assert new.previous == w and new.status == WarningStatus.ASSIGNED


# -- the workflow and who may act --------------------------------------------------------------


def test_workflow_allowed_and_refused_transitions(housing_project: Any, district: Any) -> None:
    w = raise_one(housing_project)
    officer = district.housing_officer
    with pytest.raises(InvalidTransition):
        services.warning_confirm(
            warning=w, actor=officer, action=ConfirmAction.ORDER_CORRECTION, reason="属实"
        )
    with pytest.raises(InvalidTransition):
        services.warning_close(warning=w, actor=officer)
    services.warning_verify(warning=w, actor=officer, note="调取招标文件核查")
    with pytest.raises(InvalidTransition):
        services.warning_verify(warning=w, actor=officer)
    with pytest.raises(DomainError, match=r"理由|reason"):
        services.warning_confirm(
            warning=w, actor=officer, action=ConfirmAction.ORDER_CORRECTION, reason="  "
        )
    with pytest.raises(DomainError):
        services.warning_confirm(warning=w, actor=officer, action="fine", reason="属实")
    services.warning_confirm(
        warning=w, actor=officer, action=ConfirmAction.ORDER_CORRECTION, reason="经核查属实"
    )
    w.refresh_from_db()
    assert (w.status, w.outcome, w.confirm_action) == (
        WarningStatus.CONFIRMED,
        Outcome.CONFIRMED,
        ConfirmAction.ORDER_CORRECTION,
    )
    assert w.decision["reason"] == "经核查属实" and w.decision["by"] == officer.pk
    with pytest.raises(InvalidTransition):
        services.warning_dismiss(
            warning=w, actor=officer, category=DismissalCategory.OTHER, reason="x"
        )
    services.warning_close(warning=w, actor=officer, note="已责令改正并复核")
    w.refresh_from_db()
    assert w.status == WarningStatus.CLOSED and w.closed_at is not None
    with pytest.raises(InvalidTransition):
        services.warning_close(warning=w, actor=officer)
    assert history(w) == [
        ("raise", "", "new"),
        ("assign", "new", "assigned"),
        ("verify", "assigned", "verifying"),
        ("confirm", "verifying", "confirmed"),
        ("close", "confirmed", "closed"),
    ]
    assert audit_actions(w)[-3:] == [
        "screening.warning.verifying",
        "screening.warning.confirmed",
        "screening.warning.closed",
    ]


def test_dismissal_needs_a_reason_and_its_category(housing_project: Any, district: Any) -> None:
    w = raise_one(housing_project)
    officer = district.housing_officer
    services.warning_verify(warning=w, actor=officer)
    with pytest.raises(DomainError):
        services.warning_dismiss(warning=w, actor=officer, category="", reason="数据有误")
    with pytest.raises(DomainError):
        services.warning_dismiss(
            warning=w, actor=officer, category=DismissalCategory.DATA_ERROR, reason=""
        )
    services.warning_dismiss(
        warning=w, actor=officer, category=DismissalCategory.DATA_ERROR, reason="平台推送日期有误"
    )
    w.refresh_from_db()
    assert (w.status, w.outcome, w.dismissal_category, w.dismissal_reason) == (
        WarningStatus.DISMISSED,
        Outcome.DISMISSED,
        DismissalCategory.DATA_ERROR,
        "平台推送日期有误",
    )


def test_only_the_assigned_department_and_the_office_act(
    housing_project: Any, district: Any
) -> None:
    w = raise_one(housing_project)
    for outsider in (district.transport_officer, district.auditor, district.section_head):
        with pytest.raises(PermissionDenied):
            services.warning_verify(warning=w, actor=outsider)
    w.refresh_from_db()
    assert w.status == WarningStatus.ASSIGNED
    # Departments cannot reassign; the office can, with a reason.
    with pytest.raises(PermissionDenied):
        services.warning_assign(
            warning=w, department=district.dept("transport"), actor=district.housing_officer
        )
    with pytest.raises(DomainError):
        services.warning_assign(
            warning=w, department=district.dept("transport"), actor=district.office_clerk
        )
    services.warning_assign(
        warning=w,
        department=district.dept("transport"),
        actor=district.office_clerk,
        reason="道路工程，属交通运输局监管",
    )
    # Now the transport officer acts and the housing officer no longer does.
    with pytest.raises(PermissionDenied):
        services.warning_verify(warning=w, actor=district.housing_officer)
    services.warning_verify(warning=w, actor=district.transport_officer)
    # The office acts on any warning.
    services.warning_dismiss(
        warning=w,
        actor=district.office_clerk,
        category=DismissalCategory.DUPLICATE,
        reason="与YJ-2026-000001重复",
    )


def test_a_user_without_a_role_is_told_not_found(housing_project: Any, district: Any) -> None:
    from tenderwatch.org.models import User

    w = raise_one(housing_project)
    nobody = User.objects.create_user(username="nobody", password="x")
    with pytest.raises(NotFound):
        services.warning_verify(warning=w, actor=nobody)


# -- deadlines and escalation ----------------------------------------------------------------


def test_handling_deadline_counts_working_days_across_the_national_day_holiday(
    district: Any, settings: Any
) -> None:
    """Working days from the assignment (the start day not counted, 民法典 第二百零一条): a
    high-severity warning assigned on Tuesday 2025-09-30 is due on 2025-10-11, the adjusted
    working Saturday after the National Day holiday (10-01 to 10-08)."""
    settings.TW_SCREEN_HANDLING_WORKDAYS = {"high": 3, "medium": 5}
    project = ledger_testing.build_project(
        industry="housing", registered_at=dt.datetime(2025, 9, 1, 9, tzinfo=CHINA), seed=54
    )
    with time_machine.travel(dt.datetime(2025, 9, 30, 10, 0, tzinfo=CHINA), tick=False):
        high = raise_one(project, severity=Severity.HIGH)
        medium = raise_one(project, key="k2", severity=Severity.MEDIUM)
    assert high.due_on == dt.date(2025, 10, 11)
    assert high.due_at == dt.datetime(2025, 10, 12, 0, 0, tzinfo=CHINA)
    assert medium.due_on == dt.date(2025, 10, 14)
    assert "3" in high.due_rule and "2025-09-30" in high.due_rule


def test_overdue_warnings_escalate_to_the_office_head_once(
    housing_project: Any, district: Any, settings: Any
) -> None:
    settings.TW_SCREEN_HANDLING_WORKDAYS = {"medium": 5}
    with time_machine.travel(dt.datetime(2026, 5, 11, 9, 0, tzinfo=CHINA), tick=False):
        late = raise_one(housing_project)
        decided = raise_one(housing_project, key="k2")
        services.warning_verify(warning=decided, actor=district.housing_officer)
        services.warning_confirm(
            warning=decided,
            actor=district.housing_officer,
            action=ConfirmAction.ORDER_CORRECTION,
            reason="属实",
        )
    assert late.due_on == dt.date(2026, 5, 18)
    on_time = dt.datetime(2026, 5, 18, 23, 0, tzinfo=CHINA)
    assert services.warnings_escalate_overdue(now=on_time) == []
    after = dt.datetime(2026, 5, 19, 8, 0, tzinfo=CHINA)
    assert services.warnings_escalate_overdue(now=after) == [late.pk]
    assert services.warnings_escalate_overdue(now=after + dt.timedelta(hours=1)) == []
    escalation = Escalation.objects.get()
    assert (escalation.warning_id, escalation.target, escalation.department) == (
        late.pk,
        "office_head",
        district.dept("housing"),
    )
    late.refresh_from_db()
    assert late.escalated_at == after
    assert history(late)[-1] == ("escalate", "assigned", "assigned")
    assert audit_actions(late)[-1] == "screening.warning.escalated"
    # Reassigning starts a new clock, which escalates again when it runs out.
    with time_machine.travel(dt.datetime(2026, 5, 19, 9, 0, tzinfo=CHINA), tick=False):
        services.warning_assign(
            warning=late,
            department=district.dept("transport"),
            actor=district.office_clerk,
            reason="改由交通运输局核查",
        )
    late.refresh_from_db()
    assert late.escalated_at is None and late.due_on == dt.date(2026, 5, 26)
    later = dt.datetime(2026, 5, 27, 8, 0, tzinfo=CHINA)
    assert services.warnings_escalate_overdue(now=later) == [late.pk]
    assert Escalation.objects.count() == 2


def test_deadlines_are_recomputed_when_the_calendar_changes(
    housing_project: Any, district: Any
) -> None:
    w = raise_one(housing_project)
    good = w.due_on
    Warning.objects.filter(pk=w.pk).update(due_on=None, due_at=None, due_rule="missing")
    assert services.recompute_deadlines({w.due_from.year}) == 1
    w.refresh_from_db()
    assert w.due_on == good and w.due_at is not None
    assert audit_actions(w)[-1] == "screening.warning.deadline_recomputed"


# -- approvals, suspension, referrals -----------------------------------------------------------


@pytest.fixture
def platform_project(district: Any) -> Any:
    ledger_services.feed_system_add(code="hz-trading", name="黄州区公共资源交易中心", actor=None)
    return ledger_testing.build_project(industry="housing", source="hz-trading", seed=55)


def test_suspension_needs_approval_then_goes_to_the_trading_platform(
    platform_project: Any, district: Any, housing_leader: Any
) -> None:
    w = raise_one(platform_project, lot_id=platform_project.lots.first().pk)
    officer = district.housing_officer
    services.warning_verify(warning=w, actor=officer)
    with pytest.raises(DomainError) as refused:
        services.warning_confirm(
            warning=w, actor=district.office_clerk, action=ConfirmAction.SUSPEND, reason="情节严重"
        )
    assert refused.value.code == "approval_required"
    request = services.warning_submit_decision(
        warning=w, actor=officer, outcome="confirm", action=ConfirmAction.SUSPEND, reason="情节严重"
    )
    assert request.department == district.dept("housing")
    # Not approved yet: carrying out is refused.
    with pytest.raises(DomainError):
        services.warning_carry_out(warning=w, actor=district.office_clerk)
    approval_decide(request=request, actor=housing_leader, decision="approve", opinion="同意")
    approval_decide(request=request, actor=district.deputy_head, decision="approve", opinion="同意")
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    # A department officer cannot send the platform instruction; the office does.
    with pytest.raises(PermissionDenied):
        services.warning_carry_out(warning=w, actor=officer)
    assert not Instruction.objects.exists()
    services.warning_carry_out(warning=w, actor=district.office_clerk)
    w.refresh_from_db()
    instruction = Instruction.objects.get()
    assert (instruction.kind, instruction.status, instruction.reference, instruction.lot_id) == (
        InstructionKind.SUSPEND,
        InstructionStatus.PENDING,
        w.reference,
        w.lot_id,
    )
    assert instruction.basis == "《招标投标法》第二十四条"
    assert (w.status, w.confirm_action) == (WarningStatus.CONFIRMED, ConfirmAction.SUSPEND)
    assert w.decision["instruction"] == instruction.pk
    assert w.decision["approval"] == request.pk and w.pending_decision == {}
    assert [a for a, _f, _t in history(w)][-3:] == ["submit_for_approval", "confirm", "instruct"]
    assert "screening.warning.decision_submitted" in audit_actions(w)
    assert audit_actions(instruction) == ["ledger.instruction.issued"]


def test_suspension_of_a_project_without_a_platform_is_refused(
    housing_project: Any, district: Any
) -> None:
    w = raise_one(housing_project)
    services.warning_verify(warning=w, actor=district.housing_officer)
    with pytest.raises(DomainError) as refused:
        services.warning_submit_decision(
            warning=w,
            actor=district.housing_officer,
            outcome="confirm",
            action=ConfirmAction.SUSPEND,
            reason="情节严重",
        )
    assert refused.value.code == "no_platform"
    assert not ApprovalRequest.objects.exists()


def test_dismissing_a_high_severity_warning_needs_approval(
    housing_project: Any, district: Any, housing_leader: Any
) -> None:
    w = raise_one(housing_project, severity=Severity.HIGH)
    officer = district.housing_officer
    services.warning_verify(warning=w, actor=officer)
    args = {"category": DismissalCategory.FALSE_POSITIVE, "reason": "招标文件实际于3月1日发出"}
    with pytest.raises(DomainError) as refused:
        services.warning_dismiss(warning=w, actor=officer, **args)
    assert refused.value.code == "approval_required"
    request = services.warning_submit_decision(warning=w, actor=officer, outcome="dismiss", **args)
    with pytest.raises(DomainError):  # the same decision cannot go on the route twice
        services.warning_submit_decision(warning=w, actor=officer, outcome="dismiss", **args)
    approval_decide(request=request, actor=housing_leader, decision="approve")
    approval_decide(request=request, actor=district.deputy_head, decision="approve")
    # A different decision than the one approved is refused.
    with pytest.raises(DomainError):
        services.warning_dismiss(
            warning=w, actor=officer, category=DismissalCategory.OTHER, reason="其他"
        )
    services.warning_carry_out(warning=w, actor=officer)
    w.refresh_from_db()
    assert w.status == WarningStatus.DISMISSED and w.decision["approval"] == request.pk
    # A medium warning is dismissed without approval.
    m = raise_one(housing_project, key="k2")
    services.warning_verify(warning=m, actor=officer)
    with pytest.raises(DomainError):
        services.warning_submit_decision(warning=m, actor=officer, outcome="dismiss", **args)
    services.warning_dismiss(warning=m, actor=officer, **args)


@pytest.mark.parametrize(
    ("action", "kind"),
    [
        (ConfirmAction.REFER_CASE, ReferralKind.CASE),
        (ConfirmAction.REFER_RECTIFICATION, "rectification"),
    ],
)
def test_referrals_are_recorded_for_the_later_apps(
    housing_project: Any, district: Any, action: str, kind: str
) -> None:
    w = raise_one(housing_project)
    services.warning_verify(warning=w, actor=district.housing_officer)
    services.warning_confirm(
        warning=w, actor=district.housing_officer, action=action, reason="移送"
    )
    referral = Referral.objects.get()
    assert (referral.kind, referral.target_department, referral.consumed_at) == (
        kind,
        district.dept("housing"),
        None,
    )
    assert referral.payload["facts"] == w.facts and referral.payload["reason"] == "移送"
    w.refresh_from_db()
    assert w.decision["referral"] == referral.pk
    assert audit_actions(referral) == ["screening.referral.created"]


def test_bulk_assignment_is_all_or_nothing(housing_project: Any, district: Any) -> None:
    a = raise_one(housing_project)
    b = raise_one(housing_project, key="k2")
    inactive = district.dept("water")
    inactive.active = False
    inactive.save()
    with pytest.raises(DomainError):
        services.warnings_bulk_assign(
            warnings=[a, b], department=inactive, actor=district.office_clerk, reason="调整"
        )
    assert set(Warning.objects.values_list("assigned_department__code", flat=True)) == {"housing"}
    with pytest.raises(PermissionDenied):
        services.warnings_bulk_assign(
            warnings=[a, b],
            department=district.dept("transport"),
            actor=district.housing_officer,
            reason="调整",
        )
    services.warnings_bulk_assign(
        warnings=[a, b],
        department=district.dept("transport"),
        actor=district.office_clerk,
        reason="调整",
    )
    assert set(Warning.objects.values_list("assigned_department__code", flat=True)) == {"transport"}


# -- the office's rule settings -----------------------------------------------------------------


def test_rule_settings_are_versioned_validated_and_the_office_s(
    monkeypatch: Any, district: Any
) -> None:
    install_rules(monkeypatch, late_clarification_rule())
    from tenderwatch.screening import catalogue

    [rule] = catalogue.rules_in_force()
    assert rule.params == {"days": 15} and rule.enabled and rule.setting is None
    with pytest.raises(PermissionDenied):
        services.rule_setting_change(
            rule_id="T-TD06", actor=district.housing_officer, params={"days": 20}, reason="x"
        )
    with pytest.raises(DomainError):
        services.rule_setting_change(
            rule_id="T-TD06", actor=district.office_clerk, params={"days": 20}, reason=""
        )
    with pytest.raises(DomainError) as bad:
        services.rule_setting_change(
            rule_id="T-TD06", actor=district.office_clerk, params={"days": "十五"}, reason="x"
        )
    assert bad.value.details[0]["field"] == "days"
    with pytest.raises(DomainError):
        services.rule_setting_change(
            rule_id="T-TD06", actor=district.office_clerk, params={"weeks": 2}, reason="x"
        )
    with pytest.raises(DomainError):
        services.rule_setting_change(
            rule_id="T-TD06", actor=district.office_clerk, params={"days": -1}, reason="x"
        )
    with pytest.raises(DomainError):  # nothing changed
        services.rule_setting_change(
            rule_id="T-TD06", actor=district.office_clerk, params={"days": 15}, reason="x"
        )
    services.rule_setting_change(
        rule_id="T-TD06",
        actor=district.office_clerk,
        params={"days": "16"},
        reason="区实施方案从严",
    )
    services.rule_setting_change(
        rule_id="T-TD06", actor=district.office_clerk, enabled=False, reason="暂停试运行"
    )
    assert catalogue.rules_in_force() == []
    [rule] = catalogue.rules_in_force(enabled_only=False)
    assert rule.params == {"days": 16} and not rule.enabled
    versions = list(RuleSetting.objects.order_by("version").values_list("version", "enabled"))
    assert versions == [(1, True), (2, False)]
    first = RuleSetting.objects.get(version=1)
    assert first.params == {"days": 16} and first.changed_by == district.office_clerk
    assert audit_actions(first) == ["screening.rule.changed"]


def test_an_approved_project_that_never_entered_the_platform_gets_a_warning(
    district: Any,
) -> None:
    """应进必进: the finding names the approved project (no ledger project exists)."""
    from tenderwatch.ledger.models import ApprovedProject
    from tenderwatch.screening.findings import Finding
    from tenderwatch.screening.testing import ART_24

    approved = ApprovedProject.objects.create(
        approval_no="黄发改审批〔2026〕12号",
        approval_type="examined",
        name="黄州区禹王街道排水管网改造工程",
        owner_name="黄州区城市建设投资有限公司",
        industry="transport",
        amount="6000000",
        must_tender=True,
    )
    report = services.warnings_raise(
        findings=[
            Finding(
                rule_id="T-MUST",
                project_id=0,
                explanation="依法必须招标的项目未进入交易平台",
                legal_basis=(ART_24,),
                facts=(Fact("批准文号", approved.approval_no),),
                key=approved.approval_no,
                data={"approved_project_id": approved.pk},
            ),
            # A finding that names nothing is skipped (logged), not stored.
            Finding(
                rule_id="T-MUST",
                project_id=0,
                explanation="?",
                legal_basis=(ART_24,),
                facts=(),
                key="x",
            ),
        ]
    )
    w = Warning.objects.get(pk=report.created[0])
    assert len(report.created) == 1 and Warning.objects.count() == 1
    assert (w.project, w.approved_project) == (None, approved)
    assert w.assigned_department == district.dept("transport")
    assert w.subject_code == approved.approval_no and "approved" in w.subject_url()
