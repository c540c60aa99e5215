"""What each persona finds waiting, and what they may see at all."""

from __future__ import annotations

from typing import Any

import pytest

from tenderwatch.approvals.selectors import (
    history_for,
    inbox_for,
    requests_visible_to,
    returned_to,
)
from tenderwatch.approvals.services import approval_decide, approval_submit

pytestmark = pytest.mark.usefixtures("routes")


def _inbox(user: Any) -> set[str]:
    return set(inbox_for(user).values_list("title", flat=True))


def test_the_inbox_shows_the_right_things_to_the_right_persona(
    personas: Any, transport_leaders: Any
) -> None:
    office = approval_submit(
        route_kind="complaint_decision",
        subject=personas.dept("water"),
        department=personas.dept("office"),
        title="办公室自办投诉处理决定",
        actor=personas.office_clerk,
    )
    transport = approval_submit(
        route_kind="penalty_decision",
        subject=personas.dept("transport"),
        department=personas.dept("transport"),
        title="交通运输局行政处罚决定",
        actor=personas.transport_officer,
    )
    housing = approval_submit(
        route_kind="case_filing",
        subject=personas.dept("housing"),
        department=personas.dept("housing"),
        title="住建局立案审批",
        actor=personas.office_clerk,  # 承办 belongs to the housing department's officers
    )
    # 审核 (level ≥ 1) of the office's request: every office leader may sign it.
    assert _inbox(personas.section_head) == {"办公室自办投诉处理决定"}
    assert _inbox(personas.deputy_head) == {"办公室自办投诉处理决定"}
    assert _inbox(personas.principal_head) == {"办公室自办投诉处理决定"}
    assert _inbox(transport_leaders["section"]) == {"交通运输局行政处罚决定"}
    assert _inbox(personas.housing_officer) == {"住建局立案审批"}
    assert _inbox(personas.seconded_officer) == {"住建局立案审批"}
    # The submitter waits for others; readers and outsiders have nothing to sign.
    for persona in ("office_clerk", "transport_officer", "auditor", "admin", "discipline_liaison"):
        assert _inbox(getattr(personas, persona)) == set(), persona

    approval_decide(request=office, actor=personas.section_head, decision="approve")
    assert _inbox(personas.section_head) == set()
    assert _inbox(personas.deputy_head) == set()  # 审批 needs the principal
    assert _inbox(personas.principal_head) == {"办公室自办投诉处理决定"}

    approval_decide(
        request=office, actor=personas.principal_head, decision="return", opinion="补正"
    )
    assert _inbox(personas.principal_head) == set()
    assert list(returned_to(personas.office_clerk)) == [office]

    # Visibility: each department sees its own; the office and auditors see all.
    def visible(user: Any) -> set[int]:
        return set(requests_visible_to(user).values_list("pk", flat=True))

    assert visible(personas.housing_officer) == {housing.pk}
    assert visible(personas.transport_officer) == {transport.pk}
    assert visible(transport_leaders["principal"]) == {transport.pk}
    assert visible(personas.auditor) == {office.pk, transport.pk, housing.pk}
    assert visible(personas.office_clerk) == {office.pk, transport.pk, housing.pk}
    assert visible(personas.section_head) == {office.pk}
    assert visible(personas.discipline_liaison) == set()


def test_history_for_a_subject(personas: Any) -> None:
    subject = personas.dept("water")
    first = approval_submit(
        route_kind="complaint_acceptance",
        subject=subject,
        department=personas.dept("office"),
        title="受理审查",
        actor=personas.office_clerk,
    )
    approval_decide(request=first, actor=personas.section_head, decision="approve")
    second = approval_submit(
        route_kind="complaint_decision",
        subject=subject,
        department=personas.dept("office"),
        title="处理决定",
        actor=personas.office_clerk,
    )
    history = history_for(subject)
    assert [r.pk for r in history] == [first.pk, second.pk]
    assert [s.decision for s in history[0].steps.all()] == ["approve", "approve"]
    assert history_for(personas.dept("finance")) == []
