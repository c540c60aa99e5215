"""Filings at the same moment: numbers stay unique and gapless, and a double submit of one form
is one filing with one code (PostgreSQL row locks; SQLite serialises whole writes)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from tenderwatch.complaints import services
from tenderwatch.complaints.models import Matter
from tenderwatch.complaints.testing import complaint_filing


def _race(n: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        from django.db import connections

        try:
            barrier.wait(timeout=10)
            results[i] = work(i)
        except Exception as exc:  # reported by the assertions below
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_filings(personas: Any, district: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL (SQLite serialises whole writes)")
    results = _race(
        6,
        lambda i: (
            services.matter_file(
                filing=complaint_filing(respondent_name=f"招标人{i}", files=[]),
                token=services.new_submission_token(),
            ).matter.number
        ),
    )
    assert all(isinstance(r, str) for r in results), results
    assert len({r[:7] for r in results}) == 1  # TS-<year>
    assert sorted(int(r.rsplit("-", 1)[1]) for r in results) == [1, 2, 3, 4, 5, 6]
    token = services.new_submission_token()
    same = _race(
        4,
        lambda i: services.matter_file(
            filing=complaint_filing(respondent_name="同一表单", files=[]), token=token
        ),
    )
    assert all(isinstance(r, services.FilingResult) for r in same), same
    assert len({r.matter.pk for r in same}) == 1 and len({r.code for r in same}) == 1
    assert Matter.objects.filter(respondent_name="同一表单").count() == 1
