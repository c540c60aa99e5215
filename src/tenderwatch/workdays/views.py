"""Pages of the working-day calendar: the years covered, a year's days, entering a notice.

Entering goes in two steps: the clerk types the notice and asks for a preview (the days as the
calendar will read them, what changes, every problem); only a preview without problems offers
"Save", and saving needs the very content that was previewed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from tenderwatch.core import timeutil
from tenderwatch.core.errors import DomainError
from tenderwatch.org.scoping import can
from tenderwatch.workdays import selectors, services
from tenderwatch.workdays.forms import ScheduleForm
from tenderwatch.workdays.models import DayKind
from tenderwatch.workdays.schedule_input import (
    Problem,
    default_title,
    parse_lines,
    to_lines,
    weekday_label,
)


def _gate(request: HttpRequest, permission: str) -> None:
    if not can(request.user, permission):
        raise PermissionDenied


def _rows(days: list[tuple[dt.date, str, str]]) -> list[dict[str, Any]]:
    return [
        {
            "date": day,
            "weekday": weekday_label(day),
            "is_holiday": kind == DayKind.HOLIDAY,
            "kind": DayKind(kind).label,
            "name": name,
        }
        for day, kind, name in days
    ]


@login_required
def schedule_list(request: HttpRequest) -> HttpResponse:
    _gate(request, "workdays.view")
    return render(
        request,
        "workdays/schedule_list.html",
        {
            "schedules": selectors.schedules_overview(),
            "warnings": selectors.coverage_warnings(),
            "can_manage": can(request.user, "workdays.manage"),
        },
    )


@login_required
def schedule_detail(request: HttpRequest, year: int) -> HttpResponse:
    _gate(request, "workdays.view")
    schedule = selectors.schedule_of(year)
    if schedule is None:
        raise Http404
    revisions = [
        {"revision": r, "lines": to_lines([(dt.date.fromisoformat(d), k, n) for d, k, n in r.days])}
        for r in selectors.revisions_of(year)
    ]
    return render(
        request,
        "workdays/schedule_detail.html",
        {
            "schedule": schedule,
            "rows": _rows(selectors.days_of(schedule)),
            "revisions": revisions,
            "last_recompute": selectors.last_recompute(schedule),
            "saved": request.GET.get("saved") == str(schedule.version),
            "can_manage": can(request.user, "workdays.manage"),
        },
    )


def _changes(
    old: list[tuple[dt.date, str, str]], new: list[tuple[dt.date, str, str]]
) -> list[dict[str, Any]]:
    def label(value: tuple[str, str] | None) -> str:
        return f"{DayKind(value[0]).label} {value[1]}".strip() if value else "—"

    return [
        {"date": c.date, "before": label(c.before), "after": label(c.after)}
        for c in selectors.diff(old, new)
    ]


def _form(existing: Any, **kwargs: Any) -> ScheduleForm:
    if existing is not None:
        kwargs["initial"] = {**kwargs.get("initial", {}), "year": existing.year}
    form = ScheduleForm(**kwargs)
    if existing is not None:
        form.fields["year"].disabled = True  # replacing this year's schedule, not another's
    return form


@login_required
@require_http_methods(["GET", "POST"])
def schedule_enter(request: HttpRequest, year: int | None = None) -> HttpResponse:
    _gate(request, "workdays.manage")
    existing = selectors.schedule_of(year) if year is not None else None
    if year is not None and existing is None:
        raise Http404
    if request.method == "GET":
        if existing is not None:
            initial: dict[str, Any] = {
                "year": existing.year,
                "notice_title": existing.notice_title,
                "notice_ref": existing.notice_ref,
                "published_on": existing.published_on,
                "source_url": existing.source_url,
                "days": to_lines(selectors.days_of(existing)),
            }
        else:
            next_year = timeutil.china_date().year + 1
            initial = {"year": next_year, "notice_title": default_title(next_year)}
        form = _form(existing, initial=initial)
        return render(request, "workdays/schedule_form.html", {"form": form, "existing": existing})

    form = _form(existing, data=request.POST)
    context: dict[str, Any] = {"form": form, "existing": existing}
    if not form.is_valid():
        return render(request, "workdays/schedule_form.html", context)
    data = form.cleaned_data
    target = selectors.schedule_of(data["year"])
    draft = parse_lines(
        data["days"],
        year=data["year"],
        notice_title=data["notice_title"],
        notice_ref=data["notice_ref"],
        published_on=data["published_on"],
        source_url=data["source_url"],
    )
    problems: list[Problem] = services.check(draft)
    if target is not None and not data["reason"].strip():
        problems.append(Problem("reason", services.reason_required_message(data["year"])))
    labels = {name: str(field.label) for name, field in form.fields.items()}
    problems = [Problem(labels.get(p.where, p.where), p.message, p.line) for p in problems]
    digest = form.content_digest(replaces_version=target.version if target is not None else 0)
    if request.POST.get("action") == "save" and not problems and data["digest"] == digest:
        try:
            schedule = services.schedule_replace(
                year=data["year"],
                days=draft.days,
                notice_title=draft.notice_title,
                notice_ref=draft.notice_ref,
                published_on=draft.published_on,
                source_url=draft.source_url,
                actor=request.user,
                reason=data["reason"],
            )
        except services.ScheduleInvalid as exc:  # e.g. another clerk saved a clashing year
            problems = [
                Problem(labels.get(p.where, p.where), p.message, p.line) for p in exc.problems
            ]
        except DomainError as exc:
            problems = [Problem("", str(exc))]
        else:
            url = reverse("workdays:detail", args=[schedule.year])
            return redirect(f"{url}?saved={schedule.version}")
    new_days = sorted((d.date, d.kind, d.name) for d in draft.days)
    old_days = selectors.days_of(target) if target is not None else []
    data_copy = request.POST.copy()
    data_copy["digest"] = "" if problems else digest
    form.data = data_copy
    context.update(
        {
            "preview": True,
            "problems": problems,
            "target": target,
            "rows": _rows(new_days),
            "changes": _changes(old_days, new_days) if target is not None else [],
            "holiday_count": len(draft.holidays),
            "workday_count": len(draft.adjusted_workdays),
        }
    )
    return render(request, "workdays/schedule_form.html", context)
