"""Spreadsheet pages: upload a file for import (office staff, `ledger.import`), download the
templates, export the project list's selection to Excel (every staff role, `ledger.view`).

The import runs in the request: a district's files (thousands of rows) take seconds, and the
office wants the row report on the page. The work is in `ingest.tabular` and `export_xlsx`.
"""

from __future__ import annotations

import tempfile
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from tenderwatch.ledger import export_xlsx, selectors
from tenderwatch.ledger.ingest import tabular
from tenderwatch.ledger.views import ProjectFilterForm
from tenderwatch.org.scoping import can

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
SHOWN_PROBLEMS = 1000
TEMPLATE_KINDS = (tabular.PROJECTS, tabular.BIDS, tabular.EVENTS)
TEMPLATE_FORMATS = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _("Excel")),
    "csv": ("text/csv; charset=utf-8", _("CSV (UTF-8)")),
    "csv-gbk": ("text/csv; charset=gbk", _("CSV (GBK)")),
}
KIND_CHOICES = [
    (tabular.PROJECTS, _("Projects and lots (项目与标段)")),
    (tabular.BIDS, _("Bids (投标)")),
    (tabular.EVENTS, _("Procedure steps (程序环节)")),
    (tabular.WORKBOOK, _("Whole workbook as exported (项目、标段、投标、程序环节)")),
]
COUNT_LABELS = [
    ("projects_new", _("New projects")),
    ("projects_updated", _("Projects updated")),
    ("projects_unchanged", _("Projects unchanged")),
    ("lots_new", _("New lots")),
    ("lots_changed", _("Lots changed")),
    ("bids_new", _("New bids")),
    ("bids_changed", _("Bids changed")),
    ("bids_unchanged", _("Bids unchanged")),
    ("events_new", _("New procedure steps")),
    ("events_unchanged", _("Procedure steps unchanged")),
    ("rows_older_version", _("Rows of an older version (ignored)")),
]


def register_nav() -> None:
    """The spreadsheet import page in the navigation (for those who may import); to be called
    from `LedgerConfig.ready()`."""
    from tenderwatch.web import nav

    nav.register(
        nav.NavItem(_("Import spreadsheets"), "ledger:sheet_import", "ledger.import", order=27)
    )


class SheetUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=KIND_CHOICES)
    file = forms.FileField(
        label=_("File (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,.txt"}),
    )
    source = forms.CharField(
        label=_("Source"),
        required=False,
        max_length=50,
        help_text=_(
            "Where the file comes from, recorded on the projects it creates; leave empty to "
            "use the file's fingerprint."
        ),
    )
    dry_run = forms.BooleanField(label=_("Only check, write nothing"), required=False)


def _templates() -> list[dict[str, Any]]:
    return [
        {
            "kind": kind,
            "title": tabular.SPECS[kind].title,
            "formats": [(fmt, label) for fmt, (_type, label) in TEMPLATE_FORMATS.items()],
        }
        for kind in TEMPLATE_KINDS
    ]


@login_required
@require_http_methods(["GET", "POST"])
def sheet_import(request: HttpRequest) -> HttpResponse:
    if not can(request.user, "ledger.import"):
        raise PermissionDenied
    report: tabular.SheetReport | None = None
    status = 200
    if request.method == "POST":
        form = SheetUploadForm(request.POST, request.FILES)
        if form.is_valid() and form.cleaned_data["file"].size > MAX_UPLOAD_BYTES:
            form.add_error("file", _("The file is larger than 200 MB."))
        if form.is_valid():
            upload = form.cleaned_data["file"]
            # A large upload is already on disk (TemporaryUploadedFile); a small one in memory.
            on_disk = getattr(upload, "temporary_file_path", None)
            report = tabular.sheet_import(
                actor=request.user,
                file=on_disk() if on_disk else upload.file,
                kind=form.cleaned_data["kind"],
                filename=upload.name or "",
                source=form.cleaned_data["source"],
                dry_run=form.cleaned_data["dry_run"],
            )
            status = 200 if report.ok else 400
            form = SheetUploadForm(
                initial={"kind": form.cleaned_data["kind"], "source": form.cleaned_data["source"]}
            )
        else:
            status = 400
    else:
        form = SheetUploadForm()
    counts = (
        [(key, label, report.counts.get(key, 0)) for key, label in COUNT_LABELS] if report else []
    )
    return render(
        request,
        "ledger/tabular_import.html",
        {
            "form": form,
            "report": report,
            "counts": counts,
            "problems": report.problems[:SHOWN_PROBLEMS] if report else [],
            "more_problems": max(0, report.problems_total - SHOWN_PROBLEMS) if report else 0,
            "templates": _templates(),
        },
        status=status,
    )


@login_required
@require_GET
def sheet_template(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    if not can(request.user, "ledger.view"):
        raise PermissionDenied
    if kind not in TEMPLATE_KINDS or fmt not in TEMPLATE_FORMATS:
        raise Http404
    if fmt == "xlsx":
        content = tabular.template_xlsx(kind)
    else:
        content = tabular.template_csv(kind, "gbk" if fmt == "csv-gbk" else "utf-8")
    response = HttpResponse(content, content_type=TEMPLATE_FORMATS[fmt][0])
    response["Content-Disposition"] = (
        content_disposition_header(
            as_attachment=True, filename=tabular.template_filename(kind, fmt)
        )
        or ""
    )
    return response


@login_required
@require_GET
def sheet_export(request: HttpRequest) -> FileResponse:
    """The project list's selection (same GET parameters) as an Excel workbook."""
    if not can(request.user, "ledger.view"):
        raise PermissionDenied
    form = ProjectFilterForm(request.GET)
    projects = selectors.projects_search(user=request.user, **form.filters())
    spool = tempfile.TemporaryFile()  # noqa: SIM115 — handed to FileResponse, which closes it
    try:
        export_xlsx.export_workbook(projects, spool)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=export_xlsx.export_filename(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
