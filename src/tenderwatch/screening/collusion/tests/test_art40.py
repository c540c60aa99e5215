"""招标投标法实施条例 第四十条, item by item, on hand-made lots independent of the generator: each
check fires on its fact, and a near miss — the closest thing that is not that fact — does not."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from typing import Any

import polars as pl
import pytest

from tenderwatch.screening.collusion import api, evidence, similarity
from tenderwatch.screening.collusion.testing import bid, lot, make

FINGERPRINT_NONE = {
    "client_ip": None,
}


def _findings(frames: Any, **kwargs: Any) -> list[Any]:
    return [f for f in api.run(frames, **kwargs).findings if f.rule_id.startswith("BO-08")]


def _three_bidders(**extra: dict[str, Any]) -> list[dict[str, Any]]:
    """Three bids with honest prices; `extra[bidder]` adds fields to that bidder's bid."""
    prices = {1: 1_002_345.67, 2: 1_031_872.11, 3: 1_049_980.05}
    return [bid(1, bidder=b, price=prices[b], **extra.get(str(b), {})) for b in (1, 2, 3)]


@pytest.mark.parametrize(
    ("column", "item", "shared", "near_miss"),
    [
        # (一) the same author / the same file
        ("file_author", 1, "张晓明", "张晓鸣"),
        ("file_hash", 1, "9f" * 32, "9f" * 31 + "9e"),
        # (二) the same machine, network address, CA key, contact telephone
        ("client_ip", 2, "60.113.93.211", "60.113.93.212"),
        ("mac_address", 2, "2B-20-E6-F6-25-C7", "2B-20-E6-F6-25-C8"),
        ("hardware_id", 2, "BFEBFBFFA513982F", "BFEBFBFFA513982E"),
        ("file_machine", 2, "DESKTOP-2E097A6", "DESKTOP-2E097A7"),
        ("ca_key_id", 2, "鄂CA709120376883", "鄂CA709120376884"),
        ("contact_phone", 2, "13907130001", "13907130002"),
        # (三) the same project manager (by certificate or identity hash)
        ("manager", 3, "鄂142180000370", "鄂142180000371"),
        # (六) the same paying account
        ("security_account", 6, "1524849723573239149", "1524849723573239148"),
    ],
)
def test_a_shared_fingerprint_fires_and_a_near_miss_does_not(
    column: str, item: int, shared: str, near_miss: str
) -> None:
    fired = make([lot(1)], _three_bidders(**{"1": {column: shared}, "3": {column: shared}}))
    found = _findings(fired)
    assert [f.rule_id for f in found] == [f"BO-08({item})"]
    finding = found[0]
    assert finding.legal_basis[0].law == "《招标投标法实施条例》"
    assert finding.legal_basis[0].article == f"第四十条第（{'一二三四五六'[item - 1]}）项"
    assert set(finding.entity_ids) == {1, 3}
    assert finding.data["table"]["columns"] == ["投标人1建设有限公司", "投标人3建设有限公司"]
    assert finding.data["table"]["rows"][0]["values"] == [shared, shared]
    assert shared in finding.explanation or column == "manager"
    assert {f.ref for f in finding.facts if f.ref} == {"bid:L1-B01", "bid:L1-B03"}

    missed = make([lot(1)], _three_bidders(**{"1": {column: shared}, "3": {column: near_miss}}))
    assert _findings(missed) == []


def test_the_same_bidder_twice_is_not_two_bidders() -> None:
    frames = make(
        [lot(1)],
        [
            bid(1, bidder=1, price=100_000.0, client_ip="60.1.1.1", status="withdrawn"),
            bid(1, bidder=1, price=101_000.0, client_ip="60.1.1.1"),
            bid(1, bidder=2, price=103_517.0, client_ip="60.1.1.2"),
        ],
    )
    assert _findings(frames) == []


def test_the_same_software_or_contact_name_alone_is_no_evidence() -> None:
    same = {"file_software": "新点投标文件制作软件 V10.2", "contact_name": "王伟"}
    frames = make([lot(1)], _three_bidders(**{"1": same, "2": same}))
    assert _findings(frames) == []


def test_fields_shared_by_the_same_bidders_make_one_finding_per_item() -> None:
    computer = {"mac_address": "AA-BB-CC-DD-EE-01", "hardware_id": "HW1", "file_machine": "PC-1"}
    frames = make([lot(1)], _three_bidders(**{"1": computer, "2": computer}))
    (finding,) = _findings(frames)
    assert finding.rule_id == "BO-08(2)"
    assert sorted(finding.data["fields"]) == ["file_machine", "hardware_id", "mac_address"]
    assert len(finding.data["table"]["rows"]) == 3


# -- 第（四）项: prices ---------------------------------------------------------------------------


def _priced(prices: list[float]) -> Any:
    return make([lot(1)], [bid(1, bidder=i + 1, price=p) for i, p in enumerate(prices)])


def _kinds(frames: Any) -> list[str]:
    return sorted(evidence.collect(frames.bids, frames.lots)["kind"].to_list())


def test_identical_prices_fire_and_a_cent_apart_does_not() -> None:
    assert _kinds(_priced([1_234_567.89, 1_234_567.89, 1_300_000.17])) == ["identical_price"]
    assert _kinds(_priced([1_234_567.89, 1_234_567.90, 1_300_000.17])) == []
    (finding,) = _findings(_priced([1_234_567.89, 1_234_567.89, 1_300_000.17]))
    assert finding.rule_id == "BO-08(4)" and "1234567.89" in finding.explanation


def test_equal_round_steps_fire_and_unequal_ones_do_not() -> None:
    # Three bids 5,000 yuan apart among honest ones (the pattern need not be adjacent).
    prices = [1_880_000.00, 1_883_517.23, 1_885_000.00, 1_890_000.00, 1_912_345.67]
    assert _kinds(_priced(prices)) == ["price_steps"]
    (finding,) = _findings(_priced(prices))
    assert "5,000.00" in finding.explanation
    assert {f.ref for f in finding.facts if f.ref} == {"bid:L1-B01", "bid:L1-B03", "bid:L1-B04"}
    assert _kinds(_priced([1_880_000.00, 1_885_000.00, 1_890_000.01, 1_912_345.67])) == []


def test_an_unround_step_needs_four_bids() -> None:
    three = [1_000_000.00, 1_012_345.67, 1_024_691.34]
    assert _kinds(_priced(three)) == []
    assert _kinds(_priced([*three, 1_037_037.01])) == ["price_steps"]


def test_equal_ratios_fire_and_a_broken_ratio_does_not() -> None:
    base = 2_345_678.00
    prices = [base, round(base * 1.008, 2), round(base * 1.008**2, 2), 2_500_000.33]
    assert _kinds(_priced(prices)) == ["price_ratios"]
    (finding,) = _findings(_priced(prices))
    assert "1.008" in finding.explanation
    broken = [base, round(base * 1.008, 2), round(base * 1.008**2, 2) + 0.05, 2_500_000.33]
    assert _kinds(_priced(broken)) == []


def test_fixed_multiples_of_the_lowest_bid_fire_and_a_near_miss_does_not() -> None:
    assert _kinds(_priced([2_000_000.00, 2_040_000.00, 2_100_000.00, 2_087_654.32])) == [
        "multiples"
    ]
    assert _kinds(_priced([2_000_000.00, 2_040_017.00, 2_100_000.00, 2_087_654.32])) == []


# -- 第（四）、（五）项: documents ---------------------------------------------------------------

BOILERPLATE = (
    "投标函：根据贵方招标文件，我方愿意以上述报价承担本工程施工，工期满足要求，质量达到合格标准。"
    "我方承诺在投标有效期内不修改、撤销投标文件，中标后按规定提交履约担保。"
)


def _document(bidder: int, body: str) -> str:
    return f"{BOILERPLATE}\n投标人：投标人{bidder}建设有限公司\n{body}"


PLAN = {
    1: "施工组织设计：本工程采用分段流水施工，基础阶段投入挖掘机两台，主体阶段设置塔吊一台，"
    "模板采用木模板周转使用，混凝土由商品砼站供应，雨季施工设置排水沟并覆盖防雨布。",
    2: "施工方案：项目部下设工程技术、质量安全、物资设备三个职能部门，钢筋在现场加工棚集中制作，"
    "脚手架采用扣件式钢管双排架，冬季施工采取综合蓄热法养护，夜间施工办理许可并控制噪声。",
    3: "技术标：拟投入施工机械以自有设备为主，测量放线使用全站仪复核，隐蔽工程验收留存影像资料，"
    "安全文明施工执行标准化工地要求，扬尘治理落实六个百分之百措施。",
}


def _docs(texts: dict[int, str], lot_number: int = 1) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "bid": [lot_number * 100 + b for b in texts],
            "lot": [lot_number] * len(texts),
            "bidder": list(texts),
            "tenderer": [900] * len(texts),
            "text": list(texts.values()),
        },
        schema=similarity.DOCUMENT_SCHEMA,
    )


def _doc_frames() -> Any:
    return make([lot(1)], _three_bidders())


def test_near_duplicate_documents_fire_and_ordinary_ones_do_not() -> None:
    copied = PLAN[1].replace("两台", "二台")  # bidder 3 copied bidder 1's plan, one word changed
    docs = _docs({1: _document(1, PLAN[1]), 2: _document(2, PLAN[2]), 3: _document(3, copied)})
    found = _findings(_doc_frames(), documents=docs)
    assert [(f.rule_id, f.data["kind"]) for f in found] == [("BO-08(4)", "near_duplicate")]
    assert set(found[0].entity_ids) == {1, 3}
    ordinary = _docs({b: _document(b, PLAN[b]) for b in (1, 2, 3)})
    assert _findings(_doc_frames(), documents=ordinary) == []


def _corpus(extra: dict[int, str]) -> tuple[Any, pl.DataFrame]:
    """Lot 1's three bids and nine other lots' documents: enough for "rare" to mean something."""
    lots = [lot(1)] + [lot(n, tenderer=900 + n) for n in range(2, 11)]
    bids = _three_bidders()
    texts = {1: _document(1, PLAN[1]), 2: _document(2, PLAN[2]), 3: _document(3, PLAN[3])}
    texts.update(extra)
    frames = [_docs(texts)]
    for n in range(2, 11):
        bids.append(bid(n, bidder=100 + n, price=1_000_000.0 + n * 7_919.13))
        frames.append(_docs({100 + n: _document(100 + n, PLAN[1 + n % 3])}, lot_number=n))
    return make(lots, bids), pl.concat(frames)


ODD = "本工程拟派驻场技术员每日填写《施工日志薄》并于次周一报送监理复合。"  # two typing errors


def test_shared_rare_passages_fire_and_a_common_one_does_not() -> None:
    frames, docs = _corpus({2: _document(2, PLAN[2] + ODD), 3: _document(3, PLAN[3] + ODD)})
    found = [f for f in _findings(frames, documents=docs) if f.data.get("kind") == "rare_passages"]
    assert len(found) == 1 and set(found[0].entity_ids) == {2, 3}
    assert "施工日志薄" in found[0].explanation
    # The same passage in another lot's document too: not rare, so no evidence.
    frames, docs = _corpus({2: _document(2, PLAN[2] + ODD), 3: _document(3, PLAN[3] + ODD)})
    docs = docs.with_columns(
        pl.when(pl.col("lot") == 5)
        .then(pl.col("text") + ODD)
        .otherwise(pl.col("text"))
        .alias("text")
    )
    assert [
        f for f in _findings(frames, documents=docs) if f.data.get("kind") == "rare_passages"
    ] == []


def test_a_document_naming_another_bidder_is_mixed_and_naming_itself_is_not() -> None:
    names = {
        1: ("投标人1建设有限公司", "E1"),
        2: ("投标人2建设有限公司", "E2"),
        3: ("投标人3建设有限公司", "E3"),
    }
    mixed = _docs(
        {
            1: _document(1, PLAN[1]),
            2: _document(2, PLAN[2] + "附件：投标人3建设有限公司营业执照副本"),
            3: _document(3, PLAN[3]),
        }
    )
    found = _findings(_doc_frames(), documents=mixed, names=names)
    assert [(f.rule_id, f.data["kind"]) for f in found] == [("BO-08(5)", "mixed_documents")]
    assert "投标人3建设有限公司" in found[0].explanation
    own = _docs({b: _document(b, PLAN[b]) for b in (1, 2, 3)})  # each names only itself
    assert _findings(_doc_frames(), documents=own, names=names) == []


# -- related lots ---------------------------------------------------------------------------------


def test_the_same_ip_in_two_lots_of_one_tenderer_within_the_window() -> None:
    lots = [
        lot(1),
        lot(2, days=40),
        lot(3, days=400),
        lot(4, days=45, tenderer=901, tenderer_ref="T901"),
    ]
    bids = [
        bid(1, bidder=1, price=1_000_000.0, client_ip="60.1.1.1"),
        bid(1, bidder=2, price=1_030_517.0, client_ip="60.1.1.2"),
        bid(2, bidder=3, price=2_000_000.0, client_ip="60.1.1.1"),  # 40 days later: related
        bid(2, bidder=4, price=2_061_034.0, client_ip="60.1.1.4"),
        bid(3, bidder=5, price=3_000_000.0, client_ip="60.1.1.1"),  # 400 days: outside
        bid(3, bidder=6, price=3_091_551.0, client_ip="60.1.1.6"),
        bid(4, bidder=7, price=4_000_000.0, client_ip="60.1.1.1"),  # another tenderer
        bid(4, bidder=8, price=4_122_068.0, client_ip="60.1.1.8"),
    ]
    frames = make(lots, bids)
    found = _findings(frames)
    assert [(f.lot_id, f.rule_id, f.data["scope"], set(f.entity_ids)) for f in found] == [
        (2, "BO-08(2)", "related", {1, 3})
    ]
    assert found[0].severity == "medium"
    # Screening lot 2 alone, with lot 1 as its context, finds the same.
    context, targets = frames.only([1, 3, 4]), frames.only([2])
    again = [f for f in api.run(targets, context).findings if f.rule_id.startswith("BO-08")]
    assert [(f.lot_id, f.key) for f in again] == [(2, found[0].key)]


def _related_by_loop(frames: Any, params: evidence.Params) -> set[tuple[Any, ...]]:
    """related_fingerprints' definition as plain loops: for each field, pairs of bids of
    different bidders in different lots of one tenderer within the window, sharing the value,
    reported on the later lot — unless both bidders already share that value inside a lot."""
    at = {
        r["lot"]: r["bid_deadline"] or r["registered_at"] for r in frames.lots.iter_rows(named=True)
    }
    tenderer = {r["lot"]: r["tenderer"] for r in frames.lots.iter_rows(named=True)}
    window = dt.timedelta(days=params.window_days)
    found: dict[tuple[Any, ...], set[tuple[int, int, int]]] = {}
    for field in params.fields:
        rows = [
            (tenderer[r["lot"]], r["lot"], r["bid"], r["bidder"], r[field])
            for r in frames.bids.iter_rows(named=True)
            if r[field] is not None and tenderer[r["lot"]] is not None
        ]
        groups: dict[tuple[Any, Any], list[Any]] = {}
        for row in rows:
            groups.setdefault((row[0], row[4]), []).append(row)
        candidates = {
            key
            for key, members in groups.items()
            if len({m[3] for m in members}) >= 2 and len({m[1] for m in members}) >= 2
        }
        in_lot: dict[tuple[Any, int], set[int]] = {}
        for t, lot_id, _bid, bidder, value in rows:
            if (t, value) in candidates:
                in_lot.setdefault((value, lot_id), set()).add(bidder)
        inside = {(v, b) for (v, _lot), bs in in_lot.items() if len(bs) >= 2 for b in bs}
        for (_t, value), members in groups.items():
            for r, o in itertools.permutations(members, 2):
                later = at[r[1]] > at[o[1]] or (at[r[1]] == at[o[1]] and r[1] > o[1])
                if (
                    r[1] != o[1]
                    and r[3] != o[3]
                    and abs(at[r[1]] - at[o[1]]) <= window
                    and later
                    and not ((value, r[3]) in inside and (value, o[3]) in inside)
                ):
                    found.setdefault((r[1], field, value), set()).update(
                        {(r[2], r[3], r[1]), (o[2], o[3], o[1])}
                    )
    return {
        (
            lot_id,
            field,
            value,
            tuple(sorted({b for b, _, _ in members})),
            tuple(sorted({b for _, b, _ in members})),
            tuple(sorted({lot for _, _, lot in members})),
        )
        for (lot_id, field, value), members in found.items()
    }


def test_related_lots_are_what_a_plain_loop_finds() -> None:
    rng = random.Random(5)
    lots = [
        lot(n, days=rng.randrange(0, 500), tenderer=rng.choice([900, 901, 902]))
        for n in range(1, 41)
    ]
    bids = [
        bid(
            n,
            bidder=rng.randrange(1, 15),
            price=float(rng.randrange(1_000_000, 2_000_000)),
            client_ip=rng.choice([None, "60.1.1.1", "60.1.1.2", "60.1.1.3", "10.0.0.9"]),
            ca_key_id=rng.choice([None, "鄂CA01", "鄂CA02", f"鄂CA{n:03d}"]),
        )
        for n in range(1, 41)
        for _ in range(rng.randrange(2, 6))
    ]
    frames = make(lots, bids)
    params = evidence.Params()
    got = {
        (r["lot"], r["field"], r["value"], tuple(r["bids"]), tuple(r["bidders"]), tuple(r["lots"]))
        for r in evidence.related_fingerprints(frames.bids, frames.lots, params)
        .collect()
        .iter_rows(named=True)
    }
    expected = _related_by_loop(frames, params)
    assert got == expected
    assert len(expected) > 10
    assert {field for _, field, *_ in expected} == {"client_ip", "ca_key_id"}
