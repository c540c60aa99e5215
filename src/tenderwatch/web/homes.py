"""The home page of each role: what the role finds on arriving, from data that exists now.

A user holding several roles lands on the home of the first role in `ROLE_PRIORITY` and can
switch to the homes of the others. Each builder returns the context of its template; parts
that come from apps still being built are imported lazily and left out while absent.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from tenderwatch.core import timeutil
from tenderwatch.org.models import Department, Role
from tenderwatch.org.scoping import can, scope_of

# Who lands where: the office's coordinating role first, the read-only and technical roles last.
ROLE_PRIORITY: tuple[str, ...] = (
    Role.OFFICE_STAFF,
    Role.LEADER,
    Role.DEPARTMENT_OFFICER,
    Role.ENFORCEMENT_OFFICER,
    Role.DISCIPLINE_LIAISON,
    Role.AUDITOR,
    Role.ADMINISTRATOR,
)

HEADINGS: dict[str, Any] = {
    Role.OFFICE_STAFF: _("Office workbench"),
    Role.LEADER: _("Leader's approval desk"),
    Role.DEPARTMENT_OFFICER: _("Department workbench"),
    Role.ENFORCEMENT_OFFICER: _("Enforcement officer workbench"),
    Role.DISCIPLINE_LIAISON: _("Discipline inspection workbench"),
    Role.AUDITOR: _("Audit workbench"),
    Role.ADMINISTRATOR: _("System administration"),
}

INBOX_PREVIEW = 10


def roles_of(user: Any) -> list[str]:
    """The user's current roles, in landing order. A superuser without roles administers."""
    scope = scope_of(user)
    roles = [r for r in ROLE_PRIORITY if r in scope.roles]
    if not roles and scope.is_superuser:
        roles = [Role.ADMINISTRATOR]
    return roles


def primary_role(user: Any) -> str | None:
    roles = roles_of(user)
    return roles[0] if roles else None


@dataclass(frozen=True)
class Link:
    label: Any
    url: str


def _link(label: Any, url_name: str, *args: Any) -> Link | None:
    try:
        return Link(label, reverse(url_name, args=args))
    except NoReverseMatch:
        return None


# -- parts shared by several homes ------------------------------------------------------------


def _approvals_waiting(user: Any) -> dict[str, Any]:
    """Approval requests waiting for the user's signature, from the approvals app."""
    try:
        from tenderwatch.approvals import selectors
    except ImportError:
        return {"approvals_available": False}
    if not can(user, "approvals.view"):
        return {"approvals_available": False}
    waiting = selectors.inbox_for(user)
    preview = list(waiting[: INBOX_PREVIEW + 1])
    returned = list(selectors.returned_to(user)[:INBOX_PREVIEW])
    return {
        "approvals_available": True,
        "approvals_waiting": preview[:INBOX_PREVIEW],
        "approvals_more": len(preview) > INBOX_PREVIEW,
        "approvals_returned": returned,
        "approvals_url": _link(_("Approvals"), "approvals:inbox"),
    }


def last_anchor(path: Path | None = None) -> dict[str, Any] | None:
    """The last line of the audit anchor file, read from its end (the file only grows)."""
    path = Path(path or settings.TW_AUDIT_ANCHOR_FILE)
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 4096))
            tail = fh.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return None
    for raw in reversed(tail.strip().splitlines()):
        try:
            item = json.loads(raw)
        except ValueError:
            continue
        at = item.get("at")
        try:
            when = dt.datetime.fromisoformat(at) if at else None
        except ValueError:
            when = None
        return {"seq": item.get("seq"), "hash": item.get("hash", ""), "at": when}
    return None


def _chain_head() -> dict[str, Any]:
    from tenderwatch.audit.models import ChainHead

    head = ChainHead.objects.filter(pk=1).first()
    return {
        "chain_head": head,
        "chain_anchor": last_anchor(),
    }


# -- one builder per role --------------------------------------------------------------------


def office_home(user: Any) -> dict[str, Any]:
    try:
        from tenderwatch.workdays.selectors import coverage_warnings
    except ImportError:
        coverage: list[str] | None = None
    else:
        coverage = list(coverage_warnings())
    return {
        "coverage_warnings": coverage,
        "calendar_url": _link(_("Working-day calendar"), "workdays:list"),
        "departments_count": Department.objects.filter(active=True).count(),
        "audit_url": _link(_("Audit trail"), "audit:list") if can(user, "audit.view") else None,
        **_approvals_waiting(user),
        **_chain_head(),
    }


def department_home(user: Any) -> dict[str, Any]:
    scope = scope_of(user)
    labels = dict(Role.choices)
    ids = scope.departments()
    names = {d.pk: d for d in Department.objects.filter(pk__in=ids)}
    acting = [
        (labels.get(role, role), [names[d] for d in sorted(depts) if d in names])
        for role, depts in sorted(
            scope.departments_by_role.items(),
            key=lambda kv: ROLE_PRIORITY.index(kv[0]) if kv[0] in ROLE_PRIORITY else 99,
        )
    ]
    return {"home_department": user.department, "acting_for": acting, **_approvals_waiting(user)}


def leader_home(user: Any) -> dict[str, Any]:
    from tenderwatch.org.models import ApprovalLevel

    level = scope_of(user).approval_level
    return {
        "approval_level": ApprovalLevel(level).label if level else None,
        **_approvals_waiting(user),
    }


# The officer record's fields shown on the home page, where the model has them.
OFFICER_FIELDS = (
    "certificate_number",
    "issuing_body",
    "valid_from",
    "valid_to",
    "department",
    "specialties",
    "status",
    "phone",
)


def _officer_value(officer: Any, name: str) -> Any:
    display = getattr(officer, f"get_{name}_display", None)
    if callable(display):
        return display()
    value = getattr(officer, name)
    if name == "specialties" and isinstance(value, list):
        try:
            from tenderwatch.org.models import Specialty
        except ImportError:
            labels: dict[str, Any] = {}
        else:
            labels = dict(Specialty.choices)
        return "、".join(str(labels.get(v, v)) for v in value)
    return value


def _officer_fields(officer: Any) -> list[tuple[Any, Any]]:
    """The officer record's fields as (label, value)."""
    present = {f.name: f for f in officer._meta.concrete_fields}
    names = [n for n in OFFICER_FIELDS if n in present] or [
        n for n in present if n not in {"id", "user"}
    ]
    return [(present[n].verbose_name, _officer_value(officer, n)) for n in names]


def enforcement_home(user: Any) -> dict[str, Any]:
    """The user's record in the officer pool (REQ-02), once the org app has one."""
    try:
        officer_model = apps.get_model("org", "Officer")
    except LookupError:
        return {"officer_available": False}
    link_field = next(
        (
            f.name
            for f in officer_model._meta.concrete_fields
            if f.is_relation and f.related_model is get_user_model()
        ),
        None,
    )
    officer = (
        officer_model._default_manager.filter(**{link_field: user}).first() if link_field else None
    )
    validity = None
    if officer is not None:
        valid_to = next(
            (
                getattr(officer, name)
                for name in ("certificate_valid_to", "certificate_expires_on", "valid_to")
                if isinstance(getattr(officer, name, None), dt.date)
            ),
            None,
        )
        if valid_to is not None:
            validity = {"valid_to": valid_to, "valid": timeutil.china_date() <= valid_to}
    return {
        "officer_available": True,
        "officer": officer,
        "officer_fields": _officer_fields(officer) if officer is not None else [],
        "certificate": validity,
    }


def discipline_home(user: Any) -> dict[str, Any]:
    # 一案三查 (REQ-17): referrals are written by the cases app, which is not in service yet.
    return {"referrals": []}


def auditor_home(user: Any) -> dict[str, Any]:
    from tenderwatch.audit.models import AuditEntry

    start = dt.datetime.combine(timeutil.china_date(), dt.time.min, tzinfo=timeutil.CHINA)
    last_verified = AuditEntry.objects.filter(action="audit.verified").order_by("-seq").first()
    return {
        "audit_url": _link(_("Audit trail"), "audit:list"),
        "today_count": AuditEntry.objects.filter(occurred_at__gte=start).count(),
        "last_verified": last_verified,
        "can_verify": can(user, "audit.verify"),
        **_chain_head(),
    }


def admin_home(user: Any) -> dict[str, Any]:
    candidates = [
        (_("Administration site"), "admin:index"),
        (_("Departments"), "admin:org_department_changelist"),
        (_("Users"), "admin:org_user_changelist"),
        (_("Approval routes"), "admin:approvals_approvalroute_changelist"),
        (_("Working-day calendar"), "workdays:list"),
        (_("Audit trail"), "audit:list"),
    ]
    links = [link for label, name in candidates if (link := _link(label, name)) is not None]
    return {"admin_links": links, "district": settings.TW_DISTRICT}


# -- panels other apps add to a role's home -----------------------------------------------------
#
#     homes.register_panel("complaints.queue", provider, roles={Role.OFFICE_STAFF}, order=10)
#
# A provider is called with the user and returns a HomePanel (or None to show nothing); it checks
# the user's permissions itself. Panels render after the role's own sections, in `order`.


@dataclass(frozen=True)
class HomePanel:
    template: str
    context: dict[str, Any]


_PANELS: dict[str, tuple[int, frozenset[str], Callable[[Any], HomePanel | None]]] = {}


def register_panel(
    name: str,
    provider: Callable[[Any], HomePanel | None],
    *,
    roles: set[str] | frozenset[str],
    order: int = 100,
) -> None:
    """Add (or replace, by name) a panel shown on the homes of `roles`."""
    _PANELS[name] = (order, frozenset(roles), provider)


def panels_for(role: str, user: Any) -> list[HomePanel]:
    out = []
    for _order, roles, provider in sorted(_PANELS.values(), key=lambda item: item[0]):
        if role in roles:
            panel = provider(user)
            if panel is not None:
                out.append(panel)
    return out


BUILDERS: dict[str, Callable[[Any], dict[str, Any]]] = {
    Role.OFFICE_STAFF: office_home,
    Role.LEADER: leader_home,
    Role.DEPARTMENT_OFFICER: department_home,
    Role.ENFORCEMENT_OFFICER: enforcement_home,
    Role.DISCIPLINE_LIAISON: discipline_home,
    Role.AUDITOR: auditor_home,
    Role.ADMINISTRATOR: admin_home,
}
