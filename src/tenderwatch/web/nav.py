"""Role-aware navigation. Each app registers its entries in `AppConfig.ready()`:

    nav.register(nav.NavItem(_("Audit trail"), "audit:list", "audit.view", order=90))

The shell shows an entry where `scoping.can(user, permission)` holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_ITEMS: list[NavItem] = []


@dataclass(frozen=True)
class NavItem:
    label: Any  # a lazy translation
    url_name: str
    permission: str
    order: int = 50
    icon: str = ""


def register(*items: NavItem) -> None:
    for item in items:
        if all(existing.url_name != item.url_name for existing in _ITEMS):
            _ITEMS.append(item)
    _ITEMS.sort(key=lambda i: (i.order, i.url_name))


def items_for(user: Any) -> list[NavItem]:
    from tenderwatch.org.scoping import can

    return [i for i in _ITEMS if can(user, i.permission)]
