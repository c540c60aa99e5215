"""`tenderwatch demo --no-serve`: prepares everything, prints logins that each reach a home."""

from __future__ import annotations

import dataclasses
import io
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from tenderwatch.audit import services as audit
from tenderwatch.audit.models import AuditEntry
from tenderwatch.org.models import Department, Role, RoleAssignment, User
from tenderwatch.org.testing import PASSWORD, Personas
from tenderwatch.web import homes
from tenderwatch.web.management.commands.demo import DEMO_USERS


def _run_demo() -> str:
    out = io.StringIO()
    call_command("demo", "--no-serve", stdout=out)
    return out.getvalue()


def test_demo_users_are_the_test_personas() -> None:
    assert [u.username for u in DEMO_USERS] == [f.name for f in dataclasses.fields(Personas)]


@pytest.mark.django_db(transaction=True)
def test_demo_prints_logins_that_each_reach_their_home() -> None:
    output = _run_demo()
    assert "http://127.0.0.1:8000/" in output
    names = {u.username for u in DEMO_USERS}
    rows = [re.split(r"\s{2,}", line.strip()) for line in output.splitlines()]
    logins = {row[0]: row[1:] for row in rows if row and row[0] in names}
    assert set(logins) == names
    labels = dict(Role.choices)
    assert logins["seconded_officer"][1] == "、".join(
        str(labels[r]) for r in (Role.OFFICE_STAFF, Role.DEPARTMENT_OFFICER)
    )
    assert logins["section_head"][1:] == [str(labels[Role.LEADER]), "赵磊"]
    for spec in DEMO_USERS:
        password = logins[spec.username][0]
        assert password == PASSWORD
        client = Client()
        response = client.post(
            "/login/", {"username": spec.username, "password": password}, follow=True
        )
        user = User.objects.get(username=spec.username)
        heading = homes.HEADINGS[homes.primary_role(user)]  # type: ignore[index]
        assert f"<h1>{heading}</h1>" in response.content.decode(), spec.username

    # The district configuration was loaded, and every demo write left an audit entry.
    assert Department.objects.filter(code="office").exists()
    assert Department.objects.count() > 7
    created = AuditEntry.objects.filter(action="org.user.created", note="demo setup")
    assert created.count() == len(DEMO_USERS)
    assert AuditEntry.objects.filter(action="org.role.assigned", note="demo setup").count() == (
        RoleAssignment.objects.count()
    )
    assert all(e.actor_name == "system:cli" for e in created)
    assert "password" not in str(created.first().after)  # type: ignore[union-attr]
    assert audit.verify().ok


@pytest.mark.django_db(transaction=True)
def test_demo_is_idempotent() -> None:
    _run_demo()
    users, entries = User.objects.count(), AuditEntry.objects.count()
    admin = User.objects.get(username="admin")
    admin.full_name = "改过的名字"
    admin.save()
    output = _run_demo()
    assert "新建 0 个，已有 11 个" in output
    assert User.objects.count() == users
    # Nothing new but the setup's own idempotent run: no user or role entries added.
    assert not AuditEntry.objects.filter(seq__gt=entries, action__startswith="org.user").exists()
    assert not AuditEntry.objects.filter(seq__gt=entries, action="org.role.assigned").exists()
    assert User.objects.get(username="admin").full_name == "改过的名字"  # left as it was


@pytest.mark.django_db(transaction=True)
def test_demo_enforcement_officer_has_a_certificate() -> None:
    from django.apps import apps

    try:
        officer_model = apps.get_model("org", "Officer")
    except LookupError:
        pytest.skip("the officer pool is not in the org app yet")
    _run_demo()
    officer = officer_model.objects.get(user__username="enforcement_officer")
    client = Client()
    client.post("/login/", {"username": "enforcement_officer", "password": PASSWORD})
    html = client.get("/").content.decode()
    assert officer.certificate_number in html and "执法证有效" in html


def test_personas_fixture_and_demo_agree_on_roles(personas: Any) -> None:
    for spec in DEMO_USERS:
        user = getattr(personas, spec.username)
        held = set(user.role_assignments.values_list("role", "department__code", "approval_level"))
        assert held == set(spec.roles), spec.username
        assert user.department.code == spec.home
        assert user.is_superuser is spec.superuser
