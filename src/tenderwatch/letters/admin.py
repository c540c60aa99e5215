"""Read-only admin views: templates and letters change only through the services (audited)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tenderwatch.letters.models import Letter, LetterTemplate


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LetterTemplate)
class LetterTemplateAdmin(ReadOnly):
    list_display = ("kind", "version", "active", "uploaded_by", "uploaded_at", "note")
    list_filter = ("kind", "active")
    exclude = ("content",)


@admin.register(Letter)
class LetterAdmin(ReadOnly):
    list_display = ("number", "title", "issued_by", "issued_at", "template_version")
    list_filter = ("kind", "year")
    search_fields = ("number",)
    exclude = ("context", "file")
