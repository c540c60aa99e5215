"""Reads of the organisation: who is competent for a matter, the officer pool, decisions.

`competent_department` is the one routing function (谁主管，谁监管, REQ-04): every later app asks
it which department handles a project's matter, and never reads the authority list itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Case, Q, QuerySet, Value, When
from django.utils import translation
from django.utils.translation import gettext as _

from tenderwatch.core import timeutil
from tenderwatch.core.errors import NotFound
from tenderwatch.org.models import (
    INDUSTRY_ALIASES,
    AuthorityRule,
    CoordinationDecision,
    Department,
    DepartmentKind,
    District,
    Industry,
    LeadingGroup,
    MatterType,
    Officer,
    OfficerStatus,
    Specialty,
)
from tenderwatch.org.scoping import ensure_visible, scope_of


def normalise_industry(value: str) -> str:
    """An industry code from a code, an alias ("housing") or its Chinese label."""
    text = (value or "").strip()
    if text in Industry.values:
        return text
    if text.lower() in INDUSTRY_ALIASES:
        return str(INDUSTRY_ALIASES[text.lower()])
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for code, label in Industry.choices:
                if text == str(label):
                    return str(code)
    return text


def office() -> Department | None:
    """The supervision office (领导小组办公室)."""
    return Department.objects.filter(kind=DepartmentKind.OFFICE, active=True).first()


@dataclass(frozen=True)
class Competence:
    """The answer to "which department is competent for this project and matter"."""

    industry: str
    matter_type: str
    department: Department | None
    candidates: tuple[Department, ...]
    needs_coordination: bool
    explanation: str
    rules: tuple[AuthorityRule, ...] = ()
    decision: CoordinationDecision | None = None
    office: Department | None = field(default=None)

    @property
    def handler(self) -> Department | None:
        """Who takes the matter now: the competent department, or the office to coordinate."""
        return self.department if not self.needs_coordination else self.office


def _labels(industry: str, matter_type: str) -> dict[str, str]:
    industries = dict(Industry.choices)
    matters = dict(MatterType.choices)
    return {
        "industry": str(industries.get(industry, industry or "—")),
        "matter": str(matters.get(matter_type, matter_type)) if matter_type else _("any matter"),
    }


def _decision_for(matter: models.Model, matter_type: str) -> CoordinationDecision | None:
    if matter.pk is None:
        return None
    ct = ContentType.objects.get_for_model(matter)
    return (
        CoordinationDecision.objects.filter(
            content_type=ct, object_id=matter.pk, matter_type=matter_type
        )
        .select_related("department", "decided_by")
        .order_by("-decided_at", "-pk")
        .first()
    )


def competent_department(
    *,
    industry: str,
    matter_type: str = "",
    on: dt.date | None = None,
    matter: models.Model | None = None,
) -> Competence:
    """The department competent for a matter of `matter_type` on a project of `industry`, by
    the authority list in force on `on` (default: today in China).

    A line for the matter type takes precedence over a line for any matter. Where no line or
    lines naming more than one department apply, the office coordinates (协调处理争议, 附件
    领导小组办公室主要职责 四); once it has decided for `matter`, the decision is the answer.
    """
    on = on or timeutil.china_date()
    industry = normalise_industry(industry)
    matter_type = matter_type or ""
    labels = _labels(industry, matter_type)
    rules = [
        r
        for r in AuthorityRule.objects.filter(
            industry=industry, active=True, department__active=True
        )
        .select_related("department")
        .order_by("department__sort_order", "pk")
        if r.in_force(on)
    ]
    specific = [r for r in rules if matter_type and r.matter_type == matter_type]
    applying = specific or [r for r in rules if not r.matter_type]
    candidates: list[Department] = []
    for rule in applying:
        if rule.department not in candidates:
            candidates.append(rule.department)
    the_office = office()

    decision = _decision_for(matter, matter_type) if matter is not None else None
    if decision is not None:
        return Competence(
            industry=industry,
            matter_type=matter_type,
            department=decision.department,
            candidates=tuple(candidates),
            needs_coordination=False,
            explanation=_(
                "The office decided on %(date)s that %(department)s handles this matter: %(reason)s"
            )
            % {
                "date": timeutil.china_date(decision.decided_at).isoformat(),
                "department": decision.department,
                "reason": decision.reason,
            },
            rules=tuple(applying),
            decision=decision,
            office=the_office,
        )
    if len(candidates) == 1:
        rule = applying[0]
        return Competence(
            industry=industry,
            matter_type=matter_type,
            department=candidates[0],
            candidates=tuple(candidates),
            needs_coordination=False,
            explanation=_(
                "By the authority list, %(department)s is competent for %(industry)s · "
                "%(matter)s (%(basis)s)."
            )
            % {**labels, "department": candidates[0], "basis": rule.legal_basis},
            rules=tuple(applying),
            office=the_office,
        )
    if not candidates:
        explanation = (
            _(
                "The authority list names no department for %(industry)s · %(matter)s: the office "
                "coordinates and records who handles it."
            )
            % labels
        )
    else:
        explanation = _(
            "The authority list names several departments for %(industry)s · %(matter)s "
            "(%(departments)s): the office coordinates and records who handles it."
        ) % {**labels, "departments": "、".join(str(d) for d in candidates)}
    return Competence(
        industry=industry,
        matter_type=matter_type,
        department=None,
        candidates=tuple(candidates),
        needs_coordination=True,
        explanation=explanation,
        rules=tuple(applying),
        office=the_office,
    )


def coordination_decision_for(
    matter: models.Model, *, matter_type: str = ""
) -> CoordinationDecision | None:
    """The office's latest decision on who handles `matter`, if any."""
    return _decision_for(matter, matter_type)


def coordination_decisions_visible_to(user: Any) -> QuerySet[CoordinationDecision]:
    scope = scope_of(user)
    qs = CoordinationDecision.objects.select_related("department", "decided_by").prefetch_related(
        "candidates"
    )
    if scope.reads_everything:
        return qs
    if not scope.is_staff:
        return qs.none()
    mine = scope.departments()
    return qs.filter(Q(department__in=mine) | Q(candidates__in=mine)).distinct()


def coordination_decision_get(*, user: Any, pk: int) -> CoordinationDecision:
    """One decision, or NotFound when it does not exist or the user may not see it."""
    decision = CoordinationDecision.objects.filter(pk=pk).first()
    if decision is None:
        raise NotFound()
    ensure_visible(user, "org.coordination.view", decision)
    return decision


# -- authority list, departments, group --------------------------------------------------------


def authority_rules() -> QuerySet[AuthorityRule]:
    """The authority list in the order of `Industry` (housing first, "other" last)."""
    industry_order = Case(
        *(When(industry=value, then=Value(i)) for i, value in enumerate(Industry.values)),
        default=Value(len(Industry.values)),
    )
    return (
        AuthorityRule.objects.select_related("department")
        .annotate(industry_order=industry_order)
        .order_by("industry_order", "matter_type", "department__sort_order")
    )


def departments() -> QuerySet[Department]:
    return Department.objects.order_by("sort_order", "code")


def district() -> District | None:
    return District.objects.first()


def leading_group() -> LeadingGroup | None:
    return LeadingGroup.objects.select_related("district", "office").first()


# -- the officer pool --------------------------------------------------------------------------


def _specialty_filter(specialty: str) -> Q:
    # Specialties are a JSON list of codes; matching the quoted code in its text works alike on
    # SQLite and PostgreSQL (JSON containment is PostgreSQL-only).
    return Q(specialties__icontains=f'"{specialty}"')


def dispatchable_officers(
    on: dt.date | None = None,
    department: Department | None = None,
    specialty: str | None = None,
) -> QuerySet[Officer]:
    """Officers who may be dispatched on `on`: available, certificate valid, department active.

    行政处罚法 第四十二条: only holders of an enforcement qualification may enforce.
    """
    on = on or timeutil.china_date()
    qs = Officer.objects.select_related("department").filter(
        status=OfficerStatus.AVAILABLE,
        valid_from__lte=on,
        valid_to__gte=on,
        department__active=True,
    )
    if department is not None:
        qs = qs.filter(department=department)
    if specialty:
        qs = qs.filter(_specialty_filter(specialty))
    return qs


def officers_filtered(
    *,
    user: Any,
    department: Department | None = None,
    specialty: str = "",
    status: str = "",
    dispatchable: bool | None = None,
    on: dt.date | None = None,
    search: str = "",
    unscoped: bool = False,
) -> QuerySet[Officer]:
    """The roster as the list page and the export filter it (`unscoped`: for the console)."""
    if not unscoped and not scope_of(user).is_staff:
        return Officer.objects.none()
    on = on or timeutil.china_date()
    qs = Officer.objects.select_related("department", "user")
    if department is not None:
        qs = qs.filter(department=department)
    if specialty:
        qs = qs.filter(_specialty_filter(specialty))
    if status:
        qs = qs.filter(status=status)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(certificate_number__icontains=search))
    if dispatchable is True:
        qs = qs.filter(pk__in=dispatchable_officers(on).values("pk"))
    elif dispatchable is False:
        qs = qs.exclude(pk__in=dispatchable_officers(on).values("pk"))
    return qs.order_by("department__sort_order", "name", "certificate_number")


def specialty_choices() -> list[tuple[str, str]]:
    return [(str(v), str(label)) for v, label in Specialty.choices]
