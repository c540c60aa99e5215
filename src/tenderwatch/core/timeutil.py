"""Time helpers. Times are aware and stored in UTC; legal days are Asia/Shanghai dates."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

CHINA = ZoneInfo("Asia/Shanghai")


def now() -> dt.datetime:
    return timezone.now()


def china_date(moment: dt.datetime | None = None) -> dt.date:
    """The calendar date in China at `moment` (default: now)."""
    return (moment or timezone.now()).astimezone(CHINA).date()


def end_of_china_day(day: dt.date) -> dt.datetime:
    """24:00 of `day` in China, i.e. the first instant of the next day (民法典 第二百零三条)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=CHINA)
