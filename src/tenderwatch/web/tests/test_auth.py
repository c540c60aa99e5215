"""Log-in, log-out, lock-out and the idle timeout, through Django's test client."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from tenderwatch.audit import services as audit
from tenderwatch.audit.models import AuditEntry
from tenderwatch.org.testing import PASSWORD


def _login(client: Client, username: str, password: str = PASSWORD) -> Any:
    return client.post("/login/", {"username": username, "password": password})


def _actions() -> list[tuple[str, str, str]]:
    return list(
        AuditEntry.objects.filter(action__startswith="auth.")
        .order_by("seq")
        .values_list("action", "actor_name", "note")
    )


def test_login_page_is_in_chinese_by_default(db: Any) -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/login/")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert "<h1>登录</h1>" in html
    assert "用户名" in html and "密码" in html
    assert "连续输错密码 5 次，账户将被锁定 30 分钟。" in html


def test_anonymous_user_is_sent_to_the_login_page(db: Any) -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_login_lands_on_the_home_page_and_is_audited(personas: Any) -> None:
    client = Client()
    response = _login(client, "office_clerk")
    assert response.status_code == 302 and response["Location"] == "/"
    home = client.get("/")
    assert "<h1>办公室工作台</h1>" in home.content.decode()
    entry = AuditEntry.objects.get(action="auth.login")
    assert entry.actor_id == personas.office_clerk.pk
    assert entry.actor_name == "office_clerk"
    assert (entry.object_type, entry.object_id) == ("org.user", str(personas.office_clerk.pk))
    assert entry.channel == "web" and entry.client_ip == "127.0.0.1"
    assert audit.verify().ok


def test_login_follows_next_but_not_to_another_site(personas: Any) -> None:
    client = Client()
    response = client.post(
        "/login/", {"username": "auditor", "password": PASSWORD, "next": "/audit/"}
    )
    assert response["Location"] == "/audit/"
    client = Client()
    response = client.post(
        "/login/",
        {"username": "auditor", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_wrong_password_shows_the_chinese_error_and_is_audited(personas: Any) -> None:
    response = _login(Client(), "office_clerk", "wrong-password")
    html = response.content.decode()
    assert response.status_code == 200
    assert "用户名或密码错误（区分大小写）。连续失败 5 次，账户将被锁定 30 分钟。" in html
    (entry,) = AuditEntry.objects.filter(action="auth.login_failed")
    assert entry.actor is None and entry.actor_name == "system:web"
    assert entry.note == "username tried: office_clerk"
    assert (entry.object_type, entry.object_id) == ("org.user", str(personas.office_clerk.pk))
    assert "wrong-password" not in str(entry.before) + str(entry.after) + entry.note


def test_unknown_user_name_is_audited_without_an_object(db: Any) -> None:
    _login(Client(), "nobody", "whatever")
    entry = AuditEntry.objects.get(action="auth.login_failed")
    assert entry.note == "username tried: nobody"
    assert entry.object_type == "" and entry.object_id == ""


def test_five_wrong_passwords_lock_the_account(personas: Any) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _login(client, "housing_officer", "wrong")
        assert response.status_code == 200
        assert "账户已锁定" not in response.content.decode()
    response = _login(client, "housing_officer", "wrong")
    html = response.content.decode()
    assert response.status_code == 429
    assert "<h1>账户已锁定</h1>" in html
    # The fifth failure locks the account (axes decides while handling the failure, so the
    # lock-out is written just before the failed attempt that caused it).
    assert [a for a, _n, _note in _actions()][-2:] == ["auth.locked_out", "auth.login_failed"]
    assert "密码已连续输错 5 次" in html
    assert "请在 30 分钟后重试。" in html
    assert "系统管理员" in html  # whom to call

    # Locked: even the right password is refused now (and recorded), and nobody is logged in.
    response = _login(client, "housing_officer")
    assert response.status_code == 429
    assert client.get("/").status_code == 302

    actions = [a for a, _n, _note in _actions()]
    assert actions.count("auth.login_failed") == settings.AXES_FAILURE_LIMIT + 1
    assert "auth.login" not in actions
    assert actions.count("auth.locked_out") == 2  # the lock-out, and the attempt it refused
    locked = AuditEntry.objects.filter(action="auth.locked_out").first()
    assert locked is not None
    assert locked.note == "username: housing_officer; address: 127.0.0.1"
    assert locked.object_id == str(personas.housing_officer.pk)
    assert audit.verify().ok


def test_lock_out_is_per_account(personas: Any) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "housing_officer", "wrong")
    assert _login(client, "transport_officer").status_code == 302


def test_helpdesk_is_named_on_the_lock_out_page(personas: Any, settings: Any) -> None:
    settings.TW_HELPDESK = "信息科 0713-8888 0000"
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = _login(client, "auditor", "wrong")
    assert "信息科 0713-8888 0000" in response.content.decode()


def test_logout_is_post_only_and_audited(personas: Any) -> None:
    client = Client()
    _login(client, "auditor")
    assert client.get("/logout/").status_code == 405
    assert client.get("/").status_code == 200  # still logged in
    response = client.post("/logout/", follow=True)
    html = response.content.decode()
    assert response.redirect_chain[0] == ("/login/", 302)
    assert "您已安全退出。" in html
    assert client.get("/").status_code == 302
    assert [a for a, _n, _note in _actions()] == ["auth.login", "auth.logout"]
    assert AuditEntry.objects.get(action="auth.logout").actor_id == personas.auditor.pk


def test_an_expired_session_is_refused(personas: Any) -> None:
    client = Client()
    _login(client, "office_clerk")
    assert client.get("/").status_code == 200
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.get("/", follow=True)
    html = response.content.decode()
    assert response.redirect_chain == [("/login/?next=/", 302)]
    assert "您已超过 30 分钟未操作，登录已失效，请重新登录。" in html


def test_idle_timeout_counts_from_the_last_request(personas: Any) -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    client = Client()
    with time_machine.travel(start, tick=False) as clock:
        _login(client, "office_clerk")
        clock.shift(dt.timedelta(minutes=25))
        assert client.get("/").status_code == 200  # renews the session
        clock.shift(dt.timedelta(minutes=25))  # 50 minutes after log-in, 25 idle
        assert client.get("/").status_code == 200
        clock.shift(dt.timedelta(minutes=31))  # 31 idle
        assert client.get("/").status_code == 302


def test_footer_tells_the_idle_timeout(personas: Any) -> None:
    client = Client()
    client.force_login(personas.office_clerk)
    html = client.get("/").content.decode()
    assert "为保障安全，超过 30 分钟未操作将自动退出登录。" in html


@pytest.mark.parametrize("next_url", ["/audit/", "/workdays/"])
def test_logged_in_user_visiting_login_goes_on(personas: Any, next_url: str) -> None:
    client = Client()
    client.force_login(personas.office_clerk)
    response = client.get(f"/login/?next={next_url}")
    assert response.status_code == 302 and response["Location"] == next_url
