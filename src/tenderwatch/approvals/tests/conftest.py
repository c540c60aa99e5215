"""Fixtures for approvals: the default routes loaded, and a helper to read what was recorded."""

from __future__ import annotations

from typing import Any

import pytest

from tenderwatch.approvals.defaults import DEFAULT_ROUTES
from tenderwatch.approvals.models import ApprovalRequest
from tenderwatch.approvals.services import routes_load
from tenderwatch.audit.models import AuditEntry
from tenderwatch.org.models import Role
from tenderwatch.org.testing import make_user


@pytest.fixture
def routes(personas: Any) -> None:
    routes_load(routes=DEFAULT_ROUTES, actor=personas.admin)


@pytest.fixture
def transport_leaders(personas: Any) -> dict[str, Any]:
    """Leaders of the transport department (局领导 of 交通运输局), levels 1 to 3."""
    transport = personas.dept("transport")
    return {
        "section": make_user("transport_section", "钱进", transport, [(Role.LEADER, transport, 1)]),
        "deputy": make_user("transport_deputy", "冯云", transport, [(Role.LEADER, transport, 2)]),
        "principal": make_user("transport_head", "韩冰", transport, [(Role.LEADER, transport, 3)]),
    }


def steps_of(request: ApprovalRequest) -> list[tuple[int, int | None, str, str, str]]:
    """(round, level order, stage, approver, decision) of each step, in order."""
    return [
        (s.round, s.level_order, s.stage, s.approver.username, s.decision)
        for s in request.steps.select_related("approver").order_by("decided_at", "id")
    ]


def audit_actions(request: ApprovalRequest) -> list[tuple[str, str]]:
    return list(
        AuditEntry.objects.filter(
            object_type="approvals.approvalrequest", object_id=str(request.pk)
        )
        .order_by("seq")
        .values_list("action", "actor_name")
    )
