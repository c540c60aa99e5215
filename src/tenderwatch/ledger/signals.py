"""What the ledger tells the rest of the platform, after its writes commit.

Screening listens to these to check a project as soon as its state changes (issue 5: a warning
on the project page within a second of the feed call). Senders use `notify_changed`, which
defers the signal to the end of the transaction: listeners never see uncommitted state and a
rolled-back write sends nothing.

- `project_changed(project_id, kinds)`: one project's ledger state changed through a service
  (feed API, web form). `kinds` names the records touched ("project", "event", "bid",
  "opening", "committee", "evaluation", "award", "contract"). Several writes to one project in
  one transaction (a feed call carrying a whole bundle) send it once, with all their kinds.
- `projects_imported(project_ids)`: a bulk import (file or generator) stored or changed these
  projects; listeners should batch their work rather than handle them one by one.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

project_changed = Signal()
projects_imported = Signal()


class _Changed:
    """The on_commit callback of one project: the kinds noted for it until the commit."""

    def __init__(self, project_id: int) -> None:
        self.project_id = project_id
        self.kinds: set[str] = set()
        self.sent = False

    def __call__(self) -> None:
        self.sent = True
        project_changed.send(sender=None, project_id=self.project_id, kinds=frozenset(self.kinds))


def notify_changed(project_id: int, *kinds: str) -> None:
    """Send `project_changed` for this project when the current transaction commits.

    A callback already queued for the project takes the new kinds. The queue is the
    connection's own (`run_on_commit`: Django drops a rolled-back savepoint's callbacks from it
    and empties it on rollback), so nothing outlives the transaction it was noted in.
    """
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        for _savepoints, callback, *_robust in connection.run_on_commit:
            if (
                isinstance(callback, _Changed)
                and callback.project_id == project_id
                and not callback.sent  # (tests run queued callbacks without dequeuing them)
            ):
                callback.kinds.update(kinds)
                return
    changed = _Changed(project_id)
    changed.kinds.update(kinds)
    transaction.on_commit(changed)


def notify_imported(project_ids: Iterable[int]) -> None:
    """Send `projects_imported` for these projects when the current transaction commits."""
    ids = sorted(set(project_ids))
    if ids:
        transaction.on_commit(lambda: projects_imported.send(sender=None, project_ids=ids))
