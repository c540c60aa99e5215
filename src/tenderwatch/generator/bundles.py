"""Generated projects as `ProcessBundle`s: what the bulk writer stores and the OCDS writer
publishes, exactly as the trading platform's feed would send them.

Bundles are assembled with `model_construct` (no validation: about ten times faster, which
national-scale OCDS needs) from values already in their canonical form — decimals with two
places, aware times in China time, canonical USCCs — so that validating one gives the same
bundle back (a test checks it). `validated()` does that validation; the database path uses it.

Details that only the bundle needs (committee members, document texts, evaluation report
wording) are drawn from a random generator of their own per project, seeded from the run's seed
and the project's number, so they never shift the facts the Parquet files share with the bundles.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import random
from decimal import Decimal
from typing import Any

from tenderwatch.generator import population as pop
from tenderwatch.generator import vocab
from tenderwatch.generator.documents import DOCUMENT_TITLE, EVALUATION_WORDS, tender_document
from tenderwatch.generator.model import SOURCE, GBid, Generator, GLot, GProject
from tenderwatch.ledger.identifiers import USCC_SCHEME
from tenderwatch.ledger.ingest.bundle import BundleBid, LotOutcome, ProcessBundle
from tenderwatch.ledger.models import (
    BidStatus,
    Category,
    CommitteeRole,
    EntityKind,
    EventKind,
    OrganisationForm,
    ProcurementMethod,
)
from tenderwatch.ledger.schemas import (
    AwardIn,
    CommitteeIn,
    CommitteeMemberIn,
    ContractIn,
    DocumentIn,
    EntityIn,
    EvaluationIn,
    EvaluationResultIn,
    EventIn,
    KeyPersonIn,
    LotIn,
    OpeningIn,
    ProjectIn,
    QualificationIn,
)

CHINA = dt.timezone(dt.timedelta(hours=8))
HUNDRED = Decimal("100.00")
PAYMENT_TERMS = (
    "按月进度付款至已完工程量的80%，竣工验收合格后付至97%，余款作为质量保证金",
    "合同签订后预付30%，到货验收合格后付至95%，余款质保期满后付清",
    "按季度考核结果支付服务费",
    "预付20%，按节点付款，结算审计后付至97%",
)
QUALIFICATION_GRADE = {"works": "三级及以上", "services": "乙级及以上"}


def money(cents: int | None) -> Decimal | None:
    return None if cents is None else Decimal(cents).scaleb(-2)


def score(hundredths: int | None) -> Decimal | None:
    return None if hundredths is None else Decimal(hundredths).scaleb(-2)


def when(seconds: int | None) -> dt.datetime | None:
    return None if seconds is None else dt.datetime.fromtimestamp(seconds, tz=CHINA)


_SPECS: dict[type[Any], tuple[tuple[tuple[str, Any], ...], dict[str, Any] | None]] = {}
_object_setattr = object.__setattr__


def _c(cls: Any, **values: Any) -> Any:
    """`cls.model_construct(**values)`, about five times faster: what pydantic's own does for
    a model without aliases, extra fields or a post-init hook (our schemas have none of them;
    the private attributes start at their defaults, as pydantic's `init_private_attributes`)."""
    spec = _SPECS.get(cls)
    if spec is None:
        defaults = {n: attr.get_default() for n, attr in cls.__private_attributes__.items()}
        spec = (tuple(cls.__pydantic_fields__.items()), defaults or None)
        _SPECS[cls] = spec
    fields, private = spec
    data = {
        name: values[name] if name in values else info.get_default(call_default_factory=True)
        for name, info in fields
    }
    obj = cls.__new__(cls)
    _object_setattr(obj, "__dict__", data)
    _object_setattr(obj, "__pydantic_fields_set__", set(values))
    _object_setattr(obj, "__pydantic_extra__", None)
    _object_setattr(obj, "__pydantic_private__", dict(private) if private else None)
    return obj


class BundleBuilder:
    """Turns the generator's projects into bundles; caches the entities it has built."""

    def __init__(self, generator: Generator, *, content: bool = True) -> None:
        self.generator = generator
        self.content = content  # carry the tender documents' text (the database keeps it)
        self._companies: dict[int, EntityIn] = {}
        self._parties: dict[str, EntityIn] = {}
        self._people: dict[str, KeyPersonIn] = {}

    # -- entities ----------------------------------------------------------------------------------

    def company(self, company: pop.Company) -> EntityIn:
        found = self._companies.get(company.index)
        if found is not None:
            return found
        qualifications = []
        if company.qualification is not None:
            category, grade, certificate, issuer = company.qualification
            qualifications.append(
                _c(
                    QualificationIn,
                    category=category,
                    grade=grade,
                    certificate_no=certificate,
                    issued_by=issuer,
                    valid_from=dt.date(2021, 1, 1),
                    valid_to=dt.date(2027, 12, 31),
                )
            )
        entity = _c(
            EntityIn,
            scheme=USCC_SCHEME,
            identifier=company.uscc,
            name=company.name,
            kind=EntityKind.COMPANY,
            legal_representative=company.legal_representative,
            address=company.address,
            region_code=company.region.code,
            contact_phone=company.phone,
            contact_email="",
            registered_capital=money(company.capital),
            established_on=company.established,
            qualifications=qualifications,
            key_people=[],
        )
        self._companies[company.index] = entity
        return entity

    def party(self, party: pop.Party) -> EntityIn:
        found = self._parties.get(party.uscc)
        if found is not None:
            return found
        entity = _c(
            EntityIn,
            scheme=USCC_SCHEME,
            identifier=party.uscc,
            name=party.name,
            kind=EntityKind(party.kind),
            legal_representative=party.legal_representative,
            address=party.address,
            region_code=party.region.code,
            contact_phone=party.phone,
            contact_email="",
            registered_capital=None,
            established_on=None,
            qualifications=[],
            key_people=[],
        )
        self._parties[party.uscc] = entity
        return entity

    def person(self, person: pop.Person) -> KeyPersonIn:
        found = self._people.get(person.certificate_no)
        if found is not None:
            return found
        made = _c(
            KeyPersonIn,
            name=person.name,
            role="project_manager",
            registration_type=person.registration_type,
            certificate_no=person.certificate_no,
            id_number=person.id_number,
            valid_to=person.valid_to,
        )
        self._people[person.certificate_no] = made
        return made

    # -- the bundle --------------------------------------------------------------------------------

    def bundle(self, project: GProject) -> ProcessBundle:
        rng = random.Random(f"tenderwatch-generator/{self.generator.seed}/details/{project.index}")
        events: list[tuple[int, int, EventKind, str | None, dict[str, Any], DocumentIn | None]] = []

        def event(
            kind: EventKind,
            at: int | None,
            lot: GLot | None = None,
            data: dict[str, Any] | None = None,
            document: DocumentIn | None = None,
        ) -> None:
            if at is not None:
                events.append(
                    (at, len(events), kind, lot.external_id if lot else None, data or {}, document)
                )

        event(EventKind.REGISTRATION, project.registered)
        if project.competitive:
            tender = project.tendered
            event(
                EventKind.ANNOUNCEMENT,
                project.announced,
                data={"media": f"{project.region.province_name}省招标投标监管网"},
                document=self._document(
                    project, None, "announcement", "招标公告" if tender else "采购公告"
                ),
            )
            title, text = tender_document(project, rng)
            event(
                EventKind.TENDER_DOCUMENTS_ISSUED,
                project.documents_issued,
                data={"method": project.method},
                document=self._text_document(title, text),
            )
            event(EventKind.TENDER_DOCUMENTS_SALE_END, project.sale_end)
            if project.clarification is not None:
                event(
                    EventKind.CLARIFICATION,
                    project.clarification,
                    data={"material": True, "deadline_extended": False},
                    document=self._document(project, None, "clarification", "澄清与修改通知"),
                )
            event(EventKind.BID_DEADLINE, project.deadline)

        bids: list[BundleBid] = []
        outcomes: list[LotOutcome] = []
        for lot in project.lots:
            if project.competitive:
                outcomes.append(self._competitive_outcome(project, lot, rng, event))
                bids += [self._bid(lot, bid) for bid in lot.bids]
            else:
                outcomes.append(self._direct_outcome(project, lot, rng, event))

        events.sort(key=lambda e: (e[0], e[1]))
        event_ins = [
            _c(
                EventIn,
                external_id=f"{project.external_id}-E{n:03d}",
                version=1,
                kind=kind,
                occurred_at=when(at),
                lot_external_id=lot_ext,
                data=data,
                note="",
                document=document,
            )
            for n, (at, _order, kind, lot_ext, data, document) in enumerate(events, start=1)
        ]
        return _c(
            ProcessBundle,
            source=SOURCE,
            external_id=project.external_id,
            project=self._project(project),
            events=event_ins,
            bids=bids,
            outcomes=outcomes,
        )

    def _project(self, project: GProject) -> ProjectIn:
        works = project.category == "works"
        qualification: list[dict[str, str]]
        qualification = []
        if project.category in QUALIFICATION_GRADE and vocab.QUALIFICATIONS[project.trade]:
            qualification = [
                {
                    "type": vocab.QUALIFICATIONS[project.trade][0][0],
                    "grade": QUALIFICATION_GRADE[project.category],
                }
            ]
        lots = [
            _c(
                LotIn,
                external_id=lot.external_id,
                number=lot.number,
                name=lot.name,
                estimated_amount=money(lot.estimate),
                ceiling_price=money(lot.ceiling),
                currency="CNY",
                bid_security=money(lot.security),
                qualification_requirements=qualification,
            )
            for lot in project.lots
        ]
        form = OrganisationForm.ENTRUSTED if project.agency else OrganisationForm.SELF
        return _c(
            ProjectIn,
            external_id=project.external_id,
            version=1,
            ocid="",
            code=project.code,
            name=project.name,
            region_code=project.region.code,
            industry=project.industry,
            category=Category(project.category),
            funding_source=project.funding_source,
            state_owned_share=HUNDRED,
            budget_funds=money(project.budget_funds),
            total_investment=money(project.total_investment),
            estimated_amount=money(project.estimate),
            currency="CNY",
            procurement_method=ProcurementMethod(project.method),
            organisation_form=form,
            tenderer=self.party(project.tenderer),
            agency=self.party(project.agency) if project.agency else None,
            approval_no=project.approval_no,
            approved_scope="施工" if works and project.approval_no else "",
            approved_method=ProcurementMethod(project.approved_method)
            if project.approved_method
            else None,
            approved_form=form if project.approval_no else None,
            approved_on=dt.date.fromordinal(project.approved_on) if project.approved_on else None,
            registered_at=when(project.registered),
            lots=lots,
        )

    def _bid(self, lot: GLot, bid: GBid) -> BundleBid:
        company = bid.company
        return _c(
            BundleBid,
            lot_external_id=lot.external_id,
            external_id=bid.external_id,
            version=1,
            bidder=self.company(company),
            price=money(bid.price),
            currency="CNY",
            submitted_at=when(bid.submitted),
            status=BidStatus.VALID if bid.status == "valid" else BidStatus.REJECTED,
            rejection_reason=bid.rejection,
            client_ip=bid.ip,
            mac_address=bid.mac,
            hardware_id=bid.hardware_id,
            ca_key_id=bid.ca_key,
            file_hash=bid.file_hash,
            file_author=bid.author,
            file_software=bid.software,
            file_machine=bid.machine,
            security_account=bid.account if lot.security else "",
            security_bank=bid.bank if lot.security else "",
            project_manager=self.person(bid.manager) if bid.manager else None,
            contact_name=company.contact,
            contact_phone=company.mobile,
            consortium_members=[],
        )

    def _competitive_outcome(
        self, project: GProject, lot: GLot, rng: random.Random, event: Any
    ) -> LotOutcome:
        tender = project.tendered
        winner = lot.winner
        assert winner is not None
        ranked = sorted((b for b in lot.bids if b.rank), key=lambda b: b.rank or 0)
        event(EventKind.OPENING, lot.opening, lot, {"bids_received": len(lot.bids)})
        event(EventKind.EVALUATION_START, lot.evaluation_start, lot)
        event(
            EventKind.EVALUATION_REPORT,
            lot.report,
            lot,
            {"method": EVALUATION_WORDS[lot.evaluation_method]},
            self._document(project, lot, "evaluation_report", "评标报告"),
        )
        if tender:
            event(
                EventKind.CANDIDATE_PUBLICITY_START,
                lot.publicity_start,
                lot,
                {"candidates": [b.company.name for b in ranked[:3]]},
                self._document(project, lot, "candidate_publicity", "中标候选人公示"),
            )
            event(EventKind.CANDIDATE_PUBLICITY_END, lot.publicity_end, lot)
        event(
            EventKind.AWARD_NOTICE,
            lot.award,
            lot,
            {"winner": winner.company.name, "amount": f"{winner.price / 100:.2f}"},
            self._document(project, lot, "award_notice", "中标通知书" if tender else "成交通知书"),
        )
        event(
            EventKind.CONTRACT_SIGNED,
            lot.contract,
            lot,
            {"amount": f"{winner.price / 100:.2f}"},
            self._document(project, lot, "contract", "合同"),
        )
        if tender:
            event(
                EventKind.SUPERVISOR_REPORT,
                lot.written_report,
                lot,
                {},
                self._document(project, lot, "written_report", "招标投标情况书面报告"),
            )
        event(EventKind.BID_SECURITY_REFUND, lot.refund, lot)

        size = lot.committee_size
        representatives = 1 if size == 5 else 2
        gen = self.generator
        province = project.region.province
        numbers = rng.sample(range(1, gen.scale.experts + 1), size - representatives)
        members = []
        for k, number in enumerate(numbers):
            pool_id, name, specialty, employer = pop.expert(province, project.trade, number)
            members.append(
                _c(
                    CommitteeMemberIn,
                    name=name,
                    role=CommitteeRole.CHAIR if k == 0 else CommitteeRole.EXPERT,
                    expert_pool_id=pool_id,
                    specialty=specialty,
                    employer=employer,
                    drawn_randomly=True,
                )
            )
        for _ in range(representatives):
            members.append(
                _c(
                    CommitteeMemberIn,
                    name=pop.person_name(rng),
                    role=CommitteeRole.TENDERER_REPRESENTATIVE,
                    expert_pool_id="",
                    specialty="",
                    employer=project.tenderer.name,
                    drawn_randomly=False,
                )
            )
        results = [
            _c(
                EvaluationResultIn,
                bid_external_id=bid.external_id,
                technical_score=score(bid.technical),
                commercial_score=score(bid.commercial),
                price_score=score(bid.price_score),
                total_score=score(bid.total),
                rank=bid.rank,
                passed=bid.status == "valid",
            )
            for bid in lot.bids
        ]
        return _c(
            LotOutcome,
            lot_external_id=lot.external_id,
            opening=_c(
                OpeningIn,
                version=1,
                opened_at=when(lot.opening),
                location=f"{project.region.name}公共资源交易中心第{rng.randint(1, 4)}开标室",
                bids_received=len(lot.bids),
                objections="",
                document=None,
            ),
            committee=_c(CommitteeIn, version=1, members=members),
            evaluation=_c(EvaluationIn, version=1, results=results),
            award=_c(
                AwardIn,
                version=1,
                bid_external_id=winner.external_id,
                notice_at=when(lot.award),
                amount=money(winner.price),
                currency="CNY",
            ),
            contracts=[self._contract(lot, winner.company, winner.price, rng)],
        )

    def _direct_outcome(
        self, project: GProject, lot: GLot, rng: random.Random, event: Any
    ) -> LotOutcome:
        assert lot.supplier is not None
        event(
            EventKind.CONTRACT_SIGNED,
            lot.contract,
            lot,
            {"amount": f"{lot.estimate / 100:.2f}", "method": "direct"},
            self._document(project, lot, "contract", "合同"),
        )
        return _c(
            LotOutcome,
            lot_external_id=lot.external_id,
            opening=None,
            committee=None,
            evaluation=None,
            award=None,
            contracts=[self._contract(lot, lot.supplier, lot.estimate, rng)],
        )

    def _contract(
        self, lot: GLot, supplier: pop.Company, amount: int, rng: random.Random
    ) -> ContractIn:
        return _c(
            ContractIn,
            external_id=f"{lot.external_id}-C1",
            version=1,
            supplier=self.company(supplier),
            signed_at=when(lot.contract),
            amount=money(amount),
            currency="CNY",
            duration_days=lot.duration_days,
            performance_security=money(lot.performance_security),
            terms={"payment": rng.choice(PAYMENT_TERMS)},
        )

    # -- documents ---------------------------------------------------------------------------------

    def _document(self, project: GProject, lot: GLot | None, kind: str, word: str) -> DocumentIn:
        owner = lot.external_id if lot else project.external_id
        title = f"{lot.name if lot else project.name}{word}"
        digest = hashlib.sha256(f"tenderwatch-generator/{owner}/{kind}".encode()).hexdigest()
        return _c(
            DocumentIn,
            sha256=digest,
            content_base64=None,
            url=None,
            title=title[:300],
            kind=kind,
            media_type="application/pdf",
        )

    def _text_document(self, title: str, text: str) -> DocumentIn:
        content = text.encode("utf-8")
        document = _c(
            DocumentIn,
            sha256=hashlib.sha256(content).hexdigest(),
            content_base64=base64.b64encode(content).decode("ascii") if self.content else None,
            url=None,
            title=title[:300],
            kind="tender_documents",
            media_type="text/plain",
        )
        if self.content:
            document._content = content
        return document


def validated(bundle: ProcessBundle) -> ProcessBundle:
    """The bundle through the feed's own validation (what the database path stores)."""
    return ProcessBundle.model_validate(bundle.model_dump())


def document_text(bundle: ProcessBundle) -> str | None:
    """The tender documents' text carried by a bundle, if any."""
    for event in bundle.events:
        if event.kind == EventKind.TENDER_DOCUMENTS_ISSUED and event.document is not None:
            content = event.document.content
            if content is None and event.document.content_base64:
                content = base64.b64decode(event.document.content_base64)
            return content.decode("utf-8") if content is not None else None
    return None


__all__ = ["DOCUMENT_TITLE", "BundleBuilder", "document_text", "validated"]
