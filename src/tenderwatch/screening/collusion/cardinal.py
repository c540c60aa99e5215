"""cardinal-rs's red flags, with its semantics, over OCDS-shaped Polars frames.

open-contracting/cardinal-rs (Open Contracting Partnership, MIT) computes red flags from OCDS
compiled releases. We implement the same flags in Polars (so they run over a whole province at
once and over the ledger's own data, mapped to the same frames by `from_ledger_frames`), and
test them against cardinal-rs's own fixtures (`shared/data/cardinal-fixtures`): same inputs, same
results. The semantics followed, flag by flag (see docs/screening-collusion.md for the rest):

- Processes whose tender is cancelled, or whose `procurementMethodDetails` is excluded, are
  skipped by every flag.
- "Submitted" bids have a status other than invited and withdrawn; "valid" bids the status valid.
- A process's awards are *final* when none has a status other than active, cancelled or
  unsuccessful; the second-lowest-bid ratio (R024, R058) and R025 need exactly one active award
  with one supplier.
- Fences are Tukey's with statrs's quartiles (`quantiles.quantile`), compared inclusively; a
  threshold in the settings replaces the fence. Ratio fences are skipped when they would flag
  most processes (cardinal's guards: Q1 > 0 and a positive lower fence for R024 and R025, a
  positive upper fence for R038 and R058).

Three flags cardinal-rs's users asked for and it lacks (issues #89 and #94): R022 (great
disparity of bid prices: the spread of the valid bids at or above its upper fence), R023
(fixed-multiple prices: losing bids at a round multiple of the lowest bid) and R044 (tenderers
of one process sharing contact details: telephone, e-mail or address). And the warning its users
asked for (#39): a flag that fires on an unusually large share of the processes it could judge.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from tenderwatch.screening.collusion.quantiles import quantile, quartiles

PROCESS_FLAGS = (
    "R003",
    "R018",
    "R022",
    "R023",
    "R024",
    "R028",
    "R030",
    "R035",
    "R036",
    "R044",
    "R058",
)
ENTITY_FLAGS = ("R025", "R038", "R048")
FLAGS = tuple(sorted((*PROCESS_FLAGS, *ENTITY_FLAGS)))
GROUPS = ("OCID", "Buyer", "ProcuringEntity", "Tenderer")

# cardinal-rs's defaults (its `init` command's settings file).
DEFAULTS: dict[str, dict[str, Any]] = {
    "R003": {"threshold": 15, "procurement_methods": "", "procurement_method_details": {}},
    "R018": {"procurement_methods": "open|selective"},
    "R022": {"threshold": None, "minimum_bids": 2},
    "R023": {"step": 0.01, "tolerance": 1e-6, "minimum": 2, "minimum_bids": 3},
    "R024": {"threshold": None},
    "R025": {"percentile": 75, "threshold": None},
    "R028": {},
    "R030": {},
    "R035": {"threshold": 1},
    "R036": {},
    "R038": {"threshold": None, "minimum_submitted_bids": 2, "minimum_contracting_processes": 2},
    "R044": {},
    "R048": {"digits": 2, "threshold": None, "minimum_contracting_processes": 20},
    "R058": {"threshold": None},
}
SHARE_WARNING = {"maximum_share": 0.1, "minimum_processes": 20}


@dataclass
class Settings:
    """What to compute and how: the flags to run (each with its settings over the defaults) and
    cardinal's top-level settings."""

    flags: dict[str, dict[str, Any]] = field(default_factory=lambda: {f: {} for f in FLAGS})
    currency: str | None = None
    no_price_comparison_procurement_methods: str = ""
    price_comparison_procurement_methods: str = ""
    exclude_procurement_method_details: str = ""
    maximum_share: float = SHARE_WARNING["maximum_share"]
    minimum_processes: int = int(SHARE_WARNING["minimum_processes"])
    # A fence from a handful of values means nothing (cardinal-rs #37, #54): fence-based flags
    # need this many values (0: cardinal's own behaviour, which the fixtures pin down).
    minimum_values: int = 0

    def of(self, flag: str) -> dict[str, Any]:
        return {**DEFAULTS[flag], **{k: v for k, v in self.flags.get(flag, {}).items()}}

    @classmethod
    def from_fixture_name(cls, name: str) -> Settings:
        """Settings as cardinal-rs's test generator reads a fixture's file name: `R003` (defaults),
        `R003-threshold-10`, `R003-procurement_methods-open+selective` (`+` separates values),
        `R003-procurement_method_details-x-5-y-10` (pairs). Like its tests, `NPC` is a method
        without price comparison and `EXC` an excluded one."""
        parts = name.replace("+", "|").split("-")
        flag, rest = parts[0], parts[1:]
        setting: dict[str, Any] = {}
        if len(rest) == 2:
            key, value = rest
            setting[key] = int(value) if value.isdigit() else value
        elif len(rest) > 2:
            key, pairs = rest[0], rest[1:]
            setting[key] = {pairs[i]: int(pairs[i + 1]) for i in range(0, len(pairs) - 1, 2)}
        return cls(
            flags={flag: setting},
            no_price_comparison_procurement_methods="NPC",
            exclude_procurement_method_details="EXC",
        )


def _set(value: str) -> list[str]:
    return [v for v in value.split("|") if v]


# -- OCDS frames ---------------------------------------------------------------------------------

PROCESS_SCHEMA: dict[str, Any] = {
    "ocid": pl.String,
    "line": pl.Int64,
    "procurement_method": pl.String,
    "procurement_method_details": pl.String,
    "tender_status": pl.String,
    "tp_start": pl.Datetime("us", "UTC"),
    "tp_end": pl.Datetime("us", "UTC"),
    "tp_end_text": pl.String,
    "number_of_tenderers": pl.Int64,
    "buyer": pl.String,
    "procuring_entity": pl.String,
    "has_awards": pl.Boolean,
    "has_bids": pl.Boolean,
    "awards_final": pl.Boolean,
    "active_awards": pl.Int64,
}
BID_SCHEMA: dict[str, Any] = {
    "ocid": pl.String,
    "idx": pl.Int64,
    "status": pl.String,
    "amount": pl.Float64,
    "currency": pl.String,
    "date": pl.String,
    "tenderer_ids": pl.List(pl.String),
    "n_tenderers": pl.Int64,
    "tenderer": pl.String,  # the one tenderer's id when the bid has exactly one, with an id
}
AWARD_SCHEMA: dict[str, Any] = {
    "ocid": pl.String,
    "idx": pl.Int64,
    "status": pl.String,
    "supplier_ids": pl.List(pl.String),
    "n_suppliers": pl.Int64,
    "supplier": pl.String,
    "has_items": pl.Boolean,
    "classifications": pl.List(pl.String),
}
PARTY_SCHEMA: dict[str, Any] = {
    "ocid": pl.String,
    "party": pl.String,
    "address": pl.String,
    "telephone": pl.String,
    "email": pl.String,
}


@dataclass
class OcdsFrames:
    processes: pl.DataFrame
    bids: pl.DataFrame
    awards: pl.DataFrame
    parties: pl.DataFrame


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
FINAL_AWARD = frozenset({"active", "cancelled", "unsuccessful"})


def _rfc3339(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not RFC3339.match(value):
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("z", "Z")).astimezone(dt.UTC)
    except ValueError:
        return None


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _ids(objects: Any) -> list[str]:
    return [o["id"] for o in objects if isinstance(o, dict) and isinstance(o.get("id"), str)]


def read_releases(lines: Iterable[bytes | str]) -> OcdsFrames:
    """OCDS compiled releases, one JSON object a line (blank and invalid lines are skipped)."""
    processes: list[tuple[Any, ...]] = []
    bids: list[tuple[Any, ...]] = []
    awards: list[tuple[Any, ...]] = []
    parties: list[tuple[Any, ...]] = []
    for n, line in enumerate(lines):
        if not line or not line.strip():
            continue
        try:
            release = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(release, dict) or not isinstance(release.get("ocid"), str):
            continue
        ocid = release["ocid"]
        tender = _obj(release.get("tender"))
        period = _obj(tender.get("tenderPeriod"))
        count = tender.get("numberOfTenderers")
        if isinstance(count, bool) or not isinstance(count, int):
            count = None if count is None or isinstance(count, bool) else 0
        elif count < 0:
            count = 0  # as_u64() of a negative number is none: cardinal reads 0
        award_list: Any = release.get("awards")
        details: Any = _obj(release.get("bids")).get("details")
        statuses = (
            [
                a.get("status")
                for a in award_list or []
                if isinstance(a, dict) and isinstance(a.get("status"), str)
            ]
            if isinstance(award_list, list)
            else []
        )
        buyer = release.get("buyer")
        entity = tender.get("procuringEntity")
        processes.append(
            (
                ocid,
                n,
                _str(tender.get("procurementMethod")),
                _str(tender.get("procurementMethodDetails")),
                _str(tender.get("status")),
                _rfc3339(period.get("startDate")),
                _rfc3339(period.get("endDate")),
                _str(period.get("endDate")),
                count,
                _str(buyer.get("id")) if isinstance(buyer, dict) else None,
                _str(entity.get("id")) if isinstance(entity, dict) else None,
                isinstance(award_list, list),
                isinstance(details, list),
                isinstance(award_list, list)
                and isinstance(details, list)
                and all(s in FINAL_AWARD for s in statuses),
                sum(1 for s in statuses if s == "active"),
            )
        )
        for i, bid in enumerate(details if isinstance(details, list) else []):
            if not isinstance(bid, dict):
                continue
            value = _obj(bid.get("value"))
            tenderers: Any = bid.get("tenderers")
            is_list = isinstance(tenderers, list)
            single = None
            if is_list and len(tenderers) == 1 and isinstance(tenderers[0], dict):
                single = _str(tenderers[0].get("id"))
            bids.append(
                (
                    ocid,
                    i,
                    _str(bid.get("status")),
                    _number(value.get("amount")),
                    _str(value.get("currency")),
                    _str(bid.get("date")),
                    _ids(tenderers) if is_list else None,
                    len(tenderers) if is_list else None,
                    single,
                )
            )
        for i, award in enumerate(award_list if isinstance(award_list, list) else []):
            if not isinstance(award, dict):
                continue
            suppliers: Any = award.get("suppliers")
            items: Any = award.get("items")
            single = None
            if (
                isinstance(suppliers, list)
                and len(suppliers) == 1
                and isinstance(suppliers[0], dict)
            ):
                single = _str(suppliers[0].get("id"))
            classes = []
            for item in items if isinstance(items, list) else []:
                klass = item.get("classification") if isinstance(item, dict) else None
                if isinstance(klass, dict) and isinstance(klass.get("id"), str):
                    classes.append(klass["id"])
            awards.append(
                (
                    ocid,
                    i,
                    _str(award.get("status")),
                    _ids(suppliers) if isinstance(suppliers, list) else [],
                    len(suppliers) if isinstance(suppliers, list) else None,
                    single,
                    isinstance(items, list),
                    classes,
                )
            )
        for party in release.get("parties") or []:
            if not isinstance(party, dict) or not isinstance(party.get("id"), str):
                continue
            roles: Any = party.get("roles")
            if not isinstance(roles, list) or "tenderer" not in roles:
                continue
            parties.append((ocid, party["id"], *_contact(party)))
    return OcdsFrames(
        pl.DataFrame(processes, schema=PROCESS_SCHEMA, orient="row"),
        pl.DataFrame(bids, schema=BID_SCHEMA, orient="row"),
        pl.DataFrame(awards, schema=AWARD_SCHEMA, orient="row"),
        pl.DataFrame(parties, schema=PARTY_SCHEMA, orient="row"),
    )


def _contact(party: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(full address, telephone, e-mail) normalised for comparison (R044)."""
    address = _obj(party.get("address"))
    full = None
    if isinstance(address.get("streetAddress"), str) and address["streetAddress"].strip():
        fields = ("streetAddress", "locality", "region", "postalCode", "countryName")
        full = " ".join(
            str(address[f]).strip().lower() for f in fields if isinstance(address.get(f), str)
        )
    contact = _obj(party.get("contactPoint"))
    phone = _str(contact.get("telephone"))
    phone = re.sub(r"[\s\-()（）+]", "", phone) or None if phone else None
    email = _str(contact.get("email"))
    email = email.strip().lower() or None if email else None
    return full, phone, email


def read_jsonl(path: Path | str) -> OcdsFrames:
    with Path(path).open("rb") as handle:
        return read_releases(handle)


# -- results ---------------------------------------------------------------------------------------


@dataclass
class Results:
    """cardinal's output: group → id → flag → value; plus the fences used (`meta`) and, per
    process flag, how many processes it could judge and how many it flagged."""

    results: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    meta: dict[str, dict[str, float]] = field(default_factory=dict)
    judged: dict[str, int] = field(default_factory=dict)
    flagged: dict[str, int] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def set(self, group: str, key: str, flag: str, value: float) -> None:
        self.results.setdefault(group, {}).setdefault(key, {})[flag] = float(value)

    def set_many(self, group: str, rows: Iterable[tuple[str, float]], flag: str) -> int:
        n = 0
        for key, value in rows:
            self.set(group, key, flag, value)
            n += 1
        return n

    def as_dict(self) -> dict[str, dict[str, dict[str, float]]]:
        return {g: v for g, v in self.results.items() if v}

    def processes(self, flag: str) -> dict[str, float]:
        return {k: v[flag] for k, v in self.results.get("OCID", {}).items() if flag in v}


# -- the flags ------------------------------------------------------------------------------------


def compute(frames: OcdsFrames, settings: Settings | None = None) -> Results:
    """Every flag named in `settings.flags` over these processes."""
    settings = settings or Settings()
    out = Results()
    processes = frames.processes
    excluded = _set(settings.exclude_procurement_method_details)
    keep = (pl.col("tender_status").fill_null("") != "cancelled") & _details_match([], excluded)
    processes = processes.filter(keep)
    ocids = processes.select("ocid")
    bids = frames.bids.join(ocids, on="ocid", how="semi")
    awards = frames.awards.join(ocids, on="ocid", how="semi")
    parties = frames.parties.join(ocids, on="ocid", how="semi")
    context = _Context(settings, processes, bids, awards, parties)
    for flag in FLAGS:
        if flag in settings.flags:
            FUNCTIONS[flag](context, settings.of(flag), out)
    _share_warnings(out, settings)
    return out


@dataclass
class _Context:
    settings: Settings
    processes: pl.DataFrame
    bids: pl.DataFrame
    awards: pl.DataFrame
    parties: pl.DataFrame
    _currency: str | None = None
    _ratios: pl.DataFrame | None = None

    def price_comparison(self) -> pl.Expr:
        """Processes whose award compares prices (cardinal: not a method without price
        comparison, or one of the methods with it when those are listed)."""
        return _details_match(
            _set(self.settings.price_comparison_procurement_methods),
            _set(self.settings.no_price_comparison_procurement_methods),
        )

    @property
    def currency(self) -> str | None:
        """The currency compared: the setting's, or the first seen on a bid with an amount."""
        if self._currency is None:
            if self.settings.currency:
                self._currency = self.settings.currency
            else:
                seen = (
                    self.bids.join(self.processes.select("ocid", "line"), on="ocid")
                    .filter(pl.col("amount").is_not_null() & pl.col("currency").is_not_null())
                    .sort("line", "idx")
                )
                self._currency = seen["currency"][0] if seen.height else None
        return self._currency

    def single_supplier(self) -> pl.DataFrame:
        """Processes with final awards, exactly one of them active, with one supplier: (ocid,
        supplier)."""
        final = self.processes.filter(pl.col("awards_final") & (pl.col("active_awards") == 1))
        return (
            self.awards.filter(pl.col("status") == "active")
            .join(final.select("ocid"), on="ocid", how="semi")
            .filter((pl.col("n_suppliers") == 1) & pl.col("supplier").is_not_null())
            .select("ocid", "supplier")
        )

    def second_lowest_ratios(self) -> pl.DataFrame:
        """(ocid, ratio, winner, lowest_non_winner): (lowest other valid bid − winning bid) /
        winning bid, where the lowest bid won (cardinal's SecondLowestBidRatio)."""
        if self._ratios is not None:
            return self._ratios
        comparable = self.processes.filter(self.price_comparison()).select("ocid")
        winners = self.single_supplier().join(comparable, on="ocid", how="semi")
        valid = self.bids.filter(
            (pl.col("status") == "valid")
            & pl.col("amount").is_not_null()
            & pl.col("currency").is_not_null()
            & pl.col("tenderer").is_not_null()
            & (pl.col("currency") == (self.currency or ""))
        ).join(winners, on="ocid")
        ranked = valid.with_columns(
            (pl.col("tenderer") == pl.col("supplier")).alias("is_winner")
        ).sort("ocid", "amount", "idx")
        win = (
            ranked.filter(pl.col("is_winner"))
            .group_by("ocid")
            .agg(pl.col("amount").first().alias("w"), pl.col("tenderer").first().alias("winner"))
        )
        other = (
            ranked.filter(~pl.col("is_winner"))
            .group_by("ocid")
            .agg(
                pl.col("amount").first().alias("l"),
                pl.col("tenderer").first().alias("lowest_non_winner"),
            )
        )
        both = win.join(other, on="ocid").filter(pl.col("l") >= pl.col("w"))
        self._ratios = both.select(
            "ocid",
            ((pl.col("l") - pl.col("w")) / pl.col("w")).alias("ratio"),
            "winner",
            "lowest_non_winner",
        )
        return self._ratios

    def submitted(self) -> pl.DataFrame:
        return self.bids.filter(
            pl.col("status").is_not_null() & ~pl.col("status").is_in(["invited", "withdrawn"])
        )


def _details_match(include: list[str], exclude: list[str]) -> pl.Expr:
    """cardinal's `matches_procurement_method_details`: an allow list when given, else a deny
    list; without the field, a process matches only a deny list."""
    details = pl.col("procurement_method_details")
    if include:
        return details.is_not_null() & details.is_in(include)
    return details.is_null() | ~details.is_in(exclude)


def _methods_match(methods: list[str]) -> pl.Expr:
    if not methods:
        return pl.lit(True)
    return pl.col("procurement_method").is_not_null() & pl.col("procurement_method").is_in(methods)


def _rows(frame: pl.DataFrame, key: str, value: str | float) -> list[tuple[str, float]]:
    if isinstance(value, str):
        return list(zip(frame[key].to_list(), frame[value].to_list(), strict=True))
    return [(k, value) for k in frame[key].to_list()]


def _too_few(c: _Context, values: int, s: dict[str, Any]) -> bool:
    """A fence (no threshold set) from fewer values than the settings' minimum is not drawn."""
    return s.get("threshold") is None and values < c.settings.minimum_values


def r003(c: _Context, s: dict[str, Any], out: Results) -> None:
    """Short submission period: the tender period, in whole days, is shorter than the threshold
    (per procurementMethodDetails where set)."""
    by_details = {str(k): int(v) for k, v in (s.get("procurement_method_details") or {}).items()}
    p = c.processes.filter(
        _methods_match(_set(s.get("procurement_methods") or ""))
        & pl.col("tp_start").is_not_null()
        & pl.col("tp_end").is_not_null()
    )
    micro = (pl.col("tp_end") - pl.col("tp_start")).dt.total_microseconds()
    day = 86_400_000_000
    days = pl.when(micro >= 0).then(micro // day).otherwise(-((-micro) // day))  # toward zero
    threshold = (
        pl.col("procurement_method_details").replace_strict(
            by_details, default=int(s["threshold"]), return_dtype=pl.Int64
        )
        if by_details
        else pl.lit(int(s["threshold"]))
    )
    p = p.with_columns(days.alias("days"), threshold.alias("threshold"))
    fired = p.filter(pl.col("days") < pl.col("threshold"))
    out.judged["R003"] = p.height
    out.flagged["R003"] = out.set_many("OCID", _rows(fired, "ocid", 1.0), "R003")


def r018(c: _Context, s: dict[str, Any], out: Results) -> None:
    """Single bid received: numberOfTenderers is 1 in a process of the listed methods."""
    p = c.processes.filter(_methods_match(_set(s.get("procurement_methods") or "")))
    judged = p.filter(pl.col("number_of_tenderers").is_not_null())
    fired = judged.filter(pl.col("number_of_tenderers") == 1)
    out.judged["R018"] = judged.height
    out.flagged["R018"] = out.set_many("OCID", _rows(fired, "ocid", 1.0), "R018")


def r024(c: _Context, s: dict[str, Any], out: Results) -> None:
    """Price close to the winning bid: the second-lowest-bid ratio at or below the lower fence."""
    ratios = c.second_lowest_ratios()
    out.judged["R024"] = ratios.height
    if _too_few(c, ratios.height, s):
        return
    if s.get("threshold") is not None:
        fence, q1 = float(s["threshold"]), 1.0
    else:
        q1, q3 = quartiles(ratios["ratio"])
        out.meta.setdefault("R024", {}).update(q1=q1, q3=q3)
        fence = q1 - 1.5 * (q3 - q1)
    out.meta.setdefault("R024", {})["lower_fence"] = fence
    out.flagged["R024"] = 0
    if not (q1 > 0 and fence > 0):
        return  # most processes have no difference: a fence at 0 would flag them all
    fired = ratios.filter(pl.col("ratio") <= fence)
    out.flagged["R024"] = out.set_many("OCID", _rows(fired, "ocid", "ratio"), "R024")
    for row in fired.iter_rows(named=True):
        out.set("Tenderer", row["winner"], "R024", 0.0)
        out.set("Tenderer", row["lowest_non_winner"], "R024", 0.0)


def r058(c: _Context, s: dict[str, Any], out: Results) -> None:
    """Heavily discounted bid: the second-lowest-bid ratio at or above the upper fence."""
    ratios = c.second_lowest_ratios()
    out.judged["R058"] = ratios.height
    if _too_few(c, ratios.height, s):
        return
    if s.get("threshold") is not None:
        fence = float(s["threshold"])
    else:
        q1, q3 = quartiles(ratios["ratio"])
        out.meta.setdefault("R058", {}).update(q1=q1, q3=q3)
        fence = q3 + 1.5 * (q3 - q1)
    out.meta.setdefault("R058", {})["upper_fence"] = fence
    out.flagged["R058"] = 0
    if not fence > 0:
        return
    fired = ratios.filter(pl.col("ratio") >= fence)
    out.flagged["R058"] = out.set_many("OCID", _rows(fired, "ocid", "ratio"), "R058")
    for winner in fired["winner"].to_list():
        out.set("Tenderer", winner, "R058", 0.0)


def r025(c: _Context, s: dict[str, Any], out: Results) -> None:
    """Excessive unsuccessful bids: tenderers who bid often (at or above the percentile of the
    number of processes bid) and win rarely (wins / processes at or below the lower fence)."""
    winners = c.single_supplier()
    valid = (
        c.bids.filter((pl.col("status") == "valid") & pl.col("tenderer").is_not_null())
        .join(winners, on="ocid")
        .select("ocid", "tenderer", "supplier")
        .unique()
    )
    per = (
        valid.group_by("tenderer")
        .agg((pl.col("tenderer") == pl.col("supplier")).sum().alias("wins"), pl.len().alias("bids"))
        .with_columns((pl.col("wins") / pl.col("bids")).alias("ratio"))
    )
    if per.height == 0 or _too_few(c, per.height, s):
        return
    upper = quantile(per["bids"].cast(pl.Float64), int(s["percentile"]) / 100)
    if s.get("threshold") is not None:
        lower, q1 = float(s["threshold"]), 1.0
    else:
        q1, q3 = quartiles(per["ratio"])
        lower = q1 - 1.5 * (q3 - q1)
    out.meta["R025"] = {"upper_fence": upper, "lower_fence": lower}
    if not (q1 > 0 and lower > 0):
        return
    fired = per.filter((pl.col("bids") >= upper) & (pl.col("ratio") <= lower))
    out.set_many("Tenderer", _rows(fired, "tenderer", "ratio"), "R025")


def r028(c: _Context, s: dict[str, Any], out: Results) -> None:
    """Identical bid prices: two submitted bids of different tenderers at the same amount and
    currency (bids compared in order: each with the last one seen at that price)."""
    comparable = c.processes.filter(c.price_comparison()).select("ocid")
    bids = (
        c.submitted()
        .join(comparable, on="ocid", how="semi")
        .filter(
            pl.col("amount").is_not_null()
            & pl.col("currency").is_not_null()
            & pl.col("tenderer_ids").is_not_null()
            & (pl.col("tenderer_ids").list.len() > 0)
        )
        .with_columns(
            pl.col("tenderer_ids").list.unique().list.sort().list.join("\x1f").alias("who")
        )
        .sort("ocid", "amount", "currency", "idx")
    )
    group = ["ocid", "amount", "currency"]
    bids = bids.with_columns(pl.col("who").shift(1).over(group).alias("before"))
    pairs = bids.filter(pl.col("before").is_not_null() & (pl.col("before") != pl.col("who")))
    out.judged["R028"] = bids.select("ocid").n_unique()
    fired = pairs.select("ocid").unique(maintain_order=True)
    out.flagged["R028"] = out.set_many("OCID", _rows(fired, "ocid", 1.0), "R028")
    for who in (*pairs["who"].to_list(), *pairs["before"].to_list()):
        for tenderer in who.split("\x1f"):
            out.set("Tenderer", tenderer, "R028", 1.0)


def r030(c: _Context, s: dict[str, Any], out: Results) -> None:
    """Late bid won: a valid bid dated after the end of the tender period (as text, like
    cardinal) from a supplier of an active award."""
    p = c.processes.filter(
        pl.col("tp_end_text").is_not_null() & pl.col("has_awards") & pl.col("has_bids")
    ).select("ocid", "tp_end_text")
    suppliers = (
        c.awards.filter(pl.col("status") == "active")
        .select("ocid", pl.col("supplier_ids").alias("id"))
        .explode("id")
        .drop_nulls()
        .unique()
    )
    late = (
        c.bids.filter((pl.col("status") == "valid") & pl.col("date").is_not_null())
        .join(p, on="ocid")
        .filter(pl.col("date") > pl.col("tp_end_text"))
        .select("ocid", pl.col("tenderer_ids").alias("id"))
        .explode("id")
        .drop_nulls()
        .join(suppliers, on=["ocid", "id"], how="semi")
    )
    out.judged["R030"] = p.height
    fired = late.select("ocid").unique(maintain_order=True)
    out.flagged["R030"] = out.set_many("OCID", _rows(fired, "ocid", 1.0), "R030")
    for tenderer in late["id"].unique().to_list():
        out.set("Tenderer", tenderer, "R030", 1.0)


def r035(c: _Context, s: dict[str, Any], out: Results) -> None:
    """All except the winning bid disqualified: one tenderer with valid bids, the award's only
    supplier, and at least `threshold` other tenderers disqualified. Value: how many."""
    threshold = max(int(s.get("threshold") or 1), 1)
    final = c.processes.filter(pl.col("awards_final")).select("ocid")
    suppliers = (
        c.awards.join(final, on="ocid", how="semi")
        .filter(pl.col("status") == "active")
        .select("ocid", pl.col("supplier_ids").alias("id"))
        .explode("id")
        .drop_nulls()
        .group_by("ocid")
        .agg(pl.col("id").unique().sort().alias("suppliers"))
    )
    bids = (
        c.bids.join(final, on="ocid", how="semi")
        .filter(
            pl.col("status").is_in(["valid", "disqualified"]) & pl.col("tenderer_ids").is_not_null()
        )
        .select("ocid", "status", pl.col("tenderer_ids").alias("id"))
        .explode("id")
        .drop_nulls()
    )
    per = bids.group_by("ocid").agg(
        pl.col("id").filter(pl.col("status") == "valid").unique().sort().alias("valid"),
        pl.col("id").filter(pl.col("status") == "disqualified").unique().alias("disqualified"),
    )
    per = per.join(suppliers, on="ocid", how="left").with_columns(
        pl.col("suppliers").fill_null(pl.lit([], dtype=pl.List(pl.String)))
    )
    per = per.with_columns(
        pl.col("disqualified").list.set_difference(pl.col("valid")).list.len().alias("others")
    )
    out.judged["R035"] = per.height
    fired = per.filter(
        (pl.col("valid").list.len() == 1)
        & (pl.col("valid") == pl.col("suppliers"))
        & (pl.col("others") >= threshold)
    )
    out.flagged["R035"] = out.set_many(
        "OCID", [(o, float(n)) for o, n in zip(fired["ocid"], fired["others"], strict=True)], "R035"
    )
    for valid in fired["valid"].to_list():
        out.set("Tenderer", valid[0], "R035", 0.0)


def r036(c: _Context, s: dict[str, Any], out: Results) -> None:
    """Lowest bid disqualified: among the submitted bids (in the compared currency) the first
    lowest is disqualified, a valid bid has an amount, and an award is active."""
    comparable = c.processes.filter(c.price_comparison()).select("ocid")
    with_award = c.awards.filter(pl.col("status") == "active").select("ocid").unique()
    bids = (
        c.submitted()
        .join(comparable, on="ocid", how="semi")
        .join(with_award, on="ocid", how="semi")
        .filter(
            pl.col("amount").is_not_null()
            & pl.col("currency").is_not_null()
            & (pl.col("currency") == (c.currency or ""))
        )
        .sort("ocid", "amount", "idx")
    )
    per = bids.group_by("ocid").agg(
        (pl.col("status").first() == "disqualified").alias("lowest_disqualified"),
        (pl.col("status") == "valid").any().alias("has_valid"),
    )
    out.judged["R036"] = per.height
    fired = per.filter(pl.col("lowest_disqualified") & pl.col("has_valid"))
    out.flagged["R036"] = out.set_many("OCID", _rows(fired, "ocid", 1.0), "R036")


def r038(c: _Context, s: dict[str, Any], out: Results) -> None:
    """Excessive disqualified bids: per buyer, procuring entity and tenderer, disqualified /
    submitted bids at or above the upper fence, among those with enough bids."""
    submitted = c.submitted().with_columns(
        (pl.col("status") == "disqualified").cast(pl.Int64).alias("disq")
    )
    per_process = submitted.group_by("ocid").agg(
        pl.col("disq").sum().alias("numerator"), pl.len().alias("denominator")
    )
    frames = {
        "Buyer": per_process.join(
            c.processes.select("ocid", pl.col("buyer").alias("id")), on="ocid"
        ),
        "ProcuringEntity": per_process.join(
            c.processes.select("ocid", pl.col("procuring_entity").alias("id")), on="ocid"
        ),
        "Tenderer": submitted.filter(pl.col("tenderer_ids").is_not_null())
        .select("disq", pl.col("tenderer_ids").alias("id"))
        .explode("id")
        .drop_nulls()
        .select("id", pl.col("disq").alias("numerator"), pl.lit(1).alias("denominator")),
    }
    minimum = {
        "Buyer": int(s["minimum_contracting_processes"]),
        "ProcuringEntity": int(s["minimum_contracting_processes"]),
        "Tenderer": int(s["minimum_submitted_bids"]),
    }
    out.meta["R038"] = {}
    for group, frame in frames.items():
        ratios = (
            frame.filter(pl.col("id").is_not_null())
            .group_by("id")
            .agg(pl.col("numerator").sum(), pl.col("denominator").sum())
            .filter(pl.col("denominator") >= minimum[group])
            .with_columns((pl.col("numerator") / pl.col("denominator")).alias("ratio"))
        )
        if ratios.height == 0 or _too_few(c, ratios.height, s):
            continue
        if s.get("threshold") is not None:
            fence = float(s["threshold"])
        else:
            q1, q3 = quartiles(ratios["ratio"])
            fence = q3 + 1.5 * (q3 - q1)
        out.meta["R038"][f"{group}_upper_fence"] = fence
        if fence > 0:
            fired = ratios.filter(pl.col("ratio") >= fence)
            out.set_many(group, _rows(fired, "id", "ratio"), "R038")


def r048(c: _Context, s: dict[str, Any], out: Results) -> None:
    """Heterogeneous supplier: the number of distinct item classifications (first `digits`
    characters) a supplier was awarded, at or above the upper fence, among suppliers seen in at
    least `minimum_contracting_processes` processes."""
    digits = int(s["digits"])
    awarded = (
        c.awards.filter(
            (pl.col("status") == "active")
            & pl.col("has_items")
            & (pl.col("n_suppliers") == 1)
            & pl.col("supplier").is_not_null()
        )
        .select("ocid", "supplier", pl.col("classifications").alias("code"))
        .explode("code")
        .drop_nulls()
        .with_columns(pl.col("code").str.slice(0, digits))
    )
    per = (
        awarded.group_by("supplier")
        .agg(pl.col("ocid").n_unique().alias("processes"), pl.col("code").n_unique().alias("codes"))
        .filter(pl.col("processes") >= int(s["minimum_contracting_processes"]))
    )
    if per.height == 0 or _too_few(c, per.height, s):
        return
    if s.get("threshold") is not None:
        fence = float(s["threshold"])
    else:
        q1, q3 = quartiles(per["codes"].cast(pl.Float64))
        fence = q3 + 1.5 * (q3 - q1)
    out.meta["R048"] = {"upper_fence": fence}
    fired = per.filter(pl.col("codes") >= fence)
    out.set_many(
        "Tenderer",
        [(k, float(v)) for k, v in zip(fired["supplier"], fired["codes"], strict=True)],
        "R048",
    )


def _valid_amounts(c: _Context) -> pl.DataFrame:
    comparable = c.processes.filter(c.price_comparison()).select("ocid")
    return c.bids.join(comparable, on="ocid", how="semi").filter(
        (pl.col("status") == "valid")
        & pl.col("amount").is_not_null()
        & (pl.col("amount") > 0)
        & (pl.col("currency") == (c.currency or ""))
    )


def r022(c: _Context, s: dict[str, Any], out: Results) -> None:
    """Great disparity of bid prices (not in cardinal-rs): the spread of the valid bids,
    (highest − lowest) / lowest, at or above the upper fence over the processes."""
    spreads = (
        _valid_amounts(c)
        .group_by("ocid")
        .agg(
            pl.len().alias("n"),
            pl.col("amount").min().alias("lo"),
            pl.col("amount").max().alias("hi"),
        )
        .filter(pl.col("n") >= int(s["minimum_bids"]))
        .with_columns(((pl.col("hi") - pl.col("lo")) / pl.col("lo")).alias("spread"))
    )
    out.judged["R022"] = spreads.height
    if _too_few(c, spreads.height, s):
        return
    if s.get("threshold") is not None:
        fence = float(s["threshold"])
    else:
        q1, q3 = quartiles(spreads["spread"])
        fence = q3 + 1.5 * (q3 - q1)
    out.meta["R022"] = {"upper_fence": fence}
    out.flagged["R022"] = 0
    if not (fence > 0 and math.isfinite(fence)):
        return
    fired = spreads.filter(pl.col("spread") >= fence)
    out.flagged["R022"] = out.set_many("OCID", _rows(fired, "ocid", "spread"), "R022")


def r023(c: _Context, s: dict[str, Any], out: Results) -> None:
    """Fixed-multiple bid prices (not in cardinal-rs): at least `minimum` of the other valid
    bids are the lowest bid times a round multiple of `step` (1.01, 1.02, … for whole per
    cent), within a relative `tolerance`. Value: how many."""
    step, tol = float(s["step"]), float(s["tolerance"])
    bids = _valid_amounts(c).sort("ocid", "amount", "idx")
    bids = bids.with_columns(
        pl.len().over("ocid").alias("n"),
        (pl.col("amount") / pl.col("amount").first().over("ocid")).alias("ratio"),
        pl.int_range(pl.len()).over("ocid").alias("rank"),
    )
    bids = bids.filter(pl.col("n") >= int(s["minimum_bids"]))
    units = pl.col("ratio") / step
    multiple = (
        (pl.col("rank") > 0)
        & (pl.col("ratio") > 1 + tol)
        & ((units - units.round()).abs() * step <= tol * pl.col("ratio"))
    )
    per = bids.group_by("ocid").agg(multiple.sum().alias("multiples"))
    out.judged["R023"] = per.height
    fired = per.filter(pl.col("multiples") >= int(s["minimum"]))
    out.flagged["R023"] = out.set_many(
        "OCID",
        [(o, float(n)) for o, n in zip(fired["ocid"], fired["multiples"], strict=True)],
        "R023",
    )


def r044(c: _Context, s: dict[str, Any], out: Results) -> None:
    """Tenderers sharing contact details (cardinal-rs has it only on a branch): two tenderers of
    a process with the same telephone, e-mail or full address."""
    parties = c.parties.unique(["ocid", "party"])
    out.judged["R044"] = parties.select("ocid").n_unique()
    hits = []
    for column in ("telephone", "email", "address"):
        shared = (
            parties.filter(pl.col(column).is_not_null())
            .group_by("ocid", column)
            .agg(pl.col("party").unique().alias("ids"))
            .filter(pl.col("ids").list.len() >= 2)
        )
        hits.append(shared.select("ocid", "ids"))
    found = (
        pl.concat(hits)
        if hits
        else pl.DataFrame(schema={"ocid": pl.String, "ids": pl.List(pl.String)})
    )
    fired = found.select("ocid").unique(maintain_order=True)
    out.flagged["R044"] = out.set_many("OCID", _rows(fired, "ocid", 1.0), "R044")
    for ids in found["ids"].to_list():
        for party in ids:
            out.set("Tenderer", party, "R044", 1.0)


FUNCTIONS = {
    "R003": r003,
    "R018": r018,
    "R022": r022,
    "R023": r023,
    "R024": r024,
    "R025": r025,
    "R028": r028,
    "R030": r030,
    "R035": r035,
    "R036": r036,
    "R038": r038,
    "R044": r044,
    "R048": r048,
    "R058": r058,
}


def _share_warnings(out: Results, settings: Settings) -> None:
    """cardinal-rs #39: a flag that fires on an unusually large share of the processes it could
    judge says more about the data or the settings than about the processes."""
    for flag, judged in sorted(out.judged.items()):
        flagged = out.flagged.get(flag, 0)
        if judged >= settings.minimum_processes and flagged / judged > settings.maximum_share:
            out.warnings.append(
                {"flag": flag, "flagged": flagged, "judged": judged, "share": flagged / judged}
            )


# -- the ledger's data in the same frames ------------------------------------------------------

# Our procurement methods → OCDS's closed codelist (tender/procurementMethod).
OCDS_METHOD = {
    "open": "open",
    "invited": "selective",
    "competitive_negotiation": "limited",
    "competitive_consultation": "limited",
    "inquiry": "limited",
    "single_source": "direct",
    "direct": "direct",
}
# Our bid statuses → OCDS's bidStatus codelist.
OCDS_BID_STATUS = {
    "submitted": "pending",
    "valid": "valid",
    "withdrawn": "withdrawn",
    "rejected": "disqualified",
    "disqualified": "disqualified",
}


def _iso(column: str) -> pl.Expr:
    return pl.col(column).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def from_frames(lots: pl.DataFrame | pl.LazyFrame, bids: pl.DataFrame | pl.LazyFrame) -> OcdsFrames:
    """The ledger's lots and bids (`frames.Frames`) as OCDS processes: one process a lot, its
    `ocid` the lot's key as text; the tenderer is the buyer, the agency (else the tenderer) the
    procuring entity; an award exists once a winning bid is recorded; the item classification is
    the project's category and industry."""
    lots, bids = lots.lazy(), bids.lazy()
    winners = (
        bids.filter(pl.col("winner"))
        .select("lot", pl.col("bidder_ref").alias("supplier"))
        .unique("lot")
    )
    processes = lots.join(winners, on="lot", how="left").select(
        pl.col("lot").cast(pl.String).alias("ocid"),
        pl.col("lot").alias("line"),
        pl.col("procurement_method")
        .replace_strict(OCDS_METHOD, default=None, return_dtype=pl.String)
        .alias("procurement_method"),
        pl.col("procurement_method").alias("procurement_method_details"),
        pl.lit(None, dtype=pl.String).alias("tender_status"),
        pl.col("tender_start").alias("tp_start"),
        pl.col("bid_deadline").alias("tp_end"),
        _iso("bid_deadline").alias("tp_end_text"),
        pl.col("bids_received").cast(pl.Int64).alias("number_of_tenderers"),
        pl.col("tenderer_ref").alias("buyer"),
        pl.coalesce("agency_ref", "tenderer_ref").alias("procuring_entity"),
        pl.col("supplier").is_not_null().alias("has_awards"),
        pl.lit(True).alias("has_bids"),
        pl.col("supplier").is_not_null().alias("awards_final"),
        pl.col("supplier").is_not_null().cast(pl.Int64).alias("active_awards"),
    )
    ocds_bids = bids.select(
        pl.col("lot").cast(pl.String).alias("ocid"),
        pl.col("bid").alias("idx"),
        pl.col("status")
        .replace_strict(OCDS_BID_STATUS, default=None, return_dtype=pl.String)
        .alias("status"),
        pl.col("price").alias("amount"),
        pl.col("currency"),
        _iso("submitted_at").alias("date"),
        pl.concat_list(pl.col("bidder_ref")).alias("tenderer_ids"),
        pl.lit(1, dtype=pl.Int64).alias("n_tenderers"),
        pl.col("bidder_ref").alias("tenderer"),
    )
    awards = lots.join(winners, on="lot").select(
        pl.col("lot").cast(pl.String).alias("ocid"),
        pl.lit(0, dtype=pl.Int64).alias("idx"),
        pl.lit("active").alias("status"),
        pl.concat_list(pl.col("supplier")).alias("supplier_ids"),
        pl.lit(1, dtype=pl.Int64).alias("n_suppliers"),
        pl.col("supplier"),
        pl.lit(True).alias("has_items"),
        pl.concat_list(pl.format("{}/{}", pl.col("category"), pl.col("industry"))).alias(
            "classifications"
        ),
    )
    parties = bids.filter(pl.col("contact_phone").is_not_null()).select(
        pl.col("lot").cast(pl.String).alias("ocid"),
        pl.col("bidder_ref").alias("party"),
        pl.lit(None, dtype=pl.String).alias("address"),
        pl.col("contact_phone").alias("telephone"),
        pl.lit(None, dtype=pl.String).alias("email"),
    )
    collected = pl.collect_all([processes, ocds_bids, awards, parties])
    return OcdsFrames(
        *(
            frame.select(pl.col(n).cast(t) for n, t in schema.items())
            for frame, schema in zip(
                collected, (PROCESS_SCHEMA, BID_SCHEMA, AWARD_SCHEMA, PARTY_SCHEMA), strict=True
            )
        )
    )


def ledger_settings(**flags: dict[str, Any]) -> Settings:
    """Settings for the ledger: every flag, R048 over the whole classification (category and
    industry, not a code prefix), R003 at the statutory 20 days of 招标投标法 第二十四条, and
    fences only from 30 values or more."""
    chosen: dict[str, dict[str, Any]] = {f: {} for f in FLAGS}
    chosen["R048"] = {"digits": 64}
    chosen["R003"] = {"threshold": 20, "procurement_methods": "open|selective"}
    for name, setting in flags.items():
        chosen[name] = {**chosen.get(name, {}), **setting}
    return Settings(flags=chosen, minimum_values=30)
