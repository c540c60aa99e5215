"""The columns the collusion screens read, as Polars frames: from the ledger database (one query
per table, streamed from the cursor in batches — no ORM objects) or from the generator's Parquet.

Two frames, one row per lot and one per bid. Keys are integers (`lot`, `bid`, `project`,
`bidder`: the ledger's primary keys, or dense codes for Parquet) so that group-bys stay cheap at
national scale; `*_ref` columns keep the external identifiers for the explanations. Money is in
yuan (Float64); times are UTC datetimes.

    frames = from_ledger(lot_ids=[…])            # or since=…, until=… (projects registered then)
    frames = from_parquet(folder)                 # lots.parquet and bids.parquet of `generate`
    frames.bids.lazy().group_by("lot")…

Every screen works on any `Frames`, whatever its size: one lot (the project page), a period, or
the whole ledger.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from tenderwatch.core.iterables import chunks

UTC = dt.UTC

# The fingerprints of 招标投标法实施条例 第四十条 a bid carries (column → what it is).
FINGERPRINTS: tuple[str, ...] = (
    "client_ip",
    "mac_address",
    "hardware_id",
    "ca_key_id",
    "file_hash",
    "file_author",
    "file_machine",
    "file_software",
    "security_account",
    "contact_name",
    "contact_phone",
    "manager",
    "manager_name",
)

LOT_SCHEMA: dict[str, Any] = {
    "lot": pl.Int64,
    "lot_ref": pl.String,
    "lot_number": pl.String,
    "project": pl.Int64,
    "project_ref": pl.String,
    "project_code": pl.String,
    "industry": pl.String,
    "category": pl.String,
    "region_code": pl.String,
    "procurement_method": pl.String,
    "tenderer": pl.Int64,
    "tenderer_ref": pl.String,
    "agency": pl.Int64,
    "agency_ref": pl.String,
    "currency": pl.String,
    "estimated_amount": pl.Float64,
    "ceiling_price": pl.Float64,
    "bids_received": pl.Int32,
    "winner_bid": pl.Int64,
    "registered_at": pl.Datetime("us", "UTC"),
    "tender_start": pl.Datetime("us", "UTC"),
    "bid_deadline": pl.Datetime("us", "UTC"),
    "award_at": pl.Datetime("us", "UTC"),
}

BID_SCHEMA: dict[str, Any] = {
    "bid": pl.Int64,
    "bid_ref": pl.String,
    "lot": pl.Int64,
    "bidder": pl.Int64,
    "bidder_ref": pl.String,
    "bidder_name": pl.String,
    "price": pl.Float64,
    "currency": pl.String,
    "status": pl.String,
    "submitted_at": pl.Datetime("us", "UTC"),
    "winner": pl.Boolean,
    **{name: pl.String for name in FINGERPRINTS},
}


def among(column: str, values: Iterable[int] | pl.Series) -> pl.Expr:
    """`column` is one of these integer keys."""
    series = values if isinstance(values, pl.Series) else pl.Series(list(values), dtype=pl.Int64)
    return pl.col(column).is_in(series.cast(pl.Int64).implode())


@dataclass
class Frames:
    """One row per lot, one per bid (every status; the screens choose which they read)."""

    lots: pl.DataFrame
    bids: pl.DataFrame

    @property
    def lot_ids(self) -> list[int]:
        return self.lots["lot"].to_list()

    def only(self, lot_ids: Iterable[int]) -> Frames:
        wanted = list(lot_ids)
        return Frames(
            self.lots.filter(among("lot", wanted)), self.bids.filter(among("lot", wanted))
        )

    @classmethod
    def empty(cls) -> Frames:
        return cls(pl.DataFrame(schema=LOT_SCHEMA), pl.DataFrame(schema=BID_SCHEMA))

    def concat(self, other: Frames) -> Frames:
        return Frames(
            pl.concat([self.lots, other.lots], how="vertical_relaxed"),
            pl.concat([self.bids, other.bids], how="vertical_relaxed"),
        )


# -- the ledger ----------------------------------------------------------------------------------

BATCH = 50_000  # rows fetched from the cursor at a time
IN_CHUNK = 5_000  # ids per IN (…) list


def _vendor() -> str:
    from django.db import connection

    return connection.vendor


def _epoch(column: str) -> str:
    """SQL for a datetime column as integer seconds since the epoch (UTC)."""
    if _vendor() == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM {column}) AS BIGINT)"
    # '%%s': the queries always pass parameters, so Django's SQLite backend turns "%s" into "?"
    # and "%%" into "%" — a bare '%s' here would become the text '?' (every time 0).
    return f"CAST(strftime('%%s', {column}) AS INTEGER)"


def _real(column: str) -> str:
    if _vendor() == "postgresql":
        return f"CAST({column} AS DOUBLE PRECISION)"
    return f"CAST({column} AS REAL)"


def _text_ip(column: str) -> str:
    # PostgreSQL keeps GenericIPAddressField as inet: host() gives the address without a mask.
    return f"host({column})" if _vendor() == "postgresql" else column


def _stream(sql: str, params: Sequence[Any], schema: dict[str, Any]) -> pl.DataFrame:
    """Run one query and build the frame batch by batch from the cursor's rows."""
    from django.db import connection

    parts: list[pl.DataFrame] = []
    names = list(schema)
    raw_schema = {name: (pl.Int64 if _is_time(kind) else kind) for name, kind in schema.items()}
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        while True:
            rows = cursor.fetchmany(BATCH)
            if not rows:
                break
            parts.append(pl.DataFrame(rows, schema=raw_schema, orient="row"))
    frame = pl.concat(parts) if parts else pl.DataFrame(schema=raw_schema)
    times = [name for name in names if _is_time(schema[name])]
    if times:
        frame = frame.with_columns(
            pl.from_epoch(pl.col(name), time_unit="s").dt.replace_time_zone("UTC").alias(name)
            for name in times
        )
    return frame.select(names)


def _is_time(kind: Any) -> bool:
    return isinstance(kind, pl.Datetime) or kind == pl.Datetime


def period_filter(since: dt.date | None, until: dt.date | None) -> tuple[str, list[Any]]:
    """Projects registered (or, without a registration time, created) in [since, until], China
    dates — the same period `screening.engine.projects_in_period` uses."""
    from tenderwatch.core import timeutil

    clauses, params = [], []
    when = "COALESCE(p.registered_at, p.created_at)"
    if since is not None:
        clauses.append(f"{when} >= %s")
        params.append(dt.datetime.combine(since, dt.time.min, tzinfo=timeutil.CHINA))
    if until is not None:
        clauses.append(f"{when} < %s")
        end = dt.datetime.combine(until, dt.time.min, tzinfo=timeutil.CHINA)
        params.append(end + dt.timedelta(days=1))
    return (" AND ".join(clauses) or "1=1"), params


def lot_ids_in_period(since: dt.date | None, until: dt.date | None = None) -> list[int]:
    from django.db import connection

    where, params = period_filter(since, until)
    sql = (
        "SELECT l.id FROM ledger_lot l JOIN ledger_project p ON p.id = l.project_id "  # noqa: S608
        f"WHERE {where} ORDER BY l.id"  # the period's clauses, values as parameters
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def from_ledger(
    lot_ids: Iterable[int] | None = None,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> Frames:
    """The lots (given, or of the projects registered in the period; all without either) and
    all their bids. One query per table, whatever the number of lots."""
    if lot_ids is not None:
        ids = sorted(set(lot_ids))
        if not ids:
            return Frames.empty()
        lots = pl.concat(
            [_lots_query(f"l.id IN ({_marks(part)})", part) for part in chunks(ids, IN_CHUNK)]
        )
        bids = pl.concat(
            [_bids_query(f"b.lot_id IN ({_marks(part)})", part) for part in chunks(ids, IN_CHUNK)]
        )
        return Frames(lots, bids)
    where, params = period_filter(since, until)
    lots = _lots_query(where, params)
    subquery = "SELECT l.id FROM ledger_lot l JOIN ledger_project p ON p.id = l.project_id"
    bids = _bids_query(f"b.lot_id IN ({subquery} WHERE {where})", params)
    return Frames(lots, bids)


def _marks(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


# Event kinds that give a lot its tender period (earliest) and its deadline.
START_KINDS = ("tender_documents_issued", "announcement", "prequalification_issued")


def _lots_query(where: str, params: Sequence[Any]) -> pl.DataFrame:
    sql = f"""
        SELECT l.id, l.external_id, l.number, p.id, p.external_id, p.code, p.industry,
               p.category, p.region_code, p.procurement_method,
               p.tenderer_id, t.identifier, p.agency_id, a.identifier, l.currency,
               {_real("COALESCE(l.estimated_amount, p.estimated_amount)")},
               {_real("l.ceiling_price")},
               (SELECT COUNT(*) FROM ledger_bid bb WHERE bb.lot_id = l.id
                  AND bb.status <> 'withdrawn'),
               aw.bid_id,
               {_epoch("COALESCE(p.registered_at, p.created_at)")},
               (SELECT {_epoch("MIN(e.occurred_at)")} FROM ledger_procedureevent e
                  WHERE e.project_id = p.id AND (e.lot_id IS NULL OR e.lot_id = l.id)
                  AND e.kind IN ({", ".join(f"'{k}'" for k in START_KINDS)})),
               (SELECT {_epoch("MAX(e.occurred_at)")} FROM ledger_procedureevent e
                  WHERE e.project_id = p.id AND (e.lot_id IS NULL OR e.lot_id = l.id)
                  AND e.kind = 'bid_deadline'),
               {_epoch("aw.notice_at")}
        FROM ledger_lot l
        JOIN ledger_project p ON p.id = l.project_id
        LEFT JOIN ledger_marketentity t ON t.id = p.tenderer_id
        LEFT JOIN ledger_marketentity a ON a.id = p.agency_id
        LEFT JOIN ledger_award aw ON aw.lot_id = l.id
        WHERE {where}
        ORDER BY l.id
    """  # noqa: S608 — the only interpolations are column names and fixed kinds
    frame = _stream(sql, params, LOT_SCHEMA)
    # The deadline is the opening when no deadline event was reported (招标投标法 第三十四条).
    return frame


def _bids_query(where: str, params: Sequence[Any]) -> pl.DataFrame:
    sql = f"""
        SELECT b.id, b.external_id, b.lot_id, b.bidder_id, e.identifier, e.name,
               {_real("b.price")}, b.currency, b.status, {_epoch("b.submitted_at")},
               CASE WHEN aw.id IS NULL THEN 0 ELSE 1 END,
               {_text_ip("b.client_ip")}, b.mac_address, b.hardware_id, b.ca_key_id, b.file_hash,
               b.file_author, b.file_machine, b.file_software, b.security_account,
               b.contact_name, b.contact_phone,
               COALESCE(NULLIF(k.id_hash, ''), NULLIF(k.certificate_no, '')),
               CASE WHEN k.certificate_no <> '' THEN k.name || ' ' || k.certificate_no
                    ELSE k.name END
        FROM ledger_bid b
        JOIN ledger_marketentity e ON e.id = b.bidder_id
        LEFT JOIN ledger_keyperson k ON k.id = b.project_manager_id
        LEFT JOIN ledger_award aw ON aw.bid_id = b.id AND aw.lot_id = b.lot_id
        WHERE {where}
        ORDER BY b.lot_id, b.id
    """  # noqa: S608 — the only interpolations are column names
    schema = {**BID_SCHEMA, "winner": pl.Int8}
    frame = _stream(sql, params, schema)
    return _normalise_bids(frame.with_columns(pl.col("winner").cast(pl.Boolean)))


def _normalise_bids(frame: pl.DataFrame) -> pl.DataFrame:
    """Blank fingerprints as nulls, trimmed; MAC addresses in one spelling (upper case, "-")."""
    text = [c for c in FINGERPRINTS if c in frame.columns]
    frame = frame.with_columns(pl.col(c).str.strip_chars().replace("", None).alias(c) for c in text)
    return frame.with_columns(
        pl.col("mac_address").str.to_uppercase().str.replace_all(":", "-"),
        pl.col("contact_phone").str.replace_all(r"[\s\-()（）]", ""),
    )


# -- the generator's Parquet --------------------------------------------------------------------

# generator/outputs.py BID_COLUMNS / LOT_COLUMNS → ours.
PARQUET_BIDS = {
    "bid_id": "bid_ref",
    "lot_id": "lot_ref",
    "bidder_id": "bidder_ref",
    "bidder_name": "bidder_name",
    "price": "price",
    "status": "status",
    "submitted_at": "submitted_at",
    "winner": "winner",
    "ip": "client_ip",
    "mac": "mac_address",
    "hardware_id": "hardware_id",
    "ca_key": "ca_key_id",
    "file_hash": "file_hash",
    "file_author": "file_author",
    "file_machine": "file_machine",
    "security_account": "security_account",
    "project_manager_cert": "manager",
    "project_manager_name": "manager_name",
}
PARQUET_LOTS = {
    "lot_id": "lot_ref",
    "lot_number": "lot_number",
    "project_id": "project_ref",
    "project_code": "project_code",
    "industry": "industry",
    "category": "category",
    "region_code": "region_code",
    "procurement_method": "procurement_method",
    "tenderer_id": "tenderer_ref",
    "agency_id": "agency_ref",
    "estimated_amount": "estimated_amount",
    "ceiling_price": "ceiling_price",
    "bids_received": "bids_received",
    "winner_bid_id": "winner_bid_ref",
    "registered_at": "registered_at",
    "documents_issued_at": "tender_start",
    "bid_deadline": "bid_deadline",
    "award_notice_at": "award_at",
}


def scan_parquet(folder: Path | str) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Lazy frames over `lots.parquet` and `bids.parquet` with our column names and integer keys
    (dense codes of the external ids, the same in both frames)."""
    folder = Path(folder)
    lots = _renamed(pl.scan_parquet(folder / "lots.parquet"), PARQUET_LOTS)
    bids = _renamed(pl.scan_parquet(folder / "bids.parquet"), PARQUET_BIDS)
    return _coded(lots, bids)


def _renamed(frame: pl.LazyFrame, names: dict[str, str]) -> pl.LazyFrame:
    """Our names for the columns the file has (a missing one becomes null in `_conform`)."""
    present = set(frame.collect_schema().names())
    schema = {**LOT_SCHEMA, **BID_SCHEMA, "winner_bid_ref": pl.String}
    return frame.select(
        pl.col(src).alias(dst)
        if src in present
        else pl.lit(None, dtype=schema.get(dst, pl.String)).alias(dst)
        for src, dst in names.items()
    )


def _coded(lots: pl.LazyFrame, bids: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Integer keys from the external ids: lots numbered in file order, bids likewise, bidders
    and tenderers by a shared entity numbering."""
    lots = lots.with_row_index("lot").with_columns(pl.col("lot").cast(pl.Int64))
    key = lots.select("lot", "lot_ref")
    bids = (
        bids.with_row_index("bid")
        .with_columns(pl.col("bid").cast(pl.Int64))
        .join(key, on="lot_ref", how="left")
    )
    entities = (
        pl.concat(
            [
                bids.select(pl.col("bidder_ref").alias("ref")),
                lots.select(pl.col("tenderer_ref").alias("ref")),
                lots.select(pl.col("agency_ref").alias("ref")),
            ]
        )
        .drop_nulls()
        .unique(maintain_order=True)
        .with_row_index("code")
        .with_columns(pl.col("code").cast(pl.Int64))
    )
    bids = bids.join(
        entities.rename({"ref": "bidder_ref", "code": "bidder"}), on="bidder_ref", how="left"
    )
    lots = (
        lots.join(
            entities.rename({"ref": "tenderer_ref", "code": "tenderer"}),
            on="tenderer_ref",
            how="left",
        )
        .join(entities.rename({"ref": "agency_ref", "code": "agency"}), on="agency_ref", how="left")
        .join(
            bids.select(
                pl.col("bid").alias("winner_bid"), pl.col("bid_ref").alias("winner_bid_ref")
            ),
            on="winner_bid_ref",
            how="left",
        )
    )
    projects = lots.select("project_ref").unique(maintain_order=True).with_row_index("project")
    lots = lots.join(
        projects.with_columns(pl.col("project").cast(pl.Int64)), on="project_ref", how="left"
    ).with_columns(pl.lit("CNY").alias("currency"))
    bids = bids.with_columns(
        pl.lit("CNY").alias("currency"),
        # The manager as a person is named with the certificate (the key is the certificate).
        pl.when(pl.col("manager").is_not_null())
        .then(pl.concat_str([pl.col("manager_name"), pl.col("manager")], separator=" "))
        .otherwise(pl.col("manager_name"))
        .alias("manager_name"),
        *(
            pl.lit(None, dtype=pl.String).alias(c)
            for c in ("file_software", "contact_name", "contact_phone")
        ),
    )
    return _conform(lots, LOT_SCHEMA), _conform(bids, BID_SCHEMA)


def _conform(frame: pl.LazyFrame, schema: dict[str, Any]) -> pl.LazyFrame:
    """Our columns in our order and types; datetimes in UTC."""
    names = frame.collect_schema().names()
    out = []
    for name, kind in schema.items():
        if name not in names:
            out.append(pl.lit(None, dtype=kind).alias(name))
        elif _is_time(kind):
            out.append(pl.col(name).dt.convert_time_zone("UTC").dt.cast_time_unit("us"))
        else:
            out.append(pl.col(name).cast(kind))
    return frame.select(out)


def from_parquet(folder: Path | str) -> Frames:
    lots, bids = scan_parquet(folder)
    return Frames(lots.sort("lot").collect(), _normalise_bids(bids.sort("bid").collect()))
