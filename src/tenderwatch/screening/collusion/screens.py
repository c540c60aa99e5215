"""Statistical screens of a lot's bid distribution, as one Polars group-by over any number of
lots, and their fences per market.

For one lot with bids sorted b₁ ≤ … ≤ bₙ (DETECTION.md "The screens literature"): CV = σ/μ
(σ with ddof 1), SPD = (bₙ − b₁)/b₁, DIFFP = (b₂ − b₁)/b₁, RD = (b₂ − b₁)/σ(b₂…bₙ), KURT the
bias-corrected excess kurtosis, SKEW the bias-corrected skewness, KSTEST the Kolmogorov–Smirnov
statistic of the bids against a uniform distribution on [b₁, bₙ], and GAP the missing-bids gap
above the winner (Chassang, Kawai, Nakabayashi & Ortner 2022): (the nearest bid above the
winning bid − the winning bid) / the ceiling price (the lowest bid without a ceiling; the lowest
bid stands in for the winner before the award).

A screen is computed only where it is defined and is otherwise null — "not computable", never 0:
CV, SPD, DIFFP, GAP and KSTEST need two bids (and a spread for KSTEST), SKEW and RD three, KURT
four; SKEW, KURT and RD need bids that are not all equal.

Fences are Tukey's (Q1 − 1.5·IQR, Q3 + 1.5·IQR, inclusive, with the same quartile estimator as
cardinal-rs) per market (industry and category by default), from the lots of that market where
the screen is computable, when there are at least `minimum_lots` of them; otherwise the fences
of all lots are used, and with fewer than that no fence at all. Collusion tends to push each
screen one way (`DIRECTION`); a screen beyond its fence in that direction is a *signal*. Signals
are for the office to look at with the lot's distribution, not verdicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from tenderwatch.screening.collusion.quantiles import quantile_expr

SCREENS: tuple[str, ...] = ("CV", "SPD", "DIFFP", "RD", "KURT", "SKEW", "KSTEST", "GAP")
MOMENT_SCREENS: tuple[str, ...] = ("CV", "SPD", "DIFFP", "RD", "KURT", "SKEW")
# Which way collusion tends to push a screen ("low": at or below the lower fence is a signal).
DIRECTION: dict[str, str | None] = {
    "CV": "low",
    "SPD": "low",
    "DIFFP": "high",
    "RD": "high",
    "KURT": "high",
    "SKEW": "low",
    "KSTEST": None,  # no direction in the literature: shown, never a signal on its own
    "GAP": "high",
}
# Bid statuses whose prices make the distribution (a withdrawn bid was never opened).
PRICED_STATUSES: tuple[str, ...] = ("submitted", "valid", "rejected", "disqualified")


@dataclass(frozen=True)
class Params:
    market: tuple[str, ...] = ("industry", "category")
    minimum_lots: int = 30  # lots with the screen computable before a market has fences
    minimum_signals: int = 2  # signals in one lot before it becomes a warning
    statuses: tuple[str, ...] = PRICED_STATUSES


def priced(bids: pl.LazyFrame | pl.DataFrame, params: Params | None = None) -> pl.LazyFrame:
    params = params or Params()
    return bids.lazy().filter(
        pl.col("status").is_in(list(params.statuses))
        & pl.col("price").is_not_null()
        & (pl.col("price") > 0)
    )


def moment_exprs() -> list[pl.Expr]:
    """Aggregations over one lot's prices sorted ascending (use inside `group_by(...).agg`)."""
    p = pl.col("price")
    n = pl.len()
    b1, b2, bn = p.first(), p.get(1, null_on_oob=True), p.last()
    sd = p.std(ddof=1)
    losers_sd = p.slice(1).std(ddof=1)
    spread_ok = sd > 0
    return [
        n.alias("n"),
        b1.alias("b1"),
        b2.alias("b2"),
        bn.alias("bn"),
        p.mean().alias("mean"),
        sd.alias("sd"),
        pl.when((n >= 2) & (p.mean() > 0)).then(sd / p.mean()).alias("CV"),
        pl.when(n >= 2).then((bn - b1) / b1).alias("SPD"),
        pl.when(n >= 2).then((b2 - b1) / b1).alias("DIFFP"),
        pl.when((n >= 3) & (losers_sd > 0)).then((b2 - b1) / losers_sd).alias("RD"),
        pl.when((n >= 4) & spread_ok).then(p.kurtosis(fisher=True, bias=False)).alias("KURT"),
        pl.when((n >= 3) & spread_ok).then(p.skew(bias=False)).alias("SKEW"),
    ]


def distribution_exprs() -> list[pl.Expr]:
    """KSTEST and GAP (prices sorted ascending; `winner` and `reference` columns present)."""
    p = pl.col("price")
    n = pl.len()
    b1, bn = p.first(), p.last()
    u = (p - b1) / (bn - b1)
    i = pl.int_range(1, n + 1).cast(pl.Float64)
    nf = n.cast(pl.Float64)
    ks = pl.max_horizontal(i / nf - u, u - (i - 1) / nf).max()
    winning = p.filter(pl.col("winner")).min()
    base = pl.coalesce(winning, b1)
    above = p.filter(p > base).min()
    reference = pl.coalesce(pl.col("reference").first(), b1)
    return [
        pl.when((n >= 2) & (bn > b1)).then(ks).alias("KSTEST"),
        pl.when(n >= 2).then((pl.coalesce(above, base) - base) / reference).alias("GAP"),
        base.alias("winning_price"),
    ]


def lot_screens(
    bids: pl.LazyFrame | pl.DataFrame,
    lots: pl.LazyFrame | pl.DataFrame | None = None,
    params: Params | None = None,
    *,
    distribution: bool = True,
) -> pl.LazyFrame:
    """One row per lot with at least one priced bid: n, b₁, b₂, bₙ, mean, σ and the screens
    (null where not computable). `lots` supplies the ceiling price (GAP's reference)."""
    params = params or Params()
    frame = priced(bids, params)
    if lots is not None:
        frame = frame.join(
            lots.lazy().select("lot", pl.col("ceiling_price").alias("reference")),
            on="lot",
            how="left",
        )
    else:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Float64).alias("reference"))
    aggs = moment_exprs() + (distribution_exprs() if distribution else [])
    return frame.sort("lot", "price").group_by("lot").agg(aggs)


def moments_of_prepared(prepared: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    """The moment screens from `evidence.prepare`'s frame (prices in cents, sorted by lot and
    price, `lot` marked sorted): the batch path, which sorts the bids once for every check."""
    return (
        prepared.lazy()
        .with_columns((pl.col("c") / 100).alias("price"))
        .group_by("lot", maintain_order=True)
        .agg(moment_exprs())
    )


def fences(
    screens: pl.LazyFrame | pl.DataFrame,
    lots: pl.LazyFrame | pl.DataFrame | None,
    params: Params | None = None,
    names: Sequence[str] = SCREENS,
) -> pl.DataFrame:
    """Per market and screen: the lots counted and the fences (long form: market, screen,
    count, q1, q3, lower, upper); a market row with `market = None` holds the fences of all."""
    params = params or Params()
    frame = _with_market(screens, lots, params)
    parts = []
    for name in names:
        agg = [
            pl.col(name).drop_nulls().len().alias("count"),
            quantile_expr(name, 0.25).alias("q1"),
            quantile_expr(name, 0.75).alias("q3"),
        ]
        per_market = frame.group_by("market").agg(agg).with_columns(pl.lit(name).alias("screen"))
        overall = frame.select(agg).with_columns(
            pl.lit(None, dtype=pl.String).alias("market"), pl.lit(name).alias("screen")
        )
        parts += [per_market, overall]
    out = pl.concat(parts, how="diagonal_relaxed").collect()
    iqr = pl.col("q3") - pl.col("q1")
    return out.with_columns(
        (pl.col("q1") - 1.5 * iqr).alias("lower"), (pl.col("q3") + 1.5 * iqr).alias("upper")
    ).select("market", "screen", "count", "q1", "q3", "lower", "upper")


def _with_market(
    screens: pl.LazyFrame | pl.DataFrame, lots: pl.LazyFrame | pl.DataFrame | None, params: Params
) -> pl.LazyFrame:
    frame = screens.lazy()
    if lots is None or not params.market:
        return frame.with_columns(pl.lit("all").alias("market"))
    keys = lots.lazy().select(
        "lot",
        pl.concat_str([pl.col(c).fill_null("?") for c in params.market], separator="/").alias(
            "market"
        ),
    )
    return frame.join(keys, on="lot", how="left")


def signals(
    screens: pl.LazyFrame | pl.DataFrame,
    lots: pl.LazyFrame | pl.DataFrame | None,
    fence_table: pl.DataFrame,
    params: Params | None = None,
) -> pl.DataFrame:
    """Each lot's screens with the fences that apply (its market's, else all lots', else none)
    and, per screen, whether it is a signal; plus `signals` (how many) per lot."""
    params = params or Params()
    frame = _with_market(screens, lots, params)
    usable = fence_table.filter(pl.col("count") >= params.minimum_lots)
    market = usable.filter(pl.col("market").is_not_null())
    overall = usable.filter(pl.col("market").is_null())
    flags = []
    for name in SCREENS:
        m = market.filter(pl.col("screen") == name).select(
            "market", pl.col("lower").alias(f"{name}_lo_m"), pl.col("upper").alias(f"{name}_hi_m")
        )
        o = overall.filter(pl.col("screen") == name)
        lo_all = o["lower"][0] if o.height else None
        hi_all = o["upper"][0] if o.height else None
        frame = (
            frame.join(m.lazy(), on="market", how="left")
            .with_columns(
                pl.coalesce(pl.col(f"{name}_lo_m"), pl.lit(lo_all, dtype=pl.Float64)).alias(
                    f"{name}_lo"
                ),
                pl.coalesce(pl.col(f"{name}_hi_m"), pl.lit(hi_all, dtype=pl.Float64)).alias(
                    f"{name}_hi"
                ),
            )
            .drop(f"{name}_lo_m", f"{name}_hi_m")
        )
        direction = DIRECTION[name]
        if direction == "low":
            hit = pl.col(name) <= pl.col(f"{name}_lo")
        elif direction == "high":
            hit = pl.col(name) >= pl.col(f"{name}_hi")
        else:
            hit = pl.lit(False)
        frame = frame.with_columns(hit.fill_null(False).alias(f"{name}_signal"))
        flags.append(pl.col(f"{name}_signal").cast(pl.Int32))
    return frame.with_columns(pl.sum_horizontal(flags).alias("signals")).collect()
