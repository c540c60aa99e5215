"""Who may read and handle warnings and edit the rules. Registered from `ScreeningConfig.ready()`.

DESIGN.md "Visibility": every supervisory department reads all warnings (互联共享). Acting on a
warning belongs to the department it is assigned to (its officers) and to the office, which
coordinates and reassigns; auditors read and change nothing.
"""

from __future__ import annotations

from typing import Any

from tenderwatch.org.models import Role
from tenderwatch.org.scoping import Scope, has_any_role, register, shared, writer


def _may_act(scope: Scope, obj: Any = None) -> bool:
    """The assigned department's officers, and the office (谁主管谁监管; 一窗 coordination)."""
    if scope.is_read_only:
        return False
    if scope.is_office:
        return True
    if obj is None:
        return scope.has_role(Role.DEPARTMENT_OFFICER)
    department_id = getattr(obj, "assigned_department_id", None)
    return department_id is not None and department_id in scope.departments(Role.DEPARTMENT_OFFICER)


register(
    {
        "screening.warning.view": shared(),
        "screening.warning.act": _may_act,
        # Reassigning (also in bulk) and coordinating competence are the office's.
        "screening.warning.assign": writer(has_any_role(Role.OFFICE_STAFF)),
        "screening.warning.export": shared(),
        "screening.rules.view": shared(),
        # The office tunes the rules (parameters, on/off) with a reason; history is kept.
        "screening.rules.manage": writer(has_any_role(Role.OFFICE_STAFF)),
        # Batch screening from the web or the CLI (the CLI runs as the system).
        "screening.run": writer(has_any_role(Role.OFFICE_STAFF, Role.ADMINISTRATOR)),
        # The office head and the office see escalations of overdue warnings.
        "screening.escalations.view": has_any_role(
            Role.OFFICE_STAFF, Role.LEADER, Role.AUDITOR, Role.ADMINISTRATOR
        ),
    }
)
