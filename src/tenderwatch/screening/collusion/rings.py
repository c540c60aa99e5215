"""Bid rotation (轮流中标): the same group of bidders meeting lot after lot, one of them winning
well below the others, who bid just under the ceiling — and the winner changing from lot to lot.

招标投标法实施条例 第三十九条 counts 约定中标人 and 轮流中标 among the collusion that must be
proved; this is a signal for the office's investigation (RULES.md BO-07, the "抱团投标" profile
of BO-12), not a deemed fact like 第四十条.

In one lot, a *cover* is a losing bid at least `near` of the reference price (the ceiling; the
highest bid without one) and at least `gap` of the reference above the winning bid. A *ring* is a
set of three bidders that, within `window_days`, met in at least `support` lots in which one of
them won and the two others covered, with at least `winners` different winners. Lots of rings
that share two members are reported together (a ring of four or five shows as overlapping
triples).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from tenderwatch.screening.collusion.frames import among
from tenderwatch.screening.collusion.screens import PRICED_STATUSES

RING_SCHEMA = {
    "lot": pl.Int64,
    "members": pl.List(pl.Int64),
    "lots": pl.List(pl.Int64),
    "winners": pl.List(pl.Int64),
    "covers": pl.List(pl.Int64),  # the covering bids of this lot
}


@dataclass(frozen=True)
class Params:
    gap: float = 0.03
    near: float = 0.97
    support: int = 3
    winners: int = 2
    window_days: int = 730
    statuses: tuple[str, ...] = PRICED_STATUSES


def covers(
    bids: pl.LazyFrame | pl.DataFrame, lots: pl.LazyFrame | pl.DataFrame, params: Params
) -> pl.LazyFrame:
    """(lot, winner, cover bidder, cover bid) for every covering bid."""
    priced = (
        bids.lazy()
        .filter(
            pl.col("status").is_in(list(params.statuses))
            & pl.col("price").is_not_null()
            & (pl.col("price") > 0)
        )
        .join(lots.lazy().select("lot", "ceiling_price"), on="lot", how="left")
        .with_columns(
            pl.coalesce("ceiling_price", pl.col("price").max().over("lot")).alias("reference")
        )
    )
    winners = (
        priced.filter(pl.col("winner"))
        .select("lot", pl.col("bidder").alias("won_by"), pl.col("price").alias("winning"))
        .unique("lot", keep="first")
    )
    return (
        priced.join(winners, on="lot")
        .filter(
            (pl.col("bidder") != pl.col("won_by"))
            & (pl.col("price") >= params.near * pl.col("reference"))
            & (pl.col("price") - pl.col("winning") >= params.gap * pl.col("reference"))
        )
        .select(
            "lot",
            pl.col("won_by").alias("winner"),
            pl.col("bidder").alias("cover"),
            pl.col("bid").alias("cover_bid"),
        )
        .unique(["lot", "cover"])
    )


def rings(
    bids: pl.LazyFrame | pl.DataFrame,
    lots: pl.LazyFrame | pl.DataFrame,
    params: Params | None = None,
    *,
    report: pl.Series | list[int] | None = None,
) -> pl.DataFrame:
    """One row per lot in a ring (`RING_SCHEMA`); only lots in `report` when given (the lots
    screened, while `bids` may hold their history)."""
    params = params or Params()
    c = covers(bids, lots, params)
    when = lots.lazy().select("lot", pl.coalesce("bid_deadline", "registered_at").alias("at"))
    pairs = (
        c.join(c.select("lot", pl.col("cover").alias("other")), on="lot")
        .filter(pl.col("cover") < pl.col("other"))
        .select(
            "lot",
            "winner",
            pl.concat_list("winner", "cover", "other").list.sort().alias("triple"),
        )
        .join(when, on="lot", how="left")
    )
    window = pl.duration(days=params.window_days)
    # Triples seen often enough at all (cheap), then, lot by lot, within the window around it.
    frequent = (
        pairs.group_by("triple")
        .agg(pl.len().alias("support"), pl.col("winner").n_unique().alias("distinct"))
        .filter((pl.col("support") >= params.support) & (pl.col("distinct") >= params.winners))
        .select("triple")
    )
    seen = pairs.join(frequent, on="triple", how="semi")
    around = (
        seen.join(seen, on="triple", suffix="_o")
        .filter((pl.col("at") - pl.col("at_o")).abs().fill_null(pl.duration(days=0)) <= window)
        .group_by("lot", "triple")
        .agg(
            pl.col("lot_o").unique().sort().alias("lots"),
            pl.col("winner_o").unique().sort().alias("winners"),
        )
        .filter(
            (pl.col("lots").list.len() >= params.support)
            & (pl.col("winners").list.len() >= params.winners)
        )
    )
    per_lot = around.group_by("lot").agg(
        pl.col("triple").explode().unique().sort().alias("members"),
        pl.col("lots").explode().unique().sort().alias("lots"),
        pl.col("winners").explode().unique().sort().alias("winners"),
    )
    covering = c.group_by("lot").agg(pl.col("cover_bid").sort().alias("covers"))
    out = per_lot.join(covering, on="lot", how="left").collect()
    if report is not None:
        out = out.filter(among("lot", report))
    return out.select(list(RING_SCHEMA)).sort("lot")
