"""Admin for the trail (read-only) and `AuditedModelAdmin`, the base of every master-data admin.

Master data edited in the Django admin (routes, departments, authority list, …) is a state
change like any other: `AuditedModelAdmin` writes the audit entry in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.http import HttpRequest

from tenderwatch.audit import services as audit
from tenderwatch.audit.models import AuditEntry


class AuditedModelAdmin(admin.ModelAdmin):
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            before = None
            if change and obj.pk:
                fresh = type(obj)._default_manager.filter(pk=obj.pk).first()
                before = audit.snapshot(fresh) if fresh else None
            super().save_model(request, obj, form, change)
            audit.record(
                actor=request.user,
                action=f"{obj._meta.label_lower}.{'changed' if change else 'created'}",
                obj=obj,
                before=before,
                after=audit.snapshot(obj),
                note="admin",
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            before = audit.snapshot(obj)
            label, pk, text = obj._meta.label_lower, obj.pk, str(obj)
            super().delete_model(request, obj)
            audit.record(
                actor=request.user,
                action=f"{label}.deleted",
                object_type=label,
                object_id=pk,
                object_repr=text,
                before=before,
                note="admin",
            )

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        with transaction.atomic():
            instances = formset.save(commit=False)
            for obj in formset.deleted_objects:
                before = audit.snapshot(obj)
                label, pk, text = obj._meta.label_lower, obj.pk, str(obj)
                obj.delete()
                audit.record(
                    actor=request.user,
                    action=f"{label}.deleted",
                    object_type=label,
                    object_id=pk,
                    object_repr=text,
                    before=before,
                    note="admin",
                )
            for obj in instances:
                adding = obj._state.adding
                obj.save()
                audit.record(
                    actor=request.user,
                    action=f"{obj._meta.label_lower}.{'created' if adding else 'changed'}",
                    obj=obj,
                    after=audit.snapshot(obj),
                    note="admin",
                )
            formset.save_m2m()


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["seq", "occurred_at", "actor_name", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type", "channel"]
    search_fields = ["actor_name", "object_id", "object_repr", "note", "request_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
