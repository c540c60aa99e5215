"""From evidence rows to `Finding`s: the article, the shared fact, the bidders and the facts side
by side (`data["table"]`: one column per bidder, one row per fact), worded in Chinese.

Rule ids: `BO-08(n)` for 第四十条第（n）项 (RULES.md BO-08), `BO-07-ROT` for the bid-rotation
signal (第三十九条, to be proved), `SCR-DIST` for the statistical screens of a lot's bids (a
signal), and cardinal-rs's codes (`R024`, …) for its flags. Keys are built on external ids
(credit codes, bid numbers), never on database keys, so a re-run finds the same warning.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenderwatch.screening.collusion.frames import among
from tenderwatch.screening.collusion.screens import DIRECTION, SCREENS
from tenderwatch.screening.findings import Fact, Finding, LegalBasis, Severity

LAW = "《招标投标法实施条例》"
ITEM_ARTICLE = {n: f"第四十条第（{c}）项" for n, c in zip(range(1, 7), "一二三四五六", strict=True)}

FIELD_LABELS: dict[str, Any] = {
    "client_ip": gettext_lazy("client IP address"),
    "mac_address": gettext_lazy("MAC address"),
    "hardware_id": gettext_lazy("hardware id"),
    "ca_key_id": gettext_lazy("CA key"),
    "file_hash": gettext_lazy("bid file (hash)"),
    "file_author": gettext_lazy("bid file author"),
    "file_machine": gettext_lazy("machine that created the bid file"),
    "file_software": gettext_lazy("bid file software"),
    "security_account": gettext_lazy("account that paid the bid security"),
    "contact_name": gettext_lazy("contact person"),
    "contact_phone": gettext_lazy("contact telephone"),
    "manager": gettext_lazy("project manager"),
    "price": gettext_lazy("bid price (yuan)"),
    "document": gettext_lazy("bid document"),
}
ITEM_TEXT: dict[int, Any] = {
    1: gettext_lazy(
        "bid documents of different bidders prepared by the same organisation or person"
    ),
    2: gettext_lazy(
        "different bidders entrusting the same organisation or person with their bidding"
    ),
    3: gettext_lazy("the same project manager named in different bidders' documents"),
    4: gettext_lazy(
        "abnormally identical bid documents, or bid prices differing in a regular pattern"
    ),
    5: gettext_lazy("bid documents of different bidders mixed together"),
    6: gettext_lazy("bid security of different bidders paid from the same account"),
}
SCREEN_LABELS: dict[str, Any] = {
    "CV": gettext_lazy("coefficient of variation"),
    "SPD": gettext_lazy("spread"),
    "DIFFP": gettext_lazy("difference between the two lowest bids"),
    "RD": gettext_lazy("relative distance"),
    "KURT": gettext_lazy("kurtosis"),
    "SKEW": gettext_lazy("skewness"),
    "KSTEST": gettext_lazy("Kolmogorov–Smirnov statistic"),
    "GAP": gettext_lazy("missing-bids gap above the winner"),
}
CARDINAL_TITLES: dict[str, Any] = {
    "R003": gettext_lazy("Short submission period (cardinal R003)"),
    "R018": gettext_lazy("Single bid received (cardinal R018)"),
    "R022": gettext_lazy("Great disparity of bid prices (R022)"),
    "R023": gettext_lazy("Fixed-multiple bid prices (R023)"),
    "R024": gettext_lazy("Price close to the winning bid (cardinal R024)"),
    "R028": gettext_lazy("Identical bid prices (cardinal R028)"),
    "R030": gettext_lazy("Late bid won (cardinal R030)"),
    "R035": gettext_lazy("All bids but the winner's disqualified (cardinal R035)"),
    "R036": gettext_lazy("Lowest bid disqualified (cardinal R036)"),
    "R044": gettext_lazy("Bidders sharing contact details (R044)"),
    "R058": gettext_lazy("Heavily discounted bid (cardinal R058)"),
}


@dataclass
class Lookup:
    """What the wording needs: lots (project, reference, number, ceiling) and bids (bidder,
    names, price, fingerprints), by our integer keys."""

    lots: dict[int, dict[str, Any]] = field(default_factory=dict)
    bids: dict[int, dict[str, Any]] = field(default_factory=dict)
    bidders: dict[int, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def of(
        cls, lots: pl.DataFrame, bids: pl.DataFrame, *, bid_ids: Iterable[int] | None = None
    ) -> Lookup:
        if bid_ids is not None:
            bids = bids.filter(among("bid", sorted(set(bid_ids))))
        out = cls()
        out.lots = {r["lot"]: r for r in lots.iter_rows(named=True)}
        out.bids = {r["bid"]: r for r in bids.iter_rows(named=True)}
        for r in out.bids.values():
            out.bidders.setdefault(
                r["bidder"], {"ref": r["bidder_ref"], "name": r["bidder_name"] or r["bidder_ref"]}
            )
        return out

    def add_bids(self, bids: pl.DataFrame) -> None:
        for r in bids.iter_rows(named=True):
            self.bids.setdefault(r["bid"], r)
            self.bidders.setdefault(
                r["bidder"], {"ref": r["bidder_ref"], "name": r["bidder_name"] or r["bidder_ref"]}
            )

    def name(self, bidder: int) -> str:
        return str(self.bidders.get(bidder, {}).get("name") or bidder)

    def ref(self, bidder: int) -> str:
        return str(self.bidders.get(bidder, {}).get("ref") or bidder)

    def lot_label(self, lot: int) -> str:
        row = self.lots.get(lot, {})
        return str(row.get("lot_number") or row.get("lot_ref") or lot)

    def project(self, lot: int) -> int:
        return int(self.lots.get(lot, {}).get("project") or 0)


def _names(lookup: Lookup, bidders: Iterable[int]) -> str:
    return "、".join(lookup.name(b) for b in bidders)


def _value_of(bid: Mapping[str, Any], column: str) -> Any:
    if column == "manager":
        return bid.get("manager_name") or bid.get("manager")
    if column == "price":
        return _yuan(bid.get("price"))
    return bid.get(column)


def _yuan(value: Any) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _table(lookup: Lookup, bids: list[int], columns: Iterable[str]) -> dict[str, Any]:
    """Facts side by side: a column per bid (its bidder), a row per fact."""
    rows = [
        {
            "label": str(FIELD_LABELS.get(c, c)),
            "values": [_value_of(lookup.bids.get(b, {}), c) for b in bids],
        }
        for c in columns
    ]
    return {
        "columns": [lookup.name(lookup.bids.get(b, {}).get("bidder", 0)) for b in bids],
        "lots": [lookup.lot_label(lookup.bids.get(b, {}).get("lot", 0)) for b in bids],
        "rows": rows,
    }


def _side_by_side(lookup: Lookup, bids: list[int], columns: Iterable[str]) -> list[Fact]:
    facts = []
    for b in bids:
        row = lookup.bids.get(b, {})
        who = lookup.name(row.get("bidder", 0))
        for c in columns:
            facts.append(
                Fact(
                    f"{who}：{FIELD_LABELS.get(c, c)}",
                    _value_of(row, c),
                    f"bid:{row.get('bid_ref') or b}",
                )
            )
    return facts


# -- 第四十条 -------------------------------------------------------------------------------------


def art40(evidence: pl.DataFrame, lookup: Lookup, *, window_days: int = 180) -> list[Finding]:
    """One finding per lot, item and group of bidders for shared fingerprints (all the fields
    they share), one per row for the other kinds."""
    out: list[Finding] = []
    groups: dict[tuple[int, int, str, tuple[int, ...]], list[dict[str, Any]]] = defaultdict(list)
    for row in evidence.iter_rows(named=True):
        if row["kind"] == "fingerprint":
            groups[(row["lot"], row["item"], row["scope"], tuple(row["bidders"]))].append(row)
        else:
            out.append(_other(row, lookup))
    for (lot, item, scope, bidders), rows in sorted(groups.items()):
        out.append(_fingerprints(lot, item, scope, bidders, rows, lookup, window_days))
    return out


def _fingerprints(
    lot: int,
    item: int,
    scope: str,
    bidders: tuple[int, ...],
    rows: list[dict[str, Any]],
    lookup: Lookup,
    window_days: int,
) -> Finding:
    columns = [r["field"] for r in rows]
    bids = sorted(
        {b for r in rows for b in r["bids"]},
        key=lambda b: (lookup.bids.get(b, {}).get("lot", 0), b),
    )
    lots = sorted({x for r in rows for x in (r["lots"] or [lot])})
    shared = "；".join(
        f"{FIELD_LABELS.get(r['field'], r['field'])} "
        f"{_value_of(lookup.bids.get(r['bids'][0], {}), r['field'])}"
        for r in rows
    )
    context = {
        "bidders": _names(lookup, bidders),
        "facts": shared,
        "item": ITEM_TEXT[item],
        "law": LAW,
        "article": ITEM_ARTICLE[item],
    }
    if scope == "lot":
        explanation = (
            _(
                "Bidders %(bidders)s of this lot share %(facts)s. %(law)s%(article)s deems "
                "%(item)s to be collusion among bidders."
            )
            % context
        )
    else:
        context.update(lots="、".join(lookup.lot_label(x) for x in lots), days=window_days)
        explanation = (
            _(
                "Bidders %(bidders)s used the same %(facts)s in lots %(lots)s of the same tenderer "
                "within %(days)s days. %(law)s%(article)s deems %(item)s to be collusion among "
                "bidders; related lots are evidence to verify, not proof on their own."
            )
            % context
        )
    refs = sorted(lookup.ref(b) for b in bidders)
    key = f"art40:{item}:{scope}:{','.join(sorted(columns))}:{','.join(refs)}"
    title = _("Deemed collusion: %(item)s") % {"item": ITEM_TEXT[item]}
    facts = [Fact(_("Shared fact"), shared), *_side_by_side(lookup, bids, columns)]
    return Finding(
        rule_id=f"BO-08({item})",
        project_id=lookup.project(lot),
        explanation=explanation,
        legal_basis=(LegalBasis(LAW, ITEM_ARTICLE[item]),),
        facts=tuple(facts),
        severity=Severity.HIGH if scope == "lot" else Severity.MEDIUM,
        lot_id=lot,
        entity_ids=tuple(bidders),
        key=key,
        data={
            "title": str(title),
            "item": item,
            "scope": scope,
            "fields": columns,
            "lots": [lookup.lot_label(x) for x in lots],
            "table": _table(lookup, bids, columns),
        },
    )


def _other(row: dict[str, Any], lookup: Lookup) -> Finding:
    kind, lot, item = row["kind"], row["lot"], row["item"]
    bids = sorted(row["bids"], key=lambda b: (lookup.bids.get(b, {}).get("price") or 0, b))
    detail = json.loads(row["detail"]) if row["detail"] else {}
    names = _names(lookup, sorted({lookup.bids.get(b, {}).get("bidder", 0) for b in bids}))
    context: dict[str, Any] = {
        "bidders": names,
        "value": row["value"],
        "law": LAW,
        "article": ITEM_ARTICLE[item],
        "item": ITEM_TEXT[item],
    }
    columns = ["price"]
    if kind == "identical_price":
        explanation = (
            _(
                "Bidders %(bidders)s bid exactly the same price, %(value)s yuan. "
                "%(law)s%(article)s "
                "deems %(item)s to be collusion among bidders."
            )
            % context
        )
    elif kind == "price_steps":
        context["step"] = _yuan(
            (lookup.bids[bids[1]]["price"] - lookup.bids[bids[0]]["price"])
            if len(bids) > 1
            else None
        )
        explanation = (
            _(
                "The bids of %(bidders)s rise in equal steps of %(step)s yuan (%(value)s yuan). "
                "%(law)s%(article)s deems %(item)s to be collusion among bidders."
            )
            % context
        )
    elif kind == "price_ratios":
        context["ratio"] = detail.get("key")
        explanation = (
            _(
                "The bids of %(bidders)s rise by the same ratio, %(ratio)s (%(value)s yuan). "
                "%(law)s%(article)s deems %(item)s to be collusion among bidders."
            )
            % context
        )
    elif kind == "multiples":
        context["multiples"] = "、".join(
            f"{u * detail.get('step', 0.01):.2f}" for u in detail.get("multiples", [])
        )
        explanation = (
            _(
                "The bids of %(bidders)s are the lowest bid, %(value)s yuan, times %(multiples)s: "
                "fixed multiples. %(law)s%(article)s deems %(item)s to be collusion among bidders."
            )
            % context
        )
    elif kind == "near_duplicate":
        columns = ["file_hash", "file_author"]
        explanation = (
            _(
                "The bid documents of %(bidders)s are %(value)s the same (shingles compared). "
                "%(law)s%(article)s deems %(item)s to be collusion among bidders."
            )
            % context
        )
    elif kind == "rare_passages":
        columns = ["file_hash", "file_author"]
        explanation = (
            _(
                "The bid documents of %(bidders)s share passages that no other bid document "
                "contains: %(value)s. %(law)s%(article)s deems %(item)s (the same anomalies) to be "
                "collusion among bidders."
            )
            % context
        )
    else:  # mixed_documents
        columns = ["file_hash", "file_author"]
        own = lookup.bids.get(detail.get("document_of", bids[0]), {})
        context["own"] = lookup.name(own.get("bidder", 0))
        explanation = (
            _(
                "The bid document of %(own)s names another bidder of this lot, %(value)s. "
                "%(law)s%(article)s deems %(item)s to be collusion among bidders."
            )
            % context
        )
    refs = sorted(str(lookup.bids.get(b, {}).get("bid_ref") or b) for b in bids)
    facts = [Fact(_("Shared fact"), row["value"]), *_side_by_side(lookup, bids, columns)]
    if detail:
        facts.append(Fact(_("Details"), detail))
    return Finding(
        rule_id=f"BO-08({item})",
        project_id=lookup.project(lot),
        explanation=explanation,
        legal_basis=(LegalBasis(LAW, ITEM_ARTICLE[item]),),
        facts=tuple(facts),
        severity=Severity.HIGH
        if kind in ("identical_price", "near_duplicate", "mixed_documents")
        else Severity.MEDIUM,
        lot_id=lot,
        entity_ids=tuple(sorted({lookup.bids.get(b, {}).get("bidder", 0) for b in bids})),
        key=f"art40:{item}:{kind}:{row['scope']}:{','.join(refs)}",
        data={
            "title": str(_("Deemed collusion: %(item)s") % {"item": ITEM_TEXT[item]}),
            "item": item,
            "kind": kind,
            "scope": row["scope"],
            "detail": detail,
            "table": _table(lookup, bids, columns),
        },
    )


# -- rotation, screens, cardinal ------------------------------------------------------------------


def rotation(
    rings: pl.DataFrame, lookup: Lookup, *, gap: float, near: float, window_days: int
) -> list[Finding]:
    out = []
    for row in rings.iter_rows(named=True):
        lot = row["lot"]
        members = row["members"]
        here = [
            b for b, r in lookup.bids.items() if r.get("lot") == lot and r.get("bidder") in members
        ]
        here.sort(key=lambda b: (lookup.bids[b].get("price") or 0, b))
        context = {
            "members": _names(lookup, members),
            "count": len(row["lots"]),
            "days": window_days,
            "winners": len(row["winners"]),
            "gap": f"{gap:.0%}",
            "near": f"{near:.0%}",
            "law": LAW,
            "article": "第三十九条",
        }
        explanation = (
            _(
                "Bidders %(members)s met in %(count)s lots within %(days)s days; each time one of "
                "them won (%(winners)s different winners) while the others bid at least "
                "%(near)s of "
                "the ceiling and %(gap)s of it above the winner — the pattern of bid rotation. "
                "%(law)s%(article)s counts agreeing on the winner as collusion; it must be "
                "proved: this is a signal for investigation."
            )
            % context
        )
        facts = [
            Fact(_("Ring members"), context["members"]),
            Fact(_("Lots of the ring"), "、".join(lookup.lot_label(x) for x in row["lots"])),
            *_side_by_side(lookup, here, ["price"]),
        ]
        out.append(
            Finding(
                rule_id="BO-07-ROT",
                project_id=lookup.project(lot),
                explanation=explanation,
                legal_basis=(LegalBasis(LAW, "第三十九条第二款第（二）项", "signal"),),
                facts=tuple(facts),
                severity=Severity.LOW,
                lot_id=lot,
                entity_ids=tuple(members),
                key=f"rotation:{','.join(sorted(lookup.ref(m) for m in members))}",
                data={
                    "title": str(_("Bid rotation among the same bidders")),
                    "lots": [lookup.lot_label(x) for x in row["lots"]],
                    "table": _table(lookup, here, ["price"]),
                },
            )
        )
    return out


def screens(signals: pl.DataFrame, lookup: Lookup, *, minimum_signals: int) -> list[Finding]:
    out = []
    for row in signals.filter(pl.col("signals") >= minimum_signals).iter_rows(named=True):
        lot = row["lot"]
        hits = [s for s in SCREENS if row.get(f"{s}_signal")]
        parts = []
        facts = [Fact(_("Bids compared"), row["n"])]
        for s in SCREENS:
            value = row.get(s)
            lo, hi = row.get(f"{s}_lo"), row.get(f"{s}_hi")
            fence = hi if DIRECTION[s] == "high" else lo
            facts.append(
                Fact(
                    f"{s} {SCREEN_LABELS[s]}",
                    "—" if value is None else round(value, 4),
                    f"fence:{'—' if fence is None else round(fence, 4)}",
                )
            )
            if s in hits:
                parts.append(f"{SCREEN_LABELS[s]} {value:.4f}")
        context = {"market": row.get("market") or "—", "signals": "；".join(parts)}
        explanation = (
            _(
                "The bids of this lot are distributed unusually for their market (%(market)s): "
                "%(signals)s, beyond the fences of the market's lots. Statistical screens are "
                "signals "
                "for a closer look at the lot, not proof of collusion."
            )
            % context
        )
        out.append(
            Finding(
                rule_id="SCR-DIST",
                project_id=lookup.project(lot),
                explanation=explanation,
                legal_basis=(LegalBasis(LAW, "第三十九条", "signal"),),
                facts=tuple(facts),
                severity=Severity.LOW if len(hits) >= 3 else Severity.INFO,
                lot_id=lot,
                key=f"screens:{lookup.lots.get(lot, {}).get('lot_ref') or lot}",
                data={"title": str(_("Unusual distribution of bids")), "signals": hits},
            )
        )
    return out


def cardinal_findings(
    results: Mapping[str, Mapping[str, Mapping[str, float]]],
    lookup: Lookup,
    *,
    flags: Iterable[str],
    share_warnings: Iterable[Mapping[str, Any]] = (),
) -> list[Finding]:
    """Process-level cardinal flags on the ledger's lots (the OCID is the lot's key)."""
    wanted = set(flags)
    crowded = {w["flag"]: w for w in share_warnings}
    out = []
    for ocid, values in results.get("OCID", {}).items():
        lot = int(ocid)
        for flag, value in values.items():
            if flag not in wanted:
                continue
            facts = [Fact(_("Value"), round(value, 4))]
            explanation = _("cardinal-rs red flag %(flag)s: %(title)s (value %(value)s).") % {
                "flag": flag,
                "title": CARDINAL_TITLES.get(flag, flag),
                "value": round(value, 4),
            }
            data: dict[str, Any] = {"title": str(CARDINAL_TITLES.get(flag, flag)), "value": value}
            if flag in crowded:
                w = crowded[flag]
                note = _(
                    "This flag fired on %(share)s of the %(judged)s lots it could judge in this "
                    "run: check the data or the flag's settings before relying on it."
                ) % {"share": f"{w['share']:.0%}", "judged": w["judged"]}
                facts.append(Fact(_("Share of lots flagged"), f"{w['share']:.0%}"))
                explanation = f"{explanation} {note}"
                data["share_warning"] = dict(w)
            out.append(
                Finding(
                    rule_id=flag,
                    project_id=lookup.project(lot),
                    explanation=explanation,
                    legal_basis=(),
                    facts=tuple(facts),
                    severity=Severity.INFO,
                    lot_id=lot,
                    key=f"cardinal:{flag}:{lookup.lots.get(lot, {}).get('lot_ref') or lot}",
                    data=data,
                )
            )
    return out
