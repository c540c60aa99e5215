"""Pages of the organisation: departments, the leading group, the authority list (with "who is
competent?"), coordination decisions, and the officer roster with its import and export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tenderwatch.core import timeutil
from tenderwatch.core.errors import DomainError, NotFound
from tenderwatch.org import selectors, services
from tenderwatch.org.forms import (
    AuthorityRuleForm,
    CompetenceQueryForm,
    GroupMemberForm,
    OfficerFilterForm,
    RosterImportForm,
)
from tenderwatch.org.models import AuthorityRule, GroupPosition, LeadingGroupMember, User
from tenderwatch.org.scoping import can

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _actor(request: HttpRequest) -> User:
    """The logged-in user (every view here is behind login_required)."""
    assert isinstance(request.user, User)
    return request.user


def _gate(request: HttpRequest, permission: str) -> None:
    if not can(request.user, permission):
        raise DjangoPermissionDenied


@login_required
def departments(request: HttpRequest) -> HttpResponse:
    _gate(request, "org.view")
    rows = selectors.departments().annotate(
        officer_count=Count("officers", distinct=True),
        rule_count=Count("authority_rules", filter=Q(authority_rules__active=True), distinct=True),
    )
    return render(
        request,
        "org/departments.html",
        {"departments": rows, "district": selectors.district()},
    )


@login_required
def leading_group(request: HttpRequest) -> HttpResponse:
    _gate(request, "org.view")
    group = selectors.leading_group()
    posts = list(group.members.select_related("department")) if group else []
    today = timeutil.china_date()
    sections = [
        (label, [p for p in posts if p.position == value]) for value, label in GroupPosition.choices
    ]
    return render(
        request,
        "org/leading_group.html",
        {
            "group": group,
            "district": selectors.district(),
            "sections": [(label, items) for label, items in sections if items],
            "today": today,
            "can_manage": can(request.user, "org.group.manage"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def group_member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _gate(request, "org.group.manage")
    member = get_object_or_404(LeadingGroupMember.objects.select_related("department"), pk=pk)
    if request.method == "POST":
        form = GroupMemberForm(request.POST)
        if form.is_valid():
            try:
                services.group_member_update(
                    member=member, actor=_actor(request), **form.cleaned_data
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Saved."))
                return redirect("org:leading_group")
    else:
        form = GroupMemberForm(
            initial={
                "person_name": member.person_name,
                "person_title": member.person_title,
                "valid_from": member.valid_from,
                "valid_to": member.valid_to,
            }
        )
    return render(request, "org/group_member_form.html", {"form": form, "member": member})


@login_required
def authority(request: HttpRequest) -> HttpResponse:
    _gate(request, "org.view")
    query = CompetenceQueryForm(request.GET if "industry" in request.GET else None)
    competence = None
    if query.is_bound and query.is_valid():
        competence = selectors.competent_department(
            industry=query.cleaned_data["industry"],
            matter_type=query.cleaned_data["matter_type"],
        )
    today = timeutil.china_date()
    rules = [(rule, rule.in_force(today)) for rule in selectors.authority_rules()]
    return render(
        request,
        "org/authority.html",
        {
            "rules": rules,
            "query": query,
            "competence": competence,
            "can_manage": can(request.user, "org.authority.manage"),
            "decisions": selectors.coordination_decisions_visible_to(request.user)[:50],
        },
    )


def _rule_form_view(request: HttpRequest, rule: AuthorityRule | None) -> HttpResponse:
    _gate(request, "org.authority.manage")
    if request.method == "POST":
        form = AuthorityRuleForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                if rule is None:
                    data.pop("active")
                    services.authority_rule_create(actor=_actor(request), **data)
                else:
                    services.authority_rule_update(rule=rule, actor=_actor(request), **data)
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The authority list is saved."))
                return redirect("org:authority")
    elif rule is not None:
        form = AuthorityRuleForm(
            initial={
                "industry": rule.industry,
                "matter_type": rule.matter_type,
                "department": rule.department,
                "legal_basis": rule.legal_basis,
                "note": rule.note,
                "valid_from": rule.valid_from,
                "valid_to": rule.valid_to,
                "active": rule.active,
            }
        )
    else:
        form = AuthorityRuleForm()
    return render(request, "org/authority_form.html", {"form": form, "rule": rule})


@login_required
@require_http_methods(["GET", "POST"])
def authority_add(request: HttpRequest) -> HttpResponse:
    return _rule_form_view(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def authority_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _gate(request, "org.authority.manage")
    return _rule_form_view(request, get_object_or_404(AuthorityRule, pk=pk))


@login_required
def coordination_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        decision = selectors.coordination_decision_get(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None
    return render(request, "org/coordination_detail.html", {"decision": decision})


# -- the officer roster ------------------------------------------------------------------------


def _officer_filter(request: HttpRequest) -> tuple[OfficerFilterForm, dict[str, Any]]:
    form = OfficerFilterForm(request.GET)
    return form, form.filters()


@login_required
def officers(request: HttpRequest) -> HttpResponse:
    _gate(request, "org.officer.view")
    form, filters = _officer_filter(request)
    on = filters["on"] or timeutil.china_date()
    queryset = selectors.officers_filtered(user=request.user, **filters)
    rows = [
        {
            "officer": o,
            "dispatchable": o.is_dispatchable(on),
            "certificate_valid": o.certificate_valid(on),
            "phone": o.phone if can(request.user, "org.officer.contact", o) else None,
        }
        for o in queryset[:1000]
    ]
    return render(
        request,
        "org/officers.html",
        {
            "form": form,
            "rows": rows,
            "total": queryset.count(),
            "on": on,
            "query": request.GET.urlencode(),
            "can_import": can(request.user, "org.officer.import"),
            "can_export": can(request.user, "org.officer.export"),
        },
    )


@login_required
def officers_export(request: HttpRequest) -> HttpResponse:
    _gate(request, "org.officer.export")
    _form, filters = _officer_filter(request)
    queryset = selectors.officers_filtered(user=request.user, **filters)
    shown = {k: str(v) for k, v in request.GET.items() if v}
    content = services.officers_export_xlsx(actor=_actor(request), officers=queryset, filters=shown)
    name = f"officers-{timeutil.china_date().isoformat()}.xlsx"
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def officers_template(request: HttpRequest) -> HttpResponse:
    _gate(request, "org.officer.import")
    response = HttpResponse(services.roster_template(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="officer-roster-template.xlsx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def officers_import(request: HttpRequest) -> HttpResponse:
    _gate(request, "org.officer.import")
    report = None
    if request.method == "POST":
        form = RosterImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = services.officers_import_xlsx(
                    file=upload, actor=_actor(request), file_name=upload.name
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
    else:
        form = RosterImportForm()
    return render(
        request,
        "org/officers_import.html",
        {"form": form, "report": report, "list_url": reverse("org:officers")},
    )
