"""The audit trail pages: who may see them, filters, keyset paging, the diff, verification."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tenderwatch.audit import services
from tenderwatch.audit.models import AuditEntry
from tenderwatch.audit.views import PAGE_SIZE, explain
from tenderwatch.core import context


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _record(n: int = 1, *, actor: Any = None, action: str = "test.thing", **kwargs: Any) -> list:
    out = []
    for _ in range(n):
        with transaction.atomic():
            out.append(services.record(actor=actor, action=action, **kwargs))
    return out


def _seqs(html: str) -> list[int]:
    return [int(s) for s in re.findall(r'<td class="num"><a href="/audit/\d+/">#(\d+)</a>', html)]


def test_urls() -> None:
    from django.urls import reverse

    assert reverse("audit:list") == "/audit/"
    assert reverse("audit:detail", args=[12]) == "/audit/12/"
    assert reverse("audit:verify") == "/audit/verify/"


@pytest.mark.parametrize("username", ["housing_officer", "section_head", "enforcement_officer"])
def test_roles_without_audit_view_are_refused(personas: Any, username: str) -> None:
    (entry,) = _record()
    client = _client(getattr(personas, username))
    for response in (client.get("/audit/"), client.get(f"/audit/{entry.seq}/")):
        assert response.status_code == 403
        assert "<h1>无权访问</h1>" in response.content.decode()
    assert client.post("/audit/verify/").status_code == 403
    assert not AuditEntry.objects.filter(action="audit.verified").exists()


def test_anonymous_is_sent_to_log_in(db: Any) -> None:
    response = Client().get("/audit/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_list_shows_newest_first_with_actor_and_object(personas: Any) -> None:
    dept = personas.dept("water")
    with context.bind(channel="cli", client_ip="10.1.2.3"):
        _record(actor=personas.office_clerk, action="org.department.changed", obj=dept, note="改名")
    html = _client(personas.auditor).get("/audit/").content.decode()
    seqs = _seqs(html)
    assert seqs == sorted(seqs, reverse=True)
    row = html.split('href="/audit/1/"', 1)[1].split("</tr>", 1)[0]
    assert "office_clerk" in row and "org.department.changed" in row
    assert f"org.department:{dept.pk}" in row and "区水利和湖泊局" in row
    assert "改名" in row and "10.1.2.3" in row
    assert "登录" in html  # the auditor's own log-in, with its label


def test_keyset_paging_without_counting_the_table(personas: Any) -> None:
    _record(2 * PAGE_SIZE + 10, action="test.bulk")
    client = _client(personas.auditor)
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/audit/?action=test.bulk").content.decode()
    # The audit table is never counted nor skipped through (other parts of the page, such as the
    # unread-notifications badge, may count their own small tables).
    audit_sql = [q["sql"].upper() for q in queries.captured_queries if "AUDIT_" in q["sql"].upper()]
    assert audit_sql
    assert not any("COUNT(" in sql for sql in audit_sql)
    assert not any("OFFSET" in sql for sql in audit_sql)
    page1 = _seqs(first)
    assert len(page1) == PAGE_SIZE and page1[0] == 2 * PAGE_SIZE + 10
    older = re.search(r'href="\?([^"]*before=(\d+))" rel="next"', first)
    assert older and int(older.group(2)) == page1[-1]
    assert "action=test.bulk" in older.group(1)  # filters carried along
    assert 'rel="prev"' not in first

    second = client.get("/audit/?" + older.group(1).replace("&amp;", "&")).content.decode()
    page2 = _seqs(second)
    assert page2 == list(range(page1[-1] - 1, page1[-1] - 1 - PAGE_SIZE, -1))
    third_link = re.search(r'href="\?([^"]*before=\d+)" rel="next"', second)
    assert third_link
    third = client.get("/audit/?" + third_link.group(1).replace("&amp;", "&")).content.decode()
    assert _seqs(third) == list(range(10, 0, -1))
    assert 'rel="next"' not in third

    newer = re.search(r'href="\?([^"]*after=\d+)" rel="prev"', third)
    assert newer
    back = client.get("/audit/?" + newer.group(1).replace("&amp;", "&")).content.decode()
    assert _seqs(back) == page2


def test_filters_by_action_object_and_actor(personas: Any) -> None:
    water, housing = personas.dept("water"), personas.dept("housing")
    _record(actor=personas.office_clerk, action="org.department.changed", obj=water)
    _record(actor=personas.admin, action="org.department.changed", obj=housing)
    _record(actor=personas.admin, action="org.authority.created")
    client = _client(personas.auditor)

    def seq_of(**params: str) -> set[int]:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return set(_seqs(client.get(f"/audit/?{query}").content.decode()))

    assert seq_of(action="org.department.changed") == {1, 2}
    assert seq_of(action="org.*") == {1, 2, 3}
    assert seq_of(object_type="org.department", object_id=str(water.pk)) == {1}
    assert seq_of(actor="admin") == {2, 3}
    assert seq_of(actor="王晓明") == {1}  # by full name too
    assert seq_of(actor="system:cli") == set()
    assert seq_of(actor="nobody") == set()


def test_filter_by_actor_finds_system_entries_by_name(personas: Any) -> None:
    with context.bind(channel="cli"):
        _record(action="workdays.schedule.entered")
    html = _client(personas.auditor).get("/audit/?actor=system:cli").content.decode()
    assert _seqs(html) == [1]


def test_date_range_is_in_china_time(personas: Any) -> None:
    # 2026-03-01 23:30 and 2026-03-02 00:30 in China: both on 1 March in UTC.
    for moment in (
        dt.datetime(2026, 3, 1, 15, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 3, 1, 0, tzinfo=dt.UTC),
    ):
        with time_machine.travel(moment):
            _record(action="test.dated")
    client = _client(personas.auditor)

    def seq_of(query: str) -> list[int]:
        return _seqs(client.get(f"/audit/?action=test.dated&{query}").content.decode())

    assert seq_of("date_from=2026-03-02&date_to=2026-03-02") == [2]
    assert seq_of("date_to=2026-03-01") == [1]
    assert seq_of("date_from=2026-03-02") == [3, 2]
    page = client.get("/audit/?date_from=2026-03-05&date_to=2026-03-01").content.decode()
    assert "截止日期早于起始日期。" in page and _seqs(page) == []


def test_office_staff_may_browse_but_not_verify(personas: Any) -> None:
    client = _client(personas.office_clerk)
    page = client.get("/audit/").content.decode()
    assert "<h1>审计日志</h1>" in page
    assert 'action="/audit/verify/"' not in page
    assert client.post("/audit/verify/").status_code == 403


def test_detail_shows_the_field_diff(personas: Any) -> None:
    (entry,) = _record(
        actor=personas.admin,
        action="org.department.changed",
        object_type="org.department",
        object_id=7,
        object_repr="区水利和湖泊局",
        before={"name": "区水利局", "short_name": "水利", "active": True},
        after={"name": "区水利和湖泊局", "short_name": "水利", "active": True, "sort_order": 3},
    )
    html = _client(personas.auditor).get(f"/audit/{entry.seq}/").content.decode()
    assert f"<h1>审计记录 #{entry.seq}</h1>" in html
    rows = {
        m.group(2): (m.group(1), m.group(3), m.group(4))
        for m in re.finditer(
            r'<tr class="(changed|)">\s*<th scope="row"><code>(\w+)</code></th>\s*'
            r'<td class="before">(?:<pre>(.*?)</pre>)?</td>\s*'
            r'<td class="after">(?:<pre>(.*?)</pre>)?</td>',
            html,
        )
    }
    assert rows["name"] == ("changed", "区水利局", "区水利和湖泊局")
    assert rows["short_name"] == ("", "水利", "水利")
    assert rows["sort_order"] == ("changed", "", "3")
    assert "共 2 个字段有变化" in html
    assert entry.hash in html and entry.prev_hash in html


def test_detail_of_an_event_without_states(personas: Any) -> None:
    (entry,) = _record(actor=personas.admin, action="test.event")
    html = _client(personas.auditor).get(f"/audit/{entry.seq}/").content.decode()
    assert "本条记录为事件，没有变更前后的状态。" in html


def test_detail_of_a_missing_entry_is_404(personas: Any) -> None:
    assert _client(personas.auditor).get("/audit/99999/").status_code == 404


def test_verify_reports_an_intact_chain_and_records_the_run(personas: Any) -> None:
    _record(3)
    client = _client(personas.auditor)
    assert client.get("/audit/verify/").status_code == 405  # POST only
    html = client.post("/audit/verify/").content.decode()
    assert "校验通过：哈希链完整。" in html
    run = AuditEntry.objects.get(action="audit.verified")
    assert run.actor_id == personas.auditor.pk
    assert run.after["ok"] is True
    assert run.after["entries"] == run.seq - 1  # everything before the record of the run
    assert services.verify().ok
    home = client.get("/").content.decode()
    assert "哈希链完整" in home and f'href="/audit/{run.seq}/"' in home


def _drop_guards() -> None:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        else:
            cur.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")


def test_verify_button_reports_a_tampered_chain(personas: Any) -> None:
    _record(5, note="原始内容")
    client = _client(personas.admin)
    _drop_guards()
    with connection.cursor() as cur:
        cur.execute("UPDATE audit_auditentry SET note = %s WHERE seq = 3", ["悄悄改过"])
    html = client.post("/audit/verify/").content.decode()
    assert "哈希链已被破坏。" in html
    assert '首个异常记录：\n    <a href="/audit/3/">#3</a>' in html
    assert "内容与其哈希值不符：该记录已被篡改" in html
    run = AuditEntry.objects.get(action="audit.verified")
    assert run.after["ok"] is False and run.after["first_broken_seq"] == 3
    auditor_home = _client(personas.auditor).get("/").content.decode()
    assert "发现问题" in auditor_home and "首个异常记录 #3" in auditor_home


def test_verify_reports_anchor_problems(personas: Any, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _record(2)
    _drop_guards()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM audit_auditentry WHERE seq = 2")
    html = _client(personas.auditor).post("/audit/verify/").content.decode()
    assert "哈希链已被破坏。" in html
    assert "锚定记录不符" in html and "但数据库中已无此记录" in html


def test_reasons_are_translated() -> None:
    assert explain("sequence gap: expected #4, found #6") == "序号不连续：应为 #4，实为 #6"
    assert explain("anchored at 2026-03-02T01:00:00 but missing from the database") == (
        "已于 2026-03-02T01:00:00 锚定，但数据库中已无此记录"
    )
    assert explain("something new") == "something new"
