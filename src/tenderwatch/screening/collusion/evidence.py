"""The facts 招标投标法实施条例 第四十条 deems collusion (视为投标人相互串通投标), found across the
bids of one lot — and of related lots — as Polars queries over any number of lots.

第四十条 有下列情形之一的，视为投标人相互串通投标：
  (一) 不同投标人的投标文件由同一单位或者个人编制;
  (二) 不同投标人委托同一单位或者个人办理投标事宜;
  (三) 不同投标人的投标文件载明的项目管理成员为同一人;
  (四) 不同投标人的投标文件异常一致或者投标报价呈规律性差异;
  (五) 不同投标人的投标文件相互混装;
  (六) 不同投标人的投标保证金从同一单位或者个人的账户转出。

On an e-tendering platform these show as (RULES.md BO-08, BO-11): the same bid-file author or
file (1); the same client IP, computer (MAC address, hardware id, the machine that made the
file) or CA key, or the same contact telephone — one hand doing several bidders' bidding (2);
the same project manager
(3); identical prices, prices in regular steps (equal differences, equal ratios, fixed multiples),
near-duplicate bid documents and shared rare passages (4, `similarity`); one bidder's documents
naming another bidder (5, `similarity`); the same paying account (6).

Each check returns evidence rows (`EVIDENCE_SCHEMA`): the lot, the item of Art. 40, the kind of
fact, the shared value and the bids and bidders that share it. Related lots: the same value in
bids of *different* bidders in different lots of the same tenderer within `window_days`
(scope "related"), where those bidders did not already share it within one lot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from tenderwatch.screening.collusion import within
from tenderwatch.screening.collusion.screens import PRICED_STATUSES

# Fingerprint column → the item of Art. 40 it evidences.
FIELD_ITEM: dict[str, int] = {
    "file_author": 1,
    "file_hash": 1,
    "client_ip": 2,
    "file_machine": 2,  # the computer that made the file, with its MAC and hardware id
    "mac_address": 2,
    "hardware_id": 2,
    "ca_key_id": 2,
    "contact_phone": 2,
    "manager": 3,
    "security_account": 6,
}

EVIDENCE_SCHEMA: dict[str, Any] = {
    "lot": pl.Int64,
    "item": pl.Int8,
    "kind": pl.String,  # fingerprint | identical_price | price_steps | price_ratios | multiples | …
    "field": pl.String,  # the fingerprint column, or "price", "document"
    "value": pl.String,  # the shared fact, as text
    "bids": pl.List(pl.Int64),
    "bidders": pl.List(pl.Int64),
    "scope": pl.String,  # "lot" or "related"
    "lots": pl.List(pl.Int64),  # related scope: every lot concerned
    "detail": pl.String,  # JSON: step, ratio, similarity, …
}


@dataclass(frozen=True)
class Params:
    fields: dict[str, int] = field(default_factory=lambda: dict(FIELD_ITEM))
    related: bool = True
    window_days: int = 180  # related lots: the same tenderer within this many days
    # Prices in regular steps (第四十条第（四）项). Steps that are round (a multiple of
    # `round_step` yuan, or a ratio that is a multiple of `round_ratio`) count from
    # `round_terms` bids on; any other equal step or ratio from `any_terms` bids on.
    round_step: float = 100.0
    round_ratio: float = 0.001
    round_terms: int = 3
    any_terms: int = 4
    ratio_tolerance_cents: float = 1.5  # rounding of each price to the cent
    # Fixed multiples: at least `multiple_minimum` other bids at the lowest bid × a multiple of
    # `multiple_step` (1.01, 1.02, …), within a relative `multiple_tolerance`.
    multiple_step: float = 0.01
    multiple_tolerance: float = 1e-6
    multiple_minimum: int = 2
    statuses: tuple[str, ...] = PRICED_STATUSES  # bids whose prices are compared


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=EVIDENCE_SCHEMA)


def _conform(frame: pl.LazyFrame) -> pl.LazyFrame:
    names = frame.collect_schema().names()
    return frame.select(
        pl.col(n).cast(t) if n in names else pl.lit(None, dtype=t).alias(n)
        for n, t in EVIDENCE_SCHEMA.items()
    )


def _grouped(bids: within.Grouped | pl.DataFrame | pl.LazyFrame) -> within.Grouped:
    return bids if isinstance(bids, within.Grouped) else within.group(bids)


def _key(lot: pl.Expr, value: pl.Expr) -> pl.Expr:
    """(lot, value) as one signed 64-bit integer (hashed: a rare collision only lets a pair
    through to the exact comparison that follows)."""
    return (
        lot.cast(pl.Int64) * 1_000_003 + value.hash(9).cast(pl.Int64, wrap_numerical=True)
    ).alias("k")


def fingerprints(
    bids: within.Grouped | pl.DataFrame | pl.LazyFrame, params: Params | None = None
) -> pl.DataFrame:
    """The same fingerprint in bids of two or more different bidders of one lot."""
    params = params or Params()
    shared = within.shared_values(_grouped(bids), params.fields)
    return _conform(
        shared.lazy().select(
            "lot",
            "item",
            pl.lit("fingerprint").alias("kind"),
            "field",
            "value",
            "bids",
            "bidders",
            pl.lit("lot").alias("scope"),
            pl.concat_list(pl.col("lot")).alias("lots"),
        )
    ).collect()


def related_fingerprints(
    bids: pl.LazyFrame | pl.DataFrame,
    lots: pl.LazyFrame | pl.DataFrame,
    params: Params | None = None,
) -> pl.LazyFrame:
    """The same fingerprint in bids of different bidders in *different* lots of one tenderer
    within `window_days` of each other (by bid deadline, else registration), which those
    bidders did not share within one lot. Reported on the later lot."""
    params = params or Params()
    if not params.related:
        return empty().lazy()
    when = lots.lazy().select(
        "lot",
        "tenderer",
        pl.coalesce("bid_deadline", "registered_at").alias("at"),
    )
    fields = list(params.fields)
    frame = (  # joined once, read by each field's query
        bids.lazy()
        .select("lot", "bid", "bidder", *fields)
        .join(when, on="lot")
        .filter(pl.col("tenderer").is_not_null())
        .collect()
        .lazy()
    )
    window = pl.duration(days=params.window_days)
    parts = []
    for column in fields:
        item = params.fields[column]
        rows = frame.filter(pl.col(column).is_not_null()).select(
            "tenderer",
            "lot",
            "bid",
            "bidder",
            "at",
            pl.col(column).alias("value"),
            pl.col(column).hash(7).alias("h"),
        )
        # Values held by two or more bidders of one tenderer, across two or more lots: found on
        # the values' hashes with minimum ≠ maximum (no set per group); a rare collision only
        # lets rows through to the exact join below.
        candidates = (
            rows.group_by("tenderer", "h")
            .agg(
                (pl.col("bidder").min() != pl.col("bidder").max()).alias("bidders"),
                (pl.col("lot").min() != pl.col("lot").max()).alias("lots"),
            )
            .filter(pl.col("bidders") & pl.col("lots"))
            .select("tenderer", "h")
        )
        rows = rows.join(candidates, on=["tenderer", "h"], how="semi").drop("h")
        pairs = rows.join(rows, on=["tenderer", "value"], suffix="_o").filter(
            (pl.col("lot") != pl.col("lot_o"))
            & (pl.col("bidder") != pl.col("bidder_o"))
            & ((pl.col("at") - pl.col("at_o")).abs() <= window)
            & (
                (pl.col("at") > pl.col("at_o"))
                | ((pl.col("at") == pl.col("at_o")) & (pl.col("lot") > pl.col("lot_o")))
            )
        )
        # Bidders found sharing the value inside a lot are that lot's evidence; the same two
        # bidders meeting it again across lots add nothing.
        inside = (
            rows.group_by("lot", "value")
            .agg(pl.col("bidder").unique().alias("bidder"))
            .filter(pl.col("bidder").list.len() >= 2)
            .explode("bidder")
            .select("value", "bidder", pl.lit(True).alias("inside"))
            .unique()
        )
        pairs = (
            pairs.join(inside, on=["value", "bidder"], how="left")
            .join(
                inside.rename({"bidder": "bidder_o", "inside": "inside_o"}),
                on=["value", "bidder_o"],
                how="left",
            )
            .filter(~(pl.col("inside").fill_null(False) & pl.col("inside_o").fill_null(False)))
        )
        found = pairs.group_by("lot", "value").agg(
            pl.concat_list("bid", "bid_o").explode().unique().sort().alias("bids"),
            pl.concat_list("bidder", "bidder_o").explode().unique().sort().alias("bidders"),
            pl.concat_list("lot", "lot_o").explode().unique().sort().alias("lots"),
        )
        parts.append(
            _conform(
                found.with_columns(
                    pl.lit(item).alias("item"),
                    pl.lit("fingerprint").alias("kind"),
                    pl.lit(column).alias("field"),
                    pl.lit("related").alias("scope"),
                )
            )
        )
    return pl.concat(parts) if parts else empty().lazy()


def identical_prices(
    bids: within.Grouped | pl.DataFrame | pl.LazyFrame, params: Params | None = None
) -> pl.DataFrame:
    """Two or more different bidders of one lot at exactly the same price (to the cent)."""
    params = params or Params()
    g = _grouped(bids)
    priced = within.priced_mask(g, params.statuses)
    c = within.cents(g)
    frame = g.frame.with_columns(pl.Series("c", c))
    rows = within.matching_priced(g, c, priced)
    shared = (
        frame[rows]
        .group_by("lot", "c")
        .agg(pl.col("bid").sort().alias("bids"), pl.col("bidder").unique().sort().alias("bidders"))
        .filter(pl.col("bidders").list.len() >= 2)
    )
    return _conform(
        shared.lazy().select(
            "lot",
            pl.lit(4).alias("item"),
            pl.lit("identical_price").alias("kind"),
            pl.lit("price").alias("field"),
            _yuan(pl.col("c")).alias("value"),
            "bids",
            "bidders",
            pl.lit("lot").alias("scope"),
            pl.concat_list(pl.col("lot")).alias("lots"),
        )
    ).collect()


def _yuan(cents: pl.Expr) -> pl.Expr:
    """Cents as the documents write an amount: 3856000.00."""
    return pl.format(
        "{}.{}",
        (cents // 100).cast(pl.String),
        (cents % 100).cast(pl.String).str.zfill(2),
    )


def price_steps(
    bids: within.Grouped | pl.DataFrame | pl.LazyFrame, params: Params | None = None
) -> pl.DataFrame:
    """Prices in regular steps: three or more bids of different bidders whose prices rise by
    equal differences (to the cent) or by equal ratios (within the cent's rounding).

    The lot's triples (a, m, b) whose middle m is an equal step's, (a + b)/2, or near an equal
    ratio's, √(a·b) (`within.price_triples`), grouped by their step or ratio into chains."""
    params = params or Params()
    g = _grouped(bids)
    triples = within.price_triples(g, params.statuses).lazy()
    a, m, b = pl.col("a"), pl.col("m"), pl.col("b")
    round_cents = round(params.round_step * 100)
    equal_steps = triples.filter(pl.col("arith")).with_columns(
        (m - a).alias("step"),
        ((m - a) % round_cents == 0).alias("round"),
        (m - a).cast(pl.String).alias("key"),
    )
    ratio = m.cast(pl.Float64) / a.cast(pl.Float64)
    units = ratio / params.round_ratio
    slack = pl.max_horizontal(pl.lit(1e-6), 1.0 / a.cast(pl.Float64))
    equal_ratios = (
        triples.filter(
            ~pl.col("arith")
            & (m > a)
            & (m < b)
            & (
                (b.cast(pl.Float64) - m.cast(pl.Float64) ** 2 / a.cast(pl.Float64)).abs()
                <= params.ratio_tolerance_cents
            )
        )
        .with_columns(ratio.alias("ratio"))
        .with_columns(((units - units.round()).abs() * params.round_ratio <= slack).alias("round"))
        .with_columns(
            pl.when(pl.col("round"))
            .then((units.round() * params.round_ratio).round(6).cast(pl.String))
            .otherwise(pl.col("ratio").round(6).cast(pl.String))
            .alias("key")
        )
    )
    parts = []
    for kind, frame in (("price_steps", equal_steps), ("price_ratios", equal_ratios)):
        chains = (
            frame.group_by("lot", "key", "round")
            .agg(pl.concat_list("a_bid", "m_bid", "b_bid").explode().unique().sort().alias("bids"))
            .with_columns(pl.col("bids").list.len().alias("terms"))
            .filter(
                (pl.col("round") & (pl.col("terms") >= params.round_terms))
                | (pl.col("terms") >= params.any_terms)
            )
        )
        parts.append(chains.with_columns(pl.lit(kind).alias("kind")))
    chains = pl.concat(parts, how="diagonal_relaxed")
    members = pl.concat(
        triples.select(
            "lot",
            pl.col(f"{t}_bid").alias("bid"),
            pl.col(f"{t}_bidder").alias("bidder"),
            pl.col(t).alias("c"),
        )
        for t in "amb"
    ).unique(["lot", "bid"])
    chains = (
        chains.with_row_index("chain")
        .explode("bids")
        .rename({"bids": "bid"})
        .join(members, on=["lot", "bid"])
        .sort("chain", "c")
        .group_by("chain", "lot", "kind", "key", "round", maintain_order=True)
        .agg(
            pl.col("bid").alias("bids"),
            pl.col("bidder").unique().sort().alias("bidders"),
            _yuan(pl.col("c")).alias("prices"),
        )
    )
    out = chains.select(
        "lot",
        pl.lit(4).alias("item"),
        "kind",
        pl.lit("price").alias("field"),
        pl.col("prices").list.join("、").alias("value"),
        "bids",
        "bidders",
        pl.lit("lot").alias("scope"),
        pl.concat_list(pl.col("lot")).alias("lots"),
        pl.format(
            '{{"key": "{}", "round": {}}}',
            pl.col("key"),
            pl.when(pl.col("round")).then(pl.lit("true")).otherwise(pl.lit("false")),
        ).alias("detail"),
    )
    return _conform(out).collect()


def multiples(
    bids: within.Grouped | pl.DataFrame | pl.LazyFrame, params: Params | None = None
) -> pl.DataFrame:
    """Fixed multiples: other bids at the lowest bid × 1.01, 1.02, … (a round multiple)."""
    params = params or Params()
    g = _grouped(bids)
    mask = pl.Series(within.priced_mask(g, params.statuses))
    priced = (
        g.frame.filter(mask)
        .select("lot", "bid", "bidder")
        .with_columns(pl.Series("c", within.cents(g)).filter(mask), pl.col("lot").set_sorted())
        .lazy()
    )
    bases = priced.group_by("lot", maintain_order=True).agg(
        pl.col("c").min().alias("base"),
        pl.col("bid").get(pl.col("c").arg_min()).alias("base_bid"),
        pl.col("bidder").get(pl.col("c").arg_min()).alias("base_bidder"),
    )
    step = params.multiple_step
    framed = priced.join(bases, on="lot").with_columns(
        (pl.col("c") / pl.col("base")).alias("ratio")
    )
    units = pl.col("ratio") / step
    slack = pl.max_horizontal(
        pl.lit(params.multiple_tolerance), 1.0 / pl.col("base").cast(pl.Float64)
    )
    hits = framed.filter(
        (pl.col("bid") != pl.col("base_bid"))
        & (pl.col("bidder") != pl.col("base_bidder"))
        & (pl.col("ratio") > 1 + slack)
        & ((units - units.round()).abs() * step <= slack * pl.col("ratio"))
    )
    found = (
        hits.group_by("lot")
        .agg(
            pl.col("base_bid").first(),
            pl.col("base_bidder").first(),
            pl.col("base").first(),
            pl.col("bid"),
            pl.col("bidder"),
            (pl.col("ratio") / step).round().cast(pl.Int64).alias("units"),
        )
        .filter(pl.col("bid").list.len() >= params.multiple_minimum)
    )
    out = found.select(
        "lot",
        pl.lit(4).alias("item"),
        pl.lit("multiples").alias("kind"),
        pl.lit("price").alias("field"),
        _yuan(pl.col("base")).alias("value"),
        pl.concat_list(pl.col("base_bid"), pl.col("bid")).list.sort().alias("bids"),
        pl.concat_list(pl.col("base_bidder"), pl.col("bidder"))
        .list.unique()
        .list.sort()
        .alias("bidders"),
        pl.lit("lot").alias("scope"),
        pl.concat_list(pl.col("lot")).alias("lots"),
        pl.format(
            '{{"step": {}, "multiples": [{}]}}',
            pl.lit(step),
            (pl.col("units").cast(pl.List(pl.String)).list.join(", ")),
        ).alias("detail"),
    )
    return _conform(out).collect()


def collect(
    bids: pl.LazyFrame | pl.DataFrame,
    lots: pl.LazyFrame | pl.DataFrame | None = None,
    params: Params | None = None,
) -> pl.DataFrame:
    """Every Art. 40 field and price check over these bids (documents: `similarity`)."""
    params = params or Params()
    g = within.group(bids)
    frames = [
        fingerprints(g, params),
        identical_prices(g, params),
        price_steps(g, params),
        multiples(g, params),
    ]
    if lots is not None and params.related:
        frames.append(related_fingerprints(g.frame, lots, params).collect())
    return pl.concat(frames, how="vertical_relaxed").sort("lot", "item", "kind", "field")


def detail(row: dict[str, Any]) -> dict[str, Any]:
    text = row.get("detail")
    return json.loads(text) if text else {}
