"""Pages: the inbox of what waits for the user, and a request with its levels and steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenderwatch.approvals import access, selectors, services
from tenderwatch.approvals.forms import DecideForm, DiscussionForm, ResubmitForm, WithdrawForm
from tenderwatch.approvals.models import (
    ApprovalRequest,
    ApprovalStep,
    DepartmentRule,
    RequestStatus,
    RouteLevel,
)
from tenderwatch.core.errors import DomainError, NotFound
from tenderwatch.org.models import User
from tenderwatch.org.scoping import can, scope_of


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    if not can(request.user, "approvals.view"):
        raise DjangoPermissionDenied
    # A senior leader may sign lower levels too (a stand-in); those are listed apart.
    own_level = scope_of(request.user).approval_level or 0
    waiting: list[ApprovalRequest] = []
    lower: list[ApprovalRequest] = []
    for r in selectors.inbox_for(request.user):
        level = r.current_level
        below = level is not None and level.min_level is not None and level.min_level < own_level
        (lower if below else waiting).append(r)
    return render(
        request,
        "approvals/inbox.html",
        {
            "waiting": waiting,
            "lower": lower,
            "returned": list(selectors.returned_to(request.user)),
            "submitted": list(selectors.submitted_by(request.user)),
        },
    )


def _get(request: HttpRequest, pk: int) -> ApprovalRequest:
    found = selectors.request_detail(user=request.user, pk=pk)
    if found is None:
        raise Http404
    return found


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _get(request, pk))


def _discussion_candidates(req: ApprovalRequest) -> QuerySet[User]:
    level = req.current_level
    if level is None:
        return User.objects.none()
    if level.department_rule == DepartmentRule.OFFICE:
        departments = list(access.office_ids())
    else:
        departments = [req.department_id]
    return (
        User.objects.filter(is_active=True, role_assignments__department__in=departments)
        .distinct()
        .order_by("username")
    )


def _level_rows(req: ApprovalRequest) -> list[dict[str, Any]]:
    """Each level of the route, with what happened there in the request's current round."""
    steps: list[ApprovalStep] = [s for s in req.steps.all() if s.round == req.round]
    rows = []
    for level in selectors.levels_of(req):
        done = [s for s in steps if s.level_id == level.pk]
        rows.append(
            {
                "level": level,
                "step": done[-1] if done else None,
                "current": req.current_level_id == level.pk and req.is_open,
                "needs_discussion": level.needs_discussion(major=req.major),
            }
        )
    return rows


def _render_detail(
    request: HttpRequest,
    req: ApprovalRequest,
    *,
    forms_: dict[str, forms.Form] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    scope = scope_of(user)
    level: RouteLevel | None = req.current_level
    pending = req.status == RequestStatus.PENDING
    barred = access.separation_problem(user.pk, req)
    may_decide = pending and can(user, "approvals.decide", req) and not barred
    needs_discussion = pending and level is not None and level.needs_discussion(major=req.major)
    may_discuss = needs_discussion and can(user, "approvals.record_discussion", req)
    first = req.route.levels.filter(active=True).order_by("order").first()
    handler = user.pk == req.submitted_by_id or (
        first is not None and access.entitled(scope, first, req.department_id)
    )
    given = forms_ or {}
    try:
        subject = req.subject
    except (AttributeError, LookupError):  # the subject's model may be gone
        subject = None
    context = {
        "req": req,
        "subject": subject,
        "subject_url": getattr(subject, "get_absolute_url", lambda: "")() if subject else "",
        "level_rows": _level_rows(req),
        "steps": list(req.steps.all()),
        "discussions": list(req.discussions.all()),
        "error": error,
        "may_decide": may_decide,
        "barred": barred and pending and can(user, "approvals.decide", req),
        "decide_form": given.get("decide")
        or DecideForm(initial={"level": level.order if level else None}),
        "may_discuss": may_discuss,
        "discussion_form": given.get("discussion")
        or DiscussionForm(candidates=_discussion_candidates(req)),
        "may_resubmit": req.status == RequestStatus.RETURNED and handler,
        "resubmit_form": given.get("resubmit") or ResubmitForm(),
        "may_withdraw": req.is_open and handler,
        "withdraw_form": given.get("withdraw") or WithdrawForm(),
    }
    return render(request, "approvals/detail.html", context, status=status)


def _act(
    request: HttpRequest,
    pk: int,
    name: str,
    form: forms.Form,
    call: Callable[[ApprovalRequest, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    req = _get(request, pk)
    if not form.is_valid():
        return _render_detail(request, req, forms_={name: form}, status=400)
    try:
        call(req, form.cleaned_data)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        fresh = _get(request, pk)
        return _render_detail(
            request, fresh, forms_={name: form}, error=str(exc), status=exc.http_status
        )
    messages.success(request, done)
    return redirect("approvals:detail", pk=pk)


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "decide",
        DecideForm(request.POST),
        lambda req, data: services.approval_decide(
            request=req,
            actor=request.user,  # type: ignore[arg-type]
            decision=data["decision"],
            opinion=data["opinion"],
            level=data["level"],
        ),
        _("Your decision is recorded."),
    )


@login_required
@require_POST
def discussion(request: HttpRequest, pk: int) -> HttpResponse:
    req = _get(request, pk)
    return _act(
        request,
        pk,
        "discussion",
        DiscussionForm(request.POST, candidates=_discussion_candidates(req)),
        lambda req, data: services.approval_record_discussion(
            request=req,
            actor=request.user,  # type: ignore[arg-type]
            held_at=data["held_at"],
            attendees=data["attendees"],
            minutes=data["minutes"],
            conclusion=data["conclusion"],
        ),
        _("The collective discussion is recorded."),
    )


@login_required
@require_POST
def resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "resubmit",
        ResubmitForm(request.POST),
        lambda req, data: services.approval_resubmit(
            request=req,
            actor=request.user,  # type: ignore[arg-type]
            opinion=data["opinion"],
        ),
        _("The request is submitted again."),
    )


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "withdraw",
        WithdrawForm(request.POST),
        lambda req, data: services.approval_withdraw(
            request=req,
            actor=request.user,  # type: ignore[arg-type]
            reason=data["reason"],
        ),
        _("The request is withdrawn."),
    )
