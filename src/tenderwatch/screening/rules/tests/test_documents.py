"""Tender documents against the model (TD-01) and qualification grades against the lot's size
(TD-14.2)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tenderwatch.screening.rules import registry
from tenderwatch.screening.rules.documents import (
    check_td01,
    check_td14q,
    compare,
    default_table,
    model_for,
    parse_table,
)
from tenderwatch.screening.rules.state import ModelDocument
from tenderwatch.screening.rules.testing import ev, lot, make_state

MODEL = """{项目名称}施工招标文件
第一章 招标公告
1. 招标条件：本项目{项目名称}已由{审批机关}批准，招标人为{招标人}。
2.1 建设地点：{建设地点}。
2.4 技术标准和要求：执行国家现行规范和标准，可以选用性能相当或更优的同类产品。
3.1 投标人须具有独立法人资格，具备有效的营业执照。
3.2 投标人须具备【资质类别】【资质等级】及以上资质。
7.3 评标委员会按得分由高到低推荐不超过3名中标候选人，并标明排序。
"""

CLEAN = """黄州区赤壁路改造工程施工招标文件
第一章 招标公告
1. 招标条件：本项目黄州区赤壁路改造工程已由黄州发改审批〔2026〕12号批准，招标人为黄冈市黄州区交通运输局。
2.1 建设地点：黄冈市黄州区城区。
2.4 技术标准和要求：执行国家现行规范和标准，可以选用性能相当或更优的同类产品。
3.1 投标人须具有独立法人资格，具备有效的营业执照。
3.2  投标人须具备市政公用工程施工总承包三级及以上资质。
7.3 评标委员会按得分由高到低推荐不超过3名中标候选人，并标明排序。
"""  # noqa: E501

WORKS_MODEL = ModelDocument(1, "黄州区房建市政施工招标文件示范文本", MODEL, category="works")


def with_documents(text: str, models=(WORKS_MODEL,), **kwargs):
    return make_state(
        ev("tender_documents_issued", "2026-03-02", sha="SHA"),
        documents={"SHA": text},
        models=models,
        **kwargs,
    )


def test_td01_a_document_that_follows_the_model_passes() -> None:
    """招标投标法实施条例 第十五条第三款: the standard text, its blanks filled in, passes."""
    state = with_documents(CLEAN)
    assert registry.RULES["TD-01"].applies(state)
    assert compare(MODEL, CLEAN) == []
    assert check_td01(state, {"max_listed": 10}) == []


def test_td01_changed_added_and_removed_clauses() -> None:
    """招标投标法实施条例 第十五条第三款: a modified clause (a named brand in 2.4), an added one
    (3.5, local registration) and a removed one (7.3) are each listed with their wording."""
    text = (
        CLEAN.replace(
            "可以选用性能相当或更优的同类产品", "主要设备须采用“东方牌”品牌产品，不接受其他品牌"
        )
        .replace("7.3 评标委员会按得分由高到低推荐不超过3名中标候选人，并标明排序。\n", "")
        .replace(
            "3.2  投标人",
            "3.5 投标人须在黄州区注册。\n3.2 投标人",
        )
    )
    [finding] = check_td01(with_documents(text), {"max_listed": 10})
    changes = {c["number"]: c for c in finding.data["changes"]}
    assert {n: c["kind"] for n, c in changes.items()} == {
        "2.4": "changed",
        "3.5": "added",
        "7.3": "removed",
    }
    assert "{+主要设备须采用“东方牌”品牌产品，不接受其他品牌+}" in changes["2.4"]["diff"]
    assert finding.explanation.startswith(
        "招标文件与示范文本《黄州区房建市政施工招标文件示范文本》相比有3处条款不同："
        "第2.4条被修改、第3.5条为新增、第7.3条被删除"
    )
    assert "（《招标投标法实施条例》第十五条第三款）" in finding.explanation
    assert finding.facts[0].ref == "model:1"
    assert finding.facts[1].ref == "document:SHA"


def test_td01_the_most_specific_model_is_used() -> None:
    """招标投标法实施条例 第十五条第三款: the model for the category beats a general one; a
    model for another category does not apply."""
    general = ModelDocument(2, "通用示范文本", "1. 招标条件：{全部}\n9. 其他\n")
    goods = ModelDocument(3, "货物示范文本", "1. 其他\n", category="goods")
    assert model_for(with_documents(CLEAN, models=(general, WORKS_MODEL, goods))) is WORKS_MODEL
    assert model_for(with_documents(CLEAN, models=(goods,))) is None
    assert check_td01(with_documents(CLEAN, models=(goods,)), {"max_listed": 10}) == []


def requiring(grade: str, estimate: str, kind: str = "市政公用工程施工总承包"):
    return make_state(
        lots=[lot(1, estimate=estimate, requirements=[{"type": kind, "grade": grade}])]
    )


def test_td14q_grade_above_what_the_size_needs() -> None:
    """招标投标法实施条例 第三十二条第二款第（二）项: by the default table, a works lot of up to
    10,000,000 yuan may require at most 三级; 二级 fires there and not above it."""
    params = registry.RULES["TD-14.2"].defaults()
    assert check_td14q(requiring("三级及以上", "10000000"), params) == []
    [finding] = check_td14q(requiring("二级及以上", "10000000"), params)
    assert "要求市政公用工程施工总承包二级资质" in finding.explanation
    assert "最高只宜要求三级" in finding.explanation
    assert check_td14q(requiring("二级及以上", "10000000.01"), params) == []
    assert len(check_td14q(requiring("一级", "10000000.01"), params)) == 1
    assert check_td14q(requiring("甲级", "1500000", kind="工程监理综合资质"), params)
    assert check_td14q(requiring("特级", "900000000"), params) == []


def test_td14q_the_office_table() -> None:
    """招标投标法实施条例 第三十二条第二款第（二）项: the office's own table replaces the default;
    a bad table is refused in Chinese."""
    table = "施工总承包 | 20000000 | 三级\n施工总承包 |  | 一级"
    assert parse_table(table)[1].up_to is None
    params = {"table": table}
    assert len(check_td14q(requiring("二级", "15000000"), params)) == 1
    assert check_td14q(requiring("二级", "25000000"), params) == []
    assert parse_table("") == default_table()
    with pytest.raises(ValueError, match="第2行"):
        parse_table("施工总承包 | 1000 | 三级\n施工总承包 | 1000 | 四级")
    spec = registry.RULES["TD-14.2"]
    with pytest.raises(ValueError):
        spec.params["table"].validate("坏表")  # type: ignore[misc]
    assert spec.certainty == "U"
    assert all(r.up_to is None or r.up_to > Decimal(0) for r in default_table())
