"""ledger.signals: listeners hear of a change once per project and commit, never on rollback."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from tenderwatch.ledger import signals

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard() -> Any:
    calls: list[tuple[int, frozenset[str]]] = []

    def listener(sender: Any, project_id: int, kinds: frozenset[str], **kwargs: Any) -> None:
        calls.append((project_id, kinds))

    signals.project_changed.connect(listener, dispatch_uid="test.heard")
    yield calls
    signals.project_changed.disconnect(dispatch_uid="test.heard")


def test_several_writes_in_one_transaction_send_once_per_project(
    heard: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        signals.notify_changed(7, "project")
        signals.notify_changed(7, "event")
        signals.notify_changed(8, "bid")
        signals.notify_changed(7, "bid")
    assert heard == [(7, frozenset({"project", "event", "bid"})), (8, frozenset({"bid"}))]


def test_a_rolled_back_savepoint_sends_nothing_for_its_own_project(
    heard: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        signals.notify_changed(7, "event")
        try:
            with transaction.atomic():
                signals.notify_changed(9, "bid")
                raise RuntimeError
        except RuntimeError:
            pass
    assert heard == [(7, frozenset({"event"}))]


def test_a_rolled_back_transaction_leaves_nothing_for_the_next(
    heard: Any, django_capture_on_commit_callbacks: Any
) -> None:
    try:
        with transaction.atomic():
            signals.notify_changed(7, "award")
            raise RuntimeError
    except RuntimeError:
        pass
    with django_capture_on_commit_callbacks(execute=True):
        signals.notify_changed(7, "event")
    assert heard == [(7, frozenset({"event"}))]
