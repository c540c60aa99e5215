"""Fixtures for letters: the complaint kinds, a test kind of our own, and a subject."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tenderwatch.letters import registry
from tenderwatch.letters.docx_builder import OfficialDocument

TEST_KIND = "tests.notice"


def build_test_template() -> bytes:
    doc = OfficialDocument(core_title="测试通知书")
    doc.masthead()
    doc.number()
    doc.title("测试通知书")
    doc.addressee("{{ addressee }}：")
    doc.body("{{ body }}")
    doc.control("{%p for item in items %}")
    doc.body("{{ loop.index }}. {{ item }}")
    doc.control("{%p endfor %}")
    doc.signature()
    return doc.to_bytes()


TEST_FIELDS = ("office_name", "letter_number", "issued_on", "addressee", "body", "items")
TEST_SAMPLE = {
    "office_name": "黄州区公共资源交易监督管理局",
    "letter_number": "",
    "issued_on": "2026年6月8日",
    "addressee": "某某公司",
    "body": "正文内容。",
    "items": ["第一项", "第二项"],
}


def make_test_kind(**overrides: Any) -> registry.LetterKind:
    values: dict[str, Any] = {
        "code": TEST_KIND,
        "title": "测试通知书",
        "fields": TEST_FIELDS,
        "sample": TEST_SAMPLE,
        "number_prefix": "测",
        "default_template": build_test_template,
        "required": ("office_name", "letter_number", "addressee", "body"),
        "view_permission": "",
    }
    values.update(overrides)
    return registry.LetterKind(**values)


@pytest.fixture(autouse=True)
def complaint_kinds() -> None:
    from tenderwatch.complaints.letters import register_kinds

    register_kinds()


@pytest.fixture
def test_kind() -> Iterator[registry.LetterKind]:
    kind = registry.register(make_test_kind())
    yield kind
    registry.unregister(TEST_KIND)


@pytest.fixture
def subject(personas: Any) -> Any:
    """Any saved record will do as a letter's subject: a department."""
    return personas.dept("housing")


@pytest.fixture
def organ(settings: Any) -> str:
    settings.TW_LETTERS_ORGAN_CODE = "黄州公管"
    return "黄州公管"
