"""Seed the schedules of 2023–2026 from the `chinesecalendar` package (see workdays/builtin.py)."""

from django.db import migrations
from django.utils import timezone


def seed(apps, schema_editor):
    from tenderwatch.workdays import builtin

    HolidaySchedule = apps.get_model("workdays", "HolidaySchedule")
    SpecialDay = apps.get_model("workdays", "SpecialDay")
    entered_at = timezone.now()
    for year in builtin.BUILTIN_YEARS:
        if HolidaySchedule.objects.filter(year=year).exists():
            continue
        notice = builtin.NOTICES[year]
        schedule = HolidaySchedule.objects.create(
            year=year,
            notice_title=notice.title,
            notice_ref=notice.reference,
            published_on=notice.published_on,
            source_url=notice.url,
            source="builtin",
            entered_at=entered_at,
            version=1,
        )
        SpecialDay.objects.bulk_create(
            SpecialDay(schedule=schedule, date=day, kind=kind, name=name)
            for day, kind, name in builtin.builtin_days(year)
        )


def unseed(apps, schema_editor):
    HolidaySchedule = apps.get_model("workdays", "HolidaySchedule")
    SpecialDay = apps.get_model("workdays", "SpecialDay")
    SpecialDay.objects.filter(schedule__source="builtin").delete()
    HolidaySchedule.objects.filter(source="builtin", revisions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("workdays", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
