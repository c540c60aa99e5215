"""Admin: read the outbound queue; resend or abandon a message (audited).

The inbox rows are not shown: they are each user's own.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenderwatch.core.errors import DomainError
from tenderwatch.notifications import services
from tenderwatch.notifications.models import Message


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "channel",
        "event",
        "recipient_display",
        "subject",
        "status",
        "attempts",
        "next_try_at",
        "sent_at",
    ]
    list_filter = ["status", "channel", "event"]
    search_fields = ["event", "subject", "address_key"]
    exclude = ["body"]  # what an external person was told stays with the matter's own page
    actions = ["resend", "abandon"]

    def _act(self, request: HttpRequest, queryset: QuerySet[Message], fn: Any) -> int:
        done = 0
        for message in queryset:
            try:
                fn(message=message, actor=request.user, note="admin")
            except DomainError as exc:
                self.message_user(request, f"#{message.pk}: {exc}", messages.WARNING)
            else:
                done += 1
        return done

    @admin.action(description=gettext_lazy("Send the selected messages again"))
    def resend(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        done = self._act(request, queryset, services.message_resend)
        self.message_user(request, _("%(n)s messages queued again.") % {"n": done})

    @admin.action(description=gettext_lazy("Abandon the selected messages"))
    def abandon(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        done = self._act(request, queryset, services.message_abandon)
        self.message_user(request, _("%(n)s messages abandoned.") % {"n": done})
