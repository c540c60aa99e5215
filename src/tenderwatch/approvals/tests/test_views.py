"""The inbox and request pages, driven through Django's test client."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tenderwatch.approvals.models import ApprovalRequest, CollectiveDiscussion, RequestStatus
from tenderwatch.approvals.services import approval_decide, approval_submit
from tenderwatch.approvals.tests.conftest import audit_actions, steps_of
from tenderwatch.web import nav

pytestmark = pytest.mark.usefixtures("routes")


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def office_request(personas: Any) -> ApprovalRequest:
    return approval_submit(
        route_kind="complaint_decision",
        subject=personas.dept("water"),
        department=personas.dept("office"),
        title="关于某水利工程投诉的处理决定",
        actor=personas.office_clerk,
        opinion="拟驳回投诉",
    )


def test_inbox_lists_what_waits_for_the_user(personas: Any, office_request: Any) -> None:
    url = reverse("approvals:inbox")
    assert url == "/approvals/"
    page = _client(personas.section_head).get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "关于某水利工程投诉的处理决定" in text
    assert reverse("approvals:detail", args=[office_request.pk]) in text
    # The submitter sees it among their own, not as something to sign.
    page = _client(personas.office_clerk).get(url)
    assert page.status_code == 200
    assert [r.pk for r in page.context["waiting"]] == []
    assert [r.pk for r in page.context["submitted"]] == [office_request.pk]
    # Another department's officer has nothing here.
    page = _client(personas.housing_officer).get(url)
    assert "关于某水利工程投诉的处理决定" not in page.content.decode()
    # People with no part in approvals are refused the page.
    assert _client(personas.discipline_liaison).get(url).status_code == 403


def test_nav_item_is_registered(personas: Any) -> None:
    assert "approvals:inbox" in [i.url_name for i in nav.items_for(personas.section_head)]
    assert "approvals:inbox" not in [i.url_name for i in nav.items_for(personas.discipline_liaison)]


def test_detail_shows_levels_steps_and_the_decide_form(personas: Any, office_request: Any) -> None:
    url = reverse("approvals:detail", args=[office_request.pk])
    page = _client(personas.section_head).get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "拟驳回投诉" in text  # the 承办 opinion
    assert "王晓明" in text  # who signed 承办
    assert [row["level"].stage for row in page.context["level_rows"]] == [
        "handling",
        "review",
        "approval",
    ]
    assert [row["current"] for row in page.context["level_rows"]] == [False, True, False]
    assert page.context["may_decide"] is True
    assert reverse("approvals:decide", args=[office_request.pk]) in text
    # The clerk sees the page but no decide form.
    page = _client(personas.office_clerk).get(url)
    assert page.status_code == 200
    assert page.context["may_decide"] is False
    assert reverse("approvals:decide", args=[office_request.pk]) not in page.content.decode()
    # A housing officer may not know it exists.
    assert _client(personas.housing_officer).get(url).status_code == 404


def test_deciding_through_the_page(personas: Any, office_request: Any) -> None:
    decide = reverse("approvals:decide", args=[office_request.pk])
    response = _client(personas.section_head).post(
        decide, {"decision": "approve", "opinion": "同意承办意见", "level": 2}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("approvals:detail", args=[office_request.pk])
    # A stale page (level 2 already signed) is refused, not applied to level 3.
    response = _client(personas.principal_head).post(
        decide, {"decision": "approve", "opinion": "", "level": 2}
    )
    assert response.status_code == 409
    assert response.context["error"]
    # The deputy does not hold the 审批 post.
    response = _client(personas.deputy_head).post(
        decide, {"decision": "approve", "opinion": "", "level": 3}
    )
    assert response.status_code == 403
    assert "主要负责人" in response.context["error"]
    # A return needs an opinion: the form comes back with the reason.
    response = _client(personas.principal_head).post(
        decide, {"decision": "return", "opinion": "", "level": 3}
    )
    assert response.status_code == 400
    response = _client(personas.principal_head).post(
        decide, {"decision": "approve", "opinion": "同意", "level": 3}
    )
    assert response.status_code == 302
    office_request.refresh_from_db()
    assert office_request.status == RequestStatus.APPROVED
    assert steps_of(office_request) == [
        (1, 1, "handling", "office_clerk", "approve"),
        (1, 2, "review", "section_head", "approve"),
        (1, 3, "approval", "principal_head", "approve"),
    ]
    assert [a for a, _ in audit_actions(office_request)] == [
        "approvals.request.submitted",
        "approvals.request.level_approved",
        "approvals.request.approved",
    ]
    # The page of a closed request offers no form.
    page = _client(personas.principal_head).get(
        reverse("approvals:detail", args=[office_request.pk])
    )
    assert page.context["may_decide"] is False


def test_outsiders_cannot_post(personas: Any, office_request: Any) -> None:
    decide = reverse("approvals:decide", args=[office_request.pk])
    response = _client(personas.housing_officer).post(
        decide, {"decision": "approve", "opinion": "", "level": 2}
    )
    assert response.status_code == 404
    assert _client(personas.section_head).get(decide).status_code == 405
    assert len(steps_of(office_request)) == 1


def test_return_resubmit_and_withdraw_through_the_page(personas: Any, office_request: Any) -> None:
    approval_decide(
        request=office_request, actor=personas.section_head, decision="return", opinion="补充证据"
    )
    page = _client(personas.office_clerk).get(reverse("approvals:inbox"))
    assert [r.pk for r in page.context["returned"]] == [office_request.pk]
    response = _client(personas.office_clerk).post(
        reverse("approvals:resubmit", args=[office_request.pk]), {"opinion": "已补充证据"}
    )
    assert response.status_code == 302
    office_request.refresh_from_db()
    assert (office_request.status, office_request.round) == (RequestStatus.PENDING, 2)
    response = _client(personas.office_clerk).post(
        reverse("approvals:withdraw", args=[office_request.pk]), {"reason": "投诉人撤回投诉"}
    )
    assert response.status_code == 302
    office_request.refresh_from_db()
    assert office_request.status == RequestStatus.WITHDRAWN


def test_collective_discussion_through_the_page(personas: Any) -> None:
    req = approval_submit(
        route_kind="penalty_decision",
        subject=personas.dept("finance"),
        department=personas.dept("office"),
        title="重大违法行为行政处罚决定",
        actor=personas.office_clerk,
        major=True,
    )
    approval_decide(request=req, actor=personas.section_head, decision="approve")
    approval_decide(request=req, actor=personas.deputy_head, decision="approve")
    detail = reverse("approvals:detail", args=[req.pk])
    page = _client(personas.principal_head).get(detail)
    assert page.context["may_discuss"] is True
    assert reverse("approvals:discussion", args=[req.pk]) in page.content.decode()
    response = _client(personas.principal_head).post(
        reverse("approvals:decide", args=[req.pk]), {"decision": "approve", "level": 4}
    )
    assert response.status_code == 400
    assert "集体讨论" in response.context["error"]
    leaders = [personas.section_head.pk, personas.deputy_head.pk, personas.principal_head.pk]
    response = _client(personas.office_clerk).post(
        reverse("approvals:discussion", args=[req.pk]),
        {
            "held_at": "2020-01-06T15:00",
            "attendees": leaders,
            "minutes": "承办人汇报，领导逐一发表意见。",
            "conclusion": "同意处罚",
        },
    )
    assert response.status_code == 302
    discussion = CollectiveDiscussion.objects.get(request=req)
    assert discussion.leaders_present == 3
    page = _client(personas.principal_head).get(detail)
    assert "承办人汇报，领导逐一发表意见。" in page.content.decode()
    response = _client(personas.principal_head).post(
        reverse("approvals:decide", args=[req.pk]),
        {"decision": "approve", "opinion": "经集体讨论决定", "level": 4},
    )
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == RequestStatus.APPROVED
