"""Panels other apps add to the project page, without the ledger knowing them.

Screening shows its warnings beside the timeline step they concern and its bid screens inside
each lot; later apps (complaints, cases, credit) add theirs the same way. A provider is called
with the request and the project and returns `Panel`s; each is rendered with its own template
at one of three places: after the summary (`lot_id` and `event_id` both None), at the end of a
lot's section (`lot_id`), or as a row under a timeline step (`event_id`). Providers check the
user's permissions themselves and return nothing the user may not see.

    from tenderwatch.ledger import panels

    def _warnings(request, project):
        yield panels.Panel("screening/panel_event.html", {"warnings": ...}, event_id=...)

    panels.register("screening.warnings", _warnings, order=10)   # from AppConfig.ready()
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class Panel:
    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
    lot_id: int | None = None
    event_id: int | None = None


Provider = Callable[[HttpRequest, Any], Iterable[Panel]]

_providers: dict[str, tuple[int, Provider]] = {}


def register(name: str, provider: Provider, *, order: int = 100) -> None:
    """Add (or replace, by name) a provider; lower `order` renders first."""
    _providers[name] = (order, provider)


def unregister(name: str) -> None:
    _providers.pop(name, None)


def names() -> list[str]:
    """The providers registered, in the order they render."""
    return [name for name, _ in sorted(_providers.items(), key=lambda item: item[1][0])]


@dataclass
class Placed:
    """The panels of one page, by place."""

    project: list[Panel] = field(default_factory=list)
    by_lot: dict[int, list[Panel]] = field(default_factory=lambda: defaultdict(list))
    by_event: dict[int, list[Panel]] = field(default_factory=lambda: defaultdict(list))

    def for_lot(self, lot_id: int) -> list[Panel]:
        return self.by_lot.get(lot_id, [])

    def for_event(self, event_id: int) -> list[Panel]:
        return self.by_event.get(event_id, [])


def collect(request: HttpRequest, project: Any) -> Placed:
    placed = Placed()
    for _order, provider in sorted(_providers.values(), key=lambda item: item[0]):
        for panel in provider(request, project):
            if panel.event_id is not None:
                placed.by_event[panel.event_id].append(panel)
            elif panel.lot_id is not None:
                placed.by_lot[panel.lot_id].append(panel)
            else:
                placed.project.append(panel)
    return placed
