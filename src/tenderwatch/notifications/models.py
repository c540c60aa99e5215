"""Notifications: in-app notices to staff, and queued e-mail and SMS messages.

A `Notification` is what a staff user finds in their inbox (/notifications/) and counts in the
unread badge. A `Message` is one e-mail or SMS, queued in the database and sent after the
commit of the change that caused it; the sweeper (`tenderwatch notify send`) retries what
failed. An external person (a complainant, an informant) has no account: a message to them
names an address *reference* (`resolver` + `address_key`), resolved by a registered resolver
only at send time, so no clear-text address of an external person is ever stored here; only a
masked form ("138****5678") is kept for display.

Models keep data and pure single-row derived values only; every write goes through `services`.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Notification(models.Model):
    """An in-app notice to one staff user."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    event = models.CharField(_("event"), max_length=100)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(pgettext_lazy("notification", "text"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    subject_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject_id = models.CharField(
        pgettext_lazy("notification", "subject id"), max_length=64, blank=True
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The inbox: one user's notices, newest first.
            models.Index(fields=["recipient", "-created_at"], name="notif_inbox_idx"),
            # The badge on every page: one user's unread notices (a partial index).
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notif_unread_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class Channel(models.TextChoices):
    EMAIL = "email", pgettext_lazy("message channel", "E-mail")
    SMS = "sms", _("SMS")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    # Cannot be sent at all (no address for the channel); not retried.
    FAILED = "failed", _("Failed")
    # Given up: the maximum number of attempts was reached, or an administrator stopped it.
    ABANDONED = "abandoned", _("Abandoned")


class Message(models.Model):
    """One outbound e-mail or SMS, to a staff user or to an address reference."""

    channel = models.CharField(
        pgettext_lazy("message", "channel"), max_length=10, choices=Channel.choices
    )
    event = models.CharField(_("event"), max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff recipient"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # An external person: the name of a registered resolver and its key (e.g. a matter's id).
    resolver = models.CharField(_("address resolver"), max_length=100, blank=True)
    address_key = models.CharField(_("address key"), max_length=200, blank=True)
    masked_address = models.CharField(_("address (masked)"), max_length=100, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(pgettext_lazy("notification", "text"), blank=True)
    subject_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject_id = models.CharField(
        pgettext_lazy("notification", "subject id"), max_length=64, blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_try_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    receipt = models.CharField(_("backend's receipt"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The sweeper: what is due.
            models.Index(fields=["status", "next_try_at"], name="notif_msg_due_idx"),
            models.Index(fields=["subject_type", "subject_id"], name="notif_msg_subject_idx"),
        ]
        constraints = [
            # Exactly one recipient: a staff user, or an address reference.
            models.CheckConstraint(
                condition=(
                    Q(user__isnull=False, resolver="", address_key="")
                    | (Q(user__isnull=True) & ~Q(resolver="") & ~Q(address_key=""))
                ),
                name="notif_msg_one_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.subject}"

    @property
    def recipient_display(self) -> str:
        if self.user_id is not None and self.user is not None:
            name = str(self.user)
        else:
            name = f"{self.resolver}:{self.address_key}"
        return f"{name} {self.masked_address}".strip()
