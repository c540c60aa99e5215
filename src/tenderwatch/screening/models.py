"""Warnings (预警) and their handling to closure; the office's rule settings. REQ-05, REQ-09.

One `Warning` model for whatever raised it (`origin`): a statutory rule, a collusion screen, a
credit check later. A warning carries the finding's explanation, facts and legal basis, the
department competent for it by the authority list (谁主管谁监管), the department it is assigned
to, its status in the workflow (`workflow.py`), and a handling deadline computed by the working-day
calendar and stored with the rule that produced it. Its history (`WarningTransition`) is
append-only. `Referral` rows are what later apps (rectification, cases) pick up.

`RuleSetting` rows are the office's versions of a rule's parameters and switch: append-only, the
newest version of a rule is in force; without one, the rule's own defaults apply.

Models keep data and pure single-row values only; every write goes through `screening.services`.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tenderwatch.screening.findings import Severity

__all__ = [
    "AppendOnlyError",
    "ConfirmAction",
    "DismissalCategory",
    "Escalation",
    "ModelDocument",
    "Origin",
    "Outcome",
    "Referral",
    "ReferralKind",
    "RuleSetting",
    "Severity",
    "Warning",
    "WarningStatus",
    "WarningTransition",
]


class AppendOnlyError(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be updated")

    def delete(self) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be deleted")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be updated")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{type(self).__name__} rows cannot be deleted")


class Origin(models.TextChoices):
    RULE = "rule", _("Statutory rule")
    SCREEN = "screen", _("Collusion or red-flag screen")
    DOCUMENT = "document", _("Tender-document check")
    CREDIT = "credit", _("Credit check")


class WarningStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("warning status", "New")
    ASSIGNED = "assigned", pgettext_lazy("warning status", "Assigned")
    VERIFYING = "verifying", pgettext_lazy("warning status", "Under verification")
    CONFIRMED = "confirmed", pgettext_lazy("warning status", "Confirmed")
    DISMISSED = "dismissed", pgettext_lazy("warning status", "Dismissed")
    CLOSED = "closed", pgettext_lazy("warning status", "Closed")


# Open: the fingerprint is unique among these, and a finding with the same fingerprint merges.
OPEN_STATUSES = (
    WarningStatus.NEW,
    WarningStatus.ASSIGNED,
    WarningStatus.VERIFYING,
    WarningStatus.CONFIRMED,
)
# Running against the handling deadline: no decision (confirmed or dismissed) yet.
UNDECIDED_STATUSES = (WarningStatus.NEW, WarningStatus.ASSIGNED, WarningStatus.VERIFYING)


class Outcome(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")


class ConfirmAction(models.TextChoices):
    """What the department does about a confirmed warning."""

    ORDER_CORRECTION = "order_correction", _("Order the tenderer to correct (责令改正)")
    # 招标投标法实施条例 第六十二条; 电子招标投标办法 第五十七条: through the trading platform.
    SUSPEND = "suspend", _("Suspend the tendering (暂停招标投标活动)")
    REFER_RECTIFICATION = "refer_rectification", _("Refer for rectification (整改)")
    REFER_CASE = "refer_case", _("Refer for a case (立案查处)")


class DismissalCategory(models.TextChoices):
    """Why a warning was dismissed: kept so that the office can tune the rules that make noise."""

    FALSE_POSITIVE = "false_positive", _("The rule does not fit this case")
    DATA_ERROR = "data_error", _("The ledger data were wrong or incomplete")
    LAWFUL_EXCEPTION = "lawful_exception", _("A lawful exception applies")
    ALREADY_HANDLED = "already_handled", _("Already handled elsewhere")
    DUPLICATE = "duplicate", _("Duplicate of another warning")
    OTHER = "other", _("Other reason")


class Warning(models.Model):
    """A warning (预警): a rule or screen fired on a project; someone owns it until it closes."""

    origin = models.CharField(_("raised by"), max_length=20, choices=Origin.choices)
    rule_id = models.CharField(_("rule"), max_length=40, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    explanation = models.TextField(_("explanation"))
    legal_basis = models.JSONField(_("legal basis"), default=list, blank=True)
    facts = models.JSONField(_("facts"), default=list, blank=True)
    # Earlier fact sets of the same warning, newest last: [{"seen_at": …, "facts": […]}, …].
    facts_history = models.JSONField(_("earlier facts"), default=list, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    fingerprint = models.CharField(_("fingerprint"), max_length=64, db_index=True)

    # The project; none for a project on the approved list that never entered the platform
    # (应进必进), which is then named by `approved_project`.
    project = models.ForeignKey(
        "ledger.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="warnings",
    )
    approved_project = models.ForeignKey(
        "ledger.ApprovedProject",
        verbose_name=_("approved project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="warnings",
    )
    lot = models.ForeignKey(
        "ledger.Lot",
        verbose_name=_("lot"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="warnings",
    )
    # The timeline step the warning concerns: it shows under that step on the project page.
    event = models.ForeignKey(
        "ledger.ProcedureEvent",
        verbose_name=_("procedure step"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="warnings",
    )
    entities = models.ManyToManyField(
        "ledger.MarketEntity",
        verbose_name=_("market entities"),
        blank=True,
        related_name="warnings",
    )

    # 谁主管谁监管: the department the authority list names (None where it names none or
    # several: then the office coordinates), and the department that handles it now.
    competent_department = models.ForeignKey(
        "org.Department",
        verbose_name=_("competent department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    needs_coordination = models.BooleanField(_("needs the office's coordination"), default=False)
    competence_note = models.TextField(_("competence by the authority list"), blank=True)
    assigned_department = models.ForeignKey(
        "org.Department",
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_warnings",
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)

    status = models.CharField(
        _("status"), max_length=20, choices=WarningStatus.choices, default=WarningStatus.NEW
    )
    # The handling deadline: from the assignment, in working days per severity (setting
    # TW_SCREEN_HANDLING_WORKDAYS), computed by the working-day calendar. `due_rule` says how it
    # was computed; blank `due_at` with a `due_rule` means the calendar lacked the year.
    due_from = models.DateField(_("deadline counted from"), null=True, blank=True)
    due_on = models.DateField(_("handle by"), null=True, blank=True)
    due_at = models.DateTimeField(_("deadline"), null=True, blank=True, db_index=True)
    due_rule = models.CharField(_("deadline rule"), max_length=200, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    occurrences = models.PositiveIntegerField(_("occurrences"), default=1)
    first_seen_at = models.DateTimeField(_("first found at"))
    last_seen_at = models.DateTimeField(_("last found at"))

    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    confirm_action = models.CharField(
        _("action"), max_length=30, choices=ConfirmAction.choices, blank=True
    )
    dismissal_category = models.CharField(
        _("dismissal reason category"), max_length=30, choices=DismissalCategory.choices, blank=True
    )
    dismissal_reason = models.TextField(_("dismissal reason"), blank=True)
    # The decision as made: {"outcome", "action", "reason", "by", "at", "instruction", "referral",
    # "approval"}; and a decision waiting for its approval (same shape, with "approval").
    decision = models.JSONField(_("decision"), default=dict, blank=True)
    pending_decision = models.JSONField(_("decision awaiting approval"), default=dict, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    # The warning this one follows, when the same finding came back with other facts after the
    # earlier one was dismissed or closed.
    previous = models.ForeignKey(
        "self",
        verbose_name=_("earlier warning"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("warning")
        verbose_name_plural = _("warnings")
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="screening_warning_open_fingerprint",
            ),
        ]
        indexes = [
            models.Index(fields=["assigned_department", "status"], name="screening_warn_dept"),
            models.Index(fields=["project", "status"], name="screening_warn_project"),
            models.Index(fields=["status", "due_at"], name="screening_warn_due"),
            models.Index(fields=["rule_id", "outcome"], name="screening_warn_rule"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("screening:warning_detail", args=[self.pk])

    @property
    def subject_code(self) -> str:
        """The project's code, or the approval number of a project that never entered."""
        if self.project_id and self.project is not None:
            return self.project.code
        if self.approved_project_id and self.approved_project is not None:
            return self.approved_project.approval_no
        return ""

    @property
    def subject_name(self) -> str:
        if self.project_id and self.project is not None:
            return self.project.name
        if self.approved_project_id and self.approved_project is not None:
            return self.approved_project.name
        return ""

    def subject_url(self) -> str:
        from urllib.parse import quote

        from django.urls import reverse

        if self.project_id:
            return reverse("ledger:project_detail", args=[self.project_id])
        if self.approved_project_id and self.approved_project is not None:
            return (
                reverse("ledger:approved_list") + "?q=" + quote(self.approved_project.approval_no)
            )
        return ""

    @property
    def reference(self) -> str:
        """The number officers quote: YJ-<year>-<id>."""
        year = self.created_at.year if self.created_at else ""
        return f"YJ-{year}-{self.pk or 0:06d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_undecided(self) -> bool:
        return self.status in UNDECIDED_STATUSES

    def is_overdue(self, now: Any) -> bool:
        return self.is_undecided and self.due_at is not None and self.due_at < now

    @property
    def legal_basis_text(self) -> str:
        return "；".join(
            f"{b.get('law', '')}{b.get('article', '')}" for b in self.legal_basis or []
        )


class WarningTransition(AppendOnlyModel):
    """One thing that happened to a warning: raised, assigned, merged, decided, escalated, …

    Append-only: the rows of a warning are its history.
    """

    warning = models.ForeignKey(
        Warning, on_delete=models.PROTECT, related_name="transitions", verbose_name=_("warning")
    )
    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(
        _("from"), max_length=20, choices=WarningStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=WarningStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("time"))
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["warning", "at", "id"]
        verbose_name = _("warning history entry")
        verbose_name_plural = _("warning history")

    def __str__(self) -> str:
        return f"{self.warning_id} {self.action} {self.from_status}→{self.to_status}"

    @property
    def action_label(self) -> str:
        from tenderwatch.screening.workflow import ACTION_LABELS

        return str(ACTION_LABELS.get(self.action, self.action))


class EscalationTarget(models.TextChoices):
    OFFICE_HEAD = "office_head", _("Head of the office")


class Escalation(AppendOnlyModel):
    """An overdue warning raised to the office head by the sweeper."""

    warning = models.ForeignKey(
        Warning, on_delete=models.PROTECT, related_name="escalations", verbose_name=_("warning")
    )
    target = models.CharField(_("to"), max_length=20, choices=EscalationTarget.choices)
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department that was late"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    due_at = models.DateTimeField(_("deadline"))
    escalated_at = models.DateTimeField(_("escalated at"), db_index=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-escalated_at", "-id"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")

    def __str__(self) -> str:
        return f"{self.warning_id} → {self.get_target_display()}"


class ReferralKind(models.TextChoices):
    RECTIFICATION = "rectification", _("Rectification")
    CASE = "case", _("Case")


class Referral(models.Model):
    """A confirmed warning handed on to another part of the platform (rectification, cases).

    Written here; the later app that lands consumes it (`consumed_at`, `consumed_ref`).
    """

    warning = models.ForeignKey(
        Warning, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("warning")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ReferralKind.choices)
    target_department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    payload = models.JSONField(_("content"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("referred by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("referred at"), auto_now_add=True, db_index=True)
    consumed_at = models.DateTimeField(_("taken up at"), null=True, blank=True)
    consumed_ref = models.CharField(_("taken up as"), max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [models.Index(fields=["kind", "consumed_at"], name="screening_referral_open")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.warning_id} → {self.target_department}"


class RuleSetting(AppendOnlyModel):
    """One version of the office's settings for a rule: its parameters and whether it runs.

    Append-only; the highest version of a rule is in force. `params` holds the full set in force
    from this version on (the rule's defaults for what the office did not change).
    """

    rule_id = models.CharField(_("rule"), max_length=40)
    version = models.PositiveIntegerField(_("version"))
    enabled = models.BooleanField(_("enabled"), default=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    reason = models.TextField(pgettext_lazy("change", "reason"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        ordering = ["rule_id", "-version"]
        verbose_name = _("rule setting")
        verbose_name_plural = _("rule settings")
        constraints = [
            models.UniqueConstraint(fields=["rule_id", "version"], name="screening_rule_version")
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} v{self.version}"


class ModelDocument(models.Model):
    """A model tender document (示范文本) the office uploads: tender documents are compared with
    it clause by clause (rule TD-01, 招标投标法实施条例 第十五条第三款: 使用标准文本).

    `text` holds the numbered clauses one a line, blanks written as {…} or 【…】. A new upload
    with the same title is a new `version`; the earlier versions are switched off.
    """

    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    category = models.CharField(
        _("category"), max_length=20, blank=True, help_text=_("Blank: any category.")
    )
    methods = models.CharField(
        _("procurement methods"),
        max_length=200,
        blank=True,
        help_text=_("Comma-separated; blank: any method."),
    )
    industry = models.CharField(
        _("industry"), max_length=40, blank=True, help_text=_("Blank: any industry.")
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    active = models.BooleanField(_("in use"), default=True)
    source_name = models.CharField(_("uploaded file"), max_length=200, blank=True)
    sha256 = models.CharField(_("SHA-256 of the text"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["title", "-version"]
        verbose_name = _("model document")
        verbose_name_plural = _("model documents")
        constraints = [
            models.UniqueConstraint(fields=["title", "version"], name="screening_model_doc_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"
