"""Who on the staff is told about a matter: the office staff, the office's leaders, the handling
department's people (their current role assignments)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tenderwatch.complaints.permissions import HANDLER_ROLES
from tenderwatch.core import timeutil
from tenderwatch.org.models import Department, Role, RoleAssignment, User
from tenderwatch.org.selectors import office


def _holders(roles: Iterable[str], departments: Iterable[int], *, min_level: int = 0) -> list[Any]:
    today = timeutil.china_date()
    users: dict[int, Any] = {}
    for ra in RoleAssignment.objects.filter(
        role__in=list(roles), department__in=list(departments), user__is_active=True
    ).select_related("user"):
        if not ra.is_current(today):
            continue
        if min_level and (ra.approval_level or 0) < min_level:
            continue
        users[ra.user_id] = ra.user
    return sorted(users.values(), key=lambda u: u.pk)


def office_staff() -> list[User]:
    the_office = office()
    return _holders([Role.OFFICE_STAFF], [the_office.pk]) if the_office else []


def office_leaders(*, min_level: int = 1) -> list[User]:
    the_office = office()
    if the_office is None:
        return []
    return _holders([Role.LEADER], [the_office.pk], min_level=min_level)


def department_staff(department: Department | None) -> list[User]:
    """Who handles the department's matters (for the office: its staff)."""
    if department is None:
        return office_staff()
    if department.is_office:
        return office_staff()
    return _holders([Role.DEPARTMENT_OFFICER], [department.pk])


def eligible_officers(department: Department | None) -> list[User]:
    """Who may be put on a matter's investigation: the handling department's officers,
    enforcement officers and leaders (for the office: its staff and leaders)."""
    if department is None:
        return []
    roles = [*HANDLER_ROLES, Role.OFFICE_STAFF] if department.is_office else list(HANDLER_ROLES)
    return _holders(roles, [department.pk])
