"""Admin: approval routes with their levels (audited master data); requests read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tenderwatch.approvals import selectors
from tenderwatch.approvals.models import (
    OPEN_STATUSES,
    ApprovalRequest,
    ApprovalRoute,
    ApprovalStep,
    CollectiveDiscussion,
    RouteLevel,
)
from tenderwatch.audit.admin import AuditedModelAdmin
from tenderwatch.org.models import Role
from tenderwatch.org.scoping import can


def _route_in_use(route: ApprovalRoute | None) -> bool:
    return route is not None and route.requests.filter(status__in=OPEN_STATUSES).exists()


class RouteLevelForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_("roles"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = RouteLevel
        fields = [
            "order",
            "stage",
            "roles",
            "min_level",
            "department_rule",
            "discussion",
            "min_attendees",
            "active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["roles"] = self.instance.role_list

    def clean_roles(self) -> str:
        return ",".join(self.cleaned_data.get("roles") or [])


class RouteLevelFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        orders = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("active"):
                continue
            orders.append(data.get("order"))
        if len(orders) < 2:
            # An approval is signed by someone other than the person who drafted it.
            raise forms.ValidationError(
                _("A route needs at least two active levels (承办 and one that approves).")
            )
        if len(set(orders)) != len(orders):
            raise forms.ValidationError(_("Two active levels have the same order."))


class RouteLevelInline(admin.TabularInline):
    model = RouteLevel
    form = RouteLevelForm
    formset = RouteLevelFormSet
    extra = 0
    ordering = ["-active", "order"]

    # A request is decided under the levels it was submitted to: while any is open, the levels
    # are read-only. Levels are retired (active off), not deleted, once steps point at them.
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, "approvals.manage_routes") and not _route_in_use(obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, "approvals.manage_routes") and not _route_in_use(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            can(request.user, "approvals.manage_routes")
            and obj is not None
            and not obj.requests.exists()
        )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, "approvals.view")


@admin.register(ApprovalRoute)
class ApprovalRouteAdmin(AuditedModelAdmin):
    list_display = ["kind", "name", "levels_summary", "active"]
    list_filter = ["active"]
    search_fields = ["kind", "name"]
    inlines = [RouteLevelInline]

    @admin.display(description=_("levels"))
    def levels_summary(self, obj: ApprovalRoute) -> str:
        levels = [lv for lv in obj.levels.all() if lv.active]
        return " → ".join(
            str(lv.get_stage_display()) for lv in sorted(levels, key=lambda x: x.order)
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApprovalRoute]:
        return super().get_queryset(request).prefetch_related("levels")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can(request.user, "approvals.view")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, "approvals.view")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can(request.user, "approvals.manage_routes")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, "approvals.manage_routes")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            can(request.user, "approvals.manage_routes")
            and obj is not None
            and not obj.requests.exists()
        )


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


STEP_FIELDS = ("round", "level_order", "stage", "approver", "decision", "opinion", "decided_at")
DISCUSSION_FIELDS = (
    "round",
    "level",
    "held_at",
    "leaders_present",
    "minutes",
    "conclusion",
    "recorded_by",
)
REQUEST_FIELDS = (
    "route",
    "content_type",
    "object_id",
    "department",
    "title",
    "major",
    "status",
    "current_level",
    "round",
    "submitted_by",
    "submitted_at",
    "closed_at",
)


class ApprovalStepInline(ReadOnlyInline):
    model = ApprovalStep
    fields = STEP_FIELDS
    readonly_fields = STEP_FIELDS
    ordering = ["decided_at", "id"]


class CollectiveDiscussionInline(ReadOnlyInline):
    model = CollectiveDiscussion
    fields = DISCUSSION_FIELDS
    readonly_fields = DISCUSSION_FIELDS


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    """Requests are changed only through the services (the web pages); here they are read."""

    list_display = [
        "title",
        "route",
        "department",
        "status",
        "current_level",
        "submitted_by",
        "submitted_at",
    ]
    list_filter = ["status", "route", "department"]
    search_fields = ["title", "object_id"]
    date_hierarchy = "submitted_at"
    inlines = [ApprovalStepInline, CollectiveDiscussionInline]
    readonly_fields = REQUEST_FIELDS
    fields = REQUEST_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApprovalRequest]:
        return selectors.requests_visible_to(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can(request.user, "approvals.view")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, "approvals.view")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
