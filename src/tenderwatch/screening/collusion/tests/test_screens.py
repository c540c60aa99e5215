"""The statistical screens: recomputed from the bids of García Rodríguez et al. (2022)'s labelled
files they match the files' CV, SPD, DIFFP, KURT, SKEW and KSTEST columns; RD follows the
textbook (DETECTION.md: the files' RD is not consistent); "not computable" stays null; fences
per market need their minimum counts."""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import polars as pl
import pytest

from tenderwatch.screening.collusion import screens

FILES = {
    "brazil": "DB_Collusion_Brazil_processed.csv",
    "italy": "DB_Collusion_Italy_processed.csv",
    "swiss": "DB_Collusion_Switzerland_GR_and_See-Gaster_processed.csv",
    "usa": "DB_Collusion_America_processed.csv",
}
EXACT = ("CV", "SPD", "KURT", "SKEW", "KSTEST")
TOLERANCE = 0.5e-4 + 1e-12  # the files round the screens to four decimals


def _garcia(shared_data: Path, market: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(bids as our frame, the file's screens per tender)."""
    raw = pl.read_csv(
        shared_data / "collusion" / "garcia2022" / FILES[market], infer_schema_length=None
    )
    bids = raw.select(
        pl.col("Tender").cast(pl.Int64).alias("lot"),
        pl.col("Bid_value").cast(pl.Float64).alias("price"),
        pl.lit("valid").alias("status"),
        (pl.col("Winner") == 1).alias("winner"),
    )
    theirs = raw.group_by("Tender").agg(
        pl.col(c).first() for c in ("CV", "SPD", "DIFFP", "RD", "KURT", "SKEW", "KSTEST")
    )
    return bids, theirs.select(pl.col("Tender").cast(pl.Int64).alias("lot"), pl.exclude("Tender"))


def _ours(bids: pl.DataFrame) -> pl.DataFrame:
    return screens.lot_screens(bids).collect()


@pytest.mark.parametrize("market", list(FILES))
def test_screens_match_the_files_columns(shared_data: Path, market: str) -> None:
    bids, theirs = _garcia(shared_data, market)
    joined = _ours(bids).join(theirs, on="lot", suffix="_file")
    assert joined.height == theirs.height  # every tender screened
    for name in EXACT:
        computable = joined.filter(pl.col(name).is_not_null())
        off = computable.filter((pl.col(name) - pl.col(f"{name}_file")).abs() > TOLERANCE)
        assert off.height == 0, (name, off.select("lot", "n", name, f"{name}_file").head())
        # Where a screen is not defined we say so (null); the files write 0 there.
        undefined = joined.filter(pl.col(name).is_null())
        assert (undefined[f"{name}_file"] == 0).all(), name
        minimum = {"KURT": 4, "SKEW": 3}.get(name, 2)
        reason = (pl.col("n") < minimum) | (pl.col("bn") == pl.col("b1"))
        assert undefined.filter(~reason).height == 0, name


def test_diffp_matches_the_brazil_file_and_most_of_the_others(shared_data: Path) -> None:
    """DIFFP = (b₂ − b₁)/b₁ matches Brazil's column on every tender and Italy's and Switzerland's
    on most; where it does not, the file departs from its own definition (ties counted as a
    gap, another pair of bids), as the recomputation of the same bids by plain Python shows."""
    rates = {}
    for market in FILES:
        bids, theirs = _garcia(shared_data, market)
        joined = (
            _ours(bids).join(theirs, on="lot", suffix="_file").filter(pl.col("DIFFP").is_not_null())
        )
        same = (joined["DIFFP"] - joined["DIFFP_file"]).abs() <= TOLERANCE
        rates[market] = same.mean()
    assert rates["brazil"] == 1.0
    assert rates["italy"] >= 0.9 and rates["swiss"] >= 0.95


def _reference(prices: list[float]) -> dict[str, float | None]:
    """The textbook screens of one tender in plain Python (an independent oracle)."""
    b = sorted(prices)
    n = len(b)
    out: dict[str, float | None] = {"DIFFP": None, "RD": None, "SPD": None}
    if n >= 2:
        out["DIFFP"] = (b[1] - b[0]) / b[0]
        out["SPD"] = (b[-1] - b[0]) / b[0]
    if n >= 3:
        sd = statistics.stdev(b[1:])
        out["RD"] = (b[1] - b[0]) / sd if sd > 0 else None
    return out


@pytest.mark.parametrize("market", list(FILES))
def test_rd_and_diffp_follow_the_textbook_on_every_tender(shared_data: Path, market: str) -> None:
    bids, _theirs = _garcia(shared_data, market)
    ours = {row["lot"]: row for row in _ours(bids).iter_rows(named=True)}
    groups = bids.group_by("lot").agg(pl.col("price"))
    for lot, prices in groups.iter_rows():
        expected = _reference(prices)
        for name, value in expected.items():
            got = ours[lot][name]
            if value is None:
                assert got is None, (lot, name)
            else:
                assert got == pytest.approx(value, rel=1e-9, abs=1e-12), (lot, name)


def test_the_brazil_rd_column_is_a_different_formula(shared_data: Path) -> None:
    """DETECTION.md: the files' RD is not the textbook's. Brazil's is (b₂ − b₁) over the
    standard deviation of all bids but the highest; ours is the textbook (losing bids)."""
    bids, theirs = _garcia(shared_data, "brazil")
    variant = (
        bids.sort("lot", "price")
        .group_by("lot")
        .agg(
            (
                (pl.col("price").get(1) - pl.col("price").first())
                / pl.col("price").slice(0, pl.len() - 1).std()
            ).alias("variant"),
            pl.len().alias("n"),
        )
        .filter(pl.col("n") >= 3)
        .join(theirs, on="lot")
    )
    same = ((variant["variant"] - variant["RD"]).abs() <= TOLERANCE).mean()
    assert same >= 0.95
    ours = _ours(bids).join(theirs, on="lot", suffix="_file").filter(pl.col("RD").is_not_null())
    assert ((ours["RD"] - ours["RD_file"]).abs() <= TOLERANCE).mean() < 0.1


def test_not_computable_is_null_never_zero() -> None:
    bids = pl.DataFrame(
        {
            "lot": [1, 2, 2, 3, 3, 3, 4, 4, 4],
            "price": [100.0, 100.0, 110.0, 100.0, 100.0, 100.0, 100.0, 104.0, 110.0],
            "status": ["valid"] * 9,
            "winner": [True, True, False, True, False, False, True, False, False],
        }
    )
    out = {r["lot"]: r for r in screens.lot_screens(bids).collect().iter_rows(named=True)}
    assert all(out[1][s] is None for s in screens.SCREENS)  # one bid: nothing to compare
    assert out[2]["DIFFP"] == pytest.approx(0.1) and out[2]["KSTEST"] == pytest.approx(0.5)
    assert out[2]["SKEW"] is None and out[2]["RD"] is None and out[2]["KURT"] is None
    # Three equal bids: spreads are 0 (defined), shape screens are not.
    assert out[3]["CV"] == 0 and out[3]["SPD"] == 0 and out[3]["GAP"] == 0
    assert out[3]["SKEW"] is None and out[3]["RD"] is None and out[3]["KSTEST"] is None
    assert out[4]["RD"] == pytest.approx(4 / statistics.stdev([104, 110]))
    assert out[4]["SKEW"] is not None and out[4]["KURT"] is None  # KURT needs four bids
    assert out[4]["GAP"] == pytest.approx(0.04)  # no ceiling: relative to the lowest bid


def test_gap_is_above_the_winner_and_relative_to_the_ceiling() -> None:
    bids = pl.DataFrame(
        {
            "lot": [1, 1, 1, 1],
            "price": [90.0, 95.0, 99.0, 99.5],
            "status": ["valid"] * 4,
            "winner": [False, True, False, False],  # scored: the second-lowest bid won
        }
    )
    lots = pl.DataFrame({"lot": [1], "ceiling_price": [100.0]})
    row = screens.lot_screens(bids, lots).collect().row(0, named=True)
    assert row["GAP"] == pytest.approx((99.0 - 95.0) / 100.0)


def _market_lots(n: int, market: str, start: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    rows, lots = [], []
    for i in range(n):
        lot = start + i
        base = 1000.0 + i
        # Ordinary lots: five bids with a spread that grows a little from lot to lot.
        for j, step in enumerate((0.0, 0.011, 0.023, 0.037, 0.052)):
            rows.append((lot, base * (1 + step * (1 + i / 100)), "valid", j == 0))
        lots.append((lot, market, "works", base * 1.1))
    schema_b = {"lot": pl.Int64, "price": pl.Float64, "status": pl.String, "winner": pl.Boolean}
    schema_l = {
        "lot": pl.Int64,
        "industry": pl.String,
        "category": pl.String,
        "ceiling_price": pl.Float64,
    }
    return (
        pl.DataFrame(rows, schema=schema_b, orient="row"),
        pl.DataFrame(lots, schema=schema_l, orient="row"),
    )


def test_fences_per_market_with_a_minimum_count_and_a_fallback() -> None:
    big_b, big_l = _market_lots(40, "housing", 0)
    small_b, small_l = _market_lots(10, "water", 100)
    # A cover-bidding lot in the small market: the lowest bid far below the others.
    cover = pl.DataFrame(
        {
            "lot": [200] * 5,
            "price": [880.0, 990.0, 992.0, 994.0, 995.0],
            "status": ["valid"] * 5,
            "winner": [True, False, False, False, False],
        }
    )
    cover_lot = pl.DataFrame(
        {"lot": [200], "industry": ["water"], "category": ["works"], "ceiling_price": [1000.0]}
    )
    bids = pl.concat([big_b, small_b, cover])
    lots = pl.concat([big_l, small_l, cover_lot])
    params = screens.Params(minimum_lots=30)
    values = screens.lot_screens(bids, lots, params).collect()
    table = screens.fences(values, lots, params)
    housing = table.filter((pl.col("market") == "housing/works") & (pl.col("screen") == "DIFFP"))
    water = table.filter((pl.col("market") == "water/works") & (pl.col("screen") == "DIFFP"))
    assert housing["count"][0] == 40 and water["count"][0] == 11
    out = screens.signals(values, lots, table, params)
    row = out.filter(pl.col("lot") == 200).row(0, named=True)
    # The water market is too small for its own fences: all lots' fences apply.
    everything = table.filter(pl.col("market").is_null() & (pl.col("screen") == "DIFFP"))
    assert row["DIFFP_hi"] == pytest.approx(everything["upper"][0])
    assert row["DIFFP_signal"] and row["RD_signal"] and row["GAP_signal"]
    assert row["signals"] >= 3
    ordinary = out.filter(pl.col("lot") < 100)
    assert ordinary["signals"].max() <= 1
    # With a minimum nobody reaches, there are no fences and no signals.
    none = screens.signals(values, lots, table, screens.Params(minimum_lots=1000))
    assert none["signals"].sum() == 0 and none["DIFFP_hi"].is_null().all()
    assert math.isfinite(row["RD"])


@pytest.mark.parametrize("market", list(FILES))
def test_the_batch_moments_equal_the_sorted_ones(shared_data: Path, market: str) -> None:
    """`within.moments` (no sort by price: the national batch) gives the screens of
    `screens.lot_screens` (sorted) on every tender of the labelled files."""
    from tenderwatch.screening.collusion import within

    bids, _theirs = _garcia(shared_data, market)
    bids = bids.with_row_index("bid").with_columns(
        pl.col("bid").cast(pl.Int64), pl.col("lot").alias("bidder")
    )
    sorted_ = _ours(bids).sort("lot")
    batch = within.moments(within.group(bids.sort("lot")), screens.PRICED_STATUSES).sort("lot")
    assert batch["lot"].to_list() == sorted_["lot"].to_list()
    for name in ("n", "b1", "b2", "bn", *screens.MOMENT_SCREENS):
        a, b = sorted_[name], batch[name]
        assert (a.is_null() == b.is_null()).all(), name
        both = pl.DataFrame({"a": a, "b": b}).drop_nulls()
        worst = ((both["a"] - both["b"]).abs() / (1 + both["a"].abs())).max() if both.height else 0
        assert worst <= 1e-9, (name, worst)
