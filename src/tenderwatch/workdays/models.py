"""The working-day calendar: one schedule per year, as the State Council announced it.

Only the notice decides which days are statutory holidays and which weekend days become working
days (调休上班日); neither can be computed. Every other day is a working day from Monday to Friday
and a rest day on Saturday and Sunday. Writes go through `workdays.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ScheduleSource(models.TextChoices):
    BUILTIN = "builtin", _("Built in (chinese-calendar)")
    OFFICE_ENTRY = "office_entry", _("Entered by the office")


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday (放假)")
    ADJUSTED_WORKDAY = "adjusted_workday", _("Adjusted workday (调休上班)")


class HolidaySchedule(models.Model):
    """A year's notice: 国务院办公厅关于X年部分节假日安排的通知."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    notice_title = models.CharField(_("notice title"), max_length=200)
    notice_ref = models.CharField(
        _("notice reference"),
        max_length=60,
        blank=True,
        help_text=_("文号, e.g. 国办发明电〔2025〕7号; leave blank when not known for sure."),
    )
    published_on = models.DateField(_("published on"), null=True, blank=True)
    source_url = models.URLField(_("source address"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=ScheduleSource.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("entered at"))
    # Raised by every replacement; the calendar cache compares (year, version) pairs.
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["year"]
        verbose_name = _("holiday schedule")
        verbose_name_plural = _("holiday schedules")

    def __str__(self) -> str:
        return self.notice_title or str(self.year)


class SpecialDay(models.Model):
    """A day the notice names: a holiday, or a weekend day worked instead (调休上班)."""

    schedule = models.ForeignKey(
        HolidaySchedule, verbose_name=_("schedule"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=DayKind.choices)
    name = models.CharField(_("holiday"), max_length=60, help_text=_("e.g. 春节, 国庆节, 中秋节"))

    class Meta:
        ordering = ["date"]
        verbose_name = _("special day")
        verbose_name_plural = _("special days")

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}"

    @property
    def is_workday(self) -> bool:
        return self.kind == DayKind.ADJUSTED_WORKDAY


class ScheduleRevision(models.Model):
    """A replaced version of a year's schedule, kept whole so that history is never lost."""

    schedule = models.ForeignKey(
        HolidaySchedule,
        verbose_name=_("schedule"),
        on_delete=models.PROTECT,
        related_name="revisions",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    version = models.PositiveIntegerField(_("version replaced"))
    notice = models.JSONField(_("notice as it was"))
    days = models.JSONField(_("days as they were"))
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("replaced by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    replaced_at = models.DateTimeField(_("replaced at"))
    reason = models.TextField(_("reason"))

    class Meta:
        ordering = ["year", "-version"]
        verbose_name = _("schedule revision")
        verbose_name_plural = _("schedule revisions")
        constraints = [
            models.UniqueConstraint(fields=["year", "version"], name="workdays_revision_unique")
        ]

    def __str__(self) -> str:
        return f"{self.year} v{self.version}"
