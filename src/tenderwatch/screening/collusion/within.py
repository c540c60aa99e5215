"""The within-lot checks of 第四十条 in one pass over bids grouped by lot.

Bids are grouped by lot (contiguous rows, lots ascending: the ledger's query and the generator's
Parquet give them so; otherwise they are sorted once). Every pair of bids of one lot is then a
pair of row positions (i, i + k) with k below the largest lot's size — found by comparing the lot
column with itself shifted, with no join and no group-by. The offsets are found once and read by
every check: shared fingerprints (hashes compared, the exact values then grouped on the few
matching rows), identical prices. Prices in equal steps or equal ratios put each lot's priced
bids in price order first, so that a middle price is looked for only between two bids (a
triple, `price_triples`). The moment screens read the same grouped frame with order-free
aggregations (no sort by price).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

MAX_SPAN = 400  # bids of one lot compared pairwise (no real lot has more)
SENTINEL = np.uint64(0)


@dataclass
class Grouped:
    """Bids grouped by lot; `same[k - 1]` marks the rows i whose row i + k is in the same lot,
    so every within-lot pair is (i, i + k) for some offset k — compared on contiguous slices."""

    frame: pl.DataFrame
    same: list[np.ndarray]
    _others: list[np.ndarray] | None = None

    @property
    def height(self) -> int:
        return self.frame.height

    @property
    def others(self) -> list[np.ndarray]:
        """Per offset: the same lot and two different bidders (made once)."""
        if self._others is None:
            bidders = self.frame["bidder"].to_numpy()
            self._others = [
                same & (bidders[:-k] != bidders[k:]) for k, same in enumerate(self.same, start=1)
            ]
        return self._others

    @property
    def pairs(self) -> int:
        return int(sum(np.count_nonzero(s) for s in self.same))


def _offsets(lots: np.ndarray) -> list[np.ndarray]:
    out = []
    for k in range(1, min(lots.size, MAX_SPAN)):
        same = lots[:-k] == lots[k:]
        if not same.any():
            break  # no lot has more than k rows
        out.append(same)
    return out


def group(bids: pl.DataFrame | pl.LazyFrame) -> Grouped:
    frame = bids.collect() if isinstance(bids, pl.LazyFrame) else bids
    if frame.height and not frame["lot"].is_sorted():
        frame = frame.sort("lot", maintain_order=True)
    frame = frame.rechunk().with_columns(pl.col("lot").set_sorted())
    return Grouped(frame, _offsets(frame["lot"].to_numpy()))


def _hashes(series: pl.Series) -> np.ndarray:
    """64-bit hashes of a column; a null gets a value of its own (its row number, flagged in the
    top bit), so that it equals nothing."""
    hashes = series.hash(29).to_numpy().copy()
    nulls = series.is_null().to_numpy()
    if nulls.any():
        rows = np.flatnonzero(nulls).astype(np.uint64)
        hashes[nulls] = rows | np.uint64(1 << 63)
        hashes[~nulls] &= np.uint64((1 << 63) - 1)
    return hashes


def _matches(values: np.ndarray, g: Grouped, rows: np.ndarray | None = None) -> np.ndarray:
    """Positions of the rows whose value equals another bidder's in the same lot."""
    found = np.zeros(values.size, dtype=bool)
    for k, others in enumerate(g.others, start=1):
        hit = others & (values[:-k] == values[k:])
        if rows is not None:
            hit &= rows[:-k] & rows[k:]
        found[:-k] |= hit
        found[k:] |= hit
    return np.flatnonzero(found)


def matching_rows(g: Grouped, column: str, *, rows: np.ndarray | None = None) -> np.ndarray:
    """Positions of the rows whose value of `column` equals (by hash) another bidder's in the
    same lot; `rows` limits the pairs to those rows (a boolean mask)."""
    if not g.same:
        return np.empty(0, dtype=np.int64)
    return _matches(_hashes(g.frame[column]), g, rows)


def matching_priced(g: Grouped, cents: np.ndarray, priced: np.ndarray) -> np.ndarray:
    """Positions of priced rows at the same price (in cents) as another bidder's in the lot."""
    if not g.same:
        return np.empty(0, dtype=np.int64)
    return _matches(cents, g, priced)


def shared_values(g: Grouped, columns: dict[str, int]) -> pl.DataFrame:
    """(lot, field, item, value, bids, bidders) for values shared by two or more bidders of a
    lot: the pairs flag the rows, the exact grouping runs on them only."""
    parts = []
    for column, item in columns.items():
        rows = matching_rows(g, column)
        if not rows.size:
            continue
        parts.append(
            g.frame[rows]
            .group_by("lot", column)
            .agg(
                pl.col("bid").sort().alias("bids"),
                pl.col("bidder").unique().sort().alias("bidders"),
            )
            .filter(pl.col("bidders").list.len() >= 2)
            .select(
                "lot",
                pl.lit(column).alias("field"),
                pl.lit(item, dtype=pl.Int8).alias("item"),
                pl.col(column).cast(pl.String).alias("value"),
                "bids",
                "bidders",
            )
        )
    if not parts:
        return pl.DataFrame(
            schema={
                "lot": pl.Int64,
                "field": pl.String,
                "item": pl.Int8,
                "value": pl.String,
                "bids": pl.List(pl.Int64),
                "bidders": pl.List(pl.Int64),
            }
        )
    return pl.concat(parts)


def priced_mask(g: Grouped, statuses: tuple[str, ...]) -> np.ndarray:
    price = g.frame["price"]
    mask = g.frame["status"].is_in(list(statuses)) & price.is_not_null() & (price > 0)
    return mask.fill_null(False).to_numpy()


def cents(g: Grouped) -> np.ndarray:
    return (g.frame["price"].fill_null(0) * 100).round().cast(pl.Int64).to_numpy()


_TRIPLE = ("lot", "a_bid", "a_bidder", "a", "m_bid", "m_bidder", "m", "b_bid", "b_bidder", "b")


def price_triples(g: Grouped, statuses: tuple[str, ...]) -> pl.DataFrame:
    """Triples (a, m, b) of priced bids of three different bidders of a lot, in cents, with
    a < b and m between them in the lot's price order, where m is an equal step's middle
    (2m = a + b) or within a cent of an equal ratio's (√(a·b), the exact test left to the
    caller); `arith` marks the first kind.

    The priced bids are put in price order within each lot; a middle then sits at a row strictly
    between a pair's rows (i, i + k), so for each gap k ≥ 2 the rows i + 1 … i + k − 1 of every
    pair are compared at once (a pair of neighbours holds no middle and is never looked at).
    No pair is stored, hashed or joined: the work is a few vector passes per gap."""
    priced = pl.Series(priced_mask(g, statuses))
    frame = pl.DataFrame(
        {
            "lot": g.frame["lot"].filter(priced),
            "c": pl.Series(cents(g)).filter(priced),
            "bidder": g.frame["bidder"].filter(priced),
            "bid": g.frame["bid"].filter(priced),
        }
    ).sort("lot", "c")  # the lots stay ascending
    lots, c = frame["lot"].to_numpy(), frame["c"].to_numpy()
    bidders, bids = frame["bidder"].to_numpy(), frame["bid"].to_numpy()
    wide = c.astype(np.float64)
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # rows of a, m, b
    for k, same in enumerate(_offsets(lots)[1:], start=2):
        low = np.flatnonzero(same & (bidders[:-k] != bidders[k:]) & (c[:-k] != c[k:]))
        if not low.size:
            continue
        high = low + k
        between = low[:, None] + np.arange(1, k)  # the rows between each pair, one per column
        m = c[between]
        twice = (c[low] + c[high])[:, None]
        geometric = np.rint(np.sqrt(wide[low] * wide[high])).astype(np.int64)[:, None]
        pair, column = np.nonzero((2 * m == twice) | (np.abs(m - geometric) <= 1))
        middle = between[pair, column]
        a, b = low[pair], high[pair]
        other = (bidders[middle] != bidders[a]) & (bidders[middle] != bidders[b])
        found.append((a[other], middle[other], b[other]))
    empty = np.empty(0, dtype=np.int64)
    rows = [np.concatenate(x) for x in zip(*found, strict=True)] if found else [empty, empty, empty]
    columns = [pl.Series("lot", lots[rows[0]])]
    for name, at in zip("amb", rows, strict=True):
        columns += [
            pl.Series(f"{name}_bid", bids[at]),
            pl.Series(f"{name}_bidder", bidders[at]),
            pl.Series(name, c[at]),
        ]
    out = pl.DataFrame(columns).with_columns(pl.col(n).cast(pl.Int64) for n in _TRIPLE)
    return out.with_columns((2 * pl.col("m") == pl.col("a") + pl.col("b")).alias("arith"))


def moment_aggregations() -> list[pl.Expr]:
    """Plain aggregations of one lot's prices, in any order (the group-by's fast paths)."""
    p = pl.col("price")
    return [
        pl.len().alias("n"),
        p.min().alias("b1"),
        p.max().alias("bn"),
        p.mean().alias("mean"),
        p.std(ddof=1).alias("sd"),
        p.kurtosis(fisher=True, bias=False).alias("kurt"),
        p.skew(bias=False).alias("skew"),
    ]


def _order_statistics(lots: np.ndarray, prices: np.ndarray) -> dict[str, np.ndarray]:
    """Per run of equal lots (in order): how many bids tie at the lowest price, the lowest price
    above it (NaN when none), and the sums of the bids' distances to the lowest (d and d²: the
    losers' σ from them loses no precision to cancellation)."""
    starts = np.flatnonzero(np.r_[True, lots[1:] != lots[:-1]])
    sizes = np.diff(np.r_[starts, lots.size])
    lowest = np.repeat(np.minimum.reduceat(prices, starts), sizes)
    above = np.minimum.reduceat(np.where(prices > lowest, prices, np.inf), starts)
    d = prices - lowest
    return {
        "ties": np.add.reduceat((prices == lowest).astype(np.int64), starts),
        "above": np.where(np.isfinite(above), above, np.nan),
        "d1": np.add.reduceat(d, starts),
        "d2": np.add.reduceat(d * d, starts),
    }


def moment_screens() -> list[pl.Expr]:
    """The screens from `moment_aggregations` (one row a lot, with the order statistics): the
    second-lowest bid is the lowest again when it is tied; the losers' σ is that of every bid
    but one lowest."""
    n = pl.col("n")
    lowest = pl.col("b1")
    second = pl.when(pl.col("ties") >= 2).then(lowest).otherwise(pl.col("above"))
    m = (n - 1).cast(pl.Float64)
    # Every bid but one lowest, as distances d to the lowest (that one has d = 0).
    losers_sd = ((pl.col("d2") - pl.col("d1") ** 2 / m) / (m - 1.0)).clip(0.0, None).sqrt()
    spread_ok = pl.col("sd") > 0
    return [
        second.alias("b2"),
        pl.when((n >= 2) & (pl.col("mean") > 0)).then(pl.col("sd") / pl.col("mean")).alias("CV"),
        pl.when(n >= 2).then((pl.col("bn") - lowest) / lowest).alias("SPD"),
        pl.when(n >= 2).then((second - lowest) / lowest).alias("DIFFP"),
        pl.when((n >= 3) & (losers_sd > 1e-9 * lowest))
        .then((second - lowest) / losers_sd)
        .alias("RD"),
        pl.when((n >= 4) & spread_ok).then(pl.col("kurt")).alias("KURT"),
        pl.when((n >= 3) & spread_ok).then(pl.col("skew")).alias("SKEW"),
    ]


def moments(g: Grouped, statuses: tuple[str, ...]) -> pl.DataFrame:
    """The moment screens of every lot (n, b₁, b₂, bₙ, mean, σ, CV, SPD, DIFFP, RD, KURT, SKEW)."""
    priced = pl.Series(priced_mask(g, statuses))
    frame = g.frame.filter(priced).select("lot", "price").with_columns(pl.col("lot").set_sorted())
    columns = [
        "lot",
        "n",
        "b1",
        "b2",
        "bn",
        "mean",
        "sd",
        "CV",
        "SPD",
        "DIFFP",
        "RD",
        "KURT",
        "SKEW",
    ]
    if frame.height == 0:
        return pl.DataFrame(
            schema={
                c: pl.Int64 if c in ("lot",) else pl.UInt32 if c == "n" else pl.Float64
                for c in columns
            }
        )
    order = _order_statistics(frame["lot"].to_numpy(), frame["price"].to_numpy())
    return (
        frame.group_by("lot", maintain_order=True)
        .agg(moment_aggregations())
        .with_columns(
            pl.Series("ties", order["ties"]),
            pl.Series("above", order["above"], nan_to_null=True),
            pl.Series("d1", order["d1"]),
            pl.Series("d2", order["d2"]),
        )
        .with_columns(moment_screens())
        .select(columns)
    )
