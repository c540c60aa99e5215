"""The generator's labels against the rules' findings: which rule finds which injected violation,
the model documents the generated tender documents follow, and the known places where the
generator's labels and the law part ways (each one checked precisely, never waved through)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tenderwatch.screening.findings import Finding
from tenderwatch.screening.rules.days import DayTable
from tenderwatch.screening.rules.generated import MODEL_DOCUMENTS
from tenderwatch.screening.rules.state import ProjectState

# Label code → the rule ids that find it (one table). Codes not listed are not procedural:
# the collusion screens of the next issue (BO-07, BO-08) find them.
CODE_RULES: dict[str, frozenset[str]] = {
    "short_bidding_period": frozenset({"TD-05"}),
    "late_clarification": frozenset({"TD-06"}),
    "discriminatory_clause": frozenset({"TD-01"}),
    "not_tendered": frozenset({"MUST-02", "MUST-03", "MUST-04"}),
    "split_to_avoid_tendering": frozenset({"MUST-05"}),
    "short_publicity": frozenset({"AW-01"}),
    "late_contract": frozenset({"AW-06"}),
    "late_written_report": frozenset({"AW-09"}),
    "excessive_bid_security": frozenset({"TD-09", "TD-09b"}),
    "fewer_than_three_bids": frozenset({"BO-01"}),
}
# Rules that may fire beside a label without being its finder: the same facts seen from
# another article (a project not tendered also departs from an approval that fixed 公开招标).
ALSO: dict[str, frozenset[str]] = {"not_tendered": frozenset({"MUST-09"})}

MODELS = MODEL_DOCUMENTS


@dataclass
class Outcome:
    missed: list[Any] = field(default_factory=list)  # labels no rule found
    unexplained: list[tuple[str, str, str]] = field(default_factory=list)  # (rule, project, why)
    known: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # reason → count
    found: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # code → found


def compare(
    labels: Sequence[Any],
    findings: Iterable[Finding],
    states: Sequence[ProjectState],
    calendar: DayTable,
) -> Outcome:
    """Every procedural label found by its rule; every finding explained by a label of its lot
    (or project) — save the known places where the labels and the law part ways."""
    by_id = {s.project_id: s for s in states}
    lot_ext = {lot.id: lot.external_id for s in states for lot in s.lots}
    fired: dict[tuple[str, str | None], set[str]] = defaultdict(set)
    findings = list(findings)
    for f in findings:
        s = by_id[f.project_id]
        fired[(s.project.external_id, lot_ext.get(f.lot_id) if f.lot_id else None)].add(f.rule_id)
    allowed: dict[tuple[str, str], set[str]] = defaultdict(set)
    split_projects: set[str] = set()
    for label in labels:
        key = (label["project_external_id"], label["lot_external_id"])
        allowed[key] |= CODE_RULES.get(label["code"], frozenset())
        allowed[key] |= ALSO.get(label["code"], frozenset())
        if label["code"] == "split_to_avoid_tendering":
            split_projects.add(label["project_external_id"])

    out = Outcome()
    for label in labels:
        want = CODE_RULES.get(label["code"])
        if want is None:
            continue
        project, lot = label["project_external_id"], label["lot_external_id"]
        got = fired.get((project, lot), set()) | fired.get((project, None), set())
        if got & want:
            out.found[label["code"]] += 1
        elif _lawful_after_roll_forward(label, calendar):
            out.known["late label within the rolled-forward limit (民法典 第二百零三条)"] += 1
        else:
            out.missed.append(label)

    for f in findings:
        s = by_id[f.project_id]
        project = s.project.external_id
        lots = [lot_ext[f.lot_id]] if f.lot_id else [lot.external_id for lot in s.lots]
        if any(f.rule_id in allowed.get((project, lot), set()) for lot in lots):
            continue
        if (
            f.rule_id == "MUST-09"
            and s.project.method == "invited"
            and s.project.approved_method == "open"
        ):
            out.known["invited tender where the approval fixed open tender (generator)"] += 1
            continue
        if f.rule_id == "MUST-05" and any(p in split_projects for p in _group_externals(f, by_id)):
            out.known["a clean project of the same name joins a labelled split (generator)"] += 1
            continue
        out.unexplained.append((f.rule_id, project, f.explanation))
    return out


def _group_externals(finding: Finding, by_id: dict[int, ProjectState]) -> list[str]:
    return [by_id[i].project.external_id for i in finding.data.get("group", []) if i in by_id]


def _lawful_after_roll_forward(label: Any, calendar: DayTable) -> bool:
    """A late_contract / late_written_report label whose step came after day 30 (15) but on or
    before the last day rolled forward under 民法典 第二百零三条: lawful, so no finding."""
    evidence = label["evidence"]
    if label["code"] == "late_contract":
        start, done, days = evidence["award_notice"], evidence["contract_signed"], 30
    elif label["code"] == "late_written_report":
        start, done, days = evidence["award_notice"], evidence["written_report"], 15
    else:
        return False
    due = calendar.deadline(dt.date.fromisoformat(start), days)
    return due.rolled is True and dt.date.fromisoformat(done) <= due.day
