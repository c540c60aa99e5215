"""Who takes part: regions, bidding companies, tenderers, agencies and experts.

The population is drawn once from the master seed before any project, so a company has the same
name, USCC, project managers and machine fingerprints in every lot it bids for: repeat bidders
look like the same firm each time, as on a real platform. Honest companies never share an IP
address, MAC address, machine, CA key, bid-file author or bank account with another company;
only the injected violations make bidders share them.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import itertools
import random
from dataclasses import dataclass, field

from tenderwatch.generator import vocab
from tenderwatch.ledger.identifiers import USCC_CHARSET, make_uscc

MUNICIPALITIES = ("北京", "天津", "上海", "重庆")
TRADES = ("building", "road", "water", "goods", "services")
TRADE_SHARES = (38, 12, 10, 22, 18)
WORKS_TRADES = ("building", "road", "water")


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str  # the county-level division: 黄州区
    city: str  # 黄冈
    province: str  # two digits
    province_name: str  # 湖北
    short: str  # 鄂 (certificates, plates)
    weight: float

    @property
    def prefix(self) -> str:
        """How its public bodies are named: 黄冈市黄州区, 麻城市 (a county-level city)."""
        if self.name.endswith("市") or self.name.startswith(self.city):
            return self.name
        return f"{self.city}市{self.name}"

    @property
    def stem(self) -> str:
        """The county name without its 区/县/市 (黄州), for company names."""
        for suffix in ("土家族自治县", "林区", "区", "县", "市"):
            if self.name.endswith(suffix) and len(self.name) > len(suffix) + 1:
                return self.name[: -len(suffix)]
        return self.name


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    certificate_no: str
    id_number: str
    registration_type: str
    valid_to: dt.date


@dataclass(slots=True)
class Company:
    index: int
    uscc: str
    name: str
    trade: str
    region: Region
    legal_representative: str
    address: str
    phone: str
    capital: int  # yuan
    established: dt.date
    qualification: tuple[str, str, str, str] | None  # category, grade, certificate, issued by
    managers: tuple[Person, ...]
    ips: tuple[str, ...]
    mac: str
    hardware_id: str
    machine: str
    ca_key: str
    authors: tuple[str, ...]
    software: str
    account: str
    bank: str
    contact: str
    mobile: str
    weight: float


@dataclass(slots=True)
class Party:
    """A tenderer (招标人) or an agency (招标代理机构)."""

    uscc: str
    name: str
    kind: str  # EntityKind value
    region: Region
    legal_representative: str
    address: str
    phone: str
    industries: tuple[str, ...] = ()


@dataclass(slots=True)
class Pool:
    ids: list[int] = field(default_factory=list)
    cum: list[float] = field(default_factory=list)

    def add(self, index: int, weight: float) -> None:
        self.ids.append(index)
        self.cum.append((self.cum[-1] if self.cum else 0.0) + weight)

    def draw(self, rng: random.Random) -> int:
        return self.ids[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


# -- names and numbers ------------------------------------------------------------------------

_SURNAME_CUM = list(itertools.accumulate(vocab.SURNAME_WEIGHTS))


def person_name(rng: random.Random) -> str:
    surname = vocab.SURNAMES[bisect.bisect_right(_SURNAME_CUM, rng.random() * _SURNAME_CUM[-1])]
    given = vocab.GIVEN_CHARS
    if rng.random() < 0.72:
        return surname + given[rng.randrange(len(given))] + given[rng.randrange(len(given))]
    return surname + given[rng.randrange(len(given))]


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(rng: random.Random, region: str) -> str:
    """A resident identity number of the GB 11643 form, with its check character."""
    born = dt.date(rng.randint(1962, 1995), rng.randint(1, 12), rng.randint(1, 28))
    body = f"{region}{born:%Y%m%d}{rng.randint(1, 999):03d}"
    total = sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def new_uscc(rng: random.Random, prefix: str, region: str, taken: set[str]) -> str:
    """A valid USCC (GB 32100-2015) not yet taken: 登记管理部门+机构类别, region, body."""
    while True:
        if prefix == "91" and rng.random() < 0.7:  # newer companies: MA + 7 characters
            body = "MA4" + "".join(rng.choice(USCC_CHARSET) for _ in range(6))
        else:
            body = "".join(rng.choice("0123456789") for _ in range(8)) + rng.choice(USCC_CHARSET)
        code = make_uscc(prefix + region + body)
        if code not in taken:
            taken.add(code)
            return code


def _weighted(rng: random.Random, items: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([i for i, _w in items], weights=[w for _i, w in items])[0]


def _province(region: Region) -> str:
    """湖北省; 北京 (a municipality is named once, with its city: 北京北京市 reads 北京市)."""
    return "" if region.province_name in MUNICIPALITIES else f"{region.province_name}省"


def _area_code(region: Region) -> str:
    if region.city == "黄冈":
        return "0713"
    if region.city == "武汉":
        return "027"
    return (
        f"07{int(region.code[2:4]) + 10:02d}" if region.province == "42" else "0" + region.code[:3]
    )


# -- regions ----------------------------------------------------------------------------------


def hubei_regions() -> list[Region]:
    out = []
    for code, name, city in vocab.HUBEI_REGIONS:
        weight = 2.0 if city == "武汉" else 1.0
        if code.endswith(("02", "03", "04", "05", "06", "07")) and city != "武汉":
            weight = 1.3  # city districts
        out.append(Region(code, name, city, "42", "湖北", "鄂", weight))
    return out


def other_regions() -> list[Region]:
    """Counties of the other provinces: real province and city codes, county codes 02–07."""
    out = []
    for pcode, pname, short, cities in vocab.PROVINCES:
        if pcode == "42":
            continue
        for ccode, cname in cities:
            for k in range(6):
                stem = vocab.COUNTY_STEMS[(int(ccode) * 7 + k * 3 + int(pcode)) % 20]
                suffix = vocab.COUNTY_SUFFIXES[k % 3]
                out.append(
                    Region(
                        f"{pcode}{ccode}{k + 2:02d}", stem + suffix, cname, pcode, pname, short, 1.0
                    )
                )
    return out


# -- the population ---------------------------------------------------------------------------


class Population:
    """Companies, tenderers, agencies and the expert pool of one generation run."""

    def __init__(
        self,
        rng: random.Random,
        *,
        market: str,
        companies: int,
        lot_regions: list[Region],
    ) -> None:
        self.market = market
        self.lot_regions = lot_regions
        self._taken_uscc: set[str] = set()
        self._taken: set[str] = set()  # names, IPs, MACs, machines, keys, accounts, authors
        hubei = hubei_regions()
        others = other_regions()
        home_regions: list[Region]
        home_weights: list[float]
        if market == "district":
            home = [r for r in hubei if r.code == vocab.HOME_REGION]
            rest = [r for r in hubei if r.code != vocab.HOME_REGION]
            home_regions = home + rest + others
            rest_w = [3.0 if r.city == "黄冈" else 2.0 if r.city == "武汉" else 0.4 for r in rest]
            other_w = [3.0 if r.province in vocab.NEIGHBOURS_OF_HUBEI else 1.0 for r in others]
            home_weights = (
                [45.0]
                + [40.0 * w / sum(rest_w) for w in rest_w]
                + [15.0 * w / sum(other_w) for w in other_w]
            )
            self.shares = (0.5, 0.35)  # local, same province; the rest from anywhere
        elif market == "province":
            home_regions = hubei + others
            hubei_w = [r.weight for r in hubei]
            other_w = [3.0 if r.province in vocab.NEIGHBOURS_OF_HUBEI else 1.0 for r in others]
            home_weights = [85.0 * w / sum(hubei_w) for w in hubei_w] + [
                15.0 * w / sum(other_w) for w in other_w
            ]
            self.shares = (0.45, 0.4)
        else:
            home_regions = hubei + others
            home_weights = [r.weight for r in home_regions]
            self.shares = (0.45, 0.45)
        self.companies: list[Company] = []
        cum_regions = list(itertools.accumulate(home_weights))
        cum_trades = list(itertools.accumulate(TRADE_SHARES))
        for index in range(companies):
            region = home_regions[bisect.bisect_right(cum_regions, rng.random() * cum_regions[-1])]
            trade = TRADES[bisect.bisect_right(cum_trades, rng.random() * cum_trades[-1])]
            self.companies.append(self._company(rng, index, trade, region))
        # Make sure every lot region has a few local firms of every trade.
        index = len(self.companies)
        have = {(c.region.code, c.trade) for c in self.companies}
        for region in lot_regions:
            for trade in TRADES:
                if (region.code, trade) not in have:
                    self.companies.append(self._company(rng, index, trade, region))
                    index += 1
        self.pools: dict[tuple[str, str], Pool] = {}
        for c in self.companies:
            for scope in (f"R{c.region.code}", f"P{c.region.province}", "*"):
                self.pools.setdefault((c.trade, scope), Pool()).add(c.index, c.weight)
        self._tenderers: dict[str, list[Party]] = {}
        self._agencies: dict[str, list[Party]] = {}
        self._party_rng = random.Random(rng.getrandbits(64))

    # -- companies ------------------------------------------------------------------------------

    def _unique(self, make: object) -> str:
        for _ in range(1000):
            value = make()  # type: ignore[operator]
            if value not in self._taken:
                self._taken.add(value)
                return str(value)
        raise RuntimeError("could not draw a unique value")  # pragma: no cover

    def _company(self, rng: random.Random, index: int, trade: str, region: Region) -> Company:
        def name() -> str:
            place = _weighted(
                rng,
                ((region.province_name, 45), (region.city, 40), (region.stem, 15)),
            )
            trade_name = rng.choice(vocab.TRADE_NAMES)
            if rng.random() < 0.05:
                trade_name += rng.choice(vocab.TRADE_NAMES)[0]
            form = _weighted(rng, vocab.LEGAL_FORMS)
            return place + trade_name + rng.choice(vocab.TRADE_WORDS[trade]) + form

        company_name = self._unique(name)
        established = dt.date(rng.randint(1995, 2021), rng.randint(1, 12), rng.randint(1, 28))
        uscc = new_uscc(rng, "91", region.code, self._taken_uscc)
        qualification = None
        if vocab.QUALIFICATIONS[trade]:
            category, issuer = rng.choice(vocab.QUALIFICATIONS[trade])
            grade = rng.choices(vocab.GRADES, weights=vocab.GRADE_WEIGHTS)[0]
            if trade == "services":
                grade = rng.choice(("甲级", "乙级"))
            qualification = (
                category,
                grade,
                f"D{region.code[:2]}{rng.randint(1000000, 9999999)}",
                f"{region.province_name}省{issuer}"
                if region.province_name not in MUNICIPALITIES
                else f"{region.province_name}市{issuer.replace('厅', '委员会')}",
            )
        n_managers = {"goods": 1, "services": rng.randint(1, 2)}.get(trade, rng.randint(1, 4))
        managers = tuple(
            Person(
                name=person_name(rng),
                certificate_no=f"{region.short}{1 + (k % 2)}{region.code[:2]}"
                f"{established.year % 100:02d}{index:06d}{k}",
                id_number=id_number(rng, region.code),
                registration_type=rng.choice(vocab.PM_REGISTRATION[trade]),
                valid_to=dt.date(rng.randint(2026, 2029), rng.randint(1, 12), 28),
            )
            for k in range(n_managers)
        )
        ips = tuple(
            self._unique(
                lambda: (
                    f"{rng.choice(vocab.ISP_FIRST_OCTETS)}.{rng.randint(1, 254)}."
                    f"{rng.randint(0, 255)}.{rng.randint(2, 254)}"
                )
            )
            for _ in range(1 if rng.random() < 0.6 else 2)
        )
        mac = self._unique(lambda: "-".join(f"{rng.getrandbits(8):02X}" for _ in range(6)))
        hardware = self._unique(lambda: f"BFEBFBFF{rng.getrandbits(32):08X}")
        machine = self._unique(lambda: f"DESKTOP-{rng.getrandbits(35):07X}"[:15])
        ca_key = self._unique(lambda: f"{region.short}CA{rng.randint(10**11, 10**12 - 1)}")
        authors = tuple(self._unique(lambda: person_name(rng)) for _ in range(rng.randint(1, 2)))
        account = self._unique(lambda: f"{rng.randint(10**18, 10**19 - 1)}")
        bank = f"{rng.choice(vocab.BANKS)}{region.city}分行"
        street = rng.choice(vocab.STREETS)
        capital = rng.choice((300, 500, 800, 1000, 2000, 3000, 5000, 8000, 10000, 20000)) * 10000
        return Company(
            index=index,
            uscc=uscc,
            name=company_name,
            trade=trade,
            region=region,
            legal_representative=person_name(rng),
            address=f"{_province(region)}{region.city}市{region.name}{street}"
            f"{rng.randint(1, 399)}号",
            phone=f"{_area_code(region)}-{rng.randint(6000000, 8999999)}",
            capital=capital,
            established=established,
            qualification=qualification,
            managers=managers,
            ips=ips,
            mac=mac,
            hardware_id=hardware,
            machine=machine,
            ca_key=ca_key,
            authors=authors,
            software=rng.choice(vocab.BID_SOFTWARE),
            account=account,
            bank=bank,
            contact=person_name(rng),
            mobile=f"1{rng.choice((33, 35, 36, 38, 39, 50, 52, 58, 59, 77, 80, 86, 87, 89))}"
            f"{rng.randint(10**7, 10**8 - 1)}",
            weight=min(rng.paretovariate(1.2), 40.0),
        )

    def draw_bidders(
        self, rng: random.Random, trade: str, region: Region, n: int, exclude: set[int]
    ) -> list[Company]:
        """n distinct companies of the trade: local firms first, then the province, then
        anyone; the busier a company, the likelier it bids (repeat bidders)."""
        local, province = self.shares
        pools = (
            self.pools.get((trade, f"R{region.code}")),
            self.pools.get((trade, f"P{region.province}")),
            self.pools[(trade, "*")],
        )
        chosen: list[Company] = []
        seen = set(exclude)
        for _ in range(n * 30):
            if len(chosen) >= n:
                break
            u = rng.random()
            pool = pools[0] if u < local else pools[1] if u < local + province else pools[2]
            if pool is None:
                pool = pools[2]
            index = pool.draw(rng)
            if index not in seen:
                seen.add(index)
                chosen.append(self.companies[index])
        return chosen

    # -- tenderers and agencies (made per region on first use) -------------------------------------

    def tenderers(self, region: Region) -> list[Party]:
        found = self._tenderers.get(region.code)
        if found is not None:
            return found
        rng = random.Random(f"tenderers/{region.code}/{self._party_rng.random()}")
        home = region.code == vocab.HOME_REGION
        towns = vocab.HOME_TOWNS if home else vocab.OTHER_TOWNS[:3]
        streets = vocab.HOME_STREETS if home else vocab.OTHER_STREETS[:3]
        parties = []
        for pattern, kind, industries in vocab.TENDERERS:
            if "{t}" in pattern:
                names = [pattern.format(c="", d=region.prefix, t=t) for t in towns]
            elif "{s}" in pattern:
                names = [pattern.format(c="", d=region.prefix, s=s) for s in streets]
            else:
                names = [pattern.format(c="", d=region.prefix)]
            for name in names:
                if name.endswith("街道办事处") and name.count("街道") > 1:
                    name = name.replace("街道街道", "街道")
                prefix = {"public_body": "11", "institution": "12"}.get(kind, "91")
                parties.append(
                    Party(
                        uscc=new_uscc(rng, prefix, region.code, self._taken_uscc),
                        name=name,
                        kind=kind,
                        region=region,
                        legal_representative=person_name(rng),
                        address=f"{region.province_name}省{region.prefix}"
                        f"{rng.choice(vocab.STREETS)}{rng.randint(1, 199)}号",
                        phone=f"{_area_code(region)}-{rng.randint(8100000, 8899999)}",
                        industries=industries,
                    )
                )
        self._tenderers[region.code] = parties
        return parties

    def agencies(self, region: Region) -> list[Party]:
        """Agencies working in a region: a few of its city and of the provincial capital."""
        key = region.city
        found = self._agencies.get(key)
        if found is not None:
            return found
        rng = random.Random(f"agencies/{key}/{self._party_rng.random()}")
        parties = []
        for k in range(6):
            place = (region.city, region.city, region.province_name, region.province_name)[k % 4]
            name = self._unique(
                lambda place=place: (
                    f"{place}{rng.choice(vocab.TRADE_NAMES)}"
                    f"{rng.choice(vocab.AGENCY_WORDS)}有限公司"
                )
            )
            parties.append(
                Party(
                    uscc=new_uscc(rng, "91", region.code[:4] + "00", self._taken_uscc),
                    name=name,
                    kind="company",
                    region=region,
                    legal_representative=person_name(rng),
                    address=f"{region.province_name}省{region.city}市"
                    f"{rng.choice(vocab.STREETS)}{rng.randint(1, 199)}号",
                    phone=f"{_area_code(region)}-{rng.randint(8100000, 8899999)}",
                )
            )
        self._agencies[key] = parties
        return parties


@functools.lru_cache(maxsize=200_000)
def expert(province: str, trade: str, number: int) -> tuple[str, str, str, str]:
    """Expert `number` of a province's pool for a trade: (pool id, name, specialty, employer),
    the same every time it is drawn."""
    rng = random.Random(f"expert/{province}/{trade}/{number}")
    return (
        f"ZJ{province}{TRADES.index(trade)}{number:05d}",
        person_name(rng),
        rng.choice(vocab.EXPERT_SPECIALTIES[trade]),
        rng.choice(vocab.EXPERT_EMPLOYERS),
    )
