"""The office's pages: list the years, see a year, enter next year's notice with a preview."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tenderwatch.audit.models import AuditEntry
from tenderwatch.web import nav
from tenderwatch.workdays import calendar, deadlines
from tenderwatch.workdays.models import HolidaySchedule, ScheduleRevision

D = dt.date
CHINA = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.django_db

# Invented test data, in the line form a clerk types (not the real 2027 notice).
LINES_2027 = """\
# 测试数据（虚构）
2027-01-01..2027-01-03 元旦
2027-02-05..2027-02-12 春节
2027-01-31 上班 春节
2027-02-20 上班 春节
2027-10-01..2027-10-07 国庆节
"""


@pytest.fixture(autouse=True)
def _frozen() -> object:
    with time_machine.travel(dt.datetime(2026, 11, 28, 9, 0, tzinfo=CHINA), tick=False) as t:
        yield t


def _post(client, url: str, **overrides: str):
    data = {
        "year": "2027",
        "notice_title": "测试用：2027年部分节假日安排（虚构）",
        "notice_ref": "",
        "published_on": "2026-11-05",
        "source_url": "",
        "days": LINES_2027,
        "reason": "",
        "digest": "",
        "action": "preview",
    }
    data.update(overrides)
    return client.post(url, data)


def _digest(html: str) -> str:
    """The previewed content's fingerprint in the hidden field ("" when there is none)."""
    m = re.search(r'<input type="hidden" name="digest"(?: value="([0-9a-f]*)")?', html)
    assert m, "no digest field"
    return m[1] or ""


def test_any_staff_role_sees_the_calendar_in_chinese(client, personas) -> None:
    client.force_login(personas.housing_officer)
    page = client.get(reverse("workdays:list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "工作日历" in html
    assert "国办发明电〔2025〕7号" in html
    assert "尚未录入2027年的节假日安排" in html  # the coverage warning
    assert reverse("workdays:enter") not in html  # no link to enter for a department officer
    detail = client.get(reverse("workdays:detail", args=[2025]))
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "2025-10-11" in text and "调休上班" in text and "中秋节" in text
    assert client.get(reverse("workdays:detail", args=[2031])).status_code == 404


def test_nav_item_is_shown_to_staff() -> None:
    entry = next(i for i in nav._ITEMS if i.url_name == "workdays:list")
    assert entry.permission == "workdays.view"
    assert str(entry.label) == "工作日历"


def test_anonymous_users_are_sent_to_log_in(client, settings) -> None:
    settings.LOGIN_URL = "/accounts/login/"  # the login page itself comes from the web shell
    page = client.get(reverse("workdays:list"))
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/login/")


def test_a_housing_officer_cannot_open_or_post_the_entry_form(client, personas) -> None:
    client.force_login(personas.housing_officer)
    assert client.get(reverse("workdays:enter")).status_code == 403
    assert _post(client, reverse("workdays:enter"), action="save").status_code == 403
    assert client.get(reverse("workdays:replace", args=[2026])).status_code == 403
    assert not HolidaySchedule.objects.filter(year=2027).exists()


def test_office_clerk_previews_then_saves_next_years_notice(
    client, personas, django_capture_on_commit_callbacks
) -> None:
    client.force_login(personas.office_clerk)
    form = client.get(reverse("workdays:enter"))
    assert form.status_code == 200
    assert "国务院办公厅关于2027年部分节假日安排的通知" in form.content.decode()  # prefilled

    preview = _post(client, reverse("workdays:enter"))
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "预览" in html and "放假18天，调休上班2天" in html
    assert "2027-02-20" in html
    assert not HolidaySchedule.objects.filter(year=2027).exists()  # a preview writes nothing
    digest = _digest(html)
    assert digest

    # Changing the text after the preview does not save: it shows a new preview instead.
    changed = _post(
        client,
        reverse("workdays:enter"),
        action="save",
        digest=digest,
        days=LINES_2027 + "2027-04-05 清明节\n",
    )
    assert changed.status_code == 200
    assert not HolidaySchedule.objects.filter(year=2027).exists()

    calls: list[set[int]] = []

    def recompute(years: set[int]) -> int:
        calls.append(years)
        return 0

    with (
        deadlines.recompute_registered(recompute, name="test.view"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        saved = _post(client, reverse("workdays:enter"), action="save", digest=digest)
    assert saved.status_code == 302
    assert saved["Location"] == reverse("workdays:detail", args=[2027]) + "?saved=1"
    schedule = HolidaySchedule.objects.get(year=2027)
    assert schedule.entered_by == personas.office_clerk
    assert calls == [{2026, 2027}]
    assert calendar.add_workdays(D(2026, 12, 30), 3) == D(2027, 1, 5)
    page = client.get(saved["Location"])
    assert "已保存为第1版" in page.content.decode()


def test_problems_are_listed_line_by_line_and_nothing_is_saved(client, personas) -> None:
    client.force_login(personas.office_clerk)
    bad = "2027-01-01..2027-01-03 元旦\n2027-02-08 上班 春节\n2027-13-01 春节\n2027-10-01\n"
    page = _post(client, reverse("workdays:enter"), days=bad, published_on="2027-01-05")
    html = page.content.decode()
    assert "第2行：2027-02-08（周一） 是工作日；调休上班日只能是周六或周日" in html
    assert "第3行：“2027-13-01”不是有效日期" in html
    assert "第4行：请写明节日名称" in html
    assert "发布日期：通知的发布日期不能晚于今天" in html
    assert 'value="save"' not in html  # no save button while there are problems
    assert _digest(html) == ""
    forced = _post(client, reverse("workdays:enter"), days=bad, action="save")
    assert forced.status_code == 200
    assert not HolidaySchedule.objects.filter(year=2027).exists()


def test_replacing_a_year_shows_the_changes_and_keeps_the_old_version(
    client, personas, django_capture_on_commit_callbacks
) -> None:
    client.force_login(personas.seconded_officer)  # a seconded officer acts as office staff
    url = reverse("workdays:replace", args=[2026])
    form = client.get(url).content.decode()
    assert "2026-02-15..2026-02-23 春节" in form  # prefilled from the stored schedule
    assert "2026-02-28 上班 春节" in form

    schedule = HolidaySchedule.objects.get(year=2026)
    lines = calendar_lines_2026().replace("2026-10-10 上班 国庆节\n", "")
    common = {
        "year": "2026",
        "notice_title": schedule.notice_title,
        "notice_ref": schedule.notice_ref,
        "published_on": "2025-11-04",
        "days": lines,
    }
    preview = _post(client, url, **common)
    html = preview.content.decode()
    assert "原因：2026年的安排已存在：请说明更正或替换的原因" in html
    preview = _post(client, url, **common, reason="测试：撤销10月10日调休（虚构）")
    html = preview.content.decode()
    assert "对2026年安排（第1版）的改动" in html
    assert "2026-10-10" in html
    stale = _digest(html)
    # Meanwhile a colleague saves another version: the preview is stale and must be redone.
    from tenderwatch.workdays import services

    with django_capture_on_commit_callbacks(execute=True):
        services.schedule_replace(
            year=2026,
            days=list(schedule.days.values_list("date", "kind", "name")),
            notice_title=schedule.notice_title,
            notice_ref=schedule.notice_ref,
            published_on=schedule.published_on,
            actor=personas.office_clerk,
            reason="测试：补录来源网址（虚构）",
            source_url="https://www.gov.cn/",
        )
    again = _post(
        client, url, **common, reason="测试：撤销10月10日调休（虚构）", action="save", digest=stale
    )
    assert again.status_code == 200  # not saved: a new preview against version 2
    html = again.content.decode()
    assert "对2026年安排（第2版）的改动" in html
    with django_capture_on_commit_callbacks(execute=True):
        saved = _post(
            client,
            url,
            **common,
            reason="测试：撤销10月10日调休（虚构）",
            action="save",
            digest=_digest(html),
        )
    assert saved.status_code == 302
    assert not calendar.is_workday(D(2026, 10, 10))
    assert HolidaySchedule.objects.get(year=2026).version == 3
    revision = ScheduleRevision.objects.get(year=2026, version=2)
    assert ["2026-10-10", "adjusted_workday", "国庆节"] in revision.days
    assert ScheduleRevision.objects.get(year=2026, version=1).notice["source"] == "builtin"
    assert AuditEntry.objects.filter(action="workdays.schedule.replaced").count() == 2
    detail = client.get(reverse("workdays:detail", args=[2026])).content.decode()
    assert "历史版本" in detail and "测试：撤销10月10日调休（虚构）" in detail


def test_the_year_cannot_be_changed_when_replacing(client, personas) -> None:
    client.force_login(personas.office_clerk)
    url = reverse("workdays:replace", args=[2026])
    page = _post(client, url, year="2027", reason="x")
    # The year field is fixed to 2026: the 2027 lines fall outside it.
    assert "不属于2026年的安排" in page.content.decode()


def calendar_lines_2026() -> str:
    from tenderwatch.workdays.schedule_input import to_lines

    schedule = HolidaySchedule.objects.get(year=2026)
    return to_lines(list(schedule.days.values_list("date", "kind", "name"))) + "\n"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_office_clerk_enters_a_schedule_in_the_browser(live_server, page, personas) -> None:
    page.goto(f"{live_server.url}{reverse('login')}")
    page.fill("input[name=username]", "office_clerk")
    page.fill("input[name=password]", "tw-demo-2026")
    page.locator(".login-box button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}{reverse('workdays:enter')}")
    page.fill("textarea[name=days]", LINES_2027)
    page.fill("input[name=published_on]", "2026-11-05")
    page.click("button[value=preview]")
    page.click("button[value=save]")
    page.wait_for_url("**?saved=1")
    assert HolidaySchedule.objects.filter(year=2027).exists()
