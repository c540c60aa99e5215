"""Two leaders signing the same level at once: the row lock lets exactly one through."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from tenderwatch.approvals.defaults import DEFAULT_ROUTES
from tenderwatch.approvals.models import ApprovalStep
from tenderwatch.approvals.services import approval_decide, approval_submit, routes_load
from tenderwatch.core.errors import DomainError


@pytest.mark.django_db(transaction=True)
def test_one_signature_per_level_under_concurrency(personas: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL (SQLite serialises whole writes)")
    routes_load(routes=DEFAULT_ROUTES, actor=personas.admin)
    req = approval_submit(
        route_kind="complaint_decision",
        subject=personas.dept("water"),
        department=personas.dept("office"),
        title="并发签批",
        actor=personas.office_clerk,
    )
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def sign(user: Any) -> None:
        from django.db import connections

        try:
            barrier.wait(timeout=10)
            approval_decide(request=req, actor=user, decision="approve", level=2)
            outcomes[user.username] = "signed"
        except DomainError as exc:
            outcomes[user.username] = type(exc).__name__
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=sign, args=(u,))
        for u in (personas.section_head, personas.deputy_head)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes.values()) == ["InvalidTransition", "signed"]
    assert ApprovalStep.objects.filter(request=req, level_order=2).count() == 1
