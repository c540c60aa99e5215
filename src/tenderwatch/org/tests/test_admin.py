"""The admin for master data: pages open, and a change leaves an audit entry (no password hash)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tenderwatch.audit.models import AuditEntry
from tenderwatch.org.models import (
    AuthorityRule,
    CoordinationDecision,
    Department,
    LeadingGroup,
    Officer,
    User,
)
from tenderwatch.org.testing import make_officer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model", [Department, User, LeadingGroup, AuthorityRule, Officer, CoordinationDecision]
)
def test_admin_lists_open(client, district, personas, model) -> None:
    client.force_login(personas.admin)
    url = reverse(f"admin:org_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200


def test_admin_change_pages_open(client, district, personas) -> None:
    client.force_login(personas.admin)
    officer = make_officer("测试甲", Department.objects.get(code="housing"), "TEST-0001")
    for obj in (personas.housing_officer, LeadingGroup.objects.get(), officer):
        url = reverse(f"admin:org_{obj._meta.model_name}_change", args=[obj.pk])
        assert client.get(url).status_code == 200, url


def test_editing_a_user_in_the_admin_is_audited_without_the_password(client, personas) -> None:
    client.force_login(personas.admin)
    user = personas.housing_officer
    url = reverse("admin:org_user_change", args=[user.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "username": user.username,
            "full_name": "张伟（改）",
            "department": user.department_id,
            "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
            "groups": [],
            "user_permissions": [],
            "role_assignments-TOTAL_FORMS": "0",
            "role_assignments-INITIAL_FORMS": "0",
        }
    )
    data.pop("last_login", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditEntry.objects.get(action="org.user.changed")
    assert entry.after["full_name"] == "张伟（改）"
    assert "password" not in entry.after and "password" not in entry.before
