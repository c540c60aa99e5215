"""Rule benchmark (issue #5): every statutory rule over a generated province, lots per second,
beside a baseline measured in the same run — a plain loop calling the same rule functions one
project at a time. Goal: at least 50,000 lots per second.

    make bench                                        # with the import benchmark
    .venv/bin/python benchmarks/screen_rules.py       # a whole province (200,000 lots)
    .venv/bin/python benchmarks/screen_rules.py --lots 20000 --baseline-lots 20000

The province comes from the generator in memory (`tenderwatch.generator`, seed 1, the
province's violation rates), turned into `ProjectState`s (`screening.rules.generated`) with the
model documents of `generated.MODEL_DOCUMENTS`, so TD-01 compares every tender document too;
nothing goes through the database. Two paths are timed over the same states, both producing the
findings (facts, Chinese explanations, keys):

- baseline: for each project, for each rule, `applies` then `check` (what `run_rules` does);
- columnar: the states copied into Polars frames (`columnar.build`, timed apart: it stands for
  reading the ledger or Parquet into frames), the rules decided by one query each over all rows,
  and the findings worded by the same rule functions on the projects that fired.

The two must return the same findings; the run fails otherwise. `--baseline-lots` times the
baseline on the first N lots only (it is the slow one) and scales nothing: the rate is per lot.
Not a test: it prints figures and asserts only that both paths agree.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import resource
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROVINCE_LOTS = 200_000  # DESIGN.md "Scales": province
GOAL = 50_000  # lots per second (issue #5)
TODAY = dt.date(2026, 12, 24)  # the sweeper's date: the sweep rules run too


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _setup_django(var_dir: Path) -> None:
    os.environ["TW_VAR_DIR"] = str(var_dir)
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("TW_COMPLAINTS_KEYS", f"bench:{secrets.token_hex(16)}")
    os.environ.setdefault("TW_COMPLAINTS_HMAC_KEY", secrets.token_hex(32))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{var_dir / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenderwatch.settings")
    import django

    django.setup()


def _lots(states: Any) -> int:
    return sum(len(s.lots) for s in states)


def baseline(states: Any, selected: list[tuple[Any, dict[str, Any]]]) -> list[Any]:
    """The plain loop: each project, each rule, the rule's own functions."""
    from tenderwatch.screening.rules.base import wording

    findings: list[Any] = []
    with wording():
        for state in states:
            for spec, params in selected:
                if spec.applies(state):
                    findings.extend(spec.check(state, params))
    return findings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lots", type=int, default=PROVINCE_LOTS, help="lots in the province")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--baseline-lots",
        type=int,
        default=0,
        help="time the baseline on the first N lots only (default: all)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tw-bench-rules-") as var:
        _setup_django(Path(var))
        from django.utils import translation

        from tenderwatch.generator.model import Generator, Scale
        from tenderwatch.generator.workcal import WorkCalendar
        from tenderwatch.screening.rules import columnar
        from tenderwatch.screening.rules.days import DayTable
        from tenderwatch.screening.rules.generated import MODEL_DOCUMENTS, StateBuilder
        from tenderwatch.screening.rules.registry import all_rules

        translation.activate("zh-hans")
        print(f"screening rules benchmark: a generated province of {args.lots:,} lots, "
              f"seed {args.seed}")  # fmt: skip
        started = time.perf_counter()
        generator = Generator(
            scale=Scale.custom("province", args.lots),
            seed=args.seed,
            calendar=WorkCalendar.from_builtin(),
        )
        projects = list(generator.projects())
        generate_s = time.perf_counter() - started

        started = time.perf_counter()
        builder = StateBuilder(
            generator,
            calendar=DayTable.from_builtin(),
            model_documents=MODEL_DOCUMENTS,
            today=TODAY,
        )
        builder.index(projects)
        states = [builder.state(p) for p in projects]
        del projects
        states_s = time.perf_counter() - started
        lots = _lots(states)

        started = time.perf_counter()
        columns = columnar.build(states)
        build_s = time.perf_counter() - started

        # The states and frames live as long as the run: keep the cyclic collector from walking
        # them again and again (both paths alike).
        gc.collect()
        gc.freeze()

        rules = all_rules()
        selected = [(spec, spec.defaults()) for spec in rules]
        params = {spec.id: spec.defaults() for spec in rules}

        started = time.perf_counter()
        fast = columnar.run_columnar(columns, params)
        columnar_s = time.perf_counter() - started

        sample = states
        if args.baseline_lots and args.baseline_lots < lots:
            sample, n = [], 0
            for state in states:
                if n >= args.baseline_lots:
                    break
                sample.append(state)
                n += len(state.lots)
        sample_lots = _lots(sample)
        # The baseline reads the same document comparisons (made once per document and model in
        # `build`, as the ledger keeps them by hash): both paths then do the same work.
        from tenderwatch.screening.rules import documents

        lent = documents.COMPARED.set(columns.compared_changes)
        started = time.perf_counter()
        slow = baseline(sample, selected)
        baseline_s = time.perf_counter() - started
        documents.COMPARED.reset(lent)

        # Both paths must give the same findings (on the baseline's projects).
        def key(f: Any) -> tuple[Any, ...]:
            return (f.rule_id, f.project_id, f.lot_id, f.key, f.explanation)

        in_sample = {s.project_id for s in sample}
        same = sorted(map(key, slow)) == sorted(key(f) for f in fast if f.project_id in in_sample)

        per_rule: dict[str, int] = {}
        for f in fast:
            per_rule[f.rule_id] = per_rule.get(f.rule_id, 0) + 1
        base_rate = sample_lots / baseline_s
        fast_rate = lots / columnar_s
        print(f"  projects {len(states):,}, lots {lots:,}, rules {len(rules)}")
        t = columns.timings
        print(f"  preparation: generate {generate_s:.1f} s, states {states_s:.1f} s, "
              f"frames {build_s:.1f} s (of which {t['documents_indexed']:,.0f} tender documents "
              f"parsed and compared with their model {t['documents']:.1f} s, timeline "
              f"{t['timeline']:.1f} s)")  # fmt: skip
        print(
            f"  baseline (per-project loop): {sample_lots:,} lots in {baseline_s:.2f} s = "
            f"{base_rate:,.0f} lots/s, {len(slow):,} findings"
        )
        print(
            f"  columnar (Polars queries + the same wording): {lots:,} lots in {columnar_s:.2f} s"
            f" = {fast_rate:,.0f} lots/s, {len(fast):,} findings"
        )
        print(f"  speed-up ×{fast_rate / base_rate:.1f}; goal {GOAL:,} lots/s: "
              f"{'met' if fast_rate >= GOAL else 'NOT met'}")  # fmt: skip
        copy = build_s - t["documents"]
        print(f"  copying the states into frames (documents aside) took {copy:.1f} s: the columnar "
              f"path pays off when frames are read straight from the ledger or Parquet, not "
              f"copied from Python objects ({lots / (copy + columnar_s):,.0f} lots/s with the "
              f"copy)")  # fmt: skip
        print("  findings by rule: " + ", ".join(f"{k} {v}" for k, v in sorted(per_rule.items())))
        print(
            f"  same findings on both paths: {'yes' if same else 'NO'}; peak {_peak_mb():,.0f} MB"
        )
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
