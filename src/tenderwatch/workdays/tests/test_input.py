"""Reading the office's input: the line form of the web page and the TOML of the command."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tenderwatch.workdays.schedule_input import parse_lines, parse_toml, to_lines

D = dt.date


@pytest.fixture(autouse=True)
def _frozen() -> object:
    with time_machine.travel(dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.UTC), tick=False) as t:
        yield t


def _lines(text: str) -> object:
    return parse_lines(text, year=2027, notice_title="测试（虚构）", published_on=D(2026, 11, 5))


def test_the_line_form_accepts_the_ways_a_clerk_writes_a_range() -> None:
    draft = _lines(
        "# 测试数据（虚构）\n"
        "2027-01-01..2027-01-03 元旦\n"
        "2027-2-5 至 2027-2-7 春节   # 注释\n"
        "2027/04/05 清明节\n"
        "2027-05-01~2027-05-02 劳动节\n"
        "2027-02-20 上班 春节\n"
        "2027-04-25 调休上班\n"
    )
    assert draft.ok, draft.problems
    assert [d.date for d in draft.holidays] == [
        D(2027, 1, 1),
        D(2027, 1, 2),
        D(2027, 1, 3),
        D(2027, 2, 5),
        D(2027, 2, 6),
        D(2027, 2, 7),
        D(2027, 4, 5),
        D(2027, 5, 1),
        D(2027, 5, 2),
    ]
    assert [(d.date, d.name, d.line) for d in draft.adjusted_workdays] == [
        (D(2027, 2, 20), "春节", 6),
        (D(2027, 4, 25), "", 7),
    ]


def test_lines_round_trip() -> None:
    text = "2027-01-01..2027-01-03 元旦\n2027-02-20 上班 春节\n2027-04-05 清明节"
    draft = _lines(text)
    assert to_lines([(d.date, d.kind, d.name) for d in draft.days]) == (
        "2027-01-01..2027-01-03 元旦\n2027-02-20 上班 春节\n2027-04-05 清明节"
    )


def test_each_bad_line_is_reported_once_in_order() -> None:
    draft = _lines(
        "2027-01-01..2027-01-03 元旦\n"  # 1 fine
        "2027-02-30 春节\n"  # 2 no such date
        "2028-05-01..2028-05-05 劳动节\n"  # 3 another year: one report, not five
        "2027-01-02 元旦\n"  # 4 twice
        "2027-03-01..2027-04-30 春节\n"  # 5 far too long
        "2026-12-24 元旦\n"  # 6 before the New-Year window
        "2026-12-31 元旦\n"  # 7 fine: New-Year spill-over
    )
    assert [(p.line, p.where) for p in draft.problems] == [
        (2, "第2行"),
        (3, "第3行"),
        (4, "第4行"),
        (5, "第5行"),
        (6, "第6行"),
    ]
    assert "重复" in draft.problems[2].message and "第1行" in draft.problems[2].message
    assert "2026-12-25" in draft.problems[4].message


def test_a_schedule_without_holidays_and_without_a_date_of_issue_is_refused() -> None:
    draft = parse_lines("2027-02-20 上班 春节", year=2027, notice_title="")
    wheres = {p.where for p in draft.problems}
    assert wheres == {"", "notice_title", "published_on"}


def test_toml_syntax_errors_and_unknown_keys_are_reported() -> None:
    broken = parse_toml('year = 2027\nnotice_title = "x\n')
    assert len(broken.problems) == 1 and "TOML" in broken.problems[0].message
    typo = parse_toml(
        'year = 2027\nnotice_title = "测试（虚构）"\npublished_on = 2026-11-05\n'
        'holiday = []\n\n[[holidays]]\nname = "元旦"\nform = 2027-01-01\n'
    )
    messages = [str(p) for p in typo.problems]
    assert any("holiday" in m and "无法识别" in m for m in messages)
    assert any(m.startswith("第6行") and "form" in m for m in messages)
    assert any(m.startswith("第6行") and "from" in m for m in messages)
