"""The cap on public filings per client address, through the real form: N pass, N+1 is refused
with 429 and the form as typed, another address passes, and the window passes."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from tenderwatch.audit.models import AuditEntry
from tenderwatch.complaints import ratelimit
from tenderwatch.complaints.models import Matter, TrackingThrottle
from tenderwatch.complaints.testing import exe_bytes, upload
from tenderwatch.complaints.tests.conftest import china

pytestmark = pytest.mark.usefixtures("district")

NOW = china(2026, 6, 8, 10, 0)
FACTS = "评标委员会成员与投标人存在利害关系，未回避。"


def _form(client: Client) -> dict[str, Any]:
    page = client.get(reverse("complaints:public_file"))
    assert page.status_code == 200
    token = re.search(r'name="token" value="([^"]+)"', page.content.decode())
    assert token
    return {
        "token": token.group(1),
        "kind": "tip_off",
        "filer_kind": "person",
        "name": "陈志远",
        "phone": "13871234567",
        "project_text": "黄州区东湖片区老旧小区改造工程",
        "industry": "housing_municipal",
        "subject": "evaluation_result",
        "facts": FACTS,
    }


def _file(client: Client, **changes: Any) -> Any:
    data = {**_form(client), **changes}
    return client.post(reverse("complaints:public_file"), data), data


def test_the_default_rate_is_ten_an_hour() -> None:
    from django.conf import settings

    assert settings.TW_COMPLAINTS_FILING_RATE == "10/h"
    assert ratelimit.parse("10/h") == ratelimit.Rate(10, dt.timedelta(hours=1))
    assert ratelimit.parse(" 30 / 15m ") == ratelimit.Rate(30, dt.timedelta(minutes=15))
    assert ratelimit.parse("100/d") == ratelimit.Rate(100, dt.timedelta(days=1))
    for bad in ("", "10", "0/h", "10/0h", "10/w", "ten/h", "-1/h"):
        with pytest.raises(ImproperlyConfigured):
            ratelimit.parse(bad)


def test_n_filings_pass_the_next_is_refused_until_the_window_passes(
    personas: Any, settings: Any
) -> None:
    settings.TW_COMPLAINTS_FILING_RATE = "3/h"
    client = Client()  # 127.0.0.1
    with time_machine.travel(NOW, tick=False):
        for _i in range(3):
            response, _data = _file(client)
            assert response.status_code == 302
        assert Matter.objects.count() == 3
        audit_before = AuditEntry.objects.count()

        refused, data = _file(client, facts=FACTS + "（第四件）")
        assert refused.status_code == 429
        text = refused.content.decode()
        assert "同一网络地址提交过于频繁" in text and "60 分钟内最多可提交 3 件" in text
        assert "请于 60 分钟后再试" in text
        # The form is shown again as typed, with the same submission token; nothing is stored.
        assert "（第四件）" in text and "陈志远" in text and data["token"] in text
        assert Matter.objects.count() == 3 and AuditEntry.objects.count() == audit_before

        # Another address is not held back by this one.
        other, _data = _file(Client(REMOTE_ADDR="10.20.30.40"))
        assert other.status_code == 302
        assert Matter.objects.count() == 4

    # Later within the window: still refused, with the minutes that remain.
    with time_machine.travel(NOW + dt.timedelta(minutes=45), tick=False):
        again = client.post(reverse("complaints:public_file"), data)
        assert again.status_code == 429 and "请于 15 分钟后再试" in again.content.decode()
        assert Matter.objects.count() == 4

    # Once the window has passed, the same form (same token) files, once.
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        later = client.post(reverse("complaints:public_file"), data)
        assert later.status_code == 302
    assert Matter.objects.filter(facts=FACTS + "（第四件）").count() == 1
    assert Matter.objects.count() == 5


def test_a_refused_filing_costs_no_slot_and_a_retry_is_never_refused(
    personas: Any, settings: Any
) -> None:
    settings.TW_COMPLAINTS_FILING_RATE = "2/h"
    client = Client()
    with time_machine.travel(NOW, tick=False):
        # A file the office does not take refuses the filing: the slot is given back.
        bad, _data = _file(client, evidence=upload("中标通知书.pdf", exe_bytes()))
        assert bad.status_code == 400 and Matter.objects.count() == 0
        first, _data = _file(client)
        second, stored = _file(client)
        assert first.status_code == 302 and second.status_code == 302
        # At the limit, the retry of a filing already stored (a lost response) still gets its
        # receipt, and files nothing twice.
        retry = client.post(reverse("complaints:public_file"), stored)
        assert retry.status_code == 302 and Matter.objects.count() == 2
        refused, _data = _file(client)
        assert refused.status_code == 429 and Matter.objects.count() == 2
    # One shared count per address, in the database every web process reads.
    row = TrackingThrottle.objects.get(key="filing:ip:127.0.0.1")
    assert row.failures == 2 and row.blocked_until is None


def test_the_limit_reads_the_forwarded_address_only_behind_a_trusted_proxy(
    personas: Any, settings: Any
) -> None:
    settings.TW_COMPLAINTS_FILING_RATE = "1/h"
    settings.TW_TRUST_PROXY = True
    with time_machine.travel(NOW, tick=False):
        one = Client(HTTP_X_FORWARDED_FOR="203.0.113.5")
        two = Client(HTTP_X_FORWARDED_FOR="203.0.113.6")
        assert _file(one)[0].status_code == 302
        assert _file(two)[0].status_code == 302  # same proxy address, other clients
        assert _file(one)[0].status_code == 429
