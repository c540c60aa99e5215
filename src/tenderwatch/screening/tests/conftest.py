"""Fixtures for the warnings tests: personas with the district's authority list and approval
routes loaded, and projects of two industries (housing → 住建, transport → 交通运输)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from tenderwatch.audit.models import AuditEntry
from tenderwatch.core.timeutil import CHINA
from tenderwatch.ledger import testing
from tenderwatch.ledger.models import Project
from tenderwatch.org.models import Role
from tenderwatch.org.testing import load_district, make_user


@pytest.fixture
def district(personas: Any) -> Any:
    """The personas, with huangzhou's authority list and approval routes (DEFAULT_ROUTES)."""
    load_district(actor=personas.admin)
    return personas


@pytest.fixture
def housing_leader(district: Any) -> Any:
    """科室负责人 of the housing department (approval level 1)."""
    housing = district.dept("housing")
    return make_user("housing_section", "钱进", housing, [(Role.LEADER, housing, 1)])


@pytest.fixture
def housing_project(district: Any) -> Project:
    return testing.build_project(
        name="黄州区赤壁片区老旧小区改造工程",
        industry="housing",
        estimated_amount=Decimal("4500000"),
        registered_at=dt.datetime(2026, 3, 2, 9, 30, tzinfo=CHINA),
        lots=1,
        seed=51,
    )


@pytest.fixture
def transport_project(district: Any) -> Project:
    return testing.build_project(
        name="黄州区东湖大道提档升级工程",
        industry="transport",
        estimated_amount=Decimal("12000000"),
        registered_at=dt.datetime(2026, 4, 6, 10, 0, tzinfo=CHINA),
        lots=1,
        seed=52,
    )


def audit_actions(obj: Any) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def history(warning: Any) -> list[tuple[str, str, str]]:
    return [
        (t.action, t.from_status, t.to_status) for t in warning.transitions.order_by("at", "id")
    ]
