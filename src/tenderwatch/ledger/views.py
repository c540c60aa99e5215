"""Pages of the ledger: the project list, a project, a market entity, a document, and the
approved-projects list (应进必进) with its import. REQ-05, REQ-09, REQ-21.

Every staff role reads the whole ledger (DESIGN.md, visibility), so the gate is `ledger.view`;
only the import of the approved list needs `ledger.approved.import` (the office).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from tenderwatch.core.errors import NotFound
from tenderwatch.ledger import approved as approved_list_module
from tenderwatch.ledger import panels, selectors
from tenderwatch.ledger.models import Category, ProcurementMethod, ProjectStatus
from tenderwatch.org.scoping import can

TEN_THOUSAND = Decimal(10000)


def register_nav() -> None:
    """Navigation entries of the ledger; to be called from `LedgerConfig.ready()`."""
    from tenderwatch.web import nav

    nav.register(
        nav.NavItem(_("Projects"), "ledger:project_list", "ledger.view", order=20),
        nav.NavItem(_("Approved projects"), "ledger:approved_list", "ledger.view", order=25),
    )


def _gate(request: HttpRequest, permission: str) -> None:
    if not can(request.user, permission):
        raise PermissionDenied


def _page_links(request: HttpRequest, page: Page, param: str = "page") -> dict[str, Any]:
    """Links to the first, previous, next and last page, keeping the other query parameters."""

    def url(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return "?" + query.urlencode()

    return {
        "page": page,
        "first_url": url(1) if page.has_previous() else "",
        "prev_url": url(page.previous_page_number()) if page.has_previous() else "",
        "next_url": url(page.next_page_number()) if page.has_next() else "",
        "last_url": url(page.paginator.num_pages) if page.has_next() else "",
    }


# -- projects ----------------------------------------------------------------------------------

YES_NO = [("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]


class ProjectFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Code, name or tenderer"), required=False, max_length=100, strip=True
    )
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("Any")), *Category.choices]
    )
    method = forms.ChoiceField(
        label=_("Procurement method"),
        required=False,
        choices=[("", _("Any")), *ProcurementMethod.choices],
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *ProjectStatus.choices]
    )
    region = forms.CharField(label=_("Region code"), required=False, max_length=12)
    registered_from = forms.DateField(
        label=_("Registered from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    registered_to = forms.DateField(
        label=_("Registered to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    amount_min = forms.DecimalField(
        label=_("Estimated amount from (10,000 yuan)"), required=False, min_value=0
    )
    amount_max = forms.DecimalField(
        label=_("Estimated amount to (10,000 yuan)"), required=False, min_value=0
    )
    must_tender = forms.ChoiceField(label=_("Must be tendered"), required=False, choices=YES_NO)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        industry = self.fields["industry"]
        assert isinstance(industry, forms.ChoiceField)
        industry.choices = [("", _("Any")), *selectors.industries_in_use()]

    def filters(self) -> dict[str, Any]:
        """The valid filters; a field with an error is shown with its message and left out."""
        self.is_valid()
        d = getattr(self, "cleaned_data", {})
        amount_min, amount_max = d.get("amount_min"), d.get("amount_max")
        return {
            "q": d.get("q", ""),
            "industry": d.get("industry", ""),
            "category": d.get("category", ""),
            "method": d.get("method", ""),
            "status": d.get("status", ""),
            "region": d.get("region", ""),
            "registered_from": d.get("registered_from"),
            "registered_to": d.get("registered_to"),
            "amount_min": None if amount_min is None else amount_min * TEN_THOUSAND,
            "amount_max": None if amount_max is None else amount_max * TEN_THOUSAND,
            "must_tender": {"yes": True, "no": False}.get(d.get("must_tender", "")),
        }


@login_required
@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    _gate(request, "ledger.view")
    form = ProjectFilterForm(request.GET)
    projects = selectors.projects_search(user=request.user, **form.filters())
    page = Paginator(projects, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "ledger/project_list.html",
        {"form": form, "page": page, "pager": _page_links(request, page)},
    )


@login_required
@require_GET
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _gate(request, "ledger.view")
    all_versions = request.GET.get("versions") == "all"
    try:
        detail = selectors.project_detail(user=request.user, pk=pk, all_versions=all_versions)
    except NotFound as exc:
        raise Http404 from exc
    return render(
        request,
        "ledger/project_detail.html",
        {
            "d": detail,
            "project": detail.project,
            "industry_label": selectors.industry_label(detail.project.industry),
            "approvals": list(detail.project.approvals.order_by("approved_on", "id")),
            "panels": panels.collect(request, detail.project),
        },
    )


# -- market entities ---------------------------------------------------------------------------

ENTITY_LISTS = ("bids", "wins", "tendered", "agency", "consortium")


@login_required
@require_GET
def entity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _gate(request, "ledger.view")
    pages = {name: request.GET.get(f"{name}_page") for name in ENTITY_LISTS}
    try:
        profile = selectors.entity_profile(user=request.user, pk=pk, pages=pages)
    except NotFound as exc:
        raise Http404 from exc
    pagers = {
        "bids": _page_links(request, profile.bids, "bids_page"),
        "wins": _page_links(request, profile.wins, "wins_page"),
        "tendered": _page_links(request, profile.tendered, "tendered_page"),
        "agency": _page_links(request, profile.as_agency, "agency_page"),
        "consortium": _page_links(request, profile.consortium, "consortium_page"),
    }
    return render(
        request,
        "ledger/entity_detail.html",
        {"p": profile, "entity": profile.entity, "stats": profile.stats, "pagers": pagers},
    )


# -- documents ---------------------------------------------------------------------------------


@login_required
@require_GET
def document_detail(request: HttpRequest, sha256: str) -> HttpResponse | FileResponse:
    _gate(request, "ledger.view")
    try:
        document = selectors.document_of(user=request.user, sha256=sha256)
    except NotFound as exc:
        raise Http404 from exc
    if request.GET.get("download") and document.file:
        return FileResponse(
            document.file.open("rb"),
            filename=document.title or document.sha256,
            content_type=document.media_type or "application/octet-stream",
        )
    events = document.events.select_related("project").order_by("occurred_at", "id")[:50]
    return render(request, "ledger/document_detail.html", {"document": document, "events": events})


# -- approved projects (应进必进) ----------------------------------------------------------------

SHOW_CHOICES = [
    ("", _("All")),
    ("not_entered", _("Must be tendered but not entered")),
    ("entered", _("Entered the platform")),
    ("unassessed", _("Must-tender not assessed")),
]


class ApprovedFilterForm(forms.Form):
    show = forms.ChoiceField(label=_("Show"), required=False, choices=SHOW_CHOICES)
    q = forms.CharField(
        label=_("Approval number, project or owner"), required=False, max_length=100
    )


class ApprovedUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Approved-projects list (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )


def _approved_page(
    request: HttpRequest,
    *,
    upload_form: ApprovedUploadForm | None = None,
    report: approved_list_module.ImportReport | None = None,
    status: int = 200,
) -> HttpResponse:
    form = ApprovedFilterForm(request.GET)
    show, q = "", ""
    if form.is_valid():
        show, q = form.cleaned_data["show"], form.cleaned_data["q"]
    rows = approved_list_module.approved_list(user=request.user, show=show, q=q)
    page = Paginator(rows, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    items = [
        {
            "ap": ap,
            "status": approved_list_module.entered_status(ap),
            "match_label": approved_list_module.MATCH_METHODS.get(ap.match_method, ""),
        }
        for ap in page.object_list
    ]
    can_import = can(request.user, "ledger.approved.import")
    return render(
        request,
        "ledger/approved_list.html",
        {
            "form": form,
            "page": page,
            "items": items,
            "pager": _page_links(request, page),
            "can_import": can_import,
            "upload_form": upload_form or (ApprovedUploadForm() if can_import else None),
            "report": report,
            "not_entered_count": approved_list_module.approved_not_entered().count(),
            "threshold": approved_list_module.NAME_SIMILARITY_THRESHOLD,
        },
        status=status,
    )


@login_required
@require_GET
def approved_list(request: HttpRequest) -> HttpResponse:
    _gate(request, "ledger.view")
    return _approved_page(request)


@login_required
@require_POST
def approved_import(request: HttpRequest) -> HttpResponse:
    _gate(request, "ledger.approved.import")
    form = ApprovedUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _approved_page(request, upload_form=form, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > approved_list_module.MAX_FILE_BYTES:
        form.add_error("file", _("The file is larger than 10 MB."))
        return _approved_page(request, upload_form=form, status=400)
    report = approved_list_module.approved_import(
        actor=request.user, data=upload.read(), filename=upload.name or ""
    )
    return _approved_page(
        request,
        upload_form=ApprovedUploadForm(),
        report=report,
        status=200 if report.written else 400,
    )


@login_required
@require_GET
def approved_template(request: HttpRequest) -> HttpResponse:
    _gate(request, "ledger.view")
    response = HttpResponse(
        approved_list_module.template_workbook(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename="应进必进项目清单模板.xlsx") or ""
    )
    return response
