"""What notifications add to every role's home (web.homes.register_panel): the latest unread."""

from __future__ import annotations

from typing import Any

from tenderwatch.notifications import selectors
from tenderwatch.org.models import Role
from tenderwatch.web import homes

PREVIEW = 5


def _unread(user: Any) -> homes.HomePanel | None:
    unread = list(selectors.inbox_for(user).filter(read_at__isnull=True)[: PREVIEW + 1])
    if not unread:
        return None
    return homes.HomePanel(
        "notifications/home_unread.html",
        {"rows": unread[:PREVIEW], "more": len(unread) > PREVIEW},
    )


def register() -> None:
    homes.register_panel("notifications.unread", _unread, roles=set(Role.values), order=1)
