"""Multi-level approval as data. REQ-15 (行政层级审批), 行政处罚法 第五十七条、第五十八条.

An `ApprovalRoute` says, for one kind of decision, which levels must sign in which order
(承办 → 审核 → [法制审核] → 审批) and who may sign at each: holders of a role, or leaders of at
least a given approval level, in the subject's department or in the office. An
`ApprovalRequest` walks a route; every act on it is an append-only `ApprovalStep` row, which is
its status history. A level may call for a recorded collective discussion (集体讨论) first.

Levels are retired rather than deleted when a route changes, so every step keeps pointing at the
level it was decided under. Writes go through `approvals.services`.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenderwatch.org.models import ApprovalLevel, Department, Role


class AppendOnlyError(Exception):
    pass


class Stage(models.TextChoices):
    HANDLING = "handling", _("Handling (承办)")
    REVIEW = "review", _("Review (审核)")
    LEGAL_REVIEW = "legal_review", _("Legal review (法制审核)")
    DISCUSSION = "discussion", _("Collective discussion (集体讨论)")
    APPROVAL = "approval", _("Approval (审批)")


class DepartmentRule(models.TextChoices):
    SUBJECT = "subject", _("The subject's department")
    OFFICE = "office", _("The supervision office")


class DiscussionRule(models.TextChoices):
    """Whether a level decides only after the leaders' collective discussion (集体讨论)."""

    NONE = "none", _("Not required")
    ALWAYS = "always", _("Always required")
    # 行政处罚法 第五十七条第二款: 情节复杂或者重大违法行为给予行政处罚，
    # 行政机关负责人应当集体讨论决定.
    MAJOR = "major", _("Required for complex or major cases")


class ApprovalRoute(models.Model):
    """The approval chain for one kind of decision, e.g. "complaint_decision"."""

    kind = models.SlugField(_("kind"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind"]
        verbose_name = _("approval route")
        verbose_name_plural = _("approval routes")

    def __str__(self) -> str:
        return self.name or self.kind


class RouteLevel(models.Model):
    """One level of a route: its place in the order, its stage, and who may act at it."""

    route = models.ForeignKey(
        ApprovalRoute, verbose_name=_("route"), on_delete=models.CASCADE, related_name="levels"
    )
    order = models.PositiveSmallIntegerField(_("order"))
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    # Who may act: holders of one of these roles (comma-separated role slugs) …
    roles = models.CharField(_("roles"), max_length=200, blank=True)
    # … or leaders of at least this approval level (科室负责人 1, 分管领导 2, 主要负责人 3).
    min_level = models.PositiveSmallIntegerField(
        _("minimum leader level"), choices=ApprovalLevel.choices, null=True, blank=True
    )
    department_rule = models.CharField(
        _("acting department"),
        max_length=20,
        choices=DepartmentRule.choices,
        default=DepartmentRule.SUBJECT,
    )
    discussion = models.CharField(
        _("collective discussion"),
        max_length=20,
        choices=DiscussionRule.choices,
        default=DiscussionRule.NONE,
    )
    min_attendees = models.PositiveSmallIntegerField(
        _("minimum leaders attending"),
        default=3,
        help_text=_("Leaders of the acting department who must attend the collective discussion."),
    )
    # Retired levels stay, so decided steps keep pointing at the level they were decided under.
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["route", "-active", "order"]
        verbose_name = _("route level")
        verbose_name_plural = _("route levels")
        constraints = [
            models.UniqueConstraint(
                fields=["route", "order"],
                condition=Q(active=True),
                name="approvals_level_unique_order",
            ),
            models.CheckConstraint(
                condition=(Q(roles="") & Q(min_level__isnull=False))
                | (~Q(roles="") & Q(min_level__isnull=True)),
                name="approvals_level_role_xor_leader",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.route} · {self.order}. {self.get_stage_display()}"

    @property
    def role_list(self) -> list[str]:
        return [r for r in (x.strip() for x in self.roles.split(",")) if r]

    @property
    def actor_display(self) -> str:
        """Who may act, for people: "Office staff" or "Leader of level ≥ 3 (主要负责人)"."""
        from django.utils.translation import gettext

        if self.min_level is not None:
            return gettext("Leader: %(level)s or above") % {"level": self.get_min_level_display()}
        labels = dict(Role.choices)
        return "、".join(str(labels.get(r, r)) for r in self.role_list)

    def needs_discussion(self, *, major: bool) -> bool:
        return self.discussion == DiscussionRule.ALWAYS or (
            self.discussion == DiscussionRule.MAJOR and major
        )

    def clean(self) -> None:
        roles = self.role_list
        unknown = [r for r in roles if r not in Role.values]
        if unknown:
            raise ValidationError({"roles": _("Unknown role: %s") % ", ".join(unknown)})
        if bool(roles) == (self.min_level is not None):
            raise ValidationError(
                _("Name either the roles that may act or a minimum leader level, not both.")
            )
        self.roles = ",".join(roles)
        if self.discussion != DiscussionRule.NONE and self.min_attendees < 2:
            raise ValidationError(
                {"min_attendees": _("A collective discussion needs at least two leaders.")}
            )


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RETURNED = "returned", _("Returned for revision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = (RequestStatus.PENDING, RequestStatus.RETURNED)


class ApprovalRequest(models.Model):
    """One decision (about one subject) walking one route, level by level."""

    route = models.ForeignKey(
        ApprovalRoute, verbose_name=_("route"), on_delete=models.PROTECT, related_name="requests"
    )
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("subject type"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(_("subject id"), max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The department whose decision this is; it scopes who sees and signs."),
    )
    title = models.CharField(_("title"), max_length=200)
    # 行政处罚法 第五十七条第二款: complex or major cases are decided by the leaders collectively.
    major = models.BooleanField(_("complex or major case"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    current_level = models.ForeignKey(
        RouteLevel,
        verbose_name=_("waiting at level"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Raised by each resubmission after a return; steps and discussions belong to one round.
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "route"], name="approvals_req_subject_idx"
            ),
            models.Index(fields=["status", "current_level"], name="approvals_req_waiting_idx"),
        ]
        constraints = [
            # Open requests wait at a level; closed ones wait nowhere.
            models.CheckConstraint(
                condition=(
                    Q(status__in=["pending", "returned"], current_level__isnull=False)
                    | (~Q(status__in=["pending", "returned"]) & Q(current_level__isnull=True))
                ),
                name="approvals_req_open_has_level",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Decision(models.TextChoices):
    SUBMIT = "submit", _("Submit")
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    RETURN = "return", _("Return for revision")
    WITHDRAW = "withdraw", _("Withdraw")


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("approval steps cannot be updated")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("approval steps cannot be deleted")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("approval steps cannot be updated")


class ApprovalStep(models.Model):
    """One act on a request: who, at which level, what they decided, their opinion, when.

    Append-only: the rows of a request are its status history.
    """

    request = models.ForeignKey(
        ApprovalRequest, verbose_name=_("request"), on_delete=models.PROTECT, related_name="steps"
    )
    round = models.PositiveSmallIntegerField(_("round"))
    level = models.ForeignKey(
        RouteLevel,
        verbose_name=_("level"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="steps",
    )
    # The level's place and stage as they were when the step was taken.
    level_order = models.PositiveSmallIntegerField(_("level order"), null=True, blank=True)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, blank=True)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    opinion = models.TextField(_("opinion"), blank=True)
    decided_at = models.DateTimeField(_("time"))

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["request", "decided_at", "id"]
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")
        indexes = [models.Index(fields=["request", "round"], name="approvals_step_round_idx")]

    def __str__(self) -> str:
        return f"{self.request} · {self.get_stage_display()} · {self.get_decision_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("approval steps cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("approval steps cannot be deleted")


class CollectiveDiscussion(models.Model):
    """A meeting of the leaders (集体讨论) recorded before a level that calls for one decides.

    行政处罚法 第五十七条第二款.
    """

    request = models.ForeignKey(
        ApprovalRequest,
        verbose_name=_("request"),
        on_delete=models.PROTECT,
        related_name="discussions",
    )
    round = models.PositiveSmallIntegerField(_("round"))
    level = models.ForeignKey(
        RouteLevel, verbose_name=_("level"), on_delete=models.PROTECT, related_name="+"
    )
    held_at = models.DateTimeField(_("held at"))
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("attendees"), related_name="+"
    )
    # Attending leaders of the acting department, counted when the meeting was recorded.
    leaders_present = models.PositiveSmallIntegerField(_("leaders present"))
    minutes = models.TextField(_("minutes"))
    conclusion = models.TextField(_("conclusion"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["request", "held_at", "id"]
        verbose_name = _("collective discussion")
        verbose_name_plural = _("collective discussions")

    def __str__(self) -> str:
        return f"{self.request} · {self.held_at:%Y-%m-%d}"
