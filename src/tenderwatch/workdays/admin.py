"""Read-only admin: schedules change only through `services.schedule_replace` (the web page or
`tenderwatch workdays import`), which keeps the replaced version and recomputes deadlines."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tenderwatch.audit.admin import AuditedModelAdmin
from tenderwatch.workdays.models import HolidaySchedule, ScheduleRevision, SpecialDay


class ReadOnlyAdmin(AuditedModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SpecialDayInline(admin.TabularInline):
    model = SpecialDay
    extra = 0
    can_delete = False
    fields = ("date", "kind", "name")
    readonly_fields = ("date", "kind", "name")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(HolidaySchedule)
class HolidayScheduleAdmin(ReadOnlyAdmin):
    list_display = ["year", "notice_title", "notice_ref", "published_on", "source", "version"]
    inlines = [SpecialDayInline]


@admin.register(ScheduleRevision)
class ScheduleRevisionAdmin(ReadOnlyAdmin):
    list_display = ["year", "version", "replaced_by", "replaced_at", "reason"]
    list_filter = ["year"]
