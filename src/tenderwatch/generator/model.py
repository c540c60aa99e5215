"""The generator's model: a stream of tendering projects of a Chinese county (or a province, or
the country), drawn from one seed, with violations injected and labelled as they are drawn.

What a project looks like (the mix and the shapes are those of a county trading centre):

- **Industry mix** (`INDUSTRY_MIX`): 房建市政 about 45%, 交通 13%, 水利 10%, 农业农村 10%,
  政府采购 22%. Engineering projects are mostly works, some services (监理, 设计) and goods.
- **Amounts**: log-normal per industry and category (`AMOUNTS`), so many projects fall below the
  must-tender thresholds of 16号令 (works 400万, goods 200万, services 100万) and some far above.
  A project at or above its threshold is tendered (open, sometimes invited); below it the trading
  centre also uses 竞争性磋商, 询价, 竞争性谈判 and, for small works, direct award. A works project
  of 300万 or more is always tendered in clean data, so that splitting just below 400万 is only
  ever the injected violation.
- **Bidders**: 3–12 a lot (about five on average), drawn from a fixed population: local firms
  first, then the province, then anywhere; busy firms bid often (repeat bidders). Honest prices
  are 82–99.5% of the ceiling price, lower when more firms bid; the winner has the best score
  (综合评估法) or the lowest price (经评审的最低投标价法).
- **Timelines** on the working days of the `workdays` calendar: registration → announcement and
  tender documents → sale of documents ≥ 5 days → bid deadline ≥ 20 days after the documents →
  opening at the deadline → evaluation report → candidate publicity for ≥ 3 days, starting within
  3 days of the report → award notice → contract within 30 days → written report to the
  supervisor within 15 days → bid security refunded within 5 days of the contract.

Times are whole seconds since 1970-01-01 UTC (cheap to carry, exact); days are date ordinals.
Money is in cents (int). `bundles.py` turns projects into `ProcessBundle`s, `outputs.py` writes
them; Parquet rows are taken from this model directly, so national scale stays fast.

Determinism: one `random.Random` per concern, each seeded from the seed and a fixed name (never
the global generator, never `hash()` of a string, never the clock); no iteration over sets.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from tenderwatch.generator import vocab
from tenderwatch.generator.population import (
    WORKS_TRADES,
    Company,
    Party,
    Person,
    Population,
    Region,
    hubei_regions,
    other_regions,
)
from tenderwatch.generator.violations import (
    CLAUSES,
    MUST_ARTICLE,
    MUST_RULE,
    RULES,
    WORKS_SECURITY_CAP,
    Label,
    Stats,
    day_text,
    names,
    rate,
    wan,
    yuan,
)
from tenderwatch.generator.workcal import WorkCalendar
from tenderwatch.screening.rules.must import subject_stem

SOURCE = "generator"
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
CHINA_OFFSET = 8 * 3600
WAN = 1_000_000  # cents in 1万元

ENGINEERING = ("housing_municipal", "transport", "water", "agriculture")
INDUSTRY_MIX = (
    ("housing_municipal", 45),
    ("transport", 13),
    ("water", 10),
    ("agriculture", 10),
    ("government_procurement", 22),
)
INDUSTRY_CODE = {
    "housing_municipal": "JS",
    "transport": "JT",
    "water": "SL",
    "agriculture": "NY",
    "government_procurement": "CG",
}
# (industry, category) → (median in 万元, sigma of the log, min 万元, max 万元).
AMOUNTS: dict[tuple[str, str], tuple[float, float, float, float]] = {
    ("housing_municipal", "works"): (320, 1.15, 8, 60000),
    ("transport", "works"): (520, 1.15, 10, 80000),
    ("water", "works"): (300, 1.05, 8, 40000),
    ("agriculture", "works"): (220, 0.95, 8, 20000),
    ("engineering", "services"): (45, 1.0, 2, 5000),
    ("engineering", "goods"): (110, 1.0, 3, 8000),
    ("government_procurement", "goods"): (85, 1.1, 3, 6000),
    ("government_procurement", "services"): (70, 1.05, 3, 5000),
}
THRESHOLD = {"works": 400 * WAN, "goods": 200 * WAN, "services": 100 * WAN}
SPLIT_FLOOR = 300 * WAN  # clean works projects from here up are always tendered
TENDER = ("open", "invited")
LOTS_PER_PROJECT = ((1, 70), (2, 16), (3, 8), (4, 4), (5, 2))
BIDS_WORKS = tuple(range(3, 13))
BIDS_WORKS_W = (16, 20, 19, 15, 10, 7, 5, 4, 2, 2)
BIDS_OTHER = tuple(range(3, 9))
BIDS_OTHER_W = (36, 30, 17, 9, 5, 3)
REJECTIONS = (
    "未按招标文件要求提交投标保证金",
    "投标文件未按要求加盖电子签章",
    "拟派项目负责人资格不符合招标文件要求",
    "投标报价超过最高投标限价",
)
# The longest timeline a project can have (registration → last event), with margin: no project
# is registered later than this before the calendar's last covered day.
MAX_SPAN_DAYS = 240
LOTS_MEAN = 1.082  # lots per project the draws give (measured), to reach the scale's lot count
SEASON = (0.75, 0.55, 1.0, 1.05, 1.1, 1.1, 1.0, 1.0, 1.1, 0.9, 1.15, 1.3)  # Jan … Dec


def moment(day: int, minutes: int) -> int:
    """Seconds since the epoch of `minutes` after midnight (China time) on ordinal `day`."""
    return (day - EPOCH_ORDINAL) * 86400 + minutes * 60 - CHINA_OFFSET


def day_of(seconds: int) -> int:
    """The China date (ordinal) of a moment."""
    return (seconds + CHINA_OFFSET) // 86400 + EPOCH_ORDINAL


def round_cents(cents: float, unit: int) -> int:
    """`cents` rounded to a multiple of `unit` cents (at least one unit)."""
    return max(unit, round(cents / unit) * unit)


# -- scales -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """How big a run is: lots over three years, where, how many firms, rings and experts."""

    name: str
    market: str  # "district": one county; "province": Hubei; "national": every province
    lots: int
    companies: int
    rings: int
    experts: int  # per province and trade

    @classmethod
    def custom(cls, market: str, lots: int) -> Scale:
        """A run of another size with the shape of `market` (tests, benchmarks)."""
        base = SCALES[market]
        ratio = lots / base.lots
        if market == "district":
            companies = int(120 + lots * 0.24)
        else:
            companies = max(120, int(base.companies * ratio))
        return cls(
            name=f"{market}:{lots}",
            market=market,
            lots=lots,
            companies=companies,
            rings=max(2, round(base.rings * ratio)),
            experts=base.experts,
        )


SCALES: dict[str, Scale] = {
    "district": Scale("district", "district", 1_500, 480, 3, 60),
    "province": Scale("province", "province", 200_000, 24_000, 120, 600),
    "national": Scale("national", "national", 1_000_000, 110_000, 500, 800),
}


# -- the model --------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class GBid:
    external_id: str
    company: Company
    price: int  # cents
    submitted: int  # epoch seconds
    ip: str
    mac: str
    hardware_id: str
    machine: str
    ca_key: str
    author: str
    software: str
    account: str
    bank: str
    manager: Person | None
    file_hash: str
    status: str = "valid"
    rejection: str = ""
    technical: int | None = None  # hundredths of a point
    commercial: int | None = None
    price_score: int | None = None
    total: int | None = None
    rank: int | None = None


@dataclass(slots=True, eq=False)
class GLot:
    external_id: str
    number: str
    name: str
    estimate: int
    ceiling: int | None
    security: int | None
    bids: list[GBid] = field(default_factory=list)
    evaluation_method: str = ""
    winner: GBid | None = None
    supplier: Company | None = None  # direct award: the contractor without a bid
    opening: int | None = None
    evaluation_start: int | None = None
    report: int | None = None
    publicity_start: int | None = None
    publicity_end: int | None = None
    award: int | None = None
    contract: int | None = None
    written_report: int | None = None
    refund: int | None = None
    committee_size: int = 5
    duration_days: int = 0
    performance_security: int | None = None

    @property
    def amount(self) -> int | None:
        if self.winner is not None:
            return self.winner.price
        return self.estimate if self.supplier is not None else None


@dataclass(slots=True, eq=False)
class GProject:
    index: int
    external_id: str
    code: str
    name: str
    industry: str
    category: str
    trade: str
    region: Region
    tenderer: Party
    agency: Party | None
    method: str
    estimate: int
    total_investment: int
    budget_funds: int
    funding_source: str
    must_tender: bool
    approval_no: str = ""
    approved_method: str = ""
    approved_on: int | None = None
    registered: int = 0
    announced: int | None = None
    documents_issued: int | None = None
    sale_end: int | None = None
    clarification: int | None = None
    deadline: int | None = None
    clause: tuple[str, str, str] | None = None  # (kind, clause number, text)
    lots: list[GLot] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    # Project-wide violations drawn before the lots exist: (code, description, evidence).
    pending: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    @property
    def tendered(self) -> bool:
        return self.method in TENDER

    @property
    def competitive(self) -> bool:
        return self.method != "direct"


@dataclass(slots=True)
class Ring:
    """A bid-rotation ring: firms of one trade in one region taking turns to win."""

    number: int
    trade: str
    region: Region
    members: list[Company]
    turn: int = 0


# Where the discriminatory clause sits in the tender document (documents.py uses the same).
CLAUSE_NUMBER = {
    "local_registration": "3.5",
    "local_performance": "3.5",
    "named_brand": "2.4",
    "registered_capital": "3.5",
    "lottery_award": "7.3",
    "guarantee_issuer": "5.3",
    "association_member": "3.5",
    "ownership": "3.5",
}


class Generator:
    """`projects()` yields the whole run, project by project, in order of registration.

    Memory stays flat: only the population, the rings and one array of registration days are
    kept; projects are made as they are asked for.
    """

    def __init__(
        self,
        *,
        scale: Scale,
        seed: int,
        calendar: WorkCalendar,
        start: dt.date = dt.date(2023, 1, 1),
        years: int = 3,
        rate_scale: float = 1.0,
    ) -> None:
        self.scale = scale
        self.seed = seed
        self.calendar = calendar
        self.rate_scale = rate_scale
        self.rates = {code: rate(code, rate_scale) for code in RULES}
        self.stats = Stats()
        self.notes: list[str] = []
        # The subjects of the works each tenderer has named (see `_own_works_name`).
        self._works_stems: dict[str, set[str]] = {}
        # Related lots (shared_ip_related_lots): each tenderer's latest lots, and the addresses
        # planted in a lot, by tenderer (see `_related_lots`). A stream of their own.
        self._related_rng = random.Random(f"tenderwatch-generator/{seed}/related")
        self._tenderer_lots: dict[str, list[tuple[int, GLot]]] = {}
        self._planted: dict[str, list[tuple[str, int, int, str, str]]] = {}

        start_day = start.toordinal()
        try:
            end = start.replace(year=start.year + years)
        except ValueError:  # 29 February
            end = start.replace(year=start.year + years, day=28)
        end_day = end.toordinal() - 1
        latest = calendar.last - MAX_SPAN_DAYS
        if start_day < calendar.first:
            raise ValueError(
                _("The working-day calendar starts on %(day)s: start on or after it.")
                % {"day": dt.date.fromordinal(calendar.first)}
            )
        if end_day > latest:
            self.notes.append(
                _(
                    "Timelines must end by %(last)s, the last day the holiday schedules cover: "
                    "registrations stop on %(stop)s instead of %(end)s."
                )
                % {
                    "last": dt.date.fromordinal(calendar.last),
                    "stop": dt.date.fromordinal(latest),
                    "end": dt.date.fromordinal(end_day),
                }
            )
            end_day = latest
        if end_day < start_day:
            raise ValueError(
                _("The working-day calendar leaves no room for projects after the start date.")
            )
        self.start_day, self.end_day = start_day, end_day
        days = end_day - start_day + 1
        self.target_lots = max(1, round(scale.lots * days / 1096))
        self.n_projects = max(1, round(self.target_lots / LOTS_MEAN))

        self.rng = random.Random(f"tenderwatch-generator/{seed}/projects")
        self.lot_regions = self._lot_regions()
        self._region_cum = list(itertools.accumulate(r.weight for r in self.lot_regions))
        self.population = Population(
            random.Random(f"tenderwatch-generator/{seed}/population"),
            market=scale.market,
            companies=scale.companies,
            lot_regions=self.lot_regions,
        )
        self.days = self._registration_days(random.Random(f"tenderwatch-generator/{seed}/days"))
        self.rings, self._ring_coverage = self._make_rings(
            random.Random(f"tenderwatch-generator/{seed}/rings")
        )
        self._codes: dict[tuple[str, str, int], int] = {}
        self._industry_cum = list(itertools.accumulate(w for _i, w in INDUSTRY_MIX))

    # -- setup ------------------------------------------------------------------------------------

    def _lot_regions(self) -> list[Region]:
        if self.scale.market == "district":
            return [r for r in hubei_regions() if r.code == vocab.HOME_REGION]
        if self.scale.market == "province":
            return hubei_regions()
        return hubei_regions() + other_regions()

    def _registration_days(self, rng: random.Random) -> array[int]:
        days = array("l")
        span = self.end_day - self.start_day
        cal = self.calendar
        while len(days) < self.n_projects:
            day = self.start_day + rng.randint(0, span)
            if rng.random() * 1.3 > SEASON[dt.date.fromordinal(day).month - 1]:
                continue
            day = cal.on_or_after(day)
            if day > self.end_day:
                day = cal.on_or_before(self.end_day)
            days.append(day)
        return array("l", sorted(days))

    def _trade_share(self) -> dict[str, float]:
        """The share of competitive works lots per works trade (for the rings' markets)."""
        weights = dict(INDUSTRY_MIX)
        return {
            "building": weights["housing_municipal"] + weights["agriculture"] / 2,
            "road": weights["transport"],
            "water": weights["water"] + weights["agriculture"] / 2,
        }

    def _make_rings(self, rng: random.Random) -> tuple[dict[tuple[str, str], list[Ring]], float]:
        share = self._trade_share()
        markets = [(t, r) for r in self.lot_regions for t in WORKS_TRADES]
        market_w = [share[t] * r.weight for t, r in markets]
        cum = list(itertools.accumulate(market_w))
        rings: dict[tuple[str, str], list[Ring]] = {}
        for number in range(1, self.scale.rings + 1):
            trade, region = markets[bisect.bisect_right(cum, rng.random() * cum[-1])]
            if number <= len(WORKS_TRADES) and self.scale.market == "district":
                trade = ("building", "road", "building")[number - 1]  # the big markets first
            size = rng.randint(3, 5)
            members = self.population.draw_bidders(rng, trade, region, size, set())
            # Rings are local firms where there are enough of them.
            local = self.population.pools.get((trade, f"R{region.code}"))
            if local is not None and len(local.ids) >= size + 2:
                picked: list[Company] = []
                seen: set[int] = set()
                for _ in range(200):
                    if len(picked) >= size:
                        break
                    index = local.draw(rng)
                    if index not in seen:
                        seen.add(index)
                        picked.append(self.population.companies[index])
                if len(picked) >= 3:
                    members = picked
            rings.setdefault((trade, region.code), []).append(Ring(number, trade, region, members))
        covered = sum(
            w for (t, r), w in zip(markets, market_w, strict=True) if (t, r.code) in rings
        )
        return rings, covered / sum(market_w)

    # -- helpers ----------------------------------------------------------------------------------

    def _draw(self, code: str) -> bool:
        """Count an eligible unit for `code` and draw whether it gets the violation."""
        self.stats.eligible[code] += 1
        hit = self.rng.random() < self.rates[code]
        if hit:
            self.stats.injected[code] += 1
        return hit

    def _related_lots(
        self, project: GProject, lot: GLot, deadline: int, codes: set[str]
    ) -> list[tuple[str, str, dict[str, Any], str | None]]:
        """实施条例 第四十条第（二）项 across lots of one tenderer: a bidder of this lot uploads
        from the address another firm used in an earlier lot of the tenderer (at most 170 days
        before; the check looks 180 days either way and reports on the later lot). The other
        firm keeps its address, so a later lot where it bids from there again shows the same
        sharing: those lots are labelled as they come. An address is planted only where no lot
        already generated would show it unlabelled."""
        code = "shared_ip_related_lots"
        key = project.tenderer.uscc
        out: list[tuple[str, str, dict[str, Any], str | None]] = []
        for ip, at, company, bid_id, number in self._planted.get(key, []):
            if at <= deadline <= at + RELATED_WINDOW:
                for bid in lot.bids:
                    if bid.ip == ip and bid.company.index != company:
                        out.append(self._related_label([bid], bid_id, number, ip))
        known = self._tenderer_lots.setdefault(key, [])
        start = deadline - RELATED_PLANT_WINDOW
        if "shared_ip" not in codes and any(start <= d < deadline for d, _l in reversed(known)):
            self.stats.eligible[code] += 1
            rng = self._related_rng
            if rng.random() < self.rates[code]:
                earlier = [other for d, other in known if start <= d < deadline]
                planted = self._plant(lot, deadline, rng.choice(earlier), known)
                if planted is not None:
                    source, target = planted
                    self.stats.injected[code] += 1
                    self._planted.setdefault(key, []).append(
                        (target.ip, deadline, target.company.index, target.external_id, lot.number)
                    )
                    out.append(
                        self._related_label(
                            [source], target.external_id, lot.number, target.ip, forward=False
                        )
                    )
        known.append((deadline, lot))
        del known[:-RELATED_KEEP]
        return out

    def _plant(
        self, lot: GLot, deadline: int, earlier: GLot, known: list[tuple[int, GLot]]
    ) -> tuple[GBid, GBid] | None:
        """Give a bidder of `lot` the address of a firm of `earlier` (bidding in only one of the
        two lots, the address its own there); None where no pair fits."""
        rng = self._related_rng
        here = {b.company.index for b in lot.bids}
        there = {b.company.index for b in earlier.bids}
        targets = [b for b in lot.bids if b.company.index not in there]
        sources = [
            p
            for p in earlier.bids
            if p.company.index not in here and sum(q.ip == p.ip for q in earlier.bids) == 1
        ]
        rng.shuffle(sources)
        for source in sources:
            # A lot already made, at this lot's time or later within the window, where another
            # firm bids from this address would show the sharing without a label.
            later = any(
                deadline <= d <= deadline + RELATED_WINDOW
                and any(b.ip == source.ip for b in other.bids)
                for d, other in known
            )
            if later or not targets:
                continue
            target = rng.choice(targets)
            target.ip = source.ip
            return source, target
        return None

    def _related_label(
        self,
        others: list[GBid],
        planted_bid: str,
        planted_lot: str,
        ip: str,
        *,
        forward: bool = True,
    ) -> tuple[str, str, dict[str, Any], str | None]:
        code = "shared_ip_related_lots"
        firms = names([b.company for b in others])
        if forward:
            text = (
                f"投标人{firms}在本标段的投标文件上传IP地址（{ip}）与同一招标人标段{planted_lot}"
                f"中另一投标人的相同，视为投标人相互串通投标（{RULES[code][1]}）。"
            )
        else:
            text = (
                f"本标段一投标人的投标文件上传IP地址（{ip}）与投标人{firms}在同一招标人此前"
                f"标段中使用的相同，视为投标人相互串通投标（{RULES[code][1]}）。"
            )
        bids = [planted_bid, *(b.external_id for b in others)]
        # `planted`: the lot where the address was given (one per injection, as counted in the
        # stats); the others are later lots where the check finds the same sharing again.
        return code, text, {"bids": bids, "value": ip, "planted": not forward}, None

    def _label(
        self,
        project: GProject,
        lots: list[GLot],
        code: str,
        description: str,
        evidence: dict[str, Any],
        *,
        rule: str | None = None,
        scope: str = "lot",
    ) -> None:
        for lot in lots:
            project.labels.append(
                Label(
                    project_external_id=project.external_id,
                    lot_external_id=lot.external_id,
                    code=code,
                    rule=rule or RULES[code][0],
                    scope=scope,
                    description=description,
                    evidence=evidence,
                )
            )

    def _region(self) -> Region:
        cum = self._region_cum
        return self.lot_regions[bisect.bisect_right(cum, self.rng.random() * cum[-1])]

    def _industry(self) -> str:
        cum = self._industry_cum
        return INDUSTRY_MIX[bisect.bisect_right(cum, self.rng.random() * cum[-1])][0]

    def _category_and_trade(self, industry: str) -> tuple[str, str]:
        rng = self.rng
        if industry == "government_procurement":
            category = "goods" if rng.random() < 0.55 else "services"
            return category, category
        u = rng.random()
        if u < 0.80:
            trade = {"housing_municipal": "building", "transport": "road", "water": "water"}.get(
                industry
            ) or ("building" if rng.random() < 0.5 else "water")
            return "works", trade
        if u < 0.93:
            return "services", "services"
        return "goods", "goods"

    def _amount(self, industry: str, category: str) -> int:
        key = (industry if category == "works" or industry == "government_procurement"
               else "engineering", category)  # fmt: skip
        median, sigma, low, high = AMOUNTS[key]
        wan_value = min(high, max(low, self.rng.lognormvariate(math.log(median), sigma)))
        return round_cents(wan_value * WAN, 10_000)  # to 100 yuan

    def _method(self, industry: str, category: str, amount: int, must: bool) -> str:
        rng = self.rng
        if must or (category == "works" and amount >= SPLIT_FLOOR):
            return "open" if rng.random() < 0.93 else "invited"
        if industry == "government_procurement":
            options: tuple[tuple[str, int], ...] = (
                ("open", 35), ("competitive_consultation", 30), ("inquiry", 25),
                ("competitive_negotiation", 10),
            )  # fmt: skip
        elif category == "works" and amount >= 100 * WAN:
            options = (
                ("open", 55), ("competitive_consultation", 20), ("inquiry", 10), ("invited", 10),
                ("competitive_negotiation", 5),
            )  # fmt: skip
        elif category == "works":
            options = (
                ("open", 30), ("competitive_consultation", 25), ("inquiry", 25), ("direct", 10),
                ("competitive_negotiation", 10),
            )  # fmt: skip
        else:
            options = (
                ("open", 45), ("competitive_consultation", 25), ("inquiry", 20),
                ("competitive_negotiation", 5),
                ("direct", 5 if amount < THRESHOLD[category] // 2 else 0),
            )  # fmt: skip
        return rng.choices([m for m, _w in options], weights=[w for _m, w in options])[0]

    def _code(self, region: Region, industry: str, day: int) -> str:
        year = dt.date.fromordinal(day).year
        key = (region.code, industry, year)
        self._codes[key] = self._codes.get(key, 0) + 1
        head = "HZ" if region.code == vocab.HOME_REGION else region.code
        return f"{head}{INDUSTRY_CODE[industry]}{year}-{self._codes[key]:04d}"

    def _template(
        self, industry: str, category: str, *, split: bool = False
    ) -> tuple[str, tuple[str, ...]]:
        """A project-name template and the words of the tenderers who buy such a thing."""
        if industry == "government_procurement":
            options = vocab.GP_GOODS if category == "goods" else vocab.GP_SERVICES
        else:
            options = vocab.WORKS_NAMES[industry]
            if split:
                options = tuple(o for o in options if "{n}" not in o[0])
        return options[self.rng.randrange(len(options))]

    def _name(
        self, template: str, category: str, industry: str, region: Region, day: int, buyer: Party
    ) -> str:
        rng = self.rng
        home = region.code == vocab.HOME_REGION
        places = vocab.PLACES if home else vocab.COUNTY_STEMS
        p, p2 = rng.sample(places, 2)
        fill = {
            "d": region.name,
            "b": buyer.name.replace(region.prefix, region.name, 1),
            "p": p,
            "p2": p2,
            "r": rng.choice(vocab.ROADS),
            "v": rng.choice(vocab.VILLAGES),
            "s": rng.choice(vocab.SCHOOLS),
            "t": rng.choice(vocab.HOME_TOWNS if home else vocab.OTHER_TOWNS),
            "y": dt.date.fromordinal(day).year,
            "n": rng.randint(1, 3),
        }
        for word in ("镇人民政府", "街道办事处"):  # a town's or a street's own works
            if buyer.name.endswith(word):
                fill["t"] = buyer.name[len(region.prefix) :].removesuffix("人民政府")
        if buyer.name.endswith(("中学", "小学")):
            fill["s"] = buyer.name[len(region.prefix) :]
        base = template.format(**fill)
        if industry != "government_procurement" and category == "services":
            return base + rng.choice(vocab.SERVICE_SUFFIXES)
        if industry != "government_procurement" and category == "goods":
            return base + rng.choice(vocab.GOODS_SUFFIXES)
        return base

    def _tenderer(self, region: Region, industry: str, buyers: tuple[str, ...]) -> Party:
        parties = [p for p in self.population.tenderers(region) if industry in p.industries]
        matching = [p for p in parties if any(word in p.name for word in buyers)]
        parties = matching or parties
        return parties[self.rng.randrange(len(parties))]

    def _funding(self, tenderer: Party, estimate: int) -> tuple[int, int, str]:
        rng = self.rng
        investment = round_cents(estimate * rng.uniform(1.0, 1.25), 10_000)
        if tenderer.kind == "public_body":
            return investment, investment, "财政预算资金"
        if tenderer.kind == "institution":
            budget = round_cents(investment * rng.uniform(0.7, 1.0), 10_000)
            return investment, budget, "财政资金及单位自筹资金"
        budget = (
            round_cents(investment * rng.uniform(0.0, 0.4), 10_000) if rng.random() < 0.6 else 0
        )
        return investment, budget, "国有企业自筹资金及地方政府专项债券"

    # -- the stream -------------------------------------------------------------------------------

    def projects(self) -> Iterator[GProject]:
        i = 0
        while i < self.n_projects:
            day = self.days[i]
            industry = self._industry()
            category, trade = self._category_and_trade(industry)
            region = self._region()
            template, buyers = self._template(industry, category)
            tenderer = self._tenderer(region, industry, buyers)
            group: list[GProject] = []
            if (
                category == "works"
                and industry in ENGINEERING
                and self.n_projects - i >= 2
                and self._draw("split_to_avoid_tendering")
            ):
                group = self._split_group(i, industry, trade, region, tenderer)
            if group:
                for project in group:
                    yield self._finish(project)
                i += len(group)
                continue
            name = self._name(template, category, industry, region, day, tenderer)
            if category == "works":
                name = self._own_works_name(name, template, industry, region, day, tenderer)
            project = self._project(i, day, industry, category, trade, region, tenderer, name)
            yield self._finish(project)
            i += 1

    def _finish(self, project: GProject) -> GProject:
        self.stats.projects += 1
        self.stats.lots += len(project.lots)
        self.stats.bids += sum(len(lot.bids) for lot in project.lots)
        return project

    def _new_project(
        self,
        index: int,
        day: int,
        industry: str,
        category: str,
        trade: str,
        region: Region,
        tenderer: Party,
        estimate: int,
        name: str,
    ) -> GProject:
        rng = self.rng
        must = estimate >= THRESHOLD[category]
        investment, budget, funding = self._funding(tenderer, estimate)
        agency = None
        if rng.random() < 0.85:
            agencies = self.population.agencies(region)
            agency = agencies[rng.randrange(len(agencies))]
        project = GProject(
            index=index,
            external_id=f"TWG{self.seed}-{index + 1:07d}",
            code=self._code(region, industry, day),
            name=name,
            industry=industry,
            category=category,
            trade=trade,
            region=region,
            tenderer=tenderer,
            agency=agency,
            method="",
            estimate=estimate,
            total_investment=investment,
            budget_funds=budget,
            funding_source=funding,
            must_tender=must,
            registered=moment(day, 540 + rng.randint(0, 479)),
        )
        if industry in ENGINEERING and category == "works":
            year = dt.date.fromordinal(day).year
            project.approval_no = f"{region.stem}发改审批〔{year}〕{rng.randint(1, 480)}号"
            project.approved_on = day - rng.randint(15, 120)
        return project

    def _project(
        self,
        index: int,
        day: int,
        industry: str,
        category: str,
        trade: str,
        region: Region,
        tenderer: Party,
        name: str,
    ) -> GProject:
        rng = self.rng
        estimate = self._amount(industry, category)
        project = self._new_project(
            index, day, industry, category, trade, region, tenderer, estimate, name
        )
        not_tendered = project.must_tender and self._draw("not_tendered")
        if not_tendered:
            project.method = "direct"
        else:
            project.method = self._method(industry, category, estimate, project.must_tender)
        if project.approval_no:
            # The approval fixes the method the project is tendered by (an invited tender of a
            # must-tender project is lawful only when approved so, 实施条例 第八条); a project
            # not tendered against the law was approved for open tender.
            project.approved_method = (
                project.method if project.method in TENDER or not project.must_tender else "open"
            )
        big = estimate >= (800 * WAN if category == "works" else 300 * WAN)
        n_lots = 1
        if big and project.competitive:
            n_lots = rng.choices(*zip(*LOTS_PER_PROJECT, strict=True))[0]
        shares = [rng.uniform(0.6, 1.4) for _ in range(n_lots)]
        total = sum(shares)
        amounts = [round_cents(estimate * s / total, 10_000) for s in shares]
        amounts[-1] = max(10_000, estimate - sum(amounts[:-1]))

        if project.competitive:
            self._timeline(project, day)
            self._maybe_clause(project)
            for k, amount in enumerate(amounts, start=1):
                project.lots.append(self._competitive_lot(project, k, amount, n_lots))
        else:
            project.lots.append(self._direct_lot(project, day))
        self._project_labels(project, not_tendered=not_tendered)
        return project

    def _own_works_name(
        self, name: str, template: str, industry: str, region: Region, day: int, buyer: Party
    ) -> str:
        """A works name whose subject the tenderer has not used before. Two works of one
        tenderer on the same subject, both below the threshold and not tendered, are what
        16号令 第五条第二款 calls a split: only the labelled splits may look like one. The
        subject is the name's stem as the split rule reads it (phase and lot markers dropped)."""
        used = self._works_stems.setdefault(buyer.uscc, set())
        for _retry in range(8):
            if subject_stem(name) not in used:
                break
            name = self._name(template, "works", industry, region, day, buyer)
        else:
            base = name
            name = next(
                candidate
                for candidate in itertools.chain(
                    (base + extra for extra in vocab.WORKS_NAME_EXTRAS),
                    (f"{base}（第{k}项）" for k in itertools.count(2)),
                )
                if subject_stem(candidate) not in used
            )
        used.add(subject_stem(name))
        return name

    def _split_group(
        self, index: int, industry: str, trade: str, region: Region, tenderer: Party
    ) -> list[GProject]:
        """化整为零: one tenderer's works, each just below 400万, within a few weeks, none
        tendered, together at or above the threshold (16号令 第五条第二款)."""
        rng = self.rng
        size = min(rng.choices((2, 3, 4), weights=(45, 35, 20))[0], self.n_projects - index)
        day = self.days[index]
        projects = []
        options = [
            t
            for t in vocab.WORKS_NAMES[industry]
            if "{n}" not in t[0] and any(word in tenderer.name for word in t[1])
        ] or [self._template(industry, "works", split=True)]
        template = options[rng.randrange(len(options))][0]
        base_name = self._name(template, "works", industry, region, day, tenderer)
        base_name = self._own_works_name(base_name, template, industry, region, day, tenderer)
        for j in range(size):
            if j:
                day = min(self.calendar.on_or_after(day + rng.randint(3, 15)), self.end_day)
                day = self.calendar.on_or_before(day)
            estimate = round_cents(rng.randint(300 * WAN, 399 * WAN + WAN // 2), 10_000)
            name = f"{base_name}（{'一二三四'[j]}期）"
            project = self._new_project(
                index + j, day, industry, "works", trade, region, tenderer, estimate, name
            )
            project.method = rng.choices(
                ("competitive_consultation", "inquiry", "direct"), weights=(40, 30, 30)
            )[0]
            project.approved_method = project.method
            if project.competitive:
                self._timeline(project, day)
                self._maybe_clause(project)
                project.lots.append(self._competitive_lot(project, 1, estimate, 1))
            else:
                project.lots.append(self._direct_lot(project, day))
            self._project_labels(project, not_tendered=False)
            projects.append(project)
        total = sum(p.estimate for p in projects)
        first, last = day_of(projects[0].registered), day_of(projects[-1].registered)
        evidence = {
            "group": projects[0].external_id,
            "tenderer": tenderer.uscc,
            "projects": [p.external_id for p in projects],
            "amounts": [p.estimate / 100 for p in projects],
            "methods": [p.method for p in projects],
            "total": total / 100,
            "threshold": THRESHOLD["works"] / 100,
            "first_registered": dt.date.fromordinal(first).isoformat(),
            "last_registered": dt.date.fromordinal(last).isoformat(),
        }
        pieces = "、".join(f"{p.code}（{wan(p.estimate)}）" for p in projects)
        description = (
            f"招标人{tenderer.name}于{day_text(first)}至{day_text(last)}间将“{base_name}”拆分为"
            f"{size}个项目：{pieces}，单项估算价均低于400万元，合计{wan(total)}，达到必须招标标准，"
            f"均未招标（{RULES['split_to_avoid_tendering'][1]}）。"
        )
        for project in projects:
            self._label(
                project,
                project.lots,
                "split_to_avoid_tendering",
                description,
                evidence,
                scope="project",
            )
        return projects

    # -- timeline of the tender stage --------------------------------------------------------------

    def _timeline(self, project: GProject, day: int) -> None:
        rng, cal = self.rng, self.calendar
        announce_day = cal.add_workdays(day, rng.randint(1, 8))
        project.announced = moment(announce_day, 540 + rng.randint(0, 60))
        project.documents_issued = project.announced + rng.randint(0, 30) * 60
        violations: list[tuple[str, str, dict[str, Any]]] = []
        if project.tendered:
            short = project.must_tender and self._draw("short_bidding_period")
            if short:
                deadline_day = cal.pick(rng, announce_day + 10, announce_day + 19)
                assert deadline_day is not None
            else:
                deadline_day = cal.on_or_after(announce_day + rng.randint(20, 28))
            project.sale_end = moment(cal.on_or_after(announce_day + rng.randint(5, 7)), 1020)
        else:
            short = False
            deadline_day = cal.on_or_after(announce_day + rng.randint(10, 16))
        project.deadline = moment(deadline_day, rng.choice((540, 570, 870)))
        period = deadline_day - announce_day
        if short:
            violations.append(
                (
                    "short_bidding_period",
                    f"招标文件于{day_text(announce_day)}开始发出，投标截止时间为"
                    f"{day_text(deadline_day)}，间隔仅{period}日，少于20日"
                    f"（{RULES['short_bidding_period'][1]}）。",
                    {
                        "documents_issued": dt.date.fromordinal(announce_day).isoformat(),
                        "bid_deadline": dt.date.fromordinal(deadline_day).isoformat(),
                        "days": period,
                        "minimum": 20,
                    },
                )
            )
        if project.tendered:
            late = project.must_tender and self._draw("late_clarification")
            clarification_day = None
            if late:
                clarification_day = cal.pick(
                    rng, max(announce_day + 1, deadline_day - 14), deadline_day - 3
                )
                if clarification_day is None:  # pragma: no cover — the window always has days
                    self.stats.injected["late_clarification"] -= 1
                    late = False
            elif rng.random() < 0.3:
                clarification_day = cal.pick(rng, announce_day + 1, deadline_day - 15)
            if clarification_day is not None:
                project.clarification = moment(clarification_day, 600 + rng.randint(0, 360))
            if late and clarification_day is not None:
                before = deadline_day - clarification_day
                violations.append(
                    (
                        "late_clarification",
                        f"{day_text(clarification_day)}发出实质性澄清修改（调整工程量清单及技术要求），"
                        f"距投标截止时间{day_text(deadline_day)}仅{before}日，不足15日且未顺延"
                        f"投标截止时间（{RULES['late_clarification'][1]}）。",
                        {
                            "clarification": dt.date.fromordinal(clarification_day).isoformat(),
                            "bid_deadline": dt.date.fromordinal(deadline_day).isoformat(),
                            "days_before_deadline": before,
                            "minimum": 15,
                        },
                    )
                )
        project.pending = violations

    def _maybe_clause(self, project: GProject) -> None:
        if not self._draw("discriminatory_clause"):
            return
        rng = self.rng
        kinds = list(CLAUSES)
        if project.category == "services":
            kinds.remove("named_brand")
        kind = rng.choice(kinds)
        _rule, template, _law = CLAUSES[kind]
        region = project.region
        capital_wan = max(5000, (project.estimate // WAN) * 10 // 1000 * 1000)
        text = template.format(
            district=region.name,
            city=region.city,
            brand=rng.choice(vocab.BRANDS),
            bank=f"{region.name}农村商业银行",
            capital=capital_wan,
        )
        project.clause = (kind, CLAUSE_NUMBER[kind], text)

    def _project_labels(self, project: GProject, *, not_tendered: bool) -> None:
        for code, description, evidence in project.pending:
            self._label(project, project.lots, code, description, evidence, scope="project")
        if project.clause is not None:
            kind, number, text = project.clause
            rule, _template, law = CLAUSES[kind]
            self._label(
                project,
                project.lots,
                "discriminatory_clause",
                f"招标文件第{number}条“{text}”属于以不合理条件限制、排斥潜在投标人（{law}）。",
                {"clause_kind": kind, "clause_number": number, "clause": text},
                rule=rule,
                scope="project",
            )
        if not_tendered:
            lot = project.lots[0]
            assert lot.supplier is not None and lot.contract is not None
            category = project.category
            word = {"works": "施工", "goods": "货物", "services": "服务"}[category]
            self._label(
                project,
                project.lots,
                "not_tendered",
                f"{word}单项合同估算价{wan(project.estimate)}，达到"
                f"{wan(THRESHOLD[category])}的必须招标标准，使用国有资金，却未招标，"
                f"于{day_text(day_of(lot.contract))}直接与{lot.supplier.name}签订合同"
                f"（{MUST_ARTICLE[category]}）。",
                {
                    "category": category,
                    "estimate": project.estimate / 100,
                    "threshold": THRESHOLD[category] / 100,
                    "method": project.method,
                    "supplier": lot.supplier.uscc,
                },
                rule=MUST_RULE[category],
                scope="project",
            )

    # -- lots --------------------------------------------------------------------------------------

    def _direct_lot(self, project: GProject, day: int) -> GLot:
        rng, cal = self.rng, self.calendar
        lot = GLot(
            external_id=f"{project.external_id}-L1",
            number=f"{project.code}-001",
            name=project.name,
            estimate=project.estimate,
            ceiling=None,
            security=None,
        )
        supplier = self.population.draw_bidders(rng, project.trade, project.region, 1, set())
        lot.supplier = supplier[0]
        contract_day = cal.pick(rng, day + 10, day + 40)
        assert contract_day is not None
        lot.contract = moment(contract_day, 540 + rng.randint(0, 480))
        lot.duration_days = self._duration(project)
        lot.performance_security = self._performance_security(lot.estimate)
        return lot

    def _duration(self, project: GProject) -> int:
        rng = self.rng
        if project.category == "works":
            return int(min(720, 60 + project.estimate // WAN // 4 + rng.randint(0, 120)) // 10 * 10)
        if project.category == "goods":
            return rng.choice((30, 45, 60, 90))
        return rng.choice((90, 180, 365))

    def _performance_security(self, amount: int) -> int | None:
        # 实施条例 第五十八条: at most 10% of the contract amount.
        if self.rng.random() < 0.3:
            return None
        return amount * self.rng.choice((5, 10)) // 100 // 10_000 * 10_000 or None

    def _competitive_lot(self, project: GProject, k: int, estimate: int, n_lots: int) -> GLot:
        rng = self.rng
        assert project.deadline is not None and project.documents_issued is not None
        works = project.category == "works"
        lot = GLot(
            external_id=f"{project.external_id}-L{k}",
            number=f"{project.code}-{k:03d}",
            name=(
                f"{project.name}{'施工' if works else ''}第{k}标段" if n_lots > 1 else project.name
            ),
            estimate=estimate,
            ceiling=round_cents(estimate * rng.uniform(0.93, 1.0), 10_000),
            security=None,
            committee_size=7 if estimate >= 1000 * WAN or rng.random() < 0.2 else 5,
        )
        lot_labels: list[tuple[str, str, dict[str, Any], str | None]] = []
        tendered = project.tendered

        # 投标保证金 — 实施条例 第二十六条: at most 2% of the estimate; works at most 80万
        # (工程建设项目施工招标投标办法 第三十七条).
        if tendered:
            if self._draw("excessive_bid_security"):
                if works and estimate > 4000 * WAN and rng.random() < 0.5:
                    security = round_cents(rng.uniform(85, 150) * WAN, 1_000_000)
                    security = min(security, estimate * 2 // 100 // 100_000 * 100_000)
                    security = max(security, WORKS_SECURITY_CAP + 1_000_000)
                    lot_labels.append(
                        (
                            "excessive_bid_security",
                            f"施工招标投标保证金{yuan(security)}，超过80万元的上限"
                            f"（工程建设项目施工招标投标办法第三十七条）。",
                            {"security": security / 100, "estimate": estimate / 100, "cap": 800000},
                            "TD-09b",
                        )
                    )
                else:
                    share = rng.uniform(0.023, 0.05)
                    security = -(-int(estimate * share) // 100_000) * 100_000  # up to 1,000 yuan
                    lot_labels.append(
                        (
                            "excessive_bid_security",
                            f"投标保证金{yuan(security)}，为估算价{yuan(estimate)}的"
                            f"{security * 100 / estimate:.2f}%，超过2%"
                            f"（{RULES['excessive_bid_security'][1]}）。",
                            {
                                "security": security / 100,
                                "estimate": estimate / 100,
                                "share": round(security / estimate, 5),
                            },
                            "TD-09",
                        )
                    )
                lot.security = security
            elif rng.random() < 0.8:
                share_bp = rng.choice((50, 100, 150, 200))  # basis points of the estimate
                security = estimate * share_bp // 10_000 // 100_000 * 100_000
                if works:
                    security = min(security, WORKS_SECURITY_CAP)
                lot.security = security or None

        # How many bid, and whether they collude on price.
        few = tendered and self._draw("fewer_than_three_bids")
        pattern = ""
        ring: Ring | None = None
        if not few:
            u = rng.random()
            ring_rate = 0.0
            market_rings = None
            if project.trade in WORKS_TRADES:
                self.stats.eligible["bid_rotation"] += 1
                ring_rate = self.rates["bid_rotation"]
                market_rings = self.rings.get((project.trade, project.region.code))
            self.stats.eligible["cover_bidding"] += 1
            self.stats.eligible["regular_price_differences"] += 1
            p_ring = min(0.9, ring_rate / self._ring_coverage) if market_rings else 0.0
            cover, regular = self.rates["cover_bidding"], self.rates["regular_price_differences"]
            if market_rings and u < p_ring:
                pattern = "bid_rotation"
                ring = market_rings[rng.randrange(len(market_rings))]
            elif p_ring <= u < p_ring + cover:
                pattern = "cover_bidding"
            elif p_ring + cover <= u < p_ring + cover + regular:
                pattern = "regular_price_differences"
            if pattern:
                self.stats.injected[pattern] += 1

        if few:
            n = 2 if rng.random() < 0.7 else 1
        elif works:
            n = rng.choices(BIDS_WORKS, weights=BIDS_WORKS_W)[0]
        else:
            n = rng.choices(BIDS_OTHER, weights=BIDS_OTHER_W)[0]
        if ring is not None:
            companies = list(ring.members)
            outsiders = rng.choice((0, 0, 1, 1, 2))
            companies += self.population.draw_bidders(
                rng, project.trade, project.region, outsiders, {c.index for c in companies}
            )
        else:
            companies = self.population.draw_bidders(rng, project.trade, project.region, n, set())

        deadline = project.deadline
        earliest = project.documents_issued + 86400
        assert lot.ceiling is not None
        ceiling = lot.ceiling
        mu = 0.955 - 0.006 * (len(companies) - 3)
        # The per-bid work is the bulk of a national run: plain random() draws, no randint.
        rand, bits = rng.random, rng.getrandbits
        for j, company in enumerate(companies, start=1):
            ratio = _honest_ratio(rng, mu)
            ips, authors, managers = company.ips, company.authors, company.managers
            lot.bids.append(
                GBid(
                    external_id=f"{lot.external_id}-B{j:02d}",
                    company=company,
                    price=int(ceiling * ratio),
                    submitted=max(earliest, deadline - 600 - int(rand() * 258_600)),  # ≤ 72 h
                    ip=ips[int(rand() * len(ips))],
                    mac=company.mac,
                    hardware_id=company.hardware_id,
                    machine=company.machine,
                    ca_key=company.ca_key,
                    author=authors[int(rand() * len(authors))],
                    software=company.software,
                    account=company.account,
                    bank=company.bank,
                    manager=managers[int(rand() * len(managers))],
                    file_hash=f"{bits(256):064x}",
                )
            )
        bids = lot.bids
        designated: GBid | None = None
        colluders: list[GBid] = []
        if pattern == "bid_rotation" and ring is not None:
            members = bids[: len(ring.members)]
            designated = members[ring.turn % len(members)]
            ring.turn += 1
            win_ratio = rng.uniform(0.88, 0.94)
            designated.price = int(ceiling * win_ratio)
            for bid in members:
                if bid is not designated:
                    bid.price = int(ceiling * rng.uniform(0.975, 0.997))
            for bid in bids[len(members) :]:
                bid.price = max(bid.price, int(ceiling * (win_ratio + rng.uniform(0.02, 0.04))))
                bid.price = min(bid.price, int(ceiling * 0.998))
            colluders = members
            lot_labels.append(
                (
                    "bid_rotation",
                    f"围标圈R{ring.number}（{names(ring.members)}）在{project.region.name}"
                    f"{_trade_word(ring.trade)}市场轮流中标：本标段由{designated.company.name}"
                    f"以最高投标限价的{designated.price / ceiling:.1%}中标（该圈第{ring.turn}次），"
                    f"其余成员报价均在限价的97.5%以上陪标（{RULES['bid_rotation'][1]}；"
                    f"职业化串标画像 BO-12）。",
                    {
                        "ring": ring.number,
                        "members": [c.uscc for c in ring.members],
                        "winner": designated.company.uscc,
                        "winner_bid": designated.external_id,
                        "turn": ring.turn,
                        "bids": [b.external_id for b in members],
                    },
                    None,
                )
            )
        elif pattern == "cover_bidding":
            designated = bids[rng.randrange(len(bids))]
            designated.price = int(ceiling * rng.uniform(0.86, 0.93))
            base = rng.uniform(0.984, 0.990)
            for bid in bids:
                if bid is not designated:
                    bid.price = int(ceiling * (base + rng.uniform(0, 0.006)))
            colluders = list(bids)
            losers = [b.price / ceiling for b in bids if b is not designated]
            lot_labels.append(
                (
                    "cover_bidding",
                    f"中标人{designated.company.name}报价为最高投标限价的"
                    f"{designated.price / ceiling:.1%}，其余{len(losers)}家报价集中在"
                    f"{min(losers):.1%}至{max(losers):.1%}之间，明显高于中标价，呈陪标特征"
                    f"（{RULES['cover_bidding'][1]}）。",
                    {
                        "winner_bid": designated.external_id,
                        "winner_ratio": round(designated.price / ceiling, 5),
                        "cover_bids": [b.external_id for b in bids if b is not designated],
                        "cover_ratios": [round(r, 5) for r in losers],
                    },
                    None,
                )
            )
        elif pattern == "regular_price_differences":
            m = min(len(bids), rng.choice((3, 3, 4)))
            colluders = rng.sample(bids, m)
            base = int(ceiling * rng.uniform(0.88, 0.94))
            if rng.random() < 0.5:
                step = round_cents(ceiling * rng.uniform(0.004, 0.012), 10_000)
                while base + step * (m - 1) > ceiling * 0.999:
                    base -= step
                for j, bid in enumerate(colluders):
                    bid.price = base + step * j
                kind, detail = "step", {"step": step / 100}
                wording = f"相邻报价差额均为{yuan(step)}（等差）"
            else:
                r = rng.choice((1.005, 1.008, 1.01, 1.015, 1.02))
                while round(base * r ** (m - 1)) > ceiling * 0.999:
                    base = int(base * 0.98)
                for j, bid in enumerate(colluders):
                    bid.price = round(base * r**j)
                kind, detail = "ratio", {"ratio": r}
                wording = f"相邻报价之比均为{r}（等比）"
            prices = "、".join(yuan(b.price) for b in colluders)
            lot_labels.append(
                (
                    "regular_price_differences",
                    f"投标人{names([b.company for b in colluders])}的报价依次为{prices}，"
                    f"{wording}，报价呈规律性差异（{RULES['regular_price_differences'][1]}）。",
                    {
                        "bids": [b.external_id for b in colluders],
                        "prices": [b.price / 100 for b in colluders],
                        "kind": kind,
                        **detail,
                    },
                    None,
                )
            )

        if not pattern:
            # Keep honest lots clear of the cover-bidding shape (the lowest bid far below, all
            # the others crowded just under the ceiling), which only the injection may make.
            for _ in range(20):
                if not looks_like_cover([b.price for b in bids], ceiling):
                    break
                for bid in bids:
                    bid.price = int(ceiling * _honest_ratio(rng, mu))

        # Shared fingerprints (实施条例 第四十条): two or three bidders of the lot.
        if len(bids) >= 2:
            for code in FINGERPRINTS:
                if code == "shared_security_account" and not lot.security:
                    continue  # no security paid, no account to share
                if not self._draw(code):
                    continue
                m = 3 if len(bids) >= 3 and rng.random() < 0.3 else 2
                group = rng.sample(bids, m)
                source = group[0]
                for bid in group[1:]:
                    _share(code, source, bid)
                    if code in ("shared_ip", "shared_mac"):
                        bid.submitted = min(deadline - 60, source.submitted + rng.randint(60, 1800))
                value = _fingerprint(code, source)
                what = FINGERPRINT_WORDS[code]
                lot_labels.append(
                    (
                        code,
                        f"投标人{names([b.company for b in group])}的{what}相同（{value}），"
                        f"视为投标人相互串通投标（{RULES[code][1]}）。",
                        {"bids": [b.external_id for b in group], "value": value},
                        None,
                    )
                )

        # A few bids of clean lots fail the formal review.
        if not lot_labels and len(bids) >= 4:
            for bid in bids:
                if rng.random() < 0.015 and sum(b.status == "valid" for b in bids) > 3:
                    bid.status = "rejected"
                    bid.rejection = rng.choice(REJECTIONS)
                    if bid.rejection == REJECTIONS[3]:
                        bid.price = int(ceiling * rng.uniform(1.001, 1.02))

        self._evaluate(lot, project, designated, colluders, pattern)
        if bids and deadline is not None:  # after every draw of the main stream
            lot_labels += self._related_lots(project, lot, deadline, {c for c, *_ in lot_labels})
        if pattern in ("bid_rotation", "cover_bidding") and lot.winner is not designated:
            raise AssertionError("the designated winner must win")  # pragma: no cover

        if few:
            lot_labels.append(
                (
                    "fewer_than_three_bids",
                    f"仅{len(bids)}家投标人递交投标文件，少于3家，招标人仍开标并确定"
                    f"{lot.winner.company.name if lot.winner else ''}为中标人，未依法重新招标"
                    f"（{RULES['fewer_than_three_bids'][1]}）。",
                    {"bids_received": len(bids), "minimum": 3},
                    None,
                )
            )
        lot_labels += self._award_timeline(project, lot)
        for code, description, evidence, rule in lot_labels:
            self._label(project, [lot], code, description, evidence, rule=rule)
        return lot

    def _evaluate(
        self,
        lot: GLot,
        project: GProject,
        designated: GBid | None,
        colluders: list[GBid],
        pattern: str,
    ) -> None:
        rng = self.rng
        works = project.category == "works"
        comprehensive = rng.random() < (0.6 if works else 0.5)
        lot.evaluation_method = "comprehensive" if comprehensive else "lowest"
        valid = [b for b in lot.bids if b.status == "valid"]
        low = min(b.price for b in valid)
        for bid in valid:
            if comprehensive:
                if designated is not None and bid is designated:
                    bid.technical = rng.randint(2700, 3000)
                    bid.commercial = rng.randint(900, 1000)
                elif designated is not None:
                    bid.technical = rng.randint(1800, 2500 if bid in colluders else 2700)
                    bid.commercial = rng.randint(500, 900)
                else:
                    bid.technical = rng.randint(1800, 3000)
                    bid.commercial = rng.randint(500, 1000)
                bid.price_score = round(6000 * low / bid.price)
                bid.total = bid.technical + bid.commercial + bid.price_score
            else:
                bid.price_score = round(10000 * low / bid.price)
                bid.total = bid.price_score
        order = sorted(valid, key=lambda b: (-(b.total or 0), b.price, b.external_id))
        for rank, bid in enumerate(order, start=1):
            bid.rank = rank
        lot.winner = order[0]

    def _award_timeline(
        self, project: GProject, lot: GLot
    ) -> list[tuple[str, str, dict[str, Any], str | None]]:
        rng, cal = self.rng, self.calendar
        assert project.deadline is not None and lot.winner is not None
        out: list[tuple[str, str, dict[str, Any], str | None]] = []
        deadline_day = day_of(project.deadline)
        lot.opening = project.deadline  # 招标投标法 第三十四条: opening at the deadline
        lot.evaluation_start = project.deadline + 1800
        report_day = deadline_day if rng.random() < 0.75 else cal.next_workday(deadline_day)
        lot.report = max(moment(report_day, 960 + rng.randint(0, 150)), lot.evaluation_start + 3600)
        must = project.must_tender and project.tendered
        if project.tendered:
            # 实施条例 第五十四条: published within 3 days of the report, for at least 3 days.
            following = cal.next_workday(report_day)
            start_day = following if following - report_day <= 3 else report_day + 1
            lot.publicity_start = moment(start_day, 540 + rng.randint(0, 60))
            if must and self._draw("short_publicity"):
                end_day = start_day + rng.randint(1, 2)
                out.append(
                    (
                        "short_publicity",
                        f"中标候选人公示自{day_text(start_day)}起至{day_text(end_day)}止，"
                        f"公示期仅{end_day - start_day}日，少于3日"
                        f"（{RULES['short_publicity'][1]}）。",
                        {
                            "publicity_start": dt.date.fromordinal(start_day).isoformat(),
                            "publicity_end": dt.date.fromordinal(end_day).isoformat(),
                            "days": end_day - start_day,
                            "minimum": 3,
                        },
                        None,
                    )
                )
            else:
                extra = 0 if rng.random() < 0.7 else rng.randint(1, 2)
                end_day = cal.on_or_after(start_day + 3 + extra)
            lot.publicity_end = moment(end_day, 1050)
            award_day = cal.add_workdays(end_day, rng.randint(1, 3))
        else:
            award_day = cal.add_workdays(report_day, rng.randint(1, 3))
        lot.award = moment(award_day, 540 + rng.randint(0, 120))

        # 招标投标法 第四十六条: the contract within 30 days of the award notice.
        if must and self._draw("late_contract"):
            # Late even after the last day rolls past a holiday (民法典 第二百零三条).
            late_from = cal.on_or_after(award_day + 30) + 1
            contract_day = cal.pick(rng, late_from, late_from + 44)
            assert contract_day is not None
            out.append(
                (
                    "late_contract",
                    f"中标通知书于{day_text(award_day)}发出，合同于{day_text(contract_day)}签订，"
                    f"间隔{contract_day - award_day}日，超过30日（{RULES['late_contract'][1]}）。",
                    {
                        "award_notice": dt.date.fromordinal(award_day).isoformat(),
                        "contract_signed": dt.date.fromordinal(contract_day).isoformat(),
                        "days": contract_day - award_day,
                        "maximum": 30,
                    },
                    None,
                )
            )
        else:
            contract_day = cal.pick(
                rng, award_day + 3, award_day + (30 if project.tendered else 25)
            )
            assert contract_day is not None
        lot.contract = moment(contract_day, 540 + rng.randint(0, 480))

        # 招标投标法 第四十七条: a written report to the supervisor within 15 days.
        if project.tendered:
            if must and self._draw("late_written_report"):
                late_from = cal.on_or_after(award_day + 15) + 1
                report_to = cal.pick(rng, late_from, late_from + 29)
                assert report_to is not None
                out.append(
                    (
                        "late_written_report",
                        f"中标人于{day_text(award_day)}确定，招标人于{day_text(report_to)}才向"
                        f"行政监督部门提交招标投标情况书面报告，间隔{report_to - award_day}日，"
                        f"超过15日（{RULES['late_written_report'][1]}）。",
                        {
                            "award_notice": dt.date.fromordinal(award_day).isoformat(),
                            "written_report": dt.date.fromordinal(report_to).isoformat(),
                            "days": report_to - award_day,
                            "maximum": 15,
                        },
                        None,
                    )
                )
            else:
                report_to = cal.pick(rng, award_day + 2, award_day + 15)
                assert report_to is not None
            lot.written_report = moment(report_to, 540 + rng.randint(0, 480))
        if lot.security:
            # 实施条例 第五十七条: refunded within 5 days of the contract.
            lot.refund = moment(contract_day + rng.randint(1, 5), 600 + rng.randint(0, 360))
        lot.duration_days = self._duration(project)
        lot.performance_security = self._performance_security(lot.winner.price)
        return out


def _honest_ratio(rng: random.Random, mu: float) -> float:
    """A competitive bid as a share of the ceiling: normal around `mu`, kept within 82%–99.5%
    without piling up at the bounds (two honest bids at the same price would be a red flag)."""
    ratio = rng.gauss(mu, 0.025)
    if ratio > 0.995:
        return 0.995 - rng.random() * 0.02
    if ratio < 0.82:
        return 0.82 + rng.random() * 0.02
    return ratio


def looks_like_cover(prices: list[int], ceiling: int) -> bool:
    """Cover bidding's shape: the lowest bid at most 93% of the ceiling, every other one at
    least 98.4% of it (three bids or more)."""
    if len(prices) < 3:
        return False
    ordered = sorted(prices)
    return ordered[0] <= ceiling * 0.93 and ordered[1] >= ceiling * 0.984


RELATED_WINDOW = 180 * 86400  # the related-lot check's window (screening Params.window_days)
RELATED_PLANT_WINDOW = 170 * 86400  # planted well inside it
RELATED_KEEP = 100  # lots remembered per tenderer

FINGERPRINTS = (
    "shared_ip",
    "shared_mac",
    "shared_ca_key",
    "shared_file_author",
    "shared_security_account",
    "shared_project_manager",
)
FINGERPRINT_WORDS = {
    "shared_ip": "投标文件上传IP地址",
    "shared_mac": "投标文件制作机器网卡MAC地址及硬件特征码",
    "shared_ca_key": "CA数字证书（加密锁）",
    "shared_file_author": "投标文件编制人（文件作者）",
    "shared_security_account": "投标保证金转出账户",
    "shared_project_manager": "拟派项目经理",
}


def _share(code: str, source: GBid, bid: GBid) -> None:
    if code == "shared_ip":
        bid.ip = source.ip
    elif code == "shared_mac":
        bid.mac, bid.hardware_id, bid.machine = source.mac, source.hardware_id, source.machine
    elif code == "shared_ca_key":
        bid.ca_key = source.ca_key
    elif code == "shared_file_author":
        bid.author, bid.software = source.author, source.software
    elif code == "shared_security_account":
        bid.account, bid.bank = source.account, source.bank
    elif code == "shared_project_manager":
        bid.manager = source.manager


def _fingerprint(code: str, bid: GBid) -> str:
    if code == "shared_project_manager":
        assert bid.manager is not None
        return f"{bid.manager.name} {bid.manager.certificate_no}"
    return {
        "shared_ip": bid.ip,
        "shared_mac": bid.mac,
        "shared_ca_key": bid.ca_key,
        "shared_file_author": bid.author,
        "shared_security_account": bid.account,
    }[code]


def _trade_word(trade: str) -> str:
    return {"building": "房建市政", "road": "交通", "water": "水利"}.get(trade, trade)
