"""ProjectStates straight from the generator's in-memory projects, without the database.

For the benchmark (a province of 200,000 lots would take long to store) and for tests that
compare paths. The mapping mirrors `generator.bundles.BundleBuilder` — the same events, lot by lot
or for the whole project, the same committee, award, contract and tender-document text — so a
rule finds on these states what it finds on the same projects stored and loaded through
`state.load_states` (a test compares both on one generated district). Ids are made up but
stable: project `index + 1`, lots `project * 100 + k`, events `project * 1000 + n`, bids
`lot * 100 + j`; keys and external ids are those the database would hold.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from tenderwatch.generator.documents import tender_document
from tenderwatch.generator.model import Generator, GLot, GProject
from tenderwatch.ledger.thresholds import THRESHOLDS
from tenderwatch.screening.rules.days import DayTable
from tenderwatch.screening.rules.state import (
    EMPTY,
    NOT_TENDERED,
    SIBLING_WINDOW_DAYS,
    AwardState,
    BidState,
    ContractState,
    EvaluationState,
    EventState,
    LotState,
    MemberState,
    ModelDocument,
    OpeningState,
    ProjectInfo,
    ProjectState,
    SiblingProject,
)

CHINA = dt.timezone(dt.timedelta(hours=8))
QUALIFICATION_GRADE = {"works": "三级及以上", "services": "乙级及以上"}


# The model documents (示范文本) a county office would upload for the generator's tender
# documents (`generator.documents`): blanks in {…}; one for works, one for everything else.
MODEL_CLAUSES = """{项目名称}{文件名称}
1. 招标条件：本项目{项目名称}已由{批准机关}批准，项目业主为{业主}，建设资金来自{资金来源}，出资比例为100%。招标人为{招标人}，招标代理机构为{代理机构}。项目已具备招标条件，现采用{方式}方式进行采购。
2. 项目概况与招标范围：
2.1 建设地点：{建设地点}。
2.2 项目估算价：{估算价}；本次共划分{标段数}个标段。
2.3 计划工期（服务期）：{工期}日历天。
2.4 技术标准和要求：执行国家现行规范和标准，采用的设备材料须满足招标文件技术要求，可以选用性能相当或更优的同类产品。
3. 投标人资格要求：
3.1 投标人须具有独立法人资格，具备有效的营业执照。
{QUALIFICATION}
3.3 拟派项目负责人须具备相应专业注册执业资格，且未担任其他在建项目的项目负责人。
3.4 本次招标不接受联合体投标；投标人未被列入严重失信主体名单。
4. 招标文件的获取：
4.1 凡有意参加投标者，请于{开始日期}至{截止日期}，登录{城市}市公共资源交易电子服务系统下载电子招标文件。
5. 投标保证金：
5.1 {投标保证金}
5.2 投标保证金有效期与投标有效期一致。
6. 投标文件的递交：
6.1 投标文件递交的截止时间（投标截止时间，下同）为{投标截止时间}，投标人应在截止时间前通过电子交易系统递交电子投标文件。
6.2 开标时间与投标截止时间相同，开标地点为{开标地点}。
7. 评标办法：
7.1 本项目采用{评标办法}。
7.2 最高投标限价：{最高投标限价}，投标报价高于最高投标限价的，其投标将被否决。
7.3 评标委员会按得分由高到低推荐不超过3名中标候选人，并标明排序。
8. 发布公告的媒介：本次招标公告同时在中国招标投标公共服务平台和{省}省招标投标监管网上发布。
9. 联系方式：招标人：{招标人}，电话：{电话}；招标代理机构：{代理机构}。
"""  # noqa: E501
WORKS_QUALIFICATION = (
    "3.2 投标人须具备相应专业施工总承包三级及以上资质，并具有有效的安全生产许可证。"
)
OTHER_QUALIFICATION = "3.2 投标人须具备完成本项目所需的相应能力。"

MODEL_DOCUMENTS = (
    ModelDocument(
        1,
        "黄州区工程施工招标文件示范文本",
        MODEL_CLAUSES.replace("{QUALIFICATION}", WORKS_QUALIFICATION),
        category="works",
    ),
    ModelDocument(
        2,
        "黄州区货物和服务采购文件示范文本",
        MODEL_CLAUSES.replace("{QUALIFICATION}", OTHER_QUALIFICATION),
    ),
)


def _when(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, tz=CHINA)


def _money(cents: int | None) -> Decimal | None:
    return None if cents is None else Decimal(cents).scaleb(-2)


class StateBuilder:
    """Builds states project by project; `siblings` come from the projects given to `index()`."""

    def __init__(
        self,
        generator: Generator,
        *,
        calendar: DayTable | None,
        model_documents: Sequence[ModelDocument] = (),
        today: dt.date | None = None,
        documents: bool = True,
    ) -> None:
        self.generator = generator
        self.calendar = calendar
        self.models = tuple(model_documents)
        self.today = today
        self.documents = documents
        self._parties: dict[str, int] = {}
        # tenderer id → (registration ordinals, siblings), sorted by registration.
        self._siblings: dict[int, tuple[list[int], list[SiblingProject]]] = {}

    def party_id(self, uscc: str) -> int:
        found = self._parties.get(uscc)
        if found is None:
            found = self._parties[uscc] = 10_000_000 + len(self._parties)
        return found

    def index(self, projects: Iterable[GProject]) -> None:
        """Know the untendered projects of each tenderer (the candidates of MUST-05)."""
        from tenderwatch.generator.model import day_of

        grouped: dict[int, list[tuple[int, SiblingProject]]] = defaultdict(list)
        for project in projects:
            if project.method not in NOT_TENDERED:
                continue
            day = day_of(project.registered)
            grouped[self.party_id(project.tenderer.uscc)].append(
                (
                    day,
                    SiblingProject(
                        id=project.index + 1,
                        external_id=project.external_id,
                        code=project.code,
                        name=project.name,
                        category=project.category,
                        method=project.method,
                        estimated_amount=_money(project.estimate),
                        registered_on=dt.date.fromordinal(day),
                    ),
                )
            )
        for tenderer, rows in grouped.items():
            rows.sort(key=lambda r: (r[0], r[1].id))
            self._siblings[tenderer] = ([r[0] for r in rows], [r[1] for r in rows])

    def _siblings_of(
        self, project: GProject, tenderer: int, day: int
    ) -> tuple[SiblingProject, ...]:
        found = self._siblings.get(tenderer)
        if found is None:
            return ()
        days, rows = found
        lo = bisect.bisect_left(days, day - SIBLING_WINDOW_DAYS)
        hi = bisect.bisect_right(days, day + SIBLING_WINDOW_DAYS)
        pid = project.index + 1
        return tuple(r for r in rows[lo:hi] if r.id != pid)

    # -- one project -------------------------------------------------------------------------------

    def state(self, project: GProject) -> ProjectState:
        from tenderwatch.generator.model import day_of

        pid = project.index + 1
        lot_ids = {lot.external_id: pid * 100 + k for k, lot in enumerate(project.lots, start=1)}
        raw: list[tuple[int, int, str, int | None, dict[str, Any], str]] = []

        def event(
            kind: str,
            at: int | None,
            lot: GLot | None = None,
            data: dict[str, Any] | None = None,
            sha: str = "",
        ) -> None:
            if at is not None:
                lot_id = lot_ids[lot.external_id] if lot is not None else None
                raw.append((at, len(raw), kind, lot_id, data or {}, sha))

        documents: dict[str, str] = {}
        event("registration", project.registered)
        tender = project.tendered
        if project.competitive:
            event("announcement", project.announced)
            sha = ""
            if self.documents:
                rng = random.Random(
                    f"tenderwatch-generator/{self.generator.seed}/details/{project.index}"
                )
                _title, text = tender_document(project, rng)
                sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
                documents[sha] = text
            event(
                "tender_documents_issued",
                project.documents_issued,
                data={"method": project.method},
                sha=sha,
            )
            event("tender_documents_sale_end", project.sale_end)
            if project.clarification is not None:
                event(
                    "clarification",
                    project.clarification,
                    data={"material": True, "deadline_extended": False},
                )
            event("bid_deadline", project.deadline)

        lots: list[LotState] = []
        bids: list[BidState] = []
        openings: dict[int, OpeningState] = {}
        committees: dict[int, tuple[MemberState, ...]] = {}
        evaluations: dict[int, EvaluationState] = {}
        awards: dict[int, AwardState] = {}
        contracts: dict[int, ContractState] = {}
        requirement: tuple[Mapping[str, Any], ...] = ()
        qualification = _qualification(project)
        if qualification:
            requirement = (MappingProxyType(qualification),)
        for lot in project.lots:
            lot_id = lot_ids[lot.external_id]
            lots.append(
                LotState(
                    id=lot_id,
                    external_id=lot.external_id,
                    number=lot.number,
                    name=lot.name,
                    estimated_amount=_money(lot.estimate),
                    ceiling_price=_money(lot.ceiling),
                    bid_security=_money(lot.security),
                    qualification_requirements=requirement,
                )
            )
            bid_ids = {}
            for j, bid in enumerate(lot.bids, start=1):
                bid_id = lot_id * 100 + j
                bid_ids[id(bid)] = bid_id
                bids.append(
                    BidState(
                        id=bid_id,
                        external_id=bid.external_id,
                        lot_id=lot_id,
                        bidder_id=bid.company.index + 1,
                        bidder_name=bid.company.name,
                        price=_money(bid.price),
                        status="valid" if bid.status == "valid" else "rejected",
                        submitted_at=_when(bid.submitted),
                    )
                )
                evaluations[bid_id] = EvaluationState(
                    bid_id=bid_id,
                    rank=bid.rank,
                    passed=bid.status == "valid",
                    total_score=_money(bid.total),
                )
            if project.competitive:
                winner = lot.winner
                assert winner is not None
                event("opening", lot.opening, lot, {"bids_received": len(lot.bids)})
                event("evaluation_start", lot.evaluation_start, lot)
                event("evaluation_report", lot.report, lot)
                if tender:
                    event("candidate_publicity_start", lot.publicity_start, lot)
                    event("candidate_publicity_end", lot.publicity_end, lot)
                event("award_notice", lot.award, lot)
                event("contract_signed", lot.contract, lot)
                if tender:
                    event("supervisor_report", lot.written_report, lot)
                event("bid_security_refund", lot.refund, lot)
                assert lot.opening is not None
                openings[lot_id] = OpeningState(lot_id, _when(lot.opening), len(lot.bids))
                size = lot.committee_size
                representatives = 1 if size == 5 else 2
                committees[lot_id] = tuple(
                    [
                        MemberState("", "chair" if k == 0 else "expert", True)
                        for k in range(size - representatives)
                    ]
                    + [MemberState("", "tenderer_representative", False)] * representatives
                )
                winner_id = bid_ids[id(winner)]
                awards[lot_id] = AwardState(
                    id=lot_id,
                    lot_id=lot_id,
                    bid_id=winner_id,
                    bidder_id=winner.company.index + 1,
                    bidder_name=winner.company.name,
                    notice_at=_when(lot.award) if lot.award is not None else None,
                    amount=_money(winner.price),
                )
                supplier, amount = winner.company, winner.price
            else:
                event("contract_signed", lot.contract, lot)
                assert lot.supplier is not None
                supplier, amount = lot.supplier, lot.estimate
            contracts[lot_id] = ContractState(
                id=lot_id,
                external_id=f"{lot.external_id}-C1",
                lot_id=lot_id,
                supplier_id=supplier.index + 1,
                supplier_name=supplier.name,
                signed_at=_when(lot.contract) if lot.contract is not None else None,
                amount=_money(amount),
                duration_days=lot.duration_days,
                performance_security=_money(lot.performance_security),
                award_id=lot_id if lot_id in awards else None,
            )

        raw.sort(key=lambda e: (e[0], e[1]))
        events = [
            EventState(
                id=pid * 1000 + n,
                external_id=f"{project.external_id}-E{n:03d}",
                kind=kind,
                at=_when(at),
                day=dt.date.fromordinal(day_of(at)),
                lot_id=lot_id,
                data=MappingProxyType(data) if data else EMPTY,
                document_sha256=sha,
                seq=n,
            )
            for n, (at, _order, kind, lot_id, data, sha) in enumerate(raw, start=1)
        ]
        tenderer = self.party_id(project.tenderer.uscc)
        estimate_total = sum(lot.estimate for lot in project.lots)
        amount = max(estimate_total, project.estimate)
        form = "entrusted" if project.agency else "self"
        works = project.category == "works"
        info = ProjectInfo(
            id=pid,
            external_id=project.external_id,
            code=project.code,
            name=project.name,
            industry=project.industry,
            category=project.category,
            method=project.method,
            organisation_form=form,
            estimated_amount=_money(project.estimate),
            currency="CNY",
            # State-owned share 100% (the bundles say so): must-tender is the threshold test.
            must_tender=Decimal(amount).scaleb(-2) >= THRESHOLDS[project.category],
            state_funded=True,
            status="contracted",
            registered_at=_when(project.registered),
            tenderer_id=tenderer,
            tenderer_name=project.tenderer.name,
            approval_no=project.approval_no,
            approved_scope="施工" if works and project.approval_no else "",
            approved_method=project.approved_method or "",
            approved_form=form if project.approval_no else "",
            approved_on=dt.date.fromordinal(project.approved_on) if project.approved_on else None,
            region_code=project.region.code,
        )
        return ProjectState.build(
            info,
            lots=tuple(lots),
            events=events,
            bids=tuple(bids),
            openings=MappingProxyType(openings),
            committees=MappingProxyType(committees),
            evaluations=MappingProxyType(evaluations),
            awards=MappingProxyType(awards),
            contracts=MappingProxyType(contracts),
            siblings=self._siblings_of(project, tenderer, day_of(project.registered)),
            documents=MappingProxyType(documents),
            model_documents=self.models,
            calendar=self.calendar,
            today=self.today,
        )


def _qualification(project: GProject) -> dict[str, str] | None:
    from tenderwatch.generator import vocab

    if project.category not in QUALIFICATION_GRADE or not vocab.QUALIFICATIONS[project.trade]:
        return None
    return {
        "type": vocab.QUALIFICATIONS[project.trade][0][0],
        "grade": QUALIFICATION_GRADE[project.category],
    }


def states_of(
    generator: Generator,
    projects: Sequence[GProject],
    *,
    calendar: DayTable | None,
    model_documents: Sequence[ModelDocument] = (),
    today: dt.date | None = None,
    documents: bool = True,
) -> list[ProjectState]:
    """States of these projects (made by `generator`), siblings among them."""
    builder = StateBuilder(
        generator,
        calendar=calendar,
        model_documents=model_documents,
        today=today,
        documents=documents,
    )
    builder.index(projects)
    return [builder.state(p) for p in projects]


__all__ = ["StateBuilder", "states_of"]
