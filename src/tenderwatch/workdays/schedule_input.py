"""Reading a year's notice as the office enters it, and checking it line by line.

Two forms of the same content:

- a TOML file, for `tenderwatch workdays import FILE` (see examples/schedule-example.toml);
- lines, for the web form (one holiday range or adjusted workday per line):

      2027-01-01..2027-01-03 元旦
      2027-02-06 上班 春节

Both produce a `ScheduleDraft`; `validate` adds a `Problem` per bad line or entry, in Chinese,
so that the clerk can fix them all at once. Nothing is written here: `services.schedule_replace`
refuses a draft with problems.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from django.utils.translation import gettext as _

from tenderwatch.core import timeutil
from tenderwatch.workdays.calendar import SPILLOVER_FROM
from tenderwatch.workdays.models import DayKind

MIN_YEAR, MAX_YEAR = 2000, 2100
# The longest break so far is 9 days (春节 2026); a longer range is most likely a typing error.
MAX_RANGE_DAYS = 15
WORKDAY_WORDS = ("调休上班", "上班", "补班")
WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")


@dataclass(frozen=True)
class DayEntry:
    date: dt.date
    kind: str  # DayKind value
    name: str
    where: str  # the line or entry it came from, for error reports
    line: int = 0


@dataclass(frozen=True)
class Problem:
    where: str
    message: str
    line: int = 0  # for sorting the report; 0 for the notice's fields

    def __str__(self) -> str:
        return f"{self.where}：{self.message}" if self.where else self.message


@dataclass
class ScheduleDraft:
    year: int | None = None
    notice_title: str = ""
    notice_ref: str = ""
    published_on: dt.date | None = None
    source_url: str = ""
    days: list[DayEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    holiday_entries: int = 0  # holiday lines or entries read, good or bad

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, where: str, message: str, line: int = 0) -> None:
        self.problems.append(Problem(where, message, line))

    @property
    def holidays(self) -> list[DayEntry]:
        return [d for d in self.days if d.kind == DayKind.HOLIDAY]

    @property
    def adjusted_workdays(self) -> list[DayEntry]:
        return [d for d in self.days if d.kind == DayKind.ADJUSTED_WORKDAY]


def weekday_label(day: dt.date) -> str:
    return "周" + WEEKDAYS[day.weekday()]


def default_title(year: int) -> str:
    return f"国务院办公厅关于{year}年部分节假日安排的通知"


# -- dates -----------------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")


def parse_date(value: Any) -> dt.date:
    """A date from TOML (a date, or a "YYYY-MM-DD" string) or from a line of text."""
    if isinstance(value, dt.datetime):
        raise ValueError(_("a date without a time of day is expected"))
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        m = _DATE.match(value.strip())
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                pass
    raise ValueError(
        _("“%(value)s” is not a valid date (write it as 2027-01-01)") % {"value": value}
    )


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _add_range(
    draft: ScheduleDraft,
    where: str,
    first: dt.date,
    last: dt.date,
    kind: str,
    name: str,
    line: int = 0,
) -> None:
    if last < first:
        draft.problem(
            where,
            _("the range ends (%(last)s) before it begins (%(first)s)")
            % {"first": first.isoformat(), "last": last.isoformat()},
            line,
        )
        return
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        draft.problem(
            where,
            _("the range %(first)s..%(last)s is longer than %(max)s days; check the dates")
            % {"first": first.isoformat(), "last": last.isoformat(), "max": MAX_RANGE_DAYS},
            line,
        )
        return
    for day in _days(first, last):
        draft.days.append(DayEntry(day, kind, name, where, line))


# -- lines (web form) ------------------------------------------------------------------------

_LINE = re.compile(
    r"^(?P<first>\S+?)(?:\s*(?:\.\.|至|~|～)\s*(?P<last>\S+?))?(?:\s+(?P<rest>.*))?$"
)


def line_where(number: int) -> str:
    return _("line %(n)s") % {"n": number}


def parse_lines(
    text: str,
    *,
    year: int | None,
    notice_title: str = "",
    notice_ref: str = "",
    published_on: dt.date | None = None,
    source_url: str = "",
) -> ScheduleDraft:
    """Read the web form: the notice's fields, and one range or adjusted workday per line."""
    draft = ScheduleDraft(
        year=year,
        notice_title=notice_title.strip(),
        notice_ref=notice_ref.strip(),
        published_on=published_on,
        source_url=source_url.strip(),
    )
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where = line_where(number)
        m = _LINE.match(line)
        if not m:  # pragma: no cover - the pattern matches any non-blank line
            draft.problem(where, _("cannot read this line"), number)
            continue
        words = (m["rest"] or "").split()
        if words and words[0] in WORKDAY_WORDS:
            kind, name = DayKind.ADJUSTED_WORKDAY, " ".join(words[1:])
        else:
            kind, name = DayKind.HOLIDAY, " ".join(words)
            draft.holiday_entries += 1
        try:
            first = parse_date(m["first"])
            last = parse_date(m["last"]) if m["last"] else first
        except ValueError as exc:
            draft.problem(where, str(exc), number)
            continue
        if kind == DayKind.HOLIDAY and not name:
            draft.problem(
                where,
                _(
                    "name the holiday (e.g. “2027-01-01 元旦”), or write “上班” for an "
                    "adjusted workday (e.g. “2027-02-06 上班 春节”)"
                ),
                number,
            )
            continue
        _add_range(draft, where, first, last, kind, name, number)
    validate(draft)
    return draft


def to_lines(days: list[tuple[dt.date, str, str]]) -> str:
    """The line form of a schedule's days (ranges joined), to prefill the form for a change."""
    out: list[str] = []
    run: list[tuple[dt.date, str, str]] = []

    def flush() -> None:
        if not run:
            return
        first, kind, name = run[0]
        last = run[-1][0]
        span = first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
        if kind == DayKind.ADJUSTED_WORKDAY:
            out.append(f"{span} 上班 {name}".rstrip())
        else:
            out.append(f"{span} {name}")
        run.clear()

    for day, kind, name in sorted(days):
        if run and not (
            kind == run[-1][1] == DayKind.HOLIDAY
            and name == run[-1][2]
            and day == run[-1][0] + dt.timedelta(days=1)
        ):
            flush()
        run.append((day, kind, name))
    flush()
    return "\n".join(out)


# -- TOML (command line) ---------------------------------------------------------------------

TOP_KEYS = {
    "year",
    "notice_title",
    "notice_ref",
    "published_on",
    "source_url",
    "holidays",
    "adjusted_workdays",
}
HOLIDAY_KEYS = {"name", "from", "to"}
WORKDAY_KEYS = {"date", "name"}


def _table_lines(text: str, key: str) -> list[int]:
    """Line numbers of `[[key]]` headers, to name the line of each entry in error reports."""
    pattern = re.compile(r"^\s*\[\[\s*" + re.escape(key) + r"\s*\]\]")
    return [n for n, line in enumerate(text.splitlines(), start=1) if pattern.match(line)]


def _entry_where(key: str, index: int, lines: list[int], count: int, name: str = "") -> str:
    label = _("%(key)s entry %(n)s") % {"key": key, "n": index + 1}
    if name:
        label += f"（{name}）"
    if len(lines) == count:
        return f"{line_where(lines[index])}，{label}"
    return label


def parse_toml(text: str) -> ScheduleDraft:
    """Read a notice from TOML text (the format of examples/schedule-example.toml)."""
    draft = ScheduleDraft()
    file_where = _("file")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        draft.problem(file_where, _("not valid TOML: %(error)s") % {"error": exc})
        return draft
    for key in sorted(set(data) - TOP_KEYS):
        draft.problem(file_where, _("unknown key “%(key)s”") % {"key": key})

    year = data.get("year")
    if isinstance(year, int) and not isinstance(year, bool):
        draft.year = year
    elif year is not None:
        draft.problem("year", _("the year must be a number such as 2027"))
    for key in ("notice_title", "notice_ref", "source_url"):
        value = data.get(key, "")
        if isinstance(value, str):
            setattr(draft, key, value.strip())
        else:
            draft.problem(key, _("must be text in quotes"))
    if data.get("published_on") is not None:
        try:
            draft.published_on = parse_date(data["published_on"])
        except ValueError as exc:
            draft.problem("published_on", str(exc))

    for key, kind, allowed in (
        ("holidays", DayKind.HOLIDAY, HOLIDAY_KEYS),
        ("adjusted_workdays", DayKind.ADJUSTED_WORKDAY, WORKDAY_KEYS),
    ):
        entries = data.get(key, [])
        if not isinstance(entries, list):
            draft.problem(key, _("must be a list of entries ([[%(key)s]])") % {"key": key})
            continue
        lines = _table_lines(text, key)
        for index, entry in enumerate(entries):
            line = lines[index] if len(lines) == len(entries) else 0
            if not isinstance(entry, dict):
                draft.problem(
                    _entry_where(key, index, lines, len(entries)),
                    _("must be a table of fields"),
                    line,
                )
                continue
            name = entry.get("name", "")
            name = name.strip() if isinstance(name, str) else ""
            where = _entry_where(key, index, lines, len(entries), name)
            for unknown in sorted(set(entry) - allowed):
                draft.problem(where, _("unknown field “%(key)s”") % {"key": unknown}, line)
            if kind == DayKind.HOLIDAY:
                draft.holiday_entries += 1
                if not name:
                    draft.problem(where, _("the holiday's name is missing (e.g. 春节)"), line)
                if "from" not in entry:
                    draft.problem(where, _("the first day (“from”) is missing"), line)
                    continue
                try:
                    first = parse_date(entry["from"])
                    last = parse_date(entry["to"]) if "to" in entry else first
                except ValueError as exc:
                    draft.problem(where, str(exc), line)
                    continue
                if name:
                    _add_range(draft, where, first, last, kind, name, line)
            else:
                if "date" not in entry:
                    draft.problem(where, _("the date (“date”) is missing"), line)
                    continue
                try:
                    day = parse_date(entry["date"])
                except ValueError as exc:
                    draft.problem(where, str(exc), line)
                    continue
                draft.days.append(DayEntry(day, kind, name, where, line))
    validate(draft)
    return draft


def to_toml(
    *,
    year: int,
    notice_title: str,
    notice_ref: str,
    published_on: dt.date | None,
    source_url: str,
    days: list[tuple[dt.date, str, str]],
) -> str:
    """A schedule as TOML that `parse_toml` reads back (for `workdays show --toml`)."""

    def q(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    out = [
        f"year = {year}",
        f"notice_title = {q(notice_title)}",
        f"notice_ref = {q(notice_ref)}",
    ]
    if published_on:
        out.append(f"published_on = {published_on.isoformat()}")
    out.append(f"source_url = {q(source_url)}")
    for line in to_lines(days).splitlines():
        span, _sep, rest = line.partition(" ")
        first, _dots, last = span.partition("..")
        if rest.startswith("上班"):
            out += ["", "[[adjusted_workdays]]", f"date = {first}"]
            out.append(f"name = {q(rest.removeprefix('上班').strip())}")
        else:
            out += [
                "",
                "[[holidays]]",
                f"name = {q(rest)}",
                f"from = {first}",
                f"to = {last or first}",
            ]
    return "\n".join(out) + "\n"


# -- checks ----------------------------------------------------------------------------------


def allowed_range(year: int) -> tuple[dt.date, dt.date]:
    """The dates a year's notice may name: the year, and the end of December before it."""
    return dt.date(year - 1, *SPILLOVER_FROM), dt.date(year, 12, 31)


def validate(draft: ScheduleDraft) -> None:
    """Check a draft; add a problem for each bad field, line or entry."""
    year = draft.year
    if year is None:
        draft.problem("year", _("the year is missing"))
    elif not MIN_YEAR <= year <= MAX_YEAR:
        draft.problem("year", _("the year %(year)s is out of range") % {"year": year})
        year = None
    if not draft.notice_title:
        draft.problem("notice_title", _("the notice's title is missing"))
    elif len(draft.notice_title) > 200:
        draft.problem("notice_title", _("the title is too long"))
    if len(draft.notice_ref) > 60:
        draft.problem("notice_ref", _("the reference is too long"))
    if draft.published_on is None:
        draft.problem("published_on", _("the date the notice was issued is missing"))
    elif draft.published_on > timeutil.china_date():
        draft.problem("published_on", _("the notice cannot be issued in the future"))
    if draft.source_url:
        parsed = urlparse(draft.source_url)
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            draft.problem("source_url", _("not a web address (http:// or https://)"))

    if not draft.holidays and not draft.holiday_entries:
        draft.problem("", _("the schedule names no holiday; a notice always has some"))

    seen: dict[dt.date, DayEntry] = {}
    outside_reported: set[str] = set()  # one report per range, not one per day
    low, high = allowed_range(year) if year is not None else (None, None)
    for entry in draft.days:
        day = entry.date
        label = f"{day.isoformat()}（{weekday_label(day)}）"
        if (
            low is not None
            and high is not None
            and not low <= day <= high
            and entry.where not in outside_reported
        ):
            outside_reported.add(entry.where)
            draft.problem(
                entry.where,
                _(
                    "%(date)s is outside the %(year)s schedule: only dates of %(year)s and the "
                    "New-Year days from %(low)s are allowed"
                )
                % {"date": label, "year": year, "low": low.isoformat()},
                entry.line,
            )
        if entry.kind == DayKind.ADJUSTED_WORKDAY and day.weekday() < 5:
            draft.problem(
                entry.where,
                _(
                    "%(date)s is a weekday; an adjusted workday (调休上班) is always a Saturday "
                    "or a Sunday"
                )
                % {"date": label},
                entry.line,
            )
        if len(entry.name) > 60:
            draft.problem(entry.where, _("the name is too long"), entry.line)
        earlier = seen.get(day)
        if earlier is None:
            seen[day] = entry
        elif earlier.kind != entry.kind:
            draft.problem(
                entry.where,
                _("%(date)s is both a holiday and an adjusted workday (see %(other)s)")
                % {"date": label, "other": earlier.where},
                entry.line,
            )
        else:
            draft.problem(
                entry.where,
                _("%(date)s is listed twice (see %(other)s)")
                % {"date": label, "other": earlier.where},
                entry.line,
            )
    draft.problems.sort(key=lambda p: p.line)
