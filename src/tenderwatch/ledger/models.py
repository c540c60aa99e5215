"""The project ledger: every tender, lot, bid and procedure step. REQ-05, REQ-09, REQ-21.

Field meanings, side by side with OCDS and the national data specification, are in
`docs/data-model.md`. Records that come from outside (the trading platform's feed, OCDS files,
spreadsheets) carry their `source` and the external id and version they came with; a bulk import
writes one audit entry per batch.

Procedure events are append-only: a corrected event is a new version of the same external id,
and the timeline shows the newest version of each.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenderwatch.ledger.identifiers import USCC_SCHEME

MONEY: dict[str, Any] = {"max_digits": 18, "decimal_places": 2}


class EntityKind(models.TextChoices):
    COMPANY = "company", _("Company")
    PUBLIC_BODY = "public_body", _("Public body")
    INSTITUTION = "institution", _("Public institution")
    INDIVIDUAL = "individual", _("Individual")
    OTHER = "other", _("Other")


class MarketEntity(models.Model):
    """A tenderer, bidder, agency or other party, identified by (scheme, identifier)."""

    scheme = models.CharField(_("identifier scheme"), max_length=20, default=USCC_SCHEME)
    identifier = models.CharField(_("identifier"), max_length=64)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=EntityKind.choices, default=EntityKind.COMPANY
    )
    legal_representative = models.CharField(_("legal representative"), max_length=60, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    region_code = models.CharField(_("region code"), max_length=12, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True, db_index=True)
    contact_email = models.CharField(_("contact e-mail"), max_length=120, blank=True)
    registered_capital = models.DecimalField(
        _("registered capital"), **MONEY, null=True, blank=True
    )
    established_on = models.DateField(_("established on"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("market entity")
        verbose_name_plural = _("market entities")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "identifier"], name="ledger_entity_id")
        ]

    def __str__(self) -> str:
        return self.name


class Qualification(models.Model):
    """A 资质: type and grade, with its certificate and validity."""

    entity = models.ForeignKey(
        MarketEntity, on_delete=models.CASCADE, related_name="qualifications"
    )
    category = models.CharField(_("qualification type"), max_length=100)
    grade = models.CharField(_("grade"), max_length=30, blank=True)
    certificate_no = models.CharField(_("certificate number"), max_length=60, blank=True)
    issued_by = models.CharField(_("issued by"), max_length=100, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")

    def __str__(self) -> str:
        return f"{self.category} {self.grade}".strip()


class KeyPerson(models.Model):
    """A key person of an entity, e.g. a project manager with a registration certificate.

    The identity-card number is kept only as a keyed hash (`id_hash`): enough to see that two
    bidders named the same person, without storing the number itself.
    """

    entity = models.ForeignKey(MarketEntity, on_delete=models.CASCADE, related_name="key_people")
    name = models.CharField(_("name"), max_length=60)
    role = models.CharField(_("role"), max_length=40, default="project_manager")
    registration_type = models.CharField(_("registration type"), max_length=60, blank=True)
    certificate_no = models.CharField(
        _("registration certificate number"), max_length=60, blank=True, db_index=True
    )
    id_hash = models.CharField(_("identity hash"), max_length=64, blank=True, db_index=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("key person")
        verbose_name_plural = _("key people")

    def __str__(self) -> str:
        return self.name


class Category(models.TextChoices):
    WORKS = "works", _("Works")
    GOODS = "goods", _("Goods")
    SERVICES = "services", _("Services")


class ProcurementMethod(models.TextChoices):
    OPEN = "open", _("Open tendering")
    INVITED = "invited", _("Invited tendering")
    COMPETITIVE_NEGOTIATION = "competitive_negotiation", _("Competitive negotiation")
    COMPETITIVE_CONSULTATION = "competitive_consultation", _("Competitive consultation")
    INQUIRY = "inquiry", _("Request for quotations")
    SINGLE_SOURCE = "single_source", _("Single source")
    DIRECT = "direct", _("Direct award / not tendered")
    OTHER = "other", _("Other")


class OrganisationForm(models.TextChoices):
    SELF = "self", _("Self-organised")
    ENTRUSTED = "entrusted", _("Entrusted to an agency")


class ProjectStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    ANNOUNCED = "announced", _("Announced")
    BIDDING = "bidding", _("Bidding")
    EVALUATING = "evaluating", _("Evaluating")
    PUBLICITY = "publicity", _("Candidate publicity")
    AWARDED = "awarded", _("Awarded")
    CONTRACTED = "contracted", _("Contracted")
    SUSPENDED = "suspended", _("Suspended")
    TERMINATED = "terminated", _("Terminated")


class Project(models.Model):
    """A trading project (公共资源交易项目): the unit the office supervises."""

    source = models.CharField(_("source"), max_length=60)
    external_id = models.CharField(_("external id"), max_length=100)
    version = models.PositiveIntegerField(_("version"), default=1)
    ocid = models.CharField(_("OCDS ocid"), max_length=120, blank=True, db_index=True)
    code = models.CharField(_("project code"), max_length=100, db_index=True)
    name = models.CharField(_("project name"), max_length=300)
    region_code = models.CharField(_("region code"), max_length=12, blank=True, db_index=True)
    industry = models.CharField(_("industry"), max_length=40, db_index=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    funding_source = models.CharField(_("funding source"), max_length=200, blank=True)
    state_owned_share = models.DecimalField(
        _("state-owned share (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    estimated_amount = models.DecimalField(_("estimated amount"), **MONEY, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    # 必须招标的工程项目规定 第二条第（一）项: budget funds of 200万元 or more and 10% or more of
    # the investment make a project state-funded; both amounts are needed to tell.
    budget_funds = models.DecimalField(_("budget funds"), **MONEY, null=True, blank=True)
    total_investment = models.DecimalField(_("total investment"), **MONEY, null=True, blank=True)
    procurement_method = models.CharField(
        _("procurement method"), max_length=30, choices=ProcurementMethod.choices
    )
    organisation_form = models.CharField(
        _("organisation form"), max_length=20, choices=OrganisationForm.choices, blank=True
    )
    tenderer = models.ForeignKey(
        MarketEntity,
        verbose_name=_("tenderer"),
        on_delete=models.PROTECT,
        related_name="tendered_projects",
        null=True,
        blank=True,
    )
    agency = models.ForeignKey(
        MarketEntity,
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        related_name="agency_projects",
        null=True,
        blank=True,
    )
    # What the approval (审批/核准/备案) fixed: 招标范围、招标方式、招标组织形式.
    approval_no = models.CharField(_("approval number"), max_length=100, blank=True, db_index=True)
    approved_scope = models.CharField(_("approved tendering scope"), max_length=300, blank=True)
    approved_method = models.CharField(
        _("approved method"), max_length=30, choices=ProcurementMethod.choices, blank=True
    )
    approved_form = models.CharField(
        _("approved organisation form"), max_length=20, choices=OrganisationForm.choices, blank=True
    )
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    # 必须招标 under 必须招标的工程项目规定 (国家发改委令第16号): assessed by the ledger service.
    must_tender = models.BooleanField(_("must be tendered"), null=True, blank=True)
    must_tender_reason = models.CharField(_("must-tender assessment"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.REGISTERED
    )
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True, db_index=True)
    # SHA-256 of the whole contracting process (`ingest.bundle.ProcessBundle`) as a bulk import
    # last stored it: the same version with the same hash is "unchanged" without comparing rows.
    # Blank for projects written record by record (feed API, manual entry).
    content_sha256 = models.CharField(_("imported content hash"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="ledger_project_ext")
        ]
        indexes = [models.Index(fields=["industry", "registered_at"], name="ledger_proj_ind_reg")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Lot(models.Model):
    """A lot (标段): what bids are made for."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="lots")
    external_id = models.CharField(_("external id"), max_length=100)
    number = models.CharField(_("lot number"), max_length=60, blank=True)
    name = models.CharField(_("lot name"), max_length=300)
    estimated_amount = models.DecimalField(_("estimated amount"), **MONEY, null=True, blank=True)
    ceiling_price = models.DecimalField(
        _("ceiling price (最高投标限价)"), **MONEY, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    bid_security = models.DecimalField(_("bid security"), **MONEY, null=True, blank=True)
    qualification_requirements = models.JSONField(
        _("qualification requirements"), default=list, blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.REGISTERED
    )

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        constraints = [
            models.UniqueConstraint(fields=["project", "external_id"], name="ledger_lot_ext")
        ]

    def __str__(self) -> str:
        return f"{self.number or self.external_id} {self.name}"

    @property
    def bid_security_share(self) -> Decimal | None:
        """Bid security as a share of the estimated amount (条例 第二十六条: at most 2%)."""
        base = self.estimated_amount or self.project.estimated_amount
        if self.bid_security is None or not base:
            return None
        return self.bid_security / base


class Document(models.Model):
    """A document an event refers to, kept with its hash (the content is the evidence)."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=40, blank=True)
    media_type = models.CharField(_("media type"), max_length=100, blank=True)
    size = models.BigIntegerField(_("size"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to="documents/%Y/%m/", blank=True)
    url = models.URLField(_("source URL"), max_length=500, blank=True)
    source = models.CharField(_("source"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("stored at"), auto_now_add=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.title or self.sha256[:12]


class EventKind(models.TextChoices):
    REGISTRATION = "registration", _("Project registration")
    ANNOUNCEMENT = "announcement", _("Tender announcement")
    PREQUALIFICATION_ISSUED = "prequalification_issued", _("Prequalification documents issued")
    PREQUALIFICATION_DEADLINE = "prequalification_deadline", _("Prequalification deadline")
    PREQUALIFICATION_RESULT = "prequalification_result", _("Prequalification result")
    TENDER_DOCUMENTS_ISSUED = "tender_documents_issued", _("Tender documents issued")
    TENDER_DOCUMENTS_SALE_END = "tender_documents_sale_end", _("Tender document sale ends")
    CLARIFICATION = "clarification", _("Clarification")
    AMENDMENT = "amendment", _("Amendment")
    OBJECTION = "objection", _("Objection")
    OBJECTION_REPLY = "objection_reply", _("Reply to objection")
    SITE_VISIT = "site_visit", _("Site visit")
    BID_DEADLINE = "bid_deadline", _("Bid deadline")
    OPENING = "opening", _("Bid opening")
    EVALUATION_START = "evaluation_start", _("Evaluation starts")
    EVALUATION_REPORT = "evaluation_report", _("Evaluation report received")
    CANDIDATE_PUBLICITY_START = "candidate_publicity_start", _("Candidate publicity starts")
    CANDIDATE_PUBLICITY_END = "candidate_publicity_end", _("Candidate publicity ends")
    AWARD_NOTICE = "award_notice", _("Award notice issued")
    CONTRACT_SIGNED = "contract_signed", _("Contract signed")
    SUPERVISOR_REPORT = "supervisor_report", _("Written report to the supervisor")
    BID_SECURITY_REFUND = "bid_security_refund", _("Bid security refunded")
    SUSPENSION = "suspension", _("Suspension")
    RESUMPTION = "resumption", _("Resumption")
    TERMINATION = "termination", _("Termination")
    RETENDER = "retender", _("Re-tendering")
    CONTRACT_CHANGE = "contract_change", _("Contract change")
    COMPLETION = "completion", _("Completion and acceptance")
    OTHER = "other", _("Other")


class ProcedureEvent(models.Model):
    """One step of a project's procedure, as reported; append-only.

    `occurred_at` is when the step happened (its place on the timeline), `received_at` when the
    ledger learnt of it; events arrive out of order and are placed by `occurred_at`.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    lot = models.ForeignKey(
        Lot, on_delete=models.CASCADE, related_name="events", null=True, blank=True
    )
    kind = models.CharField(_("kind"), max_length=40, choices=EventKind.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    source = models.CharField(_("source"), max_length=60)
    external_id = models.CharField(_("external id"), max_length=100)
    version = models.PositiveIntegerField(_("version"), default=1)
    data = models.JSONField(_("details"), default=dict, blank=True)
    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("procedure event")
        verbose_name_plural = _("procedure events")
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id", "version"], name="ledger_event_ext_version"
            )
        ]
        indexes = [
            models.Index(fields=["project", "occurred_at"], name="ledger_event_timeline"),
            models.Index(fields=["kind", "occurred_at"], name="ledger_event_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d %H:%M}"


class BidStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    REJECTED = "rejected", _("Rejected at evaluation")
    VALID = "valid", _("Valid")
    DISQUALIFIED = "disqualified", _("Disqualified")


class Bid(models.Model):
    """A bid, with what 招标投标法实施条例 第四十条 needs to show collusion.

    Fingerprints of the bidding machine (IP, MAC, hardware id, CA key), of the bid file (hash,
    author, software, creating machine) and of the money (the account that paid the security)
    are compared across bidders by the screening app.
    """

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="bids")
    bidder = models.ForeignKey(MarketEntity, on_delete=models.PROTECT, related_name="bids")
    external_id = models.CharField(_("external id"), max_length=100)
    version = models.PositiveIntegerField(_("version"), default=1)
    price = models.DecimalField(_("bid price"), **MONEY, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=BidStatus.choices, default=BidStatus.SUBMITTED
    )
    rejection_reason = models.CharField(_("rejection reason"), max_length=300, blank=True)
    client_ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    mac_address = models.CharField(_("MAC address"), max_length=40, blank=True)
    hardware_id = models.CharField(_("hardware id"), max_length=120, blank=True)
    ca_key_id = models.CharField(_("CA key id"), max_length=120, blank=True)
    file_hash = models.CharField(_("bid file hash"), max_length=128, blank=True)
    file_author = models.CharField(_("bid file author"), max_length=120, blank=True)
    file_software = models.CharField(_("bid file software"), max_length=120, blank=True)
    file_machine = models.CharField(_("bid file creating machine"), max_length=120, blank=True)
    security_account = models.CharField(
        _("bid security paid from account"), max_length=60, blank=True
    )
    security_bank = models.CharField(_("bid security bank"), max_length=120, blank=True)
    project_manager = models.ForeignKey(
        KeyPerson, on_delete=models.PROTECT, null=True, blank=True, related_name="bids"
    )
    contact_name = models.CharField(_("contact"), max_length=60, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    consortium_members = models.ManyToManyField(
        MarketEntity,
        blank=True,
        related_name="consortium_bids",
        verbose_name=_("consortium members"),
    )
    source = models.CharField(_("source"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("bid")
        verbose_name_plural = _("bids")
        constraints = [
            models.UniqueConstraint(fields=["lot", "external_id"], name="ledger_bid_ext")
        ]
        indexes = [
            models.Index(fields=["client_ip"], name="ledger_bid_ip"),
            models.Index(fields=["mac_address"], name="ledger_bid_mac"),
            models.Index(fields=["ca_key_id"], name="ledger_bid_ca"),
            models.Index(fields=["file_hash"], name="ledger_bid_file"),
            models.Index(fields=["security_account"], name="ledger_bid_account"),
        ]

    def __str__(self) -> str:
        return f"{self.bidder} · {self.price} {self.currency}"


class BidOpening(models.Model):
    """The opening record (开标记录) of a lot. 招标投标法 第三十四条: at the bid deadline."""

    lot = models.OneToOneField(Lot, on_delete=models.CASCADE, related_name="opening")
    version = models.PositiveIntegerField(_("version"), default=1)
    opened_at = models.DateTimeField(_("opened at"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    bids_received = models.PositiveIntegerField(_("bids received"), null=True, blank=True)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, null=True, blank=True)
    objections = models.TextField(_("objections raised at opening"), blank=True)

    class Meta:
        verbose_name = _("bid opening")
        verbose_name_plural = _("bid openings")

    def __str__(self) -> str:
        return f"{self.lot} {self.opened_at:%Y-%m-%d %H:%M}"


class Expert(models.Model):
    """An evaluation expert (评标专家) from the expert pool."""

    pool_id = models.CharField(_("expert pool id"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=60)
    specialty = models.CharField(_("specialty"), max_length=100, blank=True)
    employer = models.CharField(_("employer"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("experts")

    def __str__(self) -> str:
        return self.name


class CommitteeRole(models.TextChoices):
    CHAIR = "chair", _("Chair")
    EXPERT = "expert", _("Expert")
    TENDERER_REPRESENTATIVE = "tenderer_representative", _("Tenderer's representative")


class CommitteeMember(models.Model):
    """A member of a lot's evaluation committee. 招标投标法 第三十七条: 5+ (odd), experts ≥ 2/3."""

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="committee")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, null=True, blank=True)
    name = models.CharField(_("name"), max_length=60)
    role = models.CharField(_("role"), max_length=30, choices=CommitteeRole.choices)
    drawn_randomly = models.BooleanField(_("drawn at random from the pool"), default=True)
    # The version of the committee record this member came with; a higher version replaces
    # the whole committee (更换评委 shows in the audit trail's before and after).
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("committee member")
        verbose_name_plural = _("committee members")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"

    @property
    def is_expert(self) -> bool:
        return (
            self.role in (CommitteeRole.CHAIR, CommitteeRole.EXPERT) and self.expert_id is not None
        )


class Evaluation(models.Model):
    """A bid's evaluation result: scores and rank (rank 1..3 are the candidates)."""

    bid = models.OneToOneField(Bid, on_delete=models.CASCADE, related_name="evaluation")
    # The version of the lot's evaluation result this row came with.
    version = models.PositiveIntegerField(_("version"), default=1)
    technical_score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    commercial_score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    price_score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    total_score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    rank = models.PositiveSmallIntegerField(_("rank"), null=True, blank=True)
    passed = models.BooleanField(_("passed evaluation"), default=True)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")

    def __str__(self) -> str:
        return f"{self.bid} #{self.rank}"


class Award(models.Model):
    """The award (定标): the winning bid, the notice, the amount."""

    lot = models.OneToOneField(Lot, on_delete=models.CASCADE, related_name="award")
    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="awards")
    version = models.PositiveIntegerField(_("version"), default=1)
    notice_at = models.DateTimeField(_("award notice issued at"), null=True, blank=True)
    amount = models.DecimalField(_("award amount"), **MONEY, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")

    def __str__(self) -> str:
        return f"{self.lot} → {self.bid.bidder}"


class Contract(models.Model):
    """The contract signed after the award. 招标投标法 第四十六条: within 30 days, same terms."""

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="contracts")
    award = models.ForeignKey(Award, on_delete=models.PROTECT, null=True, blank=True)
    supplier = models.ForeignKey(MarketEntity, on_delete=models.PROTECT, related_name="contracts")
    external_id = models.CharField(_("external id"), max_length=100)
    version = models.PositiveIntegerField(_("version"), default=1)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    amount = models.DecimalField(_("contract amount"), **MONEY, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    duration_days = models.PositiveIntegerField(_("duration (days)"), null=True, blank=True)
    performance_security = models.DecimalField(
        _("performance security"), **MONEY, null=True, blank=True
    )
    terms = models.JSONField(_("main terms"), default=dict, blank=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.UniqueConstraint(fields=["lot", "external_id"], name="ledger_contract_ext")
        ]

    def __str__(self) -> str:
        return f"{self.lot} · {self.supplier}"


class FeedSystem(models.Model):
    """A trading platform (or other system) allowed to push records through the feed API.

    Only a hash of its token is stored; the token is shown once when it is issued.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    token_hint = models.CharField(_("token hint"), max_length=12, blank=True)
    active = models.BooleanField(_("active"), default=True)
    outbound_adapter = models.CharField(_("outbound adapter"), max_length=40, default="console")
    outbound_url = models.URLField(_("outbound URL"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)

    class Meta:
        verbose_name = _("feed system")
        verbose_name_plural = _("feed systems")

    def __str__(self) -> str:
        return self.name


class FeedReceipt(models.Model):
    """What the feed received, record by record: the trace of every push (REQ-21)."""

    class Outcome(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        UNCHANGED = "unchanged", _("Unchanged (already received)")
        STALE = "stale", _("Older version ignored")
        REFUSED = "refused", _("Refused")

    system = models.ForeignKey(FeedSystem, on_delete=models.PROTECT, related_name="receipts")
    record_type = models.CharField(_("record type"), max_length=30)
    external_id = models.CharField(_("external id"), max_length=100)
    version = models.PositiveIntegerField(_("version"), null=True, blank=True)
    payload_sha256 = models.CharField(_("payload hash"), max_length=64)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("feed receipt")
        verbose_name_plural = _("feed receipts")
        indexes = [
            models.Index(fields=["system", "record_type", "external_id"], name="ledger_receipt_ext")
        ]

    def __str__(self) -> str:
        return f"{self.record_type}:{self.external_id} v{self.version} {self.outcome}"


class InstructionKind(models.TextChoices):
    SUSPEND = "suspend", _("Suspend the procedure")
    RESUME = "resume", _("Resume the procedure")
    TERMINATE = "terminate", _("Terminate the procedure")


class InstructionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed after all retries")


class Instruction(models.Model):
    """An instruction from the office to the trading platform (监督指令), delivered with retries.

    电子招标投标办法 第五十七条: the platform and the parties carry out the supervision
    platform's instructions. The sweeper (`tenderwatch outbound send`) claims due rows.
    """

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="instructions")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, null=True, blank=True)
    system = models.ForeignKey(FeedSystem, on_delete=models.PROTECT, related_name="instructions")
    kind = models.CharField(_("kind"), max_length=20, choices=InstructionKind.choices)
    reason = models.TextField(_("reason"))
    basis = models.CharField(_("legal basis"), max_length=200, blank=True)
    reference = models.CharField(
        _("reference (complaint, case, warning)"), max_length=100, blank=True
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=InstructionStatus.choices,
        default=InstructionStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(
        _("next attempt at"), null=True, blank=True, db_index=True
    )
    last_error = models.TextField(_("last error"), blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    receipt = models.CharField(_("platform's receipt"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("instruction")
        verbose_name_plural = _("instructions")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.project}"


class ApprovalType(models.TextChoices):
    EXAMINED = "examined", _("Examined and approved (审批)")
    RATIFIED = "ratified", _("Ratified (核准)")
    FILED = "filed", _("Filed (备案)")


class ApprovedProject(models.Model):
    """A project on the development-and-reform department's approved list (应进必进).

    Matched to the ledger's projects; an approved must-tender project without a match has not
    entered the platform.
    """

    approval_no = models.CharField(_("approval number"), max_length=100, unique=True)
    approval_type = models.CharField(
        _("approval type"), max_length=20, choices=ApprovalType.choices
    )
    name = models.CharField(_("project name"), max_length=300)
    owner_name = models.CharField(_("project owner"), max_length=200)
    owner_identifier = models.CharField(_("owner's USCC"), max_length=64, blank=True)
    industry = models.CharField(_("industry"), max_length=40, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, blank=True)
    amount = models.DecimalField(_("approved amount"), **MONEY, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    state_owned_share = models.DecimalField(
        _("state-owned share (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    approved_scope = models.CharField(_("approved tendering scope"), max_length=300, blank=True)
    approved_method = models.CharField(
        _("approved method"), max_length=30, choices=ProcurementMethod.choices, blank=True
    )
    approved_form = models.CharField(
        _("approved organisation form"), max_length=20, choices=OrganisationForm.choices, blank=True
    )
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    must_tender = models.BooleanField(_("must be tendered"), null=True, blank=True)
    must_tender_reason = models.CharField(_("must-tender assessment"), max_length=300, blank=True)
    matched_project = models.ForeignKey(
        Project, on_delete=models.SET_NULL, null=True, blank=True, related_name="approvals"
    )
    match_method = models.CharField(_("matched by"), max_length=40, blank=True)
    source_file_sha256 = models.CharField(_("source file hash"), max_length=64, blank=True)
    imported_at = models.DateTimeField(_("imported at"), auto_now=True)

    class Meta:
        verbose_name = _("approved project")
        verbose_name_plural = _("approved projects")

    def __str__(self) -> str:
        return f"{self.approval_no} {self.name}"
