"""Admin for the organisation's master data; every change is audited (AuditedModelAdmin).

Coordination decisions are records of the office's acts: they are read here, never edited.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tenderwatch.audit import services as audit
from tenderwatch.audit.admin import AuditedModelAdmin
from tenderwatch.org.models import (
    AuthorityRule,
    CoordinationDecision,
    Department,
    District,
    LeadingGroup,
    LeadingGroupMember,
    Officer,
    RoleAssignment,
    Specialty,
    User,
)


@admin.register(District)
class DistrictAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "region_code", "plan_ref", "plan_date"]


@admin.register(Department)
class DepartmentAdmin(AuditedModelAdmin):
    list_display = ["name", "short_name", "kind", "code", "region_code", "sort_order", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "short_name", "code"]
    ordering = ["sort_order", "code"]


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    fields = ["role", "department", "approval_level", "valid_from", "valid_to", "note"]


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):
    list_display = ["username", "full_name", "department", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "department"]
    search_fields = ["username", "full_name", "email"]
    inlines = [RoleAssignmentInline]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Department"), {"fields": ("full_name", "department", "phone")}),
    )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # As AuditedModelAdmin, but the password hash never goes into the trail.
        fields = [f.name for f in User._meta.concrete_fields if f.name != "password"]
        with transaction.atomic():
            fresh = User.objects.filter(pk=obj.pk).first() if change and obj.pk else None
            before = audit.snapshot(fresh, fields) if fresh else None
            admin.ModelAdmin.save_model(self, request, obj, form, change)
            audit.record(
                actor=request.user,
                action=f"org.user.{'changed' if change else 'created'}",
                obj=obj,
                before=before,
                after=audit.snapshot(obj, fields),
                note="admin",
            )


class LeadingGroupMemberInline(admin.TabularInline):
    model = LeadingGroupMember
    extra = 0
    fields = [
        "sort_order",
        "key",
        "position",
        "department",
        "title",
        "person_name",
        "person_title",
        "valid_from",
        "valid_to",
    ]


@admin.register(LeadingGroup)
class LeadingGroupAdmin(AuditedModelAdmin):
    list_display = ["name", "district", "office", "established_by", "established_on"]
    inlines = [LeadingGroupMemberInline]


@admin.register(AuthorityRule)
class AuthorityRuleAdmin(AuditedModelAdmin):
    list_display = [
        "industry",
        "matter_type",
        "department",
        "valid_from",
        "valid_to",
        "active",
    ]
    list_filter = ["industry", "matter_type", "department", "active"]
    search_fields = ["legal_basis", "note"]


class OfficerAdminForm(forms.ModelForm):
    specialties = forms.MultipleChoiceField(
        label=_("specialties"),
        choices=Specialty.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Officer
        fields = [
            "user",
            "name",
            "department",
            "certificate_number",
            "issuing_body",
            "valid_from",
            "valid_to",
            "specialties",
            "status",
            "phone",
        ]


@admin.register(Officer)
class OfficerAdmin(AuditedModelAdmin):
    form = OfficerAdminForm
    list_display = [
        "name",
        "department",
        "certificate_number",
        "valid_from",
        "valid_to",
        "status",
        "source",
    ]
    list_filter = ["department", "status"]
    search_fields = ["name", "certificate_number"]
    raw_id_fields = ["user"]
    readonly_fields = ["source", "created_at", "updated_at"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.source = "admin"
        super().save_model(request, obj, form, change)


@admin.register(CoordinationDecision)
class CoordinationDecisionAdmin(AuditedModelAdmin):
    list_display = ["decided_at", "matter_repr", "industry", "matter_type", "department"]
    list_filter = ["industry", "matter_type", "department"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
