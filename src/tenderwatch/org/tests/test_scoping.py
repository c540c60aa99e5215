"""The one scoping helper: roles by department, seconded officers, expiry, read-only auditors,
department filters, and "not found" for what a user may not see (DESIGN.md, Visibility)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser, Group

from tenderwatch.audit.models import AuditEntry
from tenderwatch.core.errors import DomainError, NotFound, PermissionDenied
from tenderwatch.org import selectors, services
from tenderwatch.org.models import Department, Officer, Role, RoleAssignment
from tenderwatch.org.scoping import (
    can,
    ensure_allowed,
    ensure_visible,
    register,
    scope_of,
    scoped_to_department,
    shared,
    writer,
)
from tenderwatch.org.testing import make_officer, make_user

pytestmark = pytest.mark.django_db
CHINA = ZoneInfo("Asia/Shanghai")

# Predicates a later app would register: a scoped record type and a shared one.
register(
    {
        "test_scoping.case.view": scoped_to_department(Role.DEPARTMENT_OFFICER, Role.LEADER),
        "test_scoping.case.edit": writer(scoped_to_department(Role.DEPARTMENT_OFFICER)),
        "test_scoping.ledger.view": shared(),
    }
)


class Case:
    """A stand-in for a scoped record (a complaint, a case) of one department."""

    def __init__(self, department: Department) -> None:
        self.department_id = department.pk


def test_a_seconded_officer_holds_both_roles(personas) -> None:
    scope = scope_of(personas.seconded_officer)
    housing, office = personas.dept("housing"), personas.dept("office")
    assert scope.roles == {Role.DEPARTMENT_OFFICER, Role.OFFICE_STAFF}
    assert scope.departments(Role.DEPARTMENT_OFFICER) == {housing.pk}
    assert scope.departments(Role.OFFICE_STAFF) == {office.pk}
    assert scope.is_office and scope.reads_everything and not scope.is_read_only
    assert scope.acts_for(housing.pk, Role.DEPARTMENT_OFFICER)
    assert not scope.acts_for(office.pk, Role.DEPARTMENT_OFFICER)
    assert scope.acts_for(office.pk)
    # sees what is scoped to other departments, as the office does
    transport_case = Case(personas.dept("transport"))
    assert can(personas.seconded_officer, "test_scoping.case.view", transport_case)
    assert not can(personas.housing_officer, "test_scoping.case.view", transport_case)
    assert can(personas.seconded_officer, "org.coordination.decide")
    assert can(personas.seconded_officer, "org.authority.manage")
    assert not can(personas.housing_officer, "org.authority.manage")


def test_a_seconded_officer_sees_office_scoped_coordination_decisions(district, personas) -> None:
    decision = services.coordination_decide(
        matter=Group.objects.create(name="举报 JB-0001（测试）"),
        industry="transport",
        matter_type="tip_off",
        department=Department.objects.get(code="transport"),
        reason="测试",
        actor=personas.office_clerk,
    )
    assert selectors.coordination_decision_get(user=personas.seconded_officer, pk=decision.pk)
    with pytest.raises(NotFound):
        selectors.coordination_decision_get(user=personas.housing_officer, pk=decision.pk)


def test_expired_and_future_role_assignments_do_not_count(personas) -> None:
    transport = personas.dept("transport")
    user = make_user("temp_officer", "临时", transport, [])
    RoleAssignment.objects.create(
        user=user,
        role=Role.DEPARTMENT_OFFICER,
        department=transport,
        valid_from=dt.date(2026, 1, 1),
        valid_to=dt.date(2026, 6, 30),
    )
    RoleAssignment.objects.create(
        user=user,
        role=Role.OFFICE_STAFF,
        department=personas.dept("office"),
        valid_from=dt.date(2026, 7, 1),
    )
    with time_machine.travel(dt.datetime(2026, 6, 30, 23, 0, tzinfo=CHINA), tick=False):
        assert scope_of(user).roles == {Role.DEPARTMENT_OFFICER}
        assert can(user, "test_scoping.case.view", Case(transport))
    # the cached scope is for one China day: the next day is computed afresh
    with time_machine.travel(dt.datetime(2026, 7, 1, 0, 30, tzinfo=CHINA), tick=False):
        assert scope_of(user).roles == {Role.OFFICE_STAFF}
    with time_machine.travel(dt.datetime(2025, 12, 31, 12, 0, tzinfo=CHINA), tick=False):
        assert scope_of(user).roles == frozenset()
        assert not can(user, "org.view")


def test_the_auditor_reads_everything_and_changes_nothing(district, personas) -> None:
    auditor = personas.auditor
    scope = scope_of(auditor)
    assert scope.is_read_only and scope.reads_everything
    assert can(auditor, "test_scoping.case.view", Case(personas.dept("transport")))
    assert not can(auditor, "test_scoping.case.edit", Case(personas.dept("transport")))
    assert can(auditor, "org.view") and can(auditor, "org.officer.view")
    for permission in (
        "org.authority.manage",
        "org.group.manage",
        "org.officer.import",
        "org.coordination.decide",
        "org.roles.manage",
    ):
        assert not can(auditor, permission), permission
    # an auditor who also holds another role is not read-only
    RoleAssignment.objects.create(
        user=auditor, role=Role.OFFICE_STAFF, department=personas.dept("office")
    )
    auditor = type(auditor).objects.get(pk=auditor.pk)
    assert not scope_of(auditor).is_read_only


def test_the_department_filter_limits_scoped_records(district, personas) -> None:
    housing = Department.objects.get(code="housing")
    transport = Department.objects.get(code="transport")
    make_officer("测试甲", housing, "TEST-0001")
    make_officer("测试乙", transport, "TEST-0002")

    def names(user) -> set[str]:
        return set(
            Officer.objects.filter(scope_of(user).department_filter()).values_list(
                "name", flat=True
            )
        )

    assert names(personas.housing_officer) == {"测试甲"}
    assert names(personas.transport_officer) == {"测试乙"}
    assert names(personas.enforcement_officer) == {"测试甲"}
    assert names(personas.discipline_liaison) == set()
    assert names(personas.office_clerk) == names(personas.auditor) == {"测试甲", "测试乙"}


def test_object_level_denial_answers_not_found(personas) -> None:
    transport_case = Case(personas.dept("transport"))
    with pytest.raises(NotFound):
        ensure_visible(personas.housing_officer, "test_scoping.case.view", transport_case)
    ensure_visible(personas.transport_officer, "test_scoping.case.view", transport_case)
    with pytest.raises(NotFound):
        ensure_allowed(
            personas.housing_officer, "test_scoping.case.edit", transport_case, visible=False
        )
    # one the user may see but not change: permission denied, not "not found"
    with pytest.raises(PermissionDenied):
        ensure_allowed(personas.auditor, "test_scoping.case.edit", transport_case, visible=True)


def test_shared_reads_are_for_every_staff_role_only(personas) -> None:
    for name in (
        "office_clerk",
        "housing_officer",
        "enforcement_officer",
        "section_head",
        "discipline_liaison",
        "auditor",
    ):
        assert can(getattr(personas, name), "test_scoping.ledger.view"), name
    assert not can(AnonymousUser(), "test_scoping.ledger.view")
    nobody = make_user("no_roles", "无角色", personas.dept("housing"), [])
    assert not can(nobody, "test_scoping.ledger.view")


def test_the_roster_phone_number_is_scoped(district, personas) -> None:
    officer = make_officer("测试甲", Department.objects.get(code="housing"), "TEST-0001")
    assert can(personas.housing_officer, "org.officer.contact", officer)
    assert can(personas.office_clerk, "org.officer.contact", officer)
    assert not can(personas.transport_officer, "org.officer.contact", officer)
    assert can(personas.transport_officer, "org.officer.view")


def test_seconding_and_revoking_through_services(district, personas) -> None:
    officer = personas.transport_officer
    assert not scope_of(officer).is_office
    assignment = services.role_second_to_office(user=officer, actor=personas.admin)
    assert scope_of(officer).roles == {Role.DEPARTMENT_OFFICER, Role.OFFICE_STAFF}
    assert assignment.department.code == "office"
    assert AuditEntry.objects.get(action="org.role.assigned").object_id == str(assignment.pk)

    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, tzinfo=CHINA), tick=False):
        services.role_revoke(assignment=assignment, actor=personas.admin, note="借调结束")
        assert not scope_of(officer).is_office
        assignment.refresh_from_db()
        assert assignment.valid_to == dt.date(2026, 11, 30)
    entry = AuditEntry.objects.get(action="org.role.revoked")
    assert entry.note == "借调结束" and entry.after["valid_to"] == "2026-11-30"


def test_only_an_administrator_assigns_roles(district, personas) -> None:
    with pytest.raises(PermissionDenied):
        services.role_second_to_office(user=personas.housing_officer, actor=personas.office_clerk)
    with pytest.raises(PermissionDenied):
        services.role_assign(
            user=personas.housing_officer,
            role=Role.AUDITOR,
            department=personas.dept("office"),
            actor=personas.auditor,
        )
    assert not scope_of(personas.housing_officer).is_office


def test_role_assignment_rules(district, personas) -> None:
    with pytest.raises(DomainError):  # a leader needs an approval level
        services.role_assign(
            user=personas.housing_officer,
            role=Role.LEADER,
            department=personas.dept("housing"),
            actor=personas.admin,
        )
    with pytest.raises(DomainError):  # only a department's officer can be seconded
        services.role_second_to_office(user=personas.auditor, actor=personas.admin)
    leader = services.role_assign(
        user=personas.housing_officer,
        role=Role.LEADER,
        department=personas.dept("housing"),
        actor=personas.admin,
        approval_level=2,
    )
    assert scope_of(personas.housing_officer).approval_level == 2
    assert leader.approval_level == 2
