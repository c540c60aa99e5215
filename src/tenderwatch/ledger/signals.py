"""What the ledger tells the rest of the platform, after its writes commit.

Screening listens to these to check a project as soon as its state changes (issue 5: a warning
on the project page within a second of the feed call). Senders use `notify_changed`, which
defers the signal to the end of the transaction: listeners never see uncommitted state and a
rolled-back write sends nothing.

- `project_changed(project_id, kinds)`: one project's ledger state changed through a service
  (feed API, web form). `kinds` names the records touched ("project", "event", "bid",
  "opening", "committee", "evaluation", "award", "contract").
- `projects_imported(project_ids)`: a bulk import (file or generator) stored or changed these
  projects; listeners should batch their work rather than handle them one by one.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

project_changed = Signal()
projects_imported = Signal()


def notify_changed(project_id: int, *kinds: str) -> None:
    """Send `project_changed` for this project when the current transaction commits."""
    transaction.on_commit(
        lambda: project_changed.send(sender=None, project_id=project_id, kinds=frozenset(kinds))
    )


def notify_imported(project_ids: Iterable[int]) -> None:
    """Send `projects_imported` for these projects when the current transaction commits."""
    ids = sorted(set(project_ids))
    if ids:
        transaction.on_commit(lambda: projects_imported.send(sender=None, project_ids=ids))
