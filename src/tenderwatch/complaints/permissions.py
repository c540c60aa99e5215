"""Who may see and do what with complaints and tip-offs. Registered from `ComplaintsConfig.ready()`.

- The office (领导小组办公室) runs the one window: its staff enter, review, accept, ask for
  supplements and propose non-acceptance; its leaders and the auditors read everything.
- A supervisory department reads the matters routed to it (its competent department), and no
  other: another department's complaint answers "not found".
- Identities: a complainant's personal data is shown to the office staff who handle the intake
  and to the office's leaders; a tip-off informant's identity only to the office head (office
  leaders of level ≥ TW_COMPLAINTS_OFFICE_HEAD_LEVEL). Nobody else — not a department, not an
  auditor, not an administrator — sees them unmasked, and every view is audited.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from tenderwatch.approvals import access
from tenderwatch.complaints.models import Kind, Matter
from tenderwatch.org.models import Role
from tenderwatch.org.scoping import Scope, register, writer


def office_head_level() -> int:
    return int(getattr(settings, "TW_COMPLAINTS_OFFICE_HEAD_LEVEL", 3))


def _office_leader_level(scope: Scope) -> int:
    """The user's highest approval level as a leader of the office (0 when none)."""
    if Role.LEADER not in scope.roles:
        return 0
    offices = access.office_ids()
    levels = access.leader_levels(scope)
    return max((lv for dept, lv in levels.items() if dept in offices), default=0)


def is_office_leader(scope: Scope) -> bool:
    return _office_leader_level(scope) > 0


def is_office_head(scope: Scope) -> bool:
    return _office_leader_level(scope) >= office_head_level()


def _office_staff_in_person(scope: Scope) -> bool:
    """Holds the office staff role itself (a superuser account is no member of the office)."""
    return Role.OFFICE_STAFF in scope.roles


def _reads_all(scope: Scope) -> bool:
    return scope.reads_everything or is_office_leader(scope)


def _may_view(scope: Scope, obj: Any = None) -> bool:
    if _reads_all(scope):
        return True
    if obj is None:
        return scope.has_role(Role.DEPARTMENT_OFFICER, Role.LEADER)
    if not isinstance(obj, Matter):
        return False
    return obj.department_id in scope.departments(Role.DEPARTMENT_OFFICER, Role.LEADER)


def _may_handle_intake(scope: Scope, obj: Any = None) -> bool:
    return _office_staff_in_person(scope)


HANDLER_ROLES = (Role.DEPARTMENT_OFFICER, Role.ENFORCEMENT_OFFICER, Role.LEADER)


def _may_handle(scope: Scope, obj: Any = None) -> bool:
    """Act on an accepted matter's stages (investigation, decision, service): the department it
    is assigned to, or the office (which coordinates, and handles what it keeps, 自办). A housing
    officer cannot act on a matter assigned to transport."""
    if _office_staff_in_person(scope):
        return True
    if obj is None:
        return scope.has_role(*HANDLER_ROLES)
    if not isinstance(obj, Matter):
        return False
    return obj.department_id is not None and obj.department_id in scope.departments(*HANDLER_ROLES)


def _may_view_identity(scope: Scope, obj: Any = None) -> bool:
    if scope.is_read_only:
        return False
    if obj is None:
        return _office_staff_in_person(scope) or is_office_leader(scope)
    if not isinstance(obj, Matter):
        return False
    if obj.kind == Kind.TIP_OFF:
        return is_office_head(scope)
    return _office_staff_in_person(scope) or is_office_leader(scope)


def _may_see_report(scope: Scope, obj: Any = None) -> bool:
    return _reads_all(scope)


def _may_see_escalations(scope: Scope, obj: Any = None) -> bool:
    return is_office_leader(scope) or scope.has_role(Role.OFFICE_STAFF, Role.AUDITOR)


register(
    {
        "complaints.view": _may_view,
        # 一窗受理: entering, reviewing and deciding acceptance is the office staff's work.
        "complaints.intake": writer(_may_handle_intake),
        # After acceptance: routing is the office's (complaints.intake); the stages are the
        # handling department's, or the office's.
        "complaints.handle": writer(_may_handle),
        "complaints.identity.view": _may_view_identity,
        "complaints.report.view": _may_see_report,
        "complaints.escalations.view": _may_see_escalations,
    }
)
