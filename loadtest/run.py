"""The complaints window under load: 1,000 filings from 50 concurrent clients on loopback, with
staff pages read meanwhile; then the database is checked against what the clients were told.

    .venv/bin/python loadtest/run.py            PostgreSQL: tw_loadtest on 127.0.0.1:5432
    .venv/bin/python loadtest/run.py --sqlite   the embedded SQLite database (WAL)
    make loadtest LOADTEST_ARGS="--sqlite --filings 200"

Steps: a fresh database (dropped and created again; SQLite: a fresh file under
var/loadtest/), migrated and set up as `tenderwatch demo --no-serve --no-data` does (district
configuration, demo staff accounts, sample complaints); the app served on loopback with DEBUG
off, keys of its own and the public filing rate raised (TW_COMPLAINTS_FILING_RATE); locust
headless (loadtest/locustfile.py) until every filing has been answered; throughput, latency
percentiles and errors per request type; then the checks:

- every filing whose receipt showed a 受理编号 and 查询码 is in the database exactly once, under
  that number, and the code is the one its submission token yields (a sample is also checked
  against the stored hash);
- the rows added during the run are exactly the filings with a code (none lost, none doubled,
  none stored without the filer being told), each with its "filed" audit entry;
- the audit chain verifies (`tenderwatch audit verify`);
- no request failed and every filing was answered.

Exit status 0 when all hold, 1 otherwise (2 when the run could not start).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/tw_loadtest"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out = (ROOT / args.out).resolve()
    if out.exists():
        shutil.rmtree(out)
    (out / "var").mkdir(parents=True)
    database_url = _fresh_database(args, out)
    env = _environment(args, out, database_url)
    os.environ.update(env)

    print(f"== database: {_redact(database_url)}")
    started = time.monotonic()
    _run([str(BIN / "tenderwatch"), "demo", "--no-serve", "--no-data"], env, out / "prepare.log")
    print(
        f"== prepared (migrations, district, demo accounts) in {time.monotonic() - started:.1f} s"
    )

    import django

    django.setup()
    from django.db import connection

    from tenderwatch.complaints.models import Matter

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            print(f"== SQLite journal mode: {cursor.fetchone()[0]}")
    baseline = set(Matter.objects.values_list("pk", flat=True))
    connection.close()

    port = args.port or _free_port()
    url = f"http://127.0.0.1:{port}"
    server_cmd, server_label = _server_command(args, port)
    print(f"== server: {server_label} on {url}")
    server = subprocess.Popen(  # noqa: S603 — our own commands
        server_cmd,
        env=env,
        cwd=ROOT,
        stdout=(out / "server.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_ready(url + "/login/", server)
        results = out / "results.jsonl"
        locust_env = {
            **env,
            "LOADTEST_FILINGS": str(args.filings),
            "LOADTEST_RESULTS": str(results),
            "LOADTEST_STAFF_USERS": str(args.staff),
        }
        print(
            f"== locust: {args.users} users ({args.staff} staff), {args.filings} filings, "
            f"spawn rate {args.spawn_rate}/s"
        )
        load_started = time.time()
        locust = subprocess.run(  # noqa: S603
            [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "loadtest" / "locustfile.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.spawn_rate),
                "--host",
                url,
                "--run-time",
                f"{args.time_limit}s",
                "--csv",
                str(out / "locust"),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env=locust_env,
            cwd=ROOT,
            stdout=(out / "locust.log").open("w"),
            stderr=subprocess.STDOUT,
            check=False,
        )
        load_seconds = time.time() - load_started
    finally:
        _stop(server)

    rows = _read_results(results)
    problems: list[str] = []
    print()
    _report_requests(out, rows, load_seconds, problems)
    _check_database(args, rows, baseline, env, problems)
    if locust.returncode not in (0, 1):  # 1: locust saw failures, reported above
        problems.append(f"locust exited with status {locust.returncode} (see {out}/locust.log)")
    print()
    if problems:
        print("FAILED:")
        for problem in problems:
            print(f"  - {problem}")
        print(f"(logs and raw results in {out})")
        return 1
    print(f"PASSED: {len(rows)} filings, none lost, no errors. (logs in {out})")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite", action="store_true", help="SQLite (WAL) instead of PostgreSQL")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_PG,
        help=f"the PostgreSQL database to drop and create again ({DEFAULT_PG})",
    )
    parser.add_argument("--users", type=int, default=50, help="concurrent clients (50)")
    parser.add_argument("--staff", type=int, default=5, help="of which staff reading pages (5)")
    parser.add_argument("--filings", type=int, default=1000, help="filings in all (1000)")
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started a second")
    parser.add_argument(
        "--filing-rate",
        default="1000000/h",
        help="TW_COMPLAINTS_FILING_RATE for the run: every client comes from 127.0.0.1",
    )
    parser.add_argument(
        "--server",
        choices=("auto", "gunicorn", "waitress", "pool", "runserver"),
        default="auto",
        help="the WSGI server: gunicorn or waitress when installed, else Django's WSGI server "
        "with a bounded thread pool (pool, loadtest/serve.py); runserver: a thread per connection",
    )
    parser.add_argument("--threads", type=int, default=8, help="threads of the pool server (8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes (2)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (a free one)")
    parser.add_argument("--time-limit", type=int, default=1800, help="stop after (s) (1800)")
    parser.add_argument(
        "--verify-hashes",
        type=int,
        default=20,
        help="filings whose code is also checked against the stored keyed hash (20)",
    )
    parser.add_argument("--out", default="var/loadtest", help="logs, results (var/loadtest)")
    return parser


def _environment(args: argparse.Namespace, out: Path, database_url: str) -> dict[str, str]:
    """DEBUG off, as in production, with throw-away keys of the run's own."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tenderwatch.settings",
        "DATABASE_URL": database_url,
        "TW_VAR_DIR": str(out / "var"),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_COOKIES": "0",  # plain HTTP on loopback
        "TW_COMPLAINTS_KEYS": f"lt:{secrets.token_hex(16)}",
        "TW_COMPLAINTS_HMAC_KEY": secrets.token_hex(32),
        "TW_COMPLAINTS_FILING_RATE": args.filing_rate,
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",  # never mail anyone
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def _fresh_database(args: argparse.Namespace, out: Path) -> str:
    if args.sqlite:
        return f"sqlite:///{out / 'var' / 'tenderwatch.sqlite3'}"
    import psycopg

    parts = urlsplit(args.database_url)
    name = parts.path.lstrip("/")
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"unexpected database name {name!r}")
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"cannot reach PostgreSQL at {_redact(admin)}: {exc}\n(use --sqlite without one)")
        raise SystemExit(2) from exc
    return args.database_url


def _server_command(args: argparse.Namespace, port: int) -> tuple[list[str], str]:
    address = f"127.0.0.1:{port}"
    choice = args.server
    if choice == "auto":
        choice = next(
            (name for name in ("gunicorn", "waitress") if (BIN / _exe(name)).exists()),
            "pool",
        )
    if choice == "gunicorn":
        return (
            [
                str(BIN / "gunicorn"),
                "tenderwatch.wsgi:application",
                "--bind",
                address,
                "--workers",
                str(args.workers),
                "--threads",
                "8",
            ],
            f"gunicorn, {args.workers} processes × 8 threads",
        )
    if choice == "waitress":
        return (
            [
                str(BIN / "waitress-serve"),
                f"--listen={address}",
                "--threads=16",
                "tenderwatch.wsgi:application",
            ],
            "waitress, 16 threads",
        )
    if choice == "pool":
        return (
            [
                sys.executable,
                str(ROOT / "loadtest" / "serve.py"),
                address,
                "--threads",
                str(args.threads),
            ],
            f"Django's WSGI server with a pool of {args.threads} threads (loadtest/serve.py; "
            "no gunicorn or waitress in the venv)",
        )
    return (
        [str(BIN / "tenderwatch"), "runserver", address, "--noreload"],
        "Django's threaded server (runserver --noreload, a thread per connection)",
    )


def _exe(name: str) -> str:
    return "waitress-serve" if name == "waitress" else name


def _run(cmd: list[str], env: dict[str, str], log: Path) -> None:
    with log.open("w") as handle:
        done = subprocess.run(cmd, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT)  # noqa: S603
    if done.returncode != 0:
        print(log.read_text()[-3000:])
        raise SystemExit(f"{' '.join(cmd[:3])} failed (see {log})")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, server: subprocess.Popen[Any], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 — loopback
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise SystemExit(f"the server did not answer {url} within {timeout:.0f} s")


def _stop(server: subprocess.Popen[Any]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


def _read_results(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# -- the report ----------------------------------------------------------------------------------


def _report_requests(
    out: Path, rows: list[dict[str, Any]], seconds: float, problems: list[str]
) -> None:
    stats_file = out / "locust_stats.csv"
    if not stats_file.exists():
        problems.append(f"locust wrote no statistics (see {out}/locust.log)")
        return
    with stats_file.open(newline="") as handle:
        stats = list(csv.DictReader(handle))
    head = ("request", "count", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms")
    table = [head]
    for row in stats:
        name = row["Name"] if row["Type"] else "all requests"
        table.append(
            (
                name,
                row["Request Count"],
                row["Failure Count"],
                f"{float(row['Requests/s']):.1f}",
                row["50%"],
                row["95%"],
                row["99%"],
                f"{float(row['Max Response Time']):.0f}",
            )
        )
        if row["Type"] and int(row["Failure Count"]):
            problems.append(f"{row['Failure Count']} failed requests: {name}")
    widths = [max(len(str(r[i])) for r in table) for i in range(len(head))]
    for r in table:
        cells = [
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        print("  ".join(cells))
    failures = out / "locust_failures.csv"
    if failures.exists():
        with failures.open(newline="") as handle:
            for row in csv.DictReader(handle):
                print(f"  error: {row['Name']}: {row['Error']} × {row['Occurrences']}")
    coded = [r for r in rows if r.get("code")]
    times = sorted(r["t"] for r in rows if "t" in r)
    span = (times[-1] - times[0]) if len(times) > 1 else seconds
    print()
    print(
        f"filings answered: {len(rows)}; with a code: {len(coded)}; "
        f"complaints {sum(r.get('kind') == 'complaint' for r in coded)}, "
        f"tip-offs {sum(r.get('kind') == 'tip_off' for r in coded)}"
    )
    print(
        f"load phase {seconds:.1f} s; filings per second: {len(coded) / span:.2f} "
        f"(first to last receipt, {span:.1f} s)"
        if span
        else f"load phase {seconds:.1f} s"
    )


# -- the checks ----------------------------------------------------------------------------------


def _check_database(
    args: argparse.Namespace,
    rows: list[dict[str, Any]],
    baseline: set[int],
    env: dict[str, str],
    problems: list[str],
) -> None:
    from tenderwatch.audit.models import AuditEntry
    from tenderwatch.complaints import crypto, ratelimit
    from tenderwatch.complaints.models import Matter, TrackingThrottle

    print()
    print("== database checks")
    if len(rows) != args.filings:
        problems.append(f"{len(rows)} filings answered, {args.filings} expected")
    errors = [r for r in rows if r.get("error")]
    for r in errors[:10]:
        problems.append(f"filing {r['n']}: {r['error']}")
    if len(errors) > 10:
        problems.append(f"… and {len(errors) - 10} more failed filings")

    coded = [r for r in rows if r.get("code")]
    numbers = [r["number"] for r in coded]
    if len(set(numbers)) != len(numbers):
        problems.append(f"{len(numbers) - len(set(numbers))} numbers were given twice")
    by_key = {crypto.submission_key(r["token"]): r for r in coded}
    stored: dict[str, list[Matter]] = {}
    keys = list(by_key)
    for start in range(0, len(keys), 500):
        for matter in Matter.objects.filter(submission_key__in=keys[start : start + 500]):
            stored.setdefault(matter.submission_key or "", []).append(matter)
    lost = wrong = 0
    for key, r in by_key.items():
        found = stored.get(key, [])
        if len(found) != 1:
            lost += 1
            problems.append(f"filing {r['number']} (client {r['n']}): {len(found)} rows")
        elif found[0].number != r["number"]:
            wrong += 1
            problems.append(f"client {r['n']} was shown {r['number']}, stored {found[0].number}")
        elif crypto.format_code(crypto.tracking_code(r["token"])) != r["code"]:
            wrong += 1
            problems.append(f"filing {r['number']}: the code shown is not its code")
    sample = random.Random(7).sample(coded, min(args.verify_hashes, len(coded)))
    bad_hash = 0
    for r in sample:
        matters = stored.get(crypto.submission_key(r["token"]), [])
        code = r["code"].replace("-", "")
        bad_hash += not (
            matters and crypto.tracking_code_matches(code, matters[0].tracking_code_hash)
        )
    if bad_hash:
        problems.append(f"{bad_hash} of {len(sample)} codes do not match the stored hash")
    new = Matter.objects.exclude(pk__in=baseline)
    new_count = new.count()
    if new_count != len(coded):
        problems.append(f"{new_count} filings stored during the run, {len(coded)} codes given")
    filed = AuditEntry.objects.filter(
        action="complaints.matter.filed",
        object_type="complaints.matter",
        object_id__in=[str(pk) for pk in new.values_list("pk", flat=True)],
    ).count()
    if filed != new_count:
        problems.append(f"{filed} 'filed' audit entries for {new_count} filings")
    counter = TrackingThrottle.objects.filter(key=ratelimit.key_for("127.0.0.1")).first()
    counted = counter.failures if counter else 0
    print(
        f"codes given {len(coded)}; in the database exactly once under the number shown: "
        f"{len(coded) - lost - wrong}; lost {lost}; mismatched {wrong}; stored during the run "
        f"{new_count}; 'filed' audit entries {filed}; codes checked against the stored hash "
        f"{len(sample) - bad_hash}/{len(sample)}"
    )
    print(f"filing-rate counter for 127.0.0.1: {counted} (rate {args.filing_rate})")
    if counted != len(coded):
        problems.append(f"the filing-rate counter shows {counted}, {len(coded)} filings stored")
    verify = subprocess.run(  # noqa: S603
        [str(BIN / "tenderwatch"), "audit", "verify"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    last = (verify.stdout.strip().splitlines() or [""])[-1]
    print(f"audit verify: exit {verify.returncode} {last}")
    if verify.returncode != 0:
        problems.append(f"audit verify failed: {verify.stdout[-500:]}{verify.stderr[-500:]}")


if __name__ == "__main__":
    sys.exit(main())
