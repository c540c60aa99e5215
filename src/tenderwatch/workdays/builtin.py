"""The schedules built in at install time: 2023–2026, from the `chinesecalendar` package.

The days come from `chinese_calendar.constants` (holidays and adjusted workdays, 调休上班日);
the notice metadata below was checked against reprints of each notice (titles, 文号, dates of
issue; the 2023 and 2024 文号 against Wikisource's copy of the 国务院公报). The addresses are the
国务院公报 pages cited in RULES.md §4. The 0002 data migration and `ensure_builtin()` read this
module; keep its output stable: a correction to a built-in year goes through
`services.schedule_replace` like any other change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

BUILTIN_YEARS = (2023, 2024, 2025, 2026)


@dataclass(frozen=True)
class Notice:
    year: int
    title: str
    reference: str  # 文号; blank where not verified
    published_on: dt.date
    url: str = ""


NOTICES: dict[int, Notice] = {
    2023: Notice(
        2023,
        "国务院办公厅关于2023年部分节假日安排的通知",
        "国办发明电〔2022〕16号",
        dt.date(2022, 12, 8),
    ),
    2024: Notice(
        2024,
        "国务院办公厅关于2024年部分节假日安排的通知",
        "国办发明电〔2023〕7号",
        dt.date(2023, 10, 25),
    ),
    2025: Notice(
        2025,
        "国务院办公厅关于2025年部分节假日安排的通知",
        "国办发明电〔2024〕12号",
        dt.date(2024, 11, 12),
        "https://www.gov.cn/gongbao/2024/issue_11726/202411/content_6989767.html",
    ),
    2026: Notice(
        2026,
        "国务院办公厅关于2026年部分节假日安排的通知",
        "国办发明电〔2025〕7号",
        dt.date(2025, 11, 4),
        "https://www.gov.cn/gongbao/2025/issue_12406/202511/content_7048922.html",
    ),
}

# chinese_calendar's English holiday names → the names used in the notices.
CHINESE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}

HOLIDAY = "holiday"
ADJUSTED_WORKDAY = "adjusted_workday"


def notice_year_of(day: dt.date, name: str) -> int:
    """The year whose notice decides `day`: New-Year days in December belong to the next one.

    E.g. 2023-12-30/31 are part of the 2024 New Year break (国办发明电〔2023〕7号).
    """
    if day.month == 12 and name == "元旦":
        return day.year + 1
    return day.year


def builtin_days(year: int) -> list[tuple[dt.date, str, str]]:
    """(date, kind, Chinese holiday name) of the notice for `year`, sorted by date."""
    from chinese_calendar import constants

    out: list[tuple[dt.date, str, str]] = []
    for table, kind in ((constants.holidays, HOLIDAY), (constants.workdays, ADJUSTED_WORKDAY)):
        for day, raw in table.items():
            label = getattr(raw, "value", raw)
            name = CHINESE_NAMES.get(str(label), str(label))
            if notice_year_of(day, name) == year:
                out.append((day, kind, name))
    return sorted(out)


def ensure_builtin() -> list[int]:
    """Seed the built-in years that are missing (as the 0002 migration does); the years added.

    For databases emptied after migrating, e.g. by transactional tests that flush every table.
    """
    from django.db import transaction
    from django.utils import timezone

    from tenderwatch.workdays import calendar
    from tenderwatch.workdays.models import HolidaySchedule, ScheduleSource, SpecialDay

    added = []
    with transaction.atomic():
        for year in BUILTIN_YEARS:
            if HolidaySchedule.objects.filter(year=year).exists():
                continue
            notice = NOTICES[year]
            schedule = HolidaySchedule.objects.create(
                year=year,
                notice_title=notice.title,
                notice_ref=notice.reference,
                published_on=notice.published_on,
                source_url=notice.url,
                source=ScheduleSource.BUILTIN,
                entered_at=timezone.now(),
            )
            SpecialDay.objects.bulk_create(
                SpecialDay(schedule=schedule, date=day, kind=kind, name=name)
                for day, kind, name in builtin_days(year)
            )
            added.append(year)
    if added:
        calendar.clear_cache()
    return added
