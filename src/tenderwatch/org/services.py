"""Every write on the organisation: district setup, the authority list, coordination decisions,
the leading group, role assignments, the officer roster. REQ-01, REQ-02, REQ-04.

Each service takes the acting user, checks the permission first, locks what it changes, and
writes its audit entry in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tenderwatch.audit import services as audit
from tenderwatch.core import timeutil
from tenderwatch.core.errors import DomainError
from tenderwatch.org import roster
from tenderwatch.org.district_config import ConfigInvalid, DistrictConfig
from tenderwatch.org.models import (
    ApprovalLevel,
    AuthorityRule,
    CoordinationDecision,
    Department,
    DepartmentKind,
    District,
    Industry,
    LeadingGroup,
    LeadingGroupMember,
    MatterType,
    Officer,
    OfficerStatus,
    Role,
    RoleAssignment,
    User,
)
from tenderwatch.org.scoping import ensure_allowed, forget_scope, scope_of
from tenderwatch.org.selectors import competent_department, normalise_industry

__all__ = [
    "ImportReport",
    "SetupReport",
    "authority_rule_create",
    "authority_rule_update",
    "competent_department",  # the routing function lives in selectors; re-exported here
    "coordination_decide",
    "district_setup",
    "group_member_update",
    "officer_set_status",
    "officers_export_xlsx",
    "officers_import_xlsx",
    "role_assign",
    "role_revoke",
    "role_second_to_office",
]


# -- district setup ----------------------------------------------------------------------------


@dataclass
class SectionReport:
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def touched(self) -> bool:
        return bool(self.created or self.changed)


@dataclass
class SetupReport:
    district: str
    source: str
    sections: dict[str, SectionReport] = field(default_factory=dict)

    def section(self, name: str) -> SectionReport:
        return self.sections.setdefault(name, SectionReport())

    @property
    def changed(self) -> bool:
        return any(s.touched for s in self.sections.values())

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            name: {
                "created": len(s.created),
                "changed": len(s.changed),
                "unchanged": len(s.unchanged),
            }
            for name, s in self.sections.items()
        }


SECTION_LABELS = {
    "district": gettext_noop("District"),
    "departments": gettext_noop("Departments"),
    "leading_group": gettext_noop("Leading group"),
    "posts": gettext_noop("Leading group posts"),
    "authority": gettext_noop("Authority list"),
    "approval_routes": gettext_noop("Approval routes"),
}


def _upsert(
    model: type[models.Model],
    *,
    lookup: Mapping[str, Any],
    values: Mapping[str, Any],
    action: str,
    actor: User | None,
    section: SectionReport,
    label: str,
    note: str,
) -> Any:
    """Create or update one row of configuration; audit what changed, say what did not."""
    obj = model._default_manager.select_for_update().filter(**lookup).first()
    if obj is None:
        obj = model._default_manager.create(**lookup, **values)
        audit.record(
            actor=actor, action=f"{action}.created", obj=obj, after=audit.snapshot(obj), note=note
        )
        section.created.append(label)
        return obj
    changed = {k: v for k, v in values.items() if getattr(obj, k) != v}
    if not changed:
        section.unchanged.append(label)
        return obj
    before = audit.snapshot(obj)
    for k, v in changed.items():
        setattr(obj, k, v)
    obj.save()
    after = audit.snapshot(obj)
    audit.record(
        actor=actor,
        action=f"{action}.changed",
        obj=obj,
        before={k: before.get(k) for k in changed},
        after={k: after.get(k) for k in changed},
        note=note,
    )
    section.changed.append(label)
    return obj


def _database_conflicts(config: DistrictConfig) -> list[str]:
    """What in the database stops this configuration from applying (checked before writing)."""
    problems = []
    other = District.objects.exclude(code=config.code).first()
    if other is not None:
        problems.append(
            _(
                "This installation is configured for district “%(other)s” (%(code)s); one "
                "installation serves one district."
            )
            % {"other": other.name, "code": other.code}
        )
    for spec in config.departments:
        holder = Department.objects.filter(name=spec.name).exclude(code=spec.code).first()
        if holder is not None and holder.code not in config.department_codes:
            problems.append(
                _(
                    "[[departments]] (%(code)s): the name “%(name)s” is already used by the "
                    "department “%(other)s”, which the file does not list."
                )
                % {"code": spec.code, "name": spec.name, "other": holder.code}
            )
    return problems


@transaction.atomic
def district_setup(*, config: DistrictConfig, actor: User | None) -> SetupReport:
    """Load a district's configuration: departments, leading group, authority list, approval
    routes. Idempotent (a second run changes nothing and says so); all or nothing.

    Values the file leaves out or empty (a post's person, a rule's `active`) stay as the office
    set them. `actor` is None when an operator runs setup from the console before any account
    exists; the audit trail then names the console.
    """
    if actor is not None:
        ensure_allowed(actor, "org.setup")
    problems = _database_conflicts(config)
    if problems:
        raise ConfigInvalid(problems, source=config.source)
    report = SetupReport(district=config.name, source=config.source)
    note = f"setup {config.source}"
    try:
        district = _upsert(
            District,
            lookup={"code": config.code},
            values={
                "name": config.name,
                "region_code": config.region_code,
                "plan_ref": config.plan_ref,
                "plan_title": config.plan_title,
                "plan_date": config.plan_date,
            },
            action="org.district",
            actor=actor,
            section=report.section("district"),
            label=config.name,
            note=note,
        )
        depts: dict[str, Department] = {}
        for order, spec in enumerate(config.departments):
            values: dict[str, Any] = {
                "name": spec.name,
                "short_name": spec.short_name,
                "kind": spec.kind,
                "region_code": config.region_code,
                "sort_order": order * 10,
            }
            if spec.active is not None:
                values["active"] = spec.active
            depts[spec.code] = _upsert(
                Department,
                lookup={"code": spec.code},
                values=values,
                action="org.department",
                actor=actor,
                section=report.section("departments"),
                label=spec.code,
                note=note,
            )
        if config.group is not None:
            _setup_group(config, district, depts, actor=actor, report=report, note=note)
        for rule in config.rules:
            values = {"legal_basis": rule.legal_basis, "note": rule.note}
            if rule.valid_from is not None:
                values["valid_from"] = rule.valid_from
            if rule.valid_to is not None:
                values["valid_to"] = rule.valid_to
            if rule.active is not None:
                values["active"] = rule.active
            _upsert(
                AuthorityRule,
                lookup={
                    "industry": rule.industry,
                    "matter_type": rule.matter_type,
                    "department_id": depts[rule.department].pk,
                },
                values=values,
                action="org.authority_rule",
                actor=actor,
                section=report.section("authority"),
                label=f"{rule.industry}/{rule.matter_type or '*'}→{rule.department}",
                note=note,
            )
    except IntegrityError as exc:
        raise DomainError(
            _("The configuration clashes with data in the database: %(error)s") % {"error": exc}
        ) from exc
    _setup_routes(config, actor=actor, report=report)
    if report.changed:
        audit.record(
            actor=actor,
            action="org.district.setup",
            obj=district,
            after={"source": config.source, "counts": report.counts()},
            note=note,
        )
    return report


def _setup_group(
    config: DistrictConfig,
    district: District,
    depts: Mapping[str, Department],
    *,
    actor: User | None,
    report: SetupReport,
    note: str,
) -> None:
    spec = config.group
    assert spec is not None
    group = _upsert(
        LeadingGroup,
        lookup={"district_id": district.pk},
        values={
            "name": spec.name,
            "office_id": depts[spec.office].pk,
            "established_by": spec.established_by,
            "established_on": spec.established_on,
        },
        action="org.leading_group",
        actor=actor,
        section=report.section("leading_group"),
        label=spec.name,
        note=note,
    )
    for order, post in enumerate(spec.posts):
        values: dict[str, Any] = {
            "position": post.position,
            "department_id": depts[post.department].pk if post.department else None,
            "title": post.title,
            "sort_order": order * 10,
        }
        # The plan names posts, not people: only what the file gives overrides the office's entry.
        for name in ("person_name", "person_title", "valid_from", "valid_to"):
            value = getattr(post, name)
            if value:
                values[name] = value
        _upsert(
            LeadingGroupMember,
            lookup={"group_id": group.pk, "key": post.key},
            values=values,
            action="org.group_member",
            actor=actor,
            section=report.section("posts"),
            label=post.key,
            note=note,
        )


def _setup_routes(config: DistrictConfig, *, actor: User | None, report: SetupReport) -> None:
    from tenderwatch.approvals.defaults import DEFAULT_ROUTES
    from tenderwatch.approvals.services import routes_load

    routes = config.approval_routes if config.approval_routes is not None else DEFAULT_ROUTES
    loaded = routes_load(routes=routes, actor=actor)
    section = report.section("approval_routes")
    section.created.extend(loaded.created)
    section.changed.extend(loaded.changed)
    section.unchanged.extend(loaded.unchanged)


# -- the authority list ------------------------------------------------------------------------


def _check_rule(
    *,
    industry: str,
    matter_type: str,
    department: Department,
    legal_basis: str,
    valid_from: dt.date | None,
    valid_to: dt.date | None,
    exclude_pk: int | None = None,
) -> None:
    if industry not in Industry.values:
        raise DomainError(_("Unknown industry “%(value)s”.") % {"value": industry})
    if matter_type and matter_type not in MatterType.values:
        raise DomainError(_("Unknown matter type “%(value)s”.") % {"value": matter_type})
    if not legal_basis.strip():
        raise DomainError(_("State the legal basis of the department's competence."))
    if valid_from and valid_to and valid_to < valid_from:
        raise DomainError(_("“Valid to” is before “valid from”."))
    if not department.active:
        raise DomainError(_("The department %(dept)s is not active.") % {"dept": department})
    clash = AuthorityRule.objects.filter(
        industry=industry, matter_type=matter_type, department=department
    )
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise DomainError(
            _("The authority list already has this line for %(dept)s; edit that line instead.")
            % {"dept": department}
        )


@transaction.atomic
def authority_rule_create(
    *,
    industry: str,
    matter_type: str,
    department: Department,
    legal_basis: str,
    actor: User,
    note: str = "",
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    reason: str = "",
) -> AuthorityRule:
    """Add a line to the authority list (权责清单). REQ-04."""
    ensure_allowed(actor, "org.authority.manage")
    _check_rule(
        industry=industry,
        matter_type=matter_type,
        department=department,
        legal_basis=legal_basis,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    rule = AuthorityRule.objects.create(
        industry=industry,
        matter_type=matter_type,
        department=department,
        legal_basis=legal_basis.strip(),
        note=note.strip(),
        valid_from=valid_from,
        valid_to=valid_to,
    )
    audit.record(
        actor=actor,
        action="org.authority_rule.created",
        obj=rule,
        after=audit.snapshot(rule),
        note=reason,
    )
    return rule


@transaction.atomic
def authority_rule_update(
    *,
    rule: AuthorityRule,
    actor: User,
    industry: str,
    matter_type: str,
    department: Department,
    legal_basis: str,
    note: str = "",
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    active: bool = True,
    reason: str = "",
) -> AuthorityRule:
    """Change or switch off a line of the authority list; the old line stays in the trail."""
    ensure_allowed(actor, "org.authority.manage", rule)
    rule = AuthorityRule.objects.select_for_update().get(pk=rule.pk)
    _check_rule(
        industry=industry,
        matter_type=matter_type,
        department=department,
        legal_basis=legal_basis,
        valid_from=valid_from,
        valid_to=valid_to,
        exclude_pk=rule.pk,
    )
    before = audit.snapshot(rule)
    rule.industry, rule.matter_type, rule.department = industry, matter_type, department
    rule.legal_basis, rule.note = legal_basis.strip(), note.strip()
    rule.valid_from, rule.valid_to, rule.active = valid_from, valid_to, active
    after = audit.snapshot(rule)
    if after == before:
        return rule
    rule.save()
    audit.record(
        actor=actor,
        action="org.authority_rule.changed",
        obj=rule,
        before=before,
        after=after,
        note=reason,
    )
    return rule


# -- coordination (协调处理争议) -----------------------------------------------------------------


@transaction.atomic
def coordination_decide(
    *,
    matter: models.Model | None,
    industry: str,
    matter_type: str,
    department: Department,
    reason: str,
    actor: User,
    on: dt.date | None = None,
) -> CoordinationDecision:
    """Record the office's decision on who handles a matter that the authority list names no
    department, or several, for (or whose competence a department disputes). From then on
    `competent_department(..., matter=matter)` answers with this decision.

    附件 领导小组办公室主要职责 四: 协调处理公共资源招标投标活动中的争议和矛盾.
    """
    ensure_allowed(actor, "org.coordination.decide", matter)
    if not reason.strip():
        raise DomainError(_("State the reason for the decision."))
    if not department.active:
        raise DomainError(_("The department %(dept)s is not active.") % {"dept": department})
    industry = normalise_industry(industry)
    if industry not in Industry.values:
        raise DomainError(_("Unknown industry “%(value)s”.") % {"value": industry})
    if matter_type and matter_type not in MatterType.values:
        raise DomainError(_("Unknown matter type “%(value)s”.") % {"value": matter_type})
    content_type, object_id = None, None
    if matter is not None:
        if not isinstance(matter.pk, int):
            raise DomainError(_("The matter must be saved before the office decides on it."))
        content_type, object_id = ContentType.objects.get_for_model(matter), matter.pk
    competence = competent_department(industry=industry, matter_type=matter_type, on=on)
    decision = CoordinationDecision.objects.create(
        content_type=content_type,
        object_id=object_id,
        matter_repr=str(matter)[:300] if matter is not None else "",
        industry=industry,
        matter_type=matter_type,
        department=department,
        reason=reason.strip(),
        decided_by=actor,
        decided_at=timeutil.now(),
    )
    decision.candidates.set(competence.candidates)
    audit.record(
        actor=actor,
        action="org.coordination.decided",
        obj=decision,
        after={
            **audit.snapshot(decision),
            "matter": f"{content_type.natural_key() if content_type else ''}:{object_id or ''}",
            "candidates": [d.code for d in competence.candidates],
            "authority_list": competence.explanation,
        },
        note=reason.strip(),
    )
    return decision


# -- the leading group -------------------------------------------------------------------------


@transaction.atomic
def group_member_update(
    *,
    member: LeadingGroupMember,
    actor: User,
    person_name: str,
    person_title: str = "",
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> LeadingGroupMember:
    """Name the person holding a leading-group post, and since / until when. REQ-01."""
    ensure_allowed(actor, "org.group.manage", member)
    member = LeadingGroupMember.objects.select_for_update().get(pk=member.pk)
    if valid_from and valid_to and valid_to < valid_from:
        raise DomainError(_("“To” is before “from”."))
    before = audit.snapshot(member)
    member.person_name, member.person_title = person_name.strip(), person_title.strip()
    member.valid_from, member.valid_to = valid_from, valid_to
    after = audit.snapshot(member)
    if after != before:
        member.save()
        audit.record(
            actor=actor, action="org.group_member.changed", obj=member, before=before, after=after
        )
    return member


# -- roles -------------------------------------------------------------------------------------


def _check_dates(valid_from: dt.date | None, valid_to: dt.date | None) -> None:
    if valid_from and valid_to and valid_to < valid_from:
        raise DomainError(_("“Valid to” is before “valid from”."))


@transaction.atomic
def role_assign(
    *,
    user: User,
    role: str,
    department: Department,
    actor: User,
    approval_level: int | None = None,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    note: str = "",
) -> RoleAssignment:
    """Give `user` a role for a department (or renew one that ended)."""
    ensure_allowed(actor, "org.roles.manage")
    if role not in Role.values:
        raise DomainError(_("Unknown role “%(value)s”.") % {"value": role})
    if role == Role.LEADER and approval_level not in ApprovalLevel.values:
        raise DomainError(_("A leader needs an approval level (1, 2 or 3)."))
    if role != Role.LEADER and approval_level is not None:
        raise DomainError(_("Only leaders have an approval level."))
    if not department.active:
        raise DomainError(_("The department %(dept)s is not active.") % {"dept": department})
    _check_dates(valid_from, valid_to)
    assignment = (
        RoleAssignment.objects.select_for_update()
        .filter(user=user, role=role, department=department)
        .first()
    )
    values = {
        "approval_level": approval_level,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "note": note.strip(),
    }
    if assignment is None:
        assignment = RoleAssignment.objects.create(
            user=user, role=role, department=department, **values
        )
        audit.record(
            actor=actor,
            action="org.role.assigned",
            obj=assignment,
            after=audit.snapshot(assignment),
            note=note,
        )
    else:
        before = audit.snapshot(assignment)
        for k, v in values.items():
            setattr(assignment, k, v)
        if audit.snapshot(assignment) != before:
            assignment.save()
            audit.record(
                actor=actor,
                action="org.role.changed",
                obj=assignment,
                before=before,
                after=audit.snapshot(assignment),
                note=note,
            )
    forget_scope(user)
    return assignment


@transaction.atomic
def role_revoke(
    *, assignment: RoleAssignment, actor: User, on: dt.date | None = None, note: str = ""
) -> RoleAssignment:
    """End a role: it counts up to the day before `on` (default: today). The row stays, so the
    record of who held what, when, is kept."""
    ensure_allowed(actor, "org.roles.manage")
    assignment = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    on = on or timeutil.china_date()
    last_day = on - dt.timedelta(days=1)
    before = audit.snapshot(assignment)
    if assignment.valid_to is not None and assignment.valid_to <= last_day:
        return assignment  # already ended
    assignment.valid_to = last_day
    if assignment.valid_from is not None and assignment.valid_from > last_day:
        assignment.valid_from = last_day  # never began: an empty period ending yesterday
    assignment.save(update_fields=["valid_from", "valid_to"])
    audit.record(
        actor=actor,
        action="org.role.revoked",
        obj=assignment,
        before=before,
        after=audit.snapshot(assignment),
        note=note,
    )
    forget_scope(assignment.user)
    return assignment


@transaction.atomic
def role_second_to_office(
    *,
    user: User,
    actor: User,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    note: str = "",
) -> RoleAssignment:
    """Second a department's officer to the office (抽调): they keep their department role and
    hold office staff as well (四(二)1: 办公室工作人员由相关行政监督部门派出)."""
    ensure_allowed(actor, "org.roles.manage")
    the_office = Department.objects.filter(kind=DepartmentKind.OFFICE, active=True).first()
    if the_office is None:
        raise DomainError(_("No office is configured; run setup for the district first."))
    home = scope_of(user).departments(Role.DEPARTMENT_OFFICER, Role.ENFORCEMENT_OFFICER)
    if not home - {the_office.pk}:
        raise DomainError(
            _("Only an officer of a supervisory department can be seconded to the office.")
        )
    return role_assign(
        user=user,
        role=Role.OFFICE_STAFF,
        department=the_office,
        actor=actor,
        valid_from=valid_from,
        valid_to=valid_to,
        note=note or _("seconded to the office"),
    )


# -- the officer roster ------------------------------------------------------------------------


@dataclass
class ImportReport:
    file_name: str
    sha256: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[roster.RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors if e.row is not None})


def _content_of(file: Any) -> bytes | None:
    """The bytes of an upload, a path or raw bytes; None when larger than a roster can be."""
    if isinstance(file, bytes | bytearray):
        return bytes(file)
    if isinstance(file, str | Path):
        path = Path(file)
        return None if path.stat().st_size > roster.MAX_BYTES else path.read_bytes()
    size = getattr(file, "size", None)
    if size is not None and size > roster.MAX_BYTES:
        return None
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read()
    return data if isinstance(data, bytes) else bytes(data)


@transaction.atomic
def officers_import_xlsx(*, file: Any, actor: User | None, file_name: str = "") -> ImportReport:
    """Import the officer roster (执法人员信息库) from the office's spreadsheet. REQ-02.

    All or nothing (DESIGN.md, "Imports"): when any row has a problem, nothing is imported and
    the report names every bad row, column and reason. Officers are matched by certificate
    number: known ones are updated, new ones created. One audit entry per import. `actor` is
    None only for the console (`tenderwatch officers import`), whose operator holds the database.
    """
    if actor is not None:
        ensure_allowed(actor, "org.officer.import")
    name = file_name or Path(str(getattr(file, "name", "") or "")).name
    content = _content_of(file)
    if content is None:
        return ImportReport(
            file_name=name,
            sha256="",
            errors=[
                roster.RowError(
                    None,
                    "",
                    _("The file is larger than %(mb)s MB.") % {"mb": roster.MAX_BYTES >> 20},
                )
            ],
        )
    parsed = roster.parse(content)
    report = ImportReport(file_name=name, sha256=parsed.sha256, rows=parsed.data_rows)
    if parsed.errors:
        report.errors = parsed.errors
        return report
    source = f"xlsx:{parsed.sha256[:16]}"
    numbers = [r.certificate_number for r in parsed.rows]
    existing = {
        o.certificate_number: o
        for o in Officer.objects.select_for_update().filter(certificate_number__in=numbers)
    }
    created: list[str] = []
    updated: dict[str, dict[str, list[Any]]] = {}
    for row in parsed.rows:
        values = {
            "name": row.name,
            "department_id": row.department.pk,
            "issuing_body": row.issuing_body,
            "valid_from": row.valid_from,
            "valid_to": row.valid_to,
            "specialties": row.specialties,
            "status": row.status,
            "phone": row.phone,
        }
        officer = existing.get(row.certificate_number)
        if officer is None:
            Officer.objects.create(
                certificate_number=row.certificate_number, source=source, **values
            )
            created.append(row.certificate_number)
            continue
        changes = {
            k: [getattr(officer, k), v] for k, v in values.items() if getattr(officer, k) != v
        }
        if not changes:
            report.unchanged += 1
            continue
        for k, (_old, new) in changes.items():
            setattr(officer, k, new)
        officer.source = source
        officer.save()
        updated[row.certificate_number] = changes
    report.created, report.updated = len(created), len(updated)
    audit.record(
        actor=actor,
        action="org.officer.roster_imported",
        object_type="org.officer",
        object_id=parsed.sha256[:16],
        object_repr=name or _("officer roster"),
        after={
            "file_name": name,
            "file_sha256": parsed.sha256,
            "rows": report.rows,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "created_certificates": created,
            "changes": updated,
        },
    )
    return report


@transaction.atomic
def officers_export_xlsx(
    *,
    actor: User | None,
    officers: QuerySet[Officer] | Iterable[Officer] | None = None,
    filters: Any = None,
) -> bytes:
    """The roster (as filtered) as a spreadsheet that imports back unchanged. The export of
    personal data is recorded in the trail. `actor` is None only for the console."""
    if actor is not None:
        ensure_allowed(actor, "org.officer.export")
    if officers is None:
        officers = Officer.objects.select_related("department").order_by(
            "department__sort_order", "name"
        )
    content, count = roster.export(officers)
    audit.record(
        actor=actor,
        action="org.officer.roster_exported",
        object_type="org.officer",
        object_repr=_("officer roster"),
        after={"count": count, "filters": filters or {}},
    )
    return content


def roster_template() -> bytes:
    return roster.template()


@transaction.atomic
def officer_set_status(*, officer: Officer, status: str, actor: User, note: str = "") -> Officer:
    """Mark an officer available, on leave or suspended."""
    ensure_allowed(actor, "org.officer.manage", officer)
    if status not in OfficerStatus.values:
        raise DomainError(_("Unknown status “%(value)s”.") % {"value": status})
    officer = Officer.objects.select_for_update().get(pk=officer.pk)
    if officer.status == status:
        return officer
    before = audit.snapshot(officer, ["status"])
    officer.status = status
    officer.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=actor,
        action="org.officer.status_changed",
        obj=officer,
        before=before,
        after=audit.snapshot(officer, ["status"]),
        note=note,
    )
    return officer
