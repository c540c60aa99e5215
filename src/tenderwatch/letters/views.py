"""Staff pages: the letter templates of each kind (versions, download, upload, revert) and the
download of an issued letter. Thin: each calls one service; the services check permissions."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tenderwatch.core.errors import DomainError, NotFound
from tenderwatch.letters import pdf, registry, services
from tenderwatch.letters.forms import TemplateRevertForm, TemplateUploadForm
from tenderwatch.letters.models import Letter
from tenderwatch.org.scoping import can

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _gate(request: HttpRequest, permission: str) -> None:
    if not can(request.user, permission):
        raise DjangoPermissionDenied


def _kind(code: str) -> registry.LetterKind:
    try:
        return registry.get(code)
    except NotFound:
        raise Http404 from None


def _attachment(content: bytes, filename: str, content_type: str = DOCX) -> FileResponse:
    response = FileResponse(
        io.BytesIO(content), as_attachment=True, filename=filename, content_type=content_type
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def templates(request: HttpRequest) -> HttpResponse:
    _gate(request, "letters.template.view")
    rows = []
    for kind in registry.kinds():
        current = services.current_template(kind)
        rows.append(
            {
                "kind": kind,
                "version": current.version,
                "row": current.row,
                "count": services.template_versions(kind.code).count(),
            }
        )
    return render(
        request,
        "letters/templates.html",
        {"rows": rows, "can_manage": can(request.user, "letters.template.manage")},
    )


def _placeholder(name: str, sample: Any) -> str:
    """How a field is written in Word: a placeholder, or a paragraph loop for a list."""
    if not isinstance(sample, list):
        return f"{{{{ {name} }}}}"
    first = sample[0] if sample else ""
    inner = (
        "、".join(f"{{{{ item.{key} }}}}" for key in first)
        if isinstance(first, dict)
        else "{{ item }}"
    )
    return f"{{%p for item in {name} %}} … {inner} … {{%p endfor %}}"


def _sample_text(value: Any) -> str:
    """A sample value as one line: list items joined by "；", an item's parts by "／"."""
    if isinstance(value, list):
        return "；".join(_sample_text(v) for v in value)
    if isinstance(value, dict):
        return "／".join(str(v) for v in value.values() if v)
    return "" if value is None else str(value)


def _detail_context(request: HttpRequest, kind: registry.LetterKind, **extra: Any) -> dict:
    current = services.current_template(kind)
    return {
        "kind": kind,
        "current": current,
        "versions": list(services.template_versions(kind.code).select_related("uploaded_by")),
        "fields": [
            {
                "name": name,
                "required": name in kind.required_fields,
                "placeholder": _placeholder(name, kind.sample.get(name)),
                "sample": _sample_text(kind.sample.get(name)),
            }
            for name in kind.fields
        ],
        "can_manage": can(request.user, "letters.template.manage"),
        "form": extra.pop("form", None) or TemplateUploadForm(),
        **extra,
    }


@login_required
def template_detail(request: HttpRequest, kind: str) -> HttpResponse:
    _gate(request, "letters.template.view")
    return render(request, "letters/template_detail.html", _detail_context(request, _kind(kind)))


@login_required
def template_download(request: HttpRequest, kind: str) -> HttpResponseBase:
    letter_kind = _kind(kind)
    found = services.template_download(kind=letter_kind.code, actor=request.user)
    return _attachment(found.content, found.filename)


@login_required
def template_version_download(request: HttpRequest, kind: str, version: int) -> HttpResponseBase:
    letter_kind = _kind(kind)
    found = services.template_version_download(
        kind=letter_kind.code, version=version, actor=request.user
    )
    return _attachment(found.content, found.filename)


@login_required
@require_http_methods(["GET", "POST"])
def template_upload(request: HttpRequest, kind: str) -> HttpResponse:
    letter_kind = _kind(kind)
    _gate(request, "letters.template.manage")
    if request.method != "POST":
        return redirect("letters:template_detail", kind=letter_kind.code)
    form = TemplateUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            row = services.template_upload(
                kind=letter_kind.code,
                upload=upload,
                actor=request.user,
                note=form.cleaned_data["note"],
                filename=upload.name,
            )
        except DomainError as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(
                request,
                _("Version %(version)s is now the template of %(title)s.")
                % {"version": row.version, "title": letter_kind.title},
            )
            return redirect("letters:template_detail", kind=letter_kind.code)
    context = _detail_context(request, letter_kind, form=form)
    return render(request, "letters/template_detail.html", context, status=400)


@login_required
@require_POST
def template_revert(request: HttpRequest, kind: str) -> HttpResponse:
    letter_kind = _kind(kind)
    _gate(request, "letters.template.manage")
    form = TemplateRevertForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a version."))
        return redirect("letters:template_detail", kind=letter_kind.code)
    version = form.cleaned_data["version"]
    try:
        services.template_revert(
            kind=letter_kind.code,
            version=version,
            actor=request.user,
            note=form.cleaned_data["note"],
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        if version:
            messages.success(
                request, _("Version %(version)s is the template again.") % {"version": version}
            )
        else:
            messages.success(request, _("The built-in template is used again."))
    return redirect("letters:template_detail", kind=letter_kind.code)


@login_required
def letter_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    letter = get_object_or_404(Letter, pk=pk)
    try:
        content = services.letter_open(letter=letter, actor=request.user)
    except NotFound:
        raise Http404 from None
    return _attachment(content, letter.download_name)


@login_required
def letter_pdf(request: HttpRequest, pk: int) -> HttpResponseBase:
    letter = get_object_or_404(Letter, pk=pk)
    if not services.may_open(request.user, letter):
        raise Http404
    if not pdf.available():
        return render(
            request,
            "web/error.html",
            {"message": _("PDF copies are not available here: LibreOffice is not installed.")},
            status=404,
        )
    content = services.render_pdf(letter, actor=request.user)
    assert content is not None
    return _attachment(content, letter.download_name[:-5] + ".pdf", "application/pdf")
