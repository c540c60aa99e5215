"""The shell around every page: navigation by role, language, error pages, local assets."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from tenderwatch.core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from tenderwatch.core.middleware import DomainErrorMiddleware
from tenderwatch.web import nav


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _nav_hrefs(html: str) -> list[str]:
    block = html.split('<nav class="mainnav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'href="([^"]+)"', block)


@pytest.mark.parametrize(
    ("username", "sees_trail"),
    [
        ("office_clerk", True),
        ("auditor", True),
        ("admin", True),
        ("housing_officer", False),
        ("enforcement_officer", False),
        ("section_head", False),
        ("discipline_liaison", False),
    ],
)
def test_nav_shows_the_audit_trail_only_to_roles_allowed(
    personas: Any, username: str, sees_trail: bool
) -> None:
    hrefs = _nav_hrefs(_client(getattr(personas, username)).get("/").content.decode())
    assert "/" in hrefs
    assert ("/audit/" in hrefs) is sees_trail


def test_nav_entries_follow_the_permissions_registry(personas: Any) -> None:
    from tenderwatch.org.scoping import can

    for username in ("office_clerk", "housing_officer", "admin"):
        user = getattr(personas, username)
        hrefs = _nav_hrefs(_client(user).get("/").content.decode())
        for item in nav._ITEMS:
            assert (reverse(item.url_name) in hrefs) is can(user, item.permission), (
                username,
                item.url_name,
            )


def test_admin_site_is_in_the_nav_of_administrators_only(personas: Any) -> None:
    assert "/admin/" in _nav_hrefs(_client(personas.admin).get("/").content.decode())
    assert "/admin/" not in _nav_hrefs(_client(personas.office_clerk).get("/").content.decode())


def test_current_page_is_marked_in_the_nav(personas: Any) -> None:
    html = _client(personas.auditor).get("/audit/").content.decode()
    assert '<a href="/audit/" aria-current="page">' in html


def test_language_switch_to_english_and_back(personas: Any) -> None:
    client = _client(personas.office_clerk)
    assert "<h1>办公室工作台</h1>" in client.get("/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "<h1>Office workbench</h1>" in html
    assert "Log out" in html
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "<h1>办公室工作台</h1>" in client.get("/").content.decode()


def test_browser_language_does_not_override_the_default(personas: Any) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    client.force_login(personas.office_clerk)
    assert "<h1>办公室工作台</h1>" in client.get("/").content.decode()


def test_unknown_page_gives_the_chinese_404(personas: Any) -> None:
    response = _client(personas.office_clerk).get("/no-such-page/")
    assert response.status_code == 404
    assert "<h1>页面不存在</h1>" in response.content.decode()


def test_each_section_base_address_leads_somewhere(personas: Any) -> None:
    """An officer who types /ledger/ or /screening/ lands on the section, not on a 404."""
    client = _client(personas.office_clerk)
    for prefix in ("/ledger/", "/screening/", "/complaints/", "/approvals/", "/letters/", "/org/"):
        response = client.get(prefix, follow=True)
        assert response.status_code == 200, prefix
        assert response.redirect_chain == [] or response.redirect_chain[-1][0].startswith(prefix)


def _raising(exc: Exception) -> HttpResponse:
    request = RequestFactory().get("/somewhere/")
    request.user = AnonymousUser()
    response = DomainErrorMiddleware(lambda r: HttpResponse())(request)
    assert response.status_code == 200
    out = DomainErrorMiddleware(lambda r: HttpResponse()).process_exception(request, exc)
    assert out is not None
    return out


def test_domain_error_is_shown_with_its_message_and_status(db: Any) -> None:
    response = _raising(InvalidTransition("该投诉已经受理，不能再次受理。"))
    assert response.status_code == 409
    html = response.content.decode()
    assert "<h1>操作未能完成</h1>" in html
    assert "该投诉已经受理，不能再次受理。" in html
    assert _raising(DomainError("金额必须大于零。")).status_code == 400


def test_not_found_and_permission_denied_get_their_pages(db: Any) -> None:
    response = _raising(NotFound())
    assert response.status_code == 404
    assert "<h1>页面不存在</h1>" in response.content.decode()
    response = _raising(PermissionDenied("只有办公室可以分办投诉。"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>无权访问</h1>" in html and "只有办公室可以分办投诉。" in html


def test_domain_error_under_the_api_is_json(db: Any) -> None:
    request = RequestFactory().get("/api/v1/projects")
    response = DomainErrorMiddleware(lambda r: HttpResponse()).process_exception(
        request, NotFound()
    )
    assert response is not None and response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"detail": "未找到。", "code": "not_found"}


def test_other_exceptions_are_left_to_django(db: Any) -> None:
    request = RequestFactory().get("/x/")
    assert (
        DomainErrorMiddleware(lambda r: HttpResponse()).process_exception(
            request, ValueError("boom")
        )
        is None
    )


def test_server_error_page_is_chinese_and_standalone() -> None:
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "<h1>系统错误</h1>" in html
    assert "/static/web/tenderwatch.css" in html


def test_pages_load_only_local_assets(personas: Any) -> None:
    pages = [Client().get("/login/"), _client(personas.office_clerk).get("/")]
    for response in pages:
        html = response.content.decode()
        refs = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert refs
        for ref in refs:
            assert not re.match(r"^(https?:)?//", ref), ref
        assert "/static/web/vendor/htmx.min.js" in html
        assert "/static/web/tenderwatch.css" in html


def test_static_assets_are_shipped_with_the_app() -> None:
    from django.contrib.staticfiles import finders

    for name in ("web/tenderwatch.css", "web/vendor/htmx.min.js", "web/vendor/htmx.LICENSE.txt"):
        assert finders.find(name), name
    css = Path(finders.find("web/tenderwatch.css")).read_text()  # type: ignore[arg-type]
    assert "@import" not in css and "url(http" not in css and "@font-face" not in css


def test_session_setting_is_the_idle_timeout() -> None:
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.AXES_LOCKOUT_TEMPLATE == "web/locked_out.html"
