"""OCDS in and out: the real publishers' samples in ../shared/data/ocds import record by record
(stored or refused with a reason), a second import changes nothing, the export validates against
the OCDS 1.1.4 release schema; a truncated JSON Lines file; the command line and the pages."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import translation

from tenderwatch.audit.models import AuditEntry
from tenderwatch.ledger import signals
from tenderwatch.ledger.ingest import ocds
from tenderwatch.ledger.ingest.bundle import ProcessBundle
from tenderwatch.ledger.ingest.writer import bundles_write
from tenderwatch.ledger.models import Award, Bid, Contract, MarketEntity, ProcedureEvent, Project
from tenderwatch.ledger.tests.test_ingest_writer import bundle_dict, counts

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def samples(shared_data: Path) -> Path:
    """The real publishers' OCDS files (shared/data/ocds)."""
    return shared_data / "ocds"


def sample_files(samples: Path) -> list[Path]:
    files = sorted(samples.rglob("*.json"))
    assert files, f"no OCDS sample in {samples}"
    return files


# -- the real samples ----------------------------------------------------------------------------


def test_every_real_sample_imports_record_by_record_and_a_second_import_changes_nothing(
    samples: Path,
) -> None:
    files = sample_files(samples)
    assert len(files) == 211  # 1 + 51 + 51 + 16 + 70 + 11 + 11, as SOURCE.md lists them
    report = ocds.import_files(files, actor=None, workers=0)
    # Every process is stored or refused with a reason; nothing is lost in between.
    assert report.created == 48 and report.updated == 0 and report.stale == 0
    # Ukraine's and Moldova's record files and release files describe the same processes.
    assert report.unchanged == 23
    assert len(report.refused) == 181 and all(r.reason for r in report.refused)
    assert all(r.origin for r in report.refused)
    reasons = Counter(r.where for r in report.refused)
    assert reasons == {
        "tender.mainProcurementCategory": 103,  # no category and no CPV codes to tell it
        "tender": 74,  # planning-only or award-only releases: no tender
        "": 2,  # Paraguayan records that only link to their releases
        "bids.details[0].relatedLots": 2,  # a bid without its lot in a multi-lot tender
    }
    assert Project.objects.count() == 48 and Bid.objects.count() == 36
    assert Award.objects.count() == 21 and Contract.objects.count() == 27
    armenian = Project.objects.filter(ocid__startswith="ocds-").exclude(currency="CNY")
    assert armenian.exists() and not armenian.filter(must_tender=True).exists()  # never converted
    assert set(Project.objects.values_list("industry", flat=True)) == {"other"}
    assert set(Project.objects.values_list("source", flat=True)) == {"ocds"}
    assert MarketEntity.objects.filter(scheme="AM-TIN").exists()

    before, entries = counts(), AuditEntry.objects.count()
    again = ocds.import_files(files, actor=None, workers=0)
    assert again.created == again.updated == 0 and again.unchanged == 48 + 23
    assert len(again.refused) == 181 and again.bids_written == 0
    assert counts() == before
    assert AuditEntry.objects.count() == entries + 1  # the run's summary, nothing else
    assert AuditEntry.objects.order_by("-seq").first().action == "ledger.import.finished"  # type: ignore[union-attr]


def test_the_export_of_imported_real_data_validates_against_the_release_schema(
    samples: Path,
) -> None:
    ocds.import_files(sample_files(samples), actor=None, workers=0)
    out = io.StringIO()
    assert ocds.export_projects(Project.objects.all(), out) == 48
    releases = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(releases) == 48
    for release in releases:
        assert ocds.validation_errors(release) == []
    package = io.StringIO()
    ocds.export_projects(Project.objects.all(), package, form="package")
    data = json.loads(package.getvalue())
    assert data["version"] == "1.1" and len(data["releases"]) == 48
    ukrainian = next(r for r in releases if r["ocid"].startswith("ocds-be6bcu-"))
    assert ukrainian["tender"]["x_industry"] == "other"
    assert "x_fingerprints" not in json.dumps(releases)  # never published


def test_release_packages_are_compiled_across_files_with_the_merge_rules(samples: Path) -> None:
    files = sorted((samples / "paraguay" / "sample" / "releases").glob("*.json"))
    assert files, "the Paraguayan samples are missing"
    items = list(ocds.read_sources(files))
    compiled = [i for i in items if isinstance(i, ocds.Compiled)]
    # 70 releases of 12 processes, one release a file: compiled per ocid, not per file.
    assert len(compiled) == 12
    assert all("compiled" in c.release["tag"] for c in compiled)
    assert len({c.release["ocid"] for c in compiled}) == 12


# -- files of our own ------------------------------------------------------------------------------


def _releases(n: int, *, private: bool = False) -> list[dict[str, Any]]:
    return [
        ocds.bundle_to_release(ProcessBundle.model_validate(bundle_dict(k)), private=private)
        for k in range(1, n + 1)
    ]


def test_a_truncated_json_lines_file_stores_every_whole_record_and_names_the_broken_line(
    tmp_path: Path,
) -> None:
    lines = [ocds.dumps(r) for r in _releases(5)]
    path = tmp_path / "cut.jsonl"
    path.write_text("\n".join(lines) + "\n" + lines[0][: len(lines[0]) // 2], encoding="utf-8")
    report = ocds.import_files([path], actor=None, workers=0)
    assert report.created == 5
    assert len(report.refused) == 1
    broken = report.refused[0]
    assert broken.origin == "cut.jsonl:6"
    assert "6" in broken.reason and "JSON" in broken.reason


def test_a_broken_line_in_the_middle_is_skipped_and_the_rest_stored(tmp_path: Path) -> None:
    lines = [ocds.dumps(r) for r in _releases(3)]
    path = tmp_path / "mid.jsonl"
    path.write_text("\n".join([lines[0], '{"ocid": "x", ', lines[1], lines[2]]), encoding="utf-8")
    report = ocds.import_files([path], actor=None, workers=0)
    assert report.created == 3 and [r.origin for r in report.refused] == ["mid.jsonl:2"]


def test_our_own_export_imports_back_with_the_same_facts(tmp_path: Path) -> None:
    path = tmp_path / "own.jsonl"
    path.write_text("\n".join(ocds.dumps(r) for r in _releases(2, private=True)), encoding="utf-8")
    report = ocds.import_files([path], actor=None, source="roundtrip", workers=0)
    assert report.created == 2 and report.ok
    project = Project.objects.get(source="roundtrip", code="HZ-JS-00001")
    assert project.industry == "transport" and project.region_code == "421102"
    assert project.estimated_amount == 5000000 and project.procurement_method == "open"
    assert project.organisation_form == "entrusted" and project.must_tender is True
    assert project.lots.count() == 2 and project.status == "awarded"
    bid = Bid.objects.get(lot__project=project, external_id="P-00001-L1-B1")
    assert bid.price == 2300000 and bid.client_ip == "10.0.0.1"  # private fields came along
    assert bid.project_manager is not None and bid.evaluation.rank == 1
    assert bid.lot.award.bid_id == bid.pk and bid.lot.contracts.get().supplier_id == bid.bidder_id
    kinds = set(ProcedureEvent.objects.filter(project=project).values_list("kind", flat=True))
    assert {"registration", "announcement", "bid_deadline", "award_notice"} <= kinds


def test_json_lines_of_records_and_packages_are_recognised(tmp_path: Path) -> None:
    releases = _releases(2)
    record = {"ocid": releases[0]["ocid"], "releases": [], "compiledRelease": releases[0]}
    package = {"uri": "x", "version": "1.1", "releases": [releases[1]]}
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps(record) + "\n" + json.dumps(package) + "\n", encoding="utf-8")
    report = ocds.import_files([path], actor=None, workers=0)
    assert report.created == 2 and report.ok


def test_a_release_package_file_is_streamed(tmp_path: Path) -> None:
    path = tmp_path / "package.json"
    path.write_text(
        json.dumps({"version": "1.1", "releases": _releases(3)}, indent=2), encoding="utf-8"
    )
    assert not ocds._looks_like_lines(path) and ocds._package_key(path) == "releases"
    report = ocds.import_files([path], actor=None, workers=0)
    assert report.created == 3


def test_the_worker_process_gives_the_same_result(tmp_path: Path) -> None:
    lines = [ocds.dumps(r) for r in _releases(4)]
    path = tmp_path / "w.jsonl"
    path.write_text("\n".join([*lines, "{broken"]), encoding="utf-8")
    report = ocds.import_files([path], actor=None, workers=1)
    assert report.created == 4 and [r.origin for r in report.refused] == ["w.jsonl:5"]
    again = ocds.import_files([path], actor=None, workers=1)
    assert again.unchanged == 4


def _refuse_bid_in_the_database(external_id: str) -> None:
    """A trigger that makes the database refuse one bid: a failure no check can foresee."""
    message = "bid refused by the test trigger"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "CREATE TRIGGER tw_test_refuse BEFORE INSERT ON ledger_bid "
                f"WHEN NEW.external_id = '{external_id}' "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
        else:
            cursor.execute(
                "CREATE FUNCTION tw_test_refuse() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.external_id = '{external_id}' THEN RAISE EXCEPTION '{message}'; "
                "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER tw_test_refuse BEFORE INSERT ON ledger_bid "
                "FOR EACH ROW EXECUTE FUNCTION tw_test_refuse()"
            )


@pytest.mark.parametrize("workers", [0, 1])
def test_a_record_the_database_refuses_is_refused_alone_and_the_rest_of_its_batch_stored(
    tmp_path: Path, workers: int, django_capture_on_commit_callbacks: Any
) -> None:
    # Five processes, one batch. The database refuses a bid of the fourth: the batch's
    # transaction fails, the batch is retried record by record, and only the fourth is refused,
    # with the database's reason and its line; the other four are stored, under one audit entry.
    path = tmp_path / "db.jsonl"
    path.write_text("\n".join(ocds.dumps(r) for r in _releases(5)), encoding="utf-8")
    _refuse_bid_in_the_database("P-00004-L2-B3")
    imported: list[list[int]] = []

    def listener(sender: Any, project_ids: list[int], **kwargs: Any) -> None:
        imported.append(project_ids)

    signals.projects_imported.connect(listener)
    try:
        with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
            report = ocds.import_files([path], actor=None, workers=workers)
    finally:
        signals.projects_imported.disconnect(listener)
    assert report.created == 4 and report.batches == 1
    assert [(r.origin, r.where) for r in report.refused] == [("db.jsonl:4", "")]
    refusal = report.refused[0]
    assert refusal.reason.startswith("The database refused the record")
    assert "bid refused by the test trigger" in refusal.reason
    assert refusal.external_id.endswith("P-00004")
    codes = set(Project.objects.values_list("code", flat=True))
    assert codes == {"HZ-JS-00001", "HZ-JS-00002", "HZ-JS-00003", "HZ-JS-00005"}
    assert Bid.objects.count() == 4 * 6
    assert not ProcedureEvent.objects.filter(external_id__startswith="P-00004").exists()
    batch = AuditEntry.objects.get(action="ledger.import.batch")
    assert batch.after["counts"]["created"] == 4 and batch.after["refused"][0][1] == "db.jsonl:4"
    # The projects stored, once, to screening, after the batch's transaction.
    assert imported == [sorted(Project.objects.values_list("pk", flat=True))]
    # Again: the four are unchanged, and the fourth is refused again by the database.
    again = ocds.import_files([path], actor=None, workers=workers)
    assert again.unchanged == 4 and again.created == 0
    assert [r.origin for r in again.refused] == ["db.jsonl:4"]


def test_two_records_of_one_batch_naming_the_same_event_store_the_first(tmp_path: Path) -> None:
    # Neither is stored when the batch is checked; the database refuses the batch, and in the
    # retry record by record the second meets the first's event and is refused for it.
    releases = _releases(5)
    clash = releases[3]["tender"]["milestones"][0]
    assert clash["id"] == "P-00004-E1"
    clash["id"] = "P-00002-E1"
    path = tmp_path / "clash.jsonl"
    path.write_text("\n".join(ocds.dumps(r) for r in releases), encoding="utf-8")
    report = ocds.import_files([path], actor=None, workers=0)
    assert report.created == 4
    assert [(r.origin, r.where) for r in report.refused] == [
        ("clash.jsonl:4", "events[0].external_id")
    ]
    assert ProcedureEvent.objects.get(external_id="P-00002-E1").project.code == "HZ-JS-00002"
    assert not Bid.objects.filter(external_id__startswith="P-00004").exists()


def test_an_invalid_export_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bundles_write([bundle_dict(1)], actor=None, label="one")

    def broken(bundle: Any, *, private: bool = False) -> dict[str, Any]:
        return {"ocid": "x"}  # no id, date, tag, initiationType

    monkeypatch.setattr(ocds, "bundle_to_release", broken)
    with pytest.raises(ocds.ExportInvalid):
        ocds.export_projects(Project.objects.all(), io.StringIO())
    out = tmp_path / "out.jsonl"
    with pytest.raises(CommandError):
        call_command("export", "ocds", str(out))
    assert not out.exists() and not list(tmp_path.glob(".export-*"))


# -- command line ----------------------------------------------------------------------------------


def test_the_import_command_prints_counts_and_refusals(tmp_path: Path) -> None:
    lines = [ocds.dumps(r) for r in _releases(2)]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join([*lines, "{"]), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "ocds", str(path), "--no-progress", stdout=out, stderr=err)
    assert "2" in out.getvalue() and "in.jsonl:3" in err.getvalue()
    assert Project.objects.filter(source="ocds").count() == 2


def test_the_export_command_writes_valid_ocds_for_a_filter(tmp_path: Path) -> None:
    bundles_write([bundle_dict(1), bundle_dict(2)], actor=None, label="two")
    Project.objects.filter(external_id="P-00002").update(industry="water")
    out = tmp_path / "transport.jsonl"
    call_command("export", "ocds", str(out), "--industry", "transport", stdout=io.StringIO())
    releases = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["tender"]["id"] for r in releases] == ["HZ-JS-00001"]
    assert ocds.validation_errors(releases[0]) == []
    package = tmp_path / "all.json"
    call_command("export", "ocds", str(package), stdout=io.StringIO())
    assert len(json.loads(package.read_text(encoding="utf-8"))["releases"]) == 2


# -- pages -----------------------------------------------------------------------------------------


def test_office_staff_upload_an_ocds_file_and_see_the_report(
    client: Any, personas: Any, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(personas.office_clerk)
    page = client.get(reverse("ledger:ocds_import"))
    assert page.status_code == 200
    content = ("\n".join(ocds.dumps(r) for r in _releases(2)) + "\n{").encode()
    upload = io.BytesIO(content)
    upload.name = "上传.jsonl"
    response = client.post(reverse("ledger:ocds_import"), {"file": upload, "source": "upload"})
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-count="created">2<' in text and "上传.jsonl:3" in text
    assert Project.objects.filter(source="upload").count() == 2
    stored = list((tmp_path / "media" / "imports").iterdir())
    assert len(stored) == 1 and stored[0].read_bytes() == content
    entry = AuditEntry.objects.get(action="ledger.import.batch")
    assert entry.actor == personas.office_clerk and entry.after["source"] == "upload"


def test_who_may_not_import_is_refused(client: Any, personas: Any) -> None:
    client.force_login(personas.auditor)
    assert client.get(reverse("ledger:ocds_import")).status_code == 403


def test_the_export_link_takes_the_project_list_filters(client: Any, personas: Any) -> None:
    bundles_write([bundle_dict(1), bundle_dict(2)], actor=None, label="two")
    Project.objects.filter(external_id="P-00002").update(industry="water")
    client.force_login(personas.auditor)  # reading and exporting: every staff role
    response = client.get(reverse("ledger:ocds_export"), {"industry": "transport"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    releases = [json.loads(line) for line in body.splitlines()]
    assert [r["tender"]["id"] for r in releases] == ["HZ-JS-00001"]
    package = client.get(reverse("ledger:ocds_export"), {"as": "package"})
    data = json.loads(b"".join(package.streaming_content))  # type: ignore[attr-defined]
    assert len(data["releases"]) == 2
