"""The shell as a person uses it: Chromium, driven by Playwright, against the live server."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from playwright.sync_api import Page, expect

from tenderwatch.audit import services as audit
from tenderwatch.org.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(base + "/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.locator(".login-box").get_by_role("button", name="登录").click()


def test_office_clerk_logs_in_through_the_form(page: Page, live_server: Any, personas: Any) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    _log_in(page, live_server.url, "office_clerk")
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("办公室工作台")
    expect(page.locator(".who-name")).to_have_text("王晓明")
    assert requested and all(url.startswith(live_server.url) for url in requested), requested

    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(live_server.url + "/login/")
    expect(page.get_by_text("您已安全退出。")).to_be_visible()


def test_login_page_loads_nothing_from_outside(page: Page, live_server: Any, db: Any) -> None:
    requested: list[tuple[str, int]] = []
    page.on("response", lambda response: requested.append((response.url, response.status)))
    page.goto(live_server.url + "/login/")
    page.wait_for_load_state("networkidle")
    urls = [url for url, _status in requested]
    assert any(url.endswith("/static/web/tenderwatch.css") for url in urls)
    assert any(url.endswith("/static/web/vendor/htmx.min.js") for url in urls)
    for url, status in requested:
        assert url.startswith(live_server.url), url
        assert status == 200, (url, status)
    # Styled by the local sheet: the log-in box has its white card on the blue band.
    background = page.locator(".login-box").evaluate("el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(255, 255, 255)"
    assert page.evaluate("() => typeof window.htmx") == "object"


def test_wrong_password_shows_the_chinese_error(
    page: Page, live_server: Any, personas: Any
) -> None:
    _log_in(page, live_server.url, "office_clerk", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误（区分大小写）")
    expect(page).to_have_url(live_server.url + "/login/")


def test_switch_to_english(page: Page, live_server: Any, personas: Any) -> None:
    page.goto(live_server.url + "/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.get_by_label("User name").fill("office_clerk")
    page.get_by_label("Password").fill(PASSWORD)
    page.locator(".login-box").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Office workbench")
    page.get_by_role("button", name="简体中文").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("办公室工作台")


def test_auditor_filters_the_audit_trail(page: Page, live_server: Any, personas: Any) -> None:
    water, housing = personas.dept("water"), personas.dept("housing")
    with transaction.atomic():
        audit.record(
            actor=personas.office_clerk,
            action="org.department.changed",
            obj=water,
            before={"short_name": "水利"},
            after={"short_name": "水利和湖泊"},
        )
        audit.record(actor=personas.admin, action="org.department.changed", obj=housing)
        audit.record(actor=personas.admin, action="workdays.schedule.entered")

    _log_in(page, live_server.url, "auditor")
    expect(page.get_by_role("heading", level=1)).to_have_text("审计工作台")
    page.locator(".mainnav").get_by_role("link", name="审计日志").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("审计日志")

    page.get_by_label("操作人").fill("王晓明")
    page.get_by_label("操作", exact=True).fill("org.department.*")
    page.get_by_role("button", name="筛选").click()
    rows = page.locator("table.audit-trail tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("office_clerk")
    expect(rows.first).to_contain_text("区水利和湖泊局")

    rows.first.get_by_role("link", name="#1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("审计记录 #1")
    changed = page.locator("table.diff tr.changed")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text("水利和湖泊")

    page.goto(live_server.url + "/audit/")
    page.get_by_role("button", name="立即校验哈希链").first.click()
    expect(page.get_by_text("校验通过：哈希链完整。")).to_be_visible()


def test_demo_projects_and_bidders_open_in_the_browser(page: Page, live_server: Any) -> None:
    """`tenderwatch demo` fills the ledger; a department officer opens one of its projects, reads
    the timeline, and follows a bidder to the market entity's page."""
    import io

    from django.core.management import call_command

    from tenderwatch.generator.model import SOURCE
    from tenderwatch.ledger.models import Project

    call_command("demo", "--no-serve", stdout=io.StringIO(), stderr=io.StringIO())
    _log_in(page, live_server.url, "housing_officer")
    expect(page.get_by_role("heading", level=1)).to_have_text("部门工作台")

    page.goto(live_server.url + "/ledger/projects/")
    rows = page.locator("table.projects tbody tr")
    expect(rows.first).to_be_visible()
    link = rows.first.locator("a").first
    code = link.inner_text()
    project = Project.objects.get(code=code)
    assert project.source == SOURCE
    link.click()

    expect(page.get_by_role("heading", level=1)).to_have_text(project.name)
    timeline = page.locator("section.timeline table.events tbody tr")
    expect(timeline).to_have_count(project.events.count())
    assert project.events.count() >= 3
    bid_links = page.locator("table.bids tbody tr a[href*='/ledger/entities/']")
    expect(bid_links.first).to_be_visible()
    bidder = bid_links.first.inner_text()
    bid_links.first.click()

    expect(page.get_by_role("heading", level=1)).to_have_text(bidder)
    assert int(page.locator('[data-count="bids"]').inner_text()) >= 1
    expect(page.locator("section.entity-bids")).to_contain_text(project.code)
