"""Coverage warnings for the office dashboard."""

from __future__ import annotations

import datetime as dt

import pytest

from tenderwatch.workdays import selectors
from tenderwatch.workdays.selectors import coverage_warnings

D = dt.date

pytestmark = pytest.mark.django_db


def test_no_warning_while_the_next_90_days_are_covered() -> None:
    assert coverage_warnings(D(2026, 6, 1)) == []
    assert coverage_warnings(D(2026, 9, 25)) == []  # horizon 24 December 2026


def test_a_missing_next_year_is_warned_90_days_ahead_of_the_new_year_spill_over() -> None:
    warnings = coverage_warnings(D(2026, 9, 26))  # horizon 25 December 2026
    assert len(warnings) == 1
    assert "尚未录入2027年的节假日安排" in warnings[0]
    assert "2026-12-25" in warnings[0]
    assert "国务院办公厅" in warnings[0]


def test_from_1_october_the_next_year_is_expected_once(monkeypatch) -> None:
    assert len(coverage_warnings(D(2026, 10, 1))) == 1  # one warning for 2027, not two
    monkeypatch.setattr(selectors, "LOOKAHEAD_DAYS", 30)  # the 1 October rule on its own
    assert coverage_warnings(D(2026, 9, 30)) == []
    warnings = coverage_warnings(D(2026, 10, 1))
    assert len(warnings) == 1 and "2027" in warnings[0]


def test_no_warning_once_the_next_year_is_entered(import_2027) -> None:
    import time_machine  # the test notice is dated 5 November 2026

    with time_machine.travel(dt.datetime(2026, 11, 28, tzinfo=dt.UTC), tick=False):
        import_2027()
    assert coverage_warnings(D(2026, 10, 1)) == []
    assert coverage_warnings(D(2026, 12, 31)) == []
    assert coverage_warnings(D(2027, 6, 1)) == []


def test_the_year_after_is_warned_again_in_the_autumn(import_2027) -> None:
    import time_machine

    with time_machine.travel(dt.datetime(2026, 11, 28, tzinfo=dt.UTC), tick=False):
        import_2027()
    warnings = coverage_warnings(D(2027, 10, 5))
    assert len(warnings) == 1
    assert "2028" in warnings[0] and "2027-12-25" in warnings[0]


def test_the_current_year_missing_is_warned_from_today() -> None:
    warnings = coverage_warnings(D(2027, 1, 10))
    assert [("2027" in w, "2027-01-10" in w) for w in warnings] == [(True, True)]
    warnings = coverage_warnings(D(2022, 12, 1))
    assert len(warnings) == 1 and "2022" in warnings[0]


def test_default_today_is_the_china_date() -> None:
    import time_machine

    # 16:30 UTC on 25 September is 00:30 on 26 September in China: the 2027 warning starts.
    with time_machine.travel(dt.datetime(2026, 9, 25, 16, 30, tzinfo=dt.UTC), tick=False):
        assert len(coverage_warnings()) == 1
    with time_machine.travel(dt.datetime(2026, 9, 25, 15, 30, tzinfo=dt.UTC), tick=False):
        assert coverage_warnings() == []
