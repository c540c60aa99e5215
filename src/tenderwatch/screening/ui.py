"""What screening adds to other apps' pages: its warnings on the project page (a summary after
the project's facts, and each warning under the timeline step it concerns), and panels on the
homes (a department's open warnings, the escalations for the office head)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest

from tenderwatch.ledger import panels
from tenderwatch.ledger.models import ProcedureEvent
from tenderwatch.org.models import Role
from tenderwatch.org.scoping import can
from tenderwatch.screening import selectors

PROJECT_PANEL = "screening/panel_project.html"
EVENT_PANEL = "screening/panel_event.html"


def _timeline_step_of(project_id: int, event_ids: set[int]) -> dict[int, int]:
    """Each event id → the id of the newest version of the same event (the timeline shows the
    newest version: a warning about an earlier version shows under it)."""
    rows = list(
        ProcedureEvent.objects.filter(project_id=project_id).values_list(
            "pk", "source", "external_id", "version"
        )
    )
    newest: dict[tuple[str, str], tuple[int, int]] = {}
    for pk, source, external_id, version in rows:
        key = (source, external_id)
        if key not in newest or version > newest[key][0]:
            newest[key] = (version, pk)
    by_pk = {pk: (source, external_id) for pk, source, external_id, _v in rows}
    return {eid: newest[by_pk[eid]][1] for eid in event_ids if eid in by_pk}


def project_panels(request: HttpRequest, project: Any) -> Iterator[panels.Panel]:
    user = request.user
    if not can(user, "screening.warning.view"):
        return
    warnings = selectors.project_warnings(user=user, project_id=project.pk)
    open_count = sum(1 for w in warnings if w.is_open)
    from tenderwatch.core import timeutil

    now = timeutil.now()
    yield panels.Panel(
        PROJECT_PANEL,
        {
            "warnings": warnings,
            "open_count": open_count,
            "now": now,
        },
    )
    with_step = [w for w in warnings if w.event_id]
    if not with_step:
        return
    step_of = _timeline_step_of(project.pk, {w.event_id for w in with_step if w.event_id})
    by_step: dict[int, list[Any]] = defaultdict(list)
    for w in with_step:
        if w.event_id in step_of:
            by_step[step_of[w.event_id]].append(w)
    for event_id, items in by_step.items():
        yield panels.Panel(
            EVENT_PANEL, {"warnings": items, "now": now, "step": event_id}, event_id=event_id
        )


def _department_home(user: Any) -> Any:
    from tenderwatch.web import homes

    if not selectors.own_departments(user):
        return None
    return homes.HomePanel(
        "screening/home_department.html",
        {"counts": selectors.inbox_counts(user, mine=True)},
    )


def _office_home(user: Any) -> Any:
    from tenderwatch.web import homes

    if not can(user, "screening.warning.view"):
        return None
    return homes.HomePanel(
        "screening/home_office.html",
        {
            "counts": selectors.inbox_counts(user, mine=False),
            "escalations": selectors.escalations_for(user=user, limit=10),
        },
    )


def _escalations_home(user: Any) -> Any:
    from tenderwatch.web import homes

    escalations = selectors.escalations_for(user=user, limit=10)
    if not escalations:
        return None
    return homes.HomePanel("screening/home_escalations.html", {"escalations": escalations})


def register() -> None:
    panels.register("screening.warnings", project_panels, order=10)
    from tenderwatch.web import homes

    # Home panels arrive with the homes' panel registry; without it, the inbox is the way in.
    register_panel = getattr(homes, "register_panel", None)
    if register_panel is None:
        return
    register_panel(
        "screening.department", _department_home, roles={Role.DEPARTMENT_OFFICER}, order=20
    )
    register_panel("screening.office", _office_home, roles={Role.OFFICE_STAFF}, order=20)
    register_panel(
        "screening.escalations", _escalations_home, roles={Role.LEADER, Role.AUDITOR}, order=20
    )
