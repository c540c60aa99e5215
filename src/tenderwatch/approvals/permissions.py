"""Who may see, sign, and configure approvals. Registered from `ApprovalsConfig.ready()`."""

from __future__ import annotations

from typing import Any

from tenderwatch.approvals import access
from tenderwatch.approvals.models import ApprovalRequest
from tenderwatch.org.models import Department, Role
from tenderwatch.org.scoping import Scope, has_any_role, register


def _may_view(scope: Scope, obj: Any = None) -> bool:
    if obj is None:
        return scope.has_role(
            Role.OFFICE_STAFF,
            Role.DEPARTMENT_OFFICER,
            Role.LEADER,
            Role.AUDITOR,
            Role.ADMINISTRATOR,
        )
    return isinstance(obj, ApprovalRequest) and access.visible(scope, obj)


def _may_decide(scope: Scope, obj: Any = None) -> bool:
    """Leaders sign their levels; office staff and department officers sign 承办."""
    if scope.is_read_only:
        return False
    if obj is None:
        return scope.has_role(Role.LEADER, Role.OFFICE_STAFF, Role.DEPARTMENT_OFFICER)
    return isinstance(obj, ApprovalRequest) and access.may_act_now(scope, obj)


def _may_submit(scope: Scope, obj: Any = None) -> bool:
    """Staff put decisions of their own department on a route; the office, of any department."""
    if scope.is_read_only:
        return False
    if not scope.has_role(Role.OFFICE_STAFF, Role.DEPARTMENT_OFFICER, Role.LEADER):
        return False
    if obj is None or scope.is_office or scope.is_superuser:
        return True
    return isinstance(obj, Department) and obj.pk in scope.departments(*access.DEPARTMENT_READERS)


def _may_record_discussion(scope: Scope, obj: Any = None) -> bool:
    """The leaders of the level, or office staff keeping the minutes (会议记录)."""
    if scope.is_read_only:
        return False
    if obj is None:
        return scope.has_role(Role.LEADER, Role.OFFICE_STAFF)
    if not isinstance(obj, ApprovalRequest):
        return False
    if access.may_act_now(scope, obj):
        return True
    return Role.OFFICE_STAFF in scope.roles and access.visible(scope, obj)


register(
    {
        "approvals.view": _may_view,
        "approvals.submit": _may_submit,
        "approvals.decide": _may_decide,
        "approvals.record_discussion": _may_record_discussion,
        "approvals.manage_routes": has_any_role(Role.ADMINISTRATOR, Role.OFFICE_STAFF),
    }
)
