"""Reads of approvals, scoped to the person reading."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Prefetch, QuerySet

from tenderwatch.approvals import access
from tenderwatch.approvals.models import (
    ApprovalRequest,
    ApprovalStep,
    CollectiveDiscussion,
    RequestStatus,
    RouteLevel,
)
from tenderwatch.org.scoping import scope_of


def _with_related(qs: QuerySet[ApprovalRequest]) -> QuerySet[ApprovalRequest]:
    return qs.select_related("route", "current_level", "department", "submitted_by", "content_type")


def requests_visible_to(user: Any) -> QuerySet[ApprovalRequest]:
    """Requests `user` may know about: their departments', their own, those they sign."""
    return _with_related(ApprovalRequest.objects.filter(access.visible_q(scope_of(user))))


def inbox_for(user: Any) -> QuerySet[ApprovalRequest]:
    """Pending requests waiting at a level `user` may sign now.

    Leaves out what the user submitted or already signed in this round (separation of duties).
    """
    scope = scope_of(user)
    if scope.user_id is None:
        return ApprovalRequest.objects.none()
    return (
        _with_related(
            ApprovalRequest.objects.filter(
                access.acting_levels_q(scope), status=RequestStatus.PENDING
            )
        )
        .exclude(submitted_by_id=scope.user_id)
        .exclude(access.acted_in_round(scope.user_id))
        .order_by("submitted_at", "id")
    )


def returned_to(user: Any) -> QuerySet[ApprovalRequest]:
    """Requests `user` submitted that came back for revision (退回修改)."""
    if getattr(user, "pk", None) is None:
        return ApprovalRequest.objects.none()
    return _with_related(
        ApprovalRequest.objects.filter(submitted_by=user, status=RequestStatus.RETURNED)
    ).order_by("submitted_at", "id")


def submitted_by(user: Any, *, open_only: bool = True) -> QuerySet[ApprovalRequest]:
    if getattr(user, "pk", None) is None:
        return ApprovalRequest.objects.none()
    qs = ApprovalRequest.objects.filter(submitted_by=user)
    if open_only:
        qs = qs.filter(status=RequestStatus.PENDING)
    return _with_related(qs)


def _with_history(qs: QuerySet[ApprovalRequest]) -> QuerySet[ApprovalRequest]:
    return _with_related(qs).prefetch_related(
        Prefetch(
            "steps",
            queryset=ApprovalStep.objects.select_related("approver", "level").order_by(
                "decided_at", "id"
            ),
        ),
        Prefetch(
            "discussions",
            queryset=CollectiveDiscussion.objects.select_related("recorded_by", "level")
            .prefetch_related("attendees")
            .order_by("held_at", "id"),
        ),
    )


def history_for(subject: models.Model) -> list[ApprovalRequest]:
    """Every approval request about `subject`, oldest first, with its steps and discussions.

    For pages of the subject's own app, which have already checked that the reader may see it.
    """
    content_type = ContentType.objects.get_for_model(subject)
    qs = ApprovalRequest.objects.filter(content_type=content_type, object_id=str(subject.pk))
    return list(_with_history(qs).order_by("submitted_at", "id"))


def request_detail(*, user: Any, pk: int) -> ApprovalRequest | None:
    """One request with its history, or None where it does not exist or `user` may not see it."""
    return (
        _with_history(ApprovalRequest.objects.filter(access.visible_q(scope_of(user))))
        .filter(pk=pk)
        .first()
    )


def levels_of(request: ApprovalRequest) -> list[RouteLevel]:
    """The levels the request walks: its route's active levels, or those its steps were
    decided under where the route has changed since it closed."""
    active = list(request.route.levels.filter(active=True).order_by("order"))
    used_ids = {s.level_id for s in request.steps.all() if s.level_id is not None}
    if used_ids and not used_ids <= {lv.pk for lv in active}:
        retired = RouteLevel.objects.filter(pk__in=used_ids).order_by("order")
        return list(retired)
    return active
