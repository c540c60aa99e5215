"""Staff pages: the list and intake queue, a matter with its clocks and checks, the review
actions, the clerk's entry of letters and visits, identities on request, the list by department.

Thin: validate, call one service, render. Object-level denial is "not found" (Http404 via
NotFound), so a department cannot tell that another department's matter exists.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from tenderwatch.complaints import checks, clocks, files, selectors, services, workflow
from tenderwatch.complaints.forms import (
    AcceptForm,
    ReclassifyForm,
    RejectForm,
    ReportForm,
    RevealForm,
    StaffFilingForm,
    StopEndForm,
    StopForm,
    SupplementForm,
    SupplementRequestForm,
    WithdrawalDecisionForm,
)
from tenderwatch.complaints.identity import LABELS
from tenderwatch.complaints.models import (
    INTAKE_STATUSES,
    Attachment,
    Kind,
    Matter,
    Status,
)
from tenderwatch.core import timeutil
from tenderwatch.core.errors import DomainError, NotFound, PermissionDenied
from tenderwatch.org.scoping import can


def _gate(request: HttpRequest, permission: str = "complaints.view") -> None:
    if not can(request.user, permission):
        raise DjangoPermissionDenied


def _list_filters(request: HttpRequest) -> dict[str, Any]:
    status = request.GET.get("status", "")
    if status not in ("", "intake", "stages", *Status.values):
        status = ""
    kind = request.GET.get("kind", "")
    if kind not in ("", *Kind.values):
        kind = ""
    department = request.GET.get("department", "")
    if not (department == "none" or department.isdigit()):
        department = ""
    try:
        due_before = dt.date.fromisoformat(request.GET.get("due_before", ""))
    except ValueError:
        due_before = None
    return {
        "status": status,
        "kind": kind,
        "overdue": request.GET.get("overdue") == "1",
        "q": request.GET.get("q", "")[:100],
        "department": department,
        "due_before": due_before,
    }


@login_required
def matter_list(request: HttpRequest) -> HttpResponse:
    """The matters list, for the office (all departments, or one) and for a department (its
    own): filters by stage, kind, department, deadline and overdue; export to Excel."""
    _gate(request)
    filters = _list_filters(request)
    qs = selectors.matters_filtered(user=request.user, **filters)
    page = Paginator(qs, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    from tenderwatch.org.models import Department

    return render(
        request,
        "complaints/list.html",
        {
            "rows": selectors.rows(page.object_list),
            "page": page,
            **filters,
            "statuses": Status.choices,
            "kinds": Kind.choices,
            "departments": Department.objects.filter(
                pk__in=selectors.matters_visible_to(request.user)
                .exclude(department__isnull=True)
                .values("department")
            ).order_by("sort_order", "code"),
            "query": request.GET.urlencode(),
            "may_enter": can(request.user, "complaints.intake"),
            "may_report": can(request.user, "complaints.report.view"),
        },
    )


@login_required
def matter_export(request: HttpRequest) -> HttpResponse:
    """The list with its filters as an Excel workbook (the filer masked)."""
    import io

    from tenderwatch.audit import services as audit
    from tenderwatch.complaints import export_xlsx

    _gate(request)
    filters = _list_filters(request)
    qs = selectors.matters_filtered(user=request.user, **filters)
    buffer = io.BytesIO()
    count = export_xlsx.write(qs, buffer)
    audit.record(
        actor=request.user,
        action="complaints.matters.exported",
        obj=None,
        after={"count": count, "filters": {k: str(v) for k, v in filters.items() if v}},
    )
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timeutil.now().astimezone(timeutil.CHINA).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="complaints-{stamp}.xlsx"'
    return response


def _detail_context(request: HttpRequest, matter: Matter) -> dict[str, Any]:
    user = request.user
    now = timeutil.now()
    found = checks.run(matter)
    deadlines = [
        (d, clocks.countdown(d, now=now)) for d in matter.deadlines.order_by("due_at", "id")
    ]
    may_act = can(user, "complaints.intake", matter)
    missing = checks.missing_items(found)
    request_for_rejection = services.latest_rejection_request(matter)
    attachments = [
        (a, not a.identity_protected or can(user, "complaints.identity.view", matter))
        for a in matter.attachments.select_related("uploaded_by")
    ]
    return {
        "matter": matter,
        "checks": found,
        "failing": checks.failing(found),
        "deadlines": deadlines,
        "stops": [
            (s, clocks.STOP_BASIS.get(s.reason, ""))
            for s in matter.clock_stops.select_related("started_by", "ended_by")
        ],
        "notices": list(matter.notices.select_related("issued_by")),
        "history": selectors.history(matter),
        "attachments": attachments,
        "supplements": list(matter.supplements.select_related("entered_by")),
        "duplicates": list(matter.duplicates.all()),
        "escalations": list(matter.escalations.select_related("deadline")),
        "public_stage": workflow.public_stage(matter),
        "may_act": may_act,
        "in_intake": matter.status in INTAKE_STATUSES,
        "may_reveal": can(user, "complaints.identity.view", matter),
        "rejection_request": request_for_rejection,
        "accept_form": AcceptForm(),
        "supplement_request_form": SupplementRequestForm(initial={"items": "\n".join(missing)}),
        "supplement_form": SupplementForm(),
        "reject_form": RejectForm(
            initial={"ground": next((c.ground for c in checks.failing(found)), "")}
        ),
        "withdrawal_form": WithdrawalDecisionForm(),
        "stop_form": StopForm(),
        "stop_end_form": StopEndForm(),
        "reclassify_form": ReclassifyForm(
            initial={
                "project": matter.project_id,
                "project_text": matter.project_text,
                "industry": matter.industry,
                "subject": matter.subject,
            }
        ),
        "reveal_form": RevealForm(),
    }


@login_required
def matter_detail(request: HttpRequest, number: str) -> HttpResponse:
    from tenderwatch.complaints.views_stages import stage_context

    _gate(request)
    matter = selectors.matter_get(user=request.user, number=number)
    return render(
        request,
        "complaints/detail.html",
        {**_detail_context(request, matter), **stage_context(request, matter)},
    )


def _act(
    request: HttpRequest, number: str, action: Any, *, success: str, form_class: Any = None
) -> HttpResponse:
    """Run one review action on a POST; errors come back as a message on the matter page."""
    _gate(request)
    matter = selectors.matter_get(user=request.user, number=number)
    form = form_class(request.POST, request.FILES) if form_class else None
    if form is not None and not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(matter.get_absolute_url())
    try:
        action(matter, form)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, success)
    return redirect(matter.get_absolute_url())


def service_action(
    service: Callable[..., object], *, success: str | Promise, form_class: Any = None
) -> Callable[[HttpRequest, str], HttpResponse]:
    """A staff POST view for one action on the matter named in the URL:
    `service(matter=…, actor=the user, **the form's cleaned data)`, run by `_act`. The form's
    fields carry the service's argument names; an action that needs more keeps a view of its own."""

    @login_required
    @require_POST
    def view(request: HttpRequest, number: str) -> HttpResponse:
        def run(matter: Matter, form: Any) -> None:
            data = form.cleaned_data if form is not None else {}
            service(matter=matter, actor=request.user, **data)

        return _act(request, number, run, success=str(success), form_class=form_class)

    view.__name__ = view.__qualname__ = getattr(service, "__name__", "view")  # in tracebacks
    view.service, view.form_class = service, form_class  # type: ignore[attr-defined]
    return view


accept = service_action(
    services.matter_accept, success=gettext_lazy("Accepted."), form_class=AcceptForm
)
propose_rejection = service_action(
    services.matter_propose_rejection,
    success=gettext_lazy("Non-acceptance proposed; it waits for approval."),
    form_class=RejectForm,
)
finalize_rejection = service_action(
    services.matter_finalize_rejection, success=gettext_lazy("Done.")
)
decide_withdrawal = service_action(
    services.matter_decide_withdrawal,
    success=gettext_lazy("Done."),
    form_class=WithdrawalDecisionForm,
)
reclassify = service_action(
    services.matter_reclassify,
    success=gettext_lazy("Classification saved."),
    form_class=ReclassifyForm,
)
stop_start = service_action(
    services.clock_stop_start,
    success=gettext_lazy("The clock is stopped."),
    form_class=StopForm,
)


@login_required
@require_POST
def request_supplement(request: HttpRequest, number: str) -> HttpResponse:
    def run(matter: Matter, form: Any) -> None:
        services.matter_request_supplement(
            matter=matter,
            actor=request.user,
            items=form.item_list(),
            note=form.cleaned_data["note"],
        )

    return _act(
        request,
        number,
        run,
        success=_("The request to supplement was issued."),
        form_class=SupplementRequestForm,
    )


@login_required
@require_POST
def supplement(request: HttpRequest, number: str) -> HttpResponse:
    """A supplement that reached the office by letter or in person, entered by the clerk."""

    def run(matter: Matter, form: Any) -> None:
        services.matter_supplement(
            matter=matter,
            text=form.cleaned_data["text"],
            uploads=[("supplement", f) for f in form.cleaned_data["uploads"]],
            knew_on=form.cleaned_data["knew_on"],
            actor=request.user,
        )

    return _act(
        request, number, run, success=_("The supplement was recorded."), form_class=SupplementForm
    )


@login_required
@require_POST
def stop_end(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    def run(matter: Matter, form: Any) -> None:
        stop = matter.clock_stops.filter(pk=pk).first()
        if stop is None:
            raise NotFound()
        services.clock_stop_end(stop=stop, actor=request.user, note=form.cleaned_data["note"])

    return _act(request, number, run, success=_("The clock runs again."), form_class=StopEndForm)


@login_required
@require_POST
@never_cache
def identity(request: HttpRequest, number: str) -> HttpResponse:
    """Show the filer's identity to an entitled person, once per request, audited."""
    _gate(request)
    matter = selectors.matter_get(user=request.user, number=number)
    if not can(request.user, "complaints.identity.view", matter):
        raise NotFound()
    form = RevealForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why you need to see the identity; the view is recorded."))
        return redirect(matter.get_absolute_url())
    person = services.identity_reveal(
        matter=matter, actor=request.user, reason=form.cleaned_data["reason"]
    )
    fields = [(LABELS[k], v) for k, v in person.as_dict().items() if v]
    response = render(
        request,
        "complaints/identity.html",
        {"matter": matter, "fields": fields, "reason": form.cleaned_data["reason"]},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def attachment_download(request: HttpRequest, number: str, pk: int) -> HttpResponseBase:
    _gate(request)
    matter = selectors.matter_get(user=request.user, number=number)
    attachment = Attachment.objects.filter(pk=pk, matter=matter).first()
    if attachment is None:
        raise NotFound()
    services.attachment_open(attachment=attachment, actor=request.user)
    response = FileResponse(
        files.open_stored(attachment.sha256),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def matter_new(request: HttpRequest) -> HttpResponse:
    """The clerk enters a letter, a visit, a call or an assigned matter."""
    _gate(request, "complaints.intake")
    if request.method == "POST":
        form = StaffFilingForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = services.matter_file(
                    filing=form.filing(), token=form.cleaned_data["token"], actor=request.user
                )
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                request.session["tw_complaints_receipt"] = {"token": form.cleaned_data["token"]}
                messages.success(
                    request,
                    _("%(number)s registered. Hand the receipt and its code to the filer.")
                    % {"number": result.matter.number},
                )
                return HttpResponseRedirect(reverse("complaints:public_receipt"))
        status = 400
    else:
        now = timeutil.now().astimezone(timeutil.CHINA).replace(second=0, microsecond=0)
        form = StaffFilingForm(
            initial={"token": services.new_submission_token(), "received_at": now}
        )
        status = 200
    from tenderwatch.complaints.views_public import form_context

    return render(
        request,
        "complaints/new.html",
        {**form_context(form), "workflow": workflow.table()},
        status=status,
    )


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """The list by department for the leading group's 通报 (REQ-20)."""
    _gate(request, "complaints.report.view")
    form, start, end = _report_period(request)
    lines = selectors.report_by_department(user=request.user, date_from=start, date_to=end)
    if request.GET.get("format") == "csv":
        return _report_csv(lines, start, end)
    return render(
        request,
        "complaints/report.html",
        {
            "form": form,
            "lines": lines,
            "total": selectors.totals(lines),
            "date_from": start,
            "date_to": end,
        },
    )


def _report_period(request: HttpRequest) -> tuple[ReportForm, dt.date, dt.date]:
    today = timeutil.china_date()
    default_start = today.replace(day=1)
    form = ReportForm(request.GET or None, initial={"date_from": default_start, "date_to": today})
    if request.GET and form.is_valid():
        return form, form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    return form, default_start, today


def _report_csv(
    lines: list[selectors.DepartmentLine], start: dt.date, end: dt.date
) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="complaints-{start.isoformat()}-{end.isoformat()}.csv"'
    )
    response.write("\ufeff")  # Excel opens UTF-8 with a BOM
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Department"),
            _("Received"),
            _("Complaints"),
            _("Tip-offs"),
            _("Duplicates linked"),
            _("Accepted"),
            _("Not accepted"),
            _("Withdrawn"),
            _("Open"),
            _("Overdue now"),
            _("Acceptance late"),
            _("Overdue matters"),
        ]
    )
    labelled = [(ln.name or _("Not yet routed (office)"), ln) for ln in lines]
    for label, ln in [*labelled, (pgettext("report", "Total"), selectors.totals(lines))]:
        writer.writerow(
            [
                label,
                ln.received,
                ln.complaints,
                ln.tip_offs,
                ln.duplicates,
                ln.accepted,
                ln.not_accepted,
                ln.withdrawn,
                ln.open,
                ln.overdue_now,
                ln.acceptance_missed,
                " ".join(m.number for m in ln.overdue_matters),
            ]
        )
    return response
