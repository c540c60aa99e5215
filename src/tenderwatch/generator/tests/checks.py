"""Independent checks of generated data against the rules, read from the published bundles
(what the ledger stores and OCDS carries), not from the generator's internals.

`verify(bundles, labels)` returns a list of problems: a labelled violation that does not break
its rule in the data, or an unlabelled lot or project that does.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from tenderwatch.generator.bundles import document_text
from tenderwatch.generator.violations import CLAUSE_MARKERS, Label
from tenderwatch.ledger.ingest.bundle import ProcessBundle
from tenderwatch.ledger.models import EventKind

CHINA = dt.timezone(dt.timedelta(hours=8))
THRESHOLD = {
    "works": Decimal(4_000_000),
    "goods": Decimal(2_000_000),
    "services": Decimal(1_000_000),
}
TENDER = ("open", "invited")
PERIOD_CODES = {
    "short_bidding_period",
    "late_clarification",
    "short_publicity",
    "late_contract",
    "late_written_report",
}
FINGERPRINT_FIELDS: dict[str, Callable[[Any], Any]] = {
    "shared_ip": lambda b: b.client_ip,
    "shared_mac": lambda b: b.mac_address,
    "shared_ca_key": lambda b: b.ca_key_id,
    "shared_file_author": lambda b: b.file_author,
    "shared_security_account": lambda b: b.security_account or None,
    "shared_project_manager": lambda b: (
        b.project_manager.certificate_no if b.project_manager else None
    ),
}


def day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(CHINA).date()


class Facts:
    """What one bundle says, indexed for the checks."""

    def __init__(self, bundle: ProcessBundle) -> None:
        self.bundle = bundle
        self.project = bundle.project
        self.method = str(
            getattr(self.project.procurement_method, "value", self.project.procurement_method)
        )
        self.category = str(getattr(self.project.category, "value", self.project.category))
        self.events: dict[tuple[str | None, str], list[dt.datetime]] = defaultdict(list)
        for event in bundle.events:
            self.events[(event.lot_external_id, str(event.kind))].append(event.occurred_at)
        self.bids: dict[str, list[Any]] = defaultdict(list)
        for bid in bundle.bids:
            self.bids[bid.lot_external_id].append(bid)
        self.outcomes = {o.lot_external_id: o for o in bundle.outcomes}
        self.lots = {lot.external_id: lot for lot in self.project.lots}

    def when(self, kind: EventKind, lot: str | None = None) -> dt.datetime | None:
        found = self.events.get((lot, str(kind))) or self.events.get((None, str(kind)))
        return found[0] if found else None

    def days_between(self, first: EventKind, second: EventKind, lot: str | None = None) -> int:
        a, b = self.when(first, lot), self.when(second, lot)
        assert a is not None and b is not None, (first, second, lot)
        return (day(b) - day(a)).days

    @property
    def must_tender(self) -> bool:
        estimate = self.project.estimated_amount or Decimal(0)
        return estimate >= THRESHOLD[self.category]


def _period_problems(facts: Facts, labelled: set[str], lot: str) -> list[str]:
    """Every statutory period of the tender stage, labelled or not."""
    out = []
    if facts.method not in TENDER or not facts.must_tender:
        wrong = labelled & PERIOD_CODES
        return [f"{lot}: {sorted(wrong)} labelled where the periods do not bind"] if wrong else []
    period = facts.days_between(EventKind.TENDER_DOCUMENTS_ISSUED, EventKind.BID_DEADLINE)
    if (period < 20) != ("short_bidding_period" in labelled):
        out.append(f"{lot}: bidding period {period} days, labelled {sorted(labelled)}")
    clarification = facts.when(EventKind.CLARIFICATION)
    if clarification is not None:
        before = facts.days_between(EventKind.CLARIFICATION, EventKind.BID_DEADLINE)
        if (before < 15) != ("late_clarification" in labelled):
            out.append(f"{lot}: clarification {before} days before the deadline")
    elif "late_clarification" in labelled:
        out.append(f"{lot}: labelled late clarification without one")
    publicity = facts.days_between(
        EventKind.CANDIDATE_PUBLICITY_START, EventKind.CANDIDATE_PUBLICITY_END, lot
    )
    if (publicity < 3) != ("short_publicity" in labelled):
        out.append(f"{lot}: publicity of {publicity} days")
    start = facts.days_between(
        EventKind.EVALUATION_REPORT, EventKind.CANDIDATE_PUBLICITY_START, lot
    )
    if not 0 <= start <= 3:
        out.append(f"{lot}: publicity starts {start} days after the report")
    contract = facts.days_between(EventKind.AWARD_NOTICE, EventKind.CONTRACT_SIGNED, lot)
    if (contract > 30) != ("late_contract" in labelled):
        out.append(f"{lot}: contract {contract} days after the award notice")
    report = facts.days_between(EventKind.AWARD_NOTICE, EventKind.SUPERVISOR_REPORT, lot)
    if (report > 15) != ("late_written_report" in labelled):
        out.append(f"{lot}: written report {report} days after the award")
    return out


def _lot_problems(facts: Facts, lot_id: str, labels: list[Label]) -> list[str]:
    out: list[str] = []
    codes = {label.code for label in labels}
    lot = facts.lots[lot_id]
    bids = facts.bids.get(lot_id, [])
    outcome = facts.outcomes[lot_id]
    out += _period_problems(facts, codes, lot_id)

    # Bid security: 实施条例 第二十六条 and 30号令 第三十七条.
    if facts.method in TENDER and lot.bid_security:
        share_broken = lot.bid_security > lot.estimated_amount * Decimal("0.02")
        cap_broken = facts.category == "works" and lot.bid_security > 800_000
        if (share_broken or cap_broken) != ("excessive_bid_security" in codes):
            out.append(f"{lot_id}: bid security {lot.bid_security} of {lot.estimated_amount}")
        for label in labels:
            if label.code == "excessive_bid_security":
                if label.rule == "TD-09b" and not cap_broken:
                    out.append(f"{lot_id}: TD-09b without passing 80万")
                if label.rule == "TD-09" and not share_broken:
                    out.append(f"{lot_id}: TD-09 without passing 2%")
    elif "excessive_bid_security" in codes:
        out.append(f"{lot_id}: labelled excessive bid security without one")

    # Fewer than three bids.
    if facts.method in TENDER and bids:
        few = len(bids) < 3 and outcome.award is not None
        if few != ("fewer_than_three_bids" in codes):
            out.append(f"{lot_id}: {len(bids)} bids")

    # Shared fingerprints: every value two bidders share is a labelled one, and vice versa.
    for code, read in FINGERPRINT_FIELDS.items():
        groups: dict[Any, list[str]] = defaultdict(list)
        for bid in bids:
            value = read(bid)
            if value:
                groups[value].append(bid.external_id)
        shared = sorted(sorted(ids) for ids in groups.values() if len(ids) > 1)
        claimed = sorted(sorted(label.evidence["bids"]) for label in labels if label.code == code)
        if shared != claimed:
            out.append(f"{lot_id}: {code} shared {shared}, labelled {claimed}")
        for ids in shared:
            bidders = {b.bidder.identifier for b in bids if b.external_id in ids}
            if len(bidders) != len(ids):
                out.append(f"{lot_id}: {code} shared within one bidder")

    by_id = {b.external_id: b for b in bids}
    award = outcome.award
    ceiling = lot.ceiling_price
    # The cover-bidding shape appears only where it was injected.
    if ceiling and len(bids) >= 3 and not codes & {"cover_bidding", "bid_rotation"}:
        ratios = sorted((b.price or Decimal(0)) / ceiling for b in bids)
        if ratios[0] <= Decimal("0.93") and ratios[1] >= Decimal("0.984"):
            out.append(f"{lot_id}: unlabelled cover-bidding shape {ratios}")
    # Honest bidders never bid the same price.
    prices = [b.price for b in bids]
    if len(set(prices)) != len(prices):
        out.append(f"{lot_id}: identical bid prices")
    for label in labels:
        evidence = label.evidence
        if label.code == "regular_price_differences":
            prices = [by_id[b].price for b in evidence["bids"]]
            if evidence["kind"] == "step":
                steps = {b - a for a, b in itertools.pairwise(prices)}
                if len(steps) != 1 or steps.pop() <= 0:
                    out.append(f"{lot_id}: prices {prices} not in equal steps")
            else:
                ratios = [b / a for a, b in itertools.pairwise(prices)]
                r = Decimal(str(evidence["ratio"]))
                if any(abs(x - r) > Decimal("0.000001") for x in ratios):
                    out.append(f"{lot_id}: prices {prices} not in ratio {r}")
        elif label.code == "cover_bidding":
            assert award is not None and ceiling
            if award.bid_external_id != evidence["winner_bid"]:
                out.append(f"{lot_id}: the designated winner did not win")
            winner = by_id[evidence["winner_bid"]].price / ceiling
            covers = [by_id[b].price / ceiling for b in evidence["cover_bids"]]
            if not (winner <= Decimal("0.93") and min(covers) >= Decimal("0.984")):
                out.append(f"{lot_id}: cover pattern {winner} vs {covers}")
        elif label.code == "bid_rotation":
            assert award is not None
            if award.bid_external_id != evidence["winner_bid"]:
                out.append(f"{lot_id}: the ring's turn did not win")
            bidders = {b.bidder.identifier for b in bids}
            if not set(evidence["members"]) <= bidders:
                out.append(f"{lot_id}: not every ring member bid")
        elif label.code == "fewer_than_three_bids" and not (len(bids) < 3 and award):
            out.append(f"{lot_id}: fewer-than-three label with {len(bids)} bids")
    return out


def _project_problems(facts: Facts, labels: list[Label]) -> list[str]:
    out: list[str] = []
    codes = {label.code for label in labels}
    bundle = facts.bundle
    # Must-tender projects are tendered, unless labelled.
    not_tendered = facts.must_tender and facts.method not in TENDER
    if not_tendered != ("not_tendered" in codes):
        out.append(f"{bundle.external_id}: must tender, method {facts.method}")
    if "not_tendered" in codes and (bundle.bids or not bundle.outcomes[0].contracts):
        out.append(f"{bundle.external_id}: not tendered but bids or no contract")
    # Works of 300万 or more are tendered, except the labelled split pieces.
    estimate = facts.project.estimated_amount or Decimal(0)
    piece = (
        facts.category == "works"
        and Decimal(3_000_000) <= estimate < THRESHOLD["works"]
        and facts.method not in TENDER
    )
    if piece != ("split_to_avoid_tendering" in codes):
        out.append(f"{bundle.external_id}: works of {estimate} by {facts.method}")
    # Tender documents: a discriminatory clause only where labelled, at its number.
    text = document_text(bundle) or ""
    markers = [m for m in CLAUSE_MARKERS if m in text]
    clause_labels = [label for label in labels if label.code == "discriminatory_clause"]
    if bool(markers) != bool(clause_labels):
        out.append(f"{bundle.external_id}: clause markers {markers}, labels {len(clause_labels)}")
    for label in clause_labels:
        expected = f"{label.evidence['clause_number']} {label.evidence['clause']}"
        if expected not in text:
            out.append(f"{bundle.external_id}: clause {expected} not in the documents")
    return out


def verify(bundles: Iterable[ProcessBundle], labels: Iterable[Label]) -> list[str]:
    by_lot: dict[str, list[Label]] = defaultdict(list)
    for label in labels:
        by_lot[label.lot_external_id].append(label)
    problems: list[str] = []
    splits: dict[str, list[tuple[Facts, Label]]] = defaultdict(list)
    rings: dict[int, list[tuple[int, str, list[str]]]] = defaultdict(list)
    for bundle in bundles:
        facts = Facts(bundle)
        # A violation of the whole project is labelled on each of its lots alike.
        per_lot = [
            frozenset(lab.code for lab in by_lot.get(lot, []) if lab.scope == "project")
            for lot in facts.lots
        ]
        if len(set(per_lot)) > 1:
            problems.append(f"{bundle.external_id}: project labels differ between lots")
        project_labels: dict[str, Label] = {}
        for lot in facts.lots:
            for lab in by_lot.get(lot, []):
                if lab.scope == "project":
                    project_labels.setdefault(lab.code, lab)
        problems += _project_problems(facts, list(project_labels.values()))
        for lot in facts.lots:
            problems += _lot_problems(facts, lot, by_lot.get(lot, []))
        split = project_labels.get("split_to_avoid_tendering")
        if split is not None:
            splits[split.evidence["group"]].append((facts, split))
        for lot in facts.lots:
            for lab in by_lot.get(lot, []):
                if lab.code != "bid_rotation":
                    continue
                award = facts.outcomes[lot].award
                assert award is not None
                winner = next(
                    b.bidder.identifier
                    for b in facts.bids[lot]
                    if b.external_id == award.bid_external_id
                )
                rings[lab.evidence["ring"]].append(
                    (lab.evidence["turn"], winner, lab.evidence["members"])
                )
    for group, members in splits.items():
        evidence = members[0][1].evidence
        if sorted(f.bundle.external_id for f, _l in members) != sorted(evidence["projects"]):
            problems.append(f"split {group}: members differ from the evidence")
        tenderers = {f.project.tenderer.identifier for f, _l in members if f.project.tenderer}
        amounts = [f.project.estimated_amount or Decimal(0) for f, _l in members]
        registered = sorted(
            day(f.project.registered_at) for f, _l in members if f.project.registered_at
        )
        if (
            len(tenderers) != 1
            or max(amounts) >= THRESHOLD["works"]
            or sum(amounts) < THRESHOLD["works"]
        ):
            problems.append(f"split {group}: tenderers {tenderers}, amounts {amounts}")
        if (registered[-1] - registered[0]).days > 60:
            problems.append(f"split {group}: spread over {registered}")
    # Rings take turns: the n-th win goes to member (n - 1) mod size.
    for ring, wins in rings.items():
        for turn, winner, members in sorted(wins):
            if winner != members[(turn - 1) % len(members)]:
                problems.append(f"ring {ring}: turn {turn} won by {winner}")
    return problems


def workday_problems(
    bundles: Iterable[ProcessBundle], is_workday: Callable[[dt.date], bool]
) -> list[str]:
    """The steps an office takes happen on working days (the workdays calendar)."""
    kinds = (
        EventKind.REGISTRATION,
        EventKind.ANNOUNCEMENT,
        EventKind.TENDER_DOCUMENTS_ISSUED,
        EventKind.BID_DEADLINE,
        EventKind.OPENING,
        EventKind.EVALUATION_REPORT,
        EventKind.AWARD_NOTICE,
        EventKind.CONTRACT_SIGNED,
        EventKind.SUPERVISOR_REPORT,
    )
    out = []
    for bundle in bundles:
        for event in bundle.events:
            if event.kind in kinds and not is_workday(day(event.occurred_at)):
                out.append(f"{event.external_id} {event.kind} on {day(event.occurred_at)}")
    return out
