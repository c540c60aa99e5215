"""Complaints (投诉) and tip-offs (举报): the one window's records. REQ-03, REQ-07, REQ-14.

A `Matter` is one filing, whatever its channel (online, letter, visit, call, or a matter assigned
by a higher authority, 交办件). Its clocks are `Deadline` rows, computed by `clocks` from the
working-day calendar and stored with the rule that produced them; the time the law lets stop a
clock is a `ClockStop`. Its status changes are an append-only `StatusChange` history; what the
filer is told is a `Notice`. The filer's identity is sealed (SM4-GCM, `crypto`) and only a
masked form and keyed blind indexes are stored in the clear.

Models keep data and pure single-row derived values only; every write goes through `services`.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AppendOnlyError(Exception):
    pass


class Kind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint (投诉)")
    TIP_OFF = "tip_off", _("Tip-off (举报)")


# 受理编号 prefixes: TS = 投诉, JB = 举报.
NUMBER_PREFIX = {Kind.COMPLAINT: "TS", Kind.TIP_OFF: "JB"}


class Channel(models.TextChoices):
    ONLINE = "online", _("Online form")
    LETTER = "letter", _("Letter")
    VISIT = "visit", _("Visit in person")
    PHONE = "phone", _("Telephone")
    ASSIGNED = "assigned", _("Assigned by a higher authority (交办件)")


class RuleSet(models.TextChoices):
    """Which law governs the complaint: 招标投标法 or, for matters routed to 财政, 政府采购法."""

    TENDERING = "tendering", _("Tendering law (招标投标法 and 实施条例)")
    PROCUREMENT = "procurement", _("Government procurement law (政府采购法, 财政部令第94号)")


class FilerKind(models.TextChoices):
    PERSON = "person", _("Natural person")
    ENTITY = "entity", _("Legal person or other organisation")
    ANONYMOUS = "anonymous", _("Anonymous")


class FilerRole(models.TextChoices):
    """Who may complain: 投标人 and 其他利害关系人 (条例 第六十条)."""

    BIDDER = "bidder", _("Bidder (投标人) or supplier that took part")
    APPLICANT = "applicant", _("Potential bidder or applicant (潜在投标人、资格预审申请人)")
    INTERESTED = "interested", _("Other interested party (其他利害关系人)")
    NONE = "none", _("None of these")


class Subject(models.TextChoices):
    """What the filing is about. The first four need a prior objection (条例 第六十条第二款)."""

    PREQUALIFICATION_DOCUMENTS = (
        "prequalification_documents",
        _("Prequalification documents (资格预审文件, 条例第二十二条)"),
    )
    TENDER_DOCUMENTS = "tender_documents", _("Tender documents (招标文件, 条例第二十二条)")
    OPENING = "opening", _("Bid opening (开标, 条例第四十四条)")
    EVALUATION_RESULT = "evaluation_result", _("Evaluation result (评标结果, 条例第五十四条)")
    COLLUSION = "collusion", _("Collusion or bid rigging (串通投标、围标)")
    FRAUD = "fraud", _("Fraud or false documents (弄虚作假)")
    PROCEDURE = "procedure", _("Other breach of procedure")
    PERFORMANCE = "performance", _("Contract performance, subcontracting (转包、违法分包)")
    OTHER = "other", _("Other")


OBJECTION_FIRST_SUBJECTS = frozenset(
    {
        Subject.PREQUALIFICATION_DOCUMENTS,
        Subject.TENDER_DOCUMENTS,
        Subject.OPENING,
        Subject.EVALUATION_RESULT,
    }
)


class Status(models.TextChoices):
    RECEIVED = "received", _("Received, under review")
    AWAITING_SUPPLEMENT = "awaiting_supplement", _("Waiting for the filer to supplement (补正)")
    REJECTION_PENDING = "rejection_pending", _("Non-acceptance awaiting approval")
    ACCEPTED = "accepted", _("Accepted (受理)")
    NOT_ACCEPTED = "not_accepted", _("Not accepted (不予受理)")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    LINKED = "linked", _("Linked to an open matter (duplicate)")
    # -- part 2: after acceptance --------------------------------------------------------------
    COORDINATION = "coordination", _("Office coordination: who handles it (协调)")
    INVESTIGATION = "investigation", _("Investigation (调查)")
    HANDLING = "handling", _("Handling: drafting the decision (处理)")
    DECISION_PENDING = "decision_pending", _("Decision awaiting approval (审批)")
    DECIDED = "decided", _("Decision issued, to be served")
    SERVED = "served", _("Decision served (送达)")
    TRANSFER_PENDING = "transfer_pending", _("Transferred, waiting for the receipt (转办)")
    TRANSFERRED = "transferred", _("Transferred; receipt recorded (closed for the office)")
    ARCHIVED = "archived", _("Archived (归档)")


# Accepted and on its way to a served decision: the stages of part 2.
STAGE_STATUSES = (
    Status.ACCEPTED,
    Status.COORDINATION,
    Status.INVESTIGATION,
    Status.HANDLING,
    Status.DECISION_PENDING,
    Status.DECIDED,
    Status.TRANSFER_PENDING,
)
OPEN_STATUSES = (
    Status.RECEIVED,
    Status.AWAITING_SUPPLEMENT,
    Status.REJECTION_PENDING,
    *STAGE_STATUSES,
)
# Waiting for the office's acceptance decision: the intake queue.
INTAKE_STATUSES = (Status.RECEIVED, Status.AWAITING_SUPPLEMENT, Status.REJECTION_PENDING)


class RejectionGround(models.TextChoices):
    """Statutory grounds for non-acceptance (不予受理). Articles: `checks.GROUNDS`."""

    NO_STANDING = "no_standing", _("Not a bidder or other interested party")
    NOT_SPECIFIC = "not_specific", _("Not specific and no usable lead")
    NO_IDENTITY = "no_identity", _("No real name, signature or valid contact")
    OUT_OF_TIME = "out_of_time", _("Filed after the complaint period")
    NO_OBJECTION = "no_objection", _("No prior objection to the tenderer")
    ALREADY_DECIDED = "already_decided", _("Already decided, and no new evidence")
    IN_REVIEW = "in_review", _("Already in administrative review or litigation")
    FILED_ELSEWHERE_FIRST = "filed_elsewhere_first", _("Filed first with another competent body")
    NOT_COMPETENT = "not_competent", _("Outside the remit of this district's departments")
    SUPPLEMENT_MISSING = "supplement_missing", _("Not supplemented in time, or still defective")
    GP_NO_QUESTION = "gp_no_question", _("Government procurement: no prior question (质疑)")
    GP_OUT_OF_TIME = "gp_out_of_time", _("Government procurement: filed after the period")


class Routing(models.TextChoices):
    """Who takes an accepted matter (DESIGN.md, glossary)."""

    SELF = "self", _("Handled by the office (自办)")
    ASSIGN = "assign", _("Assigned to the competent department (分办)")
    TRANSFER = "transfer", _("Transferred to another body (转办)")


class Matter(models.Model):
    """One complaint or tip-off, from receipt on."""

    number = models.CharField(_("filing number"), max_length=20, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    seq = models.PositiveIntegerField(_("sequence"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    rule_set = models.CharField(
        _("rule set"), max_length=20, choices=RuleSet.choices, default=RuleSet.TENDERING
    )
    status = models.CharField(
        _("status"), max_length=30, choices=Status.choices, default=Status.RECEIVED
    )
    received_at = models.DateTimeField(_("received at"), db_index=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # 交办件: who assigned it, their reference and the date they want an answer by.
    assigned_source = models.CharField(_("assigned by"), max_length=120, blank=True)
    assigned_ref = models.CharField(_("assignment reference"), max_length=60, blank=True)
    assigned_due = models.DateField(_("answer due to the assigning body"), null=True, blank=True)

    # -- the filer: sealed identity, masked display, keyed blind indexes -----------------------
    filer_kind = models.CharField(_("filer"), max_length=20, choices=FilerKind.choices)
    filer_role = models.CharField(
        _("filer's standing"), max_length=20, choices=FilerRole.choices, blank=True
    )
    filer_mask = models.CharField(_("filer (masked)"), max_length=80, blank=True)
    filer_index = models.CharField(max_length=80, blank=True, db_index=True)
    contact_index = models.CharField(max_length=80, blank=True, db_index=True)
    identity_key_id = models.CharField(max_length=40, blank=True)
    identity_nonce = models.CharField(max_length=40, blank=True)
    identity_sealed = models.TextField(blank=True)
    # Which parts of the identity were given (not what they are), for the CP-05 content check.
    identity_given = models.JSONField(default=dict, blank=True)

    # -- against whom, about what ---------------------------------------------------------------
    respondent_name = models.CharField(_("respondent"), max_length=200, blank=True)
    respondent_address = models.CharField(_("respondent's address"), max_length=300, blank=True)
    respondent_contact = models.CharField(_("respondent's contact"), max_length=100, blank=True)
    project = models.ForeignKey(
        "ledger.Project",
        verbose_name=_("project"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaint_matters",
    )
    lot = models.ForeignKey(
        "ledger.Lot",
        verbose_name=_("lot"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="complaint_matters",
    )
    # The project as the filer named it, or the ledger project's code and name when chosen.
    project_text = models.CharField(_("project (as named)"), max_length=300, blank=True)
    industry = models.CharField(_("industry"), max_length=30, blank=True)
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("competent department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaint_matters",
        help_text=_("Empty: the office coordinates who handles it."),
    )
    competence_note = models.TextField(_("competence"), blank=True)
    subject = models.CharField(_("matter"), max_length=40, choices=Subject.choices)
    knew_on = models.DateField(_("known (or should have been known) on"), null=True, blank=True)
    # 异议 to the tenderer (招标投标) or 质疑 to the purchaser (政府采购).
    objection_on = models.DateField(_("prior objection made on"), null=True, blank=True)
    objection_reply_on = models.DateField(_("objection answered on"), null=True, blank=True)
    filed_elsewhere = models.BooleanField(_("also filed with another body"), default=False)
    elsewhere_body = models.CharField(_("other body"), max_length=120, blank=True)
    elsewhere_on = models.DateField(_("filed there on"), null=True, blank=True)
    previously_decided = models.BooleanField(_("decided before"), default=False)
    has_new_evidence = models.BooleanField(_("new evidence since"), default=False)
    in_review_or_litigation = models.BooleanField(_("in review or litigation"), default=False)
    facts = models.TextField(_("facts"))
    grounds = models.TextField(_("grounds"), blank=True)
    requests = models.TextField(_("what is asked"), blank=True)
    declaration = models.BooleanField(
        _("signed declaration that the facts are true"), default=False
    )

    # -- intake: checks, duplicates, codes ------------------------------------------------------
    checks = models.JSONField(_("intake checks"), default=list, blank=True)
    linked_to = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
    )
    submission_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    tracking_code_hash = models.CharField(max_length=200)

    # -- the acceptance decision ----------------------------------------------------------------
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    not_accepted_at = models.DateTimeField(_("not accepted at"), null=True, blank=True)
    rejection_ground = models.CharField(
        _("ground for non-acceptance"), max_length=40, choices=RejectionGround.choices, blank=True
    )
    rejection_reasoning = models.TextField(_("reasons"), blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)
    withdrawal_requested_at = models.DateTimeField(
        _("withdrawal asked for at"), null=True, blank=True
    )
    # -- part 2: routing after acceptance (自办 / 分办 / 转办) ----------------------------------
    routing = models.CharField(_("routing"), max_length=20, choices=Routing.choices, blank=True)
    routed_at = models.DateTimeField(_("routed at"), null=True, blank=True)
    routed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("routed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    proposed_department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department proposed by the authority list"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    routing_reason = models.TextField(_("reason for the routing"), blank=True)
    electronic_consent = models.BooleanField(
        _("filer consents to electronic service"), default=False
    )
    electronic_consent_note = models.CharField(
        _("how the consent was given"), max_length=200, blank=True
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("complaint or tip-off")
        verbose_name_plural = _("complaints and tip-offs")
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "seq"], name="complaints_number_seq"),
        ]
        indexes = [
            models.Index(fields=["status", "received_at"], name="complaints_status_recv"),
            models.Index(fields=["department", "status"], name="complaints_dept_status"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("complaints:detail", args=[self.number])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def in_intake(self) -> bool:
        return self.status in INTAKE_STATUSES

    @property
    def in_stages(self) -> bool:
        return self.status in STAGE_STATUSES

    @property
    def is_tip_off(self) -> bool:
        return self.kind == Kind.TIP_OFF

    @property
    def needs_objection_first(self) -> bool:
        return self.kind == Kind.COMPLAINT and self.subject in OBJECTION_FIRST_SUBJECTS

    @property
    def aad(self) -> bytes:
        """What the sealed identity is bound to: this record and no other."""
        return f"tenderwatch.complaints.matter:{self.number}:identity".encode()


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("the status history cannot be changed")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("the status history cannot be deleted")


class StatusChange(models.Model):
    """One status change of a matter: the append-only history (DESIGN.md, Workflows)."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(
        pgettext_lazy("status change", "from"), max_length=30, blank=True
    )
    to_status = models.CharField(_("to"), max_length=30, choices=Status.choices)
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("status change", "by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["matter", "at", "id"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self) -> str:
        return f"{self.matter} {self.from_status or '—'} → {self.to_status}"

    @property
    def to_label(self) -> str:
        return str(dict(Status.choices).get(self.to_status, self.to_status))


class Clock(models.TextChoices):
    ACCEPTANCE_PLAN = "acceptance_plan", _("Acceptance decision (district plan)")
    ACCEPTANCE_STATUTE = "acceptance_statute", _("Acceptance decision (statutory limit)")
    CONCLUSION_PLAN = "conclusion_plan", _("Conclusion (district plan)")
    DECISION_STATUTE = "decision_statute", _("Written decision (statutory limit)")
    SUPPLEMENT = "supplement", _("Supplement by the filer (补正)")
    ASSIGNED = "assigned", _("Answer to the assigning body (交办期限)")


class Basis(models.TextChoices):
    PLAN = "plan", _("District plan (policy)")
    STATUTE = "statute", _("Statute (outer limit)")
    FILER = "filer", _("Period given to the filer")
    ASSIGNING_BODY = "assigning_body", _("Set by the assigning body")


class DayUnit(models.TextChoices):
    WORKDAYS = "workdays", _("working days")
    CALENDAR = "calendar", _("days")


class DeadlineState(models.TextChoices):
    RUNNING = "running", _("Running")
    STOPPED = "stopped", _("Stopped")
    PENDING_CALENDAR = "pending_calendar", _("Waiting for the holiday schedule")
    MET = "met", _("Met")
    MISSED = "missed", _("Missed")
    CLOSED = "closed", _("No longer applies")


LIVE_STATES = (DeadlineState.RUNNING, DeadlineState.STOPPED, DeadlineState.PENDING_CALENDAR)


class Deadline(models.Model):
    """One clock of a matter, with the rule that produced its due time (DESIGN.md)."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="deadlines")
    clock = models.CharField(_("clock"), max_length=30, choices=Clock.choices)
    basis = models.CharField(_("basis"), max_length=20, choices=Basis.choices)
    rule = models.CharField(_("rule"), max_length=20)  # e.g. "CP-03", "CP-LOC", "GP-05"
    legal_basis = models.CharField(_("legal basis"), max_length=200)
    unit = models.CharField(
        pgettext_lazy("deadline", "unit"), max_length=20, choices=DayUnit.choices
    )
    length = models.PositiveSmallIntegerField(_("length"), null=True, blank=True)
    start_on = models.DateField(_("counted from"))
    stopped_days = models.PositiveSmallIntegerField(_("days the clock stood still"), default=0)
    due_on = models.DateField(_("last day"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    state = models.CharField(
        _("state"), max_length=20, choices=DeadlineState.choices, default=DeadlineState.RUNNING
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"))
    explanation = models.CharField(_("how it was counted"), max_length=300, blank=True)

    class Meta:
        ordering = ["matter", "due_at", "id"]
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        constraints = [
            models.UniqueConstraint(fields=["matter", "clock"], name="complaints_deadline_clock"),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"], name="complaints_deadline_due"),
        ]

    def __str__(self) -> str:
        return f"{self.matter} · {self.get_clock_display()}"

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES


class StopReason(models.TextChoices):
    """Time the law lets stop a clock."""

    SUPPLEMENT = "supplement", _("Supplementing by the filer (补正)")
    INSPECTION = "inspection", _("Inspection (检验)")
    TESTING = "testing", _("Testing (检测)")
    APPRAISAL = "appraisal", _("Appraisal (鉴定)")
    EXPERT_REVIEW = "expert_review", _("Expert review (专家评审)")


class ClockStop(models.Model):
    """A period during which some clocks of a matter stand still, with its reason."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="clock_stops")
    reason = models.CharField(_("reason"), max_length=20, choices=StopReason.choices)
    clocks = models.JSONField(_("clocks stopped"), default=list)
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("stopped by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resumed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["matter", "started_at", "id"]
        verbose_name = _("clock stop")
        verbose_name_plural = _("clock stops")
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="complaints_stop_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.matter} · {self.get_reason_display()}"


class Purpose(models.TextChoices):
    EVIDENCE = "evidence", _("Evidence")
    OBJECTION = "objection", _("Objection and its answer")
    SIGNED_LETTER = "signed_letter", _("Signed (and sealed) complaint letter")
    IDENTITY_PROOF = "identity_proof", _("Proof of identity")
    SUPPLEMENT = "supplement", _("Supplement")
    STAFF = "staff", _("Filed by the office")
    INVESTIGATION = "investigation", _("Evidence gathered in the investigation")
    SERVICE_PROOF = "service_proof", _("Proof of service")
    TRANSFER_RECEIPT = "transfer_receipt", _("Receipt of a transfer")


class Attachment(models.Model):
    """A file of a matter, stored outside the web root under its SHA-256 (files.py)."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="attachments")
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    original_name = models.CharField(_("file name"), max_length=200)
    file_type = models.CharField(_("type"), max_length=20)  # pdf, png, jpeg, gif, docx, …
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    uploaded_at = models.DateTimeField(_("uploaded at"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: uploaded by the filer."),
    )
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        ordering = ["matter", "uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name

    @property
    def identity_protected(self) -> bool:
        """A proof of identity is the filer's identity: it is shown like the identity."""
        return self.purpose == Purpose.IDENTITY_PROOF


class Supplement(models.Model):
    """What the filer added on a request to supplement (补正), with its files."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="supplements")
    text = models.TextField(_("text"), blank=True)
    received_at = models.DateTimeField(_("received at"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: supplemented online by the filer."),
    )

    class Meta:
        ordering = ["matter", "received_at", "id"]
        verbose_name = _("supplement")
        verbose_name_plural = _("supplements")

    def __str__(self) -> str:
        return f"{self.matter} · {self.received_at:%Y-%m-%d}"


class NoticeKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt (回执)")
    SUPPLEMENT_REQUEST = "supplement_request", _("Request to supplement (补正通知)")
    SUPPLEMENT_RECEIVED = "supplement_received", _("Supplement received")
    ACCEPTANCE = "acceptance", _("Notice of acceptance (受理通知)")
    NON_ACCEPTANCE = "non_acceptance", _("Notice of non-acceptance (不予受理告知书)")
    LINKED = "linked", _("Linked to an earlier filing")
    WITHDRAWAL = "withdrawal", _("Withdrawal")
    WITHDRAWAL_REFUSED = "withdrawal_refused", _("Withdrawal refused")
    TRANSFER = "transfer", _("Transferred to another body (转办)")
    DECISION = "decision", _("Handling decision (处理决定)")


class Notice(models.Model):
    """Something the filer is told: shown on the public tracking page."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(_("kind"), max_length=30, choices=NoticeKind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("notice", "issued by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The official letter (letters app) the notice carries, downloadable by the filer.
    letter_id = models.PositiveBigIntegerField(null=True, blank=True)
    letter_number = models.CharField(_("letter number"), max_length=60, blank=True)

    class Meta:
        ordering = ["matter", "issued_at", "id"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    def __str__(self) -> str:
        return self.title


class EscalationTarget(models.TextChoices):
    OFFICE_HEAD = "office_head", _("Office head")
    OFFICE_STAFF = "office_staff", _("Office staff")


class Escalation(models.Model):
    """A deadline that fell overdue, raised by the sweeper to the office head (or, for a filer's
    supplement period, to the office staff). One per deadline."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="escalations")
    deadline = models.OneToOneField(Deadline, on_delete=models.CASCADE, related_name="escalation")
    target = models.CharField(_("to"), max_length=20, choices=EscalationTarget.choices)
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department responsible"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    escalated_at = models.DateTimeField(_("escalated at"), db_index=True)
    due_at = models.DateTimeField(_("was due"))

    class Meta:
        ordering = ["-escalated_at", "-id"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")

    def __str__(self) -> str:
        return f"{self.matter} · {self.deadline.get_clock_display()}"


class NumberSequence(models.Model):
    """The last 受理编号 issued per prefix and year (TS-2026-000123)."""

    prefix = models.CharField(max_length=4)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="complaints_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"


class TrackingThrottle(models.Model):
    """Failed tracking attempts per client address and per filing number (throttle.py)."""

    key = models.CharField(max_length=120, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    blocked_until = models.DateTimeField(null=True, blank=True)
    lockouts = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.key


# -- part 2: routing, investigation, decision, service, archive ------------------------------------


def _user_fk(label: Any, **extra: Any) -> Any:
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=label,
        on_delete=models.PROTECT,
        related_name="+",
        **extra,
    )


class Transfer(models.Model):
    """转办: the matter handed to another body (discipline inspection, public security, market
    regulation, …) with a transfer letter; closed for the office once the receipt is recorded."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="transfers")
    body = models.ForeignKey(
        "org.Department",
        verbose_name=_("receiving body"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    body_name = models.CharField(_("receiving body"), max_length=120)
    reason = models.TextField(pgettext_lazy("transfer", "reason"))
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    sent_at = models.DateTimeField(_("sent at"))
    sent_by = _user_fk(_("sent by"))
    letter_id = models.PositiveBigIntegerField(null=True, blank=True)
    letter_number = models.CharField(_("letter number"), max_length=60, blank=True)
    receipt_at = models.DateTimeField(_("receipt recorded at"), null=True, blank=True)
    receipt_by = _user_fk(_("receipt recorded by"), null=True, blank=True)
    receipt_on = models.DateField(_("received by the body on"), null=True, blank=True)
    receipt_reference = models.CharField(_("their reference"), max_length=100, blank=True)
    receipt_note = models.TextField(_("note on the receipt"), blank=True)
    receipt_file = models.ForeignKey(
        "Attachment",
        verbose_name=_("receipt (file)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["matter", "sent_at", "id"]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")

    def __str__(self) -> str:
        return f"{self.matter} → {self.body_name}"


class OfficerAssignment(models.Model):
    """An officer on the investigation of a matter (at least two, 行政处罚法 第四十二条)."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="officers")
    user = _user_fk(_("officer"))
    assigned_at = models.DateTimeField(_("assigned at"))
    assigned_by = _user_fk(_("assigned by"))

    class Meta:
        ordering = ["matter", "assigned_at", "id"]
        verbose_name = _("investigating officer")
        verbose_name_plural = _("investigating officers")
        constraints = [
            models.UniqueConstraint(fields=["matter", "user"], name="complaints_officer_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.matter} · {self.user}"


class InquiryNote(models.Model):
    """A record of an inquiry (询问笔录) or an on-site check (勘验、检查笔录)."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="inquiries")
    person = models.CharField(_("person questioned or place checked"), max_length=200)
    held_at = models.DateTimeField(_("held at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    text = models.TextField(_("record"))
    recorded_by = _user_fk(_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["matter", "held_at", "id"]
        verbose_name = _("inquiry record")
        verbose_name_plural = _("inquiry records")

    def __str__(self) -> str:
        return f"{self.matter} · {self.person}"


class Addressee(models.TextChoices):
    RESPONDENT = "respondent", _("The respondent (被投诉人)")
    DEPARTMENT = "department", _("Another department or body")


class InfoRequest(models.Model):
    """A request for explanation or documents, to the respondent or another department, with its
    deadline from the working-day calendar."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="info_requests")
    addressee = models.CharField(_("to"), max_length=20, choices=Addressee.choices)
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    addressee_name = models.CharField(_("addressee"), max_length=200)
    items = models.TextField(_("what is asked"))
    workdays = models.PositiveSmallIntegerField(_("working days to answer"))
    sent_at = models.DateTimeField(_("sent at"))
    sent_by = _user_fk(_("sent by"))
    due_on = models.DateField(_("answer due on"))
    due_at = models.DateTimeField(_("answer due"), db_index=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    answer_recorded_by = _user_fk(_("answer recorded by"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("overdue warning sent at"), null=True, blank=True)

    class Meta:
        ordering = ["matter", "sent_at", "id"]
        verbose_name = _("request for information")
        verbose_name_plural = _("requests for information")

    def __str__(self) -> str:
        return f"{self.matter} → {self.addressee_name}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None


class Outcome(models.TextChoices):
    """What a handling decision does (工程建设项目招标投标活动投诉处理办法 第二十条)."""

    DISMISSED = "dismissed", _("Dismissed: the complaint lacks grounds (驳回)")
    ORDER_CORRECT = "order_correct", _("Order to correct (责令改正)")
    SUSPEND = "suspend", _("Suspend the tendering (暂停招标投标活动)")
    AWARD_VOID = "award_void", _("Declare the award void (中标无效)")
    REFER_PENALTY = "refer_penalty", _("Refer for an administrative penalty (移送立案处罚)")


class Decision(models.Model):
    """The handling decision of a matter: drafted, approved on the route, issued, served."""

    matter = models.OneToOneField(Matter, on_delete=models.CASCADE, related_name="decision")
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    facts = models.TextField(_("facts found"))
    decision_text = models.TextField(_("decision"))
    legal_basis = models.TextField(_("legal basis"))
    remedy = models.TextField(_("remedy (review or litigation)"), blank=True)
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("deciding department"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    drafted_by = _user_fk(_("drafted by"))
    drafted_at = models.DateTimeField(_("drafted at"))
    revision = models.PositiveIntegerField(_("revision"), default=1)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = _user_fk(_("issued by"), null=True, blank=True)
    letter_id = models.PositiveBigIntegerField(null=True, blank=True)
    letter_number = models.CharField(_("letter number"), max_length=60, blank=True)
    instruction_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("handling decision")
        verbose_name_plural = _("handling decisions")

    def __str__(self) -> str:
        return f"{self.matter} · {self.get_outcome_display()}"


class ServiceMethod(models.TextChoices):
    IN_PERSON = "in_person", _("In person, signed for (直接送达)")
    POST = "post", _("By registered post (邮寄送达)")
    ELECTRONIC = "electronic", _("Electronically, with the filer's consent (电子送达)")
    LEFT = "left", _("Left at the address (留置送达)")
    ANNOUNCEMENT = "announcement", _("By announcement (公告送达)")


class Service(models.Model):
    """送达: how, when and to whom a document was delivered, and the proof."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="services")
    document_title = models.CharField(_("document"), max_length=200)
    document_number = models.CharField(_("document number"), max_length=60, blank=True)
    method = models.CharField(_("method"), max_length=20, choices=ServiceMethod.choices)
    served_on = models.DateField(_("served on"))
    served_to = models.CharField(_("served to"), max_length=200)
    proof_note = models.TextField(_("proof"), blank=True)
    proof = models.ForeignKey(
        "Attachment",
        verbose_name=_("proof (file)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    served_by = _user_fk(_("served by"))
    recorded_at = models.DateTimeField(_("recorded at"))
    receipt_letter_id = models.PositiveBigIntegerField(null=True, blank=True)
    receipt_letter_number = models.CharField(_("service receipt number"), max_length=60, blank=True)

    class Meta:
        ordering = ["matter", "served_on", "id"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return f"{self.matter} · {self.document_title}"


class Referral(models.Model):
    """A decision referring the matter for a penalty: written here, taken up by the cases app
    (`consumed_at`, `consumed_ref`), as screening's referrals are."""

    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="referrals")
    kind = models.CharField(_("kind"), max_length=20, default="case")
    target_department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    payload = models.JSONField(_("content"), default=dict, blank=True)
    created_by = _user_fk(_("referred by"))
    created_at = models.DateTimeField(_("referred at"), auto_now_add=True, db_index=True)
    consumed_at = models.DateTimeField(_("taken up at"), null=True, blank=True)
    consumed_ref = models.CharField(_("taken up as"), max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [
            models.Index(fields=["kind", "consumed_at"], name="complaints_referral_open"),
        ]

    def __str__(self) -> str:
        return f"{self.matter} → {self.target_department}"


class ArchiveIndex(models.Model):
    """The case-file index (卷内目录) built when a matter is archived: every document and piece of
    evidence with its SHA-256, and the index's own hash."""

    matter = models.OneToOneField(Matter, on_delete=models.CASCADE, related_name="archive")
    entries = models.JSONField(_("entries"), default=list)
    sha256 = models.CharField(_("SHA-256 of the index"), max_length=64)
    built_at = models.DateTimeField(_("archived at"))
    built_by = _user_fk(_("archived by"))

    class Meta:
        verbose_name = _("case-file index")
        verbose_name_plural = _("case-file indexes")

    def __str__(self) -> str:
        return f"{self.matter} · {self.sha256[:12]}"
