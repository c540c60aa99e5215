"""Departments, the leading group, the authority list, the officer pool, users and their roles.
REQ-01, REQ-02, REQ-04.

Models keep data and pure single-row derived values only; every write goes through
`org.services`, which checks permissions and leaves an audit entry.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DepartmentKind(models.TextChoices):
    OFFICE = "office", _("Supervision office (leading group office)")
    SUPERVISORY = "supervisory", _("Supervisory department")
    MEMBER = "member", _("Member unit")
    TRADING_CENTER = "trading_center", _("Trading centre")
    EXTERNAL = "external", _("External body")


class Department(models.Model):
    """A unit of the district: the office, a supervisory department, or another member unit."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    short_name = models.CharField(_("short name"), max_length=40)
    kind = models.CharField(
        pgettext_lazy("department", "kind"), max_length=20, choices=DepartmentKind.choices
    )
    region_code = models.CharField(_("region code"), max_length=12, blank=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name

    @property
    def is_office(self) -> bool:
        return self.kind == DepartmentKind.OFFICE


class Role(models.TextChoices):
    OFFICE_STAFF = "office_staff", _("Office staff")
    DEPARTMENT_OFFICER = "department_officer", _("Department officer")
    LEADER = "leader", _("Leader")
    ENFORCEMENT_OFFICER = "enforcement_officer", _("Enforcement officer")
    DISCIPLINE_LIAISON = "discipline_liaison", _("Discipline inspection liaison")
    AUDITOR = "auditor", _("Auditor")
    ADMINISTRATOR = "administrator", _("Administrator")


class ApprovalLevel(models.IntegerChoices):
    """A leader's level in the approval chain (承办 → 审核 → 审批)."""

    SECTION_HEAD = 1, _("Section head (科室负责人)")
    DEPUTY_HEAD = 2, _("Deputy head in charge (分管领导)")
    PRINCIPAL = 3, _("Principal head (主要负责人)")


class User(AbstractUser):
    """A staff account. Complainants and the public have no account."""

    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("home department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_username()


class RoleAssignment(models.Model):
    """A role a user holds for a department, for a period.

    A user seconded from a department to the office holds two assignments: department officer
    for the home department and office staff for the office.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    approval_level = models.PositiveSmallIntegerField(
        _("approval level"), choices=ApprovalLevel.choices, null=True, blank=True
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "department"], name="org_roleassignment_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(role="leader") | models.Q(approval_level__isnull=False),
                name="org_roleassignment_leader_has_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.department}"

    def is_current(self, on: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on <= self.valid_to
        )


# -- the district and its leading group (附件) -----------------------------------------------


class District(models.Model):
    """The district this install serves (one install, one supervision office), as configured by
    `tenderwatch setup --district …`."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    region_code = models.CharField(_("region code"), max_length=12)
    plan_ref = models.CharField(_("plan document number"), max_length=60, blank=True)
    plan_title = models.CharField(_("plan document title"), max_length=200, blank=True)
    plan_date = models.DateField(_("plan document date"), null=True, blank=True)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name


class GroupPosition(models.TextChoices):
    LEADER = "leader", _("Group leader")
    DEPUTY = "deputy", _("Deputy group leader")
    MEMBER = "member", _("Member")
    OFFICE_HEAD = "office_head", _("Office director")
    OFFICE_DEPUTY = "office_deputy", _("Office deputy director")


class LeadingGroup(models.Model):
    """The leading group (领导小组) and where its office sits. REQ-01.

    黄州公管委发〔2023〕1号 附件: one leader, two deputies, members from the member units; the
    office sits in the supervision bureau, whose head directs it.
    """

    district = models.OneToOneField(
        District, verbose_name=_("district"), on_delete=models.CASCADE, related_name="group"
    )
    name = models.CharField(_("name"), max_length=200)
    office = models.ForeignKey(
        Department,
        verbose_name=_("office located in"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    established_by = models.CharField(_("established by (document)"), max_length=60, blank=True)
    established_on = models.DateField(_("established on"), null=True, blank=True)

    class Meta:
        verbose_name = _("leading group")
        verbose_name_plural = _("leading groups")

    def __str__(self) -> str:
        return self.name


class LeadingGroupMember(models.Model):
    """A post in the leading group or its office, and who holds it (the plan names posts, not
    people: the office fills in the names)."""

    group = models.ForeignKey(LeadingGroup, on_delete=models.CASCADE, related_name="members")
    key = models.SlugField(_("key"), max_length=60)
    position = models.CharField(_("position"), max_length=20, choices=GroupPosition.choices)
    department = models.ForeignKey(
        Department,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="group_posts",
    )
    title = models.CharField(_("post"), max_length=100)
    person_name = models.CharField(_("person"), max_length=60, blank=True)
    person_title = models.CharField(_("person's title"), max_length=100, blank=True)
    valid_from = models.DateField(_("from"), null=True, blank=True)
    valid_to = models.DateField(_("to"), null=True, blank=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["group", "sort_order", "key"]
        verbose_name = _("leading group member")
        verbose_name_plural = _("leading group members")
        constraints = [
            models.UniqueConstraint(fields=["group", "key"], name="org_groupmember_key_unique"),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="org_groupmember_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_position_display()} · {self.title}"

    def is_current(self, on: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_to is None or on <= self.valid_to
        )


# -- the authority list (权责清单) -----------------------------------------------------------


class Industry(models.TextChoices):
    """Kinds of trading project, by the department that supervises them (国办发〔2000〕34号)."""

    HOUSING_MUNICIPAL = "housing_municipal", _("Housing and municipal works")
    TRANSPORT = "transport", _("Transport works")
    WATER = "water", _("Water works")
    AGRICULTURE = "agriculture", _("Agricultural and rural works")
    GOVERNMENT_PROCUREMENT = "government_procurement", _("Government procurement")
    LAND_MINING = "land_mining", _("Land-use and mining rights")
    STATE_ASSETS = "state_assets", _("State-owned property rights")
    MEDICAL_PROCUREMENT = "medical_procurement", _("Medicines and medical consumables")
    OTHER = "other", _("Other")


# Other spellings of an industry seen in feeds and spreadsheets.
INDUSTRY_ALIASES = {
    "housing": Industry.HOUSING_MUNICIPAL,
    "municipal": Industry.HOUSING_MUNICIPAL,
    "construction": Industry.HOUSING_MUNICIPAL,
    "procurement": Industry.GOVERNMENT_PROCUREMENT,
    "land": Industry.LAND_MINING,
    "mining": Industry.LAND_MINING,
    "medical": Industry.MEDICAL_PROCUREMENT,
}


class MatterType(models.TextChoices):
    SUPERVISION = "supervision", _("Supervision of tendering")
    COMPLAINT = "complaint", _("Complaint")
    TIP_OFF = "tip_off", _("Tip-off")
    PENALTY = "penalty", _("Administrative penalty")
    PERFORMANCE = "performance", _("Contract performance supervision")


class AuthorityRule(models.Model):
    """One line of the authority list: the department competent for an industry (and a kind of
    matter, or any). REQ-04, "谁主管，谁监管"; 招标投标法实施条例 第四条."""

    industry = models.CharField(_("industry"), max_length=30, choices=Industry.choices)
    matter_type = models.CharField(
        _("matter type"),
        max_length=20,
        choices=MatterType.choices,
        blank=True,
        help_text=_("Blank: any kind of matter."),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("competent department"),
        on_delete=models.PROTECT,
        related_name="authority_rules",
    )
    legal_basis = models.TextField(_("legal basis"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["industry", "matter_type", "department__sort_order"]
        verbose_name = _("authority rule")
        verbose_name_plural = _("authority list")
        constraints = [
            models.UniqueConstraint(
                fields=["industry", "matter_type", "department"], name="org_authorityrule_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="org_authorityrule_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        matter = self.get_matter_type_display() if self.matter_type else _("any matter")
        return f"{self.get_industry_display()} · {matter} → {self.department}"

    def in_force(self, on: dt.date) -> bool:
        return (
            self.active
            and (self.valid_from is None or self.valid_from <= on)
            and (self.valid_to is None or on <= self.valid_to)
        )


class CoordinationDecision(models.Model):
    """The office's decision on who handles a matter the authority list does not settle
    (协调处理争议, 附件 领导小组办公室主要职责 四)."""

    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    matter = GenericForeignKey("content_type", "object_id")
    matter_repr = models.CharField(_("matter"), max_length=300, blank=True)
    industry = models.CharField(_("industry"), max_length=30, choices=Industry.choices)
    matter_type = models.CharField(
        _("matter type"), max_length=20, choices=MatterType.choices, blank=True
    )
    candidates = models.ManyToManyField(
        Department, verbose_name=_("departments found competent"), blank=True, related_name="+"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department decided"),
        on_delete=models.PROTECT,
        related_name="coordination_decisions",
    )
    reason = models.TextField(pgettext_lazy("coordination", "reason"))
    decided_by = models.ForeignKey(
        User, verbose_name=_("decided by"), on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        ordering = ["-decided_at", "-pk"]
        verbose_name = _("coordination decision")
        verbose_name_plural = _("coordination decisions")
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="org_coord_matter_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.matter_repr or self.get_industry_display()} → {self.department}"


# -- the officer pool (执法人员信息库) --------------------------------------------------------


class OfficerStatus(models.TextChoices):
    AVAILABLE = "available", pgettext_lazy("officer status", "Available")
    ON_LEAVE = "on_leave", pgettext_lazy("officer status", "On leave")
    SUSPENDED = "suspended", pgettext_lazy("officer status", "Suspended")


class Specialty(models.TextChoices):
    HOUSING_MUNICIPAL = "housing_municipal", pgettext_lazy("specialty", "Housing and municipal")
    TRANSPORT = "transport", pgettext_lazy("specialty", "Transport")
    WATER = "water", pgettext_lazy("specialty", "Water")
    AGRICULTURE = "agriculture", pgettext_lazy("specialty", "Agriculture")
    GOVERNMENT_PROCUREMENT = "government_procurement", pgettext_lazy("specialty", "Procurement")
    E_BIDDING = "e_bidding", pgettext_lazy("specialty", "Electronic bidding")
    LAND_MINING = "land_mining", pgettext_lazy("specialty", "Land and mining rights")
    STATE_ASSETS = "state_assets", pgettext_lazy("specialty", "State-owned property")
    MEDICAL_PROCUREMENT = "medical_procurement", pgettext_lazy("specialty", "Medical procurement")
    LEGAL_REVIEW = "legal_review", pgettext_lazy("specialty", "Legal review")


class Officer(models.Model):
    """An enforcement officer in the pool, drawn from a supervisory department. REQ-02.

    Only holders of a valid enforcement certificate may enforce (行政处罚法 第四十二条: 执法人员应当
    具有行政执法资格), so an expired certificate makes the officer undispatchable.
    """

    user = models.OneToOneField(
        User,
        verbose_name=_("user account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="officer_profile",
    )
    name = models.CharField(_("name"), max_length=60)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="officers"
    )
    certificate_number = models.CharField(
        _("enforcement certificate number"), max_length=40, unique=True
    )
    issuing_body = models.CharField(_("issuing body"), max_length=100)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    specialties = models.JSONField(_("specialties"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=OfficerStatus.choices, default=OfficerStatus.AVAILABLE
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # Where the row last came from: "xlsx:<file hash prefix>" for a roster import, "admin", …
    source = models.CharField(_("source"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["department__sort_order", "name", "certificate_number"]
        verbose_name = _("enforcement officer")
        verbose_name_plural = _("enforcement officers")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__gte=models.F("valid_from")),
                name="org_officer_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.certificate_number}）"

    def certificate_valid(self, on: dt.date) -> bool:
        return self.valid_from <= on <= self.valid_to

    def is_dispatchable(self, on: dt.date) -> bool:
        """Available, with a certificate valid on `on`, in an active department."""
        return (
            self.status == OfficerStatus.AVAILABLE
            and self.certificate_valid(on)
            and self.department.active
        )

    @property
    def specialty_labels(self) -> list[str]:
        labels = dict(Specialty.choices)
        return [str(labels.get(s, s)) for s in self.specialties or []]
