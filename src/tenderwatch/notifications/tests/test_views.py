"""The inbox and the unread badge, through Django's client."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.test import Client
from django.utils import timezone

from tenderwatch.notifications import services
from tenderwatch.notifications.models import Notification


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _note(user: Any, title: str, *, link: str = "", minutes_ago: int = 0) -> Notification:
    services.notify(
        event="test.event",
        title=title,
        body=f"{title}的正文",
        link=link,
        users=[user],
        channels=("app",),
    )
    note = Notification.objects.filter(recipient=user).latest("pk")
    Notification.objects.filter(pk=note.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )
    return note


def _badge(html: str) -> str | None:
    nav = html.split('<nav class="mainnav"', 1)[1].split("</nav>", 1)[0]
    item = re.search(r'<li class="nav-notifications"><a href="/notifications/"[^>]*>(.*?)</a>', nav)
    assert item, "the navigation has no notifications entry"
    count = re.search(r'<span class="badge badge-bad notifications-badge">(\d+)</span>', item[1])
    return count[1] if count else None


def test_the_badge_counts_the_users_own_unread_notifications(personas: Any) -> None:
    housing, transport = personas.housing_officer, personas.transport_officer
    client = _client(housing)
    assert _badge(client.get("/").content.decode()) is None
    _note(housing, "投诉已受理")
    second = _note(housing, "补正材料已收到")
    _note(transport, "不是你的")
    html = client.get("/").content.decode()
    assert _badge(html) == "2"
    assert 'aria-label="通知，2 条未读"' in html
    services.mark_read(notification=second, actor=housing)
    assert _badge(client.get("/ledger/projects/").content.decode()) == "1"  # any other page
    assert _badge(_client(transport).get("/").content.decode()) == "1"


def test_inbox_shows_own_notifications_newest_first_unread_highlighted(personas: Any) -> None:
    housing = personas.housing_officer
    old = _note(housing, "较早的通知", minutes_ago=30)
    _note(housing, "最新的通知", link="/complaints/")
    _note(personas.transport_officer, "别人的通知")
    services.mark_read(notification=old, actor=housing)

    response = _client(housing).get("/notifications/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>通知</h1>" in html
    assert "1 条未读通知。" in html
    assert "别人的通知" not in html
    assert html.index("最新的通知") < html.index("较早的通知")
    items = re.findall(r'<li class="notification( unread)?" id="notification-(\d+)">', html)
    assert [unread for unread, _pk in items] == [" unread", ""]
    assert "全部标为已读" in html and "标为已读" in html


def test_inbox_is_paginated(personas: Any) -> None:
    housing = personas.housing_officer
    for i in range(23):
        _note(housing, f"通知 {i:02d}", minutes_ago=100 - i)
    client = _client(housing)
    first = client.get("/notifications/").content.decode()
    assert "通知 22" in first and "通知 03" in first and "通知 02" not in first
    assert "1 / 2" in first
    second = client.get("/notifications/?page=2").content.decode()
    assert "通知 02" in second and "通知 00" in second and "通知 03" not in second


def test_mark_one_and_all_read_by_post(personas: Any) -> None:
    housing = personas.housing_officer
    client = _client(housing)
    one = _note(housing, "第一条")
    _note(housing, "第二条")
    _note(housing, "第三条")

    assert client.get(f"/notifications/{one.pk}/read/").status_code == 405
    response = client.post(f"/notifications/{one.pk}/read/", {"next": "/notifications/?page=1"})
    assert response.status_code == 302 and response["Location"] == "/notifications/?page=1"
    one.refresh_from_db()
    assert one.read_at is not None

    response = client.post("/notifications/read-all/", {"next": "https://evil.example/"})
    assert response["Location"] == "/notifications/"  # never to another site
    assert Notification.objects.filter(recipient=housing, read_at__isnull=True).count() == 0
    page = client.get("/notifications/").content.decode()
    assert "2 条通知已标为已读。" in page


def test_open_marks_read_and_follows_the_link(personas: Any) -> None:
    housing = personas.housing_officer
    note = _note(housing, "去看看", link="/complaints/")
    response = _client(housing).post(f"/notifications/{note.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/complaints/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_another_users_notification_is_not_found(personas: Any) -> None:
    theirs = _note(personas.housing_officer, "住建的通知")
    client = _client(personas.transport_officer)
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert client.post(f"/notifications/{theirs.pk}/open/").status_code == 404
    assert client.post("/notifications/999999/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.post("/notifications/read-all/")
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_csrf_is_required(personas: Any) -> None:
    housing = personas.housing_officer
    note = _note(housing, "需要令牌")
    client = Client(enforce_csrf_checks=True)
    client.force_login(housing)
    assert client.post(f"/notifications/{note.pk}/read/").status_code == 403
    note.refresh_from_db()
    assert note.read_at is None


def test_anonymous_is_sent_to_log_in(db: Any) -> None:
    response = Client().get("/notifications/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_home_page_lists_the_latest_unread(personas: Any) -> None:
    housing = personas.housing_officer
    client = _client(housing)
    assert "未读通知" not in client.get("/").content.decode()
    for i in range(6):
        _note(housing, f"待办提醒 {i}", minutes_ago=10 - i)
    html = client.get("/").content.decode()
    panel = html.split('<section class="panel notifications-panel"', 1)[1].split("</section>")[0]
    assert "<h2" in panel and "未读通知" in panel
    assert [int(n) for n in re.findall(r"待办提醒 (\d)", panel)] == [5, 4, 3, 2, 1]
    assert "查看全部未读通知" in panel
