"""Several sweepers at once: each due message is claimed, and sent, exactly once."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from tenderwatch.notifications import backends, services
from tenderwatch.notifications.models import Message, MessageStatus

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_sweepers_send_each_message_once(personas: Any, settings: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED claims are exercised on PostgreSQL (SQLite serialises writes)")
    settings.TW_NOTIFY_SEND_ON_COMMIT = False
    users = [personas.housing_officer, personas.transport_officer, personas.office_clerk]
    for i, user in enumerate(users):
        user.phone = f"1370000000{i}"
        user.save(update_fields=["phone"])
    for n in range(10):
        services.notify(event="test.bulk", title=f"第 {n} 条", users=users, channels=("sms",))
    assert Message.objects.filter(status=MessageStatus.QUEUED).count() == 30

    now = timezone.now()
    reports: list[services.SendReport] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def sweep() -> None:
        try:
            start.wait()
            reports.append(services.message_send_due(now=now, limit=7))
            reports.append(services.message_send_due(now=now, limit=100))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sum(r.sent for r in reports) == 30
    assert len(backends.outbox) == 30
    assert len({(s.to, s.text) for s in backends.outbox}) == 30
    assert set(Message.objects.values_list("status", "attempts")) == {(MessageStatus.SENT, 1)}
