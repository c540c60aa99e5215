"""Rendering: the context's Chinese text lands in the .docx, in a Chinese East Asian font."""

from __future__ import annotations

import io
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn

from tenderwatch.complaints import letters as complaint_letters
from tenderwatch.core.errors import NotFound
from tenderwatch.letters import registry, rendering, services
from tenderwatch.letters.tests.helpers import east_asia_fonts_of, texts

pytestmark = pytest.mark.django_db


def test_render_puts_the_chinese_text_into_the_document(test_kind: Any) -> None:
    rendered = services.render(
        kind=test_kind.code,
        context={
            "office_name": "黄州区公共资源交易监督管理局",
            "addressee": "湖北楚天建设有限公司",
            "body": "经审查，你单位的投诉符合受理条件。",
            "items": ["营业执照复印件", "异议答复"],
            "letter_number": "黄州公管测〔2026〕7号",
        },
    )
    lines = texts(rendered.content)
    assert "湖北楚天建设有限公司：" in lines
    assert "经审查，你单位的投诉符合受理条件。" in lines
    assert "1. 营业执照复印件" in lines and "2. 异议答复" in lines
    assert "黄州公管测〔2026〕7号" in lines
    assert not any("{{" in line or "{%" in line for line in lines)
    assert rendered.template_version == 0
    assert len(rendered.sha256) == 64
    # Body text in 仿宋 as the East Asian font; the title in 宋体.
    assert east_asia_fonts_of(rendered.content, "经审查") == {"仿宋"}
    assert east_asia_fonts_of(rendered.content, "测试通知书") == {"宋体"}


def test_document_defaults_name_chinese_fonts_and_fallbacks(test_kind: Any) -> None:
    content = services.render(kind=test_kind.code, context={"addressee": "甲"}).content
    document = docx.Document(io.BytesIO(content))
    normal = document.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert normal.get(qn("w:eastAsia")) == "仿宋"
    assert normal.get(qn("w:eastAsiaTheme")) is None  # a theme font would override it
    table = next(
        p for p in document.part.package.iter_parts() if p.partname == "/word/fontTable.xml"
    ).blob.decode()
    assert 'w:name="仿宋"' in table and 'w:val="Noto Serif CJK SC"' in table
    assert 'w:val="Noto Sans CJK SC"' in table


def test_values_are_escaped_not_markup(test_kind: Any) -> None:
    body = "A<B & C>D “引号” </w:t></w:r>"
    content = services.render(kind=test_kind.code, context={"body": body}).content
    assert body in texts(content)


def test_multi_line_values_keep_their_lines(test_kind: Any) -> None:
    content = services.render(kind=test_kind.code, context={"body": "第一行\n第二行"}).content
    document = docx.Document(io.BytesIO(content))
    xml = document.element.xml
    assert "第一行" in xml and "第二行" in xml and "<w:br/>" in xml


def test_unknown_kind_is_not_found() -> None:
    with pytest.raises(NotFound):
        services.render(kind="complaints.nothing", context={})


@pytest.mark.parametrize("kind", [k.code for k in complaint_letters.kinds()])
def test_each_complaint_kind_renders_its_sample_and_legal_basis(kind: str) -> None:
    letter_kind = registry.get(kind)
    rendering.validate(letter_kind, services.builtin_template(letter_kind))
    content = services.render(
        kind=kind, context={**letter_kind.sample, "letter_number": "黄州公管〔2026〕1号"}
    ).content
    joined = "\n".join(texts(content))
    assert "黄州公管〔2026〕1号" in joined
    assert "{{" not in joined and "{%" not in joined
    if kind != "complaints.handling_decision":
        assert letter_kind.sample["office_name"] in joined
    sample = letter_kind.sample
    expected = {
        "complaints.acceptance_notice": "《中华人民共和国招标投标法实施条例》第六十一条",
        "complaints.non_acceptance_notice": sample.get("grounds", [{}])[0].get("basis", ""),
        "complaints.supplement_request": "《工程建设项目招标投标活动投诉处理办法》第七条",
        "complaints.transfer_letter": sample.get("legal_basis", ""),
        "complaints.handling_decision": "第七十一条",
        "complaints.service_receipt": "《中华人民共和国民事诉讼法》",
    }[kind]
    assert expected and expected in joined


def test_the_handling_decision_lists_every_legal_basis() -> None:
    kind = registry.get("complaints.handling_decision")
    content = services.render(
        kind=kind.code,
        context={**kind.sample, "legal_basis": ["《甲法》第一条", "《乙条例》第二条"]},
    ).content
    lines = texts(content)
    assert "1. 《甲法》第一条" in lines and "2. 《乙条例》第二条" in lines
    assert east_asia_fonts_of(content, "《甲法》") == {"仿宋"}
