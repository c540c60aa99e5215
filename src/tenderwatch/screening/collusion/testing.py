"""Hand-made frames for tests: a few lots with their bids, every column defaulted.

lots, bids = make([lot(1, tenderer=7), lot(2, tenderer=7, days=30)],
                  [bid(1, bidder=1, price=100.0, client_ip="1.2.3.4"), …])
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from tenderwatch.screening.collusion.frames import BID_SCHEMA, LOT_SCHEMA, Frames

START = dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC)


def lot(number: int, *, days: int = 0, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "lot": number,
        "lot_ref": f"L{number}",
        "lot_number": f"HZ-{number:03d}",
        "project": number,
        "project_ref": f"P{number}",
        "project_code": f"HZ{number:04d}",
        "industry": "housing",
        "category": "works",
        "region_code": "421102",
        "procurement_method": "open",
        "tenderer": 900,
        "tenderer_ref": "T900",
        "currency": "CNY",
        "ceiling_price": None,
        "registered_at": START + dt.timedelta(days=days - 30),
        "tender_start": START + dt.timedelta(days=days - 25),
        "bid_deadline": START + dt.timedelta(days=days),
    }
    row.update(values)
    return row


def bid(
    lot_number: int, *, bidder: int, price: float | None = None, **values: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "lot": lot_number,
        "bidder": bidder,
        "bidder_ref": f"E{bidder}",
        "bidder_name": f"投标人{bidder}建设有限公司",
        "price": price,
        "currency": "CNY",
        "status": "valid",
        "submitted_at": START - dt.timedelta(hours=bidder % 48),
        "winner": False,
    }
    row.update(values)
    return row


def make(lots: list[dict[str, Any]], bids: list[dict[str, Any]]) -> Frames:
    """The frames; bids are numbered in their order within each lot (bid 101, "L1-B01", …)."""
    counts: dict[int, int] = {}
    for row in bids:
        n = counts[row["lot"]] = counts.get(row["lot"], 0) + 1
        row.setdefault("bid", row["lot"] * 100 + n)
        row.setdefault("bid_ref", f"L{row['lot']}-B{n:02d}")
    lot_frame = pl.DataFrame(
        [{name: row.get(name) for name in LOT_SCHEMA} for row in lots], schema=LOT_SCHEMA
    )
    bid_frame = pl.DataFrame(
        [{name: row.get(name) for name in BID_SCHEMA} for row in bids], schema=BID_SCHEMA
    )
    return Frames(lot_frame, bid_frame)
