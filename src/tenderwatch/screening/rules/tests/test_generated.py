"""The generator's labelled violations (issue 5: "the generated demo data's injected procedural
violations are all found, and no rule fires on the generated projects labelled clean").

A small district with raised violation rates goes through the bulk writer into the database,
is loaded with `load_states` and screened by every rule; the label file decides. The same run
built in memory (`rules.generated`, the benchmark's path) must give the same findings.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from tenderwatch.generator.model import Generator, Scale
from tenderwatch.generator.outputs import Options, write_db
from tenderwatch.generator.workcal import WorkCalendar
from tenderwatch.ledger.models import Project
from tenderwatch.screening.rules import columnar
from tenderwatch.screening.rules.days import DayTable
from tenderwatch.screening.rules.generated import states_of
from tenderwatch.screening.rules.state import load_states, run_rules
from tenderwatch.screening.rules.tests.labels import CODE_RULES, MODELS, compare

LOTS = 300
SEED = 5
RATES = 4.0
TODAY = dt.date(2026, 12, 24)  # the sweeper's rules run too: the generated procedures are done


def key(finding: Any, states: dict[int, Any]) -> tuple[str, str, str, str]:
    state = states[finding.project_id]
    lot = state.lot(finding.lot_id) if finding.lot_id else None
    return (
        finding.rule_id,
        state.project.external_id,
        lot.external_id if lot else "",
        finding.key,
    )


@pytest.mark.django_db
def test_every_injected_violation_is_found_and_clean_lots_stay_clean(
    tmp_path: Path, settings: Any
) -> None:
    """招标投标法, 实施条例 and 16号令 against generated data: each procedural label (table
    `labels.CODE_RULES`) is found by its rule, and every finding is explained by a label of its
    lot, except the generator's known departures from the law, counted in `labels.compare`."""
    settings.TW_SCREEN_ON_CHANGE = False  # screen here, not through the import signal
    calendar = WorkCalendar.from_database()
    options = Options(
        scale=Scale.custom("district", LOTS), seed=SEED, out=tmp_path, rate_scale=RATES
    )
    write_db(options, calendar)
    labels = [
        json.loads(line)
        for line in (tmp_path / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    ids = list(
        Project.objects.filter(source="generator").order_by("pk").values_list("pk", flat=True)
    )
    states = [s.with_(model_documents=MODELS) for s in load_states(ids, today=TODAY)]
    assert all(s.documents for s in states if s.project.method != "direct")
    findings = run_rules(states)

    # The columnar path decides the same on states loaded from the database.
    fast = columnar.run_columnar(states)
    assert [(f.rule_id, f.project_id, f.lot_id, f.key, f.explanation) for f in fast] == [
        (f.rule_id, f.project_id, f.lot_id, f.key, f.explanation) for f in findings
    ]

    table = DayTable.from_workdays()
    assert table is not None
    outcome = compare(labels, findings, states)
    assert outcome.missed == []
    assert outcome.unexplained == []
    # Every procedural code occurs at these rates, so each rule is exercised here.
    assert set(outcome.found) == set(CODE_RULES), set(CODE_RULES) - set(outcome.found)

    # The same run in memory gives the same findings (the benchmark's states are faithful).
    generator = Generator(
        scale=Scale.custom("district", LOTS),
        seed=SEED,
        calendar=WorkCalendar.from_database(),
        rate_scale=RATES,
    )
    projects = list(generator.projects())
    memory = states_of(generator, projects, calendar=table, model_documents=MODELS, today=TODAY)
    by_db = {s.project_id: s for s in states}
    by_memory = {s.project_id: s for s in memory}
    assert sorted(key(f, by_memory) for f in run_rules(memory)) == sorted(
        key(f, by_db) for f in findings
    )
