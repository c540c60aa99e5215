"""Listeners on the ledger's change signals (connected in `ScreeningConfig.ready()`).

The signals are sent after the ledger's transaction committed, so the rules read committed
state, and the feed call answers after its warnings exist. A failure of screening never undoes
or fails the ledger write that triggered it: it is logged, and the next change, the batch run or
the sweeper finds the same things again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from tenderwatch.screening import engine

log = logging.getLogger("tenderwatch.screening")


def on_project_changed(
    sender: Any, project_id: int, kinds: Iterable[str] = (), **kwargs: Any
) -> None:
    if not engine.screen_on_change():
        return
    try:
        engine.screen_projects([project_id])
    except Exception:
        log.exception("screening project %s after a change (%s) failed", project_id, kinds)
    if not engine.collusion_on_change() or not engine.COLLUSION_KINDS.intersection(kinds):
        return
    try:
        engine.screen_collusion([project_id])
    except Exception:
        log.exception("collusion screens of project %s after a change failed", project_id)


def on_projects_imported(sender: Any, project_ids: Iterable[int], **kwargs: Any) -> None:
    if not engine.screen_on_change():
        return
    ids = list(project_ids)
    try:
        report = engine.screen_projects(ids)
    except Exception:
        log.exception("screening %s imported projects failed", len(ids))
    else:
        log.info("screened imported projects: %s", report.summary())
    if not engine.collusion_on_change():
        return
    try:
        report = engine.screen_collusion(ids)
    except Exception:
        log.exception("collusion screens of %s imported projects failed", len(ids))
        return
    log.info("collusion screens of imported projects: %s", report.summary())


def connect() -> None:
    from tenderwatch.ledger import signals

    signals.project_changed.connect(on_project_changed, dispatch_uid="screening.project_changed")
    signals.projects_imported.connect(
        on_projects_imported, dispatch_uid="screening.projects_imported"
    )
