"""A complaint carried to its end, as people do it: Chromium, driven by Playwright, on the live
server. The complainant files online; the clerk accepts it and assigns it to the housing
department (the authority list's proposal); two housing officers investigate (a record, evidence);
the housing officer drafts a decision and submits it; the section head signs 审核 and the
director 审批, each at their level; the officer issues and serves it; the complainant, with the
number and the code, downloads the decision.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect

from tenderwatch.audit.models import AuditEntry
from tenderwatch.complaints.integrations import letters_available
from tenderwatch.complaints.models import Matter, Status
from tenderwatch.complaints.testing import pdf_bytes
from tenderwatch.complaints.tests.conftest import china
from tenderwatch.ledger.testing import build_project
from tenderwatch.org.models import Role
from tenderwatch.org.testing import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _pdf(name: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": pdf_bytes(name)}


def _login(browser: Browser, base: str, username: str) -> Page:
    page = browser.new_page()
    page.goto(base + "/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.locator(".login-box").get_by_role("button", name="登录").click()
    expect(page.locator("h1")).to_be_visible()
    return page


def _submit(page: Page, action: str) -> None:
    page.locator(f"form[action$='{action}'] button[type=submit]").first.click()


def test_complaint_from_filing_to_the_decision_downloaded(
    page: Page, browser: Browser, live_server: Any, personas: Any, district: Any
) -> None:
    if not letters_available():
        pytest.fail("the letters app (tenderwatch.letters.services) is needed for the decision")
    housing = personas.dept("housing")
    make_user("housing_section", "何静", housing, [(Role.LEADER, housing, 1)])
    make_user("housing_director", "黄海", housing, [(Role.LEADER, housing, 3)])
    project = build_project(
        name="黄州区东湖片区老旧小区改造工程", industry="housing_municipal", lots=1, seed=11
    )
    base = live_server.url
    with time_machine.travel(china(2026, 6, 8, 9, 0), tick=True):
        # -- the complainant files online ----------------------------------------------------------
        page.goto(base + "/complaints/public/file/")
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
        url = f"{base}/complaints/{number}/"

        # -- the clerk accepts it and assigns it to the housing department -------------------------
        clerk = _login(browser, base, "office_clerk")
        clerk.goto(url)
        clerk.locator("form[action$='/accept/'] [name=note]").fill("材料齐全，依法受理。")
        _submit(clerk, "/accept/")
        expect(clerk.locator("#matter-status")).to_have_text("已受理")
        expect(clerk.locator("#routing-proposal")).to_contain_text("区住房和城乡建设局")
        clerk.locator("form[action$='/route/'] [name=routing]").select_option("assign")
        _submit(clerk, "/route/")
        expect(clerk.locator("#matter-status")).to_have_text("调查")
        expect(clerk.locator("#matter-routing")).to_contain_text("区住房和城乡建设局")
        clerk.close()

        # -- two housing officers investigate; the officer drafts the decision ---------------------
        officer = _login(browser, base, "housing_officer")
        officer.goto(url)
        form = officer.locator("form[action$='/officers/']")
        form.get_by_label("张伟").check()
        form.get_by_label("陈静").check()
        _submit(officer, "/officers/")
        expect(officer.locator("#officers")).to_contain_text("张伟")
        expect(officer.locator("#officers")).to_contain_text("陈静")
        form = officer.locator("form[action$='/inquiries/']")
        form.locator("[name=person]").fill("招标人代表 刘某")
        form.locator("[name=held_at]").fill("2026-06-08T09:00")
        form.locator("[name=text]").fill("问：是否核实项目经理在建情况？答：未核实。")
        _submit(officer, "/inquiries/")
        form = officer.locator("form[action$='/evidence/']")
        form.locator("[name=uploads]").set_input_files([_pdf("在建项目合同.pdf")])
        form.locator("[name=description]").fill("另一在建项目的施工合同")
        _submit(officer, "/evidence/")
        expect(officer.get_by_text("在建项目合同.pdf")).to_be_visible()
        _submit(officer, "/investigation/close/")
        expect(officer.locator("#matter-status")).to_have_text("处理")
        form = officer.locator("form[action$='/decision/']")
        form.locator("[name=outcome]").select_option("order_correct")
        form.locator("[name=facts]").fill("第一中标候选人拟派项目经理在其他在建项目任职。")
        form.locator("[name=decision_text]").fill("责令招标人组织原评标委员会重新评审。")
        _submit(officer, "/decision/")
        expect(officer.locator("#decision")).to_contain_text("责令改正")
        _submit(officer, "/decision/submit/")
        expect(officer.locator("#matter-status")).to_have_text("处理决定待审批")
        expect(officer.locator("#approval-state")).to_contain_text("2")

        # -- approval, each level by its own leader ------------------------------------------------
        for username in ("housing_section", "housing_director"):
            leader = _login(browser, base, username)
            leader.goto(url)
            form = leader.locator("form[action$='/decision/sign/']")
            form.locator("[name=decision]").select_option("approve")
            form.locator("[name=opinion]").fill("同意")
            _submit(leader, "/decision/sign/")
            leader.close()

        # -- issued and served ---------------------------------------------------------------------
        officer.goto(url)
        _submit(officer, "/decision/issue/")
        expect(officer.locator("#matter-status")).to_have_text("处理决定已作出，待送达")
        form = officer.locator("form[action$='/service/']")
        form.locator("[name=method]").select_option("in_person")
        form.locator("[name=served_on]").fill("2026-06-08")
        form.locator("[name=served_to]").fill("湖北鸿达建设工程有限公司 李红梅")
        form.locator("[name=proof_note]").fill("受送达人签收")
        _submit(officer, "/service/")
        expect(officer.locator("#matter-status")).to_have_text("处理决定已送达")
        officer.close()

        # -- the complainant, with the number and the code, downloads the decision -----------------
        other = browser.new_page()
        other.goto(base + "/complaints/public/track/")
        other.get_by_label("受理编号").fill(number)
        other.get_by_label("查询码").fill(code)
        other.get_by_role("button", name="查询").click()
        expect(other.locator("#public-stage")).to_contain_text("已办结")
        with other.expect_download() as download:
            other.locator("a[href*='/public/track/letters/']").last.click()
        assert download.value.suggested_filename.endswith(".docx")
        content = Path(download.value.path()).read_bytes()
        assert content[:2] == b"PK"
        other.close()

    matter = Matter.objects.get(number=number)
    assert matter.status == Status.SERVED
    assert matter.decision.letter_number
    assert AuditEntry.objects.filter(
        action="complaints.public.letter_downloaded", object_id=str(matter.pk)
    ).exists()
