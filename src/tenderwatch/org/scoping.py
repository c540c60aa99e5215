"""The one place that decides what a user may see and do, by role and department.

Visibility (DESIGN.md, "Decisions that every app follows"): every supervisory department reads
the whole ledger and all warnings; complaints, tip-offs, cases, inspections in progress and
informants' identities are scoped by role and department. Object-level denial answers
"not found", so existence never leaks.

Later apps register their permissions here (`register`) and call `ensure_allowed` in their
services; views only keep a coarse gate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from tenderwatch.core import timeutil
from tenderwatch.core.errors import NotFound, PermissionDenied
from tenderwatch.org.models import Role


@dataclass(frozen=True)
class Scope:
    """What one user is, for permission purposes, on one day."""

    user_id: int | None
    roles: frozenset[str]
    departments_by_role: Mapping[str, frozenset[int]] = field(default_factory=dict)
    approval_level: int | None = None
    is_superuser: bool = False

    def has_role(self, *roles: str) -> bool:
        return self.is_superuser or any(r in self.roles for r in roles)

    def departments(self, *roles: str) -> frozenset[int]:
        """Departments the user acts for, in the given roles (all roles when none given)."""
        wanted = roles or tuple(self.departments_by_role)
        out: set[int] = set()
        for role in wanted:
            out |= self.departments_by_role.get(role, frozenset())
        return frozenset(out)

    @property
    def is_office(self) -> bool:
        """Office staff (including officers seconded to the office) coordinate everything."""
        return self.has_role(Role.OFFICE_STAFF)

    @property
    def reads_everything(self) -> bool:
        """Office staff, auditors and administrators see all scoped records."""
        return self.has_role(Role.OFFICE_STAFF, Role.AUDITOR, Role.ADMINISTRATOR)

    @property
    def is_read_only(self) -> bool:
        """An auditor who holds no other role reads everything and changes nothing."""
        return self.roles == frozenset({Role.AUDITOR}) and not self.is_superuser

    @property
    def is_staff(self) -> bool:
        """Holds any staff role today (superusers count as holding every role)."""
        return self.is_superuser or bool(self.roles)

    def acts_for(self, department_id: int | None, *roles: str) -> bool:
        """True where the user acts for `department_id` in one of `roles` (any role if none)."""
        return self.is_superuser or (
            department_id is not None and department_id in self.departments(*roles)
        )

    def department_filter(self, field_name: str = "department") -> Q:
        """A queryset filter for records scoped to a department field."""
        if self.reads_everything:
            return Q()
        return Q(**{f"{field_name}__in": self.departments()})


ANONYMOUS = Scope(user_id=None, roles=frozenset())


def scope_of(user: Any) -> Scope:
    """The scope of `user` today. Cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, "_tw_scope", None)
    today = timeutil.china_date()
    if cached is not None and cached[0] == today:
        return cached[1]
    by_role: dict[str, set[int]] = {}
    level: int | None = None
    for ra in user.role_assignments.all():
        if not ra.is_current(today):
            continue
        by_role.setdefault(ra.role, set()).add(ra.department_id)
        if ra.role == Role.LEADER and ra.approval_level is not None:
            level = max(level or 0, ra.approval_level)
    scope = Scope(
        user_id=user.pk,
        roles=frozenset(by_role),
        departments_by_role={r: frozenset(d) for r, d in by_role.items()},
        approval_level=level,
        is_superuser=bool(user.is_superuser),
    )
    user._tw_scope = (today, scope)
    return scope


def forget_scope(user: Any) -> None:
    """Drop the cached scope after the user's roles change."""
    if hasattr(user, "_tw_scope"):
        del user._tw_scope


Predicate = Callable[[Scope, Any], bool]
_RULES: dict[str, Predicate] = {}


def register(rules: Mapping[str, Predicate]) -> None:
    """Register permission predicates, e.g. {"org.officer.import": has_any_role(...)}.

    Each app registers its own in `AppConfig.ready()`; a name may be registered once.
    """
    for name, predicate in rules.items():
        if name in _RULES and _RULES[name] is not predicate:
            raise RuntimeError(f"permission {name!r} is registered twice")
        _RULES[name] = predicate


def registered() -> Mapping[str, Predicate]:
    return dict(_RULES)


def has_any_role(*roles: str) -> Predicate:
    def predicate(scope: Scope, obj: Any = None) -> bool:
        return scope.has_role(*roles)

    predicate.__doc__ = "any of: " + ", ".join(roles)
    return predicate


def in_own_department(*roles: str, attr: str = "department_id") -> Predicate:
    """True where the object's department is one the user acts for in one of `roles`."""

    def predicate(scope: Scope, obj: Any = None) -> bool:
        if obj is None:
            return scope.has_role(*roles)
        if scope.is_superuser:
            return True
        return getattr(obj, attr, None) in scope.departments(*roles)

    return predicate


def shared() -> Predicate:
    """Shared reads (互联共享): every staff role reads the ledger, the warnings, the departments
    and the authority list."""

    def predicate(scope: Scope, obj: Any = None) -> bool:
        return scope.is_staff

    predicate.__doc__ = "any staff role"
    return predicate


def scoped_to_department(*roles: str, attr: str = "department_id") -> Predicate:
    """Scoped reads (complaints, tip-offs, cases, identities): office staff, auditors and
    administrators read all; others only what belongs to a department they act for in `roles`
    (any of their roles when none given). Without an object: whether the user has such a role."""

    def predicate(scope: Scope, obj: Any = None) -> bool:
        if scope.reads_everything:
            return True
        if obj is None:
            return scope.has_role(*roles) if roles else scope.is_staff
        return getattr(obj, attr, None) in scope.departments(*roles)

    return predicate


def writer(predicate: Predicate) -> Predicate:
    """`predicate`, refused to a read-only user (an auditor who holds no other role)."""

    def wrapped(scope: Scope, obj: Any = None) -> bool:
        return not scope.is_read_only and predicate(scope, obj)

    return wrapped


def any_of(*predicates: Predicate) -> Predicate:
    def predicate(scope: Scope, obj: Any = None) -> bool:
        return any(p(scope, obj) for p in predicates)

    return predicate


def can(user: Any, permission: str, obj: Any = None) -> bool:
    try:
        rule = _RULES[permission]
    except KeyError:
        raise RuntimeError(f"unknown permission {permission!r}") from None
    return bool(rule(scope_of(user), obj))


def ensure_allowed(
    user: Any, permission: str, obj: Any = None, *, visible: bool | None = None
) -> None:
    """Raise unless `user` may do `permission` (to `obj`).

    `visible` says whether the user may know that `obj` exists; where they may not, the answer
    is NotFound rather than PermissionDenied, so existence does not leak.
    """
    if can(user, permission, obj):
        return
    if obj is not None and visible is False:
        raise NotFound()
    raise PermissionDenied(_("Your role does not allow this action."))


def ensure_visible(user: Any, permission: str, obj: Any) -> None:
    """Raise NotFound unless `user` may see `obj` (a scoped read): existence does not leak."""
    if not can(user, permission, obj):
        raise NotFound()


def roles_display(roles: Iterable[str]) -> str:
    labels = dict(Role.choices)
    return "、".join(str(labels.get(r, r)) for r in sorted(roles))
