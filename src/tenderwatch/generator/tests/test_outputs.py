"""The outputs: Parquet, OCDS JSON Lines, labels, the database through the bulk writer, the
command and the demo's data."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from tenderwatch.audit.models import AuditEntry
from tenderwatch.generator.model import SOURCE, Scale
from tenderwatch.generator.outputs import Options, run
from tenderwatch.generator.tests.conftest import bundles_and_labels
from tenderwatch.generator.workcal import WorkCalendar
from tenderwatch.ledger.ingest import ocds
from tenderwatch.ledger.models import (
    Award,
    Bid,
    CommitteeMember,
    Contract,
    Document,
    Lot,
    ProcedureEvent,
    Project,
)


def _options(tmp_path: Path, fmt: str, *, lots: int = 150, seed: int = 4, **extra: Any) -> Options:
    return Options(
        scale=Scale.custom("district", lots), seed=seed, out=tmp_path, format=fmt, **extra
    )


def _labels(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (path / "labels.jsonl").read_text("utf-8").splitlines()]


def test_parquet_has_the_rows_and_columns_the_screens_need(
    tmp_path: Path, calendar: WorkCalendar
) -> None:
    import polars as pl

    result = run(_options(tmp_path / "a", "parquet", lots=400, rate_scale=3), calendar)
    lots = pl.read_parquet(tmp_path / "a" / "lots.parquet")
    bids = pl.read_parquet(tmp_path / "a" / "bids.parquet")
    assert lots.height == result.stats["lots"] and bids.height == result.stats["bids"]
    for column in (
        "lot_id", "project_id", "industry", "region_code", "ceiling_price", "estimated_amount",
        "bid_deadline", "award_notice_at", "contract_signed_at",
    ):  # fmt: skip
        assert column in lots.columns
    for column in (
        "bid_id", "bidder_id", "price", "submitted_at", "ip", "mac", "ca_key", "file_hash",
        "file_author", "security_account", "project_manager_cert", "winner", "rank",
    ):  # fmt: skip
        assert column in bids.columns
    assert str(bids.schema["submitted_at"]) == "Datetime(time_unit='us', time_zone='Asia/Shanghai')"
    # One winner per awarded competitive lot; the shared IPs are the labelled ones.
    winners = bids.filter(pl.col("winner")).group_by("lot_id").len()
    assert winners["len"].max() == 1
    assert winners.height == lots.filter(pl.col("bids_received") > 0).height
    shared = bids.group_by("lot_id", "ip").len().filter(pl.col("len") > 1)["lot_id"].unique().sort()
    labelled = sorted(
        {lab["lot_external_id"] for lab in _labels(tmp_path / "a") if lab["code"] == "shared_ip"}
    )
    assert shared.to_list() == labelled and labelled

    # The same seed writes the same bytes.
    run(_options(tmp_path / "b", "parquet", lots=400, rate_scale=3), calendar)
    for name in ("lots.parquet", "bids.parquet", "labels.jsonl", "labels.csv", "generation.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert not list((tmp_path / "a").glob(".*")) and not list((tmp_path / "a").glob("*.tmp"))


def test_parquet_says_what_the_bundles_say(tmp_path: Path, calendar: WorkCalendar) -> None:
    import polars as pl

    run(_options(tmp_path, "parquet", lots=120, seed=8), calendar)
    _g, bundles, _labels = bundles_and_labels(calendar, lots=120, seed=8)
    bids = pl.read_parquet(tmp_path / "bids.parquet")
    expected = [
        (b.external_id, float(b.price or 0), b.client_ip, b.ca_key_id, b.bidder.identifier)
        for x in bundles
        for b in x.bids
    ]
    got = list(
        zip(
            *(bids[c].to_list() for c in ("bid_id", "price", "ip", "ca_key", "bidder_id")),
            strict=True,
        )
    )
    assert got == expected


def test_ocds_lines_are_valid_releases_and_workers_change_nothing(
    tmp_path: Path, calendar: WorkCalendar
) -> None:
    one = run(_options(tmp_path / "one", "ocds-jsonl", lots=90, rate_scale=2), calendar)
    two = run(_options(tmp_path / "two", "ocds-jsonl", lots=90, rate_scale=2, workers=2), calendar)
    text = (tmp_path / "one" / "releases.jsonl").read_bytes()
    assert text == (tmp_path / "two" / "releases.jsonl").read_bytes()
    assert one.stats == two.stats
    lines = text.decode("utf-8").splitlines()
    assert len(lines) == one.stats["projects"]
    releases = [json.loads(line) for line in lines]
    assert sum(len(r.get("bids", {}).get("details", [])) for r in releases) == one.stats["bids"]
    for release in releases[:40]:
        assert ocds.validation_errors(release) == []
    # The supervisory fields travel with the benchmark files.
    detail = next(d for r in releases for d in r.get("bids", {}).get("details", []))
    assert detail["x_fingerprints"]["caKeyId"] and detail["x_projectManager"]["certificateNo"]
    assert (tmp_path / "one" / "labels.jsonl").read_bytes() == (
        tmp_path / "two" / "labels.jsonl"
    ).read_bytes()


def test_labels_files_agree(tmp_path: Path, calendar: WorkCalendar) -> None:
    result = run(_options(tmp_path, "parquet", lots=300, rate_scale=3), calendar)
    rows = _labels(tmp_path)
    with (tmp_path / "labels.csv").open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert len(rows) == len(table) > 20
    for row, line in zip(rows, table, strict=True):
        assert line["lot_external_id"] == row["lot_external_id"]
        assert line["rule"] == row["rule"] and line["description"] == row["description"]
        assert json.loads(line["evidence"]) == row["evidence"]
    manifest = json.loads((tmp_path / "generation.json").read_text("utf-8"))
    assert manifest["lots"] == result.stats["lots"]
    assert manifest["violations"]["late_contract"]["rule"] == "AW-06"


@pytest.mark.django_db
def test_database_stores_what_was_generated_and_a_second_run_changes_nothing(
    tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    calendar = WorkCalendar.from_database()
    options = _options(tmp_path / "out", "db", lots=120, seed=6, rate_scale=2)
    result = run(options, calendar)
    stats = result.stats
    assert result.report.created == stats["projects"] and not result.report.refused
    assert Project.objects.filter(source=SOURCE).count() == stats["projects"]
    assert Lot.objects.filter(project__source=SOURCE).count() == stats["lots"]
    assert Bid.objects.filter(lot__project__source=SOURCE).count() == stats["bids"]
    assert Award.objects.count() == Lot.objects.filter(bids__isnull=False).distinct().count()
    assert Contract.objects.count() == stats["lots"]
    assert CommitteeMember.objects.exists()
    labels = _labels(tmp_path / "out")
    assert labels and all(
        Lot.objects.filter(external_id=lab["lot_external_id"]).exists() for lab in labels
    )
    # The tender documents are kept with their text.
    project = Project.objects.filter(source=SOURCE, procurement_method="open").first()
    assert project is not None
    issued = ProcedureEvent.objects.get(project=project, kind="tender_documents_issued")
    assert issued.document is not None and issued.document.file
    with issued.document.file.open("rb") as fh:
        assert project.name in fh.read().decode("utf-8")
    assert project.status == "contracted" and project.must_tender is not None

    counts = [
        m.objects.count() for m in (Project, Lot, Bid, ProcedureEvent, Document, CommitteeMember)
    ]
    entries = AuditEntry.objects.count()
    again = run(options, calendar)
    assert again.report.unchanged == stats["projects"]
    assert again.report.created == again.report.updated == 0
    assert counts == [
        m.objects.count() for m in (Project, Lot, Bid, ProcedureEvent, Document, CommitteeMember)
    ]
    # Only the summary entry of the run that changed nothing.
    assert AuditEntry.objects.count() == entries + 1


def test_the_command_writes_files_without_a_database(tmp_path: Path, monkeypatch: Any) -> None:
    from django.db import OperationalError

    def no_database() -> WorkCalendar:
        raise OperationalError("unable to open database file")

    monkeypatch.setattr(WorkCalendar, "from_database", staticmethod(no_database))
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "generate",
        "--seed=5",
        "--lots=60",
        "--format=parquet",
        f"--out={tmp_path}",
        "--no-progress",
        stdout=out,
        stderr=err,
    )
    text = out.getvalue()
    assert err.getvalue()  # says the built-in schedules are used
    assert "lots.parquet" in text and "labels.csv" in text
    assert "bid_rotation" in text and "BO-07" in text
    manifest = json.loads((tmp_path / "generation.json").read_text("utf-8"))
    assert manifest["seed"] == 5 and manifest["calendar"]["source"] == "builtin"


@pytest.mark.django_db
def test_the_command_writes_to_the_database(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    out = io.StringIO()
    args = ["generate", "--seed=9", "--lots=40", f"--out={tmp_path}", "--no-progress"]
    call_command(*args, stdout=out, stderr=io.StringIO())
    stored = Project.objects.filter(source=SOURCE).count()
    manifest = json.loads((tmp_path / "generation.json").read_text("utf-8"))
    assert stored == manifest["projects"] > 0
    assert manifest["calendar"]["source"] == "database"
    bids = Bid.objects.count()
    call_command(*args, stdout=io.StringIO(), stderr=io.StringIO())
    assert (Project.objects.filter(source=SOURCE).count(), Bid.objects.count()) == (stored, bids)


@pytest.mark.django_db
def test_demo_data_is_loaded_once(tmp_path: Path, settings: Any) -> None:
    from tenderwatch.generator.demo import load_demo_data

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    first = load_demo_data(stdout=out, scale=Scale.custom("district", 40))
    assert first is not None and first.report.created > 0
    assert (tmp_path / "generated" / "labels.csv").exists()
    stored = Project.objects.filter(source=SOURCE).count()
    assert load_demo_data(stdout=out, scale=Scale.custom("district", 40)) is None
    assert Project.objects.filter(source=SOURCE).count() == stored
    # Timelines to show: every project has its steps.
    project = Project.objects.filter(source=SOURCE, procurement_method="open").first()
    assert project is not None and project.events.count() >= 12
