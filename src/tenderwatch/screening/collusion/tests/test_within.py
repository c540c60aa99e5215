"""The within-lot pair and triple machinery against plain loops over the same bids."""

from __future__ import annotations

import itertools
import math
import random

import polars as pl

from tenderwatch.screening.collusion import within

STATUSES = ("valid",)


def _lots(seed: int) -> pl.DataFrame:
    """Lots of 1 to 9 bids with prices built to hold equal steps, equal ratios, ties, a bidder
    bidding twice, unpriced and withdrawn bids, in no particular order within the lot."""
    rng = random.Random(seed)
    rows = []
    bid = 0
    for lot in range(1, 400):
        base = rng.randrange(50_000_00, 5_000_000_00)
        step = rng.choice([100_00, 1_234_56, rng.randrange(1, 10_000_00)])
        ratio = rng.choice([1.01, 1.02, 1.0137])
        candidates = [
            base,
            base + step,
            base + 2 * step,
            base + 3 * step,
            round(base * ratio),
            round(base * ratio * ratio),
            base,  # a tie
            rng.randrange(50_000_00, 5_000_000_00),
        ]
        for _ in range(rng.randrange(1, 10)):
            bid += 1
            cents = rng.choice(candidates)
            rows.append(
                {
                    "lot": lot,
                    "bid": bid,
                    "bidder": rng.randrange(1, 8),  # now and then the same bidder twice
                    "status": rng.choice(["valid"] * 8 + ["withdrawn"]),
                    "price": None if rng.random() < 0.05 else cents / 100,
                }
            )
    frame = pl.DataFrame(rows, schema_overrides={"price": pl.Float64})
    return frame.sample(fraction=1.0, shuffle=True, seed=seed).sort("lot", maintain_order=True)


def _loop(frame: pl.DataFrame) -> set[tuple[int, int, int, int, bool]]:
    """Every (lot, a, m, b) of three different bidders with a < m < b and m an equal step's
    middle or within a cent of √(a·b)."""
    found = set()
    for (lot,), group in frame.group_by("lot"):
        priced = [
            (r["bid"], r["bidder"], round(r["price"] * 100))
            for r in group.iter_rows(named=True)
            if r["status"] in STATUSES and r["price"] is not None and r["price"] > 0
        ]
        for (ab, abr, a), (mb, mbr, m), (bb, bbr, b) in itertools.permutations(priced, 3):
            if not (a < m < b) or len({abr, mbr, bbr}) < 3:
                continue
            arith = 2 * m == a + b
            if arith or abs(m - round(math.sqrt(a * b))) <= 1:
                found.add((lot, ab, mb, bb, arith))
    return found


def test_price_triples_are_every_triple_a_plain_loop_finds() -> None:
    for seed in (1, 2, 3):
        frame = _lots(seed)
        triples = within.price_triples(within.group(frame), STATUSES)
        got = {
            (r["lot"], r["a_bid"], r["m_bid"], r["b_bid"], r["arith"])
            for r in triples.iter_rows(named=True)
        }
        expected = _loop(frame)
        assert got == expected
        assert len(got) == triples.height  # none twice
        assert sum(arith for *_, arith in expected) > 50
        assert sum(not arith for *_, arith in expected) > 10


def test_no_priced_bids_make_no_triples() -> None:
    frame = pl.DataFrame(
        {
            "lot": [1, 1],
            "bid": [1, 2],
            "bidder": [1, 2],
            "status": ["valid"] * 2,
            "price": [None, 0.0],
        },
        schema_overrides={"price": pl.Float64},
    )
    triples = within.price_triples(within.group(frame), STATUSES)
    assert triples.height == 0
    assert triples.columns[:4] == ["lot", "a_bid", "a_bidder", "a"]
