"""cardinal-rs's red flags: its own fixtures give the same flags and the same values, and the
three flags it lacks (R022, R023, R044) and the share warning behave on hand-made processes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from tenderwatch.screening.collusion import cardinal
from tenderwatch.screening.collusion.quantiles import quantile

FIXTURES = (
    "R003",
    "R003-procurement_method_details-x-5-y-10",
    "R003-procurement_methods-open+selective",
    "R003-threshold-10",
    "R018",
    "R024",
    "R025",
    "R028",
    "R030",
    "R035",
    "R036",
    "R038",
    "R038-tenderer",
    "R048-minimum_contracting_processes-1",
    "R058",
)


def _folder(shared_data: Path) -> Path:
    return shared_data / "cardinal-fixtures" / "indicators"


def test_the_fixture_folder_holds_the_fifteen_pairs(shared_data: Path) -> None:
    folder = _folder(shared_data)
    assert sorted(p.stem for p in folder.glob("*.jsonl")) == sorted(FIXTURES)
    assert sorted(p.stem for p in folder.glob("*.expected")) == sorted(FIXTURES)


@pytest.mark.parametrize("name", FIXTURES)
def test_cardinal_fixture(shared_data: Path, name: str) -> None:
    folder = _folder(shared_data)
    settings = cardinal.Settings.from_fixture_name(name)
    got = cardinal.compute(cardinal.read_jsonl(folder / f"{name}.jsonl"), settings).as_dict()
    expected = json.loads((folder / f"{name}.expected").read_text() or "{}")
    assert got == expected


def test_settings_from_a_fixture_name() -> None:
    s = cardinal.Settings.from_fixture_name("R003-procurement_method_details-x-5-y-10")
    assert s.of("R003")["procurement_method_details"] == {"x": 5, "y": 10}
    assert s.of("R003")["threshold"] == 15
    s = cardinal.Settings.from_fixture_name("R003-procurement_methods-open+selective")
    assert s.of("R003")["procurement_methods"] == "open|selective"
    assert s.no_price_comparison_procurement_methods == "NPC"
    assert s.exclude_procurement_method_details == "EXC"


def test_quantile_is_statrs_type_8() -> None:
    # Values worked by hand with h = (n + 1/3)·τ + 1/3.
    assert quantile([0, 0, *[100] * 7], 0.25) == pytest.approx(66.6666667)
    assert quantile([0, 0, 0, 0, 100], 0.75) == pytest.approx(33.3333333)
    assert quantile([5], 0.25) == 5
    assert quantile([1, 2], 0.0) == 1 and quantile([1, 2], 1.0) == 2


def _release(ocid: str, bids: list[tuple[str, float, str]], **extra: Any) -> bytes:
    """One process: bids as (tenderer, amount, status); the lowest valid bid wins."""
    valid = [b for b in bids if b[2] == "valid"]
    winner = min(valid, key=lambda b: b[1])[0] if valid else None
    release: dict[str, Any] = {
        "ocid": ocid,
        "bids": {
            "details": [
                {
                    "status": status,
                    "tenderers": [{"id": who}],
                    "value": {"amount": amount, "currency": "CNY"},
                }
                for who, amount, status in bids
            ]
        },
        "awards": [{"status": "active", "suppliers": [{"id": winner}]}] if winner else [],
    }
    release.update(extra)
    return orjson.dumps(release)


def _run(lines: list[bytes], flags: dict[str, dict[str, Any]]) -> cardinal.Results:
    return cardinal.compute(cardinal.read_releases(lines), cardinal.Settings(flags=flags))


def _honest(i: int) -> list[tuple[str, float, str]]:
    base = 1_000_000 + 7_919 * i
    return [
        (f"A{i}", base, "valid"),
        (f"B{i}", base * 1.0231 + 17, "valid"),
        (f"C{i}", base * 1.0377 + 3, "valid"),
        (f"D{i}", base * 1.0642 + 11, "valid"),
    ]


def test_r022_flags_a_wide_spread_and_not_an_ordinary_one() -> None:
    lines = [_release(f"p{i}", _honest(i)) for i in range(30)]
    lines.append(_release("wide", [("X", 1_000_000, "valid"), ("Y", 1_900_000, "valid")]))
    result = _run(lines, {"R022": {}})
    assert set(result.processes("R022")) == {"wide"}
    assert result.processes("R022")["wide"] == pytest.approx(0.9)


def test_r023_flags_losing_bids_at_round_multiples_of_the_lowest() -> None:
    multiples = [
        ("X", 2_000_000, "valid"),
        ("Y", 2_040_000, "valid"),  # 1.02 × the lowest
        ("Z", 2_100_000, "valid"),  # 1.05 ×
    ]
    near_miss = [
        ("X", 2_000_000, "valid"),
        ("Y", 2_040_017, "valid"),  # 1.0200085 ×: off by more than the tolerance
        ("Z", 2_100_000, "valid"),
    ]
    result = _run(
        [_release("multiples", multiples), _release("near", near_miss), _release("p", _honest(1))],
        {"R023": {}},
    )
    assert result.processes("R023") == {"multiples": 2.0}


def test_r044_flags_tenderers_sharing_a_telephone() -> None:
    def party(pid: str, phone: str, street: str) -> dict[str, Any]:
        return {
            "id": pid,
            "roles": ["tenderer"],
            "contactPoint": {"telephone": phone},
            "address": {"streetAddress": street, "region": "421102"},
        }

    shared = _release(
        "shared",
        [("A", 1, "valid"), ("B", 2, "valid")],
        parties=[party("A", "0713-8123456", "人民路1号"), party("B", "07138123456", "东湖路2号")],
    )
    apart = _release(
        "apart",
        [("C", 1, "valid"), ("D", 2, "valid")],
        parties=[party("C", "0713-8123457", "人民路3号"), party("D", "0713-8123458", "东湖路4号")],
    )
    result = _run([shared, apart], {"R044": {}})
    assert result.processes("R044") == {"shared": 1.0}
    assert set(result.results["Tenderer"]) == {"A", "B"}


def test_a_flag_firing_on_too_many_processes_is_warned_about() -> None:
    # Every process has two bidders at the same price: R028 fires on all of them.
    lines = [
        _release(f"p{i}", [(f"A{i}", 100.0, "valid"), (f"B{i}", 100.0, "valid")]) for i in range(25)
    ]
    result = _run(lines, {"R028": {}})
    assert result.flagged["R028"] == 25
    assert result.warnings == [{"flag": "R028", "flagged": 25, "judged": 25, "share": 1.0}]
    # The same flag on a sensible share gives no warning.
    lines = [_release(f"q{i}", _honest(i)) for i in range(24)] + lines[:1]
    result = _run(lines, {"R028": {}})
    assert result.flagged["R028"] == 1 and result.warnings == []
