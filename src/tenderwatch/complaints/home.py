"""What complaints add to the homes (web.homes.register_panel): the clerk's intake queue with
its countdowns, and the escalations that reached the office head."""

from __future__ import annotations

from typing import Any

from tenderwatch.org.models import Role
from tenderwatch.org.scoping import can
from tenderwatch.web import homes


def _queue(user: Any) -> homes.HomePanel | None:
    if not can(user, "complaints.intake"):
        return None
    from tenderwatch.complaints import selectors

    return homes.HomePanel(
        "complaints/home_queue.html",
        {
            "rows": selectors.intake_queue(user=user),
            "escalations": list(selectors.escalations_for(user=user, limit=10)),
        },
    )


def _escalations(user: Any) -> homes.HomePanel | None:
    if not can(user, "complaints.escalations.view"):
        return None
    from tenderwatch.complaints import selectors

    return homes.HomePanel(
        "complaints/home_escalations.html",
        {"escalations": list(selectors.escalations_for(user=user, limit=10))},
    )


def register() -> None:
    homes.register_panel("complaints.queue", _queue, roles={Role.OFFICE_STAFF}, order=10)
    homes.register_panel(
        "complaints.escalations", _escalations, roles={Role.LEADER, Role.AUDITOR}, order=10
    )
