"""Where generated data goes: the database (through the bulk writer), OCDS JSON Lines, or
Parquet for the screening benchmarks; the labels beside each, always.

Files of one run, in the output folder:

- `labels.jsonl` and `labels.csv` (UTF-8 with a byte-order mark, so Excel reads the Chinese):
  one row per injected violation and lot — see `violations.Label`;
- `generation.json`: the parameters, the counts and, per violation code, its rate, the eligible
  units and how many were injected;
- `releases.jsonl` (`ocds-jsonl`): one OCDS compiled release per line, with the supervisory
  `x_…` fields (fingerprints, committee, scores) since these files feed benchmarks;
- `lots.parquet` and `bids.parquet` (`parquet`): the columns the collusion screens read.

Every file is written under a temporary name and renamed when complete, and nothing in it
depends on the clock, so the same seed gives byte-identical files.
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tenderwatch.generator.bundles import BundleBuilder, validated
from tenderwatch.generator.model import Generator, GProject, Scale
from tenderwatch.generator.workcal import WorkCalendar

FORMATS = ("db", "ocds-jsonl", "parquet")
LABEL_FIELDS = (
    "project_external_id",
    "lot_external_id",
    "code",
    "rule",
    "scope",
    "description",
    "evidence",
)


@dataclass
class Options:
    scale: Scale
    seed: int
    out: Path
    format: str = "db"
    start: Any = None  # datetime.date; None: 2023-01-01
    years: int = 3
    rate_scale: float = 1.0
    workers: int = 1  # OCDS: processes that turn bundles into releases
    progress: bool = False
    progress_file: Any = None  # where the progress bar goes (default: stderr)
    batch_size: int = 500

    def generator(self, calendar: WorkCalendar) -> Generator:
        kwargs: dict[str, Any] = {}
        if self.start is not None:
            kwargs["start"] = self.start
        return Generator(
            scale=self.scale,
            seed=self.seed,
            calendar=calendar,
            years=self.years,
            rate_scale=self.rate_scale,
            **kwargs,
        )


@dataclass
class Result:
    files: list[Path] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    elapsed: float = 0.0
    report: Any = None  # the writer's IngestReport (db)
    notes: list[str] = field(default_factory=list)


def _tmp(path: Path) -> Path:
    return path.with_name(path.name + ".tmp")


def _commit(paths: list[Path]) -> None:
    for path in paths:
        _tmp(path).replace(path)


# -- labels -------------------------------------------------------------------------------------


class LabelWriter:
    """labels.jsonl and labels.csv, written as the projects stream by."""

    def __init__(self, out: Path) -> None:
        self.paths = [out / "labels.jsonl", out / "labels.csv"]
        self._jsonl: IO[str] = _tmp(self.paths[0]).open("w", encoding="utf-8", newline="\n")
        self._csv_file: IO[str] = _tmp(self.paths[1]).open("w", encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._csv_file, lineterminator="\r\n")
        self._csv.writerow(LABEL_FIELDS)
        self.count = 0

    def write(self, project: GProject) -> None:
        for label in project.labels:
            row = label.as_dict()
            self._jsonl.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
            evidence = json.dumps(label.evidence, ensure_ascii=False, separators=(",", ":"))
            self._csv.writerow([*(row[k] for k in LABEL_FIELDS[:-1]), evidence])
            self.count += 1

    def close(self, *, commit: bool = True) -> list[Path]:
        self._jsonl.close()
        self._csv_file.close()
        if commit:
            _commit(self.paths)
        return self.paths


def write_manifest(out: Path, options: Options, generator: Generator, files: list[Path]) -> Path:
    path = out / "generation.json"
    manifest = {
        "generator": "tenderwatch generate",
        "seed": options.seed,
        "scale": options.scale.name,
        "market": options.scale.market,
        "format": options.format,
        "registered_from": _iso(generator.start_day),
        "registered_to": _iso(generator.end_day),
        "years": options.years,
        "violation_rate_scale": options.rate_scale,
        "calendar": {
            "source": generator.calendar.source,
            "first": _iso(generator.calendar.first),
            "last": _iso(generator.calendar.last),
        },
        "notes": generator.notes,
        "files": [f.name for f in files],
        **generator.stats.as_dict(options.rate_scale),
    }
    tmp = _tmp(path)
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def _iso(day: int) -> str:
    import datetime as dt

    return dt.date.fromordinal(day).isoformat()


def _bar(options: Options, total: int, unit: str = "project") -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit=unit,
        disable=not options.progress,
        dynamic_ncols=True,
        file=options.progress_file,
    )


def _stream(
    generator: Generator, labels: LabelWriter | None, tick: Callable[[int], Any] | None = None
) -> Iterator[GProject]:
    for project in generator.projects():
        if labels is not None:
            labels.write(project)
        if tick is not None:
            tick(1)
        yield project


# -- the database -------------------------------------------------------------------------------


def write_db(options: Options, calendar: WorkCalendar) -> Result:
    """Through `writer.bundles_write`: each project a whole process, idempotent by (source,
    external id, version) — a second run with the same seed changes nothing."""
    from tenderwatch.ledger.ingest import writer

    started = time.perf_counter()
    options.out.mkdir(parents=True, exist_ok=True)
    generator = options.generator(calendar)
    builder = BundleBuilder(generator, content=True)
    labels = LabelWriter(options.out)
    bar = _bar(options, generator.n_projects)

    def bundles() -> Iterator[Any]:
        for project in _stream(generator, labels):
            yield validated(builder.bundle(project))

    try:
        report = writer.bundles_write(
            bundles(),
            actor=None,
            label=f"generate {options.scale.name} seed {options.seed}",
            batch_size=options.batch_size,
            progress=bar.update,
            details={"generator_seed": options.seed, "generator_scale": options.scale.name},
        )
    finally:
        bar.close()
        files = labels.close()
    files.append(write_manifest(options.out, options, generator, files))
    return Result(
        files=files,
        stats=generator.stats.as_dict(options.rate_scale),
        elapsed=time.perf_counter() - started,
        report=report,
        notes=generator.notes,
    )


# -- OCDS JSON Lines ----------------------------------------------------------------------------


def _ocds_lines(
    generator: Generator,
    out: IO[str],
    *,
    part: int = 0,
    parts: int = 1,
    labels: LabelWriter | None = None,
    tick: Callable[[int], Any] | None = None,
) -> None:
    """Write the releases of every `parts`-th project from number `part` on, one a line."""
    from tenderwatch.ledger.ingest import ocds

    builder = BundleBuilder(generator, content=False)
    for n, project in enumerate(_stream(generator, labels, tick)):
        if n % parts == part:
            release = ocds.bundle_to_release(builder.bundle(project), private=True)
            out.write(ocds.dumps(release) + "\n")


def _ocds_worker(
    options: Options, calendar: WorkCalendar, part: int, parts: int, path: str
) -> None:
    with Path(path).open("w", encoding="utf-8", newline="\n") as out:
        _ocds_lines(options.generator(calendar), out, part=part, parts=parts)


def write_ocds(options: Options, calendar: WorkCalendar) -> Result:
    """DIR/releases.jsonl, streaming. With several workers each process generates the same
    deterministic stream (cheap) and converts its share of the projects to releases (dear);
    the parts are interleaved back into one file in project order."""
    started = time.perf_counter()
    options.out.mkdir(parents=True, exist_ok=True)
    path = options.out / "releases.jsonl"
    workers = max(1, options.workers)
    if "fork" not in multiprocessing.get_all_start_methods():
        workers = 1  # the workers inherit the set-up process; without fork, one process
    parts_dir = options.out / ".releases-parts"
    generator = options.generator(calendar)
    labels = LabelWriter(options.out)
    bar = _bar(options, generator.n_projects)
    try:
        if workers == 1:
            with _tmp(path).open("w", encoding="utf-8", newline="\n") as out:
                _ocds_lines(generator, out, labels=labels, tick=bar.update)
        else:
            from django.db import connections

            connections.close_all()  # the children must not share the parent's connection
            shutil.rmtree(parts_dir, ignore_errors=True)
            parts_dir.mkdir()
            context = multiprocessing.get_context("fork")
            children = []
            paths = [parts_dir / f"part-{w}.jsonl" for w in range(workers)]
            for w in range(1, workers):
                child = context.Process(
                    target=_ocds_worker, args=(options, calendar, w, workers, str(paths[w]))
                )
                child.start()
                children.append(child)
            with paths[0].open("w", encoding="utf-8", newline="\n") as out:
                _ocds_lines(generator, out, parts=workers, labels=labels, tick=bar.update)
            for child in children:
                child.join()
                if child.exitcode != 0:
                    raise RuntimeError(f"an OCDS worker failed (exit code {child.exitcode})")
            _interleave(paths, _tmp(path))
    except BaseException:
        labels.close(commit=False)
        shutil.rmtree(parts_dir, ignore_errors=True)
        raise
    finally:
        bar.close()
    shutil.rmtree(parts_dir, ignore_errors=True)
    _tmp(path).replace(path)
    files = [path, *labels.close()]
    files.append(write_manifest(options.out, options, generator, files))
    return Result(
        files=files,
        stats=generator.stats.as_dict(options.rate_scale),
        elapsed=time.perf_counter() - started,
        notes=generator.notes,
    )


def _interleave(parts: list[Path], target: Path) -> None:
    """Line n of the result is line n // len(parts) of part n % len(parts)."""
    handles = [p.open("r", encoding="utf-8", newline="\n") for p in parts]
    try:
        with target.open("w", encoding="utf-8", newline="\n") as out:
            while True:
                wrote = False
                for handle in handles:
                    line = handle.readline()
                    if line:
                        out.write(line)
                        wrote = True
                    else:
                        break
                if not wrote:
                    break
    finally:
        for handle in handles:
            handle.close()


# -- Parquet ------------------------------------------------------------------------------------

LOT_COLUMNS: dict[str, str] = {
    "lot_id": "str",
    "project_id": "str",
    "project_code": "str",
    "lot_number": "str",
    "industry": "str",
    "category": "str",
    "region_code": "str",
    "tenderer_id": "str",
    "agency_id": "str",
    "procurement_method": "str",
    "must_tender": "bool",
    "estimated_amount": "f64",
    "ceiling_price": "f64",
    "bid_security": "f64",
    "bids_received": "i32",
    "winner_id": "str",
    "winner_bid_id": "str",
    "award_amount": "f64",
    "evaluation_method": "str",
    "registered_at": "time",
    "documents_issued_at": "time",
    "sale_end_at": "time",
    "clarification_at": "time",
    "bid_deadline": "time",
    "opened_at": "time",
    "evaluation_report_at": "time",
    "publicity_start": "time",
    "publicity_end": "time",
    "award_notice_at": "time",
    "contract_signed_at": "time",
    "written_report_at": "time",
}
BID_COLUMNS: dict[str, str] = {
    "bid_id": "str",
    "lot_id": "str",
    "project_id": "str",
    "industry": "str",
    "category": "str",
    "region_code": "str",
    "procurement_method": "str",
    "ceiling_price": "f64",
    "estimated_amount": "f64",
    "bidder_id": "str",
    "bidder_name": "str",
    "bidder_region": "str",
    "price": "f64",
    "submitted_at": "time",
    "ip": "str",
    "mac": "str",
    "hardware_id": "str",
    "ca_key": "str",
    "file_hash": "str",
    "file_author": "str",
    "file_machine": "str",
    "security_account": "str",
    "project_manager_cert": "str",
    "project_manager_name": "str",
    "status": "str",
    "winner": "bool",
    "rank": "i16",
    "total_score": "f64",
    "bid_deadline": "time",
    "award_notice_at": "time",
}


def _money(cents: int | None) -> float | None:
    return None if cents is None else cents / 100


class ParquetWriter:
    """lots.parquet and bids.parquet, built in chunks (a part file per chunk) and joined at the
    end by Polars' streaming engine, so memory stays flat at national scale."""

    def __init__(self, out: Path, *, chunk_lots: int = 50_000) -> None:
        self.out = out
        self.parts = out / ".parquet-parts"
        shutil.rmtree(self.parts, ignore_errors=True)
        self.parts.mkdir(parents=True)
        self.chunk_lots = chunk_lots
        self._lots: dict[str, list[Any]] = {name: [] for name in LOT_COLUMNS}
        self._bids: dict[str, list[Any]] = {name: [] for name in BID_COLUMNS}
        self._lot_appends = tuple(self._lots[name].append for name in LOT_COLUMNS)
        self._bid_appends = tuple(self._bids[name].append for name in BID_COLUMNS)
        self._n = 0
        self.lot_rows = 0
        self.bid_rows = 0

    def add(self, project: GProject) -> None:
        tenderer = project.tenderer.uscc
        agency = project.agency.uscc if project.agency else None
        region = project.region.code
        for lot in project.lots:
            winner = lot.winner
            supplier = winner.company if winner else lot.supplier
            row = (
                lot.external_id,
                project.external_id,
                project.code,
                lot.number,
                project.industry,
                project.category,
                region,
                tenderer,
                agency,
                project.method,
                project.must_tender,
                _money(lot.estimate),
                _money(lot.ceiling),
                _money(lot.security),
                len(lot.bids),
                supplier.uscc if supplier else None,
                winner.external_id if winner else None,
                _money(lot.amount),
                lot.evaluation_method or None,
                project.registered,
                project.documents_issued,
                project.sale_end,
                project.clarification,
                project.deadline,
                lot.opening,
                lot.report,
                lot.publicity_start,
                lot.publicity_end,
                lot.award,
                lot.contract,
                lot.written_report,
            )
            for append, value in zip(self._lot_appends, row, strict=True):
                append(value)
            ceiling, estimate = _money(lot.ceiling), _money(lot.estimate)
            for bid in lot.bids:
                company = bid.company
                manager = bid.manager
                bid_row = (
                    bid.external_id,
                    lot.external_id,
                    project.external_id,
                    project.industry,
                    project.category,
                    region,
                    project.method,
                    ceiling,
                    estimate,
                    company.uscc,
                    company.name,
                    company.region.code,
                    bid.price / 100,
                    bid.submitted,
                    bid.ip,
                    bid.mac,
                    bid.hardware_id,
                    bid.ca_key,
                    bid.file_hash,
                    bid.author,
                    bid.machine,
                    bid.account if lot.security else None,
                    manager.certificate_no if manager else None,
                    manager.name if manager else None,
                    bid.status,
                    bid is winner,
                    bid.rank,
                    None if bid.total is None else bid.total / 100,
                    project.deadline,
                    lot.award,
                )
                for append, value in zip(self._bid_appends, bid_row, strict=True):
                    append(value)
            self.bid_rows += len(lot.bids)
        self._n += len(project.lots)
        self.lot_rows += len(project.lots)
        if self._n >= self.chunk_lots:
            self.flush()

    def flush(self) -> None:
        if not self._n:
            return
        number = len(list(self.parts.glob("lots-*.parquet")))
        _frame(self._lots, LOT_COLUMNS).write_parquet(self.parts / f"lots-{number:05d}.parquet")
        _frame(self._bids, BID_COLUMNS).write_parquet(self.parts / f"bids-{number:05d}.parquet")
        for values in (*self._lots.values(), *self._bids.values()):
            values.clear()
        self._n = 0

    def close(self) -> list[Path]:
        import polars as pl

        self.flush()
        out = []
        for name, columns in (("lots", LOT_COLUMNS), ("bids", BID_COLUMNS)):
            parts = sorted(self.parts.glob(f"{name}-*.parquet"))
            target = self.out / f"{name}.parquet"
            tmp = _tmp(target)
            if parts:
                pl.scan_parquet(parts).sink_parquet(tmp, compression="zstd", maintain_order=True)
            else:
                _frame({n: [] for n in columns}, columns).write_parquet(tmp)
            tmp.replace(target)
            out.append(target)
        shutil.rmtree(self.parts, ignore_errors=True)
        return out

    def abort(self) -> None:
        shutil.rmtree(self.parts, ignore_errors=True)


def _frame(columns: dict[str, list[Any]], kinds: dict[str, str]) -> Any:
    import polars as pl

    types = {
        "str": pl.String,
        "f64": pl.Float64,
        "i32": pl.Int32,
        "i16": pl.Int16,
        "bool": pl.Boolean,
        "time": pl.Int64,
    }
    frame = pl.DataFrame(
        {name: pl.Series(name, columns[name], dtype=types[kind]) for name, kind in kinds.items()}
    )
    times = [name for name, kind in kinds.items() if kind == "time"]
    return frame.with_columns(
        pl.from_epoch(pl.col(name), time_unit="s")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone("Asia/Shanghai")
        for name in times
    )


def write_parquet(options: Options, calendar: WorkCalendar) -> Result:
    started = time.perf_counter()
    options.out.mkdir(parents=True, exist_ok=True)
    generator = options.generator(calendar)
    labels = LabelWriter(options.out)
    parquet = ParquetWriter(options.out)
    bar = _bar(options, generator.n_projects)
    try:
        for project in _stream(generator, labels, bar.update):
            parquet.add(project)
        bar.close()
        files = parquet.close()
    except BaseException:
        parquet.abort()
        labels.close(commit=False)
        raise
    files += labels.close()
    files.append(write_manifest(options.out, options, generator, files))
    return Result(
        files=files,
        stats=generator.stats.as_dict(options.rate_scale),
        elapsed=time.perf_counter() - started,
        notes=generator.notes,
    )


def run(options: Options, calendar: WorkCalendar) -> Result:
    if options.format == "db":
        return write_db(options, calendar)
    if options.format == "ocds-jsonl":
        return write_ocds(options, calendar)
    if options.format == "parquet":
        return write_parquet(options, calendar)
    raise ValueError(f"unknown format {options.format!r}; choose one of {', '.join(FORMATS)}")
