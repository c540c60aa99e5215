"""Every write on approvals: submit, decide, discuss, return and resubmit, withdraw, load routes.

REQ-15 (严格行政层级审批): levels are signed strictly in order, each by a person who holds the
level's post in the right department, and no person signs twice or signs what they submitted.
行政处罚法 第五十八条 (法制审核) and 第五十七条第二款 (集体讨论) are levels of the penalty route.
Later apps call `ensure_approved` before they let a stage pass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenderwatch.approvals import access
from tenderwatch.approvals.models import (
    OPEN_STATUSES,
    ApprovalRequest,
    ApprovalRoute,
    ApprovalStep,
    CollectiveDiscussion,
    Decision,
    DepartmentRule,
    DiscussionRule,
    RequestStatus,
    RouteLevel,
    Stage,
)
from tenderwatch.audit import services as audit
from tenderwatch.core import timeutil
from tenderwatch.core.errors import DomainError, InvalidTransition, PermissionDenied
from tenderwatch.org.models import ApprovalLevel, Department, Role, User
from tenderwatch.org.scoping import can, ensure_allowed, scope_of

STATE_FIELDS = ["status", "current_level", "round", "closed_at"]


# -- helpers ---------------------------------------------------------------------------------


def _active_levels(route: ApprovalRoute) -> list[RouteLevel]:
    return list(route.levels.filter(active=True).order_by("order"))


def _lock(request: ApprovalRequest) -> ApprovalRequest:
    # No select_related: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
    return ApprovalRequest.objects.select_for_update().get(pk=request.pk)


def _state(request: ApprovalRequest) -> dict[str, Any]:
    return audit.snapshot(request, STATE_FIELDS)


def _level_name(level: RouteLevel) -> str:
    return f"{level.order}. {level.get_stage_display()}"


def _acting_department_names(level: RouteLevel, request: ApprovalRequest) -> str:
    if level.department_rule == DepartmentRule.OFFICE:
        names = Department.objects.filter(pk__in=access.office_ids()).values_list("name", flat=True)
        return "、".join(names) or _("the office")
    return str(request.department)


def _step(
    request: ApprovalRequest,
    *,
    actor: User,
    decision: str,
    opinion: str,
    level: RouteLevel | None,
    at: dt.datetime,
) -> ApprovalStep:
    return ApprovalStep.objects.create(
        request=request,
        round=request.round,
        level=level,
        level_order=level.order if level else None,
        stage=level.stage if level else "",
        approver=actor,
        decision=decision,
        opinion=opinion,
        decided_at=at,
    )


def _next_level(request: ApprovalRequest, after: RouteLevel) -> RouteLevel | None:
    return request.route.levels.filter(active=True, order__gt=after.order).order_by("order").first()


def _approve_level(
    request: ApprovalRequest, *, actor: User, level: RouteLevel, opinion: str, at: dt.datetime
) -> ApprovalStep:
    """Record an approval at `level` and move the request on (or close it at the last level)."""
    step = _step(
        request, actor=actor, decision=Decision.APPROVE, opinion=opinion, level=level, at=at
    )
    following = _next_level(request, level)
    if following is None:
        request.status = RequestStatus.APPROVED
        request.current_level = None
        request.closed_at = at
    else:
        request.current_level = following
    return step


def _first_level_or_fail(route: ApprovalRoute) -> RouteLevel:
    levels = _active_levels(route)
    if not levels:
        raise DomainError(
            _("The approval route “%(route)s” has no levels; ask the administrator to set it up.")
            % {"route": route}
        )
    return levels[0]


def _may_handle_first_level(actor: User, request: ApprovalRequest, first: RouteLevel) -> bool:
    return access.entitled(scope_of(actor), first, request.department_id)


# -- submitting ------------------------------------------------------------------------------


@transaction.atomic
def approval_submit(
    *,
    route_kind: str,
    subject: models.Model,
    department: Department,
    title: str,
    actor: User,
    opinion: str = "",
    major: bool = False,
) -> ApprovalRequest:
    """Put a decision about `subject` on the route `route_kind`. REQ-15.

    Where the submitter holds the first level's post (承办), their submission is that level's
    signature and the request moves on to the second level; otherwise it waits at the first.
    `major` marks a complex or major case (行政处罚法 第五十七条第二款), for levels that call for
    a collective discussion only then.
    """
    ensure_allowed(actor, "approvals.submit", department)
    title = title.strip()
    if not title:
        raise DomainError(_("Give the request a title."))
    if subject.pk is None:
        raise DomainError(_("Save the subject before submitting it for approval."))
    route = ApprovalRoute.objects.select_for_update().filter(kind=route_kind, active=True).first()
    if route is None:
        raise DomainError(
            _(
                "There is no active approval route “%(kind)s”; load it with the district setup "
                "or ask the administrator."
            )
            % {"kind": route_kind}
        )
    first = _first_level_or_fail(route)
    content_type = ContentType.objects.get_for_model(subject)
    object_id = str(subject.pk)
    already = ApprovalRequest.objects.filter(
        route=route, content_type=content_type, object_id=object_id, status__in=OPEN_STATUSES
    ).first()
    if already is not None:
        raise DomainError(
            _("“%(title)s” is already on this route; finish or withdraw it first.")
            % {"title": already.title}
        )
    now = timeutil.now()
    request = ApprovalRequest.objects.create(
        route=route,
        content_type=content_type,
        object_id=object_id,
        department=department,
        title=title,
        major=major,
        status=RequestStatus.PENDING,
        current_level=first,
        round=1,
        submitted_by=actor,
        submitted_at=now,
    )
    step = _sign_first_level(request, actor=actor, first=first, opinion=opinion, at=now)
    request.save()
    audit.record(
        actor=actor,
        action="approvals.request.submitted",
        obj=request,
        after={
            **_state(request),
            "route": route.kind,
            "subject": f"{content_type.app_label}.{content_type.model}:{object_id}",
            "department": department.code,
            "major": major,
            "step": step.decision,
        },
        note=opinion,
    )
    return request


def _sign_first_level(
    request: ApprovalRequest, *, actor: User, first: RouteLevel, opinion: str, at: dt.datetime
) -> ApprovalStep:
    if _may_handle_first_level(actor, request, first):
        return _approve_level(request, actor=actor, level=first, opinion=opinion, at=at)
    return _step(request, actor=actor, decision=Decision.SUBMIT, opinion=opinion, level=None, at=at)


# -- deciding --------------------------------------------------------------------------------

DECISIONS = (Decision.APPROVE, Decision.REJECT, Decision.RETURN)


@transaction.atomic
def approval_decide(
    *,
    request: ApprovalRequest,
    actor: User,
    decision: str,
    opinion: str = "",
    level: int | None = None,
) -> ApprovalRequest:
    """Sign the level the request waits at: approve, reject (closes it) or return (退回修改).

    `level` is the order of the level the actor was shown; when given, it must still be the
    current one, so nobody signs a level they did not see and no level is skipped. REQ-15.
    """
    ensure_allowed(actor, "approvals.view", request, visible=False)
    request = _lock(request)
    if decision not in DECISIONS:
        raise DomainError(_("Choose approve, reject or return."))
    if request.status != RequestStatus.PENDING:
        raise InvalidTransition(
            _("This request is %(status)s; only a pending request can be decided.")
            % {"status": request.get_status_display()}
        )
    current = request.current_level
    assert current is not None
    if level is not None and level != current.order:
        # Levels are signed strictly in order (行政层级审批): no level is skipped.
        raise InvalidTransition(
            _("This request waits at level %(level)s; levels are signed in order.")
            % {"level": _level_name(current)}
        )
    if not can(actor, "approvals.decide", request):
        raise PermissionDenied(
            _(
                "Level %(level)s is signed by: %(who)s, of %(department)s. "
                "You do not hold that post."
            )
            % {
                "level": _level_name(current),
                "who": current.actor_display,
                "department": _acting_department_names(current, request),
            }
        )
    # Separation of duties: the submitter signs only their own 承办; nobody signs two levels.
    if request.submitted_by_id == actor.pk:
        raise PermissionDenied(
            _("You submitted this request; another person must sign its next levels.")
        )
    if ApprovalStep.objects.filter(request=request, round=request.round, approver=actor).exists():
        raise PermissionDenied(
            _("You have already acted on this request; each level needs a different person.")
        )
    opinion = opinion.strip()
    if decision in (Decision.REJECT, Decision.RETURN) and not opinion:
        raise DomainError(_("Give your opinion: a rejection or a return must say why."))
    before = _state(request)
    now = timeutil.now()
    if decision == Decision.APPROVE:
        if current.needs_discussion(major=request.major) and not _discussed(request, current):
            # 行政处罚法 第五十七条第二款: 行政机关负责人应当集体讨论决定.
            raise DomainError(
                _(
                    "Level %(level)s decides only after the leaders' collective discussion; "
                    "record the discussion first."
                )
                % {"level": _level_name(current)}
            )
        _approve_level(request, actor=actor, level=current, opinion=opinion, at=now)
        action = (
            "approvals.request.approved"
            if request.status == RequestStatus.APPROVED
            else "approvals.request.level_approved"
        )
    elif decision == Decision.REJECT:
        _step(request, actor=actor, decision=decision, opinion=opinion, level=current, at=now)
        request.status = RequestStatus.REJECTED
        request.current_level = None
        request.closed_at = now
        action = "approvals.request.rejected"
    else:
        first = _first_level_or_fail(request.route)
        if current.pk == first.pk:
            raise InvalidTransition(
                _("A request at its first level cannot be returned; reject it or approve it.")
            )
        _step(request, actor=actor, decision=decision, opinion=opinion, level=current, at=now)
        request.status = RequestStatus.RETURNED
        request.current_level = first
        action = "approvals.request.returned"
    request.save(update_fields=STATE_FIELDS)
    audit.record(
        actor=actor,
        action=action,
        obj=request,
        before=before,
        after={**_state(request), "level": current.order, "stage": current.stage},
        note=opinion,
    )
    return request


def _discussed(request: ApprovalRequest, level: RouteLevel) -> bool:
    return CollectiveDiscussion.objects.filter(
        request=request,
        round=request.round,
        level=level,
        leaders_present__gte=level.min_attendees,
    ).exists()


# -- returned, resubmitted, withdrawn --------------------------------------------------------


def _ensure_submitter_or_handler(actor: User, request: ApprovalRequest, refusal: str) -> None:
    first = _first_level_or_fail(request.route)
    if actor.pk == request.submitted_by_id or _may_handle_first_level(actor, request, first):
        return
    raise PermissionDenied(refusal)


@transaction.atomic
def approval_resubmit(
    *, request: ApprovalRequest, actor: User, opinion: str = ""
) -> ApprovalRequest:
    """Submit a returned request again, revised: a new round from the first level."""
    ensure_allowed(actor, "approvals.view", request, visible=False)
    request = _lock(request)
    if request.status != RequestStatus.RETURNED:
        raise InvalidTransition(_("Only a request returned for revision can be resubmitted."))
    _ensure_submitter_or_handler(
        actor,
        request,
        _("Only the submitter, or who may handle its first level, may resubmit this request."),
    )
    before = _state(request)
    first = _first_level_or_fail(request.route)
    now = timeutil.now()
    request.round += 1
    request.status = RequestStatus.PENDING
    request.current_level = first
    step = _sign_first_level(request, actor=actor, first=first, opinion=opinion.strip(), at=now)
    request.save(update_fields=STATE_FIELDS)
    audit.record(
        actor=actor,
        action="approvals.request.resubmitted",
        obj=request,
        before=before,
        after={**_state(request), "step": step.decision},
        note=opinion,
    )
    return request


@transaction.atomic
def approval_withdraw(*, request: ApprovalRequest, actor: User, reason: str) -> ApprovalRequest:
    """Withdraw an open request (撤回): it closes, and the subject may be submitted again."""
    ensure_allowed(actor, "approvals.view", request, visible=False)
    request = _lock(request)
    if not request.is_open:
        raise InvalidTransition(_("Only an open request can be withdrawn."))
    _ensure_submitter_or_handler(
        actor,
        request,
        _("Only the submitter, or who may handle its first level, may withdraw this request."),
    )
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Give the reason for withdrawing."))
    before = _state(request)
    now = timeutil.now()
    _step(
        request,
        actor=actor,
        decision=Decision.WITHDRAW,
        opinion=reason,
        level=request.current_level,
        at=now,
    )
    request.status = RequestStatus.WITHDRAWN
    request.current_level = None
    request.closed_at = now
    request.save(update_fields=STATE_FIELDS)
    audit.record(
        actor=actor,
        action="approvals.request.withdrawn",
        obj=request,
        before=before,
        after=_state(request),
        note=reason,
    )
    return request


# -- collective discussion -------------------------------------------------------------------


@transaction.atomic
def approval_record_discussion(
    *,
    request: ApprovalRequest,
    actor: User,
    held_at: dt.datetime,
    attendees: Iterable[User],
    minutes: str,
    conclusion: str,
) -> CollectiveDiscussion:
    """Record the leaders' collective discussion (集体讨论) for the level the request waits at.

    行政处罚法 第五十七条第二款. Only leaders of the acting department count toward the level's
    quorum (`min_attendees`); others (the handler, the legal reviewer) may attend.
    """
    ensure_allowed(actor, "approvals.view", request, visible=False)
    request = _lock(request)
    if request.status != RequestStatus.PENDING:
        raise InvalidTransition(
            _("This request is %(status)s; a discussion is recorded only while it is pending.")
            % {"status": request.get_status_display()}
        )
    level = request.current_level
    assert level is not None
    if not level.needs_discussion(major=request.major):
        raise DomainError(
            _("Level %(level)s does not call for a collective discussion.")
            % {"level": _level_name(level)}
        )
    ensure_allowed(actor, "approvals.record_discussion", request)
    if not timezone.is_aware(held_at):
        raise DomainError(_("Give the meeting time with its time zone."))
    if held_at > timeutil.now():
        raise DomainError(_("The meeting cannot be in the future."))
    minutes, conclusion = minutes.strip(), conclusion.strip()
    if not minutes or not conclusion:
        raise DomainError(_("Write the minutes and the conclusion of the meeting."))
    people = list({u.pk: u for u in attendees}.values())
    leaders = _leaders_present(level, request, people, on=timeutil.china_date(held_at))
    if leaders < level.min_attendees:
        raise DomainError(
            _(
                "A collective discussion at level %(level)s needs at least %(min)s leaders of "
                "%(department)s; %(count)s attended."
            )
            % {
                "level": _level_name(level),
                "min": level.min_attendees,
                "department": _acting_department_names(level, request),
                "count": leaders,
            }
        )
    discussion = CollectiveDiscussion.objects.create(
        request=request,
        round=request.round,
        level=level,
        held_at=held_at,
        leaders_present=leaders,
        minutes=minutes,
        conclusion=conclusion,
        recorded_by=actor,
        recorded_at=timeutil.now(),
    )
    discussion.attendees.set(people)
    audit.record(
        actor=actor,
        action="approvals.discussion.recorded",
        obj=request,
        after={
            "discussion": discussion.pk,
            "level": level.order,
            "round": request.round,
            "held_at": held_at,
            "attendees": sorted(u.get_username() for u in people),
            "leaders_present": leaders,
            "conclusion": conclusion,
        },
    )
    return discussion


def _leaders_present(
    level: RouteLevel, request: ApprovalRequest, people: Sequence[User], *, on: dt.date
) -> int:
    from tenderwatch.org.models import RoleAssignment

    if level.department_rule == DepartmentRule.OFFICE:
        departments = set(access.office_ids())
    else:
        departments = {request.department_id}
    present = set()
    for ra in RoleAssignment.objects.filter(
        user__in=[p.pk for p in people], role=Role.LEADER, department__in=departments
    ):
        if ra.is_current(on):
            present.add(ra.user_id)
    return len(present)


# -- the guard later apps call ---------------------------------------------------------------


def ensure_approved(*, subject: models.Model, route_kind: str) -> ApprovalRequest:
    """Raise DomainError unless the latest request for `subject` on `route_kind` is approved.

    This is how a stage refuses to pass while its last level has not signed (REQ-15).
    """
    content_type = ContentType.objects.get_for_model(subject)
    latest = (
        ApprovalRequest.objects.filter(
            route__kind=route_kind, content_type=content_type, object_id=str(subject.pk)
        )
        .select_related("route", "current_level")
        .order_by("-submitted_at", "-id")
        .first()
    )
    if latest is None:
        raise DomainError(
            _("“%(subject)s” has not been submitted for approval (%(route)s).")
            % {"subject": subject, "route": _route_name(route_kind)},
            code="not_approved",
        )
    if latest.status != RequestStatus.APPROVED:
        if latest.current_level is not None:
            where = _("waiting at level %(level)s") % {"level": _level_name(latest.current_level)}
        else:
            where = latest.get_status_display()
        raise DomainError(
            _("“%(title)s” has not been approved through its last level (%(where)s).")
            % {"title": latest.title, "where": where},
            code="not_approved",
        )
    return latest


def _route_name(kind: str) -> str:
    route = ApprovalRoute.objects.filter(kind=kind).first()
    return str(route) if route else kind


# -- routes as data --------------------------------------------------------------------------

STAGE_ALIASES: dict[str, str] = {
    "承办": Stage.HANDLING,
    "审核": Stage.REVIEW,
    "法制审核": Stage.LEGAL_REVIEW,
    "集体讨论": Stage.DISCUSSION,
    "审批": Stage.APPROVAL,
    **{s.value: s.value for s in Stage},
}
LEVEL_KEYS = {"stage", "role", "roles", "level", "department", "collective", "min_attendees"}
ROUTE_KEYS = {"kind", "name", "description", "active", "levels"}


@dataclass(frozen=True)
class LevelSpec:
    stage: str
    roles: str
    min_level: int | None
    department_rule: str
    discussion: str
    min_attendees: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "roles": self.roles,
            "min_level": self.min_level,
            "department_rule": self.department_rule,
            "discussion": self.discussion,
            "min_attendees": self.min_attendees,
        }

    @classmethod
    def of(cls, level: RouteLevel) -> LevelSpec:
        return cls(
            stage=level.stage,
            roles=level.roles,
            min_level=level.min_level,
            department_rule=level.department_rule,
            discussion=level.discussion,
            min_attendees=level.min_attendees,
        )


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _parse_level(kind: str, index: int, raw: Mapping[str, Any]) -> LevelSpec:
    where = _("route “%(kind)s”, level %(n)s") % {"kind": kind, "n": index}

    def fail(message: str) -> DomainError:
        return DomainError(f"{where}: {message}", code="invalid_route")

    if not isinstance(raw, Mapping):
        raise fail(_('a level is a table such as { stage = "审核", level = 1 }.'))
    unknown = sorted(set(raw) - LEVEL_KEYS)
    if unknown:
        raise fail(_("unknown keys: %(keys)s.") % {"keys": ", ".join(unknown)})
    stage = STAGE_ALIASES.get(str(raw.get("stage", "")).strip())
    if stage is None:
        raise fail(
            _("stage must be one of %(stages)s.") % {"stages": "、".join(list(STAGE_ALIASES)[:5])}
        )
    role_value = raw.get("roles", raw.get("role"))
    if "roles" in raw and "role" in raw:
        raise fail(_("give role or roles, not both."))
    roles: list[str] = []
    if role_value is not None:
        roles = [role_value] if isinstance(role_value, str) else list(role_value)
        roles = [str(r).strip() for r in roles if str(r).strip()]
        unknown_roles = [r for r in roles if r not in Role.values]
        if unknown_roles:
            raise fail(
                _("unknown role %(role)s; roles are %(roles)s.")
                % {"role": ", ".join(unknown_roles), "roles": ", ".join(Role.values)}
            )
    min_level = raw.get("level")
    if min_level is not None and (
        isinstance(min_level, bool) or min_level not in ApprovalLevel.values
    ):
        raise fail(_("level must be 1, 2 or 3."))
    if bool(roles) == (min_level is not None):
        raise fail(_("name either the role that may act or a minimum leader level, not both."))
    department = str(raw.get("department", DepartmentRule.SUBJECT))
    if department not in DepartmentRule.values:
        raise fail(_('department must be "subject" or "office".'))
    collective = raw.get("collective", False)
    if collective is True:
        discussion = DiscussionRule.ALWAYS
    elif collective is False:
        discussion = DiscussionRule.NONE
    elif collective in DiscussionRule.values:
        discussion = DiscussionRule(collective)
    else:
        raise fail(_('collective must be true, false or "major".'))
    min_attendees = raw.get("min_attendees", 3)
    if isinstance(min_attendees, bool) or not isinstance(min_attendees, int):
        raise fail(_("min_attendees must be a whole number."))
    if discussion != DiscussionRule.NONE and min_attendees < 2:
        raise fail(_("a collective discussion needs at least two leaders."))
    return LevelSpec(
        stage=stage,
        roles=",".join(roles),
        min_level=min_level,
        department_rule=department,
        discussion=discussion,
        min_attendees=min_attendees,
    )


def _parse_route(raw: Any) -> tuple[dict[str, Any], list[LevelSpec]]:
    if not isinstance(raw, Mapping):
        raise DomainError(_("Each approval route is a table ([[approval_routes]])."))
    kind = str(raw.get("kind", "")).strip()
    if not kind:
        raise DomainError(_("An approval route has no kind."), code="invalid_route")
    unknown = sorted(set(raw) - ROUTE_KEYS)
    if unknown:
        raise DomainError(
            _("Route “%(kind)s”: unknown keys: %(keys)s.")
            % {"kind": kind, "keys": ", ".join(unknown)},
            code="invalid_route",
        )
    name = str(raw.get("name", "")).strip()
    if not name:
        raise DomainError(_("Route “%(kind)s” has no name.") % {"kind": kind})
    levels_raw = raw.get("levels") or []
    if not isinstance(levels_raw, list | tuple):
        raise DomainError(_("Route “%(kind)s”: levels is a list.") % {"kind": kind})
    levels = [_parse_level(kind, i, lv) for i, lv in enumerate(levels_raw, start=1)]
    if len(levels) < 2:
        # An approval is signed by someone other than the person who drafted it.
        raise DomainError(
            _("Route “%(kind)s” needs at least two levels (承办 and one that approves).")
            % {"kind": kind},
            code="invalid_route",
        )
    attrs = {
        "name": name,
        "description": str(raw.get("description", "")).strip(),
        "active": bool(raw.get("active", True)),
    }
    return {"kind": kind, **attrs}, levels


@transaction.atomic
def routes_load(*, routes: Sequence[Mapping[str, Any]], actor: User | None) -> LoadReport:
    """Create or update approval routes from configuration (the district file's
    `[[approval_routes]]`, or `approvals.defaults.DEFAULT_ROUTES`). Idempotent; all or nothing.

    A route's levels change only while no open request uses it: a request is decided under the
    levels it was submitted to. Changed levels are retired, not deleted, so past steps keep theirs.
    """
    if actor is not None:
        ensure_allowed(actor, "approvals.manage_routes")
    parsed = [_parse_route(r) for r in routes]
    kinds = [p[0]["kind"] for p in parsed]
    duplicates = sorted({k for k in kinds if kinds.count(k) > 1})
    if duplicates:
        raise DomainError(
            _("Approval routes named twice: %(kinds)s.") % {"kinds": ", ".join(duplicates)}
        )
    report = LoadReport()
    for attrs, levels in parsed:
        kind = attrs.pop("kind")
        route = ApprovalRoute.objects.select_for_update().filter(kind=kind).first()
        if route is None:
            route = ApprovalRoute.objects.create(kind=kind, **attrs)
            _create_levels(route, levels)
            audit.record(
                actor=actor,
                action="approvals.route.created",
                obj=route,
                after={**audit.snapshot(route), "levels": [lv.as_dict() for lv in levels]},
            )
            report.created.append(kind)
            continue
        current = [LevelSpec.of(lv) for lv in _active_levels(route)]
        route_changed = any(getattr(route, k) != v for k, v in attrs.items())
        levels_changed = current != levels
        if not route_changed and not levels_changed:
            report.unchanged.append(kind)
            continue
        before = {**audit.snapshot(route), "levels": [lv.as_dict() for lv in current]}
        if levels_changed:
            if route.requests.filter(status__in=OPEN_STATUSES).exists():
                raise DomainError(
                    _(
                        "The levels of route “%(route)s” cannot change while requests on it are "
                        "open; decide or withdraw them first."
                    )
                    % {"route": route},
                    code="route_in_use",
                )
            route.levels.filter(active=True).update(active=False)
            _create_levels(route, levels)
        for k, v in attrs.items():
            setattr(route, k, v)
        route.save()
        audit.record(
            actor=actor,
            action="approvals.route.changed",
            obj=route,
            before=before,
            after={**audit.snapshot(route), "levels": [lv.as_dict() for lv in levels]},
        )
        report.changed.append(kind)
    return report


def _create_levels(route: ApprovalRoute, levels: Sequence[LevelSpec]) -> None:
    for order, spec in enumerate(levels, start=1):
        level = RouteLevel(route=route, order=order, **spec.as_dict())
        level.full_clean(exclude=["route"])
        level.save()
