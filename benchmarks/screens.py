"""Collusion-screen benchmark (issue #8): a national data set (1,000,000 lots, 5,000,000 bids,
as Parquet) screened as one Polars batch, beside a floor and a baseline measured in the same run.

    make bench                                              # with the other benchmarks
    .venv/bin/python benchmarks/screens.py                  # national scale
    .venv/bin/python benchmarks/screens.py --lots 100000    # a tenth, quicker
    .venv/bin/python benchmarks/screens.py --synthetic      # never run the generator

One run prints:

- floor: a bare Polars scan of the Parquet and a group-by per lot of the same columns the
  screens read (lot, bid, bidder, status, price and the ten fingerprints of 第四十条);
- the moment screens (CV, SPD, DIFFP, RD, KURT, SKEW) with the Art. 40 field checks (shared
  fingerprints, identical prices, equal steps and ratios, fixed multiples), from the same scan;
- KSTEST and the missing-bids gap (they sort each lot's bids);
- bid rotation and the related-lot checks, and cardinal-rs's flags, for the record;
- document similarity (MinHash/LSH, shared rare passages) on 1,000 and 10,000 bid documents;
- a plain pandas/scipy group-by-apply of the moment screens — what an analyst writes — on a
  sample of lots when the whole would take more than five minutes, extrapolated and labelled so;
- every ratio, and each part's peak memory (each part runs in its own process).

Data: `tenderwatch generate --scale national --format parquet` (seed 1), cached under
benchmarks/.data/ (about six minutes the first time); `--synthetic` (or the generator missing)
writes a national-sized set directly with Polars instead (seconds; same columns, made-up values
with the generator's proportions of bids per lot, prices and shared fingerprints). The output
says which was used. Polars timings are the best of `--repeat` runs (the file in the page
cache). Not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / ".data"
PYTHON = sys.executable
NATIONAL_LOTS = 1_000_000  # DESIGN.md "Scales": national = 1,000,000 lots, 5,000,000 bids
PANDAS_BUDGET = 300.0  # seconds: beyond this the baseline runs on a sample and is extrapolated
GOALS = {"floor_ratio": 3.0, "pandas_ratio": 300.0, "peak_gb": 8.0}
FINGERPRINTS = (
    "client_ip",
    "mac_address",
    "hardware_id",
    "ca_key_id",
    "file_hash",
    "file_author",
    "file_machine",
    "security_account",
    "contact_phone",
    "manager",
)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _best(fn: Any, repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


# -- the data -----------------------------------------------------------------------------------


def _generated(lots: int) -> Path | None:
    out = DATA / ("screens-national" if lots == NATIONAL_LOTS else f"screens-national-{lots}")
    if (out / "bids.parquet").exists():
        return out
    tenderwatch = Path(PYTHON).with_name("tenderwatch")
    if not tenderwatch.exists():
        return None
    command = [str(tenderwatch), "generate", "--scale", "national", "--format", "parquet"]
    command += ["--seed", "1", "--out", str(out), "--no-progress"]
    if lots != NATIONAL_LOTS:
        command += ["--lots", str(lots)]
    print(f"generating {lots:,} lots with the generator (cached in {out}) …", flush=True)
    result = subprocess.run(command, check=False, stdout=subprocess.DEVNULL)  # noqa: S603
    return out if result.returncode == 0 and (out / "bids.parquet").exists() else None


def _synthetic(lots: int) -> Path:
    """A national-sized set written directly: the generator's shape, made-up values."""
    import numpy as np
    import polars as pl

    out = DATA / f"screens-synthetic-{lots}"
    if (out / "bids.parquet").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    sizes = rng.choice(
        np.arange(3, 13), size=lots, p=np.array([26, 24, 18, 11, 7, 5, 3, 2, 2, 2]) / 100
    )
    ceiling = np.round(rng.lognormal(14.3, 1.0, size=lots), -2)
    lot_ids = np.repeat(np.arange(lots), sizes)
    n = lot_ids.size
    companies = 110_000
    bidder = rng.integers(0, companies, size=n)
    ratio = np.clip(rng.normal(0.955, 0.025, size=n), 0.82, 0.995)
    price = np.floor(ceiling[lot_ids] * ratio * 100) / 100
    shared = rng.random(n) < 0.01  # one bid in a hundred takes its neighbour's machine
    fingerprint_owner = np.where(shared, np.roll(bidder, 1), bidder)
    lots_frame = pl.DataFrame(
        {
            "lot_id": pl.Series(np.arange(lots)).cast(pl.String).str.zfill(7),
            "project_id": [f"P{i:07d}" for i in range(lots)],
            "industry": np.array(
                ["housing_municipal", "transport", "water", "government_procurement"]
            )[np.arange(lots) % 4],
            "category": np.array(["works", "works", "goods", "services"])[np.arange(lots) % 4],
            "tenderer_id": [f"T{i % 40_000:06d}" for i in range(lots)],
            "ceiling_price": ceiling,
            "procurement_method": ["open"] * lots,
        }
    )
    owner = pl.Series("owner", fingerprint_owner)
    bids = pl.DataFrame(
        {
            "bid_id": pl.int_range(n, eager=True).cast(pl.String),
            "lot_id": pl.Series(lot_ids).cast(pl.String).str.zfill(7),
            "bidder_id": pl.Series(bidder).cast(pl.String),
            "price": price,
            "status": ["valid"] * n,
            "winner": np.r_[True, lot_ids[1:] != lot_ids[:-1]],
        }
    )
    bids = bids.with_columns(
        pl.concat_str([pl.lit("S"), pl.col("lot_id")]).alias("lot_id"),
        pl.concat_str(
            [
                pl.lit("60."),
                (owner // 65536).cast(pl.String),
                pl.lit("."),
                (owner % 65536 // 256).cast(pl.String),
                pl.lit("."),
                (owner % 256).cast(pl.String),
            ]
        ).alias("ip"),
        pl.concat_str([pl.lit("MAC-"), owner.cast(pl.String)]).alias("mac"),
        pl.concat_str([pl.lit("HW-"), owner.cast(pl.String)]).alias("hardware_id"),
        pl.concat_str([pl.lit("CA-"), pl.Series(bidder).cast(pl.String)]).alias("ca_key"),
        pl.int_range(n, eager=True).cast(pl.String).alias("file_hash"),
        pl.concat_str([pl.lit("author-"), owner.cast(pl.String)]).alias("file_author"),
        pl.concat_str([pl.lit("PC-"), owner.cast(pl.String)]).alias("file_machine"),
        pl.concat_str([pl.lit("6222"), pl.Series(bidder).cast(pl.String)]).alias(
            "security_account"
        ),
        pl.concat_str(
            [
                pl.lit("鄂1"),
                (pl.Series(bidder) * 7 + pl.int_range(n, eager=True) % 3).cast(pl.String),
            ]
        ).alias("project_manager_cert"),
        pl.lit("项目经理").alias("project_manager_name"),
        pl.concat_str([pl.lit("湖北建设工程有限公司"), pl.Series(bidder).cast(pl.String)]).alias(
            "bidder_name"
        ),
    )
    lots_frame = lots_frame.with_columns(
        pl.concat_str([pl.lit("S"), pl.col("lot_id")]).alias("lot_id")
    )
    lots_frame.write_parquet(out / "lots.parquet")
    bids.write_parquet(out / "bids.parquet")
    return out


def dataset(lots: int, synthetic: bool) -> tuple[Path, str]:
    if not synthetic:
        found = _generated(lots)
        if found is not None:
            return found, "generator (tenderwatch generate --scale national, seed 1)"
    return _synthetic(lots), "synthetic writer (benchmarks/screens.py, not the generator)"


# -- the parts (each in a child process) -------------------------------------------------------


def _bids(folder: Path) -> Any:
    """The bids with our column names and integer keys, lazily (what the screens scan)."""
    import polars as pl

    sys.path.insert(0, str(ROOT / "src"))
    from tenderwatch.screening.collusion.frames import PARQUET_BIDS

    names = pl.scan_parquet(folder / "bids.parquet").collect_schema().names()
    columns = {src: dst for src, dst in PARQUET_BIDS.items() if src in names}
    scan = pl.scan_parquet(folder / "bids.parquet").select(
        pl.col(s).alias(d) for s, d in columns.items()
    )
    # Dense integer keys for lot, bid and bidder, as the ledger's primary keys are.
    # Integer keys as the ledger's primary keys are: lots numbered in file order (the file is
    # grouped by lot, so the numbers ascend), bids by row, bidders by a hash of their code.
    return scan.with_columns(
        (pl.col("lot_ref") != pl.col("lot_ref").shift(1))
        .fill_null(True)
        .cum_sum()
        .cast(pl.Int64)
        .alias("lot"),
        pl.int_range(pl.len(), dtype=pl.Int64).alias("bid"),
        (pl.col("bidder_ref").hash() // 2).cast(pl.Int64).alias("bidder"),
        pl.lit(None, dtype=pl.String).alias("contact_phone"),
    )


def part_polars(folder: Path, repeat: int) -> dict[str, Any]:
    import polars as pl

    sys.path.insert(0, str(ROOT / "src"))
    from tenderwatch.screening.collusion import evidence, screens, within

    bids = _bids(folder)
    columns = ["lot", "bid", "bidder", "status", "price", *FINGERPRINTS]

    def floor() -> Any:
        return (
            bids.select(columns)
            .group_by("lot")
            .agg(
                pl.len(),
                pl.col("price").sum(),
                pl.col("bid").max(),
                pl.col("bidder").max(),
                pl.col("status").max(),
                *[pl.col(c).max() for c in FINGERPRINTS],
            )
            .collect()
        )

    params = evidence.Params(related=False)

    def loaded() -> Any:
        return bids.select(columns).collect()

    def moments_and_art40() -> Any:
        # One scan into memory; the within-lot pairs made once and read by every check.
        grouped = within.group(loaded())
        return [
            within.moments(grouped, params.statuses),
            evidence.fingerprints(grouped, params),
            evidence.identical_prices(grouped, params),
            evidence.price_steps(grouped, params),
            evidence.multiples(grouped, params),
        ]

    def moments_only() -> Any:
        return within.moments(within.group(loaded()), params.statuses)

    def art40_only() -> Any:
        grouped = within.group(loaded())
        return [
            evidence.fingerprints(grouped, params),
            evidence.identical_prices(grouped, params),
            evidence.price_steps(grouped, params),
            evidence.multiples(grouped, params),
        ]

    def ks_and_gap() -> Any:
        frame = screens.priced(bids).with_columns(pl.lit(None, dtype=pl.Float64).alias("reference"))
        return (
            frame.sort("lot", "price").group_by("lot").agg(screens.distribution_exprs()).collect()
        )

    t_floor, grouped = _best(floor, repeat)
    t_main, results = _best(moments_and_art40, repeat)
    t_moments, _m = _best(moments_only, repeat)
    t_art40, _a = _best(art40_only, repeat)
    t_ks, _k = _best(ks_and_gap, repeat)
    evidence_rows = sum(r.height for r in results[1:])
    return {
        "lots": grouped.height,
        "bids": int(grouped["len"].sum()),
        "floor": t_floor,
        "moments_art40": t_main,
        "moments": t_moments,
        "art40": t_art40,
        "ks_gap": t_ks,
        "evidence_rows": evidence_rows,
        "peak_mb": _peak_mb(),
    }


def part_context(folder: Path) -> dict[str, Any]:
    """Rings, related lots and cardinal's flags over the whole set (once: for the record)."""
    import polars as pl

    sys.path.insert(0, str(ROOT / "src"))
    from tenderwatch.screening.collusion import cardinal, evidence, frames, rings

    started = time.perf_counter()
    lots_lazy, bids_lazy = frames.scan_parquet(folder)
    data = frames.Frames(lots_lazy.collect(), bids_lazy.collect())
    load = time.perf_counter() - started
    started = time.perf_counter()
    ring_rows = rings.rings(data.bids, data.lots)
    t_rings = time.perf_counter() - started
    started = time.perf_counter()
    related = evidence.related_fingerprints(data.bids, data.lots).collect()
    t_related = time.perf_counter() - started
    started = time.perf_counter()
    flags = cardinal.compute(cardinal.from_frames(data.lots, data.bids), cardinal.ledger_settings())
    t_cardinal = time.perf_counter() - started
    return {
        "load": load,
        "rings": t_rings,
        "ring_lots": ring_rows.height,
        "related": t_related,
        "related_rows": related.height,
        "cardinal": t_cardinal,
        "flagged": flags.flagged,
        "share_warnings": [w["flag"] for w in flags.warnings],
        "peak_mb": _peak_mb(),
        "polars_threads": pl.thread_pool_size(),
    }


def _documents(n: int, seed: int = 8) -> Any:
    """Bid documents of n bids (lots of four): technical proposals assembled from a few hundred
    sentences, so that honest documents overlap a little; a lot in twenty has a copied one, a lot
    in fifty two documents with the same odd sentence."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    words = list(
        "工程施工质量安全进度材料设备机械人员管理组织技术方案措施保证体系验收检测混凝土钢筋模板脚手架基础主体装饰给排水电气"
    )
    sentences = ["".join(rng.choice(words, size=rng.integers(18, 40))) + "。" for _ in range(600)]
    rows, texts = [], []
    odd_sentence = ""
    for i in range(n):
        lot = i // 4
        picks = rng.choice(len(sentences), size=rng.integers(60, 110), replace=False)
        text = f"投标人：湖北建设工程有限公司{i}\n" + "".join(sentences[p] for p in picks)
        if lot % 20 == 0 and i % 4 == 1:
            text = texts[-1].replace(f"公司{i - 1}", f"公司{i}")[:-30] + "补充说明。"
        if lot % 50 == 0 and i % 4 == 2:
            odd = "".join(rng.choice(words, size=12))  # the same odd sentence, with a typo
            text += f"本项目驻场技术员每日填写施工日志薄{odd}并报送监理复合。"
            odd_sentence = text[-(len(odd) + 20) :]
        if lot % 50 == 0 and i % 4 == 3:
            text += odd_sentence
        texts.append(text)
        rows.append((i, lot, i, 900 + lot % 100))
    frame = pl.DataFrame(rows, schema=["bid", "lot", "bidder", "tenderer"], orient="row")
    return frame.with_columns(pl.Series("text", texts))


def part_documents(counts: list[int]) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "src"))
    from tenderwatch.screening.collusion import similarity

    out: dict[str, Any] = {}
    for n in counts:
        docs = _documents(n)
        chars = int(docs["text"].str.len_chars().sum())
        started = time.perf_counter()
        found = similarity.compare(docs, similarity.Params(related=False))
        out[str(n)] = {
            "seconds": time.perf_counter() - started,
            "chars": chars,
            "near_duplicates": int((found["kind"] == "near_duplicate").sum()),
            "rare_passages": int((found["kind"] == "rare_passages").sum()),
        }
    out["peak_mb"] = _peak_mb()
    return out


def part_pandas(folder: Path, total_lots: int) -> dict[str, Any]:
    """What an analyst writes: pandas group-by, apply a Python function with scipy per lot."""
    import numpy as np
    import pandas as pd
    import polars as pl
    from scipy import stats

    # Read with Polars (pandas would need pyarrow, not installed): the load is not timed.
    source = pl.read_parquet(folder / "bids.parquet", columns=["lot_id", "price", "status"])
    frame = pd.DataFrame({c: source[c].to_numpy() for c in source.columns})
    frame = frame[frame["status"] != "withdrawn"]

    def moment_screens(prices: pd.Series) -> pd.Series:
        b = np.sort(prices.to_numpy(dtype=float))
        n = b.size
        sd = b.std(ddof=1) if n >= 2 else np.nan
        losers = b[1:].std(ddof=1) if n >= 3 else np.nan
        return pd.Series(
            {
                "CV": sd / b.mean() if n >= 2 else np.nan,
                "SPD": (b[-1] - b[0]) / b[0] if n >= 2 else np.nan,
                "DIFFP": (b[1] - b[0]) / b[0] if n >= 2 else np.nan,
                "RD": (b[1] - b[0]) / losers if n >= 3 and losers > 0 else np.nan,
                "KURT": stats.kurtosis(b, bias=False) if n >= 4 else np.nan,
                "SKEW": stats.skew(b, bias=False) if n >= 3 else np.nan,
            }
        )

    lots = frame["lot_id"].drop_duplicates()
    probe = lots.iloc[:2_000]
    started = time.perf_counter()
    frame[frame["lot_id"].isin(probe)].groupby("lot_id")["price"].apply(moment_screens)
    per_lot = (time.perf_counter() - started) / len(probe)
    projected = per_lot * len(lots)
    if projected <= PANDAS_BUDGET:
        sample = len(lots)
        started = time.perf_counter()
        frame.groupby("lot_id")["price"].apply(moment_screens)
        seconds = time.perf_counter() - started
    else:
        sample = max(2_000, int(PANDAS_BUDGET / 10 / per_lot))
        chosen = lots.iloc[:sample]
        started = time.perf_counter()
        frame[frame["lot_id"].isin(chosen)].groupby("lot_id")["price"].apply(moment_screens)
        seconds = (time.perf_counter() - started) * len(lots) / sample
    return {
        "seconds": seconds,
        "sample_lots": sample,
        "lots": len(lots),
        "extrapolated": sample < len(lots),
        "peak_mb": _peak_mb(),
    }


def _child(kind: str, *args: str) -> dict[str, Any]:
    result = subprocess.run(  # noqa: S603
        [PYTHON, __file__, "--child", kind, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"the {kind} part failed")
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--lots", type=int, default=NATIONAL_LOTS)
    parser.add_argument("--synthetic", action="store_true", help="never run the generator")
    parser.add_argument("--repeat", type=int, default=3, help="Polars runs per timing (best kept)")
    parser.add_argument("--documents", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--no-pandas", action="store_true", help="skip the pandas baseline")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "polars":
            out = part_polars(Path(rest[0]), int(rest[1]))
        elif kind == "context":
            out = part_context(Path(rest[0]))
        elif kind == "documents":
            out = part_documents([int(x) for x in rest])
        else:
            out = part_pandas(Path(rest[0]), int(rest[1]))
        print(json.dumps(out))
        return

    folder, source = dataset(args.lots, args.synthetic)
    print(f"data: {folder} — {source}")
    polars = _child("polars", str(folder), str(args.repeat))
    floor = polars["floor"]
    print(f"  {polars['lots']:,} lots, {polars['bids']:,} bids")
    _line("floor (scan + group-by of the same columns)", floor)
    goal = f"goal ≤ ×{GOALS['floor_ratio']:.0f}"
    main_s = polars["moments_art40"]
    _line("moment screens + Art. 40 checks", main_s, f"×{main_s / floor:.2f} the floor ({goal})")
    print(
        f"  of which: moment screens alone {polars['moments']:.2f} s "
        f"(×{polars['moments'] / floor:.2f}), Art. 40 checks alone {polars['art40']:.2f} s; "
        f"evidence rows {polars['evidence_rows']:,}"
    )
    _line(
        "KSTEST + missing-bids gap", polars["ks_gap"], f"×{polars['ks_gap'] / floor:.2f} the floor"
    )
    print(
        f"  peak memory (Polars part) {polars['peak_mb'] / 1024:.2f} GB "
        f"(goal < {GOALS['peak_gb']:.0f} GB)"
    )
    context = _child("context", str(folder))
    print(
        f"rings {context['rings']:.2f} s ({context['ring_lots']:,} lots), "
        f"related lots {context['related']:.2f} s ({context['related_rows']:,} rows), "
        f"cardinal flags {context['cardinal']:.2f} s"
    )
    print(
        f"  frames loaded in {context['load']:.2f} s; peak {context['peak_mb'] / 1024:.2f} GB; "
        f"{context['polars_threads']} Polars threads"
    )
    if context["share_warnings"]:
        crowded = ", ".join(context["share_warnings"])
        print(f"  cardinal flags firing on an unusually large share: {crowded}")
    docs = _child("documents", *(str(n) for n in args.documents))
    for n in args.documents:
        d = docs[str(n)]
        _line(
            f"document similarity, {n:,} documents",
            d["seconds"],
            f"{d['chars'] / n:,.0f} characters each; near-duplicates {d['near_duplicates']}, "
            f"rare passages {d['rare_passages']}",
        )
    print(f"  peak memory (documents) {docs['peak_mb'] / 1024:.2f} GB")
    if not args.no_pandas:
        pandas = _child("pandas", str(folder), str(polars["lots"]))
        label = (
            f"extrapolated from {pandas['sample_lots']:,} of {pandas['lots']:,} lots"
            if pandas["extrapolated"]
            else f"all {pandas['lots']:,} lots"
        )
        _line("pandas/scipy group-by-apply of the moment screens", pandas["seconds"], label)
        print(
            f"  ratio pandas / Polars moment screens ×{pandas['seconds'] / polars['moments']:.0f}; "
            f"pandas / (moment screens + Art. 40) ×{pandas['seconds'] / main_s:.0f} "
            f"(goal ≥ ×{GOALS['pandas_ratio']:.0f}); peak {pandas['peak_mb'] / 1024:.2f} GB"
        )


def _line(label: str, seconds: float, note: str = "") -> None:
    print(f"{label:<52} {seconds:9.2f} s   {note}".rstrip())


if __name__ == "__main__":
    os.environ.setdefault("POLARS_MAX_THREADS", str(os.cpu_count() or 1))
    main()
