"""Walking approval routes: order, posts, separation of duties, returns, collective discussion."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from tenderwatch.approvals.models import (
    AppendOnlyError,
    ApprovalRequest,
    ApprovalStep,
    CollectiveDiscussion,
    RequestStatus,
)
from tenderwatch.approvals.services import (
    approval_decide,
    approval_record_discussion,
    approval_resubmit,
    approval_submit,
    approval_withdraw,
    ensure_approved,
)
from tenderwatch.approvals.tests.conftest import audit_actions, steps_of
from tenderwatch.audit import services as audit
from tenderwatch.core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied

pytestmark = pytest.mark.usefixtures("routes")

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _complaint_decision(personas: Any, subject: Any = None) -> ApprovalRequest:
    """A complaint decision the office handles itself (自办): its department is the office."""
    return approval_submit(
        route_kind="complaint_decision",
        subject=subject or personas.dept("water"),
        department=personas.dept("office"),
        title="关于某水利工程投诉的处理决定",
        actor=personas.office_clerk,
        opinion="经调查，投诉事项部分成立，拟责令改正。",
    )


def test_three_levels_walked_by_their_posts(personas: Any) -> None:
    with time_machine.travel(T0, tick=False):
        req = _complaint_decision(personas)
    # The clerk holds the 承办 post: the submission is that level's signature.
    assert req.status == RequestStatus.PENDING
    assert (req.current_level.order, req.current_level.stage) == (2, "review")
    with time_machine.travel(T0 + dt.timedelta(hours=2), tick=False):
        approval_decide(
            request=req, actor=personas.section_head, decision="approve", opinion="同意"
        )
    req.refresh_from_db()
    assert (req.current_level.order, req.current_level.stage) == (3, "approval")
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        approval_decide(
            request=req, actor=personas.principal_head, decision="approve", opinion="同意处理意见"
        )
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED
    assert req.current_level is None
    assert req.closed_at == T0 + dt.timedelta(days=1)

    assert steps_of(req) == [
        (1, 1, "handling", "office_clerk", "approve"),
        (1, 2, "review", "section_head", "approve"),
        (1, 3, "approval", "principal_head", "approve"),
    ]
    opinions = list(req.steps.order_by("id").values_list("opinion", "decided_at"))
    assert opinions == [
        ("经调查，投诉事项部分成立，拟责令改正。", T0),
        ("同意", T0 + dt.timedelta(hours=2)),
        ("同意处理意见", T0 + dt.timedelta(days=1)),
    ]
    assert audit_actions(req) == [
        ("approvals.request.submitted", "office_clerk"),
        ("approvals.request.level_approved", "section_head"),
        ("approvals.request.approved", "principal_head"),
    ]
    assert audit.verify(anchors=[]).ok
    # Steps are the history: they cannot be rewritten.
    step = req.steps.first()
    step.opinion = "改过的意见"
    with pytest.raises(AppendOnlyError):
        step.save()
    with pytest.raises(AppendOnlyError):
        ApprovalStep.objects.filter(request=req).update(opinion="x")
    with pytest.raises(AppendOnlyError):
        ApprovalStep.objects.filter(request=req).delete()


def test_a_deputy_cannot_sign_a_level_that_needs_the_principal(personas: Any) -> None:
    req = _complaint_decision(personas)
    approval_decide(request=req, actor=personas.section_head, decision="approve")
    with pytest.raises(PermissionDenied) as exc:
        approval_decide(request=req, actor=personas.deputy_head, decision="approve")
    assert "主要负责人" in str(exc.value)
    req.refresh_from_db()
    assert req.current_level.order == 3
    assert len(steps_of(req)) == 2


def test_levels_are_signed_in_order_without_skipping(personas: Any) -> None:
    req = _complaint_decision(personas)
    # The principal, looking at the 审批 level, cannot sign it while 审核 is not signed.
    with pytest.raises(InvalidTransition):
        approval_decide(request=req, actor=personas.principal_head, decision="approve", level=3)
    req.refresh_from_db()
    assert req.current_level.order == 2
    # A senior leader may stand in at a lower level, but that signs that level only …
    approval_decide(request=req, actor=personas.principal_head, decision="approve", level=2)
    req.refresh_from_db()
    assert (req.status, req.current_level.order) == (RequestStatus.PENDING, 3)
    # … and the same person does not sign the next one.
    with pytest.raises(PermissionDenied):
        approval_decide(request=req, actor=personas.principal_head, decision="approve", level=3)
    assert [s[3] for s in steps_of(req)] == ["office_clerk", "principal_head"]


def test_the_submitter_cannot_sign_their_own_request(personas: Any) -> None:
    # The seconded officer handles a housing warning (承办, as a housing officer) and also holds
    # the office-staff post that signs the 审核 level of warning closures.
    req = approval_submit(
        route_kind="warning_closure",
        subject=personas.dept("housing"),
        department=personas.dept("housing"),
        title="某住建项目评标异常预警办结",
        actor=personas.seconded_officer,
        opinion="已核实并整改完毕",
    )
    assert req.current_level.stage == "review"
    with pytest.raises(PermissionDenied):
        approval_decide(request=req, actor=personas.seconded_officer, decision="approve")
    approval_decide(request=req, actor=personas.office_clerk, decision="approve")
    approval_decide(request=req, actor=personas.section_head, decision="approve")
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED
    assert [s[3] for s in steps_of(req)] == ["seconded_officer", "office_clerk", "section_head"]


def test_another_department_cannot_act_or_see(personas: Any, transport_leaders: Any) -> None:
    req = approval_submit(
        route_kind="penalty_decision",
        subject=personas.dept("transport"),
        department=personas.dept("transport"),
        title="某公路项目串通投标行政处罚决定",
        actor=personas.transport_officer,
    )
    assert req.current_level.stage == "review"
    with pytest.raises(NotFound):
        approval_decide(request=req, actor=personas.housing_officer, decision="approve")
    # Office leaders do not sign the transport department's own penalty decision either.
    with pytest.raises(NotFound):
        approval_decide(request=req, actor=personas.section_head, decision="approve")
    approval_decide(request=req, actor=transport_leaders["section"], decision="approve")
    req.refresh_from_db()
    assert req.current_level.stage == "legal_review"
    assert len(steps_of(req)) == 2


def test_reject_closes_the_request(personas: Any) -> None:
    req = _complaint_decision(personas)
    with pytest.raises(DomainError):
        approval_decide(request=req, actor=personas.section_head, decision="reject", opinion=" ")
    approval_decide(
        request=req, actor=personas.section_head, decision="reject", opinion="事实不清，证据不足"
    )
    req.refresh_from_db()
    assert req.status == RequestStatus.REJECTED
    assert req.current_level is None and req.closed_at is not None
    with pytest.raises(InvalidTransition):
        approval_decide(request=req, actor=personas.principal_head, decision="approve")
    with pytest.raises(DomainError):
        ensure_approved(subject=personas.dept("water"), route_kind="complaint_decision")
    assert steps_of(req)[-1] == (1, 2, "review", "section_head", "reject")
    assert audit_actions(req)[-1] == ("approvals.request.rejected", "section_head")
    # The subject may be put on the route again.
    again = _complaint_decision(personas)
    assert again.pk != req.pk


def test_return_and_resubmit_starts_a_new_round(personas: Any) -> None:
    req = _complaint_decision(personas)
    approval_decide(request=req, actor=personas.section_head, decision="approve")
    with pytest.raises(DomainError):
        approval_decide(request=req, actor=personas.principal_head, decision="return")
    approval_decide(
        request=req,
        actor=personas.principal_head,
        decision="return",
        opinion="请补充法律依据",
    )
    req.refresh_from_db()
    assert req.status == RequestStatus.RETURNED
    assert req.current_level.order == 1
    with pytest.raises(InvalidTransition):
        approval_decide(request=req, actor=personas.section_head, decision="approve")
    with pytest.raises(PermissionDenied):
        approval_resubmit(request=req, actor=personas.section_head)
    with pytest.raises(DomainError):
        ensure_approved(subject=personas.dept("water"), route_kind="complaint_decision")

    approval_resubmit(request=req, actor=personas.office_clerk, opinion="已补充第六十一条依据")
    req.refresh_from_db()
    assert (req.status, req.round, req.current_level.order) == (RequestStatus.PENDING, 2, 2)
    # A new round: the section head signs 审核 again.
    approval_decide(request=req, actor=personas.section_head, decision="approve")
    approval_decide(request=req, actor=personas.principal_head, decision="approve")
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED
    assert steps_of(req) == [
        (1, 1, "handling", "office_clerk", "approve"),
        (1, 2, "review", "section_head", "approve"),
        (1, 3, "approval", "principal_head", "return"),
        (2, 1, "handling", "office_clerk", "approve"),
        (2, 2, "review", "section_head", "approve"),
        (2, 3, "approval", "principal_head", "approve"),
    ]
    assert [a for a, _ in audit_actions(req)] == [
        "approvals.request.submitted",
        "approvals.request.level_approved",
        "approvals.request.returned",
        "approvals.request.resubmitted",
        "approvals.request.level_approved",
        "approvals.request.approved",
    ]


def test_first_level_cannot_be_returned_and_waits_for_a_handler(personas: Any) -> None:
    # The office clerk puts a housing penalty on the route; 承办 is the housing officer's.
    req = approval_submit(
        route_kind="case_filing",
        subject=personas.dept("housing"),
        department=personas.dept("housing"),
        title="某房建项目转包立案",
        actor=personas.office_clerk,
    )
    assert req.current_level.order == 1
    assert steps_of(req) == [(1, None, "", "office_clerk", "submit")]
    with pytest.raises(InvalidTransition):
        approval_decide(
            request=req, actor=personas.housing_officer, decision="return", opinion="退回"
        )
    approval_decide(request=req, actor=personas.housing_officer, decision="approve", level=1)
    req.refresh_from_db()
    assert req.current_level.order == 2


def test_withdraw(personas: Any) -> None:
    req = _complaint_decision(personas)
    with pytest.raises(PermissionDenied):
        approval_withdraw(request=req, actor=personas.section_head, reason="不需要了")
    with pytest.raises(DomainError):
        approval_withdraw(request=req, actor=personas.office_clerk, reason="")
    approval_withdraw(request=req, actor=personas.office_clerk, reason="投诉人撤回投诉")
    req.refresh_from_db()
    assert req.status == RequestStatus.WITHDRAWN and req.closed_at is not None
    assert steps_of(req)[-1] == (1, 2, "review", "office_clerk", "withdraw")
    assert audit_actions(req)[-1] == ("approvals.request.withdrawn", "office_clerk")
    with pytest.raises(InvalidTransition):
        approval_withdraw(request=req, actor=personas.office_clerk, reason="再次撤回")


def test_one_open_request_per_subject_and_route(personas: Any) -> None:
    _complaint_decision(personas)
    with pytest.raises(DomainError):
        _complaint_decision(personas)
    # Another route for the same subject is independent.
    approval_submit(
        route_kind="complaint_acceptance",
        subject=personas.dept("water"),
        department=personas.dept("office"),
        title="受理审查",
        actor=personas.office_clerk,
    )


def test_unknown_route_and_readers_cannot_submit(personas: Any) -> None:
    with pytest.raises(DomainError):
        approval_submit(
            route_kind="no_such_route",
            subject=personas.dept("water"),
            department=personas.dept("office"),
            title="x",
            actor=personas.office_clerk,
        )
    with pytest.raises(PermissionDenied):
        approval_submit(
            route_kind="complaint_decision",
            subject=personas.dept("water"),
            department=personas.dept("office"),
            title="x",
            actor=personas.auditor,
        )
    # A department officer submits only for their own department.
    with pytest.raises(PermissionDenied):
        approval_submit(
            route_kind="penalty_decision",
            subject=personas.dept("transport"),
            department=personas.dept("transport"),
            title="x",
            actor=personas.housing_officer,
        )


def _penalty_at_final_level(personas: Any, *, major: bool) -> ApprovalRequest:
    req = approval_submit(
        route_kind="penalty_decision",
        subject=personas.dept("finance"),
        department=personas.dept("office"),
        title="某政府采购项目围标串标行政处罚决定",
        actor=personas.office_clerk,
        major=major,
    )
    approval_decide(
        request=req, actor=personas.section_head, decision="approve", opinion="审核同意"
    )
    approval_decide(
        request=req, actor=personas.deputy_head, decision="approve", opinion="法制审核通过"
    )
    req.refresh_from_db()
    assert req.current_level.stage == "approval"
    return req


def test_major_case_needs_a_collective_discussion_with_enough_leaders(personas: Any) -> None:
    req = _penalty_at_final_level(personas, major=True)
    with pytest.raises(DomainError) as exc:
        approval_decide(request=req, actor=personas.principal_head, decision="approve")
    assert "集体讨论" in str(exc.value)

    held = timezone.now() - dt.timedelta(hours=1)
    # Two leaders are not a collective discussion at this level (min_attendees = 3); the clerk
    # may attend to report but does not count.
    with pytest.raises(DomainError) as exc:
        approval_record_discussion(
            request=req,
            actor=personas.office_clerk,
            held_at=held,
            attendees=[personas.principal_head, personas.deputy_head, personas.office_clerk],
            minutes="承办人汇报案情，与会领导讨论。",
            conclusion="同意给予罚款处罚",
        )
    assert "3" in str(exc.value)
    with pytest.raises(DomainError):
        approval_record_discussion(
            request=req,
            actor=personas.office_clerk,
            held_at=timezone.now() + dt.timedelta(days=1),
            attendees=[personas.principal_head, personas.deputy_head, personas.section_head],
            minutes="m",
            conclusion="c",
        )
    # Someone who neither signs this level nor keeps the office's minutes may not record it.
    with pytest.raises((NotFound, PermissionDenied)):
        approval_record_discussion(
            request=req,
            actor=personas.housing_officer,
            held_at=held,
            attendees=[personas.principal_head, personas.deputy_head, personas.section_head],
            minutes="m",
            conclusion="c",
        )
    assert not CollectiveDiscussion.objects.exists()
    with pytest.raises(DomainError):
        approval_decide(request=req, actor=personas.principal_head, decision="approve")

    discussion = approval_record_discussion(
        request=req,
        actor=personas.office_clerk,
        held_at=held,
        attendees=[
            personas.principal_head,
            personas.deputy_head,
            personas.section_head,
            personas.office_clerk,
        ],
        minutes="承办人汇报案情，法制审核意见，与会领导逐一发表意见。",
        conclusion="同意给予罚款处罚",
    )
    assert discussion.leaders_present == 3
    assert discussion.attendees.count() == 4
    approval_decide(
        request=req, actor=personas.principal_head, decision="approve", opinion="经集体讨论决定"
    )
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED
    assert [a for a, _ in audit_actions(req)] == [
        "approvals.request.submitted",
        "approvals.request.level_approved",
        "approvals.request.level_approved",
        "approvals.discussion.recorded",
        "approvals.request.approved",
    ]


def test_ordinary_penalty_needs_no_discussion(personas: Any) -> None:
    req = _penalty_at_final_level(personas, major=False)
    with pytest.raises(DomainError):
        approval_record_discussion(
            request=req,
            actor=personas.office_clerk,
            held_at=timezone.now(),
            attendees=[personas.principal_head, personas.deputy_head, personas.section_head],
            minutes="m",
            conclusion="c",
        )
    approval_decide(request=req, actor=personas.principal_head, decision="approve")
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED
    # 法制审核 and 审核 were signed by different people (行政处罚法 第五十八条).
    assert [s[2:4] for s in steps_of(req)] == [
        ("handling", "office_clerk"),
        ("review", "section_head"),
        ("legal_review", "deputy_head"),
        ("approval", "principal_head"),
    ]


def test_ensure_approved_refuses_until_the_last_level(personas: Any) -> None:
    subject = personas.dept("agriculture")
    with pytest.raises(DomainError) as exc:
        ensure_approved(subject=subject, route_kind="complaint_decision")
    assert exc.value.code == "not_approved"
    req = _complaint_decision(personas, subject=subject)
    with pytest.raises(DomainError):
        ensure_approved(subject=subject, route_kind="complaint_decision")
    approval_decide(request=req, actor=personas.section_head, decision="approve")
    with pytest.raises(DomainError) as exc:
        ensure_approved(subject=subject, route_kind="complaint_decision")
    assert "审批" in str(exc.value)
    approval_decide(request=req, actor=personas.principal_head, decision="approve")
    assert ensure_approved(subject=subject, route_kind="complaint_decision").pk == req.pk
    # Approval on one route says nothing about another.
    with pytest.raises(DomainError):
        ensure_approved(subject=subject, route_kind="penalty_decision")
