"""Locust users for the complaints window (run by loadtest/run.py; see docs/loadtest.md).

Filers use the real public form as a browser does: GET the form (session and CSRF cookies, the
signed submission token), sometimes search the project list, POST the filing (multipart, some
with a PDF), follow the redirect to the receipt and read the 受理编号 and the 查询码 from it.
Each outcome is appended to LOADTEST_RESULTS (JSON lines: token, number, code, or the error),
which run.py compares with the database afterwards.

Staff users log in with a demo account and read the home page, the matters list and a matter's
page while the filings come in.

Settings (environment): LOADTEST_FILINGS (how many filings in all, default 1000),
LOADTEST_RESULTS (the JSON lines file), LOADTEST_STAFF_USERS (how many of the users are staff,
default 5), LOADTEST_PASSWORD (the demo password).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import re
import time
from pathlib import Path
from typing import Any

import gevent
from locust import HttpUser, between, events, task
from locust.exception import StopUser

TARGET = int(os.environ.get("LOADTEST_FILINGS", "1000"))
RESULTS = os.environ.get("LOADTEST_RESULTS", "loadtest-results.jsonl")
STAFF_USERS = int(os.environ.get("LOADTEST_STAFF_USERS", "5"))
PASSWORD = os.environ.get("LOADTEST_PASSWORD", "tw-demo-2026")
STAFF_ACCOUNTS = (
    "office_clerk",
    "seconded_officer",
    "section_head",
    "principal_head",
    "housing_officer",
)

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TOKEN = re.compile(r'name="token" value="([^"]+)"')
NUMBER = re.compile(r'id="filing-number">([A-Z]{2}-\d{4}-\d{6})<')
CODE = re.compile(r'id="tracking-code">([0-9A-Z-]+)<')
MATTER_LINK = re.compile(r'href="(/complaints/[A-Z]{2}-\d{4}-\d{6}/)"')

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("志远", "红梅", "建国", "晓燕", "海涛", "丽娟", "文斌", "春华", "国强", "秀英")
COMPANIES = ("鸿达建设", "楚天路桥", "东坡园林", "赤壁水利", "黄冈华信", "鄂东市政", "江北安装")
PROJECTS = (
    "黄州区东湖片区老旧小区改造工程",
    "黄州区赤壁大道提档升级工程",
    "黄州区城东污水处理厂扩建项目",
    "黄州区第二中学教学楼建设项目",
    "黄州区人民医院医疗设备采购",
    "黄州区农村公路安全生命防护工程",
)
SUBJECTS = ("evaluation_result", "opening", "collusion", "fraud", "procedure", "other")
INDUSTRIES = ("housing_municipal", "transport", "water", "government_procurement", "")


class _State:
    """Shared by every user of this (single) locust process."""

    issued = 0  # filings begun
    done = 0  # filings answered (with a code or with an error)
    accounts = itertools.cycle(STAFF_ACCOUNTS)
    out: Any = None

    @classmethod
    def record(cls, row: dict[str, Any]) -> None:
        if cls.out is None:
            cls.out = Path(RESULTS).open("a", encoding="utf-8")  # noqa: SIM115 — closed at quit
        cls.out.write(json.dumps(row, ensure_ascii=False) + "\n")
        cls.out.flush()


@events.test_start.add_listener
def _watch(environment: Any, **_kwargs: Any) -> None:
    """Stop the run once every filing has been answered."""

    def watch() -> None:
        while _State.done < TARGET:
            gevent.sleep(0.2)
        gevent.sleep(1.0)  # let the staff users' requests in flight finish
        if environment.runner is not None:
            environment.runner.quit()

    gevent.spawn(watch)


@events.quitting.add_listener
def _close(**_kwargs: Any) -> None:
    if _State.out is not None:
        _State.out.close()
        _State.out = None


def _pdf(text: str) -> bytes:
    body = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n"
        b"3 0 obj<</Length " + str(len(body)).encode() + b">>stream\n" + body + b"\nendstream"
        b"\nendobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def _filing(rng: random.Random, n: int) -> dict[str, str]:
    """A plausible complaint (by a bidder) or tip-off (named or anonymous)."""
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    knew = today - dt.timedelta(days=rng.randint(2, 8))
    person = rng.choice(SURNAMES) + rng.choice(GIVEN)
    data = {
        "project_text": f"{rng.choice(PROJECTS)}（第{rng.randint(1, 9)}标段）",
        "industry": rng.choice(INDUSTRIES),
        "subject": rng.choice(SUBJECTS),
        "respondent_name": f"{rng.choice(COMPANIES)}工程有限公司",
        "knew_on": knew.isoformat(),
        "facts": f"压力测试第{n}件：{person}反映评标过程中存在倾向性打分，请予核查。",
        "requests": "请求依法调查处理。",
    }
    if rng.random() < 0.5:
        company = rng.choice(COMPANIES)
        data.update(
            kind="complaint",
            filer_kind="entity",
            name=f"湖北{company}工程有限公司",
            id_number=f"91421100MA49{rng.randint(10000, 99999)}X",
            contact_person=person,
            phone=f"0713-86{rng.randint(10000, 99999)}",
            filer_role="bidder",
            objection_on=(knew + dt.timedelta(days=1)).isoformat(),
            objection_reply_on=(knew + dt.timedelta(days=2)).isoformat(),
            declaration="on",
        )
    elif rng.random() < 0.5:
        data.update(kind="tip_off", filer_kind="anonymous")
    else:
        data.update(
            kind="tip_off",
            filer_kind="person",
            name=person,
            phone=f"138{rng.randint(10000000, 99999999)}",
        )
    return data


class Filer(HttpUser):
    """Files complaints and tip-offs through the public form, one after another."""

    weight = 1
    wait_time = between(0.1, 0.5)

    def on_start(self) -> None:
        self.rng = random.Random()

    @task
    def file(self) -> None:
        if _State.issued >= TARGET:
            raise StopUser
        _State.issued += 1
        n = _State.issued
        row: dict[str, Any] = {"n": n}
        try:
            self._file(n, row)
        except Exception as exc:  # recorded and counted: any error fails the run
            row.setdefault("error", f"{type(exc).__name__}: {exc}")
        finally:
            _State.done += 1
            row["t"] = time.time()
            _State.record(row)

    def _file(self, n: int, row: dict[str, Any]) -> None:
        page = self.client.get("/complaints/public/file/", name="GET public form")
        if page.status_code != 200:
            row["error"] = f"form: HTTP {page.status_code}"
            return
        csrf, token = CSRF.search(page.text), TOKEN.search(page.text)
        if not (csrf and token):
            row["error"] = "form: no CSRF or submission token"
            return
        row["token"] = token.group(1)
        if self.rng.random() < 0.3:
            self.client.get(
                "/complaints/public/projects/",
                params={"q": "黄州"},
                name="GET project search",
                headers={"HX-Request": "true"},
            )
        data = {**_filing(self.rng, n), "token": token.group(1)}
        data["csrfmiddlewaretoken"] = csrf.group(1)
        files = None
        if self.rng.random() < 0.3:
            files = {"evidence": (f"评标报告{n}.pdf", _pdf(f"load {n}"), "application/pdf")}
        else:  # still multipart, as the browser sends the form
            files = {"evidence": ("", b"", "application/octet-stream")}
        row["kind"] = data["kind"]
        with self.client.post(
            "/complaints/public/file/",
            data=data,
            files=files,
            name="POST filing",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 302 or not answer.headers.get("Location", "").endswith(
                "/complaints/public/receipt/"
            ):
                message = f"filing: HTTP {answer.status_code}"
                answer.failure(message)
                row["error"] = message
                return
        receipt = self.client.get("/complaints/public/receipt/", name="GET receipt")
        number, code = NUMBER.search(receipt.text), CODE.search(receipt.text)
        if receipt.status_code != 200 or not (number and code):
            row["error"] = f"receipt: HTTP {receipt.status_code}, number or code missing"
            return
        row["number"], row["code"] = number.group(1), code.group(1)


class Staff(HttpUser):
    """Office staff reading their pages while the filings come in."""

    fixed_count = STAFF_USERS
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.account = next(_State.accounts)
        page = self.client.get("/login/", name="GET login")
        csrf = CSRF.search(page.text)
        with self.client.post(
            "/login/",
            data={
                "username": self.account,
                "password": PASSWORD,
                "csrfmiddlewaretoken": csrf.group(1) if csrf else "",
            },
            name="POST login",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 302:
                answer.failure(f"login of {self.account}: HTTP {answer.status_code}")
        self.matters: list[str] = []

    @task(2)
    def home(self) -> None:
        self._read("/", "GET staff home")

    @task(3)
    def matters_list(self) -> None:
        page = self._read("/complaints/", "GET matters list")
        if page is not None:
            self.matters = MATTER_LINK.findall(page.text) or self.matters

    @task(3)
    def matter_page(self) -> None:
        if self.matters:
            self._read(random.choice(self.matters), "GET matter page")

    def _read(self, path: str, name: str) -> Any:
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as page:
            if page.status_code != 200:
                page.failure(f"{self.account}: HTTP {page.status_code}")
                return None
            return page
