"""The collusion screens in the engine: a bid arriving through the ledger's service raises the
第四十条 warning before the call answers; a bulk import and `screen run` screen in batches; a
second run merges instead of duplicating; a failing screen never fails the ledger write."""

from __future__ import annotations

import datetime as dt
import io
import logging
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command

from tenderwatch.core.timeutil import CHINA
from tenderwatch.ledger import services as ledger_services
from tenderwatch.ledger import signals, testing
from tenderwatch.ledger.models import Bid, Project
from tenderwatch.screening import engine
from tenderwatch.screening.collusion import api
from tenderwatch.screening.models import Origin, Warning

pytestmark = pytest.mark.django_db

SHARED_IP = "60.113.93.211"


@pytest.fixture(autouse=True)
def _fresh_fences() -> Any:
    api.clear_fence_cache()
    yield
    api.clear_fence_cache()


def _project(seed: int = 2026, name: str = "黄州区禹王片区雨污分流改造工程") -> Project:
    return testing.build_project(
        name=name,
        estimated_amount=Decimal("4500000"),
        registered_at=dt.datetime(2026, 3, 2, 9, 30, tzinfo=CHINA),
        lots=1,
        bids_per_lot=4,
        seed=seed,
    )


def _resend_with_ip(bid: Bid, ip: str, actor: Any) -> Any:
    """The feed sends a new version of the bid, with the client IP the platform logged."""
    bidder = bid.bidder
    return ledger_services.bid_upsert(
        source=bid.source,
        lot=bid.lot,
        payload={
            "external_id": bid.external_id,
            "version": bid.version + 1,
            "bidder": {
                "scheme": bidder.scheme,
                "identifier": bidder.identifier,
                "name": bidder.name,
            },
            "price": str(bid.price),
            "status": bid.status,
            "client_ip": ip,
        },
        actor=actor,
    )


def _screen_warnings() -> list[Warning]:
    return list(Warning.objects.filter(origin=Origin.SCREEN).order_by("pk"))


def test_a_bid_through_the_service_raises_the_article_40_warning(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    project = _project()
    bids = list(project.lots.get().bids.order_by("price"))
    assert not _screen_warnings()
    with django_capture_on_commit_callbacks(execute=True):
        _resend_with_ip(bids[1], SHARED_IP, personas.office_clerk)
    assert not [w for w in _screen_warnings() if w.rule_id.startswith("BO-08")]
    with django_capture_on_commit_callbacks(execute=True):
        _resend_with_ip(bids[3], SHARED_IP, personas.office_clerk)
    (warning,) = [w for w in _screen_warnings() if w.rule_id.startswith("BO-08")]
    assert warning.rule_id == "BO-08(2)" and warning.project == project
    assert warning.lot == bids[1].lot
    assert "第四十条" in warning.explanation and SHARED_IP in str(warning.facts)
    assert set(warning.entities.values_list("pk", flat=True)) == {
        bids[1].bidder_id,
        bids[3].bidder_id,
    }
    # The same facts again (a bulk re-import, a second run) merge into the same warning.
    signals.projects_imported.send(sender=None, project_ids=[project.pk])
    report = engine.screen_collusion([project.pk])
    assert report.raised.created == [] and report.raised.unchanged >= 1
    assert [w.pk for w in _screen_warnings() if w.rule_id.startswith("BO-08")] == [warning.pk]


def test_only_the_rules_run_when_the_screens_are_turned_off(
    personas: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TW_SCREEN_COLLUSION_ON_CHANGE = False
    project = _project()
    bids = list(project.lots.get().bids.order_by("price"))
    with django_capture_on_commit_callbacks(execute=True):
        _resend_with_ip(bids[0], SHARED_IP, personas.office_clerk)
        _resend_with_ip(bids[2], SHARED_IP, personas.office_clerk)
    assert not _screen_warnings()
    settings.TW_SCREEN_COLLUSION_ON_CHANGE = True
    assert engine.screen_collusion([project.pk]).created == 1
    assert _screen_warnings()[0].rule_id == "BO-08(2)"


def test_a_failing_screen_never_fails_the_ledger_write(
    personas: Any, monkeypatch: Any, caplog: Any, django_capture_on_commit_callbacks: Any
) -> None:
    project = _project()
    bid = project.lots.get().bids.order_by("price").first()
    assert bid is not None

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("bad screen")

    monkeypatch.setattr(api, "screen_lots", broken)
    with (
        caplog.at_level(logging.ERROR, logger="tenderwatch.screening"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = _resend_with_ip(bid, SHARED_IP, personas.office_clerk)
    assert Bid.objects.get(pk=result.obj.pk).client_ip == SHARED_IP
    assert "collusion screens of project" in caplog.text and not _screen_warnings()


def test_screen_run_screens_the_period_as_one_batch(personas: Any) -> None:
    inside = _project(seed=7, name="黄州区路口街道背街小巷改造工程")
    outside = testing.build_project(
        name="黄州区堵城镇农田水利工程",
        registered_at=dt.datetime(2026, 5, 11, 9, 30, tzinfo=CHINA),
        lots=1,
        bids_per_lot=4,
        seed=8,
    )
    for project in (inside, outside):
        ids = list(project.lots.get().bids.order_by("pk").values_list("pk", flat=True))[:2]
        Bid.objects.filter(pk__in=ids).update(ca_key_id="CA-HB-000731")  # one CA key, 第（二）项
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "screen",
        "run",
        "--since",
        "2026-03-01",
        "--until",
        "2026-03-31",
        "--only",
        "screens",
        stdout=out,
        stderr=err,
    )
    found = [w for w in _screen_warnings() if w.rule_id.startswith("BO-08")]
    assert [w.project for w in found] == [inside]
    assert "CA-HB-000731" in str(found[0].facts)
    assert out.getvalue().startswith("串通筛查：") and "新建预警 1 条" in out.getvalue()
    assert "1标段" in err.getvalue()  # the progress bar
    # --only rules leaves the screens alone; a full run merges instead of duplicating.
    call_command("screen", "run", "--since", "2026-03-01", "--only", "rules", stdout=out)
    call_command("screen", "run", "--since", "2026-01-01", "--no-progress", stdout=out)
    found = [w for w in _screen_warnings() if w.rule_id.startswith("BO-08")]
    assert sorted(w.project.pk for w in found) == sorted([inside.pk, outside.pk])
