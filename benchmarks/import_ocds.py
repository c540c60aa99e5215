"""Import benchmark (issue #4): a province-scale OCDS JSON Lines file into a fresh SQLite
database, bids per second and peak memory, beside a baseline measured in the same run (plain
`json.loads` of every line of the same file). Two file sizes show that memory stays flat.

    make bench                                   # 1/10 province and the whole province
    .venv/bin/python benchmarks/import_ocds.py --fractions 0.01 0.1

The file comes from `tenderwatch generate --scale province --format ocds-jsonl` (`--lots` for a
fraction of a province): realistic processes with their whole timeline, committee, scores and
the bids' fingerprints, about 3 KB of JSON a bid. `--synthetic` writes a leaner file instead
(made-up processes through `bundle_to_release`: 5 bids a lot, three events a process, about
1 KB a bid). Files are cached under benchmarks/.data/. Each measurement runs in its own process,
so each peak RSS is its own. Not a test: it prints figures, it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / ".data"
PYTHON = sys.executable
PROVINCE_LOTS = 200_000  # DESIGN.md "Scales": province = 200,000 lots, 1,000,000 bids
BIDS_PER_LOT = 5


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _peak_children_mb() -> float:
    """The largest peak RSS of the process's finished children (the import's reading worker)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _children_cpu() -> float:
    """CPU seconds of the process's finished children (the import's reading worker)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _setup_django(var_dir: Path) -> None:
    os.environ["TW_VAR_DIR"] = str(var_dir)
    os.environ["DEBUG"] = "0"  # no query log: measured as a server runs
    # With DEBUG off the settings want real keys for the complaints app (unused here): throwaway
    # ones for this run's scratch database.
    os.environ.setdefault("TW_COMPLAINTS_KEYS", f"bench:{secrets.token_hex(16)}")
    os.environ.setdefault("TW_COMPLAINTS_HMAC_KEY", secrets.token_hex(32))
    os.environ["DATABASE_URL"] = f"sqlite:///{var_dir / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenderwatch.settings")
    import django

    django.setup()
    from django.conf import settings

    # The import tells screening which projects it stored (`projects_imported`, after each
    # batch); screening them there and then is screening's cost, measured with --screening.
    settings.TW_SCREEN_ON_CHANGE = os.environ.get("TW_BENCH_SCREENING") == "1"


# -- the file -----------------------------------------------------------------------------------


def _generator_available() -> bool:
    tenderwatch = Path(PYTHON).with_name("tenderwatch")
    result = subprocess.run(  # noqa: S603
        [str(tenderwatch), "generate", "--help"], capture_output=True, text=True, check=False
    )
    return result.returncode == 0 and "ocds-jsonl" in result.stdout and "--lots" in result.stdout


def _generated_file(fraction: float) -> Path:
    """The generator's province file (`--lots` gives a fraction of a province)."""
    out = DATA / f"generated-{fraction:g}"
    path = out / "releases.jsonl"
    if path.exists():
        return path
    tenderwatch = Path(PYTHON).with_name("tenderwatch")
    command = [str(tenderwatch), "generate", "--scale", "province", "--format", "ocds-jsonl"]
    command += ["--seed", "1", "--out", str(out), "--no-progress"]
    if fraction != 1:
        command += ["--lots", str(int(PROVINCE_LOTS * fraction))]
    with tempfile.TemporaryDirectory() as var:
        env = {**os.environ, "TW_VAR_DIR": var}
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)  # noqa: S603
    if not path.exists():
        raise SystemExit(f"the generator wrote no {path}")
    return path


def _synthetic_bundle(n: int, lots: int) -> dict[str, Any]:
    from tenderwatch.ledger.identifiers import make_uscc

    def uscc(k: int) -> str:
        return make_uscc(f"9142110{k:010d}")

    ext = f"BENCH-{n:07d}"
    lot_ids = [f"{ext}-{i + 1}" for i in range(lots)]
    day = 1 + n % 27
    at = f"2025-03-{day:02d}T09:30:00+08:00"
    later = f"2025-04-{day:02d}T09:30:00+08:00"
    bidders = [(n * 7 + j * 13) % 20_000 for j in range(BIDS_PER_LOT)]
    return {
        "source": "bench",
        "external_id": ext,
        "project": {
            "version": 1,
            "code": ext,
            "name": f"黄州区基础设施改造工程{n}",
            "region_code": "421102",
            "industry": ["housing_municipal", "transport", "water"][n % 3],
            "category": "works",
            "procurement_method": "open",
            "organisation_form": "entrusted",
            "state_owned_share": "100",
            "estimated_amount": f"{lots * 2_500_000}.00",
            "registered_at": at,
            "tenderer": {"identifier": uscc(900_000 + n % 500), "name": f"黄州区建设单位{n % 500}"},
            "agency": {"identifier": uscc(800_000 + n % 40), "name": f"招标代理有限公司{n % 40}"},
            "lots": [
                {
                    "external_id": lot,
                    "number": str(i + 1),
                    "name": f"第{i + 1}标段",
                    "estimated_amount": "2500000.00",
                    "ceiling_price": "2400000.00",
                    "bid_security": "40000.00",
                }
                for i, lot in enumerate(lot_ids)
            ],
        },
        "events": [
            {"external_id": f"{ext}/reg", "kind": "registration", "occurred_at": at},
            {"external_id": f"{ext}/ann", "kind": "announcement", "occurred_at": at},
            {"external_id": f"{ext}/ddl", "kind": "bid_deadline", "occurred_at": later},
        ],
        "bids": [
            {
                "external_id": f"{lot}-B{j}",
                "lot_external_id": lot,
                "bidder": {"identifier": uscc(b), "name": f"湖北建设工程有限公司{b}"},
                "price": f"{2_300_000 - j * 7_000}.00",
                "submitted_at": later,
                "client_ip": f"10.{j}.{n % 250}.{b % 250}",
                "mac_address": f"00:1a:2b:{j:02x}:{n % 256:02x}:{b % 256:02x}",
                "ca_key_id": f"CA{b:08d}",
                "file_hash": f"{n:032x}{j:032x}",
                "file_author": f"user{b}",
                "security_account": f"6222{b:012d}",
                "project_manager": {"name": f"项目经理{b}", "certificate_no": f"鄂1{b:08d}"},
            }
            for lot in lot_ids
            for j, b in enumerate(bidders)
        ],
        "outcomes": [
            {
                "lot_external_id": lot,
                "award": {
                    "bid_external_id": f"{lot}-B0",
                    "notice_at": later,
                    "amount": "2300000.00",
                },
                "contracts": [{"external_id": f"{lot}-C", "signed_at": later}],
            }
            for lot in lot_ids
        ],
    }


def _synthetic_file(fraction: float) -> Path:
    path = DATA / f"synthetic-{fraction:g}.jsonl"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as var:
        _setup_django(Path(var))
        from tenderwatch.ledger.ingest.bundle import ProcessBundle
        from tenderwatch.ledger.ingest.ocds import bundle_to_release, dumps

        target = int(PROVINCE_LOTS * fraction)
        lots = n = 0
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            while lots < target:
                k = min(1 + n % 3, target - lots)
                bundle = ProcessBundle.model_validate(_synthetic_bundle(n, k))
                fh.write(dumps(bundle_to_release(bundle, private=True)) + "\n")
                lots += k
                n += 1
        tmp.replace(path)
    return path


# -- the measurements (each in a child process) ------------------------------------------------


def measure_baseline(path: Path) -> dict[str, Any]:
    started = time.perf_counter()
    lines = 0
    with path.open("rb") as fh:
        for raw in fh:
            json.loads(raw)
            lines += 1
    return {"seconds": time.perf_counter() - started, "lines": lines, "peak_mb": _peak_mb()}


def measure_import(path: Path) -> dict[str, Any]:
    var = Path(tempfile.mkdtemp(prefix="tw-bench-"))
    try:
        _setup_django(var)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from tenderwatch.ledger.ingest.ocds import import_files

        started, cpu = time.perf_counter(), time.process_time()
        report = import_files([path], actor=None, source="bench")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        worker_cpu = _children_cpu()
        started = time.perf_counter()
        again = import_files([path], actor=None, source="bench")
        seconds_again = time.perf_counter() - started
        return {
            "seconds": seconds,
            "cpu": cpu,
            "worker_cpu": worker_cpu,
            "bids": report.bids_written,
            "counts": report.counts(),
            "reimport_seconds": seconds_again,
            "reimport_counts": again.counts(),
            "peak_mb": _peak_mb(),
            "worker_peak_mb": _peak_children_mb(),
            "db_mb": sum(f.stat().st_size for f in var.glob("bench.sqlite3*")) / 2**20,
        }
    finally:
        shutil.rmtree(var, ignore_errors=True)


def _child(kind: str, path: Path) -> dict[str, Any]:
    result = subprocess.run(  # noqa: S603
        [PYTHON, __file__, "--child", kind, str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"{kind} measurement failed")
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.1, 1.0])
    parser.add_argument("--synthetic", action="store_true", help="never use the generator")
    parser.add_argument(
        "--screening", action="store_true", help="screen the imported projects after each batch"
    )
    parser.add_argument("--child", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, file = args.child
        measure = measure_baseline if kind == "baseline" else measure_import
        print(json.dumps(measure(Path(file))))
        return
    if args.screening:
        os.environ["TW_BENCH_SCREENING"] = "1"  # the children inherit it
    use_generator = not args.synthetic and _generator_available()
    print(
        f"file: {'tenderwatch generate --scale province' if use_generator else 'synthetic'}; "
        f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}; SQLite; "
        f"screening on import {'on' if args.screening else 'off'}"
    )
    rows = []
    for fraction in args.fractions:
        path = _generated_file(fraction) if use_generator else _synthetic_file(fraction)
        size = path.stat().st_size / 2**20
        base = _child("baseline", path)
        imp = _child("import", path)
        rows.append((fraction, path, size, base, imp))
        bids = imp["bids"]
        base_rate, rate = bids / base["seconds"], bids / imp["seconds"]
        print(
            f"\n{path.name}: {size:,.0f} MiB, {base['lines']:,} processes, {bids:,} bids\n"
            f"  baseline json.loads : {base['seconds']:7.1f} s  {base_rate:>10,.0f} bids/s"
            f"  peak RSS {base['peak_mb']:6,.0f} MiB\n"
            f"  import (SQLite)     : {imp['seconds']:7.1f} s  {rate:>10,.0f} bids/s"
            f"  peak RSS {imp['peak_mb']:6,.0f} MiB"
            f" (reading worker {imp['worker_peak_mb']:,.0f} MiB)\n"
            f"  import / baseline   : {rate / base_rate:7.3f}  "
            f"(1 : {base_rate / rate:,.1f}); CPU seconds: writer {imp['cpu']:,.1f}, "
            f"reading worker {imp['worker_cpu']:,.1f}; database {imp['db_mb']:,.0f} MiB\n"
            f"  counts {imp['counts']}\n"
            f"  re-import (nothing to write): {imp['reimport_seconds']:.1f} s, "
            f"{imp['reimport_counts']['unchanged']:,} unchanged, "
            f"{bids / imp['reimport_seconds']:,.0f} bids/s read and checked"
        )
    if len(rows) > 1:
        print("\nbids/s and peak RSS by file size:")
        for _fraction, _path, size, base, imp in rows:
            print(
                f"  {size:8,.0f} MiB  {imp['bids']:>10,} bids  "
                f"{imp['bids'] / imp['seconds']:>8,.0f} bids/s  "
                f"({imp['bids'] / base['seconds']:>8,.0f} baseline)  "
                f"peak RSS {max(imp['peak_mb'], imp['worker_peak_mb']):6,.0f} MiB"
            )


if __name__ == "__main__":
    main()
