"""`{% load ledger_panels %}`: pick the panels of a lot or of a timeline step (ledger.panels)."""

from __future__ import annotations

from django import template

from tenderwatch.ledger.panels import Panel, Placed

register = template.Library()


@register.filter
def lot_panels(placed: Placed | None, lot_id: int) -> list[Panel]:
    return placed.for_lot(lot_id) if placed is not None else []


@register.filter
def event_panels(placed: Placed | None, event_id: int) -> list[Panel]:
    return placed.for_event(event_id) if placed is not None else []
