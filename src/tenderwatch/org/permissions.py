"""Who may see and change the organisation's master data. Registered from `OrgConfig.ready()`.

Departments, the leading group and the authority list are shared with every staff role
(互联共享); the officer roster with the roles that draw on it. Changes are the office's
(领导小组办公室) and the administrator's; auditors read and change nothing.
"""

from __future__ import annotations

from typing import Any

from tenderwatch.org.models import CoordinationDecision, Officer, Role
from tenderwatch.org.scoping import Scope, has_any_role, register, shared

OFFICE_OR_ADMIN = (Role.OFFICE_STAFF, Role.ADMINISTRATOR)
ROSTER_READERS = (
    Role.OFFICE_STAFF,
    Role.DEPARTMENT_OFFICER,
    Role.LEADER,
    Role.ENFORCEMENT_OFFICER,
    Role.AUDITOR,
    Role.ADMINISTRATOR,
)


def _may_view_coordination(scope: Scope, obj: Any = None) -> bool:
    """The office, auditors and administrators see every decision; a department sees those
    naming it, as the department decided or as one found competent."""
    if scope.reads_everything:
        return True
    if obj is None:
        return scope.has_role(Role.DEPARTMENT_OFFICER, Role.LEADER)
    if not isinstance(obj, CoordinationDecision):
        return False
    mine = scope.departments(Role.DEPARTMENT_OFFICER, Role.LEADER)
    if obj.department_id in mine:
        return True
    return obj.candidates.filter(pk__in=mine).exists()


def _office_staff_in_person(scope: Scope, obj: Any = None) -> bool:
    """Holds the office staff role itself: a superuser account is no member of the office."""
    return Role.OFFICE_STAFF in scope.roles


def _may_see_officer_contact(scope: Scope, obj: Any = None) -> bool:
    """An officer's phone number: the office, auditors, administrators and the officer's own
    department (personal information is shared only with those who dispatch or manage)."""
    if scope.reads_everything:
        return True
    if not isinstance(obj, Officer):
        return False
    return obj.department_id in scope.departments(Role.DEPARTMENT_OFFICER, Role.LEADER)


register(
    {
        "org.view": shared(),
        # Loading a district's configuration replaces master data wholesale.
        "org.setup": has_any_role(Role.ADMINISTRATOR),
        "org.group.manage": has_any_role(*OFFICE_OR_ADMIN),
        "org.authority.manage": has_any_role(*OFFICE_OR_ADMIN),
        # 附件 领导小组办公室主要职责 四: the office coordinates disputes over competence.
        "org.coordination.decide": _office_staff_in_person,
        "org.coordination.view": _may_view_coordination,
        "org.roles.manage": has_any_role(Role.ADMINISTRATOR),
        "org.officer.view": has_any_role(*ROSTER_READERS),
        "org.officer.contact": _may_see_officer_contact,
        "org.officer.export": has_any_role(*ROSTER_READERS),
        # 四(二)1: the office keeps the officer pool (执法人员信息库).
        "org.officer.import": has_any_role(*OFFICE_OR_ADMIN),
        "org.officer.manage": has_any_role(*OFFICE_OR_ADMIN),
    }
)
