"""Public pages, without an account: file a complaint or tip-off, get the receipt, follow it.

- The filing form carries a server-signed submission token. The filing is committed before the
  code is shown; the browser session then keeps the token (not the code), from which the receipt
  page derives the code again — a reload, or a retry of the form, shows the same number and code.
- Tracking asks for the 受理编号 and the 查询码 (never in a URL); once proven, the browser
  session remembers which filing it may see. Wrong codes are slowed down per client address and
  per filing number (`throttle`).
- Nothing internal shows: the public stage, the deadlines that bind the office, and the notices
  addressed to the filer — no staff names, no department's notes, nothing about other parties.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from tenderwatch.complaints import checks, clocks, crypto, files, selectors, services, workflow
from tenderwatch.complaints.forms import FilingForm, SupplementForm, TrackForm, WithdrawForm
from tenderwatch.complaints.models import Matter, Purpose
from tenderwatch.complaints.ratelimit import FilingRateLimited, filing_slot
from tenderwatch.core import timeutil
from tenderwatch.core.errors import DomainError
from tenderwatch.core.middleware import client_ip_of

RECEIPT_KEY = "tw_complaints_receipt"
TRACKED_KEY = "tw_complaints_tracked"


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "complaints/public/home.html", {})


@never_cache
def file(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = FilingForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                with filing_slot(client_ip_of(request), form.cleaned_data["token"]):
                    result = services.matter_file(
                        filing=form.filing(), token=form.cleaned_data["token"]
                    )
            except FilingRateLimited as exc:  # the form is shown again, as typed
                form.add_error(None, str(exc.message))
                return render(
                    request, "complaints/public/file.html", form_context(form), status=429
                )
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                request.session[RECEIPT_KEY] = {"token": form.cleaned_data["token"]}
                request.session.pop(TRACKED_KEY, None)
                # The filer may follow this filing in this session without typing the code.
                request.session[TRACKED_KEY] = result.matter.pk
                return HttpResponseRedirect(reverse("complaints:public_receipt"))
        status = 400
    else:
        form = FilingForm(initial={"token": services.new_submission_token()})
        status = 200
    return render(request, "complaints/public/file.html", form_context(form), status=status)


def projects(request: HttpRequest) -> HttpResponse:
    """The project search of the form (htmx): code and name, as published in the notices."""
    q = request.GET.get("q", "")[:100]
    return render(
        request,
        "complaints/public/_projects.html",
        {"options": selectors.project_options(selectors.public_projects(q)), "q": q},
    )


def form_context(form: FilingForm) -> dict[str, Any]:
    """What the filing fields need besides the form: the picked project, the file limits."""
    chosen = str(form["project_choice"].value() or "")
    return {
        "form": form,
        "project_options": selectors.chosen_options(chosen),
        "project_chosen": chosen,
        "max_file_mb": files.max_file_bytes() // (1024 * 1024),
        "max_files": files.max_files(),
    }


def _receipt_context(request: HttpRequest) -> dict[str, Any]:
    held = request.session.get(RECEIPT_KEY) or {}
    token = held.get("token", "")
    if not token:
        raise Http404
    matter = Matter.objects.filter(submission_key=crypto.submission_key(token)).first()
    if matter is None:
        raise Http404
    now = timeutil.now()
    return {
        "matter": matter,
        "code": crypto.format_code(crypto.tracking_code(token)),
        "stage": workflow.public_stage(matter),
        "checks": checks.run(matter),
        "deadlines": [
            (d, clocks.countdown(d, now=now))
            for d in matter.deadlines.filter(clock__in=selectors.PUBLIC_CLOCKS).order_by("due_at")
        ],
        "attachments": list(matter.attachments.exclude(purpose=Purpose.IDENTITY_PROOF)),
        "printed_at": now,
    }


@never_cache
def receipt(request: HttpRequest) -> HttpResponse:
    response = render(request, "complaints/public/receipt.html", _receipt_context(request))
    response["Cache-Control"] = "no-store"
    return response


@never_cache
def receipt_download(request: HttpRequest) -> HttpResponse:
    """The receipt as one self-contained HTML file (回执), to keep or print."""
    context = _receipt_context(request)
    body = render_to_string("complaints/public/receipt_document.html", context, request=request)
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    filename = f"receipt-{context['matter'].number}.html"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@never_cache
def track(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = TrackForm(request.POST)
        if form.is_valid():
            try:
                matter = services.tracking_verify(
                    number=form.cleaned_data["number"],
                    code=form.cleaned_data["code"],
                    client_ip=client_ip_of(request),
                )
            except services.TrackingRefused as exc:
                form.add_error(None, str(exc.message))
                status = 429 if exc.code == "throttled" else 403
            else:
                request.session.cycle_key()
                request.session[TRACKED_KEY] = matter.pk
                return HttpResponseRedirect(reverse("complaints:public_status"))
        else:
            status = 400
    else:
        form = TrackForm()
    return render(request, "complaints/public/track.html", {"form": form}, status=status)


def _tracked(request: HttpRequest) -> Matter | None:
    pk = request.session.get(TRACKED_KEY)
    if not isinstance(pk, int):
        return None
    return Matter.objects.filter(pk=pk).first()


@never_cache
def status(request: HttpRequest) -> HttpResponse:
    matter = _tracked(request)
    if matter is None:
        return HttpResponseRedirect(reverse("complaints:public_track"))
    response = render(
        request,
        "complaints/public/status.html",
        {
            "view": selectors.public_view(matter),
            "supplement_form": SupplementForm(),
            "withdraw_form": WithdrawForm(),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def supplement(request: HttpRequest) -> HttpResponse:
    matter = _tracked(request)
    if matter is None:
        return HttpResponseRedirect(reverse("complaints:public_track"))
    form = SupplementForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.matter_supplement(
                matter=matter,
                text=form.cleaned_data["text"],
                uploads=[(Purpose.SUPPLEMENT, f) for f in form.cleaned_data["uploads"]],
                knew_on=form.cleaned_data["knew_on"],
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Your supplement was received."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return HttpResponseRedirect(reverse("complaints:public_status"))


@require_POST
def withdraw(request: HttpRequest) -> HttpResponse:
    matter = _tracked(request)
    if matter is None:
        return HttpResponseRedirect(reverse("complaints:public_track"))
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.matter_withdraw(matter=matter, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Your withdrawal was recorded."))
    else:
        messages.error(request, _("Say why you withdraw."))
    return HttpResponseRedirect(reverse("complaints:public_status"))


@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    request.session.pop(TRACKED_KEY, None)
    request.session.pop(RECEIPT_KEY, None)
    return HttpResponseRedirect(reverse("complaints:public_home"))


@never_cache
def notice_letter(request: HttpRequest, pk: int) -> HttpResponse:
    """The letter of a notice to the filer (e.g. the served decision), as a Word file: only for
    the filing proven with its tracking code in this session; audited."""
    from tenderwatch.complaints.handling import public_letter_open

    matter = _tracked(request)
    if matter is None:
        return HttpResponseRedirect(reverse("complaints:public_track"))
    letter = public_letter_open(matter=matter, notice_id=pk, client_ip=client_ip_of(request))
    response = HttpResponse(
        letter.content,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(letter.filename)}"
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
