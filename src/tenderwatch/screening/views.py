"""Pages of the warnings: the inbox (a department's and the office's), a warning with its
actions, the Excel export, and the rule catalogue. REQ-05, REQ-09.

Views are thin: a coarse gate, one service call, a redirect. Permissions on a warning are
checked in the services; a warning the user may not see answers 404.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from tenderwatch.core import timeutil
from tenderwatch.core.errors import DomainError, NotFound
from tenderwatch.ledger.models import Bid
from tenderwatch.org.scoping import can, scope_of
from tenderwatch.screening import catalogue, export_xlsx, selectors, services, workflow
from tenderwatch.screening.findings import Severity
from tenderwatch.screening.forms import (
    AssignForm,
    DecideForm,
    InboxFilterForm,
    ModelDocumentForm,
    NoteForm,
    RuleSettingForm,
    SwitchForm,
)
from tenderwatch.screening.models import (
    DismissalCategory,
    ModelDocument,
    Origin,
    RuleSetting,
    Warning,
    WarningStatus,
)


def register_nav() -> None:
    """Navigation entries; called from `ScreeningConfig.ready()`."""
    from tenderwatch.web import nav

    nav.register(
        nav.NavItem(
            gettext_lazy("Warnings"), "screening:inbox", "screening.warning.view", order=30
        ),
        nav.NavItem(
            gettext_lazy("Rule catalogue"), "screening:rules", "screening.rules.view", order=31
        ),
    )


def _gate(request: HttpRequest, permission: str) -> None:
    if not can(request.user, permission):
        raise PermissionDenied


def _get(request: HttpRequest, pk: int) -> Warning:
    try:
        return selectors.warning_get(user=request.user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc


def _page_links(request: HttpRequest, page: Any) -> dict[str, Any]:
    def url(number: int) -> str:
        query = request.GET.copy()
        query["page"] = str(number)
        return "?" + query.urlencode()

    return {
        "page": page,
        "first_url": url(1) if page.has_previous() else "",
        "prev_url": url(page.previous_page_number()) if page.has_previous() else "",
        "next_url": url(page.next_page_number()) if page.has_next() else "",
        "last_url": url(page.paginator.num_pages) if page.has_next() else "",
    }


# -- the inbox -----------------------------------------------------------------------------------


def _inbox_view(request: HttpRequest) -> str:
    """ "mine" (the warnings of the user's departments) or "all". Department officers land on
    theirs, the office and readers on all."""
    wanted = request.GET.get("view", "")
    if wanted in ("mine", "all"):
        return wanted
    scope = scope_of(request.user)
    if scope.is_office or scope.reads_everything or not selectors.own_departments(request.user):
        return "all"
    return "mine"


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    _gate(request, "screening.warning.view")
    view = _inbox_view(request)
    form = InboxFilterForm(request.GET)
    filters = form.filters()
    qs = selectors.warnings_filtered(user=request.user, filters=filters, mine=view == "mine")
    page = Paginator(qs, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "screening/inbox.html",
        {
            "form": form,
            "view": view,
            "has_own": bool(selectors.own_departments(request.user)),
            "page": page,
            "pager": _page_links(request, page),
            "now": timeutil.now(),
            "counts": selectors.inbox_counts(request.user, mine=view == "mine"),
            "may_assign": can(request.user, "screening.warning.assign"),
            "assign_form": AssignForm(),
            "query": query.urlencode(),
        },
    )


@login_required
@require_POST
def bulk_assign(request: HttpRequest) -> HttpResponse:
    _gate(request, "screening.warning.assign")
    form = AssignForm(request.POST)
    back = reverse("screening:inbox") + (
        "?" + request.POST["query"] if request.POST.get("query") else ""
    )
    ids = [int(v) for v in request.POST.getlist("warnings") if v.isdigit()]
    if not form.is_valid():
        messages.error(request, _("Choose a department."))
        return redirect(back)
    selected = list(selectors.warnings_visible_to(request.user).filter(pk__in=ids))
    try:
        done = services.warnings_bulk_assign(
            warnings=selected,
            department=form.cleaned_data["department"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    messages.success(
        request,
        _("%(n)s warnings assigned to %(dept)s.")
        % {"n": len(done), "dept": form.cleaned_data["department"]},
    )
    return redirect(back)


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    _gate(request, "screening.warning.export")
    view = _inbox_view(request)
    filters = InboxFilterForm(request.GET).filters()
    qs = selectors.warnings_filtered(user=request.user, filters=filters, mine=view == "mine")
    buffer = io.BytesIO()
    export_xlsx.write(qs, buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"预警清单-{timeutil.china_date():%Y%m%d}.xlsx"
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename=name) or ""
    )
    return response


# -- one warning ---------------------------------------------------------------------------------


def _bid_places(warning: Warning) -> dict[str, tuple[int, int]]:
    """Where each bid a fact refers to sits, as (project, lot), by its key in the ref. The
    statutory rules name a bid by its id; the collusion screens by its external id (unique
    within a lot; the id where a bid has none), looked up in the warning's project and in the
    lots a related-lot finding names — an external id found in two of them links nowhere
    rather than to one of them."""
    keys = {
        ref.split(":", 1)[1]
        for ref in (str(f.get("ref") or "") for f in warning.facts)
        if ref.startswith("bid:")
    }
    places: dict[str, tuple[int, int]] = {}
    if warning.origin == Origin.SCREEN and keys:
        lots = Q(lot__project_id=warning.project_id)
        numbers = [n for n in (warning.data or {}).get("lots", []) if isinstance(n, str)]
        if numbers:
            lots |= Q(lot__number__in=numbers)
        ambiguous: set[str] = set()
        found = Bid.objects.filter(lots, external_id__in=keys).values_list(
            "external_id", "lot__project_id", "lot_id"
        )
        for external_id, project_id, lot_id in found:
            if places.get(external_id, (project_id, lot_id)) != (project_id, lot_id):
                ambiguous.add(external_id)
            places[external_id] = (project_id, lot_id)
        for key in ambiguous:
            del places[key]
        keys -= set(places) | ambiguous
    ids = [int(k) for k in keys if k.isdigit()]
    for pk, project_id, lot_id in Bid.objects.filter(pk__in=ids).values_list(
        "pk", "lot__project_id", "lot_id"
    ):
        places[str(pk)] = (project_id, lot_id)
    return places


def _fact_links(warning: Warning) -> list[dict[str, Any]]:
    """The facts with a link to what they refer to (a step, a lot, a bid — in its own project's
    page, which for a related lot is another project —, a document, …)."""
    project_url = warning.subject_url()
    bids = _bid_places(warning)
    out = []
    for fact in warning.facts:
        ref = str(fact.get("ref") or "")
        kind, _sep, key = ref.partition(":")
        url = ""
        if kind == "event" and key.isdigit():
            url = f"{project_url}#warnings-event-{key}"
        elif kind == "lot" and key.isdigit():
            url = f"{project_url}#lot-{key}"
        elif kind == "bid" and key in bids:
            project_id, lot_id = bids[key]
            url = reverse("ledger:project_detail", args=[project_id]) + f"#lot-{lot_id}"
        elif kind == "document" and key:
            url = reverse("ledger:document_detail", args=[key])
        elif kind == "entity" and key.isdigit():
            url = reverse("ledger:entity_detail", args=[int(key)])
        elif kind == "project" and key.isdigit():
            url = reverse("ledger:project_detail", args=[int(key)])
        value = fact.get("value")
        if isinstance(value, list):
            value = "、".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = "；".join(f"{k}：{v}" for k, v in value.items())
        out.append({"label": fact.get("label", ""), "value": value, "ref": ref, "url": url})
    return out


CHANGE_KINDS = {
    "changed": gettext_lazy("changed"),
    "added": gettext_lazy("added"),
    "removed": gettext_lazy("left out"),
}


def _changes(warning: Warning) -> list[dict[str, Any]]:
    """The clauses a tender document changed against its model document (rule TD-01)."""
    changes = (warning.data or {}).get("changes")
    if not isinstance(changes, list):
        return []
    out = []
    for change in changes:
        if isinstance(change, dict):
            kind = str(change.get("kind", ""))
            out.append({**change, "kind_label": CHANGE_KINDS.get(kind, kind)})
    return out


def _approval_of(warning: Warning) -> Any:
    pending = warning.pending_decision or {}
    if not pending.get("approval"):
        return None
    from tenderwatch.approvals.models import ApprovalRequest

    return ApprovalRequest.objects.filter(pk=pending["approval"]).first()


def _render_detail(
    request: HttpRequest,
    warning: Warning,
    *,
    given: dict[str, django_forms.Form] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    given = given or {}
    may_act = can(user, "screening.warning.act", warning)
    may_assign = can(user, "screening.warning.assign", warning) and warning.is_open
    approval = _approval_of(warning)
    pending = warning.pending_decision or {}
    context = {
        "w": warning,
        "warning": warning,
        "facts": _fact_links(warning),
        "changes": _changes(warning),
        "history": list(warning.transitions.select_related("actor").order_by("at", "id")),
        "escalations": list(warning.escalations.select_related("department")),
        "referrals": list(warning.referrals.select_related("target_department")),
        "entities": list(warning.entities.all()),
        "now": timeutil.now(),
        "error": error,
        "may_act": may_act,
        "may_assign": may_assign,
        "may_verify": may_act and workflow.allowed("verify", warning.status),
        "may_decide": may_act and warning.status == WarningStatus.VERIFYING and not pending,
        "may_close": may_act and workflow.allowed("close", warning.status),
        "approval": approval,
        "pending": pending,
        "pending_action_label": _pending_label(pending),
        "may_carry_out": may_act
        and approval is not None
        and approval.status == "approved"
        and warning.status == WarningStatus.VERIFYING,
        "assign_form": given.get("assign") or AssignForm(),
        "decide_form": given.get("decide") or DecideForm(),
        "note_form": given.get("note") or NoteForm(),
        "severity_high": warning.severity == "high",
        "workflow_table": workflow.table(),
    }
    return render(request, "screening/detail.html", context, status=status)


def _pending_label(pending: dict[str, Any]) -> str:
    from tenderwatch.screening.models import ConfirmAction, DismissalCategory

    if not pending:
        return ""
    if pending.get("outcome") == "confirm":
        return _("Confirm: %(action)s") % {"action": ConfirmAction(pending["action"]).label}
    return _("Dismiss: %(category)s") % {"category": DismissalCategory(pending["category"]).label}


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    # No coarse gate: a warning the user may not see is "not found" (existence never leaks).
    return _render_detail(request, _get(request, pk))


def _act(
    request: HttpRequest,
    pk: int,
    name: str,
    form: django_forms.Form,
    call: Callable[[Warning, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    warning = _get(request, pk)
    if not form.is_valid():
        return _render_detail(request, warning, given={name: form}, status=400)
    try:
        call(warning, form.cleaned_data)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        return _render_detail(
            request, _get(request, pk), given={name: form}, error=str(exc), status=exc.http_status
        )
    messages.success(request, done)
    return redirect("screening:warning_detail", pk=pk)


@login_required
@require_POST
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "note",
        NoteForm(request.POST),
        lambda w, d: services.warning_verify(warning=w, actor=request.user, note=d["note"]),
        _("Verification started."),
    )


@login_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "assign",
        AssignForm(request.POST),
        lambda w, d: services.warning_assign(
            warning=w, department=d["department"], actor=request.user, reason=d["reason"]
        ),
        _("The warning was assigned."),
    )


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm or dismiss; a decision that needs approval is put on the approval route."""
    form = DecideForm(request.POST)
    outcome = form.data.get("outcome", "")
    warning = _get(request, pk)
    submit = workflow.needs_approval(
        outcome=outcome, action=form.data.get("action", ""), severity=warning.severity
    )

    def call(w: Warning, d: dict[str, Any]) -> Any:
        if submit:
            return services.warning_submit_decision(
                warning=w,
                actor=request.user,
                outcome=d["outcome"],
                action=d["action"] if d["outcome"] == "confirm" else "",
                category=d["category"] if d["outcome"] == "dismiss" else "",
                reason=d["reason"],
            )
        if d["outcome"] == "confirm":
            return services.warning_confirm(
                warning=w, actor=request.user, action=d["action"], reason=d["reason"]
            )
        return services.warning_dismiss(
            warning=w, actor=request.user, category=d["category"], reason=d["reason"]
        )

    done = (
        _("The decision was submitted for approval; carry it out once it is approved.")
        if submit
        else (
            _("The warning was confirmed.")
            if outcome == "confirm"
            else _("The warning was dismissed.")
        )
    )
    return _act(request, pk, "decide", form, call, done)


@login_required
@require_POST
def carry_out(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "note",
        NoteForm(request.POST),
        lambda w, d: services.warning_carry_out(warning=w, actor=request.user),
        _("The approved decision was carried out."),
    )


@login_required
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "note",
        NoteForm(request.POST),
        lambda w, d: services.warning_close(warning=w, actor=request.user, note=d["note"]),
        _("The warning was closed."),
    )


# -- the rule catalogue ----------------------------------------------------------------------------


def _rules_page(
    request: HttpRequest,
    *,
    bound: RuleSettingForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    may_manage = can(request.user, "screening.rules.manage")
    counts = selectors.rule_counts()
    history: dict[str, list[RuleSetting]] = {}
    for setting in RuleSetting.objects.select_related("changed_by").order_by("rule_id", "-version"):
        history.setdefault(setting.rule_id, []).append(setting)
    rows = []
    for rule in catalogue.rules_in_force(enabled_only=False):
        c = counts.get(rule.id, {"fired": 0, "open": 0, "confirmed": 0, "dismissed": 0})
        decided = c["confirmed"] + c["dismissed"]
        form = None
        if may_manage:
            form = (
                bound
                if bound is not None and bound.rule.id == rule.id
                else RuleSettingForm(rule=rule)
            )
        params = [
            {
                "name": name,
                "value": value,
                "label": getattr(rule.spec.params[name], "label", "") or name,
                "unit": getattr(rule.spec.params[name], "unit", ""),
                "default": getattr(rule.spec.params[name], "default", ""),
            }
            for name, value in rule.params.items()
        ]
        rows.append(
            {
                "rule": rule,
                "spec": rule.spec,
                "params": params,
                "counts": c,
                "noise": round(100 * c["dismissed"] / decided) if decided else None,
                "severity": _severity_label(getattr(rule.spec, "severity", "")),
                "dismissals": [
                    (_category_label(category), n)
                    for category, n in (
                        selectors.dismissal_categories(rule.id) if c["dismissed"] else []
                    )
                ],
                "history": history.get(rule.id, []),
                "form": form,
                "inbox_url": reverse("screening:inbox") + f"?view=all&rule={rule.id}",
            }
        )
    return render(
        request,
        "screening/rules.html",
        {
            "rows": rows,
            "may_manage": may_manage,
            "error": error,
            "error_rule": bound.rule.id if bound and error else "",
        },
        status=status,
    )


def _severity_label(value: str) -> str:
    return str(Severity(value).label) if value in Severity.values else value


def _category_label(value: str) -> str:
    return str(DismissalCategory(value).label) if value in DismissalCategory.values else value


@login_required
@require_GET
def rules(request: HttpRequest) -> HttpResponse:
    _gate(request, "screening.rules.view")
    return _rules_page(request)


@login_required
@require_POST
def rule_update(request: HttpRequest, rule_id: str) -> HttpResponse:
    _gate(request, "screening.rules.manage")
    found = catalogue.rules_in_force(enabled_only=False)
    rule = next((r for r in found if r.id == rule_id), None)
    if rule is None:
        raise Http404
    form = RuleSettingForm(request.POST, rule=rule)
    if not form.is_valid():
        return _rules_page(request, bound=form, status=400)
    try:
        services.rule_setting_change(
            rule_id=rule_id,
            actor=request.user,
            params=form.params(),
            enabled=form.cleaned_data["enabled"],
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        return _rules_page(request, bound=form, error=str(exc), status=exc.http_status)
    messages.success(request, _("The settings of rule %(rule)s were saved.") % {"rule": rule_id})
    return redirect(reverse("screening:rules") + f"#rule-{rule_id}")


# -- model documents (示范文本) -------------------------------------------------------------------


def _model_documents_page(
    request: HttpRequest,
    *,
    form: ModelDocumentForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    may_manage = can(request.user, "screening.rules.manage")
    documents = list(
        ModelDocument.objects.select_related("uploaded_by").order_by("title", "-version")
    )
    return render(
        request,
        "screening/model_documents.html",
        {
            "documents": documents,
            "may_manage": may_manage,
            "form": form or (ModelDocumentForm() if may_manage else None),
            "error": error,
        },
        status=status,
    )


@login_required
@require_GET
def model_documents(request: HttpRequest) -> HttpResponse:
    _gate(request, "screening.rules.view")
    return _model_documents_page(request)


@login_required
@require_POST
def model_document_upload(request: HttpRequest) -> HttpResponse:
    _gate(request, "screening.rules.manage")
    form = ModelDocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _model_documents_page(request, form=form, status=400)
    d = form.cleaned_data
    upload = d.get("file")
    try:
        document = services.model_document_upload(
            actor=request.user,
            title=d["title"],
            text=d["text"],
            category=d["category"],
            methods=d["methods"],
            industry=d["industry"],
            source_name=getattr(upload, "name", "") or "",
        )
    except DomainError as exc:
        return _model_documents_page(request, form=form, error=str(exc), status=exc.http_status)
    messages.success(
        request,
        _("Model document “%(title)s” saved as version %(version)s.")
        % {"title": document.title, "version": document.version},
    )
    return redirect("screening:model_documents")


@login_required
@require_POST
def model_document_switch(request: HttpRequest, pk: int) -> HttpResponse:
    _gate(request, "screening.rules.manage")
    document = ModelDocument.objects.filter(pk=pk).first()
    if document is None:
        raise Http404
    form = SwitchForm(request.POST)
    if not form.is_valid():
        return _model_documents_page(
            request, error=_("Give the reason for the change."), status=400
        )
    try:
        services.model_document_set_active(
            document=document,
            active=form.cleaned_data["active"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        return _model_documents_page(request, error=str(exc), status=exc.http_status)
    messages.success(request, _("The model document was updated."))
    return redirect("screening:model_documents")
