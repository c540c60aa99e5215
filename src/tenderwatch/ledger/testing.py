"""Builders of realistic ledger data for tests and, until the demo generator lands, the demo.

`build_project()` makes one tendering project the way a district trading centre would record
it: a tenderer and an agency with valid unified social credit codes, one or two lots with
ceiling prices and bid security, three to five bids with their machine, file and money
fingerprints, the opening, the evaluation committee, scores and ranking, the award and the
contract, and the procedure events of the whole timeline on plausible dates (calendar-day
periods of 招标投标法 and 实施条例 respected, working hours in China time).

It writes through the ORM directly: this is test data, not an import, so no audit entries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from tenderwatch.core.timeutil import CHINA
from tenderwatch.ledger import services
from tenderwatch.ledger.identifiers import USCC_CHARSET, USCC_SCHEME, make_uscc
from tenderwatch.ledger.models import (
    Award,
    Bid,
    BidOpening,
    BidStatus,
    Category,
    CommitteeMember,
    CommitteeRole,
    Contract,
    Document,
    EntityKind,
    Evaluation,
    EventKind,
    Expert,
    KeyPerson,
    Lot,
    MarketEntity,
    OrganisationForm,
    ProcedureEvent,
    ProcurementMethod,
    Project,
    ProjectStatus,
    Qualification,
)
from tenderwatch.org.models import Industry
from tenderwatch.org.selectors import normalise_industry

REGION_CODE = "421102"  # 湖北省黄冈市黄州区
CENT = Decimal("0.01")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文斌志宏海燕鹏飞晓东玉兰红俊峰"
TRADE_NAMES = [
    "鸿达", "华建", "楚天", "长江", "宏远", "东坡", "赤壁", "鄂东", "中冶", "广厦", "恒信", "远大",
    "卓越", "金盛", "腾飞", "安泰", "荆楚", "汉诚", "新城", "博远", "永固", "宏图", "兴达", "正通",
]  # fmt: skip
PLACES = ["黄冈", "湖北", "武汉", "鄂州", "黄石", "浠水", "团风", "麻城"]
SUFFIXES: dict[str, list[str]] = {
    Category.WORKS: [
        "建设工程有限公司",
        "建筑工程有限公司",
        "路桥工程有限公司",
        "市政工程有限公司",
    ],
    Category.GOODS: ["设备有限公司", "科技有限公司", "机电设备有限公司"],
    Category.SERVICES: ["工程咨询有限公司", "工程监理有限公司", "勘察设计有限公司"],
}
AGENCY_NAMES = [
    "湖北鄂东招标代理有限公司",
    "黄冈市正信工程项目管理有限公司",
    "湖北楚信建设工程咨询有限公司",
    "武汉中诚招标有限公司",
]
TENDERERS: dict[str, list[tuple[str, str]]] = {
    Industry.HOUSING_MUNICIPAL: [
        ("黄冈市黄州区城市建设投资有限公司", EntityKind.COMPANY),
        ("黄冈市黄州区住房和城乡建设局", EntityKind.PUBLIC_BODY),
        ("黄冈市黄州区第一中学", EntityKind.INSTITUTION),
    ],
    Industry.TRANSPORT: [
        ("黄冈市黄州区交通运输局", EntityKind.PUBLIC_BODY),
        ("黄冈市黄州区交通投资有限公司", EntityKind.COMPANY),
    ],
    Industry.WATER: [
        ("黄冈市黄州区水利和湖泊局", EntityKind.PUBLIC_BODY),
        ("黄冈市黄州区水务投资有限公司", EntityKind.COMPANY),
    ],
    Industry.AGRICULTURE: [
        ("黄冈市黄州区农业农村局", EntityKind.PUBLIC_BODY),
        ("黄冈市黄州区堵城镇人民政府", EntityKind.PUBLIC_BODY),
    ],
}
PROJECT_NAMES: dict[str, list[str]] = {
    Industry.HOUSING_MUNICIPAL: [
        "黄州区{place}片区老旧小区改造工程",
        "黄州区{place}安置房建设项目（一期）",
        "黄州区第一中学{place}校区教学楼建设工程",
        "黄州区{place}路雨污分流改造工程",
    ],
    Industry.TRANSPORT: [
        "黄州区{place}至{place2}公路改扩建工程",
        "黄州区{place}大道提档升级工程",
        "黄州区农村公路{place}段安全生命防护工程",
    ],
    Industry.WATER: [
        "黄州区{place}湖堤防加固工程",
        "黄州区{place}泵站更新改造工程",
        "黄州区{place}灌区续建配套与节水改造项目",
    ],
    Industry.AGRICULTURE: [
        "黄州区{place}镇高标准农田建设项目",
        "黄州区{place}村人居环境整治项目",
    ],
}
PLACE_NAMES = ["赤壁", "东湖", "禹王", "南湖", "陈策楼", "路口", "堵城", "西湖", "遗爱湖", "龙王山"]
INDUSTRY_CODE: dict[str, str] = {
    Industry.HOUSING_MUNICIPAL: "JS",
    Industry.TRANSPORT: "JT",
    Industry.WATER: "SL",
    Industry.AGRICULTURE: "NY",
}
QUALIFICATION_BY_INDUSTRY: dict[str, tuple[str, str]] = {
    Industry.HOUSING_MUNICIPAL: ("建筑工程施工总承包", "湖北省住房和城乡建设厅"),
    Industry.TRANSPORT: ("公路工程施工总承包", "湖北省交通运输厅"),
    Industry.WATER: ("水利水电工程施工总承包", "湖北省水利厅"),
    Industry.AGRICULTURE: ("市政公用工程施工总承包", "湖北省住房和城乡建设厅"),
}
PM_REGISTRATION: dict[str, str] = {
    Industry.HOUSING_MUNICIPAL: "一级注册建造师（建筑工程）",
    Industry.TRANSPORT: "一级注册建造师（公路工程）",
    Industry.WATER: "一级注册建造师（水利水电工程）",
    Industry.AGRICULTURE: "二级注册建造师（市政公用工程）",
}
BANKS = ["中国建设银行黄冈分行", "中国工商银行黄州支行", "湖北银行黄冈分行", "中国农业银行黄州支行"]
BID_SOFTWARE = ["新点投标文件制作软件 V10.2", "广联达云计价平台 GCCP6.0", "斯维尔清单计价 2020"]
SPECIALTIES = ["工程造价", "建筑工程", "道路与桥梁", "水利水电", "给排水", "电气", "经济"]

_counter = itertools.count(1)


def _rng(rng: random.Random | None) -> random.Random:
    return rng if rng is not None else random.Random(next(_counter))


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def new_uscc(
    rng: random.Random, *, kind: str = EntityKind.COMPANY, region: str = REGION_CODE
) -> str:
    """A valid 统一社会信用代码 (GB 32100-2015) that no entity in the ledger holds yet."""
    prefixes: dict[str, str] = {
        EntityKind.PUBLIC_BODY: "11",  # 机构编制: 机关
        EntityKind.INSTITUTION: "12",  # 机构编制: 事业单位
    }
    prefix = prefixes.get(kind, "91")  # 工商: 企业
    while True:
        body = "".join(rng.choice(USCC_CHARSET) for _ in range(9))
        code = make_uscc(prefix + region + body)
        if not MarketEntity.objects.filter(scheme=USCC_SCHEME, identifier=code).exists():
            return code


def _money(value: Decimal | float, step: str = "0.01", rounding: str = ROUND_HALF_UP) -> Decimal:
    """`value` rounded to a multiple of `step` ("0.01" for cents, "1000" for thousands)."""
    unit = Decimal(step)
    whole = (Decimal(str(value)) / unit).quantize(Decimal(1), rounding=rounding)
    return (whole * unit).quantize(CENT)


def _working_time(moment: dt.datetime, hour: int = 9, minute: int = 0) -> dt.datetime:
    """The same day at hour:minute China time, moved to Monday when it falls on a weekend."""
    local = moment.astimezone(CHINA)
    day = local.date()
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA)


def build_entity(
    *,
    name: str | None = None,
    kind: str = EntityKind.COMPANY,
    category: str = Category.WORKS,
    industry: str = Industry.HOUSING_MUNICIPAL,
    rng: random.Random | None = None,
    qualified: bool = True,
    identifier: str | None = None,
) -> MarketEntity:
    """A market entity with a valid USCC, a legal representative and, for a company, its 资质."""
    r = _rng(rng)
    if name is None:
        name = r.choice(PLACES) + r.choice(TRADE_NAMES) + r.choice(SUFFIXES[category])
        while MarketEntity.objects.filter(name=name).exists():
            name = r.choice(PLACES) + r.choice(TRADE_NAMES) + r.choice(TRADE_NAMES)[0]
            name += r.choice(SUFFIXES[category])
    entity = MarketEntity.objects.create(
        scheme=USCC_SCHEME,
        identifier=identifier or new_uscc(r, kind=kind),
        name=name,
        kind=kind,
        legal_representative=person_name(r),
        address=f"湖北省黄冈市黄州区{r.choice(PLACE_NAMES)}路{r.randint(1, 300)}号",
        region_code=REGION_CODE,
        contact_phone=f"0713-{r.randint(8100000, 8899999)}",
        registered_capital=_money(r.choice([1000, 2000, 5000, 8000, 10000]) * 10000)
        if kind == EntityKind.COMPANY
        else None,
        established_on=dt.date(r.randint(1998, 2018), r.randint(1, 12), r.randint(1, 28)),
        source="test",
    )
    if qualified and kind == EntityKind.COMPANY:
        qual, issuer = QUALIFICATION_BY_INDUSTRY.get(
            industry, QUALIFICATION_BY_INDUSTRY[Industry.HOUSING_MUNICIPAL]
        )
        Qualification.objects.create(
            entity=entity,
            category=qual,
            grade=r.choice(["一级", "二级", "三级"]),
            certificate_no=f"D{r.randint(242000000, 242999999)}",
            issued_by=issuer,
            valid_from=dt.date(2021, r.randint(1, 12), r.randint(1, 28)),
            valid_to=dt.date(2026, 12, 31),
        )
    return entity


def build_key_person(
    entity: MarketEntity,
    *,
    industry: str = Industry.HOUSING_MUNICIPAL,
    rng: random.Random | None = None,
) -> KeyPerson:
    r = _rng(rng)
    name = person_name(r)
    id_number = f"421102{r.randint(1965, 1992)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}"
    id_number += f"{r.randint(100, 999)}{r.choice('0123456789X')}"
    return KeyPerson.objects.create(
        entity=entity,
        name=name,
        role="project_manager",
        registration_type=PM_REGISTRATION.get(
            industry, PM_REGISTRATION[Industry.HOUSING_MUNICIPAL]
        ),
        certificate_no=f"鄂1{r.randint(42000000, 42999999)}",
        # Only a keyed hash of the identity-card number is stored (see KeyPerson).
        id_hash=services.id_hash(id_number),
        valid_to=dt.date(2027, 6, 30),
    )


def build_document(title: str, kind: str, *, source: str = "test") -> Document:
    content = f"{title}\n{kind}\n{next(_counter)}".encode()
    return Document.objects.create(
        sha256=hashlib.sha256(content).hexdigest(),
        title=title,
        kind=kind,
        media_type="application/pdf",
        size=len(content) * 1024,
        source=source,
    )


@dataclass
class _Clock:
    """The dates of one procedure, from registration to the contract."""

    registered: dt.datetime

    def at(self, days: int, hour: int = 9, minute: int = 0) -> dt.datetime:
        return _working_time(self.registered + dt.timedelta(days=days), hour, minute)


STAGES = [
    ProjectStatus.REGISTERED,
    ProjectStatus.ANNOUNCED,
    ProjectStatus.BIDDING,
    ProjectStatus.EVALUATING,
    ProjectStatus.PUBLICITY,
    ProjectStatus.AWARDED,
    ProjectStatus.CONTRACTED,
]


def build_project(
    *,
    name: str | None = None,
    code: str | None = None,
    industry: str = Industry.HOUSING_MUNICIPAL,
    category: str = Category.WORKS,
    estimated_amount: Decimal | int | str = Decimal("4500000"),
    state_owned_share: Decimal | int | str | None = Decimal("100"),
    procurement_method: str = ProcurementMethod.OPEN,
    tenderer: MarketEntity | None = None,
    agency: MarketEntity | None = None,
    bidders: Sequence[MarketEntity] | None = None,
    lots: int | None = None,
    bids_per_lot: int | None = None,
    registered_at: dt.datetime | None = None,
    approval_no: str = "",
    stage: str = ProjectStatus.CONTRACTED,
    source: str = "test",
    region_code: str = REGION_CODE,
    rng: random.Random | None = None,
    seed: int | None = None,
) -> Project:
    """One project with its lots, bids, opening, committee, evaluation, award and contract.

    `stage` stops the procedure where a project in that status would be (e.g. "bidding": no
    opening yet). `bidders`, when given, bid on every lot (in that order, first wins).
    """
    r = rng if rng is not None else random.Random(seed if seed is not None else next(_counter))
    industry = normalise_industry(industry)
    estimated = _money(Decimal(str(estimated_amount)))
    registered_at = registered_at or dt.datetime(2026, 3, 2, 9, 30, tzinfo=CHINA)
    clock = _Clock(registered_at)  # the later steps fall on working days at office hours
    stage_no = STAGES.index(ProjectStatus(stage))
    place, place2 = r.sample(PLACE_NAMES, 2)
    if name is None:
        name = r.choice(PROJECT_NAMES.get(industry, PROJECT_NAMES[Industry.HOUSING_MUNICIPAL]))
        name = name.format(place=place, place2=place2)
    if code is None:
        year = clock.registered.year
        prefix = f"HZ{INDUSTRY_CODE.get(industry, 'QT')}{year}"
        n = Project.objects.filter(code__startswith=prefix).count() + 1
        while Project.objects.filter(code=f"{prefix}-{n:04d}").exists():
            n += 1
        code = f"{prefix}-{n:04d}"
    if tenderer is None:
        t_name, t_kind = r.choice(TENDERERS.get(industry, TENDERERS[Industry.HOUSING_MUNICIPAL]))
        tenderer = MarketEntity.objects.filter(name=t_name).first() or build_entity(
            name=t_name, kind=t_kind, rng=r, qualified=False
        )
    if agency is None:
        a_name = r.choice(AGENCY_NAMES)
        agency = MarketEntity.objects.filter(name=a_name).first() or build_entity(
            name=a_name, category=Category.SERVICES, rng=r, qualified=False
        )

    project = Project.objects.create(
        source=source,
        external_id=code,
        ocid=f"ocds-twtest-{code}",
        code=code,
        name=name,
        region_code=region_code,
        industry=industry,
        category=category,
        funding_source="财政资金"
        if tenderer.kind == EntityKind.PUBLIC_BODY
        else "国有企业自筹资金",
        state_owned_share=None if state_owned_share is None else Decimal(str(state_owned_share)),
        estimated_amount=estimated,
        procurement_method=procurement_method,
        organisation_form=OrganisationForm.ENTRUSTED,
        tenderer=tenderer,
        agency=agency,
        approval_no=approval_no,
        approved_scope="施工" if category == Category.WORKS else "",
        approved_method=procurement_method if approval_no else "",
        approved_form=OrganisationForm.ENTRUSTED if approval_no else "",
        approved_on=(clock.registered - dt.timedelta(days=40)).date() if approval_no else None,
        status=stage,
        registered_at=clock.registered,
    )

    events: list[dict[str, Any]] = []

    def event(kind: str, when: dt.datetime, *, lot: Lot | None = None, doc: str = "", **data: Any):
        events.append({"kind": kind, "when": when, "lot": lot, "doc": doc, "data": data})

    event(EventKind.REGISTRATION, clock.registered)

    n_lots = lots if lots is not None else r.choice((1, 1, 2))
    shares = {1: [Decimal(1)], 2: [Decimal("0.6"), Decimal("0.4")]}.get(
        n_lots, [Decimal(1) / n_lots] * n_lots
    )
    pool = list(bidders) if bidders is not None else []
    for i, share in enumerate(shares, start=1):
        lot_estimate = _money(estimated * share)
        lot = Lot.objects.create(
            project=project,
            external_id=f"{code}-{i:03d}",
            number=f"{code}-{i:03d}",
            name=f"{name}{'施工' if category == Category.WORKS else ''}第{i}标段"
            if n_lots > 1
            else f"{name}{'施工' if category == Category.WORKS else ''}",
            estimated_amount=lot_estimate,
            ceiling_price=_money(lot_estimate * Decimal(str(r.uniform(0.95, 0.99))), "1"),
            # 实施条例 第二十六条: at most 2% of the estimate; works at most 80万 (30号令 Art. 37).
            # At most 2% of the estimate (实施条例 第二十六条): rounded down to the thousand.
            bid_security=min(
                _money(lot_estimate * Decimal("0.02"), "1000", ROUND_DOWN), Decimal("800000")
            ),
            qualification_requirements=[
                {
                    "type": QUALIFICATION_BY_INDUSTRY.get(industry, ("建筑工程施工总承包",))[0],
                    "grade": "三级及以上",
                }
            ],
            status=stage,
        )
        _build_lot(
            project=project,
            lot=lot,
            clock=clock,
            stage_no=stage_no,
            industry=industry,
            category=category,
            bidders=pool,
            bids_per_lot=bids_per_lot,
            rng=r,
            event=event,
        )

    _write_events(project, events, source=source)
    assessment = services.assess_project(project)
    project.must_tender, project.must_tender_reason = assessment.must_tender, assessment.reason
    project.save(update_fields=["must_tender", "must_tender_reason"])
    return project


def _build_lot(
    *,
    project: Project,
    lot: Lot,
    clock: _Clock,
    stage_no: int,
    industry: str,
    category: str,
    bidders: list[MarketEntity],
    bids_per_lot: int | None,
    rng: random.Random,
    event: Any,
) -> None:
    r = rng
    if stage_no < 1:
        return
    # 招标投标法 第二十四条: at least 20 days from issuing the documents to the bid deadline;
    # 实施条例 第十六条: documents on sale for at least 5 days.
    event(
        EventKind.ANNOUNCEMENT,
        clock.at(1),
        lot=lot,
        doc="招标公告",
        media="湖北省招标投标监管网",
    )
    event(EventKind.TENDER_DOCUMENTS_ISSUED, clock.at(1, 9, 30), lot=lot, doc="招标文件")
    event(EventKind.TENDER_DOCUMENTS_SALE_END, clock.at(8, 17, 0), lot=lot)
    if stage_no < 2:
        return
    # 实施条例 第二十一条: a clarification at least 15 days before the deadline.
    event(EventKind.CLARIFICATION, clock.at(5, 15, 0), lot=lot, doc="澄清与修改")
    deadline = clock.at(24, 9, 30)
    event(EventKind.BID_DEADLINE, deadline, lot=lot)

    n_bids = bids_per_lot if bids_per_lot is not None else r.randint(3, 5)
    chosen = list(bidders[:n_bids])
    while len(chosen) < n_bids:
        chosen.append(build_entity(category=category, industry=industry, rng=r))
    bids: list[Bid] = []
    assert lot.ceiling_price is not None
    for j, bidder in enumerate(chosen, start=1):
        pm = bidder.key_people.first() or build_key_person(bidder, industry=industry, rng=r)
        submitted = deadline - dt.timedelta(hours=r.randint(2, 70), minutes=r.randint(0, 59))
        price = _money(lot.ceiling_price * Decimal(str(r.uniform(0.86, 0.995))))
        bids.append(
            Bid.objects.create(
                lot=lot,
                bidder=bidder,
                external_id=f"{lot.external_id}-B{j:02d}",
                price=price,
                submitted_at=submitted,
                status=BidStatus.SUBMITTED,
                client_ip=f"{r.choice((58, 59, 27, 111, 119))}.{r.randint(16, 254)}."
                f"{r.randint(0, 254)}.{r.randint(2, 254)}",
                mac_address=":".join(f"{r.randint(0, 255):02X}" for _ in range(6)),
                hardware_id=f"BFEBFBFF000{r.randint(100000, 999999):X}",
                ca_key_id=f"HBCA{r.randint(10**11, 10**12 - 1)}",
                file_hash=hashlib.sha256(
                    f"{lot.external_id}/{bidder.identifier}".encode()
                ).hexdigest(),
                file_author=person_name(r),
                file_software=r.choice(BID_SOFTWARE),
                file_machine=f"DESKTOP-{r.randint(0, 36**7):07X}"[:15],
                security_account="".join(str(r.randint(0, 9)) for _ in range(19)),
                security_bank=r.choice(BANKS),
                project_manager=pm,
                contact_name=person_name(r),
                contact_phone=f"1{r.choice((33, 35, 38, 52, 58, 87))}{r.randint(10**7, 10**8 - 1)}",
                source=project.source,
            )
        )
    if stage_no < 3:
        return

    BidOpening.objects.create(
        lot=lot,
        opened_at=deadline,  # 招标投标法 第三十四条: opening at the bid deadline
        location="黄州区公共资源交易中心第一开标室",
        bids_received=len(bids),
        document=build_document(f"{lot.name}开标记录", "opening_record", source=project.source),
    )
    event(EventKind.OPENING, deadline, lot=lot, bids_received=len(bids))

    # 招标投标法 第三十七条: five or more (odd), experts at least two thirds.
    CommitteeMember.objects.create(
        lot=lot,
        name=person_name(r),
        role=CommitteeRole.TENDERER_REPRESENTATIVE,
        drawn_randomly=False,
    )
    for k in range(4):
        expert_name = person_name(r)
        expert, _created = Expert.objects.get_or_create(
            pool_id=f"HBZJ{r.randint(100000, 999999)}",
            defaults={
                "name": expert_name,
                "specialty": r.choice(SPECIALTIES),
                "employer": r.choice(["湖北省交通规划设计院", "黄冈职业技术学院", "武汉理工大学"]),
            },
        )
        CommitteeMember.objects.create(
            lot=lot,
            expert=expert,
            name=expert.name,
            role=CommitteeRole.CHAIR if k == 0 else CommitteeRole.EXPERT,
        )
    event(EventKind.EVALUATION_START, clock.at(24, 10, 0), lot=lot)

    low = min(b.price for b in bids if b.price is not None)
    scored = []
    for b in bids:
        assert b.price is not None
        # A common works scheme: technical 30, commercial 10, price 60 (lowest valid price).
        technical = _money(r.uniform(20, 30))
        commercial = _money(r.uniform(6, 10))
        price_score = _money(Decimal(60) * low / b.price)
        scored.append((technical + commercial + price_score, b, technical, commercial, price_score))
    scored.sort(key=lambda s: (-s[0], s[1].external_id))
    if bidders:  # the given bidders win in order: the first given bidder ranks first
        order = {e.pk: n for n, e in enumerate(bidders)}
        scored.sort(key=lambda s: (order.get(s[1].bidder_id, 99), -s[0]))
    for rank, (total, b, technical, commercial, price_score) in enumerate(scored, start=1):
        Evaluation.objects.create(
            bid=b,
            technical_score=technical,
            commercial_score=commercial,
            price_score=price_score,
            total_score=_money(total),
            rank=rank,
        )
        b.status = BidStatus.VALID
        b.save(update_fields=["status"])
    event(EventKind.EVALUATION_REPORT, clock.at(24, 16, 30), lot=lot, doc="评标报告")
    if stage_no < 4:
        return
    # 实施条例 第五十四条: candidates published within 3 days of the report, for at least 3 days.
    event(
        EventKind.CANDIDATE_PUBLICITY_START,
        clock.at(25, 9, 0),
        lot=lot,
        doc="中标候选人公示",
        candidates=[s[1].bidder.name for s in scored[:3]],
    )
    event(EventKind.CANDIDATE_PUBLICITY_END, clock.at(28, 17, 0), lot=lot)
    if stage_no < 5:
        return
    winner = scored[0][1]
    notice_at = clock.at(31, 10, 0)
    award = Award.objects.create(lot=lot, bid=winner, notice_at=notice_at, amount=winner.price)
    event(EventKind.AWARD_NOTICE, notice_at, lot=lot, doc="中标通知书", winner=winner.bidder.name)
    if stage_no < 6:
        return
    # 招标投标法 第四十六条: the contract within 30 days of the award notice.
    signed_at = clock.at(31 + r.randint(7, 20), 15, 0)
    assert winner.price is not None
    Contract.objects.create(
        lot=lot,
        award=award,
        supplier=winner.bidder,
        external_id=f"{lot.external_id}-HT",
        signed_at=signed_at,
        amount=winner.price,
        duration_days=r.choice([120, 180, 240, 365]),
        performance_security=_money(winner.price * Decimal("0.1"), "1"),
        terms={"payment": "按月进度付款至80%，竣工验收后付至97%，余款为质量保证金"},
    )
    event(EventKind.CONTRACT_SIGNED, signed_at, lot=lot, doc="施工合同")
    # 招标投标法 第四十七条: a written report to the supervisor within 15 days of the award.
    event(
        EventKind.SUPERVISOR_REPORT,
        notice_at + dt.timedelta(days=10),
        lot=lot,
        doc="招标投标情况书面报告",
    )


def _write_events(project: Project, events: list[dict[str, Any]], *, source: str) -> None:
    seen_project_level: set[str] = set()
    n = 0
    for e in sorted(events, key=lambda e: e["when"]):
        lot = e["lot"]
        # Project-wide steps (announcement, documents) are one event even with several lots.
        if e["kind"] in (
            EventKind.ANNOUNCEMENT,
            EventKind.TENDER_DOCUMENTS_ISSUED,
            EventKind.TENDER_DOCUMENTS_SALE_END,
            EventKind.CLARIFICATION,
            EventKind.BID_DEADLINE,
        ):
            if e["kind"] in seen_project_level:
                continue
            seen_project_level.add(e["kind"])
            lot = None
        n += 1
        document = None
        if e["doc"]:
            title = f"{(lot.name if lot else project.name)}{e['doc']}"
            document = build_document(title, str(e["kind"]), source=source)
        ProcedureEvent.objects.create(
            project=project,
            lot=lot,
            kind=e["kind"],
            occurred_at=e["when"],
            source=source,
            external_id=f"{project.external_id}-E{n:03d}",
            version=1,
            data=e["data"],
            document=document,
        )


def add_event_version(
    event: ProcedureEvent, *, occurred_at: dt.datetime | None = None, note: str = "", **data: Any
) -> ProcedureEvent:
    """A corrected version of `event` (same source and external id, next version)."""
    newest = (
        ProcedureEvent.objects.filter(source=event.source, external_id=event.external_id)
        .order_by("-version")
        .first()
    )
    assert newest is not None
    return ProcedureEvent.objects.create(
        project=event.project,
        lot=event.lot,
        kind=event.kind,
        occurred_at=occurred_at or event.occurred_at,
        source=event.source,
        external_id=event.external_id,
        version=newest.version + 1,
        data={**newest.data, **data},
        document=event.document,
        note=note,
    )
