"""`tenderwatch demo --no-serve`: prepares everything, prints logins that each reach a home."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from tenderwatch.audit import services as audit
from tenderwatch.audit.models import AuditEntry
from tenderwatch.generator.model import SOURCE
from tenderwatch.ledger.models import Lot, ProcedureEvent, Project
from tenderwatch.org.models import Department, Officer, Role, RoleAssignment, User
from tenderwatch.org.testing import PASSWORD, Personas
from tenderwatch.web import homes
from tenderwatch.web.management.commands.demo import DEMO_USERS


def _run_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", "--no-serve", *args, stdout=out, stderr=io.StringIO())
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

    # The ledger holds the generated district: projects with their timelines, and a label
    # file that names, for every injected violation, a project (and lot) that is stored.
    generated = Project.objects.filter(source=SOURCE)
    assert generated.count() > 500
    assert ProcedureEvent.objects.filter(project__source=SOURCE).count() > 5 * generated.count()
    labels = [
        json.loads(line)
        for line in (Path(settings.VAR_DIR) / "generated" / "labels.jsonl").open(encoding="utf-8")
    ]
    assert len({label["code"] for label in labels}) >= 10
    stored = {
        (p, lot)
        for p, lot in Lot.objects.filter(project__source=SOURCE).values_list(
            "project__external_id", "external_id"
        )
    }
    projects = {p for p, _lot in stored}
    for label in labels:
        assert label["project_external_id"] in projects, label
        if label["lot_external_id"]:
            assert (label["project_external_id"], label["lot_external_id"]) in stored, label


@pytest.mark.django_db(transaction=True)
def test_demo_is_idempotent() -> None:
    _run_demo()
    projects = Project.objects.count()
    users, entries = User.objects.count(), AuditEntry.objects.count()
    admin = User.objects.get(username="admin")
    admin.full_name = "改过的名字"
    admin.save()
    output = _run_demo()
    assert "新建 0 个，已有 11 个" in output
    assert User.objects.count() == users
    assert f"已有生成的项目：{projects} 个" in output
    assert Project.objects.count() == projects
    # Nothing new but the setup's own idempotent run: no user or role entries added.
    assert not AuditEntry.objects.filter(seq__gt=entries, action__startswith="org.user").exists()
    assert not AuditEntry.objects.filter(seq__gt=entries, action="org.role.assigned").exists()
    assert User.objects.get(username="admin").full_name == "改过的名字"  # left as it was


@pytest.mark.django_db(transaction=True)
def test_demo_enforcement_officer_has_a_certificate() -> None:
    _run_demo("--no-data")
    officer = Officer.objects.get(user__username="enforcement_officer")
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
