"""The generator's labels against the rules' findings: which rule finds which injected violation,
and the model documents the generated tender documents follow. No finding is excused: a clean
generated project keeps to the law (approvals that fix the method it is tendered by, late steps
late even after 民法典 第二百零三条 rolls a deadline past a holiday, split names of their own)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tenderwatch.screening.findings import Finding
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
    found: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # code → found


def compare(
    labels: Sequence[Any],
    findings: Iterable[Finding],
    states: Sequence[ProjectState],
) -> Outcome:
    """Every procedural label found by its rule; every finding explained by a label of its lot
    (or project)."""
    by_id = {s.project_id: s for s in states}
    lot_ext = {lot.id: lot.external_id for s in states for lot in s.lots}
    fired: dict[tuple[str, str | None], set[str]] = defaultdict(set)
    findings = list(findings)
    for f in findings:
        s = by_id[f.project_id]
        fired[(s.project.external_id, lot_ext.get(f.lot_id) if f.lot_id else None)].add(f.rule_id)
    allowed: dict[tuple[str, str], set[str]] = defaultdict(set)
    for label in labels:
        key = (label["project_external_id"], label["lot_external_id"])
        allowed[key] |= CODE_RULES.get(label["code"], frozenset())
        allowed[key] |= ALSO.get(label["code"], frozenset())

    out = Outcome()
    for label in labels:
        want = CODE_RULES.get(label["code"])
        if want is None:
            continue
        project, lot = label["project_external_id"], label["lot_external_id"]
        got = fired.get((project, lot), set()) | fired.get((project, None), set())
        if got & want:
            out.found[label["code"]] += 1
        else:
            out.missed.append(label)

    for f in findings:
        s = by_id[f.project_id]
        project = s.project.external_id
        lots = [lot_ext[f.lot_id]] if f.lot_id else [lot.external_id for lot in s.lots]
        if any(f.rule_id in allowed.get((project, lot), set()) for lot in lots):
            continue
        out.unexplained.append((f.rule_id, project, f.explanation))
    return out
