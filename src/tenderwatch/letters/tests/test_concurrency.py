"""Letters issued at the same moment: numbers stay unique and gapless (PostgreSQL row locks on
the counter; SQLite serialises whole writes, so the race is exercised on PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from tenderwatch.letters import services
from tenderwatch.letters.models import Letter, LetterSequence


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
        t.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_get_unique_gapless_numbers(
    personas: Any, subject: Any, organ: str
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL (SQLite serialises whole writes)")
    from tenderwatch.complaints.letters import register_kinds

    register_kinds()
    kinds = ["complaints.acceptance_notice", "complaints.supplement_request"]
    n = 8

    def issue(i: int) -> str:
        letter = services.letter_issue(
            kind=kinds[i % 2],
            context={"filer_name": f"投诉人{i}", "items": ["材料"]},
            subject=subject,
            actor=personas.office_clerk,
        )
        return letter.number

    # One of each first, so that the race is on existing counter rows (the first-row path
    # serialises on its unique constraint anyway).
    issue(0)
    issue(1)
    results = _race(n, issue)
    assert all(isinstance(r, str) for r in results), results
    accepted = sorted(r for r in results if "投诉受" in r)
    supplements = sorted(r for r in results if "投诉补" in r)
    year = Letter.objects.values_list("year", flat=True).first()
    assert sorted(int(r.split("〕")[1][:-1]) for r in accepted) == [2, 3, 4, 5]
    assert sorted(int(r.split("〕")[1][:-1]) for r in supplements) == [2, 3, 4, 5]
    assert all(r.startswith(f"黄州公管投诉受〔{year}〕") for r in accepted)
    assert Letter.objects.count() == n + 2
    assert len(set(Letter.objects.values_list("number", flat=True))) == n + 2
    assert set(LetterSequence.objects.values_list("prefix", "last")) == {
        ("投诉受", 5),
        ("投诉补", 5),
    }
