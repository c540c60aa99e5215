"""Admin of the ledger's master data; every change leaves an audit entry (AuditedModelAdmin).

What the trading platform reports is evidence, not master data: procedure events are
append-only (a correction is a new version from the feed), and instructions to the platform are
written by their service, so both are read-only here. A feed system's token is never shown: only
its hash, which the admin cannot edit (tokens are issued by the ledger service).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tenderwatch.audit.admin import AuditedModelAdmin
from tenderwatch.ledger.models import (
    ApprovedProject,
    Bid,
    Document,
    Expert,
    FeedSystem,
    Instruction,
    KeyPerson,
    Lot,
    MarketEntity,
    ProcedureEvent,
    Project,
    Qualification,
)


class ReadOnlyAdminMixin:
    """Rows that are evidence: listed and shown, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class QualificationInline(admin.TabularInline):
    model = Qualification
    extra = 0


class KeyPersonInline(admin.TabularInline):
    model = KeyPerson
    extra = 0
    readonly_fields = ["id_hash"]  # a keyed hash, set by the import; never typed in


@admin.register(MarketEntity)
class MarketEntityAdmin(AuditedModelAdmin):
    list_display = ["name", "scheme", "identifier", "kind", "region_code", "source"]
    list_filter = ["kind", "scheme"]
    search_fields = ["name", "identifier", "legal_representative", "contact_phone"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [QualificationInline, KeyPersonInline]


class LotInline(admin.TabularInline):
    model = Lot
    extra = 0
    fields = [
        "external_id",
        "number",
        "name",
        "estimated_amount",
        "ceiling_price",
        "bid_security",
        "status",
    ]


@admin.register(Project)
class ProjectAdmin(AuditedModelAdmin):
    list_display = [
        "code",
        "name",
        "industry",
        "category",
        "procurement_method",
        "estimated_amount",
        "status",
        "registered_at",
    ]
    list_filter = ["status", "category", "procurement_method", "industry", "must_tender"]
    search_fields = ["code", "name", "external_id", "approval_no", "tenderer__name"]
    date_hierarchy = "registered_at"
    raw_id_fields = ["tenderer", "agency"]
    readonly_fields = ["source", "external_id", "version", "created_at", "updated_at"]
    list_select_related = ["tenderer"]
    inlines = [LotInline]


@admin.register(ProcedureEvent)
class ProcedureEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["project", "kind", "occurred_at", "source", "external_id", "version"]
    list_filter = ["kind", "source"]
    search_fields = ["project__code", "external_id"]
    date_hierarchy = "occurred_at"
    list_select_related = ["project"]


@admin.register(Bid)
class BidAdmin(AuditedModelAdmin):
    list_display = ["lot", "bidder", "price", "submitted_at", "status", "client_ip", "ca_key_id"]
    list_filter = ["status"]
    search_fields = [
        "lot__project__code",
        "bidder__name",
        "external_id",
        "client_ip",
        "mac_address",
        "ca_key_id",
        "file_hash",
        "security_account",
    ]
    raw_id_fields = ["lot", "bidder", "project_manager", "consortium_members"]
    list_select_related = ["lot", "bidder"]


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "kind", "sha256", "size", "source", "created_at"]
    search_fields = ["title", "sha256"]


@admin.register(Expert)
class ExpertAdmin(AuditedModelAdmin):
    list_display = ["name", "pool_id", "specialty", "employer"]
    search_fields = ["name", "pool_id", "employer"]


@admin.register(FeedSystem)
class FeedSystemAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "active", "token_hint", "outbound_adapter", "last_seen_at"]
    list_filter = ["active", "outbound_adapter"]
    readonly_fields = ["token_hash", "token_hint", "created_at", "last_seen_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a system is created with its token by the ledger service


@admin.register(Instruction)
class InstructionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["project", "kind", "system", "status", "issued_by", "issued_at", "attempts"]
    list_filter = ["kind", "status", "system"]
    search_fields = ["project__code", "reference"]
    list_select_related = ["project", "system", "issued_by"]


@admin.register(ApprovedProject)
class ApprovedProjectAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "approval_no",
        "approval_type",
        "name",
        "owner_name",
        "amount",
        "must_tender",
        "matched_project",
        "match_method",
    ]
    list_filter = ["approval_type", "must_tender", "match_method"]
    search_fields = ["approval_no", "name", "owner_name", "owner_identifier"]
    list_select_related = ["matched_project"]
