"""The ledger read into frames: the times come out as they were stored, on both databases, and
the queries also run under DEBUG (Django then formats each query with its parameters)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connections

from tenderwatch.core.timeutil import CHINA
from tenderwatch.ledger import testing
from tenderwatch.ledger.models import EventKind
from tenderwatch.screening.collusion import frames

pytestmark = pytest.mark.django_db

REGISTERED = dt.datetime(2026, 3, 2, 9, 30, tzinfo=CHINA)


def _project() -> Any:
    return testing.build_project(
        name="黄州区赤壁片区老旧小区改造工程",
        estimated_amount=Decimal("4500000"),
        registered_at=REGISTERED,
        lots=1,
        bids_per_lot=3,
        seed=11,
    )


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug-cursor"])
def test_times_are_read_as_stored(debug: bool, monkeypatch: Any) -> None:
    project = _project()
    lot = project.lots.get()
    deadline = project.events.filter(kind=EventKind.BID_DEADLINE).order_by("-occurred_at").first()
    assert deadline is not None
    monkeypatch.setattr(connections["default"], "force_debug_cursor", debug)
    read = frames.from_ledger([lot.pk])
    row = read.lots.row(0, named=True)
    assert row["registered_at"] == REGISTERED.astimezone(dt.UTC)
    assert row["bid_deadline"] == deadline.occurred_at.astimezone(dt.UTC)
    submitted = {b.pk: b.submitted_at.astimezone(dt.UTC) for b in lot.bids.all() if b.submitted_at}
    assert submitted, "the test project's bids carry their submission times"
    got = dict(read.bids.select("bid", "submitted_at").iter_rows())
    assert {k: got[k] for k in submitted} == submitted
