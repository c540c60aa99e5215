"""The inbox as an officer uses it: Chromium, driven by Playwright, against the live server."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tenderwatch.notifications import services
from tenderwatch.notifications.models import Notification
from tenderwatch.org.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.locator(".login-box").get_by_role("button", name="登录").click()


def test_officer_sees_the_badge_and_marks_a_notification_read(
    page: Page, live_server: Any, personas: Any
) -> None:
    officer = personas.housing_officer
    services.notify(
        event="complaints.assigned",
        title="新分办投诉 TS-2026-0007",
        body="请在 1 个工作日内决定是否受理。",
        link="/complaints/",
        users=[officer],
        channels=("app",),
    )
    services.notify(
        event="complaints.overdue",
        title="投诉 TS-2026-0003 即将超期",
        body="办结期限为 2026-12-02。",
        users=[officer, personas.transport_officer],
        channels=("app",),
    )
    _log_in(page, live_server.url, "housing_officer")
    expect(page.get_by_role("heading", level=1)).to_have_text("部门工作台")

    nav = page.get_by_role("navigation", name="主导航")
    badge = nav.locator(".notifications-badge")
    expect(badge).to_have_text("2")
    nav.get_by_role("link", name="通知，2 条未读").click()

    expect(page).to_have_url(live_server.url + "/notifications/")
    expect(page.get_by_role("heading", level=1)).to_have_text("通知")
    expect(page.locator(".notification.unread")).to_have_count(2)
    overdue = page.locator(".notification", has_text="投诉 TS-2026-0003 即将超期")
    overdue.get_by_role("button", name="标为已读").click()

    expect(page).to_have_url(live_server.url + "/notifications/")
    expect(badge).to_have_text("1")
    expect(page.locator(".notification.unread")).to_have_count(1)
    expect(overdue).not_to_have_class("notification unread")
    expect(overdue).to_contain_text("已于")
    mine = Notification.objects.get(recipient=officer, event="complaints.overdue")
    assert mine.read_at is not None
    theirs = Notification.objects.get(recipient=personas.transport_officer)
    assert theirs.read_at is None

    # "Open" marks the other read and goes where it points; the badge disappears.
    page.locator(".notification", has_text="新分办投诉").get_by_role("button", name="查看").click()
    expect(page).to_have_url(live_server.url + "/complaints/")
    expect(nav.locator(".notifications-badge")).to_have_count(0)
    expect(nav.get_by_role("link", name="通知", exact=True)).to_be_visible()
