"""OCDS pages: upload a file for import (office staff, `ledger.import`) and export the project
list's current selection as OCDS (every staff role, `ledger.view`).

The import runs in the request, synchronously: a district's files (hundreds of processes) take
seconds. The upload is kept under MEDIA_ROOT/imports/ (named by time and SHA-256) so the file an
audit entry refers to can be found again.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from tenderwatch.ledger import selectors
from tenderwatch.ledger.ingest import ocds
from tenderwatch.ledger.ingest import permissions as _permissions  # noqa: F401 (registers)
from tenderwatch.ledger.ingest.writer import IngestReport
from tenderwatch.ledger.views import ProjectFilterForm
from tenderwatch.org.scoping import can

MAX_UPLOAD_BYTES = 500 * 1024 * 1024
SHOWN_REFUSALS = 500


def register_nav() -> None:
    """The OCDS import page in the navigation (for those who may import)."""
    from tenderwatch.web import nav

    nav.register(nav.NavItem(_("Import OCDS"), "ledger:ocds_import", "ledger.import", order=26))


class OcdsUploadForm(forms.Form):
    file = forms.FileField(
        label=_("OCDS file (release or record package, or JSON Lines)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".json,.jsonl,.ndjson"}),
    )
    source = forms.SlugField(
        label=_("Source"),
        max_length=60,
        initial=ocds.DEFAULT_SOURCE,
        help_text=_("Recorded on every row; a re-import of the same source updates by version."),
    )


def _store_upload(upload: Any) -> tuple[Path, str]:
    """Write the upload under MEDIA_ROOT/imports/, streamed; return its path and SHA-256."""
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(prefix=".upload-", dir=folder)
    with os.fdopen(fd, "wb") as fh:
        for chunk in upload.chunks():
            digest.update(chunk)
            fh.write(chunk)
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in Path(upload.name or "").name)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
    path = folder / f"{stamp}-{digest.hexdigest()[:12]}-{safe[-80:] or 'upload.json'}"
    Path(tmp).replace(path)
    return path, digest.hexdigest()


@login_required
@require_http_methods(["GET", "POST"])
def ocds_import(request: HttpRequest) -> HttpResponse:
    if not can(request.user, "ledger.import"):
        raise PermissionDenied
    report: IngestReport | None = None
    stored: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = OcdsUploadForm(request.POST, request.FILES)
        if form.is_valid() and form.cleaned_data["file"].size > MAX_UPLOAD_BYTES:
            form.add_error("file", _("The file is larger than 500 MB."))
        if form.is_valid():
            upload = form.cleaned_data["file"]
            path, sha = _store_upload(upload)
            stored = {"name": upload.name or path.name, "sha256": sha}
            report = ocds.import_files(
                [path],
                actor=request.user,
                source=form.cleaned_data["source"],
                names={path: upload.name or path.name},
                workers=0,  # no forking inside a web server process
            )
            form = OcdsUploadForm(initial={"source": form.cleaned_data["source"]})
        else:
            status = 400
    else:
        form = OcdsUploadForm()
    return render(
        request,
        "ledger/ocds_import.html",
        {
            "form": form,
            "report": report,
            "stored": stored,
            "refusals": report.refused[:SHOWN_REFUSALS] if report else [],
            "more_refusals": max(0, len(report.refused) - SHOWN_REFUSALS) if report else 0,
        },
        status=status,
    )


@login_required
@require_GET
def ocds_export(request: HttpRequest) -> HttpResponse | FileResponse:
    """The project list's selection (same GET parameters) as OCDS: `?as=package` for a release
    package, JSON Lines otherwise. Written and validated in full before anything is sent."""
    if not can(request.user, "ledger.view"):
        raise PermissionDenied
    form = ProjectFilterForm(request.GET)
    projects = selectors.projects_search(user=request.user, **form.filters())
    package = request.GET.get("as") == "package"
    spool = tempfile.TemporaryFile()  # noqa: SIM115 — handed to FileResponse, which closes it
    text = io.TextIOWrapper(spool, encoding="utf-8")
    try:
        ocds.export_projects(projects, text, form="package" if package else "jsonl")
        text.flush()
    except ocds.ExportInvalid as exc:
        text.close()
        return HttpResponse(
            gettext(
                "Project %(id)s does not make a valid OCDS release, so nothing was exported: %(e)s"
            )
            % {"id": exc.external_id, "e": "; ".join(exc.errors)},
            status=500,
            content_type="text/plain; charset=utf-8",
        )
    text.detach()
    spool.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"tenderwatch-ocds-{stamp}.{'json' if package else 'jsonl'}"
    return FileResponse(
        spool,
        as_attachment=True,
        filename=name,
        content_type="application/json" if package else "application/x-ndjson",
    )
