"""Reads of notifications: always one user's own."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from tenderwatch.notifications.models import Message, Notification


def inbox_for(user: Any) -> QuerySet[Notification]:
    """The user's own notifications, newest first."""
    return Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-pk")


def unread_count(user: Any) -> int:
    """What the badge shows (the partial index on unread rows serves it)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def messages_about(obj: Any) -> QuerySet[Message]:
    """The e-mail and SMS messages sent about `obj`, newest first (for its page)."""
    from django.contrib.contenttypes.models import ContentType

    return Message.objects.filter(
        subject_type=ContentType.objects.get_for_model(obj), subject_id=str(obj.pk)
    ).order_by("-created_at", "-pk")
