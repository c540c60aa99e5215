"""The complaints panel on the ledger's project page: the matters about the project the user may
see, their stage, and a decision to suspend with its instruction to the trading platform."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest

from tenderwatch.ledger import panels
from tenderwatch.org.scoping import can

PROJECT_PANEL = "complaints/panel_project.html"


def project_panels(request: HttpRequest, project: Any) -> Iterator[panels.Panel]:
    from tenderwatch.complaints import selectors
    from tenderwatch.ledger.models import Instruction

    user = request.user
    if not can(user, "complaints.view"):
        return
    matters = list(
        selectors.matters_visible_to(user)
        .filter(project_id=project.pk)
        .select_related("decision")
        .order_by("-received_at", "-id")[:50]
    )
    if not matters:
        return
    ids = [
        m.decision.instruction_id
        for m in matters
        if hasattr(m, "decision") and m.decision.instruction_id
    ]
    instructions = {i.pk: i for i in Instruction.objects.filter(pk__in=ids)}
    rows = []
    for m in matters:
        decision = getattr(m, "decision", None)
        instruction = instructions.get(decision.instruction_id) if decision else None
        rows.append({"matter": m, "decision": decision, "instruction": instruction})
    yield panels.Panel(PROJECT_PANEL, {"rows": rows})


def register() -> None:
    panels.register("complaints.matters", project_panels, order=20)
