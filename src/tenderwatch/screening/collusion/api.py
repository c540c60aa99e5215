"""What the screening engine and the project page call.

    screen_lots(lot_ids) -> list[Finding]              # a few lots, e.g. when an opening arrives
    screen_period(since, until, progress=None) -> list[Finding]     # `tenderwatch screen run`
    lot_screens(lot_id) -> LotScreens                  # the values the lot's panel shows

All three run the same pure function, `run(targets, context, …)`, on Polars frames read from the
ledger in a fixed number of queries (`frames.from_ledger`). `targets` are the lots screened;
`context` the lots that give them meaning — the market's lots of the last `history_days` (the
fences), the same tenderer's lots (related lots), the same bidders' lots (bid rotation). Findings
are reported for the targets only.

The findings go to `screening.services.warnings_raise(findings=…, origin=Origin.SCREEN)`; their
keys are stable, so a second run merges into the same warnings.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from tenderwatch.core.iterables import chunks
from tenderwatch.screening.collusion import cardinal, evidence, explain, rings, screens, similarity
from tenderwatch.screening.collusion.frames import Frames, among
from tenderwatch.screening.findings import Finding

# cardinal flags raised as findings on the ledger. R003 and R018 repeat the statutory rules
# (TD-05 bidding period, BO-01 fewer than three bids), R028 and R044 repeat 第四十条 (identical
# prices, shared contacts) and R023 the fixed-multiples check: they run, and are not raised twice.
LEDGER_FLAGS = ("R022", "R024", "R030", "R035", "R036", "R058")


@dataclass(frozen=True)
class Params:
    screens: screens.Params = field(default_factory=screens.Params)
    evidence: evidence.Params = field(default_factory=evidence.Params)
    rings: rings.Params = field(default_factory=rings.Params)
    similarity: similarity.Params = field(default_factory=similarity.Params)
    cardinal_flags: tuple[str, ...] = LEDGER_FLAGS
    history_days: int = 730  # context: the market's, tenderer's and bidders' lots this far back
    chunk: int = 5_000  # lots worded per step of the progress bar


@dataclass
class ScreenRun:
    """Everything one run found, for the targets: the findings and the frames behind them."""

    findings: list[Finding]
    evidence: pl.DataFrame
    rings: pl.DataFrame
    screens: pl.DataFrame
    fences: pl.DataFrame
    cardinal: cardinal.Results
    lookup: explain.Lookup
    targets: Frames
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def entity_flags(self) -> list[tuple[str, str, str, float]]:
        """cardinal's flags of tenderers, buyers and procuring entities (R025, R038, R048):
        (group, id, flag, value). They judge an entity's record, not a lot."""
        out = []
        for group, items in self.cardinal.results.items():
            if group == "OCID":
                continue
            for key, values in items.items():
                for flag, value in values.items():
                    if flag in cardinal.ENTITY_FLAGS:
                        out.append((group, key, flag, value))
        return sorted(out)


def run(
    targets: Frames,
    context: Frames | None = None,
    *,
    documents: pl.DataFrame | None = None,
    names: dict[int, tuple[str, ...]] | None = None,
    fence_table: pl.DataFrame | None = None,
    params: Params | None = None,
    progress: Callable[[int], object] | None = None,
) -> ScreenRun:
    """Screen the target lots (pure: frames in, findings out)."""
    params = params or Params()
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    every = targets if context is None else _union(context, targets)
    wanted = pl.Series("lot", targets.lot_ids, dtype=pl.Int64)

    def tick(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    found = evidence.collect(targets.bids, None, params.evidence)
    if params.evidence.related:
        related = evidence.related_fingerprints(every.bids, every.lots, params.evidence).collect()
        found = pl.concat([found, related.filter(among("lot", wanted))], how="vertical_relaxed")
    tick("art40")
    if documents is not None and documents.height:
        docs = similarity.compare(documents, params.similarity, names=names)
        found = pl.concat([found, docs.filter(among("lot", wanted))], how="vertical_relaxed")
    tick("documents")
    ring_rows = rings.rings(every.bids, every.lots, params.rings, report=wanted)
    tick("rings")
    values = screens.lot_screens(every.bids, every.lots, params.screens).collect()
    table = (
        fence_table
        if fence_table is not None
        else screens.fences(values, every.lots, params.screens)
    )
    signals = screens.signals(
        values.filter(among("lot", wanted)), targets.lots, table, params.screens
    )
    tick("screens")
    flags = cardinal.compute(
        cardinal.from_frames(every.lots, every.bids), cardinal.ledger_settings()
    )
    _keep_targets(flags, {str(x) for x in targets.lot_ids})
    tick("cardinal")

    involved = {b for bids in found["bids"].to_list() for b in bids}
    lookup = explain.Lookup.of(
        targets.lots if context is None else every.lots, every.bids, bid_ids=involved
    )
    lookup.add_bids(every.bids.filter(among("lot", ring_rows["lot"])))
    findings: list[Finding] = []
    for chunk in chunks(targets.lot_ids, params.chunk):
        part = pl.Series("lot", chunk, dtype=pl.Int64)
        findings += explain.art40(
            found.filter(among("lot", part)), lookup, window_days=params.evidence.window_days
        )
        findings += explain.rotation(
            ring_rows.filter(among("lot", part)),
            lookup,
            gap=params.rings.gap,
            near=params.rings.near,
            window_days=params.rings.window_days,
        )
        findings += explain.screens(
            signals.filter(among("lot", part)),
            lookup,
            minimum_signals=params.screens.minimum_signals,
        )
        if progress is not None:
            progress(len(chunk))
    findings += explain.cardinal_findings(
        flags.results, lookup, flags=params.cardinal_flags, share_warnings=flags.warnings
    )
    tick("wording")
    return ScreenRun(findings, found, ring_rows, signals, table, flags, lookup, targets, timings)


def _union(a: Frames, b: Frames) -> Frames:
    lots = pl.concat([a.lots, b.lots], how="vertical_relaxed").unique("lot", keep="last")
    bids = pl.concat([a.bids, b.bids], how="vertical_relaxed").unique("bid", keep="last")
    return Frames(lots.sort("lot"), bids.sort("lot", "bid"))


def _keep_targets(results: cardinal.Results, ocids: set[str]) -> None:
    if "OCID" in results.results:
        results.results["OCID"] = {k: v for k, v in results.results["OCID"].items() if k in ocids}


# -- the ledger ----------------------------------------------------------------------------------


def _context_ids(targets: Frames, params: Params) -> list[int]:
    """Lots that give the targets meaning: the same tenderers' and the same bidders' lots within
    the history window (bid rotation, related lots)."""
    from django.db import connection

    if targets.lots.height == 0:
        return []
    latest = targets.lots.select(pl.coalesce("bid_deadline", "registered_at").max()).item()
    latest = latest or dt.datetime.now(dt.UTC)
    start = latest - dt.timedelta(days=params.history_days)
    end = latest + dt.timedelta(days=params.history_days)
    tenderers = [t for t in targets.lots["tenderer"].drop_nulls().unique().to_list()]
    bidders = [b for b in targets.bids["bidder"].drop_nulls().unique().to_list()]
    ids: set[int] = set()
    when = "COALESCE(p.registered_at, p.created_at)"
    with connection.cursor() as cursor:
        for column, values in (("p.tenderer_id", tenderers), ("b.bidder_id", bidders)):
            for part in chunks(values, 2000):
                marks = ", ".join(["%s"] * len(part))
                join = "JOIN ledger_bid b ON b.lot_id = l.id" if column.startswith("b.") else ""
                cursor.execute(
                    f"SELECT DISTINCT l.id FROM ledger_lot l JOIN ledger_project p "  # noqa: S608
                    f"ON p.id = l.project_id {join} WHERE {column} IN ({marks}) "
                    f"AND {when} >= %s AND {when} <= %s",
                    [*part, start, end],
                )
                ids.update(row[0] for row in cursor.fetchall())
    return sorted(ids - set(targets.lot_ids))


_FENCES: dict[tuple[Any, ...], tuple[float, pl.DataFrame]] = {}
_FENCES_LOCK = threading.Lock()
FENCE_SECONDS = 3600.0


def market_fences(targets: Frames, params: Params) -> pl.DataFrame:
    """The fences of the targets' markets, from the market's lots registered in the history
    window before the latest target (kept an hour: they move slowly)."""
    from django.db import connection

    from tenderwatch.screening.collusion import frames as frames_module

    markets = sorted(
        {tuple(r) for r in targets.lots.select(list(params.screens.market)).iter_rows()}, key=str
    )
    latest = targets.lots.select(pl.coalesce("bid_deadline", "registered_at").max()).item()
    day = (latest or dt.datetime.now(dt.UTC)).date()
    key = (
        connection.alias,
        connection.settings_dict.get("NAME"),
        tuple(markets),
        day,
        params.screens,
        params.history_days,
    )
    with _FENCES_LOCK:
        cached = _FENCES.get(key)
        if cached is not None and time.monotonic() - cached[0] < FENCE_SECONDS:
            return cached[1]
    since = day - dt.timedelta(days=params.history_days)
    ids = _market_lot_ids(markets, params, since, day)
    market = frames_module.from_ledger(ids) if ids else Frames.empty()
    if market.lots.height:
        keys = market.lots.select(list(params.screens.market)).iter_rows()
        keep = [
            lot for lot, k in zip(market.lots["lot"], keys, strict=True) if tuple(k) in set(markets)
        ]
        market = market.only(keep)
    market = _union(market, targets)
    values = screens.lot_screens(market.bids, market.lots, params.screens).collect()
    table = screens.fences(values, market.lots, params.screens)
    with _FENCES_LOCK:
        _FENCES[key] = (time.monotonic(), table)
    return table


# Market columns of the lots frame → their column in SQL.
MARKET_SQL = {
    "industry": "p.industry",
    "category": "p.category",
    "region_code": "p.region_code",
    "procurement_method": "p.procurement_method",
}


def _market_lot_ids(
    markets: list[tuple[Any, ...]], params: Params, since: dt.date, until: dt.date
) -> list[int]:
    """Lots registered in [since, until] whose market columns take the targets' values."""
    from django.db import connection

    from tenderwatch.screening.collusion import frames as frames_module

    columns = [MARKET_SQL[c] for c in params.screens.market if c in MARKET_SQL]
    where, args = frames_module.period_filter(since, until)
    for i, column in enumerate(columns):
        values = sorted({str(m[i]) for m in markets if m[i] is not None})
        if not values:
            continue
        where += f" AND {column} IN ({', '.join(['%s'] * len(values))})"
        args += values
    with connection.cursor() as cursor:
        head = "SELECT l.id FROM ledger_lot l JOIN ledger_project p ON p.id = l.project_id"
        cursor.execute(f"{head} WHERE {where} ORDER BY l.id", args)
        return [row[0] for row in cursor.fetchall()]


def clear_fence_cache() -> None:
    with _FENCES_LOCK:
        _FENCES.clear()


def _names(frames: Frames) -> dict[int, tuple[str, ...]]:
    pairs = frames.bids.select("bidder", "bidder_name", "bidder_ref").unique("bidder")
    return {b: tuple(x for x in (name, ref) if x) for b, name, ref in pairs.iter_rows()}


def run_lots(
    lot_ids: Iterable[int],
    *,
    params: Params | None = None,
    progress: Callable[[int], object] | None = None,
) -> ScreenRun:
    from tenderwatch.screening.collusion import frames as frames_module
    from tenderwatch.screening.collusion import texts

    params = params or Params()
    targets = frames_module.from_ledger(lot_ids)
    context = frames_module.from_ledger(_context_ids(targets, params))
    every = _union(context, targets)
    documents = texts.bid_documents(every.bids, every.lots)
    return run(
        targets,
        context,
        documents=documents,
        names=_names(every),
        fence_table=market_fences(targets, params),
        params=params,
        progress=progress,
    )


def screen_lots(lot_ids: Iterable[int], *, params: Params | None = None) -> list[Finding]:
    """Findings of these lots (each lot with its market, tenderer and bidders as context)."""
    ids = sorted(set(lot_ids))
    if not ids:
        return []
    return run_lots(ids, params=params).findings


def lots_of_projects(project_ids: Iterable[int]) -> list[int]:
    from tenderwatch.ledger.models import Lot

    return list(
        Lot.objects.filter(project_id__in=list(project_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def lots_with_bids(project_ids: Iterable[int]) -> list[int]:
    """The lots of these projects that have at least one bid: the others have nothing to
    screen."""
    from tenderwatch.ledger.models import Lot

    return list(
        Lot.objects.filter(project_id__in=list(project_ids), bids__isnull=False)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def run_period(
    since: dt.date | None,
    until: dt.date | None = None,
    *,
    params: Params | None = None,
    progress: Callable[[int], object] | None = None,
) -> ScreenRun:
    """The lots of the projects registered in [since, until], as one batch; the history window
    before `since` is read as context (rings, related lots), the fences from the whole batch."""
    from tenderwatch.screening.collusion import frames as frames_module
    from tenderwatch.screening.collusion import texts

    params = params or Params()
    target_ids = frames_module.lot_ids_in_period(since, until)
    targets = frames_module.from_ledger(target_ids)
    context = Frames.empty()
    if since is not None:
        earlier = frames_module.lot_ids_in_period(
            since - dt.timedelta(days=params.history_days), since - dt.timedelta(days=1)
        )
        context = frames_module.from_ledger(earlier)
    every = _union(context, targets)
    documents = texts.bid_documents(every.bids, every.lots)
    return run(
        targets, context, documents=documents, names=_names(every), params=params, progress=progress
    )


def screen_period(
    since: dt.date | None,
    until: dt.date | None = None,
    progress: Callable[[int], object] | None = None,
) -> list[Finding]:
    """Findings of the lots of the projects registered in [since, until] (China dates).
    `progress(n)` is called with the number of lots worded, chunk by chunk."""
    return run_period(since, until, progress=progress).findings


# -- the page ----------------------------------------------------------------------------------


@dataclass
class LotScreens:
    """What the lot's panel shows: its bids in order of price, the screens with their fences
    (None: not computable, or no fence), the signals, and the evidence side by side."""

    lot_id: int
    market: str
    bids: list[dict[str, Any]]
    ceiling: float | None
    values: dict[str, float | None]
    fences: dict[str, tuple[float | None, float | None]]
    signals: list[str]
    findings: list[Finding]
    entity_flags: list[tuple[str, str, str, float]]

    @property
    def evidence(self) -> list[Finding]:
        return [f for f in self.findings if f.rule_id.startswith("BO-")]

    @property
    def flags(self) -> list[Finding]:
        return [f for f in self.findings if not f.rule_id.startswith(("BO-", "SCR-"))]


def lots_screens(lot_ids: Iterable[int], *, params: Params | None = None) -> dict[int, LotScreens]:
    """The panel's values of several lots (one project's), screened together."""
    params = params or Params()
    ids = sorted(set(lot_ids))
    if not ids:
        return {}
    result = run_lots(ids, params=params)
    out = {}
    for lot_id in ids:
        row = result.lookup.lots.get(lot_id, {})
        values_row = result.screens.filter(pl.col("lot") == lot_id)
        values = values_row.row(0, named=True) if values_row.height else {}
        bids = sorted(
            result.targets.bids.filter(pl.col("lot") == lot_id).iter_rows(named=True),
            key=lambda r: (r.get("price") is None, r.get("price") or 0, r.get("bid")),
        )
        bidders = {r["bidder_ref"] for r in bids}
        market = values.get("market") or "/".join(
            str(row.get(c) or "?") for c in params.screens.market
        )
        out[lot_id] = LotScreens(
            lot_id=lot_id,
            market=str(market),
            bids=bids,
            ceiling=row.get("ceiling_price"),
            values={s: values.get(s) for s in screens.SCREENS},
            fences={s: (values.get(f"{s}_lo"), values.get(f"{s}_hi")) for s in screens.SCREENS},
            signals=[s for s in screens.SCREENS if values.get(f"{s}_signal")],
            findings=[f for f in result.findings if f.lot_id == lot_id],
            entity_flags=[e for e in result.entity_flags if e[1] in bidders],
        )
    return out


def lot_screens(lot_id: int, *, params: Params | None = None) -> LotScreens:
    """The panel's values of one lot: its bids, screens, fences, signals and findings."""
    return lots_screens([lot_id], params=params)[lot_id]
