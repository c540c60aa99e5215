"""The lot panel of the project page: the lot's bids drawn by price, its screens with their
fences ("not computable" where undefined), and the Art. 40 evidence side by side.

`register_panels()` adds it to `ledger.panels`; `ScreeningConfig.ready()` calls it. The panel is
computed when the page is drawn, from the ledger as it stands (the same functions as the batch,
on the project's lots), so it shows a lot's screens as soon as its opening record has arrived.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from tenderwatch.ledger import panels
from tenderwatch.org.scoping import can
from tenderwatch.screening.collusion import api, chart
from tenderwatch.screening.collusion.explain import SCREEN_LABELS
from tenderwatch.screening.collusion.screens import DIRECTION, SCREENS

log = logging.getLogger("tenderwatch.screening")

TEMPLATE = "screening/collusion/panel_lot.html"
PANEL_NAME = "screening.collusion"


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def screen_rows(screens: api.LotScreens) -> list[dict[str, Any]]:
    rows = []
    for name in SCREENS:
        value = screens.values.get(name)
        lower, upper = screens.fences.get(name, (None, None))
        direction = DIRECTION[name]
        fence = upper if direction == "high" else lower if direction == "low" else None
        rows.append(
            {
                "code": name,
                "label": SCREEN_LABELS[name],
                "value": None if value is None else _number(value),
                "computable": value is not None,
                "fence": None if fence is None else _number(fence),
                "direction": direction,
                "signal": name in screens.signals,
            }
        )
    return rows


def context_of(screens: api.LotScreens) -> dict[str, Any]:
    named = {
        f.ref.removeprefix("bid:")
        for finding in screens.evidence
        for f in finding.facts
        if f.ref.startswith("bid:")
    }
    marked_bids = {b["bid"] for b in screens.bids if b.get("bid_ref") in named}
    return {
        "screens": screens,
        "chart": chart.bids_chart(screens.bids, ceiling=screens.ceiling, marked=marked_bids),
        "rows": screen_rows(screens),
        "evidence": screens.evidence,
        "flags": screens.flags,
        "signals": [f for f in screens.findings if f.rule_id.startswith("SCR-")],
    }


def lot_panels(request: HttpRequest, project: Any) -> Iterator[panels.Panel]:
    if not can(request.user, "screening.warning.view"):
        return
    lot_ids = list(project.lots.order_by("pk").values_list("pk", flat=True))
    if not lot_ids:
        return
    try:
        by_lot = api.lots_screens(lot_ids)
    except Exception:  # the page must show even when screening fails; the log says why
        log.exception("collusion screens of project %s failed", project.pk)
        for lot_id in lot_ids:
            yield panels.Panel(
                TEMPLATE, {"failed": _("The screens could not be computed.")}, lot_id=lot_id
            )
        return
    for lot_id, screens in by_lot.items():
        yield panels.Panel(TEMPLATE, context_of(screens), lot_id=lot_id)


def register_panels() -> None:
    """Put the lot panel on the project page (called from `ScreeningConfig.ready()`)."""
    panels.register(PANEL_NAME, lot_panels, order=60)
