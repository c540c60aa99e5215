"""A complaint as people make and handle it: Chromium, driven by Playwright, on the live server.

The complainant files online with an attachment and gets a number, a code and a receipt; the
clerk sees it on the home page with its countdown and accepts it; the complainant, with the
number and the code, sees "已受理". Time is set to Monday 8 June 2026, 09:00 China time (and
runs on from there), so the countdown is the calendar's, not the day the suite happens to run.
"""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect

from tenderwatch.complaints.models import Matter, Status
from tenderwatch.complaints.testing import pdf_bytes
from tenderwatch.complaints.tests.conftest import china
from tenderwatch.ledger.testing import build_project
from tenderwatch.org.testing import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _pdf(name: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": pdf_bytes(name)}


def test_complaint_filed_online_accepted_and_tracked(
    page: Page, browser: Browser, live_server: Any, personas: Any, district: Any
) -> None:
    project = build_project(
        name="黄州区东湖片区老旧小区改造工程", industry="housing_municipal", lots=1, seed=11
    )
    base = live_server.url
    with time_machine.travel(china(2026, 6, 8, 9, 0), tick=True):
        # -- the complainant, without an account ------------------------------------------------
        page.goto(base + "/complaints/public/")
        page.get_by_role("link", name="网上提交").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("提交投诉举报")
        page.check("input[name=kind][value=complaint]")
        page.check("input[name=filer_kind][value=entity]")
        page.get_by_label("姓名或单位名称").fill("湖北鸿达建设工程有限公司")
        page.get_by_label("居民身份证号码或统一社会信用代码").fill("91421100MA4910XK3C")
        page.get_by_label("联系人（单位填写）").fill("李红梅")
        page.get_by_label("电话", exact=True).fill("0713-8661234")
        page.get_by_label("地址", exact=True).fill("湖北省黄冈市黄州区赤壁大道66号")
        page.select_option("#id_filer_role", "bidder")
        page.get_by_label("被投诉（被举报）人名称").fill("黄冈市黄州区城市建设投资有限公司")
        page.get_by_label("被投诉人地址").fill("湖北省黄冈市黄州区西湖二路8号")
        # The project is found in the ledger as one types (htmx).
        page.get_by_label("在交易项目台账中检索项目（编号或名称）").fill("东湖片区")
        choice = page.locator(f"input[name=project_choice][value='p:{project.pk}']")
        expect(choice).to_be_visible()
        choice.check()
        page.select_option("#id_subject", "evaluation_result")
        page.fill("#id_knew_on", "2026-06-03")
        page.fill("#id_objection_on", "2026-06-03")
        page.fill("#id_objection_reply_on", "2026-06-05")
        page.locator("#id_facts").fill("第一中标候选人拟派项目经理同时在其他在建项目任职。")
        page.locator("#id_requests").fill("请求责令招标人重新评标。")
        page.set_input_files("#id_evidence", [_pdf("评标报告.pdf")])
        page.set_input_files("#id_objection_file", [_pdf("异议书及答复.pdf")])
        page.set_input_files("#id_signed_letter", [_pdf("投诉书（盖章）.pdf")])
        page.check("#id_declaration")
        page.get_by_role("button", name="提交").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("回执")
        number = page.locator("#filing-number").inner_text()
        code = page.locator("#tracking-code").inner_text()
        assert number == "TS-2026-000001" and len(code) == 14
        expect(page.get_by_text("2026-06-09 24:00").first).to_be_visible()
        with page.expect_download() as download:
            page.get_by_role("link", name="下载回执").click()
        assert download.value.suggested_filename == f"receipt-{number}.html"
        matter = Matter.objects.get(number=number)
        assert matter.attachments.count() == 3 and matter.project == project

        # -- the clerk -----------------------------------------------------------------------------
        clerk = browser.new_page()
        clerk.goto(base + "/login/")
        clerk.get_by_label("用户名").fill("office_clerk")
        clerk.get_by_label("密码").fill(PASSWORD)
        clerk.locator(".login-box").get_by_role("button", name="登录").click()
        expect(clerk.get_by_role("heading", level=1)).to_have_text("办公室工作台")
        queue = clerk.locator("section[aria-labelledby=intake-h]")
        row = queue.locator("tr", has_text=number)
        expect(row).to_contain_text("剩余 1 个工作日")
        row.get_by_role("link", name=number).click()
        expect(clerk.locator("#matter-status")).to_have_text("已收件，正在审查")
        expect(clerk.locator("table.deadlines")).to_contain_text("CP-03")
        accept = clerk.locator("form[action$='/accept/']")
        accept.get_by_label("备注").fill("材料齐全，依法受理。")
        accept.get_by_role("button", name="受理").click()
        expect(clerk.locator("#matter-status")).to_have_text("已受理")
        clerk.close()

        # -- the complainant again, from another browser, with the number and the code ------------
        other = browser.new_page()
        other.goto(base + "/complaints/public/track/")
        other.get_by_label("受理编号").fill(number)
        other.get_by_label("查询码").fill(code)
        other.get_by_role("button", name="查询").click()
        expect(other.locator("#public-stage")).to_have_text("已受理")
        expect(other.get_by_text(f"{number} 受理通知")).to_be_visible()
        other.close()

    matter.refresh_from_db()
    assert matter.status == Status.ACCEPTED
