"""Departments, users and the roles they hold. REQ-01, REQ-02, REQ-04.

Models keep data and pure single-row derived values only; every write goes through
`org.services`, which checks permissions and leaves an audit entry.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


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
    kind = models.CharField(_("kind"), max_length=20, choices=DepartmentKind.choices)
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
